"""A Change as a self-contained HTML page: the lawyer's view of one change.

No JavaScript, no external resource (inline CSS), printable, every piece of page text escaped.
Summary first ("What matters first": the highest-ranked clauses, each with a short excerpt),
then the changed clauses grouped by section, each shown side by side (before | after) and
inline, deletions struck through in red and insertions underlined in green. A footer names the
two versions with their capture times and hashes.

Layout: nothing overflows sideways from 360 to 1,920 px (long words, URLs and hashes wrap
anywhere; the side-by-side columns may shrink, and stack below 40 rem; the versions table
scrolls inside its own box); printed, the page numbers stand in the bottom-right margin
(``@page`` margin boxes, which Chromium supports) and the footer stays on the last page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from tracker.models import Change, ChangeKind, ClauseChange, DiffOp, Rank
from tracker.render import (
    RANK_WORDS,
    clause_context,
    context_labels,
    counts,
    display_text,
    label_notes,
    negations,
    ranked,
    section_label,
    shown_diff,
    summary_line,
)

#: How many ranked clauses the summary lists.
_MATTERS = 8
#: The longest excerpt of a clause in "What matters first", in characters.
EXCERPT_CHARS = 160


@dataclass(frozen=True, slots=True)
class VersionFacts:
    """What the footer says of one of the two versions compared.

    Attributes:
        stamp: the version's stamp (``versions/<stamp>.md``).
        captured_at: when its snapshot was captured (ISO 8601, UTC).
        text_sha256: SHA-256 of its text.
        raw_sha256: SHA-256 of the raw snapshot it was extracted from (None if imported text).
    """

    stamp: str
    captured_at: str
    text_sha256: str
    raw_sha256: str | None = None


_CSS = """
:root { --ins: #d7f5dd; --ins-text: #0b5d1e; --del: #fde2e1; --del-text: #8c1c13; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24;
       max-width: 72rem; margin: 2rem auto; padding: 0 1rem; overflow-wrap: anywhere; }
pre, code { max-width: 100%; white-space: pre-wrap; overflow-wrap: anywhere; }
.scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: .2rem .5rem;
         border-top: 1px solid #d0d7de; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.15rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem;
     margin-top: 2rem; }
