"""``deliveries.csv`` at the archive's root: when the outbox began and which alerts were delivered.

The outbox lives in the state database, which a host with an ephemeral disk loses at every
restart. This small append-only ledger travels with the archive (committed and pushed with it)
so that a fresh database can tell, from the archive alone, which change alerts still have to
be sent::

    recorded_at,event,alert
    2026-12-07T18:00:00Z,began,
    2026-12-07T18:05:12Z,delivered,change:linkedin/privacy-policy:2026-12-07T18-05-00Z

- ``began``: the outbox's start (written once, by the first run on this archive). A fresh
  database starts its outbox there instead of at its own creation, so
  :meth:`tracker.notify.alerts.Alerts.queue_missing` queues again every change captured since.
- ``delivered``: every message of that alert was sent (or cancelled, or folded into a digest).
  Such an alert is never queued again, even by a fresh database.

The ledger is operational, not evidence: it sits outside the hash chain (``tracker verify``
does not look at it) and its rows say nothing about the pages. Delivered alerts whose mark was
not yet pushed when the disk was lost are sent a second time: see the README.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tracker.errors import ArchiveError
from tracker.timestamps import from_iso, to_iso

FILE_NAME = "deliveries.csv"
COLUMNS = ("recorded_at", "event", "alert")


@dataclass(frozen=True, slots=True)
class Ledger:
    """What ``deliveries.csv`` says."""

    began: datetime | None = None
    delivered: frozenset[str] = frozenset()


def parse(text: str) -> Ledger:
    """Read the ledger's text; a half-written last line (no line end) is ignored."""
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    began: datetime | None = None
    delivered: set[str] = set()
    for row in csv.DictReader(io.StringIO(text)):
        event = row.get("event")
        if event == "began" and began is None:
            try:
                began = from_iso(row.get("recorded_at") or "")
            except ValueError:
                continue
        elif event == "delivered" and row.get("alert"):
            delivered.add(str(row["alert"]))
    return Ledger(began, frozenset(delivered))


def lines(rows: Iterable[tuple[datetime, str, str]]) -> str:
    """CSV lines for ``(recorded_at, event, alert)`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for at, event, alert in rows:
        writer.writerow((to_iso(at), event, alert))
    return buffer.getvalue()


def read(root: Path) -> Ledger:
    """The ledger of the archive at ``root`` (empty when it has none)."""
    try:
        return parse((root / FILE_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Ledger()
    except (OSError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{root / FILE_NAME}: unreadable ({exc})") from exc


def append(root: Path, rows: Iterable[tuple[datetime, str, str]]) -> None:
    """Append rows (the header first when the file is new), flushed to disk.

    Must be called under the archive's lock. A half-written last line is cut first.
    """
    path = root / FILE_NAME
    text = lines(rows)
    if not text:
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        with path.open("a+b") as handle:
            handle.seek(0)
            data = handle.read()
            if data and not data.endswith(b"\n"):
                handle.truncate(data.rfind(b"\n") + 1)
                data = data[: data.rfind(b"\n") + 1]
            if not data:
                text = ",".join(COLUMNS) + "\n" + text
            handle.seek(0, os.SEEK_END)
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise ArchiveError(f"cannot append to {path}: {exc.strerror}") from exc


def mark(root: Path, keys: Iterable[str], at: datetime) -> int:
    """Append a ``delivered`` row for each of ``keys`` not marked yet; returns how many.

    Must be called under the archive's lock.
    """
    known = read(root).delivered
    new = list(dict.fromkeys(key for key in keys if key not in known))
    append(root, [(at, "delivered", key) for key in new])
    return len(new)


__all__ = ["COLUMNS", "FILE_NAME", "Ledger", "append", "lines", "mark", "parse", "read"]
