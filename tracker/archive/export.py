"""``tracker export``: the evidence bundle of one document, as a deterministic zip file.

For a lawyer who must hand over what a platform's page said, and prove it was not altered since
it was recorded. The bundle (layout in :mod:`tracker.archive.bundle`) holds, for each version
included (one, or every version of the document):

- its raw snapshot, bytes exactly as received, and the snapshot's metadata (headers as
  received, request headers, URLs, fetch time); the version file; its change record (JSON,
  Markdown, HTML page) and the version before it, so the change can be derived again; the
  extraction rules it was made with (``rules/<digest>.json``; versions recorded before the
  archive kept them say so in the manifest);
- the document's checks files (``checks/<year>.csv``, and the closed ``checks.csv`` of an
  older archive) and ``chain.csv`` and the archive's ``chain.csv``, whole;
- ``MANIFEST.json``: the document, the archive head, each record's path, kind, SHA-256, size
  and chain entry, and the chain proof (the document's chain entries from the earliest record's
  entry to the document's head, the archive's chain entries from the anchor of that head to the
  archive head); ``SHA256SUMS``; ``VERIFY.md``, the instructions
  (:mod:`tracker.archive.bundle_guide`).

The bundle is a function of the archive's state: members in chain order, dated in the zip by
the time their chain entry was recorded; ``exported_at`` is the time of the archive head. Two
exports of one state are the same bytes. Before anything is written the bundle is verified
(:func:`tracker.archive.bundle.verify_bundle`): an archive that does not hold together is not
exported. The zip is written to a temporary file in the target folder, then renamed over the target.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from tracker import __version__
from tracker.archive.bundle import (
    ARCHIVE_CHAIN,
    FORMAT,
    GUIDE,
    MANIFEST,
    SUMS,
    sums_text,
    verify_bundle,
)
from tracker.archive.bundle_guide import render_guide
from tracker.archive.chain import (
    ARCHIVE_COLUMNS,
    DOCUMENT_COLUMNS,
    Anchor,
    Entry,
    LedgerError,
    check_ref,
    parse_anchors,
    parse_entries,
)
from tracker.archive.store import Archive
from tracker.errors import ArchiveError, ConfigError, TrackerError
from tracker.models import RECORDING_OUTCOMES, sha256_hex
from tracker.timestamps import STAMP_PATTERN, from_iso

_Line = TypeVar("_Line", Entry, Anchor)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The earliest time a zip file can hold.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Member:
    """One file of the bundle: its name in the zip, its bytes, when it was recorded (ISO)."""

    name: str
    data: bytes
    recorded_at: str


@dataclass(frozen=True, slots=True)
class Bundle:
    """An evidence bundle, ready to be written."""

    document: str
    #: the versions included, oldest first
    versions: tuple[str, ...]
    members: tuple[Member, ...]
    #: the archive head the bundle was made at
    head: str

    @property
    def summary(self) -> str:
        """One line: the document, what was included, and how many files."""
        which = (
            f"version {self.versions[0]}"
            if len(self.versions) == 1
            else f"{len(self.versions)} versions"
        )
        return f"{self.document}, {which}, {len(self.members)} files"


def select_version(stamps: Sequence[str], wanted: str, document: str) -> str:
    """The version named by ``wanted``: a version stamp, or a date ``YYYY-MM-DD``.

    A date means the version in force at the end of that day (UTC): the latest one recorded on
    or before it. ConfigError for anything else, an unknown stamp or a date before the first.
    """
    if STAMP_PATTERN.match(wanted):
        if wanted in stamps:
            return wanted
        raise ConfigError(f"{document}: no version {wanted} ({_known(stamps)})")
    if _DATE.match(wanted):
        try:
            date.fromisoformat(wanted)
        except ValueError:
            raise ConfigError(f"--version {wanted}: no such day") from None
        in_force = [stamp for stamp in stamps if stamp <= f"{wanted}T23-59-59Z"]
        if not in_force:
            raise ConfigError(
                f"{document}: no version in force on {wanted}: the first was recorded at "
                f"{stamps[0]}"
            )
        return in_force[-1]
    raise ConfigError(
        f"--version {wanted!r}: expected a version stamp YYYY-MM-DDTHH-MM-SSZ or a date YYYY-MM-DD"
    )


def _known(stamps: Sequence[str]) -> str:
    if len(stamps) <= 6:
        return "versions: " + ", ".join(stamps)
    return f"{len(stamps)} versions from {stamps[0]} to {stamps[-1]}; `tracker history` lists them"


def build_bundle(
    archive: Archive, document: str, version: str | None = None, *, wait: float | None = 0.0
) -> Bundle:
    """Gather the bundle of ``document``: every version, or the one ``version`` names.

    Reads under the archive's shared lock (``wait``: seconds to wait for a writer). ConfigError
    for an unknown document or version; ArchiveError when the archive does not verify.
    """
    with archive.reading(wait=wait):
        known = archive.documents()
        if document not in known:
            raise ConfigError(
                f"unknown document {document}; documents in {archive.root}: "
                f"{', '.join(known) or 'none'}"
            )
        stamps = archive.version_stamps(document)
        if not stamps:
            raise ConfigError(f"{document}: no version recorded yet, nothing to export")
        chosen = stamps if version is None else [select_version(stamps, version, document)]
        bundle = _assemble(archive, document, stamps, chosen, version)
    report = verify_bundle([(m.name, m.data) for m in bundle.members])
    if not report.ok:
        shown = "; ".join(report.problems[:5])
        more = f" (and {len(report.problems) - 5} more)" if len(report.problems) > 5 else ""
        raise ArchiveError(
            f"{document}: the archive does not verify, no bundle written: {shown}{more}; "
            "`tracker verify` lists every problem"
        )
    return bundle


def write_bundle(bundle: Bundle, path: Path) -> None:
    """Write the zip atomically: a temporary file beside ``path``, flushed, then renamed."""
    if not path.parent.is_dir():
        raise ConfigError(f"-o {path}: the folder {path.parent} does not exist")
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        with tmp.open("wb") as handle:
            with zipfile.ZipFile(handle, "w") as zipped:
                for member in bundle.members:
                    info = zipfile.ZipInfo(member.name, _zip_time(member.recorded_at))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.create_system = 3  # Unix, whatever the platform: same bytes everywhere
                    info.external_attr = 0o100644 << 16
                    zipped.writestr(info, member.data, compresslevel=9)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except OSError as exc:
        raise TrackerError(
            f"cannot write {path}: {exc.strerror or exc}", cause="export-failed"
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _zip_time(recorded_at: str) -> tuple[int, int, int, int, int, int]:
    moment = from_iso(recorded_at)
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return max(stamp, _ZIP_EPOCH)


# --------------------------------------------------------------------------- gathering
def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ArchiveError(f"{path}: missing (a check records it)") from None
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read ({exc.strerror})") from exc


def _ledger(path: Path, parse: Callable[[str], list[_Line]]) -> tuple[bytes, list[_Line]]:
    data = _read(path)
    try:
        return data, parse(data.decode("utf-8"))
    except (UnicodeDecodeError, LedgerError) as exc:
        raise ArchiveError(f"{path}: unreadable chain ({exc})") from exc


def _assemble(
    archive: Archive,
    document: str,
    stamps: Sequence[str],
    chosen: Sequence[str],
    requested: str | None,
) -> Bundle:
    folder = archive.folder(document)
    chain_data, entries = _ledger(folder / "chain.csv", parse_entries)
    anchors_data, anchors = _ledger(archive.root / ARCHIVE_CHAIN, parse_anchors)
    checks_files = [(name, _read(folder / name)) for name in archive.checks_files(document)]
    head_anchor = next(
        (a for a in reversed(anchors) if a.document == document and a.document_seq == len(entries)),
        None,
    )
    if not entries or head_anchor is None:
        raise ArchiveError(
            f"{folder / 'chain.csv'}: its last entries are not anchored in the archive's "
            "chain.csv (an interrupted run, completed by the next check); no bundle written"
        )
    by_ref = {entry.ref: entry for entry in entries}
    rows: dict[str, tuple[str, int]] = {}
    for name, checks_data in reversed(checks_files):
        rows |= {stamp: (name, n) for stamp, n in _recording_rows(checks_data).items()}
    versions = []
    refs: dict[str, None] = {}
    for stamp in chosen:
        item, needed = _plan_version(archive, document, stamps, stamp, by_ref, rows)
        versions.append(item)
        refs.update(dict.fromkeys(needed))
    order = sorted(refs, key=lambda ref: (by_ref[ref].seq if ref in by_ref else 1 << 62, ref))
    data = {ref: _read(folder / ref) for ref in order}
    first = min(
        [by_ref[ref].seq for ref in order if ref in by_ref]
        + [v["check"]["entry"] for v in versions if v["check"]],
        default=len(entries),
    )
    proof = {
        "document_chain": {
            "path": f"{document}/chain.csv",
            "entries": [_as_dict(DOCUMENT_COLUMNS, e.row()) for e in entries[first - 1 :]],
        },
        "archive_chain": {
            "path": ARCHIVE_CHAIN,
            "entries": [_as_dict(ARCHIVE_COLUMNS, a.row()) for a in anchors[head_anchor.seq - 1 :]],
        },
    }
    records = [
        _record(document, ref, data[ref], by_ref.get(ref), entries, head_anchor, anchors)
        for ref in order
    ]
    latest = archive.read_version(document, stamps[-1]).meta
    archive_head = anchors[-1]
    manifest = {
        "format": FORMAT,
        "document": document,
        "title": latest.get("title"),
        "source_url": latest.get("source_url"),
        "exported_at": archive_head.recorded_at,
        "tracker_version": __version__,
        "archive_head": archive_head.hash,
        "document_head": {
            "entry": entries[-1].seq,
            "hash": entries[-1].hash,
            "anchored_in_archive_chain_entry": head_anchor.seq,
        },
        "scope": _scope(chosen, requested),
        "versions": versions,
        "ledgers": [
            *(
                _ledger_item(f"{document}/{name}", checks_data, _checks_what(name))
                for name, checks_data in checks_files
            ),
            _ledger_item(f"{document}/chain.csv", chain_data, "the document's hash chain"),
            _ledger_item(ARCHIVE_CHAIN, anchors_data, "the archive's hash chain (document heads)"),
        ],
        "records": records,
        "chain_proof": proof,
    }
    manifest_data = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    guide = render_guide(manifest, entries, anchors)
    members = [
        Member(GUIDE, guide.encode("utf-8"), archive_head.recorded_at),
        Member(MANIFEST, manifest_data, archive_head.recorded_at),
        Member(ARCHIVE_CHAIN, anchors_data, archive_head.recorded_at),
        Member(f"{document}/chain.csv", chain_data, entries[-1].recorded_at),
        *(
            Member(f"{document}/{name}", checks_data, _last_check_time(entries, name))
            for name, checks_data in checks_files
        ),
        *(
            Member(f"{document}/{ref}", data[ref], _time_of(by_ref.get(ref), archive_head))
            for ref in order
        ),
    ]
    sums = sums_text([(m.name, m.data) for m in members]).encode("utf-8")
    members.insert(2, Member(SUMS, sums, archive_head.recorded_at))
    return Bundle(document, tuple(chosen), tuple(members), archive_head.hash)


def _plan_version(
    archive: Archive,
    document: str,
    stamps: Sequence[str],
    stamp: str,
    by_ref: Mapping[str, Entry],
    rows: Mapping[str, tuple[str, int]],
) -> tuple[dict[str, Any], list[str]]:
    """The manifest's entry for one version, and the refs of the files it needs."""
    version = archive.read_version(document, stamp)
    folder = archive.folder(document)
    refs: list[str] = []
    notes: list[str] = []
    snapshot = version.snapshot
    snapshot_meta = None
    if snapshot:
        if not snapshot.startswith("raw/") or ".." in snapshot:
            raise ArchiveError(f"versions/{stamp}.md: its snapshot {snapshot!r} is not under raw/")
        snapshot_meta = str(PurePosixPath(snapshot).with_suffix(".json"))
        refs += [snapshot, snapshot_meta]
        if PurePosixPath(snapshot).stem != stamp:
            notes.append(f"made from the snapshot of an earlier capture, {snapshot}")
    else:
        notes.append(
            "no snapshot: the text was imported as Markdown from another archive "
            "(its provenance is in the version file)"
        )
    rules = None
    digest = version.rules_sha256
    if digest:
        ref = f"rules/{digest}.json"
        if ref in by_ref or (folder / ref).is_file():
            rules = ref
            refs.append(ref)
        else:
            notes.append(
                f"rules/{digest}.json is not in the archive: this version was recorded before "
                f"the archive kept extraction rules (the digest {digest} in the version file "
                "names them)"
            )
    refs.append(f"versions/{stamp}.md")
    position = stamps.index(stamp)
    previous = stamps[position - 1] if position else None
    if previous is not None:
        refs.append(f"versions/{previous}.md")
    changes = sorted(_change_refs(folder, stamp) | {r for r in by_ref if _is_change(r, stamp)})
    refs += changes
    if previous is None:
        notes.append("the first version: no change record")
    elif version.technical_upgrade:
        notes.append("a technical upgrade (our extraction rules changed, not the page): no change")
    name, row = rows.get(stamp, ("", 0))
    check_entry = by_ref.get(check_ref(name, row)) if row else None
    return (
        {
            "timestamp": stamp,
            "captured_at": version.meta.get("captured_at"),
            "origin": version.meta.get("origin"),
            "technical_upgrade": version.technical_upgrade,
            "version": f"{document}/versions/{stamp}.md",
            "previous": f"{document}/versions/{previous}.md" if previous else None,
            "snapshot": f"{document}/{snapshot}" if snapshot else None,
            "snapshot_meta": f"{document}/{snapshot_meta}" if snapshot_meta else None,
            "rules": f"{document}/{rules}" if rules else None,
            "change": [f"{document}/{ref}" for ref in changes],
            "check": (
                {"path": f"{document}/{name}", "row": row, "entry": check_entry.seq}
                if row and check_entry
                else None
            ),
            "notes": notes,
        },
        refs,
    )


