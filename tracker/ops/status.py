"""``tracker status``: what a maintainer needs to know, read without reading the archive.

Per document: the last check (the last row of its latest checks file, ``checks/<year>.csv``,
read from the end of the file),
the last success, whether it is failing and since when (cause, checks in a row), the latest
version and change (from file names) and the next scheduled run (from its cron, without
jitter). Then the outbox backlog per channel (one grouped query) and the last push of the
archive to its remote. Nothing reads a whole checks file: the failure facts come from the
state database's ``document_state``; only for a document the database does not know (a lost
database) is the latest checks file read backwards from its end, as far as its last success.

:func:`gather` builds a :class:`Status` (frozen dataclasses); :func:`to_json` gives the
stable schema of ``tracker status --json`` (:data:`SCHEMA_VERSION`); :mod:`tracker.cli.status`
renders the table. A status *needs a maintainer* (``tracker status`` exits 1) when a document
has been inaccessible ``inaccessible_after`` checks in a row or more, a message failed or has
been pending longer than :data:`STUCK_AFTER`, or the last push to the remote failed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tracker.archive.store import Archive
from tracker.bot.subscription import CHANNEL_PREFIX
from tracker.config import Settings
from tracker.cron import next_fire
from tracker.models import Document, Outcome
from tracker.state.store import State
from tracker.timestamps import from_iso, to_iso

#: The version of the ``--json`` schema; bumped when a key changes meaning or goes away.
SCHEMA_VERSION = 1
#: A message pending longer than this is stuck (no token, Telegram unreachable, flood limits).
STUCK_AFTER = timedelta(hours=1)
#: The ``meta`` keys the push of the archive to its remote writes (see :func:`read_remote`).
#: The ``meta`` key under which :mod:`tracker.archive.history` keeps the pushes' outcome (JSON).
PUSH_KEY = "archive_push"
#: How much of the end of ``checks.csv`` is read first (doubled until enough is found).
TAIL_BYTES = 16 * 1024

_ROW_START = re.compile(rb"\n(?=\d{4}-\d\d-\d\dT\d\d:\d\d)")
_SUCCESS_EXCLUDED = frozenset({Outcome.INACCESSIBLE.value, Outcome.SUSPECT.value})


@dataclass(frozen=True, slots=True)
class LastCheck:
    """The last row of ``checks.csv``."""

    at: str
    outcome: str
    cause: str


@dataclass(frozen=True, slots=True)
class Failing:
    """A document inaccessible now: since its first failure in a row, why, and how many."""

    since: str | None
    cause: str
    count: int


@dataclass(frozen=True, slots=True)
class DocumentStatus:
    """One document's line of the status."""

    document: str
    last_check: LastCheck | None
    last_success_at: str | None
    failing: Failing | None
    latest_version: str | None
    latest_change: str | None
    next_run: str | None
    source: str  # "state": the failure facts are the database's; "checks.csv": read back
    needs_attention: bool


@dataclass(frozen=True, slots=True)
class ChannelBacklog:
    """The messages of one channel still in the outbox."""

    channel: str
    pending: int
    held: int
    failed: int
    oldest_pending_at: str | None
    stuck: bool


@dataclass(frozen=True, slots=True)
class Remote:
    """The last push of the archive to its remote (``configured`` False: no remote is set)."""

    configured: bool
    url: str = ""
    last_attempt: str | None = None
    last_success: str | None = None
    failures: int = 0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class Status:
    """The whole status, and the problems that need a maintainer (one sentence each)."""

    generated_at: str
    documents: tuple[DocumentStatus, ...]
    outbox: tuple[ChannelBacklog, ...]
    remote: Remote
    problems: tuple[str, ...]

    @property
    def needs_attention(self) -> bool:
        """Whether something needs a maintainer (``tracker status`` exits 1)."""
        return bool(self.problems)


