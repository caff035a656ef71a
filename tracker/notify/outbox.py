"""The outbox: every Telegram message to send, in the state database, until Telegram accepts it.

An *alert* (one recorded change, one digest, one notice to the maintainers) is written with all
its messages for every channel in **one transaction**, under a unique key
(``change:<document>:<version>``...): it is either entirely queued or not at all, and queuing it
twice is a no-op. A message moves ``pending`` → ``sent`` (with Telegram's ``message_id``) the
moment Telegram acknowledges it, or → ``failed`` on a permanent error; ``held`` messages wait for
their channel's digest; ``digested`` ones went into a digest message; ``cancelled`` ones were
dropped by hand. Order within a chat is the order of insertion (``id``).

``in_doubt`` counts the sends of a message whose outcome is unknown: it is raised, and
committed, *before* each request and lowered again when Telegram's answer says nothing was
stored (an error). A timeout after the request was written, a dropped connection or a process
killed mid-send leave it raised: Telegram may hold the message. A message may be sent once
more after one such send (the README's one repeat); after a second one it becomes
``unconfirmed``, is never sent again automatically and is reported to the maintainers
(``tracker outbox --retry ID`` once they have checked the channel, or ``--cancel ID``).

A chat that Telegram moved (a group upgraded to a supergroup) has an alias in ``meta``
(``chat-moved:<old id>`` → new id): :func:`insert_alert` queues for the new id, so alerts of a
channel whose configuration still names the old id reach it (:meth:`Outbox.move_chat`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tracker.render.telegram import Message
from tracker.state.sql import Connection
from tracker.state.store import State
from tracker.timestamps import from_iso, to_iso


class Status(StrEnum):
    """Where a message of the outbox stands."""

    PENDING = "pending"
    HELD = "held"
    SENT = "sent"
    FAILED = "failed"
    DIGESTED = "digested"
    CANCELLED = "cancelled"
    UNCONFIRMED = "unconfirmed"


#: Sends with an unknown outcome after which a message is no longer sent automatically: the
#: first may have been stored, so one more send is the README's "one repeat", and no more.
MAX_IN_DOUBT = 2


@dataclass(frozen=True, slots=True)
class Queued:
    """One message to queue: for which channel and chat, and whether it waits for a digest.

    ``not_before``: a pending message not sent before this time (an outage notice gathering
    documents); ``held_until`` makes it a digest line instead.
    """

    channel: str
    chat_id: str
    message: Message
    held_until: datetime | None = None
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """One message of the outbox as stored."""

    id: int
    alert_id: int
    alert_key: str
    channel: str
    chat_id: str
    position: int
    message: Message
    status: Status
    attempts: int
    last_error: str
    message_id: int | None
    created_at: datetime
    not_before: datetime | None
    sent_at: datetime | None
    shown_at: datetime | None
    in_doubt: int = 0


_SELECT = (
    "SELECT o.id, o.alert_id, a.key, o.channel, o.chat_id, o.position, o.payload, o.status,"
    " o.attempts, o.last_error, o.message_id, o.created_at, o.not_before, o.sent_at,"
    " o.shown_at, o.in_doubt FROM outbox o JOIN alerts a ON a.id = o.alert_id"
)


def _row(values: Sequence[Any]) -> Row:
    return Row(
        id=values[0],
        alert_id=values[1],
        alert_key=values[2],
        channel=values[3],
        chat_id=values[4],
        position=values[5],
        message=Message(**json.loads(values[6])),
        status=Status(values[7]),
        attempts=values[8],
        last_error=values[9],
        message_id=values[10],
        created_at=from_iso(values[11]),
        not_before=from_iso(values[12]) if values[12] else None,
        sent_at=from_iso(values[13]) if values[13] else None,
        shown_at=from_iso(values[14]) if values[14] else None,
        in_doubt=int(values[15] or 0),
    )


def _not_before(item: Queued) -> str | None:
    moment = item.held_until or item.not_before
    return to_iso(moment) if moment else None


def insert_alert(
    db: Connection,
    key: str,
    items: Sequence[Queued],
    *,
    at: datetime,
    document: str = "",
    version: str = "",
    significance: str = "",
) -> bool:
    """Insert an alert and its messages inside the caller's transaction; False if ``key`` exists."""
    if db.execute("SELECT 1 FROM alerts WHERE key = ?", (key,)).fetchone():
        return False
    db.execute(
        "INSERT INTO alerts(key, document, version, significance, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (key, document, version, significance, to_iso(at)),
    )
    # Not ``lastrowid``: PostgreSQL's driver has none, and the key is unique.
    alert_id = db.execute("SELECT id FROM alerts WHERE key = ?", (key,)).fetchone()[0]
    positions: dict[str, int] = {}
    moved = _aliases(db, {item.chat_id for item in items})
    for item in items:
        position = positions.get(item.channel, 0)
        positions[item.channel] = position + 1
        status = Status.HELD if item.held_until is not None else Status.PENDING
        db.execute(
            "INSERT INTO outbox(alert_id, channel, chat_id, position, role, method,"
            " payload, status, not_before, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                alert_id,
                item.channel,
                moved.get(item.chat_id, item.chat_id),
                position,
                item.message.role,
                item.message.method,
                json.dumps(asdict(item.message), ensure_ascii=False),
                status.value,
                _not_before(item),
                to_iso(at),
            ),
        )
    return True


