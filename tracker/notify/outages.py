"""Outages: documents of one host failing with one cause, told to the maintainers as one.

A document inaccessible ``inaccessible_after`` checks in a row joins the *outage* of its host
and cause (``www.linkedin.com``, ``dns-error``); a single failing document is an outage of one.
The maintainers get:

- **one notice** when an outage begins, naming the host, the cause, since when and the
  documents it covers. Documents that join before the notice is sent are added to it (the
  pending message is rewritten), so a dead host with fifteen documents is one message in a
  ``tracker check`` pass; ``tracker run`` holds the notice a few minutes
  (:data:`GATHER_SECONDS`) so that the documents of the next jobs join it too;
- **one reminder a day** while it lasts (:data:`REMIND_EVERY`), with the documents still down;
- **one recovery message** when the last of its documents is accessible again.

Outages are kept in the state database's ``meta`` table under ``outage:<host>:<cause>`` (a
JSON object), not in memory: the separate jobs of ``tracker run`` and the passes of ``tracker
check`` share them. Alert keys are stable: ``outage:<host>:<cause>:<since>`` for the notice,
``…:<since>:<date>`` for a reminder and ``outage-over:<host>:<cause>:<since>`` for the
recovery (``since`` is the stamp of the outage's first failure), so a notice is never queued
twice. :func:`join` and :func:`leave` decide (pure); :class:`Outages` reads, writes and queues,
in one transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from tracker.models import Document
from tracker.notify.outbox import Outbox, Queued, amend_pending, insert_alert
from tracker.render.telegram import Message, render_notice
from tracker.render.words import word
from tracker.state.sql import Connection
from tracker.timestamps import from_iso, to_iso, to_stamp

log = logging.getLogger(__name__)

#: An outage still on is recalled to the maintainers this often.
REMIND_EVERY = timedelta(days=1)
#: ``tracker run`` holds a new outage's notice this long, for other documents to join it.
GATHER_SECONDS = 300.0
#: The name under which maintainers' notices are queued (as
#: :data:`tracker.notify.alerts.MAINTAINERS`).
MAINTAINERS = "maintainers"


@dataclass(frozen=True, slots=True)
class Outage:
    """Documents of one host inaccessible with one cause.

    Attributes:
        host: the host the documents are fetched from.
        cause: the cause of their failures (``dns-error``, ``http-999``...).
        since: the first failure of the outage's first document.
        down: the documents still failing, sorted.
        covered: every document the outage has covered, sorted.
        noticed_at: when the last notice or reminder was queued.
        notice_key: the alert key of that notice or reminder.
        detail: what the first failure said (an error message).
    """

    host: str
    cause: str
    since: datetime
    down: tuple[str, ...]
    covered: tuple[str, ...]
    noticed_at: datetime
    notice_key: str
    detail: str = ""

    @property
    def meta_key(self) -> str:
        """Its key in the ``meta`` table."""
        return meta_key(self.host, self.cause)

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {
                "since": to_iso(self.since),
                "down": list(self.down),
                "covered": list(self.covered),
                "noticed_at": to_iso(self.noticed_at),
                "notice_key": self.notice_key,
                "detail": self.detail,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, host: str, cause: str, text: str) -> Outage:
        """Read the stored form back."""
        data = json.loads(text)
        return cls(
            host=host,
            cause=cause,
            since=from_iso(data["since"]),
            down=tuple(data["down"]),
            covered=tuple(data["covered"]),
            noticed_at=from_iso(data["noticed_at"]),
            notice_key=str(data["notice_key"]),
            detail=str(data.get("detail", "")),
        )


class Step(Enum):
    """What a failure or a recovery asks of the maintainers' channel."""

    NOTICE = "notice"  # a new outage: queue its notice
    REMINDER = "reminder"  # the outage goes on, noticed a day ago or more: queue a reminder
    AMEND = "amend"  # a document joined: rewrite the notice if it is still pending
    OVER = "over"  # the last document recovered: queue the recovery message
    NOTHING = "nothing"


def meta_key(host: str, cause: str) -> str:
    """The ``meta`` key of the outage of ``host`` with ``cause``."""
    return f"outage:{host}:{cause}"


def notice_key(host: str, cause: str, since: datetime) -> str:
    """The alert key of an outage's first notice."""
    return f"outage:{host}:{cause}:{to_stamp(since)}"


def join(
    outage: Outage | None,
    document: str,
    *,
    host: str,
    cause: str,
    failing_since: datetime,
    now: datetime,
    detail: str = "",
) -> tuple[Outage, Step]:
    """A document failed (past the threshold) with ``cause``: the outage after it, and the step.

    Args:
        outage: the current outage of ``host`` and ``cause``, if any.
        document: the document that failed.
        host: its host.
        cause: the cause of its failure.
        failing_since: its first failure in a row.
        now: the time of the failure.
        detail: what the failure said (kept for the notice of a new outage).
    """
    if outage is None:
        return (
            Outage(
                host=host,
                cause=cause,
                since=failing_since,
                down=(document,),
                covered=(document,),
                noticed_at=now,
                notice_key=notice_key(host, cause, failing_since),
                detail=detail,
            ),
            Step.NOTICE,
        )
    grown = replace(
        outage,
        since=min(outage.since, failing_since),
        down=tuple(sorted({*outage.down, document})),
        covered=tuple(sorted({*outage.covered, document})),
    )
    if now - outage.noticed_at >= REMIND_EVERY:
        key = f"{outage.notice_key}:{now.date().isoformat()}"
        return replace(grown, noticed_at=now, notice_key=key), Step.REMINDER
    if document not in outage.down:
        return grown, Step.AMEND
    return grown, Step.NOTHING


