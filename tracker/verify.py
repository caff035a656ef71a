"""``tracker verify``: re-hash the archive and check that its records hold together.

For lawyers and maintainers who must show that the evidence was not altered: every snapshot's
bytes still hash to the SHA-256 recorded in its version and in its metadata file, every version's
text still hashes to its ``text_sha256``, every version after the first has its change record,
and every version has its row in ``checks.csv``. Reads only; reports every problem found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tracker.archive import Archive
from tracker.errors import ArchiveError
from tracker.models import Outcome, sha256_hex


@dataclass
class Report:
    """What verifying one document found."""

    document: str
    versions: int = 0
    snapshots: int = 0
    changes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def verify_document(archive: Archive, document: str) -> Report:
    """Check one document's folder; every problem is a line of the report, nothing raises."""
    report = Report(document)
    folder = archive.folder(document)
    try:
        versions = list(archive.iter_versions(document))
        checks = archive.checks(document)
        checked = {c.version for c in checks if c.outcome is not Outcome.UNCHANGED}
        changes = set(archive.change_stamps(document))
    except ArchiveError as exc:
        report.problems.append(str(exc))
        return report
    seen_snapshots: set[str] = set()
    for version in versions:
        report.versions += 1
        where = f"versions/{version.timestamp}.md"
        if sha256_hex(version.text) != version.text_sha256:
            report.problems.append(f"{where}: the text does not match its text_sha256")
        snapshot = version.snapshot
        if snapshot and snapshot not in seen_snapshots:
            seen_snapshots.add(snapshot)
            path = folder / snapshot
            if not path.is_file():
                report.problems.append(f"{where}: its snapshot {snapshot} is missing")
            else:
                report.snapshots += 1
                digest = sha256_hex(path.read_bytes())
                if digest != version.meta.get("raw_sha256"):
                    report.problems.append(f"{snapshot}: SHA-256 {digest} differs from {where}")
                meta_path = path.with_suffix(".json")
                try:
                    recorded = json.loads(meta_path.read_text(encoding="utf-8")).get("sha256")
                except (OSError, ValueError):
                    report.problems.append(f"{meta_path.name}: missing or unreadable")
                else:
                    if recorded != digest:
                        report.problems.append(f"{snapshot}: SHA-256 differs from {meta_path.name}")
        if version.timestamp not in checked:
            report.problems.append(f"{where}: no row in checks.csv")
        first = version.meta.get("previous") is None
        if not first and not version.technical_upgrade:
            if version.timestamp in changes:
                report.changes += 1
            else:
                report.problems.append(f"{where}: no change record in changes/")
    return report


def verify(archive: Archive, documents: list[str] | None = None) -> list[Report]:
    """Verify the named documents, or every document in the archive."""
    return [verify_document(archive, d) for d in (documents or archive.documents())]
