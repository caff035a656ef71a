"""Operational state in SQLite: what the tracker needs between runs but lawyers do not.

The archive (``snapshots/``) is the record; this database only holds working state that can be
lost without losing evidence: conditional-GET validators, the count of inaccessible checks
in a row per document (for the maintainers' alert) and the Telegram outbox
(:mod:`tracker.outbox`; losing it loses pending alerts, never archived changes).
``TRACKER_DB`` takes an SQLAlchemy-style URL; only the ``sqlite`` scheme is supported
(``sqlite:///relative.db``, ``sqlite:////abs.db``, ``sqlite://`` for memory).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tracker.errors import ConfigError
from tracker.models import Validators
from tracker.timestamps import from_iso, to_iso

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS document_state (
    document        TEXT PRIMARY KEY,
    etag            TEXT,
    last_modified   TEXT,
    failures_in_row INTEGER NOT NULL DEFAULT 0,
    last_cause      TEXT NOT NULL DEFAULT '',
    last_checked_at TEXT,
    last_success_at TEXT
);
CREATE TABLE IF NOT EXISTS alerts (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    document     TEXT NOT NULL DEFAULT '',
    version      TEXT NOT NULL DEFAULT '',
    significance TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY,
    alert_id    INTEGER NOT NULL REFERENCES alerts(id),
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    role        TEXT NOT NULL,
    method      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL,
    not_before  TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    message_id  INTEGER,
    sent_at     TEXT,
    shown_at    TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_status ON outbox(status, chat_id, id);
"""


def sqlite_path(url: str) -> str:
    """The file path (or ``:memory:``) named by an ``sqlite://`` URL; ConfigError otherwise."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in {"sqlite", "sqlite+pysqlite"}:
        raise ConfigError(
            f"TRACKER_DB / --db: {url!r} is not supported; use an SQLite URL such as "
            "sqlite:///.tracker/state.sqlite3"
        )
    if rest in {"", "/", "/:memory:"}:
        return ":memory:"
    if not rest.startswith("/"):
        raise ConfigError(f"TRACKER_DB / --db: {url!r}: expected sqlite:///<path>")
    return rest[1:]


#: Seconds to keep trying to switch a database to WAL while other processes open it too.
WAL_WAIT_SECONDS = 5.0


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the database to WAL journaling (a no-op once it is).

    Several processes opening a new database at once (a manual ``tracker check`` started with
    ``tracker run``) race to switch it: SQLite refuses the loser at once with "database is
    locked", without waiting for its busy timeout (to avoid a deadlock). The switch is tried
    again until it holds, or ``WAL_WAIT_SECONDS`` have passed.
    """
    deadline = time.monotonic() + WAL_WAIT_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


@dataclass(frozen=True, slots=True)
class DocumentState:
    """What the database knows about one document."""

    document: str
    validators: Validators
    failures_in_row: int
    last_cause: str
    last_checked_at: datetime | None
    last_success_at: datetime | None


class State:
    """The state database. Thread-safe: the scheduler checks documents from worker threads."""

    def __init__(self, url: str) -> None:
        """Open (and create or migrate) the database named by ``url``."""
        path = sqlite_path(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout=5000")
            _use_wal(self._db)
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        except sqlite3.Error as exc:
            raise ConfigError(f"TRACKER_DB / --db: cannot open {url!r}: {exc}") from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``), rolled back on any error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows of one query."""
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    def meta(self, key: str, default: str) -> str:
        """A value of the ``meta`` table, stored as ``default`` the first time it is asked."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, default))
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    def get(self, document: str) -> DocumentState:
        """The state of a document (empty for one never checked)."""
        with self._lock:
            row = self._db.execute(
                "SELECT etag, last_modified, failures_in_row, last_cause, last_checked_at,"
                " last_success_at FROM document_state WHERE document = ?",
                (document,),
            ).fetchone()
        if row is None:
            return DocumentState(document, Validators(), 0, "", None, None)
        return DocumentState(
            document=document,
            validators=Validators(etag=row[0], last_modified=row[1]),
            failures_in_row=row[2],
            last_cause=row[3],
            last_checked_at=from_iso(row[4]) if row[4] else None,
            last_success_at=from_iso(row[5]) if row[5] else None,
        )

    def record_success(self, document: str, at: datetime, validators: Validators) -> int:
        """Reset the failure count; returns how many failures in a row it had reached."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT failures_in_row FROM document_state WHERE document = ?", (document,)
            ).fetchone()
            db.execute(
                "INSERT INTO document_state(document, etag, last_modified, failures_in_row,"
                " last_cause, last_checked_at, last_success_at) VALUES (?, ?, ?, 0, '', ?, ?)"
                " ON CONFLICT(document) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified, failures_in_row = 0,"
                " last_cause = '', last_checked_at = excluded.last_checked_at,"
                " last_success_at = excluded.last_success_at",
                (document, validators.etag, validators.last_modified, to_iso(at), to_iso(at)),
            )
        return int(row[0]) if row else 0

    def record_failure(self, document: str, at: datetime, cause: str) -> int:
        """Count one more inaccessible check; returns the count of failures in a row."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO document_state(document, failures_in_row, last_cause,"
                " last_checked_at) VALUES (?, 1, ?, ?) ON CONFLICT(document) DO UPDATE SET"
                " failures_in_row = failures_in_row + 1, last_cause = excluded.last_cause,"
                " last_checked_at = excluded.last_checked_at",
                (document, cause, to_iso(at)),
            )
            row = db.execute(
                "SELECT failures_in_row FROM document_state WHERE document = ?", (document,)
            ).fetchone()
        return int(row[0])
