"""The hash chain of the archive (pure): entries, their hashes, and how to read and check them.

Every record the archive keeps is committed, in the order it was written, to an append-only
ledger: ``<document>/chain.csv`` for the document's files and check rows, and ``chain.csv`` at
the archive's root for the document heads. Each entry names one record and its SHA-256, and
commits to the hash of the entry before it::

    hash = SHA-256("policy-tracker-chain-1\\n" + seq + "\\n" + recorded_at + "\\n" + kind
                   + "\\n" + ref + "\\n" + sha256 + "\\n" + prev)

so changing, removing, reordering or inserting any record changes every hash after it. The last
hash of a document's ledger is its *head*; each time a document's head moves, the archive ledger
gets an entry ``(document, seq, head)`` chained the same way, and its last hash is the *archive
head*. Anyone who noted an archive head (from an alert, an index page or a git host) can check
with ``tracker verify --head HEX`` that today's archive still passes through it: rewriting
history means recomputing every later hash, which no longer meets the head they hold.

A check row's ``ref`` is ``<checks file>#<n>`` (the n-th data row of ``checks/<year>.csv``, or
of the single ``checks.csv`` of archives made before the yearly files) and its ``sha256`` is that
of the row's line without its line end; any other ``ref`` is a file path relative to the document
folder and ``sha256`` is that of the file's bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

#: The hash before the first entry of a ledger.
GENESIS = "0" * 64
#: Domain separation: the version of this hashing scheme, part of every hash.
SCHEME = "policy-tracker-chain-1"

DOCUMENT_COLUMNS = ("seq", "recorded_at", "kind", "ref", "sha256", "prev", "hash")
ARCHIVE_COLUMNS = (
    "seq",
    "recorded_at",
    "document",
    "document_seq",
    "document_head",
    "prev",
    "hash",
)

#: The kinds of record a document ledger commits to.
KINDS = (
    "check",
    "snapshot",
    "snapshot-meta",
    "version",
    "change",
    "change-md",
    "change-html",
    "relabelled",
    "rules",
)

CHECK_REF_PREFIX = "checks.csv#"
#: The checks files of a document: the single file of older archives, then one per year.
_CHECKS_FILE = re.compile(r"checks\.csv|checks/\d{4}\.csv")
#: Shortest prefix of a head accepted by ``--head`` (64 bits).
MIN_HEAD_PREFIX = 16


def digest(*fields: str) -> str:
    """SHA-256 of the scheme name and ``fields``, one per line."""
    payload = "\n".join((SCHEME, *fields))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a document's ``chain.csv``."""

    seq: int
    recorded_at: str
    kind: str
    ref: str
    sha256: str
    prev: str
    hash: str

    @staticmethod
    def make(seq: int, recorded_at: str, kind: str, ref: str, sha256: str, prev: str) -> Entry:
        """A new entry, its hash computed."""
        return Entry(
            seq,
            recorded_at,
            kind,
            ref,
            sha256,
            prev,
            entry_hash(seq, recorded_at, kind, ref, sha256, prev),
        )

    def row(self) -> tuple[str, ...]:
        """The CSV cells, in :data:`DOCUMENT_COLUMNS` order."""
        return (
            str(self.seq),
            self.recorded_at,
            self.kind,
            self.ref,
            self.sha256,
            self.prev,
            self.hash,
        )


def entry_hash(seq: int, recorded_at: str, kind: str, ref: str, sha256: str, prev: str) -> str:
    """The hash of a document ledger entry."""
    return digest(str(seq), recorded_at, kind, ref, sha256, prev)


@dataclass(frozen=True, slots=True)
class Anchor:
    """One line of the archive's ``chain.csv``: a document's head at one moment."""

    seq: int
    recorded_at: str
    document: str
    document_seq: int
    document_head: str
    prev: str
    hash: str

    @staticmethod
    def make(
        seq: int, recorded_at: str, document: str, document_seq: int, document_head: str, prev: str
    ) -> Anchor:
        """A new anchor, its hash computed."""
        return Anchor(
            seq,
            recorded_at,
            document,
            document_seq,
            document_head,
            prev,
            anchor_hash(seq, recorded_at, document, document_seq, document_head, prev),
        )

    def row(self) -> tuple[str, ...]:
        """The CSV cells, in :data:`ARCHIVE_COLUMNS` order."""
        return (
            str(self.seq),
            self.recorded_at,
            self.document,
            str(self.document_seq),
            self.document_head,
            self.prev,
            self.hash,
        )


def anchor_hash(
    seq: int, recorded_at: str, document: str, document_seq: int, document_head: str, prev: str
) -> str:
    """The hash of an archive ledger entry."""
    return digest("anchor", str(seq), recorded_at, document, str(document_seq), document_head, prev)


