"""Extract a document's text from a snapshot: HTML bytes in, normalised Markdown out.

Stage: after fetch (and the quality checks), before the comparison with the latest version.
Pure function, no I/O: :func:`extract` takes the raw bytes of the page, the document's
:class:`~tracker.models.ExtractRules`, the page's URL (to make links absolute) and the charset
from the HTTP header, and returns Markdown passed through
:func:`tracker.extract.normalise.normalise_markdown`. It raises
:class:`~tracker.errors.SelectorNotFoundError` when no ``select`` rule matches and
:class:`~tracker.errors.EmptyContentError` when the selection holds less text than
``min_text_chars``.

Steps:

1. Decode: a byte order mark wins, then the charset of the HTTP header, then a ``<meta>``
   charset in the first 4 KiB, else UTF-8. Undecodable bytes become U+FFFD (never an error);
   a label naming a codec that is not a text encoding ("rot13", "idna") counts as none.
   ``iso-8859-1``, ``latin1`` and ``ascii`` labels are decoded as windows-1252, as browsers do.
2. Parse with lxml; remove every match of ``rules.remove``.
3. Select: every match of every ``rules.select`` selector, in document order, without
   duplicates and without elements nested in another selected one; or, with
   ``rules.select_first``, the matches of the first selector that matches anything.
4. Convert to Markdown with our small converter, :mod:`tracker.extract.markdown_writer` (no
   third-party converter, so the output only changes when we change it; bump
   ``EXTRACTOR_VERSION`` when it does). Its docstring says what it keeps and drops.

Steps 2 and 3 run on lxml's tree with the selectors compiled to XPath, and step 4 on the same
tree with :mod:`tracker.extract.markdown_lxml`, the same converter written over lxml's elements.
When a selector or the page is beyond that fast path (see :func:`_preselect`), the whole page goes
through BeautifulSoup (lxml's parser), soupsieve and :mod:`tracker.extract.markdown_writer` instead.
Both paths give the same Markdown (``tests/test_extract_paths.py``).
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import cssselect
import lxml.etree
import lxml.html

from tracker.errors import EmptyContentError, ExtractError, SelectorNotFoundError
from tracker.extract.markdown_lxml import convert_lxml_elements
from tracker.extract.normalise import normalise_version
from tracker.extract.truncation import check_complete, text_chars
from tracker.models import ExtractRules

if TYPE_CHECKING:  # BeautifulSoup and soupsieve: imported only when a page needs them
    import soupsieve
    from bs4 import BeautifulSoup, Tag

__all__ = ["decode_html", "extract", "html_to_markdown"]

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
# LinkedIn's CMS pads callouts with runs of up to a hundred empty paragraphs, and their number
# changes between saves. One empty paragraph separates inline content exactly as a run does,
# so runs are shortened before parsing (most of the parsing time otherwise).
_EMPTY_P_RUN = re.compile(r"(?:<p>\s*</p>\s*){2,}", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def extract(body: bytes, rules: ExtractRules, *, url: str, charset: str | None = None) -> str:
    """Return the document's text from the raw bytes of its page, as normalised Markdown.

    Args:
        body: the page exactly as received.
        rules: what to select and remove, which query parameters are noise, how much text is
            expected.
        url: the page's URL; relative links are made absolute against it.
        charset: the charset parameter of the HTTP ``Content-Type`` header, if any.

    Returns:
        Normalised Markdown ending with exactly one newline.

    Raises:
        SelectorNotFoundError: no ``select`` rule matched anything.
        EmptyContentError: the selection holds fewer than ``rules.min_text_chars`` characters
            of visible text.
        ExtractError: the page is nested too deeply to be converted (cause
            ``too-deeply-nested``); no real page comes close.
    """
    html = decode_html(body, charset)
    roots = _preselect(html, rules)
    if roots is not None and not roots:
        raise SelectorNotFoundError(
            f"no element matches the select rules ({', '.join(rules.select)}); "
            "the page's structure may have changed"
        )
    try:
        if roots is not None:  # already cleaned and selected by lxml: convert them directly
            markdown, chars = convert_lxml_elements(roots, url)
        else:
            from tracker.extract.markdown_writer import parse_html

            # runs of empty paragraphs (thousands on some pages) would slow BeautifulSoup down
            cleaned = _EMPTY_P_RUN.sub("<p></p>", html)
            soup = parse_html(cleaned)
            try:
                parser = getattr(soup.builder, "parser", None)
                check_complete(cleaned, text_chars(soup.strings), getattr(parser, "error_log", ()))
                markdown, chars = _extract_from(soup, rules, url)
            finally:
                soup.decompose()  # breaks the tree's reference cycles: freed now, not by GC
    except RecursionError:  # the converter recurses once or twice per level of nesting
        raise ExtractError(
            "the page is nested too deeply to be converted (hundreds of levels of elements)",
            cause="too-deeply-nested",
        ) from None
    if chars < rules.min_text_chars:
        raise EmptyContentError(
            f"the selection ({', '.join(rules.select)}) holds {chars} characters of text, "
            f"fewer than the {rules.min_text_chars} expected"
        )
    return normalise_version(markdown, rules, base_url=url)


def html_to_markdown(html: str, *, url: str) -> str:
    """:func:`tracker.extract.markdown_writer.html_to_markdown` (imported when first used)."""
    from tracker.extract import markdown_writer

    return markdown_writer.html_to_markdown(html, url=url)


def _extract_from(soup: BeautifulSoup, rules: ExtractRules, url: str) -> tuple[str, int]:
    from tracker.extract.markdown_writer import convert_elements

    if rules.remove:  # one pass over the tree for all of them
        for element in _compiled(rules.remove).select(soup):
            if not element.decomposed:
                element.decompose()
    roots = _select(soup, rules)
    if not roots:
        raise SelectorNotFoundError(
            f"no element matches the select rules ({', '.join(rules.select)}); "
            "the page's structure may have changed"
        )
    return convert_elements(roots, url)


#: The text nodes of a parsed page that a reader sees (what BeautifulSoup's ``strings`` are).
_TREE_TEXT = lxml.etree.XPath(
    "//text()[not(ancestor::script or ancestor::style or ancestor::template)]"
)
#: Elements that the HTML parser would move or drop outside their own context.
_CONTEXT_BOUND = frozenset(
    {
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "caption",
        "col",
        "colgroup",
        "li",
        "dt",
        "dd",
        "option",
        "optgroup",
        "html",
        "head",
        "body",
        "frameset",
        "frame",
    }
)


@functools.lru_cache(maxsize=256)
def _xpath(selectors: tuple[str, ...]) -> lxml.etree.XPath | None:
    """``selectors`` (a CSS selector list) as one compiled XPath, or None if cssselect can't."""
    try:
        return lxml.etree.XPath(cssselect.GenericTranslator().css_to_xpath(", ".join(selectors)))
    except (cssselect.SelectorError, cssselect.ExpressionError, lxml.etree.XPathSyntaxError):
        return None