# --------------------------------------------------------------------------- gathering
def gather(settings: Settings, state: State, archive: Archive, now: datetime) -> Status:
    """The status of every configured document, the outbox and the remote, at ``now``."""
    threshold = settings.alerts.inaccessible_after
    rows = _document_rows(state)
    documents = tuple(
        _document_status(doc, rows.get(doc.id), archive, settings, now, threshold)
        for doc in settings.documents.values()
    )
    outbox = tuple(_backlog(state, now))
    remote = read_remote(_meta(state, (PUSH_KEY,)).get(PUSH_KEY), settings.git.shown_remote)
    problems = [_document_problem(d) for d in documents if d.needs_attention]
    for channel in outbox:
        if channel.failed:
            problems.append(f"outbox {channel.channel}: {channel.failed} failed messages")
        if channel.stuck:
            problems.append(
                f"outbox {channel.channel}: {channel.pending} messages pending since "
                f"{channel.oldest_pending_at}"
            )
    if remote.failures >= threshold:
        problems.append(
            f"remote: {remote.failures} failed pushes in a row"
            + (f" ({remote.last_error})" if remote.last_error else "")
        )
    return Status(to_iso(now), documents, outbox, remote, tuple(problems))


def _document_problem(status: DocumentStatus) -> str:
    failing = status.failing
    assert failing is not None  # noqa: S101 - only failing documents need attention
    return (
        f"{status.document}: inaccessible {failing.count} checks in a row"
        f" since {failing.since or '?'} ({failing.cause})"
    )


def _document_rows(state: State) -> dict[str, tuple[Any, ...]]:
    rows = state.read(
        "SELECT document, failures_in_row, last_cause, last_checked_at, last_success_at,"
        " failing_since FROM document_state"
    )
    return {row[0]: row for row in rows}


def _document_status(
    document: Document,
    row: tuple[Any, ...] | None,
    archive: Archive,
    settings: Settings,
    now: datetime,
    threshold: int,
) -> DocumentStatus:
    files = archive.checks_files(document.id)
    checks = archive.folder(document.id) / (files[-1] if files else "checks.csv")
    source = "state"
    if row is not None:
        last = read_last_checks(checks, stop_at_success=False)
        failures, cause, success_at, since = int(row[1]), str(row[2]), row[4], row[5]
    else:
        last = read_last_checks(checks, stop_at_success=True)
        failures, cause, success_at, since = _failures_from(last)
        source = "checks.csv"
    last_check = LastCheck(last[-1][0], last[-1][1], last[-1][2]) if last else None
    failing = Failing(since, cause, failures) if failures else None
    versions = archive.version_stamps(document.id)
    changes = archive.change_stamps(document.id)
    cron = document.schedule or settings.schedule.cron
    fire = next_fire(cron, now, settings.schedule.timezone)
    return DocumentStatus(
        document=document.id,
        last_check=last_check,
        last_success_at=success_at,
        failing=failing,
        latest_version=versions[-1] if versions else None,
        latest_change=changes[-1] if changes else None,
        next_run=to_iso(fire) if fire is not None else None,
        source=source,
        needs_attention=failures >= threshold,
    )


def _failures_from(rows: list[tuple[str, str, str]]) -> tuple[int, str, str | None, str | None]:
    """(failures in a row, last cause, last success, failing since) from the last rows."""
    failures, cause, since, success = 0, "", None, None
    for at, outcome, why in reversed(rows):
        if outcome not in _SUCCESS_EXCLUDED:
            success = at
            break
        if outcome == Outcome.INACCESSIBLE.value:
            failures += 1
            cause = cause or why
            since = at
    return failures, cause, success, since


