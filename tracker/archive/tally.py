"""Running summaries of the archive's append-only files (pure): what a check needs to know of a
ledger or of ``checks.csv`` without keeping, or reading again, all its rows.

:class:`tracker.archive.store.Archive` keeps one per file, fed with the rows appended since its
last read (:mod:`tracker.archive.appended`), and starts it again when the file was replaced.
They are updated in place: they live inside the archive object, never between stages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tracker.archive.chain import Anchor, Entry, parse_check_ref
from tracker.models import CheckRecord

#: How many of the latest checks a document's index shows.
RECENT_CHECKS = 15


def stamp_of(ref: str) -> str:
    """The time stamp in an archive-relative path such as ``versions/<stamp>.md``."""
    return ref.rsplit("/", 1)[-1].split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class ChecksSummary:
    """A document's checks as its index shows them: how many, from when, each outcome's
    count (by its value), and the latest :data:`RECENT_CHECKS`, oldest first."""

    count: int
    first_at: str
    counts: Mapping[str, int]
    recent: tuple[CheckRecord, ...]


class LedgerTally:
    """A document's chain as a commit needs it: its length and head, the refs of its files,
    its last version, and the last committed row of each checks file."""

    __slots__ = ("checks", "head", "last_version", "refs", "seq")

    def __init__(self) -> None:
        """An empty chain."""
        self.seq = 0
        self.head = ""
        self.refs: set[str] = set()
        self.last_version = ""
        self.checks: dict[str, int] = {}

    def add(self, entries: Iterable[Entry]) -> None:
        """Count entries appended to the chain, in order."""
        for entry in entries:
            self.seq, self.head = entry.seq, entry.hash
            check = parse_check_ref(entry.ref) if entry.kind == "check" else None
            if check is not None:
                name, number = check
                self.checks[name] = max(self.checks.get(name, 0), number)
                continue
            self.refs.add(entry.ref)
            if entry.kind == "version":
                self.last_version = max(self.last_version, stamp_of(entry.ref))


class AnchorTally:
    """The archive's chain as a commit needs it: its length, its head and, per document, the
    document entry its last anchor points to."""

    __slots__ = ("document_seqs", "head", "seq")

    def __init__(self) -> None:
        """An empty chain."""
        self.seq = 0
        self.head = ""
        self.document_seqs: dict[str, int] = {}

    def add(self, anchors: Iterable[Anchor]) -> None:
        """Count anchors appended to the chain, in order."""
        for anchor in anchors:
            self.seq, self.head = anchor.seq, anchor.hash
            self.document_seqs[anchor.document] = anchor.document_seq


class CheckTally:
    """One checks file as the index and the chain need it: how many rows, the first check's
    time, the count of each outcome (the latest rows are read from the file's end when needed:
    kept here for thousands of documents, they would be most of a process's memory)."""

    __slots__ = ("counts", "first", "rows")

    def __init__(self) -> None:
        """An empty file."""
        self.rows = 0
        self.first = ""
        self.counts: Counter[str] = Counter()

    def add(self, rows: Iterable[list[str]]) -> None:
        """Count data rows appended to the file, in order (cells as in ``checks.csv``)."""
        for row in rows:
            self.rows += 1
            if not self.first and row:
                self.first = row[0]
            if len(row) > 1:
                self.counts[row[1]] += 1


__all__ = ["RECENT_CHECKS", "AnchorTally", "CheckTally", "ChecksSummary", "LedgerTally", "stamp_of"]
