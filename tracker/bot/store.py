"""Subscribers in the state database (table ``subscribers``, migration 5; SQLite or PostgreSQL).

One row per chat, kept when the chat unsubscribes or blocks the bot (``active`` 0, with when
and why in ``ended_at`` and ``end_reason``), so that its language is remembered and a person
can see who left. Rows are read in the order chats first came (``id``): alerts are queued for
subscribers in that order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tracker.bot.subscription import Subscription
from tracker.models import Significance
from tracker.state.sql import Connection
from tracker.state.store import State
from tracker.timestamps import to_iso

_COLUMNS = "chat_id, kind, language, documents, labels, min_significance, active, paused"

_SELECT = f"SELECT {_COLUMNS} FROM subscribers"  # noqa: S608 - constant column names
_RECEIVING = _SELECT + " WHERE active = 1 AND paused = 0 ORDER BY id"

#: ``end_reason`` of a chat that unsubscribed itself, and of one whose user blocked the bot.
UNSUBSCRIBED = "unsubscribed"
BLOCKED = "blocked"


def _subscription(values: Sequence[Any]) -> Subscription:
    return Subscription(
        chat_id=str(values[0]),
        kind=str(values[1]),
        language=str(values[2]),
        documents=tuple(json.loads(values[3])),
        labels=tuple(json.loads(values[4])),
        min_significance=Significance(values[5]),
        active=bool(values[6]),
        paused=bool(values[7]),
    )


def receiving(db: Connection) -> list[Subscription]:
    """The subscribers alerts are queued for now (active, not paused), oldest first.

    Takes the caller's transaction, so an alert is queued for the subscribers as they stand
    when it is written.
    """
    return [_subscription(row) for row in db.execute(_RECEIVING).fetchall()]


class Subscribers:
    """The subscribers of a :class:`~tracker.state.store.State` database."""

    def __init__(self, state: State) -> None:
        """Use the ``subscribers`` table of ``state``."""
        self.state = state

    def get(self, chat_id: str) -> Subscription | None:
        """The chat's row (active or not), or None if it never used the bot."""
        found = self.state.read(_SELECT + " WHERE chat_id = ?", (chat_id,))
        return _subscription(found[0]) if found else None

    def all(self) -> list[Subscription]:
        """Every chat that ever used the bot, oldest first."""
        return [_subscription(row) for row in self.state.read(_SELECT + " ORDER BY id")]

    def receiving(self) -> list[Subscription]:
        """The subscribers alerts are queued for now, oldest first."""
        return [_subscription(row) for row in self.state.read(_RECEIVING)]

    def save(self, subscription: Subscription, at: datetime) -> None:
        """Write the chat's row (created the first time), its choices as they are now."""
        values = (
            subscription.kind,
            subscription.language,
            json.dumps(list(subscription.documents)),
            json.dumps(list(subscription.labels)),
            subscription.min_significance.value,
            int(subscription.active),
            int(subscription.paused),
            to_iso(at),
        )
        with self.state.transaction() as db:
            changed = db.execute(
                "UPDATE subscribers SET kind = ?, language = ?, documents = ?, labels = ?,"
                " min_significance = ?, active = ?, paused = ?, updated_at = ?,"
                " ended_at = CASE WHEN ? = 1 THEN NULL ELSE ended_at END,"
                " end_reason = CASE WHEN ? = 1 THEN '' ELSE end_reason END"
                " WHERE chat_id = ?",
                (*values, int(subscription.active), int(subscription.active), subscription.chat_id),
            ).rowcount
            if not changed:
                db.execute(
                    "INSERT INTO subscribers(chat_id, kind, language, documents, labels,"
                    " min_significance, active, paused, updated_at, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (subscription.chat_id, *values, to_iso(at)),
                )

    def end(self, chat_id: str, reason: str, at: datetime) -> bool:
        """The chat no longer gets alerts (``reason``: unsubscribed, blocked); True if it did."""
        with self.state.transaction() as db:
            return bool(
                db.execute(
                    "UPDATE subscribers SET active = 0, paused = 0, ended_at = ?, end_reason = ?,"
                    " updated_at = ? WHERE chat_id = ? AND active = 1",
                    (to_iso(at), reason, to_iso(at), chat_id),
                ).rowcount
            )

    def reason(self, chat_id: str) -> str:
        """Why the chat's subscription ended ('' if it did not)."""
        found = self.state.read("SELECT end_reason FROM subscribers WHERE chat_id = ?", (chat_id,))
        return str(found[0][0]) if found else ""

    def count(self) -> dict[str, int]:
        """How many chats are receiving, paused, and ended (for ``tracker status``)."""
        rows = self.state.read(
            "SELECT active, paused, COUNT(*) FROM subscribers GROUP BY active, paused"
        )
        counts = {"receiving": 0, "paused": 0, "ended": 0}
        for active, paused, n in rows:
            key = "ended" if not active else "paused" if paused else "receiving"
            counts[key] += int(n)
        return counts
