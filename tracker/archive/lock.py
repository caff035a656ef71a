"""One writer per archive: an OS lock on ``<archive>/.lock``, taken by every command that writes.

Two processes writing one archive (a manual ``tracker check`` while ``tracker run`` works is the
everyday case) used to delete each other's temporary files and "orphan" snapshots. Every writer
now holds an exclusive ``flock`` on ``.lock`` while it writes; readers that must see a
consistent archive (``tracker verify``) take it shared. The kernel releases the lock when its
holder dies, even on ``kill -9``, so a crashed writer never wedges the archive.

A process that finds the lock taken waits for it, says so once (naming the holder, as written in
the lock file: pid, command, since when) and gives up after ``wait`` seconds with
:class:`LockTimeout`, leaving everything as it was. ``wait=None`` waits for ever (``tracker
run``).

Telegram sends have their own lock (``.send.lock`` beside it): two processes draining one outbox
at the same time could post one message twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from tracker.errors import TrackerError
from tracker.timestamps import to_iso, utc_now

#: Seconds between two attempts while waiting for a lock held by another process.
POLL_SECONDS = 0.05


class LockTimeout(TrackerError):
    """Another process held the archive's lock for longer than we were told to wait."""

    cause = "archive-busy"


def holder(path: Path) -> str:
    """Who holds (or last held) the lock at ``path``, as written in it; '' if unknown."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return ""
    if not isinstance(info, dict) or "pid" not in info:
        return ""
    return f"pid {info.get('pid')} ({info.get('command', '?')}, since {info.get('since', '?')})"


@contextlib.contextmanager
def file_lock(
    path: Path,
    *,
    shared: bool = False,
    wait: float | None = 0.0,
    waiting: Callable[[str], None] = lambda _: None,
    what: str = "the archive",
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold an OS lock on ``path`` for the body of the ``with``.

    Args:
        path: the lock file (created if missing; its content only informs people).
        shared: take a shared lock (readers) instead of an exclusive one (writers).
        wait: seconds to wait for a lock held by another process; ``None`` for ever.
        waiting: told once, with a human sentence, when the lock is taken by someone else.
        what: what the lock protects, for messages.
        clock: monotonic seconds (injected in tests).

    Raises:
        LockTimeout: the lock was still held after ``wait`` seconds.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = path.open("a+", encoding="utf-8")
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        deadline = None if wait is None else clock() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                who = holder(path) or "another process"
                if deadline is not None and clock() >= deadline:
                    raise LockTimeout(
                        f"{what} is locked by {who}: gave up after {wait:g} s "
                        f"(lock file {path}; use --wait SECONDS to wait longer)"
                    ) from None
                if not told:
                    limit = "as long as it takes" if wait is None else f"up to {wait:g} s"
                    waiting(f"{what} is locked by {who}; waiting {limit}")
                    told = True
                time.sleep(POLL_SECONDS)
        if not shared:
            handle.seek(0)
            handle.truncate()
            handle.write(
                json.dumps(
                    {"pid": os.getpid(), "command": command_line(), "since": to_iso(utc_now())}
                )
                + "\n"
            )
            handle.flush()
        yield
    finally:
        handle.close()  # closing the descriptor releases the lock


#: Longest command line written in the lock file (its start and its end are kept).
COMMAND_CHARS = 200


def command_line() -> str:
    """This process's command line, short: ``tracker check --document ...``.

    Run as ``python -m tracker``, ``argv[0]`` is the package's ``__main__.py``: the package
    is named instead. A long line keeps its start and its end, where the command is (long
    ``--config``/``--archive`` paths come first).
    """
    if not sys.argv:
        return "?"
    program = Path(sys.argv[0])
    name = program.parent.name if program.name == "__main__.py" else program.name
    line = " ".join([name, *sys.argv[1:]])
    if len(line) <= COMMAND_CHARS:
        return line
    head = COMMAND_CHARS * 2 // 5
    return f"{line[:head]} … {line[head + 3 - COMMAND_CHARS :]}"


def archive_lock_path(root: Path) -> Path:
    """The lock file of the archive at ``root``."""
    return root / ".lock"


def send_lock_path(root: Path) -> Path:
    """The lock file that keeps two processes from draining the outbox at once."""
    return root / ".send.lock"


def worker_lock_path(root: Path) -> Path:
    """The lock file of the active ``tracker run`` worker, with SQLite.

    See :mod:`tracker.ops.leadership`.
    """
    return root / ".worker.lock"