def _scope(chosen: Sequence[str], requested: str | None) -> str:
    if requested is None:
        return "every version"
    if requested == chosen[0]:
        return f"version {chosen[0]}"
    return f"version {chosen[0]}, the one in force at the end of {requested} (UTC)"


def _is_change(ref: str, stamp: str) -> bool:
    return ref.startswith((f"changes/{stamp}.", f"changes/relabelled/{stamp}."))


def _change_refs(folder: Path, stamp: str) -> set[str]:
    found = set()
    for sub in ("changes", "changes/relabelled"):
        for path in (folder / sub).glob(f"{stamp}.*"):
            if path.is_file():
                found.add(path.relative_to(folder).as_posix())
    return found


def _checks_what(name: str) -> str:
    if name == "checks.csv":
        return "every check of the document until the yearly files (closed)"
    return f"every check of the document in {name.removeprefix('checks/').removesuffix('.csv')}"


def _recording_rows(checks: bytes) -> dict[str, int]:
    """Version stamp → number of the row of a checks file that recorded it."""
    rows: dict[str, int] = {}
    reader = csv.DictReader(io.StringIO(checks.decode("utf-8", "replace")))
    for number, row in enumerate(reader, start=1):
        if row.get("outcome") in RECORDING_OUTCOMES and row.get("version"):
            rows.setdefault(str(row["version"]), number)
    return rows


