"""The archive under ``snapshots/``: the only code that reads or writes it.

One folder per document (its id: ``snapshots/linkedin/privacy-policy/``)::

    README.md              generated index: versions newest first, latest checks
    current.md             the latest version at a stable path
    checks.csv             every check, append-only: time, outcome, cause, status, hashes
    versions/<ts>.md       each version: front matter (source, hashes, snapshot) + Markdown
    raw/<ts>.html          the snapshot bytes exactly as received (first capture and each
    raw/<ts>.json          capture that gave a new version) and their metadata

Integrity rules, so that a crash at any point leaves a consistent archive:

- files under ``raw/`` and ``versions/`` are written once, atomically (temporary file, then an
  exclusive hard link to the final name): they are never rewritten or truncated;
- the version file is the commit point of a record: raw files are written before it, the
  mutable files (``current.md``, ``checks.csv``, ``README.md``) after it;
- :meth:`Archive.recover` repairs what an interrupted record left: temporary files, a raw
  snapshot without its version, a half-written ``checks.csv`` row, a missing check row or a
  stale ``current.md``.

Every error here is an :class:`~tracker.errors.ArchiveError`, fatal to the run.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker import frontmatter
from tracker.errors import ArchiveError
from tracker.models import CheckRecord, Outcome
from tracker.timestamps import from_iso, from_stamp, to_iso, to_stamp

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


def _write_temp(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{_TMP_PREFIX}{os.getpid()}-{path.name}")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
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


def replace_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never a mix."""
    try:
        tmp = _write_temp(path, data)
        tmp.replace(path)
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


class Archive:
    """The ``snapshots/`` folder. ``root`` is injected (tests pass a temporary folder)."""

    def __init__(self, root: Path) -> None:
        """Open the archive at ``root`` (created on first write)."""
        self.root = root

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
        """Read one version; ArchiveError if it is missing or damaged."""
        path = self.version_path(document, stamp)
        try:
            meta, text = frontmatter.parse(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ArchiveError(f"{path}: no such version") from None
        except (OSError, ValueError) as exc:
            raise ArchiveError(f"{path}: unreadable version ({exc})") from exc
        return StoredVersion(document=document, timestamp=stamp, meta=meta, text=text)

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

    def checks(self, document: str) -> list[CheckRecord]:
        """Every check of a document, oldest first."""
        path = self.folder(document) / "checks.csv"
        if not path.exists():
            return []
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot read ({exc.strerror})") from exc
        records = []
        for row in csv.DictReader(io.StringIO(text)):
            try:
                records.append(
                    CheckRecord(
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
                )
            except (KeyError, ValueError, TypeError) as exc:
                raise ArchiveError(f"{path}: damaged row {row!r} ({exc})") from exc
        return records

    def documents(self) -> list[str]:
        """Ids of every document with a folder in the archive (those holding checks.csv)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.parent.relative_to(self.root).as_posix() for p in self.root.rglob("checks.csv")
        )

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

    def append_check(self, document: str, record: CheckRecord) -> None:
        """Append one row to ``checks.csv`` (header written with the first row)."""
        path = self.folder(document) / "checks.csv"
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
        """Replace a generated file (an index README) below the archive root."""
        replace_atomically(self.root / relative, text.encode("utf-8"))

    # ----------------------------------------------------------------- recovery
    def recover(self, document: str) -> list[str]:
        """Repair what an interrupted record left behind; returns what was repaired.

        Safe to call at any time; a no-op on a consistent folder.
        """
        folder = self.folder(document)
        if not folder.is_dir():
            return []
        repaired: list[str] = []
        for tmp in sorted(folder.rglob(f"{_TMP_PREFIX}*")):
            tmp.unlink()
            repaired.append(f"removed temporary file {tmp.relative_to(self.root)}")
        repaired += self._truncate_partial_row(folder / "checks.csv")
        stamps = self.version_stamps(document)
        repaired += self._drop_orphan_snapshots(document, stamps)
        if not stamps:
            return repaired
        latest = self.read_version(document, stamps[-1])
        current = folder / "current.md"
        expected = self.version_path(document, latest.timestamp).read_bytes()
        if not current.exists() or current.read_bytes() != expected:
            replace_atomically(current, expected)
            repaired.append("rewrote current.md from the latest version")
        recorded = {c.version for c in self.checks(document) if c.outcome is not Outcome.UNCHANGED}
        for stamp in stamps:
            if stamp in recorded:
                continue
            version = self.read_version(document, stamp)
            self.append_check(document, _check_for_recovered(version))
            repaired.append(f"added the missing check row of version {stamp}")
        return repaired

    def _truncate_partial_row(self, path: Path) -> list[str]:
        if not path.exists():
            return []
        data = path.read_bytes()
        if not data or data.endswith(b"\n"):
            return []
        keep = data[: data.rfind(b"\n") + 1]
        with path.open("r+b") as handle:
            handle.truncate(len(keep))
            handle.flush()
            os.fsync(handle.fileno())
        return [f"removed a half-written row at the end of {path.name}"]

    def _drop_orphan_snapshots(self, document: str, stamps: list[str]) -> list[str]:
        """Remove raw files newer than the latest version that no version points to.

        They can only come from a record interrupted before its version was written: the
        capture was never recorded, and the next check captures the page again.
        """
        raw = self.folder(document) / "raw"
        if not raw.is_dir():
            return []
        latest = stamps[-1] if stamps else ""
        removed = []
        for path in sorted(raw.iterdir()):
            stamp = path.name.split(".", 1)[0]
            if stamp > latest and not path.name.startswith("."):
                path.unlink()
                removed.append(f"removed snapshot {path.name} of an unfinished record")
        return removed

    def iter_versions(self, document: str) -> Iterator[StoredVersion]:
        """Every version of a document, oldest first."""
        for stamp in self.version_stamps(document):
            yield self.read_version(document, stamp)


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
    "CHECK_COLUMNS",
    "Archive",
    "StoredVersion",
    "replace_atomically",
    "to_stamp",
    "write_once",
]
