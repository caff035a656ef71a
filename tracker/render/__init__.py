"""Renderers: a Change as an HTML page, Markdown, terminal text (pure functions, no I/O)."""

from __future__ import annotations

import re
from collections import Counter

from tracker.models import Change, ChangeKind, ClauseChange, DiffOp

#: Between the headings of a section path (a single right-pointing angle quotation mark).
SECTION_SEPARATOR = " \u203a "

KIND_ORDER = (
    ChangeKind.MODIFIED,
    ChangeKind.ADDED,
    ChangeKind.REMOVED,
    ChangeKind.MOVED,
    ChangeKind.SPLIT,
    ChangeKind.MERGED,
)


def counts(change: Change) -> dict[str, int]:
    """How many clauses changed in each way, in a fixed order, zero counts left out."""
    counted = Counter(c.kind for c in change.clauses)
    return {kind.value: counted[kind] for kind in KIND_ORDER if counted[kind]}


def summary_line(change: Change) -> str:
    """One line: significance and counts, e.g. ``substantive: 3 modified, 2 added``."""
    parts = ", ".join(f"{n} {kind}" for kind, n in counts(change).items()) or "no clause changed"
    line = f"{change.significance.value}: {parts}"
    if change.flip_back_of:
        line += f" (flip-back to the version of {change.flip_back_of})"
    return line


def section_label(section: tuple[str, ...]) -> str:
    """A heading path as one line, outermost first (``(top of the document)`` when empty)."""
    return SECTION_SEPARATOR.join(section) if section else "(top of the document)"


_LINK = re.compile(r"!?\[((?:\\.|[^\[\]\\])*)\]\((?:<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)\)")
_BREAKS = re.compile(r"(?:<br\s*/?>)+", re.IGNORECASE)
_EMPHASIS = re.compile(r"(?<![\\\w])(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1(?!\w)")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def display_text(markdown: str) -> str:
    """Clause Markdown as a reader sees it: link texts without targets, line breaks, no ``**``.

    Used by the HTML page and the terminal, which show what the page says; the Markdown and
    JSON records keep the Markdown (link targets included).
    """
    text = markdown
    for _ in range(2):  # a link inside a link's text
        text = _LINK.sub(lambda m: m.group(1), text)
    text = _BREAKS.sub(lambda m: "\n\n" if m.group().lower().count("br") > 1 else "\n", text)
    for _ in range(2):  # nested emphasis
        text = _EMPHASIS.sub(lambda m: m.group(2), text)
    return _ESCAPE.sub(r"\1", text)


def shown_diff(clause: ClauseChange) -> tuple[tuple[DiffOp, str], ...]:
    """The diff to show a reader: over the displayed text, or over the Markdown when only link
    targets or markup changed (then the Markdown is what differs)."""
    from tracker.worddiff import word_diff

    if clause.old is None or clause.new is None or not clause.diff:
        return clause.diff
    old, new = display_text(clause.old), display_text(clause.new)
    return clause.diff if old == new else word_diff(old, new)


def clause_context(clause: ClauseChange, *, row_chars: int) -> list[str]:
    """Where a changed clause stands: its table row and column, and where it moved from."""
    context = []
    if clause.row:
        context.append(f"row: {clause.row[:row_chars]}")
    if clause.column:
        context.append(f"column: {clause.column}")
    if clause.old_section is not None and clause.old_section != clause.section:
        context.append(f"moved from: {section_label(clause.old_section)}")
    return context