def _record(
    document: str,
    ref: str,
    data: bytes,
    entry: Entry | None,
    entries: Sequence[Entry],
    head_anchor: Anchor,
    anchors: Sequence[Anchor],
) -> dict[str, Any]:
    return {
        "path": f"{document}/{ref}",
        "kind": entry.kind if entry else None,
        "sha256": sha256_hex(data),
        "size": len(data),
        "entry": entry.seq if entry else None,
        "recorded_at": entry.recorded_at if entry else None,
        "proof": {
            "document_chain_entries": [entry.seq if entry else None, entries[-1].seq],
            "archive_chain_entries": [head_anchor.seq, anchors[-1].seq],
        },
    }


def _ledger_item(name: str, data: bytes, what: str) -> dict[str, Any]:
    return {"path": name, "what": what, "sha256": sha256_hex(data), "size": len(data)}


def _as_dict(columns: Sequence[str], row: Sequence[str]) -> dict[str, Any]:
    return {
        column: int(value) if column in ("seq", "document_seq") else value
        for column, value in zip(columns, row, strict=True)
    }


def _time_of(entry: Entry | None, fallback: Anchor) -> str:
    return entry.recorded_at if entry else fallback.recorded_at


def _last_check_time(entries: Sequence[Entry], name: str) -> str:
    checks = [e for e in entries if e.kind == "check" and e.ref.startswith(f"{name}#")]
    return (checks or list(entries))[-1].recorded_at