#: The ``meta`` key prefix of a chat's new id after Telegram moved it.
MOVED_PREFIX = "chat-moved:"


def _aliases(db: Connection, chat_ids: Iterable[str]) -> dict[str, str]:
    """The new ids of the chats among ``chat_ids`` that Telegram moved (followed to the end)."""
    found: dict[str, str] = {}
    for chat_id in chat_ids:
        current, seen = chat_id, {chat_id}
        while True:
            row = db.execute(
                "SELECT value FROM meta WHERE key = ?", (MOVED_PREFIX + current,)
            ).fetchone()
            if row is None or row[0] in seen:
                break
            current = str(row[0])
            seen.add(current)
        if current != chat_id:
            found[chat_id] = current
    return found


def amend_pending(db: Connection, key: str, message: Message) -> bool:
    """Replace the text of the alert ``key``'s message if it is still pending; True if it was.

    Inside the caller's transaction. Used for an outage notice that more documents joined
    before it was sent (a one-message alert).
    """
    changed = db.execute(
        "UPDATE outbox SET payload = ? WHERE status = 'pending'"
        " AND alert_id = (SELECT id FROM alerts WHERE key = ?)",
        (json.dumps(asdict(message), ensure_ascii=False), key),
    ).rowcount
    return bool(changed)


