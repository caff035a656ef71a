"""``tracker status [--json]``: the status of every document, the outbox and the remote.

:mod:`tracker.ops.status` gathers; this module renders an aligned table (or the ``--json``
document) and exits 1 when something needs a maintainer.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from tracker.cli.common import EXIT_INACCESSIBLE, Context, errors
from tracker.timestamps import from_iso, utc_now

if TYPE_CHECKING:  # imported by the command itself: other commands do without them
    from tracker.ops.status import Status


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """Show each document's last check, failures, latest version and next run; the outbox
    backlog; the last push. Exit 1 when something needs a maintainer."""
    from tracker.archive.store import Archive
    from tracker.ops.status import gather, to_json
    from tracker.state.store import State

    with errors():
        settings = obj.settings()
        state = State(settings.db_url)
        try:
            found = gather(settings, state, Archive(settings.archive_dir), utc_now())
        finally:
            state.close()
    if as_json:
        click.echo(json.dumps(to_json(found), indent=2, ensure_ascii=False))
    else:
        for line in render_text(found):
            click.secho(line, fg="red" if line.startswith("needs a maintainer") else None)
    if found.needs_attention:
        sys.exit(EXIT_INACCESSIBLE)


def table(rows: list[list[str]]) -> list[str]:
    """Rows of cells as aligned columns (two spaces apart, the last one unpadded)."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def render_text(status: Status) -> list[str]:
    """The human status: a table of documents, the outbox, the remote, then the problems."""
    rows = [
        ["DOCUMENT", "LAST CHECK", "OUTCOME", "LAST SUCCESS", "FAILING SINCE", "VERSION", "NEXT"]
    ]
    for doc in status.documents:
        check = doc.last_check
        outcome = "-"
        if check is not None:
            outcome = check.outcome + (f" ({check.cause})" if check.cause else "")
        failing = "-"
        if doc.failing is not None:
            failing = (
                f"{_short(doc.failing.since)} {doc.failing.cause} ({doc.failing.count} in a row)"
            )
        rows.append(
            [
                doc.document + (" !" if doc.needs_attention else ""),
                _short(check.at if check else None),
                outcome,
                _short(doc.last_success_at),
                failing,
                doc.latest_version or "-",
                _short(doc.next_run),
            ]
        )
    lines = table(rows)
    lines.append("")
    if status.outbox:
        backlog = [["CHANNEL", "PENDING", "HELD", "FAILED", "OLDEST PENDING"]]
        for c in status.outbox:
            backlog.append(
                [
                    c.channel + (" !" if c.stuck or c.failed else ""),
                    str(c.pending),
                    str(c.held),
                    str(c.failed),
                    _short(c.oldest_pending_at),
                ]
            )
        lines += table(backlog)
    else:
        lines.append("outbox: empty")
    remote = status.remote
    if not remote.configured:
        lines.append("remote: not configured")
    else:
        lines.append(
            f"remote {remote.url}: last push {_short(remote.last_attempt)}, last success "
            f"{_short(remote.last_success)}, {remote.failures} failures in a row"
            + (f": {remote.last_error}" if remote.last_error else "")
        )
    lines.append("")
    if status.problems:
        lines.append(f"needs a maintainer ({len(status.problems)}):")
        lines += [f"  {problem}" for problem in status.problems]
    else:
        lines.append("all well")
    return lines


def _short(iso: str | None) -> str:
    """``2026-12-07 06:15Z`` for an ISO time, ``-`` for none."""
    if not iso:
        return "-"
    return from_iso(iso).strftime("%Y-%m-%d %H:%MZ")
