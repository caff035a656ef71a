"""Queue alerts: a recorded change routed to its channels, digests, notices to the maintainers.

This is the step between the archive and Telegram. It reads the archive (the record is the
source of truth), renders messages (:mod:`tracker.render.telegram`) and writes them to the
outbox (:mod:`tracker.notify.outbox`) in one transaction per alert. :meth:`Alerts.queue_latest` is
the only way a change gets queued: after a check records a new version, and again before each check
of the document, so that a crash between the archive write and the outbox write is completed by
the next run (the alert key makes the second call a no-op when the first one went through).
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tracker.archive.store import Archive, StoredVersion
from tracker.bot.fanout import (
    chat_gone,
    chat_moved,
    label_groups,
    still_receiving,
    subscriber_items,
)
from tracker.bot.store import Subscribers
from tracker.changes import build_change
from tracker.cron import cron_trigger
from tracker.extract.effective_date import effective_date
from tracker.models import BotSettings, Change, Document, Outcome, TelegramSettings
from tracker.notify.channels import Channel, Delivery, route
from tracker.notify.outages import MAINTAINERS, Outages
from tracker.notify.outbox import Outbox, Queued, Row, amend_pending, insert_alert
from tracker.render.telegram import (
    Message,
    PostContext,
    digest_line,
    render_digest,
    render_fallback,
    render_notice,
    render_post,
)
from tracker.render.telegram_limits import fits
from tracker.render.words import word
from tracker.timestamps import from_iso, from_stamp, to_iso

if TYPE_CHECKING:
    from tracker.classify.taxonomy import TaxonomySource

log = logging.getLogger(__name__)

__all__ = ["MAINTAINERS", "Alerts"]


class Alerts:
    """Routes recorded changes and operational events into the outbox."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        archive: Archive,
        channels: Sequence[Channel],
        telegram: TelegramSettings,
        taxonomy: TaxonomySource,
        now: Callable[[], datetime],
        inaccessible_after: int = 3,
        gather_seconds: float = 0.0,
        delivered: Callable[[], frozenset[str]] = frozenset,
        bot: BotSettings | None = None,
    ) -> None:
        """Everything needed to decide, render and queue alerts.

        ``gather_seconds``: how long a new outage's notice waits for other documents to join
        it (:data:`tracker.notify.outages.GATHER_SECONDS` for ``tracker run``, 0 for a pass that
        sends at its end). ``delivered`` gives the keys of the alerts the archive says were
        delivered (:mod:`tracker.archive.deliveries`): never queued again, even by a fresh database.
        """
        self.outbox = outbox
        self.archive = archive
        self.channels = tuple(channels)
        self.telegram = telegram
        self.taxonomy = taxonomy
        self.now = now
        self.inaccessible_after = inaccessible_after
        self.outages = Outages(outbox, telegram.maintainers_chat_id, now, gather_seconds)
        self.delivered = delivered
        self.bot = bot or BotSettings()

    # ------------------------------------------------------------------ changes
    def queue_latest(self, document: Document, change: Change | None = None) -> str | None:
        """Queue the alert of the document's latest version, if it is due and not queued yet."""
        stamps = self.archive.version_stamps(document.id)
        return self.queue_version(document, stamps[-1], change) if stamps else None

    def queue_missing(self, document: Document) -> list[str]:
        """Queue the alert of every version captured since the outbox began that lacks one.

        A crash between a record and its alert, or an older crash already followed by newer
        records, leaves alerts unqueued: each is completed here, oldest first. Returns the
        stamps of the versions whose alert was queued.
        """
        queued = []
        for stamp in self.archive.version_stamps(document.id)[1:]:
            if from_stamp(stamp) < self.outbox.since.replace(microsecond=0):
                continue
            if self.queue_version(document, stamp) is not None:
                queued.append(stamp)
        return queued

    def queue_version(
        self, document: Document, stamp: str, change: Change | None = None
    ) -> str | None:
        """Queue the alert of one version, if it is due and not queued yet.

        Due means: a new version of a live capture (not an import, a first record or a
        technical upgrade) with its change record written, captured after the outbox began.
        ``change`` saves recomputing the comparison when the caller has it. Returns the key of
        the alert queued, if one was.
        """
        stamps = self.archive.version_stamps(document.id)
        if stamp not in stamps[1:] or stamp not in self.archive.change_stamps(document.id):
            return None
        key = f"change:{document.id}:{stamp}"
        if self.outbox.has_alert(key):  # the common case before every check: no file read
            return None
        if key in self.delivered():  # delivered before this database was lost
            return None
        current = self.archive.read_version(document.id, stamp)
        meta = current.meta
        if current.technical_upgrade or meta.get("origin", "capture") != "capture":
            return None
        detected = from_iso(str(meta.get("captured_at") or to_iso(self.now())))
        if detected < self.outbox.since:
            return None
        change, context = recorded_change(
            self.archive, document, current, self.taxonomy, detected=detected, change=change
        )
        items: list[Queued] = []
        for channel, how in route(self.channels, change):
            if how is Delivery.POST:
                for message in self._post(change, context, channel):
                    items.append(Queued(channel.name, channel.chat_id, message))
            else:
                held_until = self._next_digest(channel, detected)
                message = digest_line(change, context, channel)
                items.append(Queued(channel.name, channel.chat_id, message, held_until))
        subscribers = subscriber_items(
            Subscribers(self.outbox.state).receiving(),
            change,
            context,
            self._label_groups,
            self._subscriber_post,
            public_url=self.bot.public_url,
        )
        queued = self.outbox.enqueue(
            key,
            items,
            at=self.now(),
            document=document.id,
            version=current.timestamp,
            significance=change.significance.value,
            also=lambda db: still_receiving(db, subscribers),
        )
        if not queued:
            return None
        if items or subscribers:
            per_channel = Counter(item.channel for item in items)
            parts = [f"{n} messages to {name}" for name, n in per_channel.items()]
            if subscribers:
                chats = len({item.chat_id for item in subscribers})
                parts.append(f"{len(subscribers)} messages to {chats} subscribers of the bot")
            log.info("%s: alert %s queued: %s", document.id, current.timestamp, ", ".join(parts))
        return key

    def _post(
        self,
        change: Change,
        context: PostContext,
        channel: Channel,
        *,
        max_clauses: int | None = None,
    ) -> list[Message]:
        """The channel's post, or a plain fallback if rendering fails: the alert is never lost."""
        clauses = self.telegram.max_clauses if max_clauses is None else max_clauses
        try:
            return render_post(change, context, channel, max_clauses=clauses)
        except Exception:  # a renderer bug must not block the check or drop the alert
            log.exception(
                "%s: the Telegram post for %s could not be rendered; a plain one is queued",
                change.document,
                channel.name,
            )
            self.notify_maintainers(
                f"render-failed:{change.document}:{change.to_version}",
                f"⚠️ the Telegram post of {change.document} {change.to_version} could not be "
                "rendered; a plain summary was queued instead (see the worker's log)",
            )
            return render_fallback(change, context, channel)

    def _subscriber_post(
        self, change: Change, context: PostContext, channel: Channel
    ) -> list[Message]:
        """A subscriber's post: the channels' renderer, with the bot's number of clauses."""
        return self._post(change, context, channel, max_clauses=self.bot.max_clauses)

    def _label_groups(self) -> dict[str, str]:
        return label_groups(self.taxonomy)

    # ------------------------------------------------------------------ subscribers
    def subscriber_gone(self, chat_id: str, error: str) -> int:
        """Telegram says a subscriber's chat is gone: unsubscribe it, cancel what it waits for."""
        return chat_gone(self.outbox.state, chat_id, error, self.now())

    def subscriber_moved(self, old: str, new: str) -> None:
        """A subscribed group became a supergroup: the subscription follows it."""
        chat_moved(self.outbox.state, old, new, self.now())

    def _next_digest(self, channel: Channel, after: datetime) -> datetime:
        assert channel.digest is not None  # noqa: S101 - route() only digests with a schedule
        trigger = cron_trigger(channel.digest, "UTC")
        fire: datetime = trigger.get_next_fire_time(None, after)
        return fire

    def compose_digests(self) -> int:
        """Turn held digest lines whose time has come into digest messages; returns how many."""
        due: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for row in self.outbox.held_due(self.now()):
            due[(row.channel, row.chat_id)].append(row)
        by_name = {channel.name: channel for channel in self.channels}
        made = 0
        for (name, chat_id), rows in due.items():
            channel = by_name.get(name) or Channel(name, chat_id, ("*",))
            messages = render_digest([row.message.html for row in rows], channel)
            if self.outbox.digest(name, chat_id, rows, messages, at=self.now()):
                made += len(messages)
        return made

    # ------------------------------------------------------------------ maintainers
    def notify_maintainers(self, key: str, text: str, details: Sequence[str] = ()) -> bool:
        """Queue a notice to the maintainers' channel (logged only when there is none)."""
        chat = self.telegram.maintainers_chat_id
        if not chat:
            return False
        message = render_notice(text, details)
        return self.outbox.enqueue(key, [Queued(MAINTAINERS, chat, message)], at=self.now())

    def on_result(self, document: Document, outcome: Outcome, **facts: object) -> None:
        """Tell the maintainers of outages: a document past the threshold, or back.

        A document inaccessible ``inaccessible_after`` checks in a row (or more) joins the
        outage of its host and cause, one notice for all its documents; an accessible one
        leaves it, and the last one out ends it with one recovery message
        (:mod:`tracker.notify.outages`). ``facts`` are ``failures_in_row``, ``recovered_after``,
        ``cause`` and ``detail`` of a :class:`~tracker.pipeline.Result`.
        """
        failures = int(str(facts.get("failures_in_row") or 0))
        recovered = int(str(facts.get("recovered_after") or 0))
        if outcome is Outcome.INACCESSIBLE:
            if failures >= self.inaccessible_after:
                cause = str(facts.get("cause") or "unknown")
                self.outages.failed(document, cause, str(facts.get("detail") or ""))
        elif outcome is not Outcome.SUSPECT and recovered:
            self.outages.recovered(document)

    def report_unconfirmed(self, row: Row, error: str) -> None:
        """Tell the maintainers that Telegram never confirmed a message (maybe posted twice)."""
        if row.channel == MAINTAINERS:
            return
        self._delivery_notice(
            f"unconfirmed:{row.id}",
            word("en", "delivery_unconfirmed", channel=row.channel, chat=row.chat_id),
            [
                error,
                f"outbox message {row.id} ({row.message.role}, alert {row.alert_key})",
                word("en", "delivery_unconfirmed_what", id=row.id),
            ],
        )

    def report_moved(self, channel: str, old: str, new: str) -> None:
        """Tell the maintainers that Telegram moved a channel's chat: its config names the old."""
        self._delivery_notice(
            f"chat-moved:{old}:{new}", word("en", "chat_moved", channel=channel, old=old, new=new)
        )

    def report_failure(self, row: Row, error: str) -> None:
        """Tell the maintainers that a message could not be delivered (never about their own)."""
        if row.channel == MAINTAINERS:
            return
        self._delivery_notice(
            f"failure:{row.id}:{row.attempts}",
            word("en", "delivery_failed", channel=row.channel, chat=row.chat_id),
            [error, f"outbox message {row.id} ({row.message.role}, alert {row.alert_key})"],
        )

    def _delivery_notice(self, key: str, heading: str, details: Sequence[str] = ()) -> bool:
        """Queue a delivery problem for the maintainers, grouped with those not sent yet.

        As an outage gathers its documents, the problems of one drain (failed, unconfirmed or
        moved messages, of any channel) are one notice: while the last notice is still pending,
        it is rewritten with the new problem added (up to :data:`MAX_GROUPED`, and as long as
        it fits one message); otherwise a new one is queued under ``key``. A problem whose key
        was reported before is not reported again. Only the maintainers' chat gets these.
        """
        chat = self.telegram.maintainers_chat_id
        if not chat:
            return False
        item = [heading, list(details)]
        with self.outbox.state.transaction() as db:
            found = db.execute(
                "SELECT value FROM meta WHERE key = ?", (DELIVERY_NOTICE,)
            ).fetchone()
            group: dict[str, Any] = (
                json.loads(found[0]) if found else {"key": "", "keys": [], "items": []}
            )
            if key in group["keys"]:
                return False
            items = [*group["items"], item]
            message = delivery_message(items)
            if (
                group["items"]
                and len(items) <= MAX_GROUPED
                and fits(message.html)
                and "<blockquote>" in message.html
                and amend_pending(db, group["key"], message)
            ):
                group = {"key": group["key"], "keys": [*group["keys"], key], "items": items}
            else:
                queued = Queued(MAINTAINERS, chat, delivery_message([item]))
                if not insert_alert(db, key, [queued], at=self.now()):
                    return False
                group = {"key": key, "keys": [key], "items": [item]}
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (DELIVERY_NOTICE, json.dumps(group, ensure_ascii=False)),
            )
        return True


