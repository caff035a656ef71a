"""``tracker bot``: the subscriber bot, beside ``tracker run`` (see :mod:`tracker.bot`)."""

from __future__ import annotations

import click

from tracker.cli.common import Context, errors
from tracker.errors import ConfigError


@click.command()
@click.option(
    "--webhook-url",
    envvar="TRACKER_BOT_WEBHOOK_URL",
    metavar="URL",
    help="Receive updates on this public HTTPS URL instead of long polling "
    "[env TRACKER_BOT_WEBHOOK_URL].",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8443,
    show_default=True,
    envvar="PORT",
    help="With --webhook-url: the port to listen on [env PORT].",
)
@click.option(
    "--listen",
    default="0.0.0.0",  # noqa: S104 - a webhook listens for Telegram, usually behind a proxy
    show_default=True,
    help="With --webhook-url: the address to listen on.",
)
@click.option(
    "--poll-timeout",
    type=click.FloatRange(1, 50),
    default=10.0,
    show_default=True,
    help="Seconds a long poll waits for updates.",
)
@click.pass_obj
def bot(obj: Context, webhook_url: str | None, port: int, listen: str, poll_timeout: float) -> None:
    """Answer journalists on Telegram: /subscribe, /latest, /diff, /show, /search...

    Needs TELEGRAM_BOT_TOKEN (and TELEGRAM_API_BASE_URL for another Bot API server). Alerts
    for subscribers are queued in the outbox and sent by `tracker run` (or `tracker send`).
    """
    from tracker.archive.store import Archive
    from tracker.bot.answers import Answers
    from tracker.bot.app import BotShell, Webhook, run
    from tracker.bot.store import Subscribers
    from tracker.classify.taxonomy import lazy_taxonomy
    from tracker.state.store import State
    from tracker.timestamps import utc_now

    with errors():
        settings = obj.settings()
        telegram = settings.telegram
        if not telegram.token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set: the bot cannot reach Telegram")
        if webhook_url is not None and not webhook_url.startswith(("https://", "http://")):
            raise ConfigError(f"--webhook-url: {webhook_url!r} is not an http(s) URL")
        state = State(settings.db_url)
        try:
            answers = Answers(
                subscribers=Subscribers(state),
                archive=Archive(settings.archive_dir),
                documents=settings.documents,
                taxonomy=lazy_taxonomy(settings.taxonomy_path),
                bot=settings.bot,
                now=utc_now,
            )
            hook = (
                Webhook(webhook_url, listen, port, settings.bot.webhook_secret)
                if webhook_url
                else None
            )
            click.echo(
                "bot: answering on "
                + (f"the webhook {webhook_url} (port {port})" if hook else "long polling")
                + "; Ctrl-C stops it",
                err=True,
            )
            run(BotShell(answers, telegram), telegram, hook, poll_timeout=poll_timeout)
        finally:
            state.close()