def read_last_checks(path: Path, *, stop_at_success: bool) -> list[tuple[str, str, str]]:
    """The last rows of ``checks.csv`` as (checked_at, outcome, cause), oldest first.

    Reads from the end of the file, :data:`TAIL_BYTES` at first: only the last row, unless
    ``stop_at_success``, then every row back to the last successful check (the whole file
    for a document that never succeeded). Empty when there is no file.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return []
    with handle:
        size = handle.seek(0, io.SEEK_END)
        want = TAIL_BYTES
        while True:
            start = max(0, size - want)
            handle.seek(start)
            rows = _parse_rows(handle.read(size - start), whole=start == 0)
            found = [r for r in rows if r[1] not in _SUCCESS_EXCLUDED]
            if start == 0 or (rows and (not stop_at_success or found)):
                return rows
            want *= 4


def _parse_rows(data: bytes, *, whole: bool) -> list[tuple[str, str, str]]:
    if not whole:  # start at the first row that begins in this piece
        match = _ROW_START.search(data)
        data = data[match.start() + 1 :] if match else b""
    rows = []
    for row in csv.reader(io.StringIO(data.decode("utf-8", errors="replace"))):
        if len(row) >= 3 and row[0] != "checked_at":
            rows.append((_stamp(row[0]), row[1], row[2]))
    return rows


def _stamp(iso: str) -> str:
    return to_iso(from_iso(iso))


#: The outbox line of all the bot's subscribers together.
SUBSCRIBERS = "bot subscribers"


def _backlog(state: State, now: datetime) -> Iterable[ChannelBacklog]:
    rows = state.read(
        "SELECT channel, status, COUNT(*), MIN(created_at) FROM outbox"
        " WHERE status IN ('pending', 'held', 'failed', 'unconfirmed') GROUP BY channel, status"
        " ORDER BY channel"
    )
    per: dict[str, dict[str, Any]] = {}
    for channel, status, count, oldest in rows:
        # The bot's subscribers (``bot:<chat id>``) are one line, not one per person.
        name = SUBSCRIBERS if channel.startswith(CHANNEL_PREFIX) else channel
        entry = per.setdefault(name, {"pending": 0, "held": 0, "failed": 0, "oldest": None})
        # An unconfirmed message waits for a person, as a failed one does.
        entry["failed" if status == "unconfirmed" else status] += int(count)
        if status == "pending" and (entry["oldest"] is None or oldest < entry["oldest"]):
            entry["oldest"] = oldest
    for channel, entry in per.items():
        oldest = entry["oldest"]
        stuck = oldest is not None and now - from_iso(oldest) > STUCK_AFTER
        yield ChannelBacklog(
            channel, entry["pending"], entry["held"], entry["failed"], oldest, stuck
        )


def _meta(state: State, keys: Iterable[str]) -> dict[str, str]:
    wanted = list(keys)
    marks = ", ".join("?" for _ in wanted)
    rows = state.read(f"SELECT key, value FROM meta WHERE key IN ({marks})", tuple(wanted))  # noqa: S608
    return {str(key): str(value) for key, value in rows}


def read_remote(record: str | None, url: str) -> Remote:
    """The pushes to the remote ``url`` (credentials hidden), from the JSON kept under
    :data:`PUSH_KEY`: ``last_attempt`` and ``last_success`` (ISO 8601 times), ``failures``
    (failed pushes in a row, 0 after a success), ``last_error``. No ``url``: not configured.
    """
    if not url:
        return Remote(configured=False)
    try:
        data = json.loads(record or "{}")
        failures = int(data.get("failures") or 0)
    except (ValueError, TypeError, AttributeError):
        data, failures = {}, 0
    return Remote(
        configured=True,
        url=url,
        last_attempt=data.get("last_attempt") or None,
        last_success=data.get("last_success") or None,
        failures=failures,
        last_error=str(data.get("last_error") or ""),
    )


# --------------------------------------------------------------------------- output
def to_json(status: Status) -> dict[str, Any]:
    """The ``--json`` document (schema :data:`SCHEMA_VERSION`, described in the README)."""
    return {
        "schema": SCHEMA_VERSION,
        "generated_at": status.generated_at,
        "needs_attention": status.needs_attention,
        "problems": list(status.problems),
        "documents": [asdict(d) for d in status.documents],
        "outbox": [asdict(c) for c in status.outbox],
        "remote": asdict(status.remote),
    }