class Outbox:
    """The outbox tables of a :class:`~tracker.state.store.State` database."""

    def __init__(self, state: State, now: datetime) -> None:
        """Use the outbox of ``state``; ``now`` starts it if it is new (see :attr:`since`)."""
        self.state = state
        self.since = from_iso(state.meta("outbox_since", to_iso(now)))
        """When this outbox began: changes recorded before it are never queued by recovery."""

    # ------------------------------------------------------------------ writing
    def enqueue(
        self,
        key: str,
        items: Sequence[Queued],
        *,
        at: datetime,
        document: str = "",
        version: str = "",
        significance: str = "",
        also: Sequence[tuple[str, Sequence[Queued]]] = (),
        more_items: Callable[[Connection], Sequence[Queued]] | None = None,
    ) -> bool:
        """Queue an alert and all its messages at once; False if ``key`` was queued before.

        ``also``: more alerts (key, messages) queued in the same transaction when this one is
        new (a change's reminder), each skipped if its key was queued before. ``more_items``
        gives more messages of this alert from inside the transaction, after ``items`` (the
        bot's subscribers as they stand when the alert is written).
        """
        with self.state.transaction() as db:
            if more_items is not None:
                items = [*items, *more_items(db)]
            queued = insert_alert(
                db, key, items, at=at, document=document, version=version, significance=significance
            )
            if queued:
                for other, messages in also:
                    insert_alert(db, other, messages, at=at, document=document, version=version)
            return queued

    def has_messages(self, key: str, channel: str) -> bool:
        """Whether the alert ``key`` holds messages for ``channel``."""
        return bool(
            self.state.read(
                "SELECT 1 FROM outbox o JOIN alerts a ON a.id = o.alert_id"
                " WHERE a.key = ? AND o.channel = ?",
                (key, channel),
            )
        )

    def has_alert(self, key: str) -> bool:
        """Whether an alert with this key was ever queued."""
        return bool(self.state.read("SELECT 1 FROM alerts WHERE key = ?", (key,)))

    def mark_sent(self, row_id: int, message_id: int, at: datetime) -> None:
        """Telegram accepted the message (its ``message_id``): never send it again."""
        with self.state.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?,"
                " attempts = attempts + 1, last_error = '' WHERE id = ?",
                (message_id, to_iso(at), row_id),
            )

    def begin_send(self, row_id: int) -> None:
        """A send is about to start: counted as in doubt until an answer says otherwise."""
        with self.state.transaction() as db:
            db.execute("UPDATE outbox SET in_doubt = in_doubt + 1 WHERE id = ?", (row_id,))

    def not_sent(self, row_id: int) -> None:
        """Telegram's answer to the last send was an error: that send stored nothing."""
        with self.state.transaction() as db:
            db.execute(
                "UPDATE outbox SET in_doubt = in_doubt - 1 WHERE id = ? AND in_doubt > 0",
                (row_id,),
            )

    def mark_unconfirmed(self, row_id: int, error: str) -> None:
        """Sends of unknown outcome ran out: never sent again automatically (see the module)."""
        with self.state.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = 'unconfirmed', attempts = attempts + 1,"
                " last_error = ? WHERE id = ? AND status = 'pending'",
                (error, row_id),
            )

    def move_chat(self, old: str, new: str) -> int:
        """Telegram moved chat ``old`` to ``new``: re-address its queued messages, in one go.

        Pending, held, failed and unconfirmed messages follow the chat, and later alerts for
        ``old`` are queued for ``new`` (an alias in ``meta``). Returns how many were moved.
        """
        with self.state.transaction() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (MOVED_PREFIX + old, new),
            )
            return db.execute(
                "UPDATE outbox SET chat_id = ? WHERE chat_id = ?"
                " AND status IN ('pending', 'held', 'failed', 'unconfirmed')",
                (new, old),
            ).rowcount

    def moved_to(self, chat_id: str) -> str | None:
        """The chat Telegram moved ``chat_id`` to, if it did."""
        found = self.state.read("SELECT value FROM meta WHERE key = ?", (MOVED_PREFIX + chat_id,))
        return str(found[0][0]) if found else None

    def mark_failed(self, row_ids: Iterable[int], error: str) -> None:
        """A permanent error: the messages stay in the outbox, failed, until retried."""
        with self.state.transaction() as db:
            db.executemany(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?"
                " WHERE id = ? AND status = 'pending'",
                [(error, row_id) for row_id in row_ids],
            )

    def defer(self, row_id: int, error: str, not_before: datetime) -> None:
        """A transient error: try again after ``not_before``."""
        with self.state.transaction() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, not_before = ?"
                " WHERE id = ?",
                (error, to_iso(not_before), row_id),
            )

    def mark_shown(self, row_ids: Iterable[int], at: datetime) -> None:
        """The messages were printed on the console (no token): kept pending."""
        with self.state.transaction() as db:
            db.executemany(
                "UPDATE outbox SET shown_at = ? WHERE id = ?",
                [(to_iso(at), row_id) for row_id in row_ids],
            )

    def retry(self, row_ids: Sequence[int] | None = None) -> int:
        """Put failed messages (all, or these) back to pending; returns how many.

        Unconfirmed messages are put back only by id: someone checked the channel first.
        """
        reset = "UPDATE outbox SET status = 'pending', not_before = NULL, in_doubt = 0"
        with self.state.transaction() as db:
            if row_ids is None:
                return db.execute(reset + " WHERE status = 'failed'").rowcount
            # executemany sums the rows each statement changed into rowcount.
            return db.executemany(
                reset + " WHERE status IN ('failed', 'unconfirmed') AND id = ?",
                [(i,) for i in row_ids],
            ).rowcount

    def cancel(self, row_ids: Sequence[int]) -> int:
        """Drop pending, held, failed or unconfirmed messages by hand; returns how many."""
        with self.state.transaction() as db:
            return db.executemany(
                "UPDATE outbox SET status = 'cancelled'"
                " WHERE id = ? AND status IN ('pending', 'held', 'failed', 'unconfirmed')",
                [(i,) for i in row_ids],
            ).rowcount

    def digest(
        self,
        channel: str,
        chat_id: str,
        items: Sequence[Row],
        messages: Sequence[Message],
        *,
        at: datetime,
    ) -> bool:
        """Replace held ``items`` by digest ``messages``, in one transaction."""
        key = f"digest:{channel}:{to_iso(at)}"
        queued = [Queued(channel, chat_id, message) for message in messages]
        with self.state.transaction() as db:
            if not insert_alert(db, key, queued, at=at):
                return False
            db.executemany(
                "UPDATE outbox SET status = 'digested' WHERE id = ? AND status = 'held'",
                [(item.id,) for item in items],
            )
        return True

    def release_reminders(self, now: datetime) -> int:
        """Held reminders whose time has come become pending, in one transaction; how many.

        A reminder (role ``reminder``, :mod:`tracker.notify.alerts`) is queued with its change,
        held until the day the change takes effect. Released once (the update is guarded by
        its status), it is then sent like any pending message: once, surviving restarts.
        """
        due = [
            (row.id,)
            for row in self.rows([Status.HELD])
            if row.message.role == "reminder"
            and row.not_before is not None
            and row.not_before <= now
        ]
        if not due:
            return 0
        with self.state.transaction() as db:
            return db.executemany(
                "UPDATE outbox SET status = 'pending' WHERE id = ? AND status = 'held'", due
            ).rowcount

    # ------------------------------------------------------------------ reading
    def rows(self, statuses: Iterable[Status] | None = None) -> list[Row]:
        """Messages with these statuses (all when None), oldest first."""
        sql = _SELECT
        params: tuple[object, ...] = ()
        if statuses is not None:
            wanted = [s.value for s in statuses]
            sql += f" WHERE o.status IN ({', '.join('?' for _ in wanted)})"
            params = tuple(wanted)
        return [_row(values) for values in self.state.read(sql + " ORDER BY o.id", params)]

    def pending(self) -> list[Row]:
        """Messages to send (whatever their ``not_before``), oldest first."""
        return self.rows([Status.PENDING])

    def held_due(self, now: datetime) -> list[Row]:
        """Held digest lines whose digest time has come, oldest first."""
        return [
            row
            for row in self.rows([Status.HELD])
            if row.not_before is not None and row.not_before <= now
        ]

    def get(self, row_id: int) -> Row | None:
        """One message by id."""
        found = self.state.read(
            _SELECT + " WHERE o.id = ?",
            (row_id,),
        )
        return _row(found[0]) if found else None

    def summary_of(self, row: Row) -> Row | None:
        """The summary message of the post ``row`` replies to (same alert and channel)."""
        found = self.state.read(
            _SELECT + " WHERE o.alert_id = ? AND o.channel = ? AND o.role = 'summary'",
            (row.alert_id, row.channel),
        )
        return _row(found[0]) if found else None

    def finished(self, prefix: str = "change:") -> list[str]:
        """Keys of the alerts (starting with ``prefix``) with no message left to deliver.

        Every message was sent, cancelled or folded into a digest: nothing pending, held,
        failed or unconfirmed (an alert no channel follows has no message, and nothing to
        mark). Written to the archive's delivery ledger (:mod:`tracker.archive.deliveries`).
        """
        rows = self.state.read(
            "SELECT a.key FROM alerts a WHERE a.key LIKE ?"
            " AND EXISTS (SELECT 1 FROM outbox o WHERE o.alert_id = a.id)"
            " AND NOT EXISTS (SELECT 1 FROM outbox o"
            " WHERE o.alert_id = a.id"
            " AND o.status IN ('pending', 'held', 'failed', 'unconfirmed'))"
            " ORDER BY a.id",
            (prefix.replace("%", "") + "%",),
        )
        return [str(row[0]) for row in rows]

    def prune(self, before: datetime, delivered: Iterable[str]) -> int:
        """Drop the messages of finished alerts last touched before ``before``; returns how many.

        An alert is finished when none of its messages is pending, held, failed or
        unconfirmed. A change alert's messages are dropped only once ``delivered`` (the keys
        marked in the archive's ``deliveries.csv``) holds its key. The ``alerts`` row stays:
        its key keeps the alert from being queued again.
        """
        done = set(delivered)
        found = self.state.read(
            "SELECT a.id, a.key FROM alerts a"
            " WHERE EXISTS (SELECT 1 FROM outbox o WHERE o.alert_id = a.id)"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.alert_id = a.id"
            " AND (o.status IN ('pending', 'held', 'failed', 'unconfirmed')"
            " OR COALESCE(o.sent_at, o.created_at) >= ?))",
            (to_iso(before),),
        )
        ids = [
            (int(row[0]),)
            for row in found
            if not str(row[1]).startswith("change:") or str(row[1]) in done
        ]
        if not ids:
            return 0
        with self.state.transaction() as db:
            return db.executemany("DELETE FROM outbox WHERE alert_id = ?", ids).rowcount

    def counts(self) -> dict[str, int]:
        """How many messages stand in each status."""
        return {
            str(status): int(n)
            for status, n in self.state.read(
                "SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status"
            )
        }
