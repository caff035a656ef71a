"""A version's Markdown as escaped HTML, as a reader sees it.

Headings, paragraphs, list items, block quotes and tables; link targets and emphasis marks are
dropped as on the change pages (:func:`tracker.render.display_text`), so every piece of text is
escaped and nothing from the page can become markup or a link. The archived Markdown, linked
from the version page, keeps everything.
"""

from __future__ import annotations

import re
from html import escape

from tracker.render import display_text

_BLOCKS = re.compile(r"\n[ \t]*\n")
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _inline(markdown: str) -> str:
    """One run of text: shown as the page reads, escaped, line breaks kept."""
    shown = display_text(markdown).strip()
    return "<br>".join(escape(line) for line in shown.split("\n"))


def _cells(line: str) -> list[str]:
    row = line.strip()
    row = row.removeprefix("|").removesuffix("|")
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row)]


def _table(lines: list[str]) -> str:
    rows = [ln for ln in lines if not _TABLE_RULE.match(ln)]
    head = _TABLE_RULE.match(lines[1]) is not None if len(lines) > 1 else False
    parts = []
    for index, line in enumerate(rows):
        tag = "th" if head and index == 0 else "td"
        parts.append(
            "<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in _cells(line)) + "</tr>"
        )
    return f'<div class="scroll"><table>{"".join(parts)}</table></div>'


def _list(lines: list[str]) -> str:
    items: list[str] = []
    for line in lines:
        if _ITEM.match(line) or not items:
            items.append(_ITEM.sub("", line, count=1))
        else:
            items[-1] += "\n" + line.strip()
    return "<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>"


def markdown_html(markdown: str, *, top: int = 2) -> str:
    """The Markdown as HTML; its headings start at level ``top`` (the page has the ``h1``)."""
    out: list[str] = []
    number = 0
    for block in _BLOCKS.split(markdown.strip("\n")):
        if not block.strip():
            continue
        lines = block.split("\n")
        first = lines[0].strip()
        atx = _ATX.match(first)
        if atx and len(lines) == 1:
            number += 1
            level = min(6, top - 1 + len(atx.group(1)))
            out.append(f'<h{level} id="s{number}">{_inline(atx.group(2))}</h{level}>')
            continue
        if len(lines) == 2 and _SETEXT.match(lines[1].strip()) and first:
            number += 1
            level = min(6, top if lines[1].strip()[0] == "=" else top + 1)
            out.append(f'<h{level} id="s{number}">{_inline(first)}</h{level}>')
            continue
        if _RULE.match(first) and len(lines) == 1:
            out.append("<hr>")
        elif first.startswith("|") and len(lines) > 1:
            out.append(_table(lines))
        elif _ITEM.match(lines[0]):
            out.append(_list(lines))
        elif first.startswith(">"):
            quoted = "\n".join(re.sub(r"^\s*>\s?", "", ln) for ln in lines)
            out.append(f"<blockquote><p>{_inline(quoted)}</p></blockquote>")
        else:
            out.append(f"<p>{_inline(block)}</p>")
    return "\n".join(out)
