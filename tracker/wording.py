"""The visible words of a Markdown text: what a reader sees, without markup or link targets.

Two texts with the same visible words differ only in presentation (Markdown syntax, link
targets, whitespace, invisible characters). The pipeline uses this to tell a change of *our*
extractor (a technical upgrade) from a change of the page.
"""

from __future__ import annotations

import re
import unicodedata

_LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.MULTILINE)
_SETEXT_RULE = re.compile(r"^\s*(=+|-+)\s*$", re.MULTILINE)
_MARKUP = re.compile(r"[*_`#>|\[\]\\]+")
_LIST_MARK = re.compile(r"^\s*(?:[-+*]|\d+[.)])\s+", re.MULTILINE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"), None)


def visible_words(markdown: str) -> list[str]:
    """The sequence of words a reader sees in ``markdown`` (NFC, invisible characters dropped)."""
    text = unicodedata.normalize("NFC", markdown).translate(_INVISIBLE)
    text = _LINK_TARGET.sub("]", text)
    text = _HTML_BREAK.sub(" ", text)
    text = _TABLE_RULE.sub(" ", text)
    text = _SETEXT_RULE.sub(" ", text)
    text = _LIST_MARK.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return text.split()


def same_words(a: str, b: str) -> bool:
    """True when two Markdown texts show the same words in the same order."""
    return visible_words(a) == visible_words(b)
