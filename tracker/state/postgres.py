"""The state database in PostgreSQL (``TRACKER_DB=postgresql://...``), through psycopg 3.

Imported only when such a URL is used: SQLite users never load psycopg. What it provides:

- :class:`PostgresBackend`, the connection :class:`~tracker.state.store.State` works through: one
  psycopg connection in autocommit mode, explicit ``BEGIN`` … ``COMMIT`` for writes, each
  write transaction first taking a transaction-scoped advisory lock (:data:`WRITES`), so
  writers are serialised as SQLite's ``BEGIN IMMEDIATE`` serialises them, waiting up to the
  URL's ``?timeout=`` (``lock_timeout``). Statements are written with ``?`` placeholders and
  rewritten by :func:`tracker.state.sql.to_postgres`. A connection the server closed (a restart, a
  network cut) fails the statement that found it (a :class:`StateError`), and the next
  statement connects again.
- :class:`PostgresLeadership`, the worker lock of ``tracker run``: a session-level advisory
  lock (:data:`LEADER`) held on a connection of its own for the worker's life. The server
  drops a session whose client died: at once when the client's kernel closes the socket (a
  process killed with ``kill -9``), after at most ~20 s of TCP keepalives when the client's
  machine vanished (set on the session: ``tcp_keepalives_*``, ``tcp_user_timeout``), freeing
  the lock for a standby.
- :func:`describe_error`: every failure that is not a bug of ours (unreachable server, login
  refused, missing database, lock wait exceeded, lost connection, no privilege, read-only)
  worded as one line naming the database, its password hidden.

Advisory lock keys are two 32-bit integers: :data:`LOCK_SPACE` (ours) and the lock's use.
They are per database, so two trackers on two databases never wait for each other.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from tracker.errors import StateError
from tracker.state.sql import Cursor, to_postgres
from tracker.state.url import Dialect, StateUrl

#: First key of every advisory lock of ours ("pt" for policy-tracker, as a 32-bit integer).
LOCK_SPACE = 0x7074
#: Second key: the lock every write transaction takes (one writer at a time), migrations too.
WRITES = 1
#: Second key: the session lock of the active ``tracker run`` worker.
LEADER = 2

#: Seconds a connection may sit idle before it is checked (and reopened) before its next use.
IDLE_PING_SECONDS = 30.0

#: Server-side settings of the leader's session, so that a vanished client is noticed soon.
LEADER_SESSION = (
    "SET tcp_keepalives_idle = 5",
    "SET tcp_keepalives_interval = 2",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 10000",
    "SET statement_timeout = 10000",
)
#: Client-side (libpq) settings of the leader's connection, for the same reason.
LEADER_KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10000,
}


def _detail(url: StateUrl, exc: BaseException) -> str:
    """The driver's message on one line, without the password."""
    text = " ".join(str(exc).split())
    password = url.password
    return text.replace(password, "***") if password else text


def describe_error(url: StateUrl, exc: psycopg.Error, *, opening: bool = False) -> str | None:
    """One line on a database failure: the URL (password hidden) and what to do.

    None for errors that are bugs of ours (bad SQL, constraint violations), which are never
    caught, unless ``opening``: then any failure is worded as "cannot open it".
    """
    where = f"state database {url.shown}"
    detail = _detail(url, exc)
    sqlstate = getattr(exc, "sqlstate", None) or ""
    lowered = detail.lower()
    if sqlstate == "55P03":  # lock_not_available: lock_timeout ran out
        return (
            f"{where}: another process holds a write lock on it (waited {url.timeout:g} s); is "
            "a second tracker running? Let it finish or stop it, then try again "
            "(TRACKER_DB / --db postgresql://...?timeout=SECONDS waits longer)"
        )
    if sqlstate == "42501":
        return f"{where}: this user is not allowed to do that ({detail}); grant it the rights"
    if sqlstate == "25006":
        return f"{where}: cannot write to it, the server is read-only ({detail})"
    if sqlstate.startswith("53"):
        return f"{where}: the server is out of resources ({detail})"
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        if "database" in lowered and "does not exist" in lowered:
            return f"{where}: the database does not exist ({detail}); create it, or fix the URL"
        if (
            "authentication failed" in lowered
            or "no password supplied" in lowered
            or ("role" in lowered and "does not exist" in lowered)
            or "no pg_hba.conf entry" in lowered
        ):
            return (
                f"{where}: the server refused the login ({detail}); check the user and password "
                "in TRACKER_DB (or ~/.pgpass, PGPASSWORD) and the server's pg_hba.conf"
            )
        if opening:
            return f"{where}: cannot connect to the server ({detail}); is it running and reachable?"
        return (
            f"{where}: lost the connection to the server ({detail}); nothing after the last "
            "commit was kept, and the next command connects again"
        )
    return f"{where}: cannot open it: {detail}" if opening else None


@contextmanager
def translated(url: StateUrl, *, opening: bool = False) -> Iterator[None]:
    """Turn the failures :func:`describe_error` words into :class:`StateError`."""
    try:
        yield
    except psycopg.Error as exc:
        message = describe_error(url, exc, opening=opening)
        if message is None:
            raise
        raise StateError(message) from exc