def _elements(result: object) -> list[lxml.html.HtmlElement]:
    """The elements of an XPath result (which may also hold strings or numbers)."""
    if not isinstance(result, list):
        return []
    return [e for e in result if isinstance(e, lxml.html.HtmlElement)]


def _strings(result: object) -> list[str]:
    """The strings of an XPath result."""
    return [item for item in result if isinstance(item, str)] if isinstance(result, list) else []


def _preselect(html: str, rules: ExtractRules) -> list[lxml.html.HtmlElement] | None:
    """Apply ``remove`` then ``select`` with lxml's C-speed XPath, without BeautifulSoup.

    Returns the selected elements (outermost only, in document order), for
    :func:`tracker.extract.markdown_lxml.convert_lxml_elements`; an empty list when nothing matched;
    None when a selector or the page is beyond this fast path (a selector that cssselect
    cannot translate, an element that only parses inside its parent, a page lxml refuses):
    then the whole page goes through BeautifulSoup and soupsieve as before. Both paths give
    the same Markdown; the fast one skips parsing and matching the page chrome with
    BeautifulSoup.
    """
    remove = _xpath(rules.remove) if rules.remove else None
    wanted = [(s,) for s in rules.select] if rules.select_first else [rules.select]
    groups = [g for g in (_xpath(selectors) for selectors in wanted) if g is not None]
    if (rules.remove and remove is None) or len(groups) < len(wanted):
        return None
    parser = lxml.html.HTMLParser(huge_tree=True)  # no cut at 256 levels or 10 MB of text
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (ValueError, lxml.etree.ParserError):
        return None
    check_complete(html, text_chars(_strings(_TREE_TEXT(root))), parser.error_log)
    if remove is not None:
        for element in _elements(remove(root)):
            if element.getparent() is not None:
                element.drop_tree()
    found: list[lxml.html.HtmlElement] = []
    for group in groups:
        found = _elements(group(root))
        if found:
            break
    chosen = set(found)
    roots = [e for e in found if not any(a in chosen for a in e.iterancestors())]
    if any(e.tag in _CONTEXT_BOUND or not isinstance(e.tag, str) for e in roots):
        return None
    return roots


def decode_html(body: bytes, charset: str | None = None) -> str:
    """Decode a page's bytes: BOM, then HTTP charset, then ``<meta>`` charset, else UTF-8.

    Args:
        body: the raw bytes.
        charset: the charset parameter of the HTTP ``Content-Type`` header, if any.

    Returns:
        The text; bytes invalid in the chosen encoding become U+FFFD.
    """
    for bom, bom_encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(bom_encoding, errors="replace")
    encoding = _codec(charset, from_meta=False)
    if encoding is None:
        declared = _META_CHARSET.search(body[:4096])
        if declared is not None:
            encoding = _codec(declared.group(1).decode("ascii", "replace"), from_meta=True)
    try:
        return body.decode(encoding or "utf-8", errors="replace")
    except (LookupError, UnicodeError):  # "rot13", "idna": codecs, but not for pages
        return body.decode("utf-8", errors="replace")


def _codec(label: str | None, *, from_meta: bool) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    if name in ("iso8859-1", "ascii"):
        return "cp1252"  # what browsers do with these labels
    if from_meta and name.startswith("utf-16"):
        return "utf-8"  # a meta tag read as ASCII cannot be UTF-16
    return name


@functools.lru_cache(maxsize=256)
def _compiled(selectors: tuple[str, ...]) -> soupsieve.SoupSieve:
    """One compiled selector list matching what any of ``selectors`` matches."""
    import soupsieve

    return soupsieve.compile(", ".join(selectors))


def _select(soup: BeautifulSoup, rules: ExtractRules) -> list[Tag]:
    if rules.select_first:
        for selector in rules.select:
            matches = _compiled((selector,)).select(soup)
            if matches:
                return _outermost(matches)
        return []
    return _outermost(_compiled(rules.select).select(soup))


def _outermost(found: Sequence[Tag]) -> list[Tag]:
    """``found`` (in document order, as soupsieve returns it) without nested elements."""
    if len(found) <= 1:
        return list(found)
    chosen = {id(tag) for tag in found}
    return [tag for tag in found if not any(id(parent) in chosen for parent in tag.parents)]
