"""Failover for ``tracker run``: one active worker per state database, the others standing by.

Two workers with the same configuration and database (on two machines, or two on one) may run
at once: the first to take the *worker lock* is active and schedules the checks; the others
say once that they stand by (WARNING), try the lock again every ``poll`` seconds, and take over
when the active one is gone, running the scheduler's start-up catch-up so that no check is lost.

The lock is the database's:

- PostgreSQL: a session-level advisory lock on a connection of its own
  (:class:`tracker.state.postgres.PostgresLeadership`). The server frees it when the session ends:
  at once when the worker is killed (its kernel closes the socket), within ~20 s (TCP
  keepalives) when its machine vanished. The active worker checks its session every
  ``poll`` seconds; if it is gone (server restart, network cut), it **steps down**: it starts
  no new check, lets the running one finish, and stands by again, never working on as a
  second active worker.
- SQLite (a file on one machine): an OS lock (``flock``) on ``<archive>/.worker.lock``
  (:class:`FileLeadership`), freed by the kernel when its holder dies, even on ``kill -9``.

Nothing is done twice in a takeover: checks still take the archive's own lock
(:mod:`tracker.archive.lock`), alerts are queued under unique keys (:mod:`tracker.notify.outbox`),
and the outbox is drained under its send lock.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from pathlib import Path
from typing import IO, Protocol

from tracker.archive.lock import command_line, holder, worker_lock_path
from tracker.errors import StateError
from tracker.state.url import parse_state_url
from tracker.timestamps import to_iso, utc_now

log = logging.getLogger(__name__)

#: Seconds between two tries of a standby, and between two checks of the active worker's lock.
POLL_SECONDS = 5.0


class Leadership(Protocol):
    """The worker lock: taken by the active worker, for its whole life."""

    @property
    def where(self) -> str:
        """What the lock is, for messages."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free (without waiting); StateError if it cannot be asked."""

    def holder(self) -> str:
        """Who holds it, as far as can be told; '' if unknown."""

    def still_held(self) -> bool:
        """Whether we still hold it (False once lost: step down)."""

    def release(self) -> None:
        """Let it go (a no-op if not held)."""


class FileLeadership:
    """The worker lock of an SQLite deployment: ``flock`` on a file beside the archive."""

    def __init__(self, path: Path) -> None:
        """Prepare; nothing is opened before :meth:`try_acquire`."""
        self.path = path
        self._handle: IO[str] | None = None

    @property
    def where(self) -> str:
        """What the lock is, for messages."""
        return f"the worker lock {self.path}"

    def try_acquire(self) -> bool:
        """Take the lock if no other process holds it."""
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle: IO[str] = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        info = {"pid": os.getpid(), "command": command_line(), "since": to_iso(utc_now())}
        handle.write(json.dumps(info) + "\n")
        handle.flush()
        self._handle = handle
        return True

    def holder(self) -> str:
        """The holder, as it wrote itself in the file."""
        return holder(self.path)

    def still_held(self) -> bool:
        """An OS lock is held until we let it go or die."""
        return self._handle is not None

    def release(self) -> None:
        """Close the file, which frees the lock."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def leadership_for(db_url: str, archive_dir: Path) -> Leadership:
    """The worker lock of a deployment: in PostgreSQL, or beside the archive with SQLite."""
    url = parse_state_url(db_url)
    if url.dialect == "postgresql":
        from tracker.state.postgres import PostgresLeadership

        return PostgresLeadership(url)
    return FileLeadership(worker_lock_path(archive_dir))


def wait_for_leadership(
    leadership: Leadership, stopping: threading.Event, poll: float = POLL_SECONDS
) -> bool:
    """Try the lock every ``poll`` seconds until we hold it (True) or ``stopping`` is set.

    Says once (WARNING) that this worker stands by, and who is active; says so again when it
    takes over. A database that cannot be reached meanwhile is logged once and tried again.
    """
    standing_by = False
    unreachable = ""
    while not stopping.is_set():
        try:
            if leadership.try_acquire():
                if standing_by:
                    log.warning(
                        "taking over: this worker is now the active one (%s)", leadership.where
                    )
                return True
        except StateError as exc:
            if str(exc) != unreachable:
                log.warning(
                    "cannot ask for %s (trying again every %g s): %s", leadership.where, poll, exc
                )
                unreachable = str(exc)
        else:
            unreachable = ""
            if not standing_by:
                log.warning(
                    "standing by: another worker is active (%s holds %s); this one takes over "
                    "when it stops (trying every %g s)",
                    leadership.holder() or "another process",
                    leadership.where,
                    poll,
                )
                standing_by = True
        stopping.wait(poll)
    return False
