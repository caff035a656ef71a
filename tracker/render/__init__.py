"""Renderers: a Change as an HTML page, Markdown, terminal text (pure functions, no I/O)."""

from __future__ import annotations

from collections import Counter

from tracker.models import Change, ChangeKind

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
