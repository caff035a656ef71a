"""Normalise Markdown so that only real changes of a document's text make a difference.

Stage: after :mod:`tracker.extract.extractor` (our own HTML-to-Markdown output) and on Markdown
imported from elsewhere (Open Terms Archive versions). Pure function, no I/O.

Input: Markdown text, the document's URL (to make relative links absolute) and the query
parameters that are tracking noise for this platform. Output: Markdown that ends with exactly
one newline, is NFC, and is a fixed point: ``normalise_markdown(normalise_markdown(t)) ==
normalise_markdown(t)``.

What is removed or made canonical (the noise seen in real LinkedIn captures):

* invisible characters (zero-width space/joiner/non-joiner, word joiner, BOM, soft hyphen,
  bidirectional marks and embeddings) and C0/C1 control characters other than newline and tab;
* every Unicode space separator (no-break space, narrow no-break space, thin space ...) becomes
  an ordinary space; runs of spaces and tabs inside a line become one space; leading
  indentation is kept (tabs there become four spaces); trailing spaces go; runs of blank lines
  become one blank line; no blank lines at the start or end;
* link targets ``[text](url)``: Outlook "safelinks" are replaced by the URL they wrap; the
  tracking query parameters named in ``drop_query_params`` are dropped; relative and
  protocol-relative URLs are made absolute against ``base_url``; LinkedIn hosts
  (``linkedin.com``, ``*.linkedin.com``, ``lnkd.in``, ``*.licdn.com``) always use ``https``;
  the bare ``linkedin.com`` becomes ``www.linkedin.com``; alternating CDN hosts
  (``static-exp1.licdn.com``, ``media-exp2.licdn.com`` ...) become ``static.licdn.com`` and
  ``media.licdn.com``; host names are lower-cased;
* empty links ``[](url)`` (and images without alt text ``![](url)``) are removed;
* relative dates that change with the time of the visit: "Last updated: 2 years ago",
  "updated 3 months ago", "Dernière mise à jour : il y a 3 ans", "mis à jour il y a un an",
  and the Hindi "पिछला अपडेट: 2 साल पहले" (help-centre pages).

Wording is never touched: typographic quotes, apostrophes, dashes and punctuation stay as they
are, because a change between them is a real (if minor) change of the text.
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from tracker.models import ExtractRules

__all__ = ["INVISIBLE_CHARS", "clean_text", "normalise_markdown", "normalise_url"]

#: Characters that render as nothing (or only steer layout) and are dropped everywhere.
INVISIBLE_CHARS = (
    "\u00ad"  # soft hyphen
    "\u034f"  # combining grapheme joiner
    "\u061c"  # Arabic letter mark
    "\u180e"  # Mongolian vowel separator
    "\u200b\u200c\u200d"  # zero-width space, non-joiner, joiner
    "\u200e\u200f"  # left-to-right / right-to-left mark
    "\u202a\u202b\u202c\u202d\u202e"  # bidirectional embeddings and overrides
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # bidirectional isolates
    "\ufeff"  # zero-width no-break space (byte order mark)
)

_TRANSLATE: dict[int, str | None] = dict.fromkeys(map(ord, INVISIBLE_CHARS))
for _code in (*range(0x20), 0x7F, *range(0x80, 0xA0)):
    if chr(_code) not in "\n\t":
        _TRANSLATE[_code] = None
_TRANSLATE[ord("\r")] = "\n"
_TRANSLATE[ord("\x0b")] = "\n"
_TRANSLATE[ord("\x0c")] = "\n"
_TRANSLATE[ord("\x85")] = "\n"
_TRANSLATE[0x2028] = "\n"
_TRANSLATE[0x2029] = "\n"
for _code in range(0x80, 0x3001):
    if unicodedata.category(chr(_code)) == "Zs":
        _TRANSLATE[_code] = " "
# Any character clean_text() changes; most text has none, and a regex search is cheap.
_NEEDS_CLEANING = re.compile("[" + re.escape("".join(map(chr, _TRANSLATE))) + "]")

# A link or image: optional "!", bracketed text without nested brackets (escaped brackets are
# allowed), then a destination that may hold one level of balanced parentheses, and an
# optional title.
_LINK = re.compile(
    r"(?P<bang>!?)(?<!\\)\[(?P<text>(?:\\.|[^\[\]\\])*)\]"
    r"\((?P<url><[^<>\n]*>|[^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)"
    r"(?P<title>\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\)"
)
_EMPTY_LINK_TEXT = re.compile(r"[\s*_]*")

_SAFELINKS_HOST = re.compile(r"(?:^|\.)safelinks\.protection\.outlook\.com$")
_LINKEDIN_HOST = re.compile(r"(?:^|\.)(?:linkedin\.com|lnkd\.in|licdn\.com)$")
_CDN_HOST = re.compile(r"^(static|media)-exp\d+\.licdn\.com$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_UNSAFE_IN_URL = re.compile(r"[\s()<>|\[\]]")

_NUMBER_EN = r"(?:\d+|an?|one)"
_UNIT_EN = r"(?:second|minute|hour|day|week|month|year)s?"
_NUMBER_FR = r"(?:\d+|une?)"
_UNIT_FR = r"(?:secondes?|minutes?|heures?|jours?|semaines?|mois|ans?|ann[ée]es?)"
_NUMBER_HI = r"(?:\d+|एक)"
_UNIT_HI = r"(?:सेकंड|मिनट|घंटे|घंटा|दिन|हफ़्ते|हफ्ते|हफ़्ता|हफ्ता|सप्ताह|महीने|महीना|साल|वर्ष)"
_NOT_AFTER_WORD = r"(?<![^\W_])"  # no letter or digit just before ("_" is fine: emphasis)
_NOT_BEFORE_WORD = r"(?![^\W_])"
_RELATIVE_DATE_CORE = "|".join(
    (
        # "Last updated: 2 years ago", "updated 3 months ago", "Last updated today"
        rf"{_NOT_AFTER_WORD}(?:last\s+)?updated\s*:?\s*{_NUMBER_EN}\s+{_UNIT_EN}\s+ago",
        rf"{_NOT_AFTER_WORD}last\s+updated\s*:?\s*(?:today|yesterday|just\s+now)",
        # "Dernière mise à jour : il y a 3 ans", "mis à jour il y a un an"
        rf"{_NOT_AFTER_WORD}(?:derni[eè]re\s+)?mise?\s+[àa]\s+jour\s*:?\s*il\s+y\s+a\s+"
        rf"{_NUMBER_FR}\s+{_UNIT_FR}",
        rf"{_NOT_AFTER_WORD}derni[eè]re\s+mise\s+[àa]\s+jour\s*:?\s*(?:aujourd['\u2019]hui|hier)",
        # "पिछला अपडेट: 2 साल पहले" (Hindi help-centre pages)
        rf"पिछला\s+अपडेट\s*:?\s*{_NUMBER_HI}\s+{_UNIT_HI}\s+पहले",
    )
)
# The date may be wrapped in emphasis (``_Last updated 2 years ago_``), and end its line with
# a full stop: both go with it.
_RELATIVE_DATE = re.compile(
    rf"(?:(?P<em>[*_]{{1,3}})(?:{_RELATIVE_DATE_CORE}){_NOT_BEFORE_WORD}(?P=em)"
    rf"|(?:{_RELATIVE_DATE_CORE}){_NOT_BEFORE_WORD})(?:\.(?=[ \t]*$))?",
    re.IGNORECASE | re.MULTILINE,
)

# Words every relative date holds: a cheap test before the expensive pattern.
_MAY_HOLD_DATE = re.compile(r"updated|jour|अपडेट", re.IGNORECASE)

_BLANK_RUN = re.compile(r"\n{3,}")

_MAX_PASSES = 8
# Marks where something was removed (a control character, so never in cleaned text): a line
# left with nothing but marks and spaces is dropped whole instead of leaving a blank line.
_REMOVED = "\x00"
_AROUND_REMOVED = re.compile(r"(?P<pre>[ \t]*)\x00+(?P<post>[ \t]*)")
_EMPTIED_LINE = re.compile(r"^[ \t]*\x00[ \t\x00]*(?:\n|$)", re.MULTILINE)


def clean_text(text: str) -> str:
    """Drop invisible and control characters, turn every Unicode space into a plain space.

    Line separators (CR, CRLF, U+2028 ...) become ``\\n``. Also used by
    :mod:`tracker.extract.extractor` on every text node, so that both stages agree on what is
    invisible.

    Args:
        text: any text.

    Returns:
        The text with only visible characters, plain spaces, tabs and ``\\n`` newlines.
    """
    if _NEEDS_CLEANING.search(text) is None:
        return text
    return text.replace("\r\n", "\n").translate(_TRANSLATE)


@functools.lru_cache(maxsize=8192)  # pure; a page repeats its links, and passes repeat pages
def normalise_url(
    url: str, *, base_url: str | None = None, drop_query_params: tuple[str, ...] = ()
) -> str:
    """Return the canonical form of one link target (see the module docstring).

    Args:
        url: the target as written in the page or the Markdown.
        base_url: the document's URL; relative targets are resolved against it.
        drop_query_params: query parameter names removed from the target.

    Returns:
        The canonical target; characters that would break Markdown link syntax (spaces,
        parentheses, angle and square brackets, pipes) are percent-encoded.
    """
    url = clean_text(url).strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1].strip()
    for _ in range(_MAX_PASSES):  # safelinks may wrap safelinks
        unwrapped = _unwrap_safelink(url)
        if unwrapped == url:
            break
        url = unwrapped
    if base_url and not _SCHEME.match(url):
        with contextlib.suppress(ValueError):  # "//[oops": kept as written
            url = urljoin(base_url, url)
    elif url.startswith("//"):
        url = "https:" + url
    url = _canonical_host(url)
    if drop_query_params:
        url = _drop_params(url, frozenset(drop_query_params))
    return _UNSAFE_IN_URL.sub(lambda m: quote(m.group(0), safe=""), url)


def _unwrap_safelink(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[oops": not a URL urllib can read; kept as written
        return url
    if not _SAFELINKS_HOST.search((parts.hostname or "").lower()):
        return url
    for piece in parts.query.split("&"):
        key, _, value = piece.partition("=")
        if key.lower() == "url" and value:
            return unquote(value).strip()
    return url


def _canonical_host(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return url
    if not host or parts.scheme.lower() not in ("http", "https"):
        return url
    scheme = parts.scheme.lower()
    host = host.lower()
    if _LINKEDIN_HOST.search(host):
        scheme = "https"
        if host == "linkedin.com":
            host = "www.linkedin.com"
        host = _CDN_HOST.sub(r"\1.licdn.com", host)
    if (scheme, port) in (("https", 443), ("http", 80)):
        port = None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))


def _drop_params(url: str, names: frozenset[str]) -> str:
    before, hash_, fragment = url.partition("#")
    path, question, query = before.partition("?")
    if not question:
        return url
    kept = [p for p in query.split("&") if p and unquote(p.partition("=")[0]) not in names]
    rebuilt = path + ("?" + "&".join(kept) if kept else "")
    return rebuilt + hash_ + fragment


def _spacing_after_removal(match: re.Match[str]) -> str:
    """What stays of the spaces around a removed span: indentation, or one separating space."""
    pre, post = match.group("pre"), match.group("post")
    start = match.start()
    if start == 0 or match.string[start - 1] == "\n":
        return pre  # keep the line's indentation, drop the space after the span
    return " " if pre or post else ""


def _tidy_removals(text: str) -> str:
    """Drop lines emptied by a removal whole; elsewhere keep one space where one is needed."""
    text = _EMPTIED_LINE.sub("", text)
    return _AROUND_REMOVED.sub(_spacing_after_removal, text)


def _remove_relative_dates(text: str) -> str:
    """The full pattern, line by line, only on the few lines that hold a candidate word.

    One scan of the whole text finds the candidates; the lines around them are cut out,
    rewritten and put back (the same result as rewriting every line on its own).
    """
    pieces: list[str] = []
    done = 0  # text[:done] is in pieces
    for match in _MAY_HOLD_DATE.finditer(text):
        if match.start() < done:
            continue  # a second candidate on a line already rewritten
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        end = len(text) if end < 0 else end
        pieces += (text[done:start], _RELATIVE_DATE.sub(_REMOVED, text[start:end]))
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _rewrite_links(text: str, fix: Callable[[str], str]) -> str:
    def replace(match: re.Match[str]) -> str:
        link_text = match.group("text")
        if _EMPTY_LINK_TEXT.fullmatch(link_text):
            return _REMOVED
        title = match.group("title") or ""
        return f"{match.group('bang')}[{link_text}]({fix(match.group('url'))}{title})"

    return _LINK.sub(replace, text)


def _whitespace(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" \t")
        if body:  # clean_text() left spaces and tabs as the only blanks within a line
            indent = line[: len(line) - len(body)].replace("\t", "    ")
            lines.append(indent + " ".join(body.split()))
        else:
            lines.append("")
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")


def _one_pass(text: str, fix: Callable[[str], str]) -> str:
    text = clean_text(text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "](" in text:
        text = _rewrite_links(text, fix)
    text = _remove_relative_dates(text)
    if _REMOVED in text:
        text = _tidy_removals(text)
    text = _whitespace(text)
    return text + "\n" if text else ""


def normalise_markdown(
    text: str, *, base_url: str | None = None, drop_query_params: tuple[str, ...] = ()
) -> str:
    """Remove the noise listed in the module docstring from Markdown text.

    Args:
        text: Markdown, from :func:`tracker.extract.extractor.extract` or imported from elsewhere.
        base_url: the document's URL; relative link targets are resolved against it (and left
            relative when it is None).
        drop_query_params: tracking query parameters removed from every link target.

    Returns:
        The normalised Markdown, ending with exactly one newline (empty string for a text
        without any visible character). Idempotent.
    """

    def fix(url: str) -> str:
        return normalise_url(url, base_url=base_url, drop_query_params=drop_query_params)

    for _ in range(_MAX_PASSES):  # a removal can reveal a new match (e.g. nested empty links)
        again = _one_pass(text, fix)
        if again == text:
            break
        text = again
    return text


_EMPTY_TABLE_ROW = re.compile(r"^\s*\|(?:\s*\|)+\s*$")
_TABLE_RULE_LINE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+")


def drop_ignored(text: str, ignore_text: tuple[str, ...]) -> str:
    """Drop interface texts (``ExtractRules.ignore_text``) where they stand alone.

    A line whose whole text is one of them goes; one glued after a table rule (as Open Terms
    Archive's Markdown sometimes has it: ``| --- | --- |ENTER A SUMMARY``) is cut off; a table
    left with only an empty header row and its rule goes too. Headings and emphasised lines
    are kept: only bare interface labels match.
    """
    if not ignore_text:
        return text
    wanted = set(ignore_text)
    lines = []
    for line in text.split("\n"):
        if line.strip() in wanted:
            continue
        for phrase in ignore_text:
            if _TABLE_RULE_LINE.match(line) and line.rstrip().endswith("|" + phrase):
                line = line.rstrip()[: -len(phrase)]
        lines.append(line)
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 2] if index + 2 < len(lines) else ""
        if (
            _EMPTY_TABLE_ROW.match(line)
            and index + 1 < len(lines)
            and _TABLE_RULE_LINE.match(lines[index + 1])
            and not following.lstrip().startswith("|")
        ):
            index += 2
            continue
        kept.append(line)
        index += 1
    return "\n".join(kept)


def normalise_version(text: str, rules: ExtractRules, *, base_url: str | None) -> str:
    """Normalise a version's Markdown with its document's rules (extraction and imports)."""
    return normalise_markdown(
        drop_ignored(text, rules.ignore_text),
        base_url=base_url,
        drop_query_params=rules.drop_query_params,
    )