.meta { color: #57606a; margin: 0 0 1rem; }
.summary { border: 1px solid #d0d7de; border-radius: 6px; padding: .75rem 1rem;
           background: #f6f8fa; }
.significance { font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }
.significance.substantive { color: #8c1c13; } .significance.minor { color: #9a6700; }
.significance.cosmetic { color: #57606a; }
.clause { border: 1px solid #d0d7de; border-radius: 6px; margin: 1rem 0; break-inside: avoid; }
.clause header { background: #f6f8fa; padding: .4rem .75rem; border-bottom: 1px solid #d0d7de;
                 font-size: .9rem; display: flex; gap: .75rem; flex-wrap: wrap; }
.kind { font-weight: 700; text-transform: uppercase; font-size: .8rem; }
.context { color: #57606a; }
.sides { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
.sides > div { padding: .5rem .75rem; white-space: pre-wrap; overflow-wrap: anywhere;
               min-width: 0; }
.sides > div + div { border-left: 1px solid #d0d7de; }
.sides .label, .inline .label { display: block; font-size: .75rem; color: #57606a;
                                 text-transform: uppercase; }
.inline { padding: .5rem .75rem; border-top: 1px dashed #d0d7de; white-space: pre-wrap;
          overflow-wrap: anywhere; }
del { background: var(--del); color: var(--del-text); text-decoration: line-through; }
ins { background: var(--ins); color: var(--ins-text); text-decoration: underline; }
.labels code { background: #eef1f4; border-radius: 4px; padding: 0 .3rem; margin-right: .25rem; }
.labels code.gained { background: var(--ins); color: var(--ins-text); }
.labels code.lost { background: var(--del); color: var(--del-text); text-decoration: line-through; }
.evidence { padding: .25rem .75rem .5rem; border-top: 1px dashed #d0d7de; font-size: .85rem; }
.evidence summary { cursor: pointer; color: #57606a; }
.evidence ul { margin: .25rem 0; padding-left: 1.25rem; }
.rank { font-size: .8rem; color: #57606a; }
.matters li { margin: .2rem 0; }
.matters .excerpt { display: block; color: #57606a; font-size: .9rem; }
footer { margin-top: 2rem; color: #57606a; font-size: .85rem; }
footer td code { font-size: .8rem; }
@media (max-width: 40rem) {
  body { margin: 1rem auto; padding: 0 .5rem; }
  .sides { grid-template-columns: minmax(0, 1fr); }
  .sides > div + div { border-left: 0; border-top: 1px solid #d0d7de; }
}
@page { margin: 16mm 14mm 18mm;
        @bottom-right { content: "Page " counter(page) " of " counter(pages);
                        font: 9pt system-ui, sans-serif; color: #57606a; } }
@media print { body { margin: 0; max-width: none; font-size: 11pt; } .clause { border-color: #999; }
               del, ins { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
               .scroll { overflow: visible; } footer { break-inside: avoid; }
               a { color: inherit; } }
"""

_KIND_WORDS = {
    ChangeKind.MODIFIED: "modified",
    ChangeKind.ADDED: "added",
    ChangeKind.REMOVED: "removed",
    ChangeKind.MOVED: "moved",
    ChangeKind.SPLIT: "split",
    ChangeKind.MERGED: "merged",
}


def _diff_html(clause: ClauseChange, diff: tuple[tuple[DiffOp, str], ...], side: str) -> str:
    """The clause's text for one side (``old``, ``new`` or ``inline``) with marks."""
    if not diff:
        text = clause.old if side == "old" else clause.new
        if text is None:
            return "<em>(none)</em>"
        shown = escape(display_text(text))
        if clause.kind is ChangeKind.REMOVED:
            return f"<del>{shown}</del>"
        if clause.kind is ChangeKind.ADDED:
            return f"<ins>{shown}</ins>"
        return shown
    parts = []
    for op, text in diff:
        if op is DiffOp.EQUAL:
            parts.append(escape(text))
        elif op is DiffOp.DELETE and side in ("old", "inline"):
            parts.append(f"<del>{escape(text)}</del>")
        elif op is DiffOp.INSERT and side in ("new", "inline"):
            parts.append(f"<ins>{escape(text)}</ins>")
    return "".join(parts)


def _chips(clause: ClauseChange) -> str:
    titles = {"gained": "gained by this change", "lost": "lost by this change", "kept": ""}
    return "".join(
        f'<code class="{note.status}" title="{titles[note.status]}">{escape(note.mark)}</code>'
        for note in label_notes(clause)
    )


def _evidence_html(clause: ClauseChange) -> str:
    items = [
        f"<li><code>{escape(note.label)}</code> ({note.status}): "
        + ("; ".join(escape(why) for why in note.why) or "no evidence recorded")
        + "</li>"
        for note in label_notes(clause)
    ]
    items += [f"<li>{escape(line)}</li>" for line in negations(clause)]
    if not items:
        return ""
    rank = (
        f' <span class="rank">rank: {escape(RANK_WORDS[clause.rank])}</span>'
        if clause.rank is not None and clause.rank is not Rank.OTHER
        else ""
    )
    return (
        f'<details class="evidence"><summary>Why these labels{rank}</summary>'
        f"<ul>{''.join(items)}</ul></details>"
    )


def _clause_html(clause: ClauseChange, index: int) -> str:
    context = [escape(item) for item in clause_context(clause, row_chars=120)]
    labels = _chips(clause)
    reads = "".join(f"<code>{escape(label)}</code>" for label in context_labels(clause))
    if reads:
        labels += (
            f'<span class="context-labels" title="the clause as it reads">also: {reads}</span>'
        )
    header = (
        f'<span class="kind">{_KIND_WORDS[clause.kind]}</span>'
        f'<span class="significance {clause.significance.value}">{clause.significance.value}</span>'
        + "".join(f'<span class="context">{c}</span>' for c in context)
        + (f'<span class="labels">{labels}</span>' if labels else "")
    )
    diff = shown_diff(clause)
    body = (
        '<div class="sides">'
        f'<div><span class="label">Before</span>{_diff_html(clause, diff, "old")}</div>'
        f'<div><span class="label">After</span>{_diff_html(clause, diff, "new")}</div>'
        "</div>"
    )
    if diff:
        inline = _diff_html(clause, diff, "inline")
        body += f'<div class="inline"><span class="label">Inline</span>{inline}</div>'
    body += _evidence_html(clause)
    return f'<article class="clause" id="c{index}"><header>{header}</header>{body}</article>'


def excerpt(clause: ClauseChange, limit: int = EXCERPT_CHARS) -> str:
    """The start of a clause as a reader sees it (its new text; the old one when removed),
    cut at a space before ``limit`` characters (plain text: the caller escapes it)."""
    text = " ".join(
        display_text(clause.new if clause.new is not None else clause.old or "").split()
    )
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"


def _footer(change: Change, versions: Sequence[VersionFacts]) -> str:
    rows = "".join(
        f"<tr><th>{role}</th><td><code>versions/{escape(v.stamp)}.md</code></td>"
        f"<td>{escape(v.captured_at)}</td><td><code>{escape(v.text_sha256)}</code></td>"
        f"<td>{f'<code>{escape(v.raw_sha256)}</code>' if v.raw_sha256 else '—'}</td></tr>"
        for role, v in zip(("Before", "After"), versions, strict=False)
    )
    table = (
        '<div class="scroll"><table><thead><tr><th></th><th>Version</th><th>Captured (UTC)</th>'
        "<th>Text SHA-256</th><th>Snapshot SHA-256</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
        if rows
        else ""
    )
    return (
        "<footer>Generated by policy-tracker. Deletions are <del>struck through</del>, "
        "insertions <ins>underlined</ins>. The full texts are in "
        f"<code>versions/{escape(change.from_version)}.md</code> and "
        f"<code>versions/{escape(change.to_version)}.md</code> (times UTC).{table}</footer>"
    )


def render_change_page(
    change: Change,
    *,
    title: str,
    source_url: str,
    versions: Sequence[VersionFacts] = (),
) -> str:
    """Render one change as a complete, self-contained HTML document.

    ``versions``: the facts of the older and the newer version, for the footer (capture time,
    text and snapshot hashes); without them the footer names the two version files only.
    """
    grouped: dict[tuple[str, ...], list[tuple[int, ClauseChange]]] = {}
    for index, clause in enumerate(change.clauses):
        grouped.setdefault(clause.section, []).append((index, clause))
    count_items = "".join(f"<li>{n} {escape(kind)}</li>" for kind, n in counts(change).items())
    labels = "".join(f"<code>{escape(label)}</code>" for label in change.labels)
    matters = "".join(
        f'<li><a href="#c{index}">{escape(RANK_WORDS[clause.rank or Rank.OTHER])}</a> · '
        f"{escape(section_label(clause.section))} · "
        f'<span class="labels">{_chips(clause)}</span>'
        f'<span class="excerpt">{escape(excerpt(clause))}</span></li>'
        for index, clause in ranked(change)[:_MATTERS]
    )
    more = len(ranked(change)) - _MATTERS
    sections = "".join(
        f"<section><h2>{escape(section_label(section))}</h2>"
        + "".join(_clause_html(c, i) for i, c in clauses)
        + "</section>"
        for section, clauses in grouped.items()
    )
    flip = (
        f"<p>This version is identical to the earlier version of {escape(change.flip_back_of)}: "
        "the page flipped back between variants. It is archived, not announced.</p>"
        if change.flip_back_of
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}: change of {escape(change.to_version)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">Document <code>{escape(change.document)}</code> · version
{escape(change.from_version)} → {escape(change.to_version)} (UTC) ·
source <a href="{escape(source_url, quote=True)}">{escape(source_url)}</a></p>
<div class="summary">
<p><span class="significance {change.significance.value}">{change.significance.value}</span>
— {escape(summary_line(change))}</p>
<ul>{count_items}</ul>
{f'<p class="labels">Labels: {labels}</p>' if labels else ""}
{f'<p><strong>What matters first</strong></p><ol class="matters">{matters}</ol>' if matters else ""}
{f"<p>and {more} more labelled clauses below.</p>" if more > 0 else ""}
{flip}
</div>
{sections or "<p>No clause changed.</p>"}
{_footer(change, versions)}
</body>
</html>
"""