def recorded_change(
    archive: Archive,
    document: Document,
    current: StoredVersion,
    taxonomy: TaxonomySource,
    *,
    detected: datetime,
    change: Change | None = None,
) -> tuple[Change, PostContext]:
    """The change a recorded version made, and what its post says around it.

    ``change`` saves recomputing the comparison when the caller has it. Used to queue an
    alert, and by the bot's ``/latest`` to show the last change as its alert showed it.
    """
    if change is None or change.to_version != current.timestamp:
        stamps = archive.version_stamps(document.id)
        previous = archive.read_version(document.id, stamps[stamps.index(current.timestamp) - 1])
        from tracker.classify.taxonomy import resolve

        change = build_change(document, previous, current, resolve(taxonomy))
    context = PostContext(
        title=document.title,
        source_url=str(current.meta.get("source_url") or document.url),
        detected_at=detected,
        change_page=f"{document.id}/changes/{current.timestamp}.html",
        effective=effective_date(current.text),
        archive_head=archive.head(),
    )
    return change, context


#: The ``meta`` key of the last delivery notice to the maintainers (its alert key and items).
DELIVERY_NOTICE = "delivery-notice"
#: Delivery problems gathered in one notice, at most.
MAX_GROUPED = 20


def delivery_message(items: Sequence[Sequence[Any]]) -> Message:
    """One notice for delivery problems: ``[heading, details]`` items, one or several."""
    if len(items) == 1:
        heading, details = items[0]
        return render_notice(str(heading), [str(d) for d in details])
    lines = []
    for heading, details in items:
        lines.append("• " + str(heading).removeprefix("⚠️ "))
        lines.extend(f"   {detail}" for detail in details)
    return render_notice(word("en", "delivery_problems", n=len(items)), lines)
