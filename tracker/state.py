"""Operational state in SQLite: what the tracker needs between runs but lawyers do not.

The archive (``snapshots/``) is the record; this database only holds working state that can be
lost without losing evidence: conditional-GET validators, the count of inaccessible checks
in a row per document (for the maintainers' alert) and the Telegram outbox
(:mod:`tracker.outbox`; losing it loses pending alerts, never archived changes).
``TRACKER_DB`` takes an SQLAlchemy-style URL; only the ``sqlite`` scheme is supported
(``sqlite:///relative.db``, ``sqlite:////abs.db``, ``sqlite://`` for memory), with one option:
``?timeout=SECONDS``, how long to wait for another process's write lock (default 5).

Every database failure that is not a bug of ours (locked past that wait, read-only, not a
database, unreadable, disk full) is a :class:`StateError` naming the URL, the file and what to
do; the command line turns it into one line and exit code 2.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from tracker.errors import ConfigError, TrackerError
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


#: Seconds a command waits for another process's write lock before giving up (``?timeout=``).
DEFAULT_BUSY_TIMEOUT = 5.0


class StateError(TrackerError):
    """The state database cannot be used: locked, read-only, not a database, unreadable."""

    cause = "state-error"


def parse_sqlite_url(url: str) -> tuple[str, float]:
    """The file path (or ``:memory:``) and lock wait of an ``sqlite://`` URL; ConfigError else."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in {"sqlite", "sqlite+pysqlite"}:
        raise ConfigError(
            f"TRACKER_DB / --db: {url!r} is not supported; use an SQLite URL such as "
            "sqlite:///.tracker/state.sqlite3"
        )
    rest, _, query = rest.partition("?")
    timeout = DEFAULT_BUSY_TIMEOUT
    for key, value in parse_qsl(query, keep_blank_values=True):
        try:
            if key != "timeout":
                raise ValueError
            timeout = float(value)
            if not 0 <= timeout <= 86_400:
                raise ValueError
        except ValueError:
            raise ConfigError(
                f"TRACKER_DB / --db: {url!r}: {key}={value!r} is not an option; the only one is "
                "?timeout=SECONDS (0 to 86400), the wait for another process's write lock"
            ) from None
    if rest in {"", "/", "/:memory:"}:
        return ":memory:", timeout
    if not rest.startswith("/"):
        raise ConfigError(f"TRACKER_DB / --db: {url!r}: expected sqlite:///<path>")
    return rest[1:], timeout


def sqlite_path(url: str) -> str:
    """The file path (or ``:memory:``) named by an ``sqlite://`` URL; ConfigError otherwise."""
    return parse_sqlite_url(url)[0]


def _where(url: str) -> str:
    path = sqlite_path(url)
    return f"state database {url} ({path if path == ':memory:' else Path(path).absolute()})"


def describe_error(url: str, exc: sqlite3.Error, *, opening: bool = False) -> str | None:
    """One line on a database failure: the URL, the file and what to do.

    None for errors that are bugs of ours (bad SQL, constraint violations), which are never
    caught, unless ``opening``: then any failure is worded as "cannot open it".
    """
    timeout = parse_sqlite_url(url)[1]
    where = _where(url)
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    if primary in {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}:
        return (
            f"{where}: another process holds a write lock on it (waited {timeout:g} s); is a "
            "second tracker running? Let it finish or stop it, then try again "
            "(TRACKER_DB / --db sqlite:///PATH?timeout=SECONDS waits longer)"
        )
    if primary in {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH}:
        return (
            f"{where}: cannot write to it ({exc}); give this user write access to the file and "
            "its folder (SQLite writes <file>-wal and <file>-shm beside it)"
        )
    if primary == sqlite3.SQLITE_CANTOPEN:
        return (
            f"{where}: cannot open it ({exc}); it must be a file, not a folder, in a folder "
            "this user can write to"
        )
    if primary in {sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT}:
        return (
            f"{where}: not an SQLite database, or damaged ({exc}); check TRACKER_DB / --db, or "
            "move the file aside to start afresh (it holds working state, not evidence: "
            "validators, failure counts and the Telegram outbox, whose queued alerts would be "
            "lost)"
        )
    if primary == sqlite3.SQLITE_FULL:
        return f"{where}: the disk is full ({exc}); free some space, then try again"
    if primary == sqlite3.SQLITE_IOERR:
        return f"{where}: input/output error ({exc}); check the disk and its file system"
    return f"{where}: cannot open it: {exc}" if opening else None


@contextmanager
def translated(url: str, *, opening: bool = False) -> Iterator[None]:
    """Turn the database failures :func:`describe_error` words into :class:`StateError`."""
    try:
        yield
    except sqlite3.Error as exc:
        message = describe_error(url, exc, opening=opening)
        if message is None:
            raise
        raise StateError(message) from exc


def probe(url: str) -> None:
    """Check, without creating or writing anything, that an existing database can be read.

    For ``tracker validate``: a file that is not a database, unreadable or a folder is a
    :class:`StateError`; a missing file is fine (it is created on first use).
    """
    path, timeout = parse_sqlite_url(url)
    if path == ":memory:" or not Path(path).exists():
        return
    if Path(path).is_dir():
        raise StateError(f"{_where(url)}: cannot open it: a folder, not a file")
    with translated(url, opening=True):
        uri = f"file:{quote(str(Path(path).absolute()))}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=timeout)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            db.close()


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
        """Open (and create or migrate) the database named by ``url``.

        Raises:
            ConfigError: the URL is not a supported SQLite URL.
            StateError: the database cannot be opened, created or migrated.
        """
        path, timeout = parse_sqlite_url(url)
        self.url = url
        if path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateError(
                    f"{_where(url)}: cannot create its folder ({exc.strerror})"
                ) from exc
        with translated(url, opening=True):
            self._db = sqlite3.connect(
                path, timeout=timeout, check_same_thread=False, isolation_level=None
            )
            try:
                _use_wal(self._db)
                self._db.executescript(_SCHEMA)
                self._db.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            except BaseException:
                self._db.close()
                raise
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``), rolled back on any error.

        Database failures, in the transaction or in the caller's statements, raise StateError.
        """
        with self._lock, translated(self.url):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (disk full, I/O error): the error that
                # got us here is the one to report, not "no transaction is active".
                with contextlib.suppress(sqlite3.OperationalError):
                    self._db.execute("ROLLBACK")
                raise

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows of one query."""
        with self._lock, translated(self.url):
            return list(self._db.execute(sql, params).fetchall())

    def meta(self, key: str, default: str) -> str:
        """A value of the ``meta`` table, stored as ``default`` the first time it is asked."""
        with self._lock, translated(self.url):
            self._db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, default))
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    def get_meta(self, key: str) -> str | None:
        """A value of the ``meta`` table, or None if it was never set."""
        rows = self.read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Set (or replace) a value of the ``meta`` table."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def get(self, document: str) -> DocumentState:
        """The state of a document (empty for one never checked)."""
        with self._lock, translated(self.url):
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
