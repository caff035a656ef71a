"""Renderers: a Change as an HTML page, Markdown, terminal text (pure functions, no I/O)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from tracker.classify.taxonomy import Group, Label
from tracker.models import (
    Change,
    ChangeKind,
    ClauseChange,
    DiffOp,
    LabelEvidence,
    Polarity,
    Rank,
    Significance,
)

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
    if change.rank is not None and change.rank is not Rank.OTHER:
        gained, lost = headline_labels(change)
        delta = [f"+{label}" for label in gained] + [f"-{label}" for label in lost]
        line += f"; {RANK_WORDS[change.rank]}" + (f" ({' '.join(delta)})" if delta else "")
    if change.flip_back_of:
        line += f" (flip-back to the version of {change.flip_back_of})"
    if change.unlabelled:
        line += f"; {change.unlabelled} clauses not labelled (too much changed text)"
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
    # Each pattern runs only when a character it needs is there (most clauses are plain).
    if "](" in text:
        for _ in range(2):  # a link inside a link's text
            text = _LINK.sub(lambda m: m.group(1), text)
    if "<" in text:
        text = _BREAKS.sub(lambda m: "\n\n" if m.group().lower().count("br") > 1 else "\n", text)
    if "*" in text or "_" in text:
        for _ in range(2):  # nested emphasis
            text = _EMPHASIS.sub(lambda m: m.group(2), text)
    return _ESCAPE.sub(r"\1", text) if "\\" in text else text


def shown_diff(clause: ClauseChange) -> tuple[tuple[DiffOp, str], ...]:
    """The diff to show a reader: over the displayed text, or over the Markdown when only link
    targets or markup changed (then the Markdown is what differs)."""
    from tracker.compare.worddiff import word_diff

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


# --------------------------------------------------------------------------- labels
#: What each rank means, for readers.
RANK_WORDS = {
    Rank.LEGAL_BASIS: "legal basis changed",
    Rank.SPECIAL_CATEGORY: "special category data",
    Rank.PURPOSE: "AI training or purpose",
    Rank.CONTROL: "opt-out, opt-in or consent control",
    Rank.DATA_CATEGORY: "data category gained or lost",
    Rank.OTHER: "other",
}


#: The label groups a summary line names for each rank (what makes it that rank, and above).
_HEADLINE_GROUPS = {
    Rank.LEGAL_BASIS: {Group.LEGAL_BASIS, Group.ART9, Group.CONTROL},
    Rank.SPECIAL_CATEGORY: {Group.ART9, Group.CONTROL},
    Rank.PURPOSE: {Group.PURPOSE_FLAG, Group.CONTROL},
    Rank.CONTROL: {Group.CONTROL},
    Rank.DATA_CATEGORY: {Group.DATA_CATEGORY},
}


def headline_labels(change: Change) -> tuple[list[str], list[str]]:
    """The gained and lost labels that make the change's rank (what a headline names)."""
    rank = change.rank
    if rank is None or rank is Rank.OTHER:
        return [], []
    return (
        [label for label in change.gained if headline_label(label, rank)],
        [label for label in change.lost if headline_label(label, rank)],
    )


def label_order(label: str) -> int:
    """Where a label stands in lists for readers: legal bases first, data categories last."""
    if label == Label.AI_TRAINING:
        return 2
    spec = _LABELS.get(label)
    if spec is None:
        return 9
    return {
        Group.LEGAL_BASIS: 0,
        Group.ART9: 1,
        Group.CONTROL: 3,
        Group.PURPOSE_FLAG: 4,
        Group.DATA_CATEGORY: 5,
    }.get(spec.group, 9)


def headline_label(label: str, rank: Rank) -> bool:
    """Whether a summary line of a change of this rank names the label."""
    if label == Label.AI_TRAINING:
        return rank >= Rank.PURPOSE
    return label in _LABELS and _LABELS[label].group in _HEADLINE_GROUPS.get(rank, set())


_LABELS = {label.value: label for label in Label}


@dataclass(frozen=True, slots=True)
class LabelNote:
    """One label of a changed clause as shown to readers.

    ``status`` is ``gained``, ``lost`` or ``kept``; ``why`` the evidence in words, e.g.
    ``"legitimate interests" (text, rule legitimate-interests.en)``.
    """

    label: str
    status: str
    why: tuple[str, ...]

    @property
    def mark(self) -> str:
        """The label as shown in lists: ``+consent`` gained, ``-consent`` lost, ``consent``."""
        return {"gained": "+", "lost": "-"}.get(self.status, "") + self.label


def _why(item: LabelEvidence) -> str:
    where = item.source.value if item.side == "new" else f"{item.source.value}, old text"
    return f"\u201c{item.matched}\u201d ({where}, rule {item.rule_id})"


def label_notes(clause: ClauseChange) -> list[LabelNote]:
    """The clause's labels (kept and gained, then lost), each once, with its evidence."""
    asserted = [e for e in clause.evidence if e.polarity is Polarity.ASSERTED and e.changed]
    notes = []
    for label in dict.fromkeys((*clause.labels, *clause.lost)):  # each label once
        status = "gained" if label in clause.gained else "lost" if label in clause.lost else "kept"
        side = "old" if status == "lost" else None
        why = tuple(
            _why(e) for e in asserted if e.label == label and (side is None or e.side == side)
        )
        notes.append(LabelNote(label, status, why))
    return notes


def negations(clause: ClauseChange) -> list[str]:
    """Labels the clause mentions only to deny, e.g. ``messages: “private messages” (negated)``."""
    kept = set(clause.labels) | set(clause.lost)
    return [
        f"{e.label}: \u201c{e.matched}\u201d (negated)"
        for e in clause.evidence
        if e.polarity is Polarity.NEGATED and e.label not in kept
    ]


def context_labels(clause: ClauseChange) -> list[str]:
    """The labels of the clause as it reads that the change is not about (context for readers)."""
    shown = set(clause.labels) | set(clause.lost)
    return [label for label in clause.context if label not in shown]


def label_marks(clause: ClauseChange) -> str:
    """Labels in one line: ``+gained -lost kept`` (plain text)."""
    return " ".join(note.mark for note in label_notes(clause))


def lead_order(clause: ClauseChange) -> tuple[int, bool, tuple[int, ...]]:
    """How a clause stands among those of a change, for readers: the lead comes first.

    By rank; then a banner announcing the update (the page's own summary of the change)
    before the clauses it sums up; then by the labels it gains or loses, in
    :func:`label_order` (a clause gaining a basis and AI training before one gaining the basis
    alone, one gaining AI training before one gaining automated processing).
    """
    from tracker.classify.classifier import announces_update  # (a change is being shown)

    touched = sorted(label_order(label) for label in {*clause.gained, *clause.lost})
    padded = tuple(touched[:4]) + (9,) * (4 - len(touched[:4]))
    text = clause.new if clause.new is not None else clause.old or ""
    return (-int(clause.rank or 0), not announces_update(text), padded)


def ranked(change: Change) -> list[tuple[int, ClauseChange]]:
    """(index, clause) of the substantive clauses that touch a label, the lead first."""
    found = [
        (index, clause)
        for index, clause in enumerate(change.clauses)
        if clause.significance is Significance.SUBSTANTIVE
        and clause.rank is not None
        and clause.rank is not Rank.OTHER
    ]
    return sorted(found, key=lambda item: lead_order(item[1]))
