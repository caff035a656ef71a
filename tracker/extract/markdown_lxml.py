"""Convert lxml elements to Markdown: the converter of the extraction fast path.

Stage: inside extraction (:mod:`tracker.extract.extractor`), after lxml has parsed the page and
applied its ``remove``/``select`` rules. Pure functions, no I/O.

This is :mod:`tracker.extract.markdown_writer`'s converter (``_Converter``, which the full path runs
over BeautifulSoup) written again over lxml's element/text/tail model, so that the fast path
does not have to serialise the selected elements and parse them again with BeautifulSoup
(most of its time). Both must give byte-identical Markdown and the same text length:
``tests/test_extract_paths.py`` checks it on every golden page and every real page of the
corpus. What the Markdown keeps and drops is documented in :mod:`tracker.extract.markdown_writer`.

How lxml's model maps onto BeautifulSoup's: the children of an element are its ``text``,
then each child element followed by its ``tail``. Comments and processing instructions are
dropped (the BeautifulSoup converter ignores them everywhere), their tails are kept. Text
inside ``rt``, ``rp``, ``script``, ``style`` and ``template`` is not text, as BeautifulSoup
gives it other string classes that the BeautifulSoup converter ignores.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeAlias

import lxml.etree

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

__all__ = ["convert_lxml_elements"]

Element: TypeAlias = lxml.etree._Element
#: A child as the converter sees it: an element, or a text node (a plain string).
Node: TypeAlias = "Element | str"

#: Elements whose strings BeautifulSoup does not make plain ``NavigableString``\\ s.
_STRING_CONTAINERS = ("rt", "rp", "script", "style", "template")


def convert_lxml_elements(roots: Sequence[Element], url: str) -> tuple[str, int]:
    """Convert the selected elements ``roots``, in order, to Markdown.

    Each root is converted as if it were alone in a ``<div>`` (its tail is not part of it),
    which is what the BeautifulSoup converter sees of the same selection.

    Args:
        roots: the selected elements, outermost only, in document order.
        url: base URL for relative links.

    Returns:
        The Markdown (not normalised) and the number of characters of visible text in it,
        whitespace runs counted as one space.
    """
    converter = _LxmlConverter(url, roots)
    markdown = converter.convert(roots)
    return markdown, converter.text_length()


class _LxmlConverter:
    """lxml elements to Markdown blocks; mirrors ``markdown_writer._Converter`` line by line."""

    def __init__(self, url: str, roots: Iterable[Element]) -> None:
        self.url = url
        self._text: list[str] = []
        # Elements whose own strings are not text (see the module docstring).
        self._opaque: set[Element] = set()
        for root in roots:
            if any(a.tag in _STRING_CONTAINERS for a in root.iterancestors()):
                self._opaque.update(root.iter())
                continue
            for container in root.iter(*_STRING_CONTAINERS):
                self._opaque.update(container.iter())

    def convert(self, roots: Iterable[Element]) -> str:
        blocks: list[_Block] = []
        for root in roots:  # as the body of a <div> wrapper: a block of its own
            self._text.append(" ")
            blocks.extend(self._blocks([root], in_cell=False))
        text = "\n\n".join(block.text for block in blocks)
        return text + "\n" if text else ""

    def text_length(self) -> int:
        """Characters of visible text seen, with whitespace runs counted as one space."""
        return len(" ".join("".join(self._text).split()))

    # -- the tree ---------------------------------------------------------------------------

    def _children(self, el: Element) -> list[Node]:
        """The element and text children of ``el``, in order (comments and PIs dropped)."""
        plain = el not in self._opaque
        out: list[Node] = []
        if plain and el.text:
            out.append(el.text)
        for child in el:
            if isinstance(child.tag, str):
                out.append(child)
            if plain and child.tail:
                out.append(child.tail)
        return out

    def _texts(self, top: Element, *, skip: bool) -> list[str]:
        """The text nodes below ``top``, in order; with ``skip``, not those in skipped ones."""
        out: list[str] = []
        stack: list[Node] = [top]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
                continue
            plain = item not in self._opaque
            if plain and item.text:
                out.append(item.text)
            pending: list[Node] = []
            for child in item:
                tag = child.tag
                if isinstance(tag, str) and not (skip and tag in _SKIP):
                    pending.append(child)
                if plain and child.tail:
                    pending.append(child.tail)
            stack.extend(reversed(pending))
        return out

    # -- visibility -------------------------------------------------------------------------

    def _invisible(self, el: Element) -> bool:
        if el.tag in _SKIP:
            return True
        if "hidden" in el.attrib or str(el.get("aria-hidden", "")).lower() == "true":
            return not self._has_text(el)
        return False

    def _has_text(self, el: Element) -> bool:
        return any(clean_text(text).strip() for text in self._texts(el, skip=True))

    # -- blocks -----------------------------------------------------------------------------

    def _blocks(self, nodes: Iterable[Node], *, in_cell: bool) -> list[_Block]:
        """Blocks of a sequence of sibling nodes: runs of inline nodes become paragraphs."""
        blocks: list[_Block] = []
        run: list[Node] = []
        for node in nodes:
            if not isinstance(node, str):
                if self._invisible(node):
                    continue
                tag = node.tag
                if tag in _BLOCK or (tag not in _FORMATTING and _has_block(node)):
                    blocks.extend(self._paragraphs(run, in_cell=in_cell))
                    run = []
                    blocks.extend(self._block(node, in_cell=in_cell))
                    continue
            run.append(node)
        blocks.extend(self._paragraphs(run, in_cell=in_cell))
        return blocks

    def _block(self, el: Element, *, in_cell: bool) -> list[_Block]:
        name = el.tag
        if name in _HEADINGS:
            return self._heading(el, _HEADINGS[str(name)], in_cell=in_cell)
        if name in _LISTS:
            return self._list(el, in_cell=in_cell)
        if name == "table":
            return self._table(el, in_cell=in_cell)
        if name == "blockquote":
            return self._blockquote(el, in_cell=in_cell)
        if name == "pre":
            return self._pre(el, in_cell=in_cell)
        if name == "hr":
            return [] if in_cell else [_Block("other", "---")]
        self._text.append(" ")
        return self._blocks(self._children(el), in_cell=in_cell)

    def _paragraphs(self, run: Sequence[Node], *, in_cell: bool) -> list[_Block]:
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

    def _heading(self, el: Element, level: int, *, in_cell: bool) -> list[_Block]:
        text = self._one_line(self._inline_seq(self._children(el), _Format()))
        if not text:
            return []
        if in_cell:
            return [_Block("text", _escape_line_start(text))]
        return [_Block("text", "#" * level + " " + text)]

    def _list(self, el: Element, *, in_cell: bool) -> list[_Block]:
        ordered = el.tag == "ol"
        number = _int_attr(el, "start", 1)
        items: list[str] = []
        pending: list[Node] = []  # stray content between items
        for child in self._children(el):
            if not isinstance(child, str) and child.tag == "li":
                if pending:
                    items.extend(b.text for b in self._blocks(pending, in_cell=in_cell))
                    pending = []
                if self._invisible(child):
                    continue
                blocks = self._blocks(self._children(child), in_cell=in_cell)
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

    def _blockquote(self, el: Element, *, in_cell: bool) -> list[_Block]:
        blocks = self._blocks(self._children(el), in_cell=in_cell)
        if in_cell or not blocks:
            return blocks
        text = "\n\n".join(block.text for block in blocks)
        quoted = "\n".join("> " + line if line else ">" for line in text.split("\n"))
        return [_Block("other", quoted)]

    def _pre(self, el: Element, *, in_cell: bool) -> list[_Block]:
        raw = "".join(clean_text(text) for text in self._texts(el, skip=True))
        self._text.append(" " + raw + " ")
        if not raw.strip():
            return []
        if in_cell:
            return [_Block("text", _escape_text(" ".join(raw.split())))]
        fence = "```" if "```" not in raw else "~~~~"
        return [_Block("other", f"{fence}\n{raw.strip(chr(10))}\n{fence}")]

    # -- tables -----------------------------------------------------------------------------

    def _table(self, table: Element, *, in_cell: bool) -> list[_Block]:
        head: list[Element] = []
        body: list[Element] = []
        foot: list[Element] = []
        caption: list[_Block] = []
        for child in _elements(table):
            if self._invisible(child):
                continue
            name = child.tag
            if name == "tr":
                body.append(child)
            elif name in ("thead", "tbody", "tfoot"):
                section = {"thead": head, "tbody": body, "tfoot": foot}[str(name)]
                section.extend(
                    tr for tr in _elements(child) if tr.tag == "tr" and not self._invisible(tr)
                )
            elif name == "caption":
                caption = self._blocks(self._children(child), in_cell=in_cell)
        rows: list[tuple[Element, list[str]]] = []
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
        header_is_first = bool(head) or all(cell.tag == "th" for cell in _elements(first_tr))
        width = max(len(cells) for _, cells in rows)
        header: list[str] = first_cells if header_is_first else []
        body_rows = [cells for _, cells in (rows[1:] if header_is_first else rows)]
        lines = [_row(header, width), "|" + "|".join([" --- "] * width) + "|"]
        lines.extend(_row(cells, width) for cells in body_rows)
        return [*caption, _Block("table", "\n".join(lines))]

    def _cells(self, tr: Element) -> list[str]:
        cells: list[str] = []
        for cell in _elements(tr):
            if cell.tag not in ("td", "th"):
                continue
            if self._invisible(cell):
                text = ""
            else:
                blocks = self._blocks(self._children(cell), in_cell=True)
                text = "<br><br>".join(block.text.replace("\n", "<br>") for block in blocks)
                text = re.sub(r"(?<!\\)\|", r"\\|", text)
            cells.append(text)
            cells.extend([""] * (min(_int_attr(cell, "colspan", 1), 64) - 1))
        return cells

    # -- inline -----------------------------------------------------------------------------

    def _one_line(self, text: str) -> str:
        return squeeze_spaces(text.replace("\n", " ")).strip()

    def _inline_seq(self, nodes: Sequence[Node], fmt: _Format) -> str:
        """Inline Markdown of sibling nodes; ``\\n`` marks a line break."""
        out: list[str] = []
        for group in _merge_groups(nodes):
            if len(group) == 1:
                out.append(self._inline(group[0], fmt))
            else:  # adjacent <strong>s, <em>s or links to one target: render as one
                tags = [node for node in group if not isinstance(node, str)]
                children = [child for tag in tags for child in self._children(tag)]
                out.append(self._inline_tag(tags[0], children, fmt))
        return "".join(out)

    def _inline(self, node: Node, fmt: _Format) -> str:
        if not isinstance(node, str):
            if self._invisible(node):
                return ""
            return self._inline_tag(node, self._children(node), fmt)
        text = collapse_spaces(clean_text(node))
        self._text.append(text)
        return _escape_text(text)

    def _inline_tag(self, el: Element, children: list[Node], fmt: _Format) -> str:
        name = el.tag
        if name == "br":
            self._text.append(" ")
            return "\n"
        if name == "a":
            return self._link(el, children, fmt)
        if name in _CODE:
            return self._code(el, children)
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

    def _link(self, el: Element, children: list[Node], fmt: _Format) -> str:
        inner = self._inline_seq(children, _replace(fmt, link=True))
        return link_markdown(inner, el.get("href"), inside_link=fmt.link, base_url=self.url)

    def _code(self, el: Element, children: list[Node]) -> str:
        parts: list[str] = []
        for child in children:
            if isinstance(child, str):
                parts.append(clean_text(child))
            elif not self._invisible(child):
                parts.extend(clean_text(s) for s in self._texts(child, skip=False))
        text = collapse_spaces("".join(parts))
        self._text.append(text)
        lead, core, trail = _split_outer_space(text)
        if not core:
            return " " if text else ""
        fence = "``" if "`" in core else "`"
        pad = " " if core.startswith("`") or core.endswith("`") else ""
        return f"{lead}{fence}{pad}{core}{pad}{fence}{trail}"


def _elements(el: Element) -> Iterator[Element]:
    """The child elements of ``el`` (not comments or processing instructions)."""
    return (child for child in el if isinstance(child.tag, str))


def _has_block(el: Element) -> bool:
    """Whether a block element (of any kind, even a skipped one) is below ``el``."""
    return next(el.iterdescendants(*_BLOCK), None) is not None


def _merge_key(node: Node) -> tuple[str, str] | None:
    if isinstance(node, str):
        return None
    name = node.tag
    if name in _BOLD:
        return ("bold", "")
    if name in _ITALIC:
        return ("italic", "")
    if name == "a":
        href = node.get("href")
        return ("a", href.strip()) if isinstance(href, str) and href.strip() else None
    return None


def _merge_groups(nodes: Sequence[Node]) -> Iterator[list[Node]]:
    group: list[Node] = []
    key: tuple[str, str] | None = None
    for node in nodes:
        node_key = _merge_key(node)
        if group and node_key is not None and node_key == key:
            group.append(node)
            continue
        if group:
            yield group
        group, key = [node], node_key
    if group:
        yield group


def _int_attr(el: Element, name: str, default: int) -> int:
    value = el.get(name)
    if isinstance(value, str):
        try:
            return max(int(value.strip()), 0) if name == "start" else max(int(value.strip()), 1)
        except ValueError:
            return default
    return default
