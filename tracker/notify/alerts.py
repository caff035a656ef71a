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
from dataclasses import replace
from datetime import UTC, date, datetime, time
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
from tracker.extract.effective_date import announced_date, effective_date
from tracker.models import BotSettings, Change, Document, Outcome, TelegramSettings
from tracker.notify.channels import Channel, Delivery, route
from tracker.notify.outages import MAINTAINERS, Outages
from tracker.notify.outbox import Outbox, Queued, Row, amend_pending, insert_alert
from tracker.notify.twins import TWIN_WINDOW, TwinChange, linked, twins
from tracker.render.telegram import (
    Message,
    PostContext,
    digest_line,
    render_digest,
    render_fallback,
    render_notice,
    render_post,
    render_reminder,
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
        documents: Sequence[Document] = (),
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
        self.documents = tuple(documents)
        """Every tracked document, to find a document's twin in another language."""
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

        A document with a twin in another language (:mod:`tracker.notify.twins`): a channel in
        the twin's language gets the twin's linked change instead (or nothing, when it had that
        change already), and every post says whether the twin changed. A change announcing a
        later date queues its reminder in the same transaction (:func:`takes_effect`).
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
        reminders: list[Queued] = []
        twin_doc = next(iter(twins(document, self.documents)), None)
        twin = None if twin_doc is None else self._twin_change(twin_doc, change, detected)
        for channel, how in route(self.channels, change):
            shown, shown_context = change, context
            if twin_doc is not None:
                status = "not_yet" if twin is None else "same"
                when = None if twin is None else twin.detected
                shown_context = replace(context, twin=(status, twin_doc.language, when))
                if channel.language == twin_doc.language != document.language and twin:
                    if channel.follows(twin_doc.id) and self.outbox.has_messages(
                        f"change:{twin_doc.id}:{twin.stamp}", channel.name
                    ):
                        continue  # the channel had this change in its language already
                    # The twin's clauses, in the channel's language (linked: same change).
                    shown = twin.change
                    shown_context = replace(
                        context,
                        title=twin_doc.title,
                        source_url=twin_doc.url,
                        change_page=f"{twin_doc.id}/changes/{twin.stamp}.html",
                        twin=("from", twin_doc.language, twin.detected),
                    )
            if how is Delivery.POST:
                for message in self._post(shown, shown_context, channel):
                    items.append(Queued(channel.name, channel.chat_id, message))
                if context.takes_effect is not None:
                    reminder = self._reminder(shown, shown_context, channel)
                    if reminder is not None:
                        due = reminder_time(context.takes_effect)
                        reminders.append(Queued(channel.name, channel.chat_id, reminder, due))
            else:
                held_until = self._next_digest(channel, detected)
                message = digest_line(shown, shown_context, channel)
                items.append(Queued(channel.name, channel.chat_id, message, held_until))
        also = []
        if reminders and context.takes_effect is not None:
            # One reminder per document and date, however many changes announced it.
            also.append((f"reminder:{document.id}:{context.takes_effect.isoformat()}", reminders))
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
            also=also,
            more_items=lambda db: still_receiving(db, subscribers),
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

    def _twin_change(self, twin: Document, change: Change, detected: datetime) -> TwinChange | None:
        """The twin's change linked to ``change`` (:mod:`tracker.notify.twins`), if any."""
        stamps = self.archive.version_stamps(twin.id)
        recorded = set(self.archive.change_stamps(twin.id))
        candidates = []
        for position, stamp in enumerate(stamps[1:], 1):
            when = from_stamp(stamp)
            if stamp not in recorded or abs(when - detected) > TWIN_WINDOW:
                continue
            current = self.archive.read_version(twin.id, stamp)
            if current.technical_upgrade:
                continue
            previous = self.archive.read_version(twin.id, stamps[position - 1])
            from tracker.classify.taxonomy import resolve

            built = build_change(twin, previous, current, resolve(self.taxonomy))
            candidates.append(TwinChange(twin, stamp, when, built))
        return linked(change, detected, candidates)

    def _reminder(self, change: Change, context: PostContext, channel: Channel) -> Message | None:
        """The reminder of an announced change, or None if it cannot be rendered (logged)."""
        try:
            return render_reminder(change, context, channel)
        except Exception:  # a renderer bug must not block the alert itself
            log.exception(
                "%s: the reminder for %s could not be rendered", change.document, channel.name
            )
            return None

    def release_reminders(self) -> int:
        """Reminders whose day has come: held → pending (sent by the next drain); how many."""
        return self.outbox.release_reminders(self.now())

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
            if row.message.role == "reminder":  # released by release_reminders, not digested
                continue
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


#: When a reminder goes out on the day an announced change takes effect (UTC): the morning
#: in Europe, not at midnight.
REMINDER_TIME = time(7, 0, tzinfo=UTC)


def takes_effect(text: str, detected: datetime) -> date | None:
    """A date after ``detected``'s day on which the text says it takes effect, if any.

    The date a banner announces for an update ("On November 3, 2025, we are updating…"), or
    the page's own "Effective …" date when it is still to come; the earlier of the two.
    """
    upcoming = [
        when
        for when in (announced_date(text), effective_date(text))
        if when is not None and when > detected.date()
    ]
    return min(upcoming) if upcoming else None


def reminder_time(day: date) -> datetime:
    """When the reminder of a change taking effect on ``day`` is sent."""
    return datetime.combine(day, REMINDER_TIME)


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
        takes_effect=takes_effect(current.text, detected),
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
