"""Convert HTML elements to Markdown: the small converter of the extraction stage.

Stage: inside extraction (:mod:`tracker.extract.extractor`), after the page is decoded, parsed and
its ``remove``/``select`` rules applied. Pure functions, no I/O. The converter is ours (no
third-party converter), so the output only changes when we change it; bump
``EXTRACTOR_VERSION`` when it does.

Inputs: parsed BeautifulSoup elements (or, for :func:`html_to_markdown`, decoded HTML) and the
page's URL, to make links absolute. The extraction fast path runs the same converter over lxml
elements, :mod:`tracker.extract.markdown_lxml`: a change here must be made there too. Output:
Markdown, not yet normalised, and (for :func:`convert_elements`) the number of characters of
visible text it holds.

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

import re
import warnings
from collections.abc import Iterable, Iterator, Sequence

from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning
from bs4.element import CData, NavigableString, PageElement

from tracker.extract.markdown_blocks import (
    _BLOCK,
    _BOLD,
    _CODE,
    _FORMATTING,
    _HEADINGS,
    _ITALIC,
    _LISTS,
    _PARAGRAPH_BREAK,
    _SKIP,
    _STRIKE,
    _Block,
    _escape_line_start,
    _escape_text,
    _Format,
    _list_item,
    _replace,
    _row,
    _split_outer_space,
    _wrap,
    collapse_spaces,
    link_markdown,
    squeeze_spaces,
)
from tracker.extract.normalise import clean_text

__all__ = ["convert_elements", "html_to_markdown", "parse_html"]


def parse_html(html: str) -> BeautifulSoup:
    """Parse with lxml's HTML parser, also for XHTML pages (served as HTML by the platforms).

    ``huge_tree``: libxml2 neither stops at 256 levels of nesting nor cuts a text node over
    10 MB (:mod:`tracker.extract.truncation` checks that nothing else was cut).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(html, "lxml", huge_tree=True)


def convert_elements(roots: list[Tag], url: str) -> tuple[str, int]:
    """Convert ``roots``, in order, to Markdown.

    Returns:
        The Markdown (not normalised) and the number of characters of visible text in it,
        whitespace runs counted as one space.
    """
    converter = _Converter(url)
    markdown = converter.convert(roots)
    return markdown, converter.text_length()


def html_to_markdown(html: str, *, url: str) -> str:
    """Convert a whole HTML document (or fragment) to Markdown, without selection or cleaning.

    Useful for tests and for looking at what the converter does with a piece of markup.

    Args:
        html: the markup, already decoded.
        url: base URL for relative links.

    Returns:
        Markdown (not normalised) ending with one newline, or an empty string.
    """
    soup = parse_html(html)
    return _Converter(url).convert([soup])


def _is_text(node: PageElement) -> bool:
    # Comments, doctypes, processing instructions and the strings of script/style/template
    # are NavigableString subclasses too: only plain text (and CDATA) is text.
    return type(node) is NavigableString or type(node) is CData


class _Converter:
    """HTML elements to Markdown blocks. One instance per conversion (it counts the text).

    Mirrored over lxml by ``tracker.extract.markdown_lxml._LxmlConverter``: change both together.
    """

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
            lines = [squeeze_spaces(line).strip() for line in part.split("\n")]
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
        return squeeze_spaces(text.replace("\n", " ")).strip()

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
        text = collapse_spaces(clean_text(str(node)))
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
        return link_markdown(inner, tag.get("href"), inside_link=fmt.link, base_url=self.url)

    def _code(self, children: list[PageElement]) -> str:
        parts: list[str] = []
        for child in children:
            if _is_text(child):
                parts.append(clean_text(str(child)))
            elif isinstance(child, Tag) and not self._invisible(child):
                parts.extend(clean_text(str(s)) for s in child.descendants if _is_text(s))
        text = collapse_spaces("".join(parts))
        self._text.append(text)
        lead, core, trail = _split_outer_space(text)
        if not core:
            return " " if text else ""
        fence = "``" if "`" in core else "`"
        pad = " " if core.startswith("`") or core.endswith("`") else ""
        return f"{lead}{fence}{pad}{core}{pad}{fence}{trail}"


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
