"""Extract a document's text from a snapshot: HTML bytes in, normalised Markdown out.

Stage: after fetch (and the quality checks), before the comparison with the latest version.
Pure function, no I/O: :func:`extract` takes the raw bytes of the page, the document's
:class:`~tracker.models.ExtractRules`, the page's URL (to make links absolute) and the charset
from the HTTP header, and returns Markdown passed through
:func:`tracker.normalise.normalise_markdown`. It raises
:class:`~tracker.errors.SelectorNotFoundError` when no ``select`` rule matches and
:class:`~tracker.errors.EmptyContentError` when the selection holds less text than
``min_text_chars``.

Steps:

1. Decode: a byte order mark wins, then the charset of the HTTP header, then a ``<meta>``
   charset in the first 4 KiB, else UTF-8. Undecodable bytes become U+FFFD (never an error).
   ``iso-8859-1``, ``latin1`` and ``ascii`` labels are decoded as windows-1252, as browsers do.
2. Parse with BeautifulSoup and lxml; remove every match of ``rules.remove``.
3. Select: every match of every ``rules.select`` selector, in document order, without
   duplicates and without elements nested in another selected one; or, with
   ``rules.select_first``, the matches of the first selector that matches anything.
4. Convert to Markdown with the small converter below (no third-party converter, so the output
   only changes when we change it; bump ``EXTRACTOR_VERSION`` when it does).

What the converter keeps: ATX headings (``#`` to ``######``), paragraphs, line breaks (a
backslash hard break; two or more ``<br>`` in a row start a new paragraph), bold ``**``,
italic ``*``, strikethrough ``~~``, inline code, links ``[text](absolute URL)``, ordered and
unordered lists (nested, numbered from ``start``), block quotes, preformatted text as fenced
code, thematic breaks, and tables as GitHub pipe tables: one line per row; the first row is the
header when the table has a ``thead`` or when that row is all ``th`` cells, otherwise an empty
header row (``| | |``) comes first, as in Open Terms Archive's Markdown. A cell stays on one
line: paragraphs inside it are joined with ``<br><br>`` and line breaks become ``<br>``; pipes
are escaped. Adjacent bold (or italic) elements, and adjacent links to the same target, are
merged, so that a CMS splitting ``<strong>`` in two changes nothing. Markdown characters in the
text (``\\ * _ ` [ ]``, and line starts that would read as headings, lists or quotes) are
escaped with a backslash.

What it drops: ``script``, ``style``, ``template``, ``noscript``, comments and other
non-text nodes, embedded and media elements (``iframe``, ``object``, ``svg``, ``canvas``,
``video``, ``audio``), form controls, LinkedIn's ``li-icon``/``icon`` placeholders, links
without text, empty paragraphs, headings and list items, and **images, including their alt
text**: on the tracked legal pages images are illustrations ("Shield icon", "Co-workers
discussing a candidate") whose alt text is not part of the legal text and is edited
independently of it. Elements with the ``hidden`` attribute or ``aria-hidden="true"`` are
dropped when they hold no text; when they do hold text they are kept, because LinkedIn hides
real content that way until a click (expandable sections of the legal pages, collapsible
examples of the help-centre answers). Chrome that is hidden *and* textual (the cookie banner)
is outside the selected container, and anything else goes through ``rules.remove``.
"""

from __future__ import annotations

import codecs
import functools
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import cssselect
import lxml.etree
import lxml.html
import soupsieve
from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning
from bs4.element import CData, NavigableString, PageElement

from tracker.errors import EmptyContentError, ExtractError, SelectorNotFoundError
from tracker.models import ExtractRules
from tracker.normalise import clean_text, normalise_url, normalise_version

__all__ = ["decode_html", "extract", "html_to_markdown"]

