"""Tell whether an HTML parse kept the whole page, so that a truncated tree is never used.

Stage: inside extraction (:mod:`tracker.extract.extractor`), right after the page is parsed. Pure
functions, no I/O.

libxml2, under lxml and BeautifulSoup, stops building the tree *without raising* when a page
exceeds one of its limits: elements nested deeper than 256 levels (2048 with lxml's
``huge_tree``, which the extraction always sets), a text node over 10 MB (without
``huge_tree``). The rest of the page is silently dropped; extracted as it is, a real privacy
policy behind 300 unclosed ``<div>`` went from 58,884 to 2,600 characters and was recorded as a
substantive change. :func:`check_complete` refuses such a tree with an
:class:`~tracker.errors.ExtractError` of cause ``parse-truncated`` (the check is recorded as
*inaccessible*, never as a version), on either of two signs:

1. the parser's error log holds a fatal error or a resource-limit error ("Excessive depth in
   document: 2048, use XML_PARSE_HUGE option");
2. the tree holds less than :data:`MIN_KEPT_SHARE` of the visible text that a plain scan of the
   markup finds (:func:`markup_text_chars`), and at least :data:`MIN_LOST_CHARS` fewer
   characters: a limit that libxml2 would not report. On every real page of the corpus the
   tree holds at least 87 % of that estimate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from tracker.errors import ExtractError

__all__ = ["MIN_KEPT_SHARE", "MIN_LOST_CHARS", "check_complete", "markup_text_chars"]

#: A tree holding less than this share of the markup's visible text was cut short...
MIN_KEPT_SHARE = 0.5
#: ... provided at least this many characters are missing (small pages are noisy).
MIN_LOST_CHARS = 1000

# Markup that holds no visible text. Every alternative that could fail after scanning to the
# end of the page is followed by one that consumes the rest, so one pass is linear even on a
# page full of unclosed comments or tags.
_MARKUP = re.compile(
    r"<(script|style|template)\b[^>]*+(?:>(?:.*?</\1\s*>|.*\Z)|\Z)"
    r"|<!--(?:.*?-->|.*\Z)"
    r"|<[A-Za-z/!?][^>]*+(?:>|\Z)",
    re.DOTALL | re.IGNORECASE,
)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _non_space(text: str) -> int:
    return sum(map(len, text.split()))


def markup_text_chars(html: str) -> int:
    """About how many visible characters (white space aside) the markup holds.

    Tags, comments and the content of ``script``, ``style`` and ``template`` are taken out; a
    character reference (``&amp;``, ``&#233;``) counts as one character.
    """
    text = _MARKUP.sub(" ", html)
    references = _ENTITY.findall(text)
    return _non_space(text) - sum(len(reference) - 1 for reference in references)


def text_chars(texts: Iterable[str]) -> int:
    """Visible characters (white space aside) of the text nodes of a parsed tree."""
    return sum(_non_space(text) for text in texts)


def _limit_error(error_log: Iterable[etree._LogEntry]) -> str | None:
    for entry in error_log:
        if (
            entry.level == etree.ErrorLevels.FATAL
            or entry.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT
        ):
            return str(entry.message).strip()
    return None


def check_complete(html: str, tree_chars: int, error_log: Iterable[etree._LogEntry]) -> None:
    """Raise if the parse of ``html`` lost part of the page.

    Args:
        html: the decoded page that was parsed.
        tree_chars: the visible characters of the parsed tree (:func:`text_chars` of its text
            nodes outside ``script``, ``style`` and ``template``).
        error_log: the parser's error log.

    Raises:
        ExtractError: cause ``parse-truncated``, naming libxml2's error or the two counts.
    """
    error = _limit_error(error_log)
    if error is not None:
        raise ExtractError(
            f"the HTML parser stopped before the end of the page ({error}); "
            "its text would be incomplete",
            cause="parse-truncated",
        )
    expected = markup_text_chars(html)
    if tree_chars < MIN_KEPT_SHARE * expected and expected - tree_chars >= MIN_LOST_CHARS:
        raise ExtractError(
            f"the parsed page holds {tree_chars} characters of text where its markup holds "
            f"about {expected}: the parser lost part of it",
            cause="parse-truncated",
        )