def connect(
    url: StateUrl, *, application: str = "policy-tracker", **extra: Any
) -> psycopg.Connection[Any]:
    """A new autocommit connection; psycopg errors are the caller's to translate."""
    lock_ms = max(1, round(url.timeout * 1000))
    connection = psycopg.connect(
        url.conninfo, autocommit=True, application_name=application[:63], **extra
    )
    try:
        connection.execute(f"SET lock_timeout = {lock_ms}")
    except BaseException:
        connection.close()
        raise
    return connection


class _Statements:
    """The :class:`tracker.state.sql.Connection` of a psycopg connection: ``?`` rewritten."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        # Always a tuple, even empty: psycopg then turns the doubled %% back into %.
        return self.connection.execute(to_postgres(sql), tuple(parameters))

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        cursor = self.connection.cursor()
        cursor.executemany(to_postgres(sql), [tuple(p) for p in parameters])
        return cursor


class PostgresBackend:
    """The state's connection to PostgreSQL (see the module's docstring)."""

    dialect: Dialect = "postgresql"

    def __init__(self, url: StateUrl) -> None:
        """Connect; StateError (worded by :func:`describe_error`) if the server says no."""
        self.url = url
        with translated(url, opening=True):
            self._statements = _Statements(connect(url))
        self._used = time.monotonic()

    def translated(self, *, opening: bool = False) -> contextlib.AbstractContextManager[None]:
        """Database failures in the body become :class:`StateError`."""
        return translated(self.url, opening=opening)

    def connection(self) -> _Statements:
        """The connection, opened again if the server closed it since the last statement.

        A connection idle for over :data:`IDLE_PING_SECONDS` (a standby's, waiting for its
        turn; the server may have closed it meanwhile) is first asked ``SELECT 1``, so the
        statement that follows does not find it dead. Only between transactions.
        """
        connection = self._statements.connection
        if not (connection.closed or connection.broken):
            if time.monotonic() - self._used < IDLE_PING_SECONDS:
                self._used = time.monotonic()
                return self._statements
            with contextlib.suppress(psycopg.Error):
                connection.execute("SELECT 1")
        if connection.closed or connection.broken:
            with contextlib.suppress(psycopg.Error):
                connection.close()
            self._statements = _Statements(connect(self.url))
        self._used = time.monotonic()
        return self._statements

    def begin(self) -> _Statements:
        """Start a write transaction holding the write advisory lock until its end."""
        statements = self.connection()
        statements.execute("BEGIN")
        try:
            statements.execute("SELECT pg_advisory_xact_lock(?, ?)", (LOCK_SPACE, WRITES))
        except BaseException:
            self.rollback()  # the wait ran out: leave no aborted transaction behind
            raise
        return statements

    def commit(self) -> None:
        """Commit the transaction :meth:`begin` started."""
        self._statements.execute("COMMIT")

    def rollback(self) -> None:
        """Roll it back (quietly if the connection is gone: the server rolled it back)."""
        with contextlib.suppress(psycopg.Error):
            self._statements.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self._statements.connection.close()


def probe(url: StateUrl) -> None:
    """Connect and read, without creating or writing anything (``tracker validate``)."""
    with translated(url, opening=True), connect(url) as connection:
        connection.execute("SELECT 1").fetchone()


class PostgresLeadership:
    """The worker lock in PostgreSQL: a session advisory lock on a connection of its own."""

    def __init__(self, url: StateUrl) -> None:
        """Prepare; nothing connects before :meth:`try_acquire`."""
        self.url = url
        self._connection: psycopg.Connection[Any] | None = None
        self.name = f"policy-tracker worker {socket.gethostname()} pid {os.getpid()}"

    @property
    def where(self) -> str:
        """What the lock is, for messages."""
        return f"the worker lock of state database {self.url.shown}"

    def try_acquire(self) -> bool:
        """Take the lock if it is free; StateError if the server cannot be reached."""
        with translated(self.url, opening=self._connection is None):
            if self._connection is None or self._connection.closed or self._connection.broken:
                self.release()
                self._connection = connect(self.url, application=self.name, **LEADER_KEEPALIVES)
                for sql in LEADER_SESSION:
                    self._connection.execute(sql)
            row = self._connection.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_SPACE, LEADER)
            ).fetchone()
        return bool(row and row[0])

    def holder(self) -> str:
        """Who holds the lock, as its session names itself; '' if unknown."""
        if self._connection is None:
            return ""
        try:
            row = self._connection.execute(
                "SELECT a.application_name, a.client_addr::text FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
                " AND l.classid = %s AND l.objid = %s AND l.objsubid = 2 AND l.granted",
                (LOCK_SPACE, LEADER),
            ).fetchone()
        except psycopg.Error:
            return ""
        if not row:
            return ""
        return f"{row[0] or 'a session'}" + (f" from {row[1]}" if row[1] else "")

    def still_held(self) -> bool:
        """Whether our session (hence the lock) is still alive: one round trip to the server."""
        if self._connection is None:
            return False
        try:
            self._connection.execute("SELECT 1").fetchone()
        except psycopg.Error:
            self.release()
            return False
        return True

    def release(self) -> None:
        """End the session, which frees the lock (if we held it)."""
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()
            self._connection = None
