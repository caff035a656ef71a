"""The archive under ``snapshots/``: the only code that reads or writes it.

One folder per document (its id: ``snapshots/linkedin/privacy-policy/``)::

    README.md              generated index: versions newest first, latest checks
    current.md             the latest version at a stable path
    checks/<year>.csv      every check, append-only: time, outcome, cause, status, hashes
                           (one file per year; archives made before keep a closed checks.csv)
    versions/<ts>.md       each version: front matter (source, hashes, snapshot) + Markdown
    raw/<ts>.html          the snapshot bytes exactly as received (first capture and each
    raw/<ts>.json          capture that gave a new version) and their metadata

Integrity rules, so that a crash at any point leaves a consistent archive:

- files under ``raw/`` and ``versions/`` are written once, atomically (temporary file, then an
  exclusive hard link to the final name): they are never rewritten or truncated;
- the version file is the commit point of a record: raw files are written before it, the
  mutable files (``current.md``, the checks files, ``README.md``) after it;
- :meth:`Archive.recover` repairs what an interrupted record left: temporary files, a raw
  snapshot without its version, a half-written check row, a missing check row or a stale
  ``current.md``.

The append-only files are followed, not re-read (:mod:`tracker.archive.appended`): a check
reads only the rows written since the last one, and keeps running summaries of them
(:mod:`tracker.archive.tally`), so its cost does not grow with the archive.

Every error here is an :class:`~tracker.errors.ArchiveError`, fatal to the run.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from tracker.archive.appended import Mark, lines, read_appended
from tracker.archive.chain import (
    ARCHIVE_COLUMNS,
    DOCUMENT_COLUMNS,
    GENESIS,
    Anchor,
    Entry,
    LedgerError,
    check_ref,
    csv_line,
    header,
    iter_anchors,
    iter_entries,
    parse_anchors,
    parse_entries,
)
from tracker.archive.lock import archive_lock_path, file_lock
from tracker.archive.tally import (
    RECENT_CHECKS,
    AnchorTally,
    ChecksSummary,
    CheckTally,
    LedgerTally,
)
from tracker.errors import ArchiveError
from tracker.extract import frontmatter
from tracker.models import CheckRecord, Outcome, sha256_hex
from tracker.timestamps import from_iso, from_stamp, to_iso, to_stamp, utc_now

CHECK_COLUMNS = (
    "checked_at",
    "outcome",
    "cause",
    "http_status",
    "raw_sha256",
    "text_sha256",
    "version",
    "url",
    "detail",
)
_TMP_PREFIX = ".tmp-"
#: The checks file of archives made before the yearly files (read, never appended to).
LEGACY_CHECKS = "checks.csv"
#: The folder of a document's yearly checks files, ``checks/<year>.csv``.
CHECKS_FOLDER = "checks"

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A version as read back from ``versions/<ts>.md``."""

    document: str
    timestamp: str
    meta: Mapping[str, Any]
    text: str

    @property
    def text_sha256(self) -> str:
        """Hash of the Markdown text (the body under the front matter)."""
        return str(self.meta["text_sha256"])

    @property
    def rules_sha256(self) -> str | None:
        """Digest of the extraction rules that produced it (None for imported Markdown)."""
        value = self.meta.get("rules_sha256")
        return None if value is None else str(value)

    @property
    def snapshot(self) -> str | None:
        """Archive-relative path of the raw snapshot it was extracted from, if any."""
        value = self.meta.get("snapshot")
        return None if value is None else str(value)

    @property
    def technical_upgrade(self) -> bool:
        """True when the version comes from new extraction rules, not from the page."""
        return bool(self.meta.get("technical_upgrade", False))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(path: Path, data: bytes, *, durable: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{_TMP_PREFIX}{os.getpid()}-{path.name}")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
    return tmp


def write_once(path: Path, data: bytes) -> None:
    """Create ``path`` atomically with ``data``; ArchiveError if it already exists.

    The bytes go to a temporary file in the same folder, are flushed to disk, then linked to
    the final name (``link`` fails if the name exists, so nothing is ever overwritten).
    """
    try:
        tmp = _write_temp(path, data)
        try:
            os.link(tmp, path)
        finally:
            tmp.unlink()
        _fsync_dir(path.parent)
    except FileExistsError:
        raise ArchiveError(f"{path} already exists; archived files are never rewritten") from None
    except OSError as exc:
        raise ArchiveError(f"cannot write {path}: {exc.strerror or exc}") from exc


def replace_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never a mix.

    ``durable``: flushed to disk before the call returns. Generated indexes are not (two
    ``fsync`` calls, a third of a check's): they are derived from the records and written
    again at every check, so a power cut can at worst leave one stale or empty until the next
    check of its document.
    """
    try:
        tmp = _write_temp(path, data, durable=durable)
        tmp.replace(path)
        if durable:
            _fsync_dir(path.parent)
    except OSError as exc:
        raise ArchiveError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _write_record(files: Mapping[str, str], path_for: Callable[[str], Path]) -> None:
    """Write each suffix → text once, the JSON last: its presence means the record is complete.

    A non-JSON file already there was left by an interrupted record: it holds the same content,
    derived again, and is kept.
    """
    for suffix in sorted(files, key=lambda s: s == "json"):
        path = path_for(suffix)
        if suffix != "json" and path.exists():
            continue
        write_once(path, files[suffix].encode("utf-8"))


#: How many versions :meth:`Archive.read_version` keeps (a few: they hold whole texts).
RECENT_VERSIONS = 4


class Archive:
    """The ``snapshots/`` folder. ``root`` is injected (tests pass a temporary folder)."""

    def __init__(self, root: Path, now: Callable[[], datetime] = utc_now) -> None:
        """Open the archive at ``root`` (created on first write); ``now`` dates chain entries."""
        self.root = root
        self._now = now
        self._writers = 0
        self._ledgers: dict[Path, tuple[Mark, LedgerTally]] = {}
        self._anchor_tally: dict[Path, tuple[Mark, AnchorTally]] = {}
        self._check_tallies: dict[Path, tuple[Mark, CheckTally]] = {}
        self._recent_versions: dict[tuple[str, int, int], StoredVersion] = {}

    # ----------------------------------------------------------------- paths
    def folder(self, document: str) -> Path:
        """The document's folder: ``<root>/<document id>``."""
        return self.root / document

    def version_path(self, document: str, stamp: str) -> Path:
        """``versions/<stamp>.md`` of a document."""
        return self.folder(document) / "versions" / f"{stamp}.md"

    def raw_path(self, document: str, stamp: str, suffix: str = ".html") -> Path:
        """``raw/<stamp><suffix>`` of a document (the snapshot bytes)."""
        return self.folder(document) / "raw" / f"{stamp}{suffix}"

    # ----------------------------------------------------------------- reading
    def version_stamps(self, document: str) -> list[str]:
        """Timestamps of every version of a document, oldest first."""
        folder = self.folder(document) / "versions"
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.md") if not p.name.startswith("."))

    def read_version(self, document: str, stamp: str) -> StoredVersion:
        """Read one version; ArchiveError if it is missing or damaged.

        The last few read are kept, by path, size and modification time: a check reads its
        document's latest version three times (recovery, comparison, record), and a version
        file is written once (one changed by hand has another time or size: read again).
        """
        path = self.version_path(document, stamp)
        try:
            stat = path.stat()
            key = (str(path), stat.st_size, stat.st_mtime_ns)
            if key in self._recent_versions:
                return self._recent_versions[key]
            meta, text = frontmatter.parse(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ArchiveError(f"{path}: no such version") from None
        except (OSError, ValueError) as exc:
            raise ArchiveError(f"{path}: unreadable version ({exc})") from exc
        version = StoredVersion(document=document, timestamp=stamp, meta=meta, text=text)
        self._recent_versions[key] = version
        while len(self._recent_versions) > RECENT_VERSIONS:
            del self._recent_versions[next(iter(self._recent_versions))]
        return version

    def latest_version(self, document: str) -> StoredVersion | None:
        """The most recent version of a document, or None before its first record."""
        stamps = self.version_stamps(document)
        return self.read_version(document, stamps[-1]) if stamps else None

    def read_snapshot(self, document: str, relative: str) -> bytes:
        """The bytes of a snapshot, by its path relative to the document folder."""
        path = self.folder(document) / relative
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot read snapshot ({exc.strerror})") from exc

    def read_snapshot_meta(self, document: str, relative: str) -> dict[str, Any]:
        """The capture metadata beside a snapshot (``<snapshot>.json``): headers, hashes."""
        path = self.folder(document) / Path(relative).with_suffix(".json")
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ArchiveError(f"{path}: cannot read snapshot metadata ({exc})") from exc
        if not isinstance(meta, dict):
            raise ArchiveError(f"{path}: snapshot metadata is not a JSON object")
        return meta

    def checks_files(self, document: str) -> list[str]:
        """The checks files of a document, oldest first, relative to its folder: the closed
        ``checks.csv`` of an older archive if there is one, then ``checks/<year>.csv``."""
        folder = self.folder(document)
        names = [LEGACY_CHECKS] if (folder / LEGACY_CHECKS).is_file() else []
        yearly = folder / CHECKS_FOLDER
        if yearly.is_dir():
            names += sorted(
                f"{CHECKS_FOLDER}/{p.name}"
                for p in yearly.glob("*.csv")
                if p.stem.isdigit() and len(p.stem) == 4
            )
        return names

    def checks(self, document: str) -> list[CheckRecord]:
        """Every check of a document, oldest first (reads every checks file whole)."""
        records = []
        for name in self.checks_files(document):
            path = self.folder(document) / name
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ArchiveError(f"{path}: cannot read ({exc.strerror})") from exc
            for row in csv.DictReader(io.StringIO(text)):
                try:
                    records.append(check_record(row))
                except (KeyError, ValueError, TypeError) as exc:
                    raise ArchiveError(f"{path}: damaged row {row!r} ({exc})") from exc
        return records

    def checks_summary(self, document: str) -> ChecksSummary:
        """How many checks, from when, of which outcomes, and the latest ones, without reading
        the checks files again: only the rows written since the last call are read."""
        total, first, counts = 0, "", Counter[str]()
        names = self.checks_files(document)
        for name in names:
            tally, _ = self._check_tally(document, name)
            total += tally.rows
            first = first or tally.first
            counts.update(tally.counts)
        records = self._recent_checks(document, names, RECENT_CHECKS)
        return ChecksSummary(total, first, dict(counts), records)

    def last_check(self, document: str) -> CheckRecord | None:
        """The latest check of a document, read from the end of its checks files only."""
        recent = self._recent_checks(document, self.checks_files(document), 1)
        return recent[-1] if recent else None

    def _recent_checks(
        self, document: str, names: list[str], count: int
    ) -> tuple[CheckRecord, ...]:
        """The last ``count`` checks, oldest first: from the end of the latest files."""
        path = self.folder(document)
        recent: list[list[str]] = []
        for name in reversed(names):
            recent = _last_rows(path / name, count - len(recent)) + recent
            if len(recent) >= count:
                break
        try:
            return tuple(check_record(dict(zip(CHECK_COLUMNS, row, strict=True))) for row in recent)
        except (KeyError, ValueError, TypeError) as exc:
            raise ArchiveError(f"{path}: damaged check row ({exc})") from exc

    def documents(self) -> list[str]:
        """Ids of every document in the archive: folders holding checks.csv or a chain, and
        documents named in the archive's chain."""
        if not self.root.is_dir():
            return []
        found = {
            p.parent.relative_to(self.root).as_posix()
            for name in (LEGACY_CHECKS, "chain.csv")
            for p in self.root.rglob(name)
        }
        found.update(
            p.parent.parent.relative_to(self.root).as_posix()
            for p in self.root.rglob(f"{CHECKS_FOLDER}/*.csv")
        )
        found.discard(".")
        with contextlib.suppress(ArchiveError):  # verify reports an unreadable chain
            found.update(anchor.document for anchor in self.anchors())
        return sorted(found)

    # ----------------------------------------------------------------- writing
    def record_snapshot(
        self, document: str, stamp: str, body: bytes, meta: Mapping[str, Any], suffix: str
    ) -> str:
        """Write a snapshot and its metadata once; returns its path relative to the document."""
        write_once(self.raw_path(document, stamp, suffix), body)
        write_once(
            self.raw_path(document, stamp, ".json"),
            (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        )
        return f"raw/{stamp}{suffix}"

    def record_version(self, document: str, stamp: str, meta: Mapping[str, Any], text: str) -> None:
        """Write ``versions/<stamp>.md`` once (the commit point), then ``current.md``."""
        content = frontmatter.render(meta, text).encode("utf-8")
        write_once(self.version_path(document, stamp), content)
        replace_atomically(self.folder(document) / "current.md", content)

    def change_stamps(self, document: str) -> list[str]:
        """Timestamps of every recorded change of a document, oldest first."""
        folder = self.folder(document) / "changes"
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.json") if not p.name.startswith("."))

    def read_change(self, document: str, stamp: str) -> dict[str, Any]:
        """The machine-readable record ``changes/<stamp>.json``."""
        path = self.folder(document) / "changes" / f"{stamp}.json"
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ArchiveError(f"{path}: unreadable change record ({exc})") from exc
        return data

    def record_change(self, document: str, stamp: str, files: Mapping[str, str]) -> None:
        """Write ``changes/<stamp>.<suffix>`` once for each suffix → text (json, md, html).

        The JSON record is written last: its presence means the change is complete.
        """
        folder = self.folder(document) / "changes"
        _write_record(files, lambda suffix: folder / f"{stamp}.{suffix}")

    def relabelled_path(self, document: str, stamp: str, tag: str, suffix: str) -> Path:
        """``changes/relabelled/<stamp>.<tag>.<suffix>``: a change classified again."""
        return self.folder(document) / "changes" / "relabelled" / f"{stamp}.{tag}.{suffix}"

    def record_relabelled(
        self, document: str, stamp: str, tag: str, files: Mapping[str, str]
    ) -> None:
        """Write a reclassified change once (JSON last, as for :meth:`record_change`)."""
        _write_record(files, lambda suffix: self.relabelled_path(document, stamp, tag, suffix))

    def checks_file_for(self, document: str, checked_at: datetime) -> str:
        """The checks file a row goes to: ``checks/<year of checked_at>.csv``, or the latest
        yearly file if it is later (a row restored for an old version never reopens a closed
        year)."""
        name = f"{CHECKS_FOLDER}/{checked_at.year:04d}.csv"
        yearly = [n for n in self.checks_files(document) if n != LEGACY_CHECKS]
        return max([name, *yearly])

    def append_check(self, document: str, record: CheckRecord) -> None:
        """Append one row to the checks file of its year (header written with the first row),
        opened for appending: nothing already there is read."""
        path = self.folder(document) / self.checks_file_for(document, record.checked_at)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        new = not path.exists()
        if new:
            writer.writerow(CHECK_COLUMNS)
        writer.writerow(
            (
                to_iso(record.checked_at),
                record.outcome.value,
                record.cause,
                "" if record.http_status is None else record.http_status,
                record.raw_sha256,
                record.text_sha256,
                record.version,
                record.url,
                record.detail,
            )
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8", newline="") as handle:
                handle.write(buffer.getvalue())
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise ArchiveError(f"cannot append to {path}: {exc.strerror}") from exc

    def write_text(self, relative: str, text: str) -> None:
        """Replace a generated file (an index README) below the archive root: atomically,
        not durably (:func:`replace_atomically`); unchanged content is not written again."""
        path = self.root / relative
        data = text.encode("utf-8")
        with contextlib.suppress(OSError):
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return
        replace_atomically(path, data, durable=False)

    # ----------------------------------------------------------------- lock
    @contextlib.contextmanager
    def writing(
        self, *, wait: float | None = 0.0, waiting: Callable[[str], None] = lambda _: None
    ) -> Iterator[None]:
        """Hold the archive's exclusive lock (:mod:`tracker.archive.lock`); re-entrant in a
        process."""
        if self._writers:
            self._writers += 1
            try:
                yield
            finally:
                self._writers -= 1
            return
        with file_lock(archive_lock_path(self.root), wait=wait, waiting=waiting):
            self._writers = 1
            try:
                yield
            finally:
                self._writers = 0

    @contextlib.contextmanager
    def reading(
        self, *, wait: float | None = 0.0, waiting: Callable[[str], None] = lambda _: None
    ) -> Iterator[None]:
        """Hold the archive's lock shared: no writer is half-way through a record meanwhile."""
        if self._writers or not self.root.is_dir():
            yield
            return
        with file_lock(archive_lock_path(self.root), shared=True, wait=wait, waiting=waiting):
            yield

    @property
    def locked(self) -> bool:
        """True while this process holds the exclusive lock."""
        return self._writers > 0

    # ----------------------------------------------------------------- chain
    def ledger_path(self, document: str) -> Path:
        """``<document>/chain.csv``: the document's hash chain."""
        return self.folder(document) / "chain.csv"

    def entries(self, document: str) -> list[Entry]:
        """The entries of a document's chain, oldest first (empty before its first commit)."""
        path = self.ledger_path(document)
        try:
            return parse_entries(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError, LedgerError) as exc:
            raise ArchiveError(f"{path}: unreadable chain ({exc})") from exc

    def anchors(self) -> list[Anchor]:
        """The entries of the archive's chain (``<root>/chain.csv``), oldest first."""
        path = self.root / "chain.csv"
        try:
            return parse_anchors(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError, LedgerError) as exc:
            raise ArchiveError(f"{path}: unreadable chain ({exc})") from exc

    def head(self) -> str:
        """The archive head: the hash of the last entry of the archive's chain ('' if none)."""
        return self._anchors_tally().head

    def ledger_tally(self, document: str) -> LedgerTally:
        """The document's chain summed up (read only as far as it grew since the last call)."""

        def feed(tally: LedgerTally, text: Iterable[str], fresh: bool) -> list[Any]:
            tally.add(iter_entries(text, with_header=fresh))
            return []

        return self._follow(self.ledger_path(document), self._ledgers, LedgerTally, feed)[0]

    def _anchors_tally(self) -> AnchorTally:
        def feed(tally: AnchorTally, text: Iterable[str], fresh: bool) -> list[Any]:
            tally.add(iter_anchors(text, with_header=fresh))
            return []

        path = self.root / "chain.csv"
        return self._follow(path, self._anchor_tally, AnchorTally, feed)[0]

    def _check_tally(
        self, document: str, name: str, keep_after: int | None = None
    ) -> tuple[CheckTally, list[tuple[int, list[str]]]]:
        """A checks file summed up, and (number, cells) of the rows this call read after row
        ``keep_after`` (none when it is None)."""

        def feed(tally: CheckTally, text: Iterable[str], fresh: bool) -> list[Any]:
            reader = csv.reader(text)
            if fresh:  # the header
                next(reader, None)
            kept = []
            for row in reader:
                tally.add((row,))
                if keep_after is not None and tally.rows > keep_after:
                    kept.append((tally.rows, row))
            return kept

        path = self.folder(document) / name
        return self._follow(path, self._check_tallies, CheckTally, feed)

    @staticmethod
    def _follow(
        path: Path,
        cache: dict[Path, tuple[Mark, _T]],
        make: Callable[[], _T],
        feed: Callable[[_T, Iterable[str], bool], list[Any]],
    ) -> tuple[_T, list[Any]]:
        """The summary of an append-only file, fed with the lines appended since the last call
        (or started again from the whole file, streamed); returns it and what ``feed`` kept."""
        held = cache.get(path)
        got = read_appended(path, held[0] if held else None)
        tally = make() if got.fresh or held is None else held[1]
        items: list[Any] = []
        if got.end > got.start:
            try:
                items = feed(tally, lines(path, got.start, got.end), got.fresh)
            except (UnicodeDecodeError, LedgerError) as exc:
                cache.pop(path, None)
                raise ArchiveError(f"{path}: unreadable ({exc})") from exc
        if got.mark is None:
            cache.pop(path, None)
        else:
            cache[path] = (got.mark, tally)
        return tally, items

    def check_lines(self, document: str, name: str = LEGACY_CHECKS) -> list[str]:
        """The data rows of a checks file in canonical CSV form (what the chain hashes)."""
        path = self.folder(document) / name
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise ArchiveError(f"{path}: cannot read ({exc})") from exc
        rows = list(csv.reader(io.StringIO(text)))
        return [csv_line(row).removesuffix("\n") for row in rows[1:]]

    def record_files(self, document: str, stamp: str) -> list[tuple[str, str]]:
        """(kind, ref) of the files of the record made at ``stamp`` that exist, in chain order.

        A record is a version and what was written with it: its raw snapshot and metadata, the
        extraction rules it used, and its change record.
        """
        folder = self.folder(document)
        found: list[tuple[str, str]] = []
        raw = folder / "raw"
        if raw.is_dir():
            for path in sorted(raw.glob(f"{stamp}.*")):
                kind = "snapshot-meta" if path.suffix == ".json" else "snapshot"
                found.append((kind, f"raw/{path.name}"))
            found.sort(key=lambda item: item[0] == "snapshot-meta")
        version = self.version_path(document, stamp)
        if version.is_file():
            digest = self._version_rules(version)
            if digest and (folder / "rules" / f"{digest}.json").is_file():
                found.append(("rules", f"rules/{digest}.json"))
            found.append(("version", f"versions/{stamp}.md"))
        for suffix, kind in (("html", "change-html"), ("md", "change-md"), ("json", "change")):
            if (folder / "changes" / f"{stamp}.{suffix}").is_file():
                found.append((kind, f"changes/{stamp}.{suffix}"))
        return found

    @staticmethod
    def _version_rules(path: Path) -> str:
        try:
            meta, _ = frontmatter.parse(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        return str(meta.get("rules_sha256") or "")

    def record_rules(self, document: str, digest: str, rules: Mapping[str, Any]) -> None:
        """Keep the extraction rules a version was made with, once per digest."""
        path = self.folder(document) / "rules" / f"{digest}.json"
        if path.exists():
            return
        write_once(
            path, (json.dumps(rules, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()
        )

    def commit(self, document: str, extra: Sequence[str] = ()) -> int:
        """Add to the document's chain every record written since its last entry; anchor it.

        Adopted are the files of each version from the last one in the chain on (a record
        interrupted between its files and its chain entries is completed), the check rows after
        the last one in the chain, and ``extra`` refs (relabelled change files). A file of an
        older record that is not in the chain is never adopted: it was not written by a record
        (:func:`tracker.archive.verify.verify` reports it). Returns how many entries were added.
        """
        ledger = self.ledger_tally(document)
        refs = ledger.refs
        items: list[tuple[str, str]] = []
        for stamp in self.version_stamps(document):
            if stamp >= ledger.last_version:
                items += [
                    item for item in self.record_files(document, stamp) if item[1] not in refs
                ]
        items += [("relabelled", ref) for ref in extra if ref not in refs]
        items = list(dict.fromkeys(items))  # a rules file shared by versions is committed once
        folder = self.folder(document)
        hashed = []
        for kind, ref in items:
            try:
                hashed.append((kind, ref, sha256_hex((folder / ref).read_bytes())))
            except OSError as exc:
                raise ArchiveError(f"{folder / ref}: cannot read ({exc.strerror})") from exc
        for name in self.checks_files(document):
            done = ledger.checks.get(name, 0)
            hashed += [
                ("check", check_ref(name, number), sha256_hex(line))
                for number, line in self._new_check_lines(document, name, done)
            ]
        seq, head = ledger.seq, ledger.head
        if hashed:
            seq, head = self._append_entries(document, seq, head, hashed)
        self._anchor(document, seq, head)
        return len(hashed)

    def _new_check_lines(self, document: str, name: str, done: int) -> list[tuple[int, str]]:
        """(number, canonical line) of the rows of a checks file after row ``done``."""
        path = self.folder(document) / name
        held = self._check_tallies.get(path)
        if held is not None and held[1].rows > done:  # read before, never committed: again
            del self._check_tallies[path]
        _, rows = self._check_tally(document, name, keep_after=done)
        return [(number, csv_line(row).removesuffix("\n")) for number, row in rows]

    def _append_entries(
        self, document: str, seq: int, head: str, items: list[tuple[str, str, str]]
    ) -> tuple[int, str]:
        """Chain ``items`` after entry ``seq`` of hash ``head``; returns the new (seq, head)."""
        prev = head or GENESIS
        at = to_iso(self._now())
        lines = []
        for kind, ref, digest in items:
            seq += 1
            entry = Entry.make(seq, at, kind, ref, digest, prev)
            lines.append(csv_line(entry.row()))
            prev = entry.hash
        path = self.ledger_path(document)
        _append_lines(path, lines, header(DOCUMENT_COLUMNS))
        return seq, prev

    def _anchor(self, document: str, seq: int, head: str) -> None:
        """Anchor the document's head (entry ``seq``) if it moved since its last anchor."""
        if not seq:
            return
        anchors = self._anchors_tally()
        if anchors.document_seqs.get(document) == seq:
            return
        anchor = Anchor.make(
            anchors.seq + 1,
            to_iso(self._now()),
            document,
            seq,
            head,
            anchors.head or GENESIS,
        )
        _append_lines(self.root / "chain.csv", [csv_line(anchor.row())], header(ARCHIVE_COLUMNS))

    # ----------------------------------------------------------------- recovery
    def recover(self, document: str) -> list[str]:
        """Repair what an interrupted record left behind; returns what was repaired.

        Must be called with the archive's lock held (:meth:`writing`): it removes temporary
        files and unfinished snapshots, which are another writer's work in progress otherwise.
        Safe to call at any time under the lock; a no-op on a consistent folder. Change records
        are completed by :func:`tracker.changes.ensure_change_records`, then :meth:`commit`
        adds what was repaired to the chain.
        """
        if not self.locked:
            raise ArchiveError(
                f"{self.root}: recovery needs the archive's lock (a bug: take Archive.writing())"
            )
        repaired: list[str] = []
        for path in (self.root / "chain.csv",):
            repaired += _truncate_partial_row(path)
        folder = self.folder(document)
        # (The folders above the document's, which hold the platforms' index pages, are
        # cleaned once per pass by :meth:`remove_index_temporaries`: listing them at every
        # check would cost as much as the number of documents.)
        if not folder.is_dir():
            return repaired
        for tmp in sorted(folder.rglob(f"{_TMP_PREFIX}*")):
            tmp.unlink()
            repaired.append(f"removed temporary file {tmp.relative_to(self.root)}")
        for name in self.checks_files(document):
            repaired += _truncate_partial_row(folder / name)
        repaired += _truncate_partial_row(self.ledger_path(document))
        ledgered = self.ledger_tally(document).refs
        stamps = self.version_stamps(document)
        repaired += self._drop_orphan_snapshots(document, stamps, ledgered)
        if not stamps:
            return repaired
        latest = self.read_version(document, stamps[-1])
        current = folder / "current.md"
        expected = self.version_path(document, latest.timestamp).read_bytes()
        if not current.exists() or current.read_bytes() != expected:
            replace_atomically(current, expected)
            repaired.append("rewrote current.md from the latest version")
        unchained = [s for s in stamps if f"versions/{s}.md" not in ledgered]
        if not unchained:  # the usual case: no checks file to read
            return repaired
        recorded = {c.version for c in self.checks(document) if c.outcome is not Outcome.UNCHANGED}
        for stamp in unchained:
            if stamp in recorded:
                continue
            version = self.read_version(document, stamp)
            self.append_check(document, _check_for_recovered(version))
            repaired.append(f"added the missing check row of version {stamp}")
        return repaired

    def remove_index_temporaries(self, documents: Iterable[str]) -> list[str]:
        """Remove the temporary files a run killed while replacing an index page left in the
        folders above ``documents`` (``linkedin/``, the root); returns what was removed.

        Under the archive's lock, once per pass (before the index pages are written again).
        """
        removed = []
        parents = {p for d in documents for p in self.folder(d).relative_to(self.root).parents}
        for parent in sorted(parents):
            for tmp in sorted((self.root / parent).glob(f"{_TMP_PREFIX}*")):
                tmp.unlink()
                removed.append(f"removed temporary file {tmp.relative_to(self.root)}")
        return removed

    def _drop_orphan_snapshots(
        self, document: str, stamps: list[str], ledgered: set[str]
    ) -> list[str]:
        """Remove raw files newer than the latest version that no version points to.

        They can only come from a record interrupted before its version was written (the lock
        rules out another live writer): the capture was never recorded, and the next check
        captures the page again. A raw file in the chain is never removed.
        """
        raw = self.folder(document) / "raw"
        if not raw.is_dir():
            return []
        latest = stamps[-1] if stamps else ""
        removed = []
        for path in sorted(raw.iterdir()):
            stamp = path.name.split(".", 1)[0]
            ref = f"raw/{path.name}"
            if stamp > latest and not path.name.startswith(".") and ref not in ledgered:
                path.unlink()
                removed.append(f"removed snapshot {path.name} of an unfinished record")
        return removed

    def iter_versions(self, document: str) -> Iterator[StoredVersion]:
        """Every version of a document, oldest first."""
        for stamp in self.version_stamps(document):
            yield self.read_version(document, stamp)


def _append_lines(path: Path, lines: Sequence[str], first: str) -> None:
    """Append whole lines to a CSV ledger (its header first when new), flushed to disk."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        new = not path.exists() or path.stat().st_size == 0
        with path.open("a", encoding="utf-8", newline="") as handle:
            handle.write((first if new else "") + "".join(lines))
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise ArchiveError(f"cannot append to {path}: {exc.strerror}") from exc


def _truncate_partial_row(path: Path) -> list[str]:
    """Cut a half-written last line (no line end) off an append-only CSV file.

    Reads the file from its end, as far back as its last line end: a file that ends well
    costs one byte.
    """
    try:
        handle = path.open("r+b")
    except FileNotFoundError:
        return []
    with handle:
        size = handle.seek(0, io.SEEK_END)
        if not size:
            return []
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return []
        end = size
        keep = 0
        while end > 0:
            start = max(0, end - 4096)
            handle.seek(start)
            cut = handle.read(end - start).rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            end = start
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    return [f"removed a half-written row at the end of {path.name}"]


_ROW_START = re.compile(rb"\n(?=\d{4}-\d\d-\d\dT\d\d:\d\d)")


def _last_rows(path: Path, count: int) -> list[list[str]]:
    """The last ``count`` complete rows of a checks file (cells), read from its end: 16 KiB
    first, four times more until enough rows are found or the file is read whole."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read ({exc.strerror})") from exc
    with handle:
        size = handle.seek(0, io.SEEK_END)
        want = 16 * 1024
        while True:
            start = max(0, size - want)
            handle.seek(start)
            data = handle.read(size - start)
            data = data[: data.rfind(b"\n") + 1]
            if start:  # begin at the first row that starts in this piece
                match = _ROW_START.search(data)
                data = data[match.start() + 1 :] if match else b""
            rows = list(csv.reader(io.StringIO(data.decode("utf-8", "replace"))))
            if not start:
                rows = rows[1:]  # the header
            if len(rows) >= count or not start:
                return rows[-count:] if count else []
            want *= 4


def check_record(row: Mapping[str, str]) -> CheckRecord:
    """A :class:`CheckRecord` from the cells of a checks file's row, by column name."""
    return CheckRecord(
        checked_at=from_iso(row["checked_at"]),
        outcome=Outcome(row["outcome"]),
        cause=row["cause"],
        http_status=int(row["http_status"]) if row["http_status"] else None,
        raw_sha256=row["raw_sha256"],
        text_sha256=row["text_sha256"],
        version=row["version"],
        url=row["url"],
        detail=row["detail"],
    )


def _check_for_recovered(version: StoredVersion) -> CheckRecord:
    meta = version.meta
    if meta.get("technical_upgrade"):
        outcome = Outcome.TECHNICAL_UPGRADE
    elif meta.get("previous") is None:
        outcome = Outcome.FIRST_RECORD
    else:
        outcome = Outcome.NEW_VERSION
    checked_at = from_stamp(version.timestamp)
    with contextlib.suppress(KeyError, ValueError):
        checked_at = from_iso(str(meta["captured_at"]))
    return CheckRecord(
        checked_at=checked_at,
        outcome=outcome,
        http_status=meta.get("http_status"),
        raw_sha256=str(meta.get("raw_sha256") or ""),
        text_sha256=version.text_sha256,
        version=version.timestamp,
        url=str(meta.get("final_url") or meta.get("source_url") or ""),
        detail="row restored after an interrupted run",
    )


__all__ = [
    "CHECKS_FOLDER",
    "CHECK_COLUMNS",
    "LEGACY_CHECKS",
    "Archive",
    "StoredVersion",
    "check_record",
    "replace_atomically",
    "to_stamp",
    "write_once",
]
