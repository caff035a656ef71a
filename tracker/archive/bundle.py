"""The evidence bundle's format, and ``tracker verify --bundle``: check a bundle on its own.

A bundle (made by :mod:`tracker.archive.export`) is a zip file laid out like the archive::

    VERIFY.md                  how to check the bundle with standard tools
    MANIFEST.json              what the bundle holds, each record's chain entry, the chain proof
    SHA256SUMS                 the SHA-256 of every other member (``sha256sum -c`` reads it)
    chain.csv                  the archive's chain (its last hash is the archive head)
    <document>/chain.csv       the document's chain, whole
    <document>/checks/<year>.csv   every check of the document, whole (and the closed
                               checks.csv of an archive made before the yearly files)
    <document>/raw/…, versions/…, changes/…, rules/…   the records, bytes as archived

Verifying needs no archive and trusts nothing in the bundle but the hashing scheme of
:mod:`tracker.archive.chain`; every problem names the member at fault:

- every member is listed in ``SHA256SUMS`` with its hash, and every listed file is there;
- both ledgers rehash and link (:func:`~tracker.archive.chain.check_links`,
  :func:`~tracker.archive.chain.check_anchor_links`), so a line edited, removed or inserted shows;
- every record's SHA-256 equals the one its chain entry committed to, and every row of
  each checks file is in the chain: editing a record *and* ``SHA256SUMS`` still shows;
- the document's chain ends at a head the archive's chain anchored, and passes through every
  head the archive's chain recorded for it: rewriting the document's chain shows;
- ``MANIFEST.json`` agrees with the files and the chains; with ``head``, the archive's chain
  passes through that head, noted elsewhere: only this catches a rewrite of both chains.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tracker.archive.chain import (
    ARCHIVE_COLUMNS,
    DOCUMENT_COLUMNS,
    Anchor,
    Entry,
    LedgerError,
    check_anchor_links,
    check_links,
    csv_line,
    is_checks_file,
    parse_anchors,
    parse_check_ref,
    parse_entries,
    passes_through,
)
from tracker.errors import ConfigError
from tracker.models import sha256_hex

#: Names of the bundle's own files, at its root.
GUIDE = "VERIFY.md"
MANIFEST = "MANIFEST.json"
SUMS = "SHA256SUMS"
ARCHIVE_CHAIN = "chain.csv"
#: The version of the bundle's layout, written in its manifest.
FORMAT = "policy-tracker-bundle-1"
#: The ledgers of a document folder, included whole (and its checks files).
LEDGERS = ("chain.csv", "checks.csv")

_Line = TypeVar("_Line", Entry, Anchor)
_SUMS_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


@dataclass(frozen=True, slots=True)
class BundleReport:
    """What verifying a bundle found."""

    document: str
    problems: tuple[str, ...]
    #: the archive head recomputed from the bundle's ``chain.csv`` ('' if there is none)
    head: str
    versions: int
    records: int
    entries: int
    anchors: int

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def sums_text(members: Sequence[tuple[str, bytes]]) -> str:
    """``SHA256SUMS`` for ``members`` (name, bytes), in the format ``sha256sum -c`` reads."""
    return "".join(f"{sha256_hex(data)}  {name}\n" for name, data in members)


def check_lines(text: str) -> list[str]:
    """The data rows of a ``checks.csv`` in the canonical form the chain hashes."""
    rows = list(csv.reader(io.StringIO(text)))
    return [csv_line(row).removesuffix("\n") for row in rows[1:]]


def read_bundle(path: Path) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The members of a bundle (name, bytes) in zip order, and the members that cannot be read.

    A damaged member (its CRC or compressed stream broken) is a problem for
    :func:`verify_bundle`, named; ConfigError if the file is not a zip file at all.
    """
    members: list[tuple[str, bytes]] = []
    damaged: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                try:
                    members.append((info.filename, archive.read(info)))
                except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    damaged.append(f"{info.filename}: damaged in the zip file ({exc})")
    except zipfile.BadZipFile as exc:
        raise ConfigError(
            f"{path}: not a zip file ({exc}); expected a bundle made by `tracker export`"
        ) from exc
    except (OSError, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise ConfigError(f"{path}: cannot read the bundle ({exc})") from exc
    return members, damaged


def verify_bundle(
    members: Sequence[tuple[str, bytes]],
    *,
    head: str | None = None,
    damaged: Sequence[str] = (),
) -> BundleReport:
    """Check a bundle's members (name, bytes); every problem is a line naming the member.

    ``damaged``: problems :func:`read_bundle` found (members that could not be read).
    """
    problems = list(damaged)
    files: dict[str, bytes] = {}
    for name, data in members:
        if name in files:
            problems.append(f"{name}: twice in the zip file (which copy is the evidence?)")
        files[name] = data
    problems += _check_sums(files)
    manifest = _read_manifest(files, problems)
    document = _document_of(manifest, files, problems)
    if document:
        entries = _ledger(files, f"{document}/chain.csv", parse_entries, problems)
    else:
        problems.append("no document's chain.csv in the bundle: which document is it?")
        entries = []
    anchors = _ledger(files, ARCHIVE_CHAIN, parse_anchors, problems)
    link_problems, hashes = check_links(entries)
    problems += [f"{document}/{p}" for p in link_problems]
    anchor_problems, heads = check_anchor_links(anchors)
    problems += anchor_problems
    records = _check_records(files, document, entries, problems)
    _check_rows(files, document, entries, problems)
    if document:
        _check_anchoring(document, entries, hashes, anchors, problems)
    archive_head = heads[-1] if heads else ""
    if manifest is not None:
        _check_manifest(manifest, files, document, entries, anchors, archive_head, problems)
    if head is not None:
        problems += passes_through(head, heads, ARCHIVE_CHAIN + ":")
    versions = sum(
        1 for name in files if name.startswith(f"{document}/versions/") and name.endswith(".md")
    )
    return BundleReport(
        document, tuple(problems), archive_head, versions, records, len(entries), len(anchors)
    )


def _check_sums(files: Mapping[str, bytes]) -> list[str]:
    data = files.get(SUMS)
    if data is None:
        return [f"{SUMS}: missing from the bundle"]
    problems: list[str] = []
    listed: set[str] = set()
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        match = _SUMS_LINE.match(line)
        if match is None:
            problems.append(f"{SUMS} line {number}: expected '<SHA-256>  <file>', got {line!r}")
            continue
        expected, name = match.group(1).lower(), match.group(2)
        listed.add(name)
        if name not in files:
            problems.append(f"{name}: listed in {SUMS} but missing from the bundle")
        elif sha256_hex(files[name]) != expected:
            problems.append(
                f"{name}: SHA-256 {sha256_hex(files[name])} differs from {SUMS} ({expected})"
            )
    problems += [
        f"{name}: not listed in {SUMS}" for name in files if name != SUMS and name not in listed
    ]
    return problems


def _read_manifest(files: Mapping[str, bytes], problems: list[str]) -> dict[str, Any] | None:
    data = files.get(MANIFEST)
    if data is None:
        problems.append(f"{MANIFEST}: missing from the bundle")
        return None
    try:
        manifest = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        problems.append(f"{MANIFEST}: unreadable JSON ({exc})")
        return None
    if not isinstance(manifest, dict):
        problems.append(f"{MANIFEST}: expected a JSON object")
        return None
    return manifest


def _document_of(
    manifest: Mapping[str, Any] | None, files: Mapping[str, bytes], problems: list[str]
) -> str:
    """The document's id: the manifest's, else the folder of the only document chain."""
    document = manifest.get("document") if manifest is not None else None
    if isinstance(document, str) and document:
        return document
    if manifest is not None:
        problems.append(f"{MANIFEST}: document: expected the document's id")
    folders = sorted(
        name.removesuffix("/chain.csv") for name in files if name.endswith("/chain.csv")
    )
    return folders[0] if len(folders) == 1 else ""


def _ledger(
    files: Mapping[str, bytes], name: str, parse: Callable[[str], list[_Line]], problems: list[str]
) -> list[_Line]:
    data = files.get(name)
    if data is None:
        problems.append(f"{name}: missing from the bundle")
        return []
    try:
        return parse(data.decode("utf-8"))
    except (UnicodeDecodeError, LedgerError) as exc:
        problems.append(f"{name}: unreadable ledger ({exc})")
        return []


def _check_records(
    files: Mapping[str, bytes], document: str, entries: Sequence[Entry], problems: list[str]
) -> int:
    """Every record equals what its chain entry committed to; returns how many there are."""
    by_ref = {entry.ref: entry for entry in entries}
    prefix = f"{document}/"
    records = 0
    for name, data in files.items():
        if name in (GUIDE, MANIFEST, SUMS, ARCHIVE_CHAIN):
            continue
        if not document or not name.startswith(prefix):
            problems.append(f"{name}: not part of the bundle of {document or 'a document'}")
            continue
        ref = name.removeprefix(prefix)
        if ref in LEDGERS or is_checks_file(ref):
            continue
        records += 1
        entry = by_ref.get(ref)
        if entry is None:
            problems.append(f"{name}: not in {prefix}chain.csv (nothing vouches for it)")
        elif sha256_hex(data) != entry.sha256:
            problems.append(
                f"{name}: changed since it was recorded (SHA-256 {sha256_hex(data)}, "
                f"{prefix}chain.csv entry {entry.seq} says {entry.sha256})"
            )
    return records


def _check_rows(
    files: Mapping[str, bytes], document: str, entries: Sequence[Entry], problems: list[str]
) -> None:
    """Every row of each checks file is the one its chain entry committed to, and none is
    extra."""
    prefix = f"{document}/"
    lines = {
        member.removeprefix(prefix): check_lines(data.decode("utf-8", "replace"))
        for member, data in files.items()
        if member.startswith(prefix) and is_checks_file(member.removeprefix(prefix))
    }
    chained = dict.fromkeys(lines, 0)
    missing: set[str] = set()
    for entry in (e for e in entries if e.kind == "check"):
        check = parse_check_ref(entry.ref)
        if check is None:
            problems.append(f"{document}/chain.csv entry {entry.seq}: bad row {entry.ref}")
            continue
        file, row = check
        name = f"{prefix}{file}"
        if file not in lines:
            if file not in missing:
                missing.add(file)
                problems.append(f"{name}: missing from the bundle")
            continue
        chained[file] = max(chained[file], row)
        rows = lines[file]
        if row > len(rows):
            problems.append(f"{name} row {row}: missing (chain.csv entry {entry.seq})")
        elif sha256_hex(rows[row - 1]) != entry.sha256:
            problems.append(
                f"{name} row {row}: differs from the row recorded (chain.csv entry "
                f"{entry.seq}): {rows[row - 1][:120]}"
            )
    for file, rows in lines.items():
        if len(rows) > chained[file]:
            problems.append(
                f"{prefix}{file} rows {chained[file] + 1}-{len(rows)}: not in the chain"
            )


def _check_anchoring(
    document: str,
    entries: Sequence[Entry],
    hashes: Sequence[str],
    anchors: Sequence[Anchor],
    problems: list[str],
) -> None:
    """The archive's chain recorded the document's chain at every head, the last one included."""
    name = f"{document}/chain.csv"
    if not entries:
        problems.append(f"{name}: holds no entry")
        return
    last = 0
    for anchor in anchors:
        if anchor.document != document:
            continue
        where = f"{ARCHIVE_CHAIN} entry {anchor.seq}"
        if not 1 <= anchor.document_seq <= len(hashes):
            problems.append(
                f"{where}: anchors {name} at its entry {anchor.document_seq}, but it has "
                f"{len(hashes)} entries (entries were removed)"
            )
        elif hashes[anchor.document_seq - 1] != anchor.document_head:
            problems.append(
                f"{where}: {name} no longer passes through the head recorded at its entry "
                f"{anchor.document_seq} (entries up to it were changed)"
            )
        last = anchor.document_seq
    if last != len(entries):
        problems.append(
            f"{name}: its head (entry {len(entries)}) is not anchored in {ARCHIVE_CHAIN} "
            f"(the last anchor is at entry {last})"
        )


def _check_manifest(
    manifest: Mapping[str, Any],
    files: Mapping[str, bytes],
    document: str,
    entries: Sequence[Entry],
    anchors: Sequence[Anchor],
    archive_head: str,
    problems: list[str],
) -> None:
    """The manifest says what the files and the chains say."""
    if manifest.get("format") != FORMAT:
        problems.append(f"{MANIFEST}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    if manifest.get("archive_head") != archive_head:
        problems.append(
            f"{MANIFEST}: archive_head {manifest.get('archive_head')} is not the head of "
            f"{ARCHIVE_CHAIN} ({archive_head or 'none'})"
        )
    by_ref = {entry.ref: entry for entry in entries}
    records = manifest.get("records")
    if not isinstance(records, list):
        problems.append(f"{MANIFEST}: records: expected a list")
        records = []
    for item in records:
        path = item.get("path") if isinstance(item, dict) else None
        if not isinstance(path, str):
            problems.append(f"{MANIFEST}: records: expected objects with a path, got {item!r}")
            continue
        data = files.get(path)
        if data is None:
            problems.append(f"{path}: listed in {MANIFEST} but missing from the bundle")
            continue
        if item.get("sha256") != sha256_hex(data) or item.get("size") != len(data):
            problems.append(f"{path}: its SHA-256 or size differs from {MANIFEST}")
        entry = by_ref.get(path.removeprefix(f"{document}/"))
        if entry is None or item.get("entry") != entry.seq or item.get("kind") != entry.kind:
            problems.append(
                f"{MANIFEST}: {path} is not the {item.get('kind')} of chain entry "
                f"{item.get('entry')}"
            )
    proof = manifest.get("chain_proof")
    if not isinstance(proof, dict):
        problems.append(f"{MANIFEST}: chain_proof: expected an object")
        return
    rows = [entry.row() for entry in entries]
    _check_proof(
        proof.get("document_chain"), rows, DOCUMENT_COLUMNS, f"{document}/chain.csv", problems
    )
    rows = [anchor.row() for anchor in anchors]
    _check_proof(proof.get("archive_chain"), rows, ARCHIVE_COLUMNS, ARCHIVE_CHAIN, problems)


def _check_proof(
    part: Any,
    rows: Sequence[tuple[str, ...]],
    columns: Sequence[str],
    name: str,
    problems: list[str],
) -> None:
    """The proof's entries are lines of the ledger, up to its last one."""
    listed = part.get("entries") if isinstance(part, dict) else None
    if not isinstance(listed, list) or not listed:
        problems.append(f"{MANIFEST}: chain_proof of {name}: expected a list of entries")
        return
    by_seq = {row[0]: row for row in rows}
    for item in listed:
        row = tuple(str(item.get(c)) for c in columns) if isinstance(item, dict) else ()
        if not row or by_seq.get(row[0]) != row:
            problems.append(f"{MANIFEST}: chain_proof entry {item!r} is not a line of {name}")
            return
    if not rows or str(listed[-1].get("seq")) != rows[-1][0]:
        problems.append(f"{MANIFEST}: chain_proof of {name} does not reach its last entry")