_SKIP = frozenset(
    (
        *("script", "style", "template", "noscript", "head", "title", "meta", "link", "base"),
        *("iframe", "frame", "frameset", "object", "embed", "param", "applet", "svg", "math"),
        *("canvas", "img", "picture", "source", "track", "video", "audio", "map", "area"),
        *("input", "select", "option", "optgroup", "textarea", "datalist", "output"),
        *("progress", "meter", "li-icon", "icon"),
    )
)
_BLOCK = frozenset(
    (
        *("address", "article", "aside", "blockquote", "body", "caption", "center", "dd"),
        *("details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure"),
        *("footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr"),
        *("html", "legend", "li", "main", "menu", "nav", "ol", "p", "pre", "search"),
        *("section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    )
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_LISTS = frozenset({"ul", "ol", "menu", "dir"})
_BOLD = frozenset({"strong", "b"})
_ITALIC = frozenset({"em", "i", "cite", "dfn", "var"})
_STRIKE = frozenset({"s", "strike", "del"})
_CODE = frozenset({"code", "kbd", "samp", "tt"})
# Inline elements whose rendering adds syntax: they stay inline even around block content.
_FORMATTING = _BOLD | _ITALIC | _STRIKE | _CODE | {"a"}
_UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")

_ASCII_SPACE = re.compile(r"[ \t\n\r\f]+")
_SPACES = re.compile(r" {2,}")
_TEXT_ESCAPE = re.compile(r"([\\`*_\[\]])|<(?=[A-Za-z/!?])")
_PARAGRAPH_BREAK = re.compile(r" *\n(?: *\n)+ *")
_LINE_START = re.compile(
    r"^(?:(#{1,6})(?=\s|$)|([>+-])(?=\s|$)|(=+|-+)\s*$|(\d{1,9})([.)])(?=\s|$))"
)
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

BlockKind = Literal["text", "list", "table", "other"]


@dataclass(frozen=True, slots=True)
class _Block:
    kind: BlockKind
    text: str


@dataclass(frozen=True, slots=True)
class _Format:
    bold: bool = False
    italic: bool = False
    strike: bool = False
    link: bool = False


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
    html = _EMPTY_P_RUN.sub("<p></p>", decode_html(body, charset))
    fragments = _preselect(html, rules)
    if fragments is not None and not fragments:
        raise SelectorNotFoundError(
            f"no element matches the select rules ({', '.join(rules.select)}); "
            "the page's structure may have changed"
        )
    soup = _soup(html if fragments is None else "".join(fragments))
    try:
        if fragments is None:
            markdown, chars = _extract_from(soup, rules, url)
        else:  # already cleaned and selected by lxml: convert the wrappers whole
            markdown, chars = _convert(_fragment_roots(soup), url)
    except RecursionError:  # the converter recurses once or twice per level of nesting
        raise ExtractError(
            "the page is nested too deeply to be converted (hundreds of levels of elements)",
            cause="too-deeply-nested",
        ) from None
    finally:
        soup.decompose()  # breaks the tree's reference cycles: freed now, not by a slow GC pass
    if chars < rules.min_text_chars:
        raise EmptyContentError(
            f"the selection ({', '.join(rules.select)}) holds {chars} characters of text, "
            f"fewer than the {rules.min_text_chars} expected"
        )
    return normalise_version(markdown, rules, base_url=url)


def _extract_from(soup: BeautifulSoup, rules: ExtractRules, url: str) -> tuple[str, int]:
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
    return _convert(roots, url)


def _convert(roots: list[Tag], url: str) -> tuple[str, int]:
    converter = _Converter(url)
    markdown = converter.convert(roots)
    return markdown, converter.text_length()


def _fragment_roots(soup: BeautifulSoup) -> list[Tag]:
    """The wrappers :func:`_preselect` put around each selected element, in order."""
    parent = soup.body or soup
    return [
        child
        for child in parent.children
        if isinstance(child, Tag) and child.name == "div" and child.has_attr(_FRAGMENT_ATTRIBUTE)
    ]


def html_to_markdown(html: str, *, url: str) -> str:
    """Convert a whole HTML document (or fragment) to Markdown, without selection or cleaning.

    Useful for tests and for looking at what the converter does with a piece of markup.

    Args:
        html: the markup, already decoded.
        url: base URL for relative links.

    Returns:
        Markdown (not normalised) ending with one newline, or an empty string.
    """
    soup = _soup(html)
    return _Converter(url).convert([soup])


#: The wrapper of each fragment selected by lxml (see :func:`_preselect`).
_FRAGMENT_ATTRIBUTE = "data-policy-tracker-fragment"
#: The only attributes the converter looks at (see ``_Converter``).
_ATTRIBUTES_READ = frozenset({"href", "hidden", "aria-hidden", "colspan", "start"})
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


_ALL_ATTRIBUTES = lxml.etree.XPath("descendant-or-self::*/@*")


def _attribute_names(element: lxml.html.HtmlElement) -> set[str]:
    """The names of every attribute of an element and its descendants (one XPath in C)."""
    result = _ALL_ATTRIBUTES(element)
    return {str(getattr(a, "attrname", "")) for a in result} if isinstance(result, list) else set()


def _elements(result: object) -> list[lxml.html.HtmlElement]:
    """The elements of an XPath result (which may also hold strings or numbers)."""
    if not isinstance(result, list):
        return []
    return [e for e in result if isinstance(e, lxml.html.HtmlElement)]


def _preselect(html: str, rules: ExtractRules) -> list[str] | None:
    """Apply ``remove`` then ``select`` with lxml's C-speed XPath, before BeautifulSoup.

    Returns the HTML of each selected element (outermost only, in document order), each in a
    marker ``<div>`` so the converter sees exactly these elements; an empty list when nothing
    matched; None when a selector or the page is beyond this fast path (a selector that
    cssselect cannot translate, an element that only parses inside its parent, a page lxml
    refuses): then the whole page goes through BeautifulSoup and soupsieve as before. Both
    paths give the same Markdown; the fast one skips parsing and matching the page chrome.
    """
    remove = _xpath(rules.remove) if rules.remove else None
    wanted = [(s,) for s in rules.select] if rules.select_first else [rules.select]
    groups = [g for g in (_xpath(selectors) for selectors in wanted) if g is not None]
    if (rules.remove and remove is None) or len(groups) < len(wanted):
        return None
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
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
    for element in roots:  # the converter reads no other attribute: don't make bs4 parse them
        unread = _attribute_names(element) - _ATTRIBUTES_READ - {""}
        lxml.etree.strip_attributes(element, *unread)
    return [
        f"<div {_FRAGMENT_ATTRIBUTE}>"
        + lxml.html.tostring(e, encoding="unicode", with_tail=False)
        + "</div>"
        for e in roots
    ]


def _soup(html: str) -> BeautifulSoup:
    """Parse with lxml's HTML parser, also for XHTML pages (served as HTML by the platforms)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(html, "lxml")


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
    return body.decode(encoding or "utf-8", errors="replace")


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


def _is_text(node: PageElement) -> bool:
    # Comments, doctypes, processing instructions and the strings of script/style/template
    # are NavigableString subclasses too: only plain text (and CDATA) is text.
    return type(node) is NavigableString or type(node) is CData


def _escape_text(text: str) -> str:
    return _TEXT_ESCAPE.sub(lambda m: "\\" + m.group(0), text)


def _escape_line_start(line: str) -> str:
    match = _LINE_START.match(line)
    if match is None:
        return line
    if match.group(4) is not None:  # "1." or "1)" would start an ordered list
        end = match.end(4)
        return line[:end] + "\\" + line[end:]
    return "\\" + line


def _split_outer_space(text: str) -> tuple[str, str, str]:
    """Split ``text`` into leading spaces/breaks, the rest, and trailing spaces/breaks."""
    core = text.strip(" \n")
    if not core:
        return text, "", ""
    start = len(text) - len(text.lstrip(" \n"))
    return text[:start], core, text[start + len(core) :]


def _wrap(text: str, marker: str) -> str:
    lead, core, trail = _split_outer_space(text)
    if not core:
        return " " if text else ""
    return f"{lead}{marker}{core}{marker}{trail}"


class _Converter:
    """HTML elements to Markdown blocks. One instance per conversion (it counts the text)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._text: list[str] = []

    def convert(self, roots: Iterable[Tag]) -> str:
        blocks: list[_Block] = []
        for root in roots:
            if isinstance(root, BeautifulSoup):
                blocks.extend(self._blocks(root.children, in_cell=False))
            elif not self._invisible(root):
                blocks.extend(self._block(root, in_cell=False))
        text = "\n\n".join(block.text for block in blocks)
        return text + "\n" if text else ""

    def text_length(self) -> int:
        """Characters of visible text seen, with whitespace runs counted as one space."""
        return len(" ".join("".join(self._text).split()))

    # -- visibility -------------------------------------------------------------------------

    def _invisible(self, tag: Tag) -> bool:
        if tag.name in _SKIP:
            return True
        if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
            return not self._has_text(tag)
        return False

    def _has_text(self, tag: Tag) -> bool:
        return any(
            _is_text(node) and clean_text(str(node)).strip() and not _inside_skipped(node, tag)
            for node in tag.descendants
        )

    # -- blocks -----------------------------------------------------------------------------

    def _blocks(self, nodes: Iterable[PageElement], *, in_cell: bool) -> list[_Block]:
        """Blocks of a sequence of sibling nodes: runs of inline nodes become paragraphs."""
        blocks: list[_Block] = []
        run: list[PageElement] = []
        for node in nodes:
            if isinstance(node, Tag):
                if self._invisible(node):
                    continue
                if node.name in _BLOCK or (
                    node.name not in _FORMATTING and node.find(_BLOCK) is not None
                ):
                    blocks.extend(self._paragraphs(run, in_cell=in_cell))
                    run = []
                    blocks.extend(self._block(node, in_cell=in_cell))
                    continue
            elif not _is_text(node):
                continue
            run.append(node)
        blocks.extend(self._paragraphs(run, in_cell=in_cell))
        return blocks

    def _block(self, tag: Tag, *, in_cell: bool) -> list[_Block]:
        name = tag.name
        if name in _HEADINGS:
            return self._heading(tag, _HEADINGS[name], in_cell=in_cell)
        if name in _LISTS:
            return self._list(tag, in_cell=in_cell)
        if name == "table":
            return self._table(tag, in_cell=in_cell)
        if name == "blockquote":
            return self._blockquote(tag, in_cell=in_cell)
        if name == "pre":
            return self._pre(tag, in_cell=in_cell)
        if name == "hr":
            return [] if in_cell else [_Block("other", "---")]
        self._text.append(" ")
        return self._blocks(tag.children, in_cell=in_cell)

    def _paragraphs(self, run: Sequence[PageElement], *, in_cell: bool) -> list[_Block]:
        if not run:
            return []
        text = self._inline_seq(run, _Format())
        blocks = []
        for part in _PARAGRAPH_BREAK.split(text):
            lines = [_SPACES.sub(" ", line).strip() for line in part.split("\n")]
            lines = [_escape_line_start(line) for line in lines if line]
            if lines:
                joiner = "<br>" if in_cell else "\\\n"
                blocks.append(_Block("text", joiner.join(lines)))
        return blocks

    def _heading(self, tag: Tag, level: int, *, in_cell: bool) -> list[_Block]:
        text = self._one_line(self._inline_seq(list(tag.children), _Format()))
        if not text:
            return []
        if in_cell:
            return [_Block("text", _escape_line_start(text))]
        return [_Block("text", "#" * level + " " + text)]

    def _list(self, tag: Tag, *, in_cell: bool) -> list[_Block]:
        ordered = tag.name == "ol"
        number = _int_attr(tag, "start", 1)
        items: list[str] = []
        pending: list[PageElement] = []  # stray content between items
        for child in tag.children:
            if isinstance(child, Tag) and child.name == "li":
                if pending:
                    items.extend(b.text for b in self._blocks(pending, in_cell=in_cell))
                    pending = []
                if self._invisible(child):
                    continue
                blocks = self._blocks(child.children, in_cell=in_cell)
                marker = f"{number}." if ordered else "-"
                number += 1
                if blocks:
                    items.append(_list_item(marker, blocks))
            else:
                pending.append(child)
        if pending:
            items.extend(b.text for b in self._blocks(pending, in_cell=in_cell))
        if not items:
            return []
        tight = all("\n\n" not in item for item in items)
        return [_Block("list", ("\n" if tight else "\n\n").join(items))]

    def _blockquote(self, tag: Tag, *, in_cell: bool) -> list[_Block]:
        blocks = self._blocks(tag.children, in_cell=in_cell)
        if in_cell or not blocks:
            return blocks
        text = "\n\n".join(block.text for block in blocks)
        quoted = "\n".join("> " + line if line else ">" for line in text.split("\n"))
        return [_Block("other", quoted)]

    def _pre(self, tag: Tag, *, in_cell: bool) -> list[_Block]:
        raw = "".join(
            clean_text(str(node))
            for node in tag.descendants
            if _is_text(node) and not _inside_skipped(node, tag)
        )
        self._text.append(" " + raw + " ")
        if not raw.strip():
            return []
        if in_cell:
            return [_Block("text", _escape_text(" ".join(raw.split())))]
        fence = "```" if "```" not in raw else "~~~~"
        return [_Block("other", f"{fence}\n{raw.strip(chr(10))}\n{fence}")]

    # -- tables -----------------------------------------------------------------------------

    def _table(self, table: Tag, *, in_cell: bool) -> list[_Block]:
        head: list[Tag] = []
        body: list[Tag] = []
        foot: list[Tag] = []
        caption: list[_Block] = []
        for child in table.children:
            if not isinstance(child, Tag) or self._invisible(child):
                continue
            if child.name == "tr":
                body.append(child)
            elif child.name in ("thead", "tbody", "tfoot"):
                section = {"thead": head, "tbody": body, "tfoot": foot}[child.name]
                section.extend(
                    tr
                    for tr in child.children
                    if isinstance(tr, Tag) and tr.name == "tr" and not self._invisible(tr)
                )
            elif child.name == "caption":
                caption = self._blocks(child.children, in_cell=in_cell)
        rows: list[tuple[Tag, list[str]]] = []
        for tr in (*head, *body, *foot):
            cells = self._cells(tr)
            if cells:
                rows.append((tr, cells))
        if not rows or not any(any(cells) for _, cells in rows):
            return caption
        if in_cell:  # a table inside a cell: one line per row
            lines = [" ".join(c for c in cells if c) for _, cells in rows]
            return [*caption, _Block("text", "<br>".join(line for line in lines if line))]
        first_tr, first_cells = rows[0]
        header_is_first = bool(head) or all(
            cell.name == "th" for cell in first_tr.children if isinstance(cell, Tag)
        )
        width = max(len(cells) for _, cells in rows)
        header: list[str] = first_cells if header_is_first else []
        body_rows = [cells for _, cells in (rows[1:] if header_is_first else rows)]
        lines = [_row(header, width), "|" + "|".join([" --- "] * width) + "|"]
        lines.extend(_row(cells, width) for cells in body_rows)
        return [*caption, _Block("table", "\n".join(lines))]

    def _cells(self, tr: Tag) -> list[str]:
        cells: list[str] = []
        for cell in tr.children:
            if not isinstance(cell, Tag) or cell.name not in ("td", "th"):
                continue
            if self._invisible(cell):
                text = ""
            else:
                blocks = self._blocks(cell.children, in_cell=True)
                text = "<br><br>".join(block.text.replace("\n", "<br>") for block in blocks)
                text = re.sub(r"(?<!\\)\|", r"\\|", text)
            cells.append(text)
            cells.extend([""] * (min(_int_attr(cell, "colspan", 1), 64) - 1))
        return cells

    # -- inline -----------------------------------------------------------------------------

    def _one_line(self, text: str) -> str:
        return _SPACES.sub(" ", text.replace("\n", " ")).strip()

    def _inline_seq(self, nodes: Sequence[PageElement], fmt: _Format) -> str:
        """Inline Markdown of sibling nodes; ``\\n`` marks a line break."""
        out: list[str] = []
        for group in _merge_groups(nodes):
            if len(group) == 1:
                out.append(self._inline(group[0], fmt))
            else:  # adjacent <strong>s, <em>s or links to one target: render as one
                tags = [node for node in group if isinstance(node, Tag)]
                children = [child for tag in tags for child in tag.children]
                out.append(self._inline_tag(tags[0], children, fmt))
        return "".join(out)

    def _inline(self, node: PageElement, fmt: _Format) -> str:
        if isinstance(node, Tag):
            if self._invisible(node):
                return ""
            return self._inline_tag(node, list(node.children), fmt)
        if not _is_text(node):
            return ""
        text = _ASCII_SPACE.sub(" ", clean_text(str(node)))
        self._text.append(text)
        return _escape_text(text)

    def _inline_tag(self, tag: Tag, children: list[PageElement], fmt: _Format) -> str:
        name = tag.name
        if name == "br":
            self._text.append(" ")
            return "\n"
        if name == "a":
            return self._link(tag, children, fmt)
        if name in _CODE:
            return self._code(children)
        if name in _BOLD and not fmt.bold:
            inner = self._inline_seq(children, _replace(fmt, bold=True))
            return _wrap(inner, "**")
        if name in _ITALIC and not fmt.italic:
            inner = self._inline_seq(children, _replace(fmt, italic=True))
            return _wrap(inner, "*")
        if name in _STRIKE and not fmt.strike:
            inner = self._inline_seq(children, _replace(fmt, strike=True))
            return _wrap(inner, "~~")
        inner = self._inline_seq(children, fmt)
        if name in _BLOCK:  # a block inside an inline element: keep it on its own line
            self._text.append(" ")
            return "\n" + inner + "\n"
        return inner

    def _link(self, tag: Tag, children: list[PageElement], fmt: _Format) -> str:
        inner = self._inline_seq(children, _replace(fmt, link=True))
        lead, core, trail = _split_outer_space(inner.replace("\n", " "))
        if not core:
            return " " if inner else ""
        href = tag.get("href")
        target = href.strip() if isinstance(href, str) else ""
        if fmt.link or not target or target.lower().startswith(_UNSAFE_SCHEMES):
            return inner
        url = normalise_url(target, base_url=self.url)
        return f"{lead}[{_SPACES.sub(' ', core)}]({url}){trail}"

    def _code(self, children: list[PageElement]) -> str:
        parts: list[str] = []
        for child in children:
            if _is_text(child):
                parts.append(clean_text(str(child)))
            elif isinstance(child, Tag) and not self._invisible(child):
                parts.extend(clean_text(str(s)) for s in child.descendants if _is_text(s))
        text = _ASCII_SPACE.sub(" ", "".join(parts))
        self._text.append(text)
        lead, core, trail = _split_outer_space(text)
        if not core:
            return " " if text else ""
        fence = "``" if "`" in core else "`"
        pad = " " if core.startswith("`") or core.endswith("`") else ""
        return f"{lead}{fence}{pad}{core}{pad}{fence}{trail}"


def _replace(fmt: _Format, **changes: bool) -> _Format:
    values = {
        "bold": fmt.bold,
        "italic": fmt.italic,
        "strike": fmt.strike,
        "link": fmt.link,
    }
    values.update(changes)
    return _Format(**values)


def _merge_key(node: PageElement) -> tuple[str, str] | None:
    if not isinstance(node, Tag):
        return None
    if node.name in _BOLD:
        return ("bold", "")
    if node.name in _ITALIC:
        return ("italic", "")
    if node.name == "a":
        href = node.get("href")
        return ("a", href.strip()) if isinstance(href, str) and href.strip() else None
    return None


def _merge_groups(nodes: Sequence[PageElement]) -> Iterator[list[PageElement]]:
    group: list[PageElement] = []
    key: tuple[str, str] | None = None
    for node in nodes:
        if isinstance(node, NavigableString) and not _is_text(node):
            continue  # a comment between two <strong>s does not separate them
        node_key = _merge_key(node)
        if group and node_key is not None and node_key == key:
            group.append(node)
            continue
        if group:
            yield group
        group, key = [node], node_key
    if group:
        yield group


def _list_item(marker: str, blocks: Sequence[_Block]) -> str:
    indent = " " * (len(marker) + 1)
    text = blocks[0].text
    for block in blocks[1:]:
        text += ("\n" if block.kind == "list" else "\n\n") + block.text
    lines = text.split("\n")
    out = [f"{marker} {lines[0]}"]
    out.extend(indent + line if line else "" for line in lines[1:])
    return "\n".join(out)


def _row(cells: Sequence[str], width: int) -> str:
    padded = [*cells, *([""] * (width - len(cells)))]
    return "|" + "|".join(f" {cell} " if cell else " " for cell in padded) + "|"


def _int_attr(tag: Tag, name: str, default: int) -> int:
    value = tag.get(name)
    if isinstance(value, str):
        try:
            return max(int(value.strip()), 0) if name == "start" else max(int(value.strip()), 1)
        except ValueError:
            return default
    return default


def _inside_skipped(node: PageElement, top: Tag) -> bool:
    """True when ``node`` sits in a skipped element (script, svg ...) below ``top``."""
    parent = node.parent
    while parent is not None and parent is not top:
        if parent.name in _SKIP:
            return True
        parent = parent.parent
    return False
