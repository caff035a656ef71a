"""The visible words of a Markdown text: what a reader sees, without markup or link targets.

Two texts with the same visible words differ only in presentation (Markdown syntax and
escapes, link targets, images, whitespace, invisible characters). The pipeline uses this to
tell a change of *our* extractor (a technical upgrade) from a change of the page, and the
acceptance tests use it to compare our extraction with Open Terms Archive's, word for word.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_LINK = re.compile(
    r"(!?)\[((?:\\.|[^\[\]\\])*)\]\((?:<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+\"[^\"]*\")?\)"
)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*(?::?-{3,}:?)?\s*$", re.MULTILINE)
_SETEXT_RULE = re.compile(r"^\s*(?:=+|-+)\s*$", re.MULTILINE)
_LIST_MARKER = re.compile(r"^(\s*(?:>\s*)*)(?:[-*+]|\d+[.)])\s+", re.MULTILINE)
_ATX = re.compile(r"^\s*#{1,6}\s", re.MULTILINE)
_QUOTE = re.compile(r"^\s*>", re.MULTILINE)
_PIPE = re.compile(r"(?<!\\)\|")
_EMPHASIS = re.compile(r"(?<!\\)(?:\*+|_+|~~|`+)")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"), None)


def visible_words(markdown: str) -> list[str]:
    """The sequence of words a reader sees in ``markdown``.

    Link texts stay and targets go, images go, Markdown syntax and backslash escapes go;
    punctuation attached to words stays as it is, so both sides of a comparison are treated
    alike. Text is NFC-normalised and invisible characters are dropped.
    """
    return list(_visible_words(markdown))


@functools.lru_cache(maxsize=16384)  # pure; a comparison asks for the same clauses many times
def _visible_words(markdown: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFC", markdown).translate(_INVISIBLE)
    # Each pattern runs only when a character it needs is there (``in`` is a fast scan):
    # most clauses are plain prose, and a 10 MB page has 100,000 of them.
    if "](" in text:
        for _ in range(2):  # a link inside a link's text
            text = _LINK.sub(lambda m: "" if m.group(1) else m.group(2), text)
    if "<" in text:
        text = _BREAK.sub(" ", text)
    if "---" in text:
        text = _TABLE_RULE.sub(" ", text)
    if "=" in text or "-" in text:
        text = _SETEXT_RULE.sub(" ", text)
    text = _LIST_MARKER.sub(r"\1", text)
    if "#" in text:
        text = _ATX.sub(" ", text)
    if ">" in text:
        text = _QUOTE.sub(" ", text)
    if "|" in text:
        text = _PIPE.sub(" ", text)
    if "*" in text or "_" in text or "~" in text or "`" in text:
        text = _EMPHASIS.sub("", text)
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    return tuple(text.split())


def same_words(a: str, b: str) -> bool:
    """True when two Markdown texts show the same words in the same order."""
    return _visible_words(a) == _visible_words(b)
