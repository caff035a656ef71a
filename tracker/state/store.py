"""Operational state: what the tracker needs between runs but lawyers do not.

The archive (``snapshots/``) is the record; this database only holds working state that can be
lost without losing evidence: conditional-GET validators, the count of inaccessible checks
in a row per document (for the maintainers' alert) and the Telegram outbox
(:mod:`tracker.notify.outbox`; losing it loses pending alerts, never archived changes).

``TRACKER_DB`` (:mod:`tracker.state.url`) names an SQLite file, the default and the only one
that needs no set-up, or a PostgreSQL database (:mod:`tracker.state.postgres`, loaded only then).
Both hold one schema, built by the numbered migrations of :mod:`tracker.state.migrations`, applied
when the database is opened in one write transaction (two processes starting at once apply
each one once). Queries are written once with ``?`` placeholders (:mod:`tracker.state.sql`).

Every database failure that is not a bug of ours (locked past the URL's ``?timeout=``,
read-only, not a database, disk full, server unreachable, login refused) is a
:class:`StateError` naming the database (its password hidden) and what to do; the command line
turns it into one line and exit code 2.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from tracker.errors import ConfigError, StateError
from tracker.models import Validators
from tracker.state.migrations import SCHEMA_VERSION, migrate
from tracker.state.sql import Connection
from tracker.state.url import DEFAULT_BUSY_TIMEOUT, StateUrl, parse_state_url
from tracker.timestamps import from_iso, to_iso, utc_now

if TYPE_CHECKING:
    from tracker.state.url import Dialect

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "SCHEMA_VERSION",
    "DocumentState",
    "State",
    "StateError",
    "parse_sqlite_url",
    "probe",
    "sqlite_path",
]


def parse_sqlite_url(url: str) -> tuple[str, float]:
    """The file path (or ``:memory:``) and lock wait of an ``sqlite://`` URL; ConfigError else."""
    parsed = parse_state_url(url)
    if parsed.dialect != "sqlite":
        raise ConfigError(f"TRACKER_DB / --db: {parsed.shown}: not an SQLite URL")
    return parsed.path, parsed.timeout


def sqlite_path(url: str) -> str:
    """The file path (or ``:memory:``) named by an ``sqlite://`` URL; ConfigError otherwise."""
    return parse_sqlite_url(url)[0]


def _require_psycopg() -> None:
    """ConfigError, saying what to install, when a PostgreSQL URL meets no driver."""
    if importlib.util.find_spec("psycopg") is None:
        raise ConfigError(
            "TRACKER_DB / --db: a PostgreSQL URL needs psycopg 3, which is not installed: "
            "pip install 'psycopg[binary]' (or reinstall policy-tracker)"
        )


def _where(url: str) -> str:
    path = sqlite_path(url)
    return f"state database {url} ({path if path == ':memory:' else Path(path).absolute()})"


def describe_error(url: str, exc: sqlite3.Error, *, opening: bool = False) -> str | None:
    """One line on an SQLite failure: the URL, the file and what to do.

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
    """Turn the SQLite failures :func:`describe_error` words into :class:`StateError`."""
    try:
        yield
    except sqlite3.Error as exc:
        message = describe_error(url, exc, opening=opening)
        if message is None:
            raise
        raise StateError(message) from exc


def probe(url: str) -> None:
    """Check, without creating or writing anything, that an existing database can be read.

    For ``tracker validate``: a file that is not a database, unreadable or a folder, or a
    PostgreSQL server that cannot be reached or refuses the login, is a :class:`StateError`;
    a missing SQLite file is fine (it is created on first use).
    """
    parsed = parse_state_url(url)
    if parsed.dialect == "postgresql":
        _require_psycopg()
        from tracker.state import postgres

        postgres.probe(parsed)
        return
    path, timeout = parsed.path, parsed.timeout
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


class Backend(Protocol):
    """One database's connection, as :class:`State` uses it (SQLite here, or PostgreSQL)."""

    @property
    def dialect(self) -> Dialect:
        """``sqlite`` or ``postgresql``."""

    def translated(self, *, opening: bool = False) -> AbstractContextManager[None]:
        """Database failures in the body become :class:`StateError`."""

    def connection(self) -> Connection:
        """The connection, for statements outside a transaction."""

    def begin(self) -> Connection:
        """Start a write transaction, holding the database's write lock until its end."""

    def commit(self) -> None:
        """Commit it."""

    def rollback(self) -> None:
        """Roll it back (quietly if the database already did)."""

    def close(self) -> None:
        """Close the connection."""