def leave(outage: Outage, document: str) -> tuple[Outage | None, Step]:
    """A document of the outage is accessible again: the outage after it (None: over)."""
    if document not in outage.down:
        return outage, Step.NOTHING
    down = tuple(d for d in outage.down if d != document)
    if down:
        return replace(outage, down=down), Step.NOTHING
    return None, Step.OVER


def _duration(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} h"
    return f"{max(1, int(delta.total_seconds() // 60))} min"


def render(outage: Outage, step: Step, now: datetime) -> Message:
    """The maintainers' message for ``step`` of ``outage`` (English, as every notice)."""
    since = f"{outage.since:%Y-%m-%d %H:%M} UTC"
    if step is Step.OVER:
        text = word(
            "en",
            "outage_over",
            host=outage.host,
            cause=outage.cause,
            duration=_duration(now - outage.since),
            n=len(outage.covered),
        )
        return render_notice(text, outage.covered)
    key = "outage_reminder" if step is Step.REMINDER else "outage"
    text = word("en", key, host=outage.host, cause=outage.cause, since=since, n=len(outage.down))
    details = [*outage.down]
    if outage.detail:
        details.append(word("en", "inaccessible_cause", cause=outage.detail))
    return render_notice(text, details)


class Outages:
    """The outages in the state database, and their notices in the outbox."""

    def __init__(
        self,
        outbox: Outbox,
        chat_id: str | None,
        now: Callable[[], datetime],
        gather_seconds: float = 0.0,
    ) -> None:
        """Queue notices to ``chat_id`` (None: outages are tracked and logged only).

        ``gather_seconds``: how long a new outage's notice waits for other documents to join.
        """
        self.outbox = outbox
        self.chat_id = chat_id
        self.now = now
        self.gather_seconds = gather_seconds

    def failed(self, document: Document, cause: str, detail: str = "") -> Step:
        """``document`` failed past the threshold with ``cause``; returns the step taken."""
        now = self.now()
        with self.outbox.state.transaction() as db:
            found = _failing_since(db, document.id)
            for other in _outages_of(db, document.host):
                if other.cause != cause:  # the document's cause changed: it left that outage
                    _store(db, other.meta_key, leave(other, document.id)[0])
            outage, step = join(
                _outage(db, document.host, cause),
                document.id,
                host=document.host,
                cause=cause,
                failing_since=found or now,
                now=now,
                detail=detail.removeprefix(f"{document.id}: "),
            )
            _store(db, outage.meta_key, outage)
            self._apply(db, outage, step, now)
        return step

    def recovered(self, document: Document) -> Step:
        """``document`` is accessible again; returns the step taken (OVER: an outage ended)."""
        now = self.now()
        taken = Step.NOTHING
        with self.outbox.state.transaction() as db:
            for outage in _outages_of(db, document.host):
                after, step = leave(outage, document.id)
                _store(db, outage.meta_key, after)
                if step is Step.OVER:
                    self._apply(db, outage, step, now)
                    taken = step
        return taken

    def _apply(self, db: Connection, outage: Outage, step: Step, now: datetime) -> None:
        if step is Step.NOTHING:
            return
        where = f"outage of {outage.host} ({outage.cause}) since {to_iso(outage.since)}"
        if step is Step.OVER:
            log.warning("%s is over: %s", where, ", ".join(outage.covered))
        elif step is not Step.AMEND:
            log.warning("%s (%s): %s", where, step.value, ", ".join(outage.down))
        if not self.chat_id:
            return
        message = render(outage, step, now)
        if step is Step.AMEND:
            amend_pending(db, outage.notice_key, message)
            return
        key = outage.notice_key
        not_before = None
        if step is Step.OVER:
            key = f"outage-over:{outage.host}:{outage.cause}:{to_stamp(outage.since)}"
        elif step is Step.NOTICE and self.gather_seconds > 0:
            not_before = now + timedelta(seconds=self.gather_seconds)
        item = Queued(MAINTAINERS, self.chat_id, message, not_before=not_before)
        insert_alert(db, key, [item], at=now)


def _failing_since(db: Connection, document: str) -> datetime | None:
    row = db.execute(
        "SELECT failing_since FROM document_state WHERE document = ?", (document,)
    ).fetchone()
    return from_iso(row[0]) if row and row[0] else None


def _outage(db: Connection, host: str, cause: str) -> Outage | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (meta_key(host, cause),)).fetchone()
    return Outage.from_json(host, cause, row[0]) if row else None


def _outages_of(db: Connection, host: str) -> list[Outage]:
    prefix = f"outage:{host}:"
    rows = db.execute(
        "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key",
        (len(prefix), prefix),
    ).fetchall()
    return [Outage.from_json(host, key[len(prefix) :], value) for key, value in rows]


def _store(db: Connection, key: str, outage: Outage | None) -> None:
    if outage is None:
        db.execute("DELETE FROM meta WHERE key = ?", (key,))
        return
    db.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, outage.to_json()),
    )
