"""A Change for the terminal (``tracker diff``): coloured when the output is a terminal."""

from __future__ import annotations

from tracker.models import Change, ChangeKind, ClauseChange, DiffOp
from tracker.render import (
    clause_context,
    context_labels,
    display_text,
    label_marks,
    label_notes,
    section_label,
    shown_diff,
    summary_line,
)

_RESET = "\x1b[0m"
_RED = "\x1b[31;9m"  # red, struck through
_GREEN = "\x1b[32;4m"  # green, underlined
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color and text else text


def _inline(clause: ClauseChange, color: bool) -> str:
    diff = shown_diff(clause)
    if not diff:
        if clause.kind is ChangeKind.REMOVED:
            old = display_text(clause.old or "")
            return _paint(old, _RED, color) if color else f"[-{old}-]"
        text = display_text(clause.new or "")
        if clause.kind is ChangeKind.ADDED:
            return _paint(text, _GREEN, color) if color else f"{{+{text}+}}"
        return text
    parts = []
    for op, text in diff:
        if op is DiffOp.EQUAL:
            parts.append(text)
        elif op is DiffOp.DELETE:
            parts.append(_paint(text, _RED, color) if color else f"[-{text}-]")
        else:
            parts.append(_paint(text, _GREEN, color) if color else f"{{+{text}+}}")
    return "".join(parts)


def render_change_text(change: Change, *, title: str, color: bool) -> str:
    """Render one change for a terminal; without colour, wdiff-style ``[-del-]{+ins+}``."""
    lines = [
        _paint(f"{title} ({change.document})", _BOLD, color),
        f"{change.from_version} → {change.to_version}: {summary_line(change)}",
    ]
    section: tuple[str, ...] | None = None
    for clause in change.clauses:
        if clause.section != section:
            section = clause.section
            lines += ["", _paint(f"§ {section_label(section)}", _BOLD, color)]
        context = [clause.kind.value, clause.significance.value]
        context += clause_context(clause, row_chars=60)
        marks = label_marks(clause)
        if marks:
            context.append("labels: " + marks)
        reads = context_labels(clause)
        if reads:
            context.append("clause also reads: " + " ".join(reads))
        lines.append(_paint("  " + " · ".join(context), _DIM, color))
        lines.append("    " + _inline(clause, color).replace("\n", "\n    "))
        for note in label_notes(clause):
            if note.why:
                lines.append(_paint(f"    why {note.label}: {note.why[0]}", _DIM, color))
    return "\n".join(lines) + "\n"