class SqliteBackend:
    """An SQLite file (or memory), in WAL mode, with ``BEGIN IMMEDIATE`` write transactions."""

    dialect: Dialect = "sqlite"

    def __init__(self, url: str) -> None:
        """Open the file, creating its folder; StateError if it cannot be opened."""
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
            except BaseException:
                self._db.close()
                raise

    def translated(self, *, opening: bool = False) -> AbstractContextManager[None]:
        """SQLite failures in the body become :class:`StateError`."""
        return translated(self.url, opening=opening)

    def connection(self) -> sqlite3.Connection:
        """The connection."""
        return self._db

    def begin(self) -> sqlite3.Connection:
        """``BEGIN IMMEDIATE``: the write lock, waited for up to the URL's timeout."""
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def commit(self) -> None:
        """``COMMIT``."""
        self._db.execute("COMMIT")

    def rollback(self) -> None:
        """``ROLLBACK``; SQLite may already have rolled back (disk full, I/O error)."""
        with contextlib.suppress(sqlite3.OperationalError):
            self._db.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


@dataclass(frozen=True, slots=True)
class DocumentState:
    """What the database knows about one document."""

    document: str
    validators: Validators
    failures_in_row: int
    last_cause: str
    last_checked_at: datetime | None
    last_success_at: datetime | None
    failing_since: datetime | None = None


class State:
    """The state database. Thread-safe: the scheduler checks documents from worker threads."""

    def __init__(self, url: str) -> None:
        """Open the database named by ``url``, creating it or applying missing migrations.

        Raises:
            ConfigError: the URL is not a supported SQLite or PostgreSQL URL.
            StateError: the database cannot be opened, created or migrated.
        """
        parsed: StateUrl = parse_state_url(url)
        self.url = parsed.shown
        """The URL, its password hidden: for messages."""
        self._backend: Backend
        if parsed.dialect == "postgresql":
            _require_psycopg()
            from tracker.state.postgres import PostgresBackend

            self._backend = PostgresBackend(parsed)
        else:
            self._backend = SqliteBackend(url)
        self._lock = threading.Lock()
        try:
            with self._backend.translated(opening=True):
                db = self._backend.begin()
                try:
                    migrate(db, self._backend.dialect, utc_now())
                    self._backend.commit()
                except BaseException:
                    self._backend.rollback()
                    raise
        except StateError as exc:
            self._backend.close()
            if str(exc).startswith("state database "):
                raise
            raise type(exc)(f"state database {self.url}: {exc}") from exc
        except BaseException:
            self._backend.close()
            raise

    @property
    def dialect(self) -> Dialect:
        """``sqlite`` or ``postgresql``."""
        return self._backend.dialect

    def close(self) -> None:
        """Close the connection."""
        self._backend.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction, rolled back on any error.

        SQLite: ``BEGIN IMMEDIATE`` … ``COMMIT``; PostgreSQL: ``BEGIN``, the write advisory
        lock, … ``COMMIT``: one writer at a time either way. Statements take ``?``
        placeholders on both. Database failures, in the transaction or in the caller's
        statements, raise StateError.
        """
        with self._lock, self._backend.translated():
            db = self._backend.begin()
            try:
                yield db
                self._backend.commit()
            except BaseException:
                # The database may already have rolled back (disk full, I/O error, lost
                # connection): the error that got us here is the one to report.
                self._backend.rollback()
                raise

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows of one query (``?`` placeholders)."""
        with self._lock, self._backend.translated():
            rows = self._backend.connection().execute(sql, params).fetchall()
        return [tuple(row) for row in rows]

    def meta(self, key: str, default: str) -> str:
        """A value of the ``meta`` table, stored as ``default`` the first time it is asked."""
        with self._lock, self._backend.translated():
            db = self._backend.connection()
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, default),
            )
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
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
        with self._lock, self._backend.translated():
            row = (
                self._backend.connection()
                .execute(
                    "SELECT etag, last_modified, failures_in_row, last_cause, last_checked_at,"
                    " last_success_at, failing_since FROM document_state WHERE document = ?",
                    (document,),
                )
                .fetchone()
            )
        if row is None:
            return DocumentState(document, Validators(), 0, "", None, None)
        return DocumentState(
            document=document,
            validators=Validators(etag=row[0], last_modified=row[1]),
            failures_in_row=row[2],
            last_cause=row[3],
            last_checked_at=from_iso(row[4]) if row[4] else None,
            last_success_at=from_iso(row[5]) if row[5] else None,
            failing_since=from_iso(row[6]) if row[6] else None,
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
                " last_success_at = excluded.last_success_at, failing_since = NULL",
                (document, validators.etag, validators.last_modified, to_iso(at), to_iso(at)),
            )
        return int(row[0]) if row else 0

    def record_failure(self, document: str, at: datetime, cause: str) -> int:
        """Count one more inaccessible check; returns the count of failures in a row."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO document_state(document, failures_in_row, last_cause,"
                " last_checked_at, failing_since) VALUES (?, 1, ?, ?, ?)"
                " ON CONFLICT(document) DO UPDATE SET"
                " failures_in_row = document_state.failures_in_row + 1,"
                " last_cause = excluded.last_cause, last_checked_at = excluded.last_checked_at,"
                " failing_since = COALESCE(document_state.failing_since, excluded.failing_since)",
                (document, cause, to_iso(at), to_iso(at)),
            )
            row = db.execute(
                "SELECT failures_in_row FROM document_state WHERE document = ?", (document,)
            ).fetchone()
        return int(row[0])