def csv_line(cells: Iterable[str]) -> str:
    """One CSV line (with its ``\\n``) holding ``cells``."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def header(columns: Sequence[str]) -> str:
    """The header line of a ledger."""
    return csv_line(columns)


class LedgerError(ValueError):
    """A ledger line that cannot be read (the message names the line)."""


def is_checks_file(name: str) -> bool:
    """True for ``checks.csv`` and ``checks/<year>.csv`` (paths in a document folder)."""
    return _CHECKS_FILE.fullmatch(name) is not None


def check_ref(name: str, number: int) -> str:
    """The chain ``ref`` of the ``number``-th data row of the checks file ``name``."""
    return f"{name}#{number}"


def parse_check_ref(ref: str) -> tuple[str, int] | None:
    """(checks file, row number) of a check ``ref``, or None if it is not one."""
    name, sep, number = ref.rpartition("#")
    if not sep or not is_checks_file(name) or not number.isdigit() or int(number) < 1:
        return None
    return name, int(number)


def parse_entries(text: str | Iterable[str], *, with_header: bool = True) -> list[Entry]:
    """The entries of a document ledger's text (or lines); LedgerError on a malformed line.

    ``with_header`` False reads lines appended to a ledger (no header line).
    """
    return list(iter_entries(text, with_header=with_header))


def iter_entries(text: str | Iterable[str], *, with_header: bool = True) -> Iterator[Entry]:
    """The entries of a document ledger, one at a time (see :func:`parse_entries`)."""
    for number, row in _rows(text, DOCUMENT_COLUMNS, with_header=with_header):
        try:
            yield Entry(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6])
        except ValueError as exc:
            raise LedgerError(f"line {number}: {exc}") from None


def parse_anchors(text: str | Iterable[str], *, with_header: bool = True) -> list[Anchor]:
    """The entries of the archive ledger's text (or lines); LedgerError on a malformed line.

    ``with_header`` False reads lines appended to the ledger (no header line).
    """
    return list(iter_anchors(text, with_header=with_header))


def iter_anchors(text: str | Iterable[str], *, with_header: bool = True) -> Iterator[Anchor]:
    """The entries of the archive ledger, one at a time (see :func:`parse_anchors`)."""
    for number, row in _rows(text, ARCHIVE_COLUMNS, with_header=with_header):
        try:
            yield Anchor(int(row[0]), row[1], row[2], int(row[3]), row[4], row[5], row[6])
        except ValueError as exc:
            raise LedgerError(f"line {number}: {exc}") from None


def _rows(
    text: str | Iterable[str], columns: Sequence[str], *, with_header: bool = True
) -> Iterable[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text) if isinstance(text, str) else text)
    if with_header:
        first = next(reader, None)
        if first is None:
            return
        if tuple(first) != tuple(columns):
            raise LedgerError(f"line 1: expected the header {','.join(columns)}")
    for number, row in enumerate(reader, start=2 if with_header else 1):
        if len(row) != len(columns):
            raise LedgerError(f"line {number}: {len(row)} cells instead of {len(columns)}")
        yield number, row


def check_links(entries: Sequence[Entry]) -> tuple[list[str], list[str]]:
    """Recompute a document ledger: (problems, the recomputed hash after each entry).

    Each entry must follow the one before (``seq`` counting from 1, ``prev`` its hash) and its
    ``hash`` must be the hash of its own fields. The recomputed hashes are returned whatever the
    stored ones say, so a forged ``hash`` column cannot hide an edit.
    """
    problems: list[str] = []
    hashes: list[str] = []
    prev = GENESIS
    for position, entry in enumerate(entries, start=1):
        where = f"chain.csv entry {entry.seq} ({entry.kind} {entry.ref})"
        if entry.seq != position:
            problems.append(f"{where}: sequence number {entry.seq}, expected {position}")
        if entry.prev != prev:
            problems.append(f"{where}: does not follow the entry before it (prev hash differs)")
        computed = entry_hash(
            position, entry.recorded_at, entry.kind, entry.ref, entry.sha256, prev
        )
        if computed != entry.hash:
            problems.append(f"{where}: its hash does not match its content")
        hashes.append(computed)
        prev = computed
    return problems, hashes


def check_anchor_links(anchors: Sequence[Anchor]) -> tuple[list[str], list[str]]:
    """Recompute the archive ledger: (problems, the recomputed hash after each anchor)."""
    problems: list[str] = []
    hashes: list[str] = []
    prev = GENESIS
    for position, anchor in enumerate(anchors, start=1):
        where = f"archive chain.csv entry {anchor.seq} ({anchor.document})"
        if anchor.seq != position:
            problems.append(f"{where}: sequence number {anchor.seq}, expected {position}")
        if anchor.prev != prev:
            problems.append(f"{where}: does not follow the entry before it (prev hash differs)")
        computed = anchor_hash(
            position,
            anchor.recorded_at,
            anchor.document,
            anchor.document_seq,
            anchor.document_head,
            prev,
        )
        if computed != anchor.hash:
            problems.append(f"{where}: its hash does not match its content")
        hashes.append(computed)
        prev = computed
    return problems, hashes


def passes_through(
    head: str, heads: Sequence[str], where: str = "the archive's chain"
) -> list[str]:
    """A problem unless one of ``heads`` starts with ``head`` (64 hex digits, or 16 or more)."""
    wanted = head.strip().lower()
    if len(wanted) < MIN_HEAD_PREFIX or any(c not in "0123456789abcdef" for c in wanted):
        return [f"--head {head!r}: expected a SHA-256 in hex (at least {MIN_HEAD_PREFIX} digits)"]
    if any(h.startswith(wanted) for h in heads):
        return []
    return [
        f"{where} does not pass through head {wanted}: the history that head vouched for was "
        "rewritten or removed (or the head is from another archive)"
    ]
