"""What the site shows, read from the archive into values (read only, nothing written).

:func:`collect` reads each document's versions (front matter and text), change records,
checks (for the inaccessible spells) and hash chain, and the archive's chain head. The page
builders take the :class:`SiteData` it returns and do no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tracker.archive.store import Archive, StoredVersion
from tracker.models import Outcome
from tracker.query.changes import ChangeSummary, summarise
from tracker.timestamps import to_iso


@dataclass(frozen=True, slots=True)
class ChainRef:
    """A file's entry in its document's hash chain (``chain.csv``)."""

    seq: int
    recorded_at: str
    sha256: str
    hash: str


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One version with its evidence."""

    stamp: str
    captured_at: str
    origin: str
    source_url: str
    final_url: str
    http_status: str
    text_sha256: str
    raw_sha256: str
    rules_sha256: str
    snapshot: str  # archive-relative path of the raw snapshot ("" if none)
    technical_upgrade: bool
    flip_back_of: str
    chain: ChainRef | None
    text: str


@dataclass(frozen=True, slots=True)
class Spell:
    """A run of consecutive inaccessible checks."""

    start: str  # ISO 8601, UTC
    end: str
    checks: int
    causes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A document as the site shows it."""

    id: str
    title: str
    source_url: str
    language: str  # of the page's text (BCP 47, e.g. "en"; "" when unknown)
    versions: tuple[VersionInfo, ...]  # oldest first
    changes: Mapping[str, ChangeSummary]  # by the stamp of the version they lead to
    spells: tuple[Spell, ...]
    #: stamps whose change page (``changes/<stamp>.html``) is in the archive
    change_pages: frozenset[str] = frozenset()

    @property
    def platform(self) -> str:
        """The first part of the id (``linkedin``)."""
        return self.id.split("/", 1)[0]

    @property
    def latest_change(self) -> ChangeSummary | None:
        """The most recent change record, if any."""
        return self.changes[max(self.changes)] if self.changes else None


@dataclass(frozen=True, slots=True)
class SiteData:
    """Everything the pages are built from."""

    documents: tuple[DocumentInfo, ...]
    archive_head: str


def _text(meta: Mapping[str, Any], key: str) -> str:
    value = meta.get(key)
    return "" if value is None else str(value)


def version_info(version: StoredVersion, chain: ChainRef | None) -> VersionInfo:
    """The evidence of a stored version."""
    meta = version.meta
    return VersionInfo(
        stamp=version.timestamp,
        captured_at=_text(meta, "captured_at") or _text(meta, "fetched_at") or version.timestamp,
        origin=_text(meta, "origin"),
        source_url=_text(meta, "source_url"),
        final_url=_text(meta, "final_url"),
        http_status=_text(meta, "http_status"),
        text_sha256=version.text_sha256,
        raw_sha256=_text(meta, "raw_sha256"),
        rules_sha256=_text(meta, "rules_sha256"),
        snapshot=version.snapshot or "",
        technical_upgrade=version.technical_upgrade,
        flip_back_of=_text(meta, "flip_back_of"),
        chain=chain,
        text=version.text,
    )


def spells(outcomes: list[tuple[str, bool, str]]) -> tuple[Spell, ...]:
    """Runs of inaccessible checks among ``(checked_at, inaccessible, cause)``, in time order."""
    found: list[Spell] = []
    run: list[tuple[str, str]] = []
    for checked_at, inaccessible, cause in [*outcomes, ("", False, "")]:
        if inaccessible:
            run.append((checked_at, cause))
            continue
        if run:
            causes = tuple(dict.fromkeys(c for _, c in run if c))
            found.append(Spell(run[0][0], run[-1][0], len(run), causes))
            run = []
    return tuple(found)


def collect_document(archive: Archive, document: str) -> DocumentInfo:
    """One document, read from the archive."""
    entries = archive.entries(document)
    refs = {e.ref: ChainRef(e.seq, e.recorded_at, e.sha256, e.hash) for e in entries}
    versions = tuple(
        version_info(v, refs.get(f"versions/{v.timestamp}.md"))
        for v in archive.iter_versions(document)
    )
    changes = {
        stamp: summarise(document, stamp, archive.read_change(document, stamp))
        for stamp in archive.change_stamps(document)
    }
    records = archive.checks(document)
    checks = [(to_iso(c.checked_at), c.outcome is Outcome.INACCESSIBLE, c.cause) for c in records]
    latest = archive.read_version(document, versions[-1].stamp).meta if versions else {}
    return DocumentInfo(
        id=document,
        title=_text(latest, "title") or document,
        source_url=versions[-1].source_url if versions else (records[-1].url if records else ""),
        language=_text(latest, "language"),
        versions=versions,
        changes=changes,
        spells=spells(checks),
        change_pages=frozenset(
            stamp
            for stamp in changes
            if (archive.folder(document) / "changes" / f"{stamp}.html").is_file()
        ),
    )


def collect(archive: Archive) -> SiteData:
    """Every document of the archive that has a version or was inaccessible, and the archive's
    chain head."""
    documents = []
    for document in sorted(archive.documents()):
        info = collect_document(archive, document)
        if info.versions or info.spells:
            documents.append(info)
    return SiteData(tuple(documents), archive.head())
