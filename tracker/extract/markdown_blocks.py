"""The Markdown both converters write: which elements are what, escaping, blocks, links, lists.

Shared by :mod:`tracker.extract.markdown_writer` (BeautifulSoup elements) and
:mod:`tracker.extract.markdown_lxml` (lxml elements, the extraction's fast path), and kept apart
from both so that the fast path never imports BeautifulSoup (nor soupsieve, which it imports):
a check whose selectors lxml handles starts without them. Pure, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tracker.extract.normalise import normalise_url

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


def collapse_spaces(text: str) -> str:
    """Runs of ASCII white space (``_ASCII_SPACE``) as one space; most texts have none."""
    if "  " in text or not text.isprintable():  # (a printable text has no \t\n\r\f)
        return _ASCII_SPACE.sub(" ", text)
    return text


def squeeze_spaces(text: str) -> str:
    """Runs of spaces (``_SPACES``) as one; most texts have none."""
    return _SPACES.sub(" ", text) if "  " in text else text


_TEXT_ESCAPE = re.compile(r"([\\`*_\[\]])|<(?=[A-Za-z/!?])")


_PARAGRAPH_BREAK = re.compile(r" *\n(?: *\n)+ *")


_LINE_START = re.compile(
    r"^(?:(#{1,6})(?=\s|$)|([>+-])(?=\s|$)|(=+|-+)\s*$|(\d{1,9})([.)])(?=\s|$))"
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


def _escape_text(text: str) -> str:
    return _TEXT_ESCAPE.sub(r"\\\g<0>", text)


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


def link_markdown(inner: str, href: object, *, inside_link: bool, base_url: str) -> str:
    """A link's converted content as ``[text](url)``, shared by both converters.

    The text alone when the link is nested in another, has no usable or a script target; a
    space (or nothing) when it has no text.
    """
    lead, core, trail = _split_outer_space(inner.replace("\n", " "))
    if not core:
        return " " if inner else ""
    target = href.strip() if isinstance(href, str) else ""
    if inside_link or not target or target.lower().startswith(_UNSAFE_SCHEMES):
        return inner
    url = normalise_url(target, base_url=base_url)
    return f"{lead}[{squeeze_spaces(core)}]({url}){trail}"


def _replace(fmt: _Format, **changes: bool) -> _Format:
    values = {
        "bold": fmt.bold,
        "italic": fmt.italic,
        "strike": fmt.strike,
        "link": fmt.link,
    }
    values.update(changes)
    return _Format(**values)


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
