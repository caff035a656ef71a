"""A Change as Markdown (``changes/<ts>.md``): readable on GitHub and in any text editor.

Deletions are shown as ``~~struck~~`` and insertions as ``**bold**`` inside each changed
clause, grouped by section. Page text is escaped so that it cannot break the report's markup.
"""

from __future__ import annotations

import re

from tracker.models import Change, ChangeKind, ClauseChange, DiffOp
from tracker.render import (
    RANK_WORDS,
    context_labels,
    label_notes,
    ranked,
    section_label,
    summary_line,
)

_SPECIAL = re.compile(r"([\\`*_~\[\]<>|])")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def _inline(clause: ClauseChange) -> str:
    if not clause.diff:
        text = clause.new if clause.new is not None else clause.old
        return _escape(text or "")
    parts = []
    for op, text in clause.diff:
        if not text.strip():
            parts.append(" " if text else "")
        elif op is DiffOp.EQUAL:
            parts.append(_escape(text))
        elif op is DiffOp.DELETE:
            parts.append(f"~~{_escape(text.strip())}~~" + (" " if text.endswith(" ") else ""))
        else:
            parts.append(f"**{_escape(text.strip())}**" + (" " if text.endswith(" ") else ""))
    return "".join(parts)


def _clause(clause: ClauseChange) -> list[str]:
    head = f"- **{clause.kind.value}** ({clause.significance.value})"
    if clause.column:
        head += f", column *{_escape(clause.column)}*"
    if clause.row:
        head += f", row *{_escape(clause.row[:80])}*"
    if clause.old_section is not None and clause.old_section != clause.section:
        head += f", moved from *{_escape(section_label(clause.old_section))}*"
    notes = label_notes(clause)
    if notes:
        head += ", labels: " + ", ".join(f"`{n.mark}`" for n in notes)
    reads = context_labels(clause)
    if reads:
        head += ", clause also reads: " + ", ".join(f"`{label}`" for label in reads)
    lines = [head]
    if clause.kind is ChangeKind.REMOVED:
        lines.append(f"  - before: ~~{_escape(clause.old or '')}~~")
    elif clause.kind is ChangeKind.ADDED:
        lines.append(f"  - after: **{_escape(clause.new or '')}**")
    else:
        lines.append(f"  - {_inline(clause)}")
    lines += [f"  - why `{n.label}`: {_escape('; '.join(n.why))}" for n in notes if n.why]
    return lines


def render_change_markdown(change: Change, *, title: str, source_url: str) -> str:
    """Render one change as a Markdown report."""
    lines = [
        f"# {title}: change of {change.to_version}",
        "",
        f"- Document: `{change.document}` ({source_url})",
        f"- From version `{change.from_version}` to `{change.to_version}` (UTC)",
        f"- Significance: **{summary_line(change)}**",
    ]
    if change.labels:
        lines.append("- Labels: " + ", ".join(f"`{label}`" for label in change.labels))
    first = ranked(change)
    if first:
        lines.append("- What matters first:")
        for _, clause in first[:8]:
            words = RANK_WORDS[clause.rank] if clause.rank is not None else ""
            marks = " ".join(f"`{n.mark}`" for n in label_notes(clause))
            lines.append(f"  - {words}: *{_escape(section_label(clause.section))}* {marks}")
    lines.append("")
    section: tuple[str, ...] | None = None
    for clause in change.clauses:
        if clause.section != section:
            section = clause.section
            lines += ["", f"## {_escape(section_label(section))}", ""]
        lines += _clause(clause)
    if not change.clauses:
        lines.append("No clause changed.")
    return "\n".join(lines).rstrip("\n") + "\n"
