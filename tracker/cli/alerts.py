"""The Telegram commands: ``tracker send`` and ``tracker outbox``, and the helpers ``check``,
``run`` and ``validate --telegram`` use (the delivery policy is in :mod:`tracker.notify.delivery`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracker import config
from tracker.cli.common import EXIT_INACCESSIBLE, Context, errors
from tracker.errors import ConfigError
from tracker.timestamps import to_stamp

if TYPE_CHECKING:
    from tracker.notify.delivery import Report
    from tracker.pipeline import Deps


def send_alerts_now(
    settings: config.Settings, deps: Deps, *, everything: bool = False
) -> Report | None:
    """Drain the outbox now and print one line about it (when a token is set)."""
    from tracker.runtime import send_alerts

    report = send_alerts(settings, deps, click.echo, everything=everything)
    if report is not None and settings.telegram.token:
        color = "red" if report.failed or report.stopped else None
        click.secho(f"telegram: {report.line()}", fg=color)
    return report


@click.command()
@click.option(
    "--all", "everything", is_flag=True, help="Without a token, print every pending message."
)
@click.pass_obj
def send(obj: Context, everything: bool) -> None:
    """Send the pending alerts to Telegram (print them when TELEGRAM_BOT_TOKEN is unset).

    Exits with 1 when Telegram could not be used or failed messages wait in the outbox.
    """
    from tracker.runtime import build_deps, publish

    with errors():
        settings = obj.settings()
        with build_deps(settings, lock_wait=obj.lock_wait()) as deps:
            report = send_alerts_now(settings, deps, everything=everything)
            failed = deps.alerts.outbox.counts().get("failed", 0) if deps.alerts else 0
            for line in publish(deps):  # the delivery marks, to the archive and its remote
                click.echo(line)
    if failed:
        click.secho(
            f"{failed} failed messages wait in the outbox: see `tracker outbox`", fg="red", err=True
        )
    if failed or (report is not None and report.stopped):
        sys.exit(EXIT_INACCESSIBLE)


@click.command()
@click.option("--all", "everything", is_flag=True, help="Also list sent and cancelled messages.")
@click.option(
    "--retry",
    "retry_ids",
    multiple=True,
    type=int,
    metavar="ID",
    help="Put this failed or unconfirmed message back in the queue (repeatable).",
)
@click.option("--retry-failed", is_flag=True, help="Put every failed message back in the queue.")
@click.option(
    "--cancel",
    "cancel_ids",
    multiple=True,
    type=int,
    metavar="ID",
    help="Drop this pending, held or failed message (repeatable).",
)
@click.option("--show", "show_id", type=int, metavar="ID", help="Print one message in full.")
@click.option(
    "--preview",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Write an HTML page showing the listed messages as Telegram shows them.",
)
@click.pass_obj
def outbox(
    obj: Context,
    everything: bool,
    retry_ids: tuple[int, ...],
    retry_failed: bool,
    cancel_ids: tuple[int, ...],
    show_id: int | None,
    preview: Path | None,
) -> None:
    """List the Telegram outbox (pending, held, failed, unconfirmed); retry or drop messages."""
    from tracker.notify.delivery import plain_text
    from tracker.notify.outbox import Outbox, Status
    from tracker.state.store import State
    from tracker.timestamps import utc_now

    with errors():
        settings = obj.settings()
        state = State(settings.db_url)
        try:
            box = Outbox(state, utc_now())
            if retry_ids or retry_failed:
                n = box.retry(None if retry_failed else list(retry_ids))
                click.echo(f"{n} failed messages queued again; `tracker send` sends them")
            if cancel_ids:
                click.echo(f"{box.cancel(list(cancel_ids))} messages cancelled")
            if show_id is not None:
                row = box.get(show_id)
                if row is None:
                    raise ConfigError(f"no outbox message {show_id}")
                click.echo(
                    f"#{row.id} {row.status} {row.channel} ({row.chat_id}) {row.message.role}"
                )
                click.echo(plain_text(row.message.html))
                return
            shown = (
                None
                if everything
                else [Status.PENDING, Status.HELD, Status.FAILED, Status.UNCONFIRMED]
            )
            rows = box.rows(shown)
            counts = box.counts()
        finally:
            state.close()
    if preview is not None:
        from tracker.render.preview import Bubble, render_preview

        bubbles = [Bubble(f"{row.channel} ({row.chat_id})", row.message) for row in rows]
        preview.write_text(render_preview("policy-tracker outbox", bubbles), encoding="utf-8")
        click.echo(f"preview of {len(bubbles)} messages written to {preview}")
    summary = ", ".join(f"{n} {status}" for status, n in counts.items()) or "empty"
    click.echo(f"outbox: {summary}")
    for row in rows:
        when = to_stamp(row.created_at)
        line = (
            f"  #{row.id:<5} {row.status:<9} {row.channel:<16} {row.message.role:<11} "
            f"{row.alert_key} (queued {when}, {row.attempts} tries)"
        )
        if row.last_error:
            line += f": {row.last_error}"
        color = {"failed": "red", "unconfirmed": "red", "held": "cyan"}.get(row.status)
        click.secho(line, fg=color)


def check_telegram(settings: config.Settings) -> None:
    """``validate --telegram``: ask Telegram about each channel; exit 1 unless all may post."""
    from tracker.notify.delivery import check_chats

    if not settings.telegram.token:
        click.secho("cannot ask Telegram: TELEGRAM_BOT_TOKEN is not set", fg="red", err=True)
        sys.exit(EXIT_INACCESSIBLE)
    chats = list(dict.fromkeys(c.chat_id for c in settings.channels))
    if settings.telegram.maintainers_chat_id:
        chats.append(settings.telegram.maintainers_chat_id)
    results = check_chats(settings.telegram, chats)
    for result in results:
        mark, color = ("ok", "green") if result.ok else ("FAILED", "red")
        click.secho(f"  telegram {result.chat_id}: {mark}: {result.detail}", fg=color)
    if not all(result.ok for result in results):
        sys.exit(EXIT_INACCESSIBLE)
