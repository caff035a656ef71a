"""Change records: compare a new version with the one before and archive the result.

``changes/<ts>.json`` (machine-readable, see :func:`tracker.compare.diff.change_to_dict`), ``.md``
and a self-contained ``.html`` page are written once per new version, next to it. They are derived
from the versions, so a record interrupted before they were written is completed by
:func:`ensure_change_records` on the next run.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from tracker.archive.store import Archive, StoredVersion
from tracker.models import Change, Document

if TYPE_CHECKING:  # the taxonomy is loaded only when a change is built
    from tracker.classify.taxonomy import Taxonomy, TaxonomySource
    from tracker.render.html import VersionFacts

# The comparison, the classifier and the renderers are imported where a change is built or
# written: a check of an unchanged page (most checks) does without them, and starts faster.

#: How many earlier versions a new one is compared with to spot an A/B flip-back.
FLIP_BACK_WINDOW = 5


def find_flip_back(archive: Archive, document: str, text_sha256: str) -> str | None:
    """The stamp of a recent version (not the latest) with this exact text, if any.

    Pages that alternate between variants (A/B tests, regional layouts) come back to a text
    already seen: that is archived and marked, but it is not news.
    """
    stamps = archive.version_stamps(document)[-(FLIP_BACK_WINDOW + 1) : -1]
    for stamp in reversed(stamps):
        version = archive.read_version(document, stamp)
        if version.text_sha256 == text_sha256 and not version.technical_upgrade:
            return stamp
    return None


def build_change(
    document: Document, previous: StoredVersion, current: StoredVersion, taxonomy: Taxonomy
) -> Change:
    """Compare two stored versions and classify the changed clauses (pure apart from reading)."""
    change = compare_classified(
        previous.text,
        current.text,
        document=document.id,
        from_version=previous.timestamp,
        to_version=current.timestamp,
        taxonomy=taxonomy,
    )
    flip = current.meta.get("flip_back_of")
    return dataclasses.replace(change, flip_back_of=str(flip)) if flip else change


def compare_classified(
    old_text: str,
    new_text: str,
    *,
    document: str,
    from_version: str,
    to_version: str,
    taxonomy: Taxonomy,
) -> Change:
    """:func:`tracker.compare.diff.compare` the two texts, then classify the change."""
    from tracker.compare.diff import compare

    change = compare(
        old_text, new_text, document=document, from_version=from_version, to_version=to_version
    )
    return classify_texts(change, old_text, new_text, taxonomy)


def classify_texts(change: Change, old_text: str, new_text: str, taxonomy: Taxonomy) -> Change:
    """Classify ``change``, the comparison of ``old_text`` with ``new_text``."""
    from tracker.classify.classifier import classify_change
    from tracker.compare.clauses import split_clauses

    return classify_change(change, split_clauses(old_text), split_clauses(new_text), taxonomy)


def write_change_record(document: Document, archive: Archive, change: Change) -> None:
    """Archive a change as JSON, Markdown and HTML (write-once)."""
    from tracker.render.markdown import render_change_markdown

    versions = [archive.read_version(document.id, change.from_version)]
    versions.append(archive.read_version(document.id, change.to_version))
    files = _files(document, change, versions)
    files["md"] = render_change_markdown(change, title=document.title, source_url=document.url)
    archive.record_change(document.id, change.to_version, files)


def ensure_change_records(
    document: Document, archive: Archive, taxonomy: TaxonomySource
) -> list[str]:
    """Write every missing change record (after a crash); returns the stamps written.

    Every version but the first and technical upgrades has a change record from the version
    before it. One that is missing and was never committed to the chain was interrupted and is
    derived again from the two versions. One that the chain holds but the folder lacks was
    deleted: it is not rewritten (that would hide the loss), :func:`tracker.archive.verify.verify`
    reports it.
    """
    stamps = archive.version_stamps(document.id)
    if len(stamps) < 2:
        return []
    have = set(archive.change_stamps(document.id))
    missing = [s for s in stamps[1:] if s not in have]
    if not missing:
        return []
    committed = archive.ledger_tally(document.id).refs
    written = []
    for stamp in missing:
        if f"changes/{stamp}.json" in committed:
            continue
        current = archive.read_version(document.id, stamp)
        if current.technical_upgrade:
            continue
        previous = archive.read_version(document.id, stamps[stamps.index(stamp) - 1])
        from tracker.classify.taxonomy import resolve

        change = build_change(document, previous, current, resolve(taxonomy))
        write_change_record(document, archive, change)
        written.append(stamp)
    return written


def version_facts(version: StoredVersion) -> VersionFacts:
    """What a change page's footer says of a version: capture time and hashes."""
    from tracker.render.html import VersionFacts

    meta = version.meta
    raw = meta.get("raw_sha256")
    return VersionFacts(
        stamp=version.timestamp,
        captured_at=str(meta.get("captured_at") or meta.get("fetched_at") or version.timestamp),
        text_sha256=version.text_sha256,
        raw_sha256=None if raw is None else str(raw),
    )


def _files(document: Document, change: Change, versions: list[StoredVersion]) -> dict[str, str]:
    from tracker.compare.diff import change_to_dict
    from tracker.render.html import render_change_page

    data = change_to_dict(change)
    page = render_change_page(
        change,
        title=document.title,
        source_url=document.url,
        versions=[version_facts(v) for v in versions],
    )
    return {
        "json": json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        "html": page,
    }


def taxonomy_tag(taxonomy: Taxonomy) -> str:
    """``taxonomy-<version>-<digest8>``: names the files of a reclassification."""
    return f"taxonomy-{taxonomy.version}-{taxonomy.digest[:8]}"


def reclassify(document: Document, archive: Archive, taxonomy: Taxonomy) -> list[str]:
    """Classify again every change record that other rules classified (a technical upgrade).

    The record itself is evidence and stays as written. The new classification goes to
    ``changes/relabelled/<stamp>.<taxonomy tag>.json`` and ``.html`` (written once); nothing
    is alerted. Returns the stamps of the changes classified again.
    """
    tag = taxonomy_tag(taxonomy)
    done = []
    for stamp in archive.change_stamps(document.id):
        record = archive.read_change(document.id, stamp)
        recorded = record.get("taxonomy") or {}
        if recorded.get("digest") == taxonomy.digest:
            continue
        if archive.relabelled_path(document.id, stamp, tag, "json").exists():
            continue
        previous = archive.read_version(document.id, str(record["from"]))
        current = archive.read_version(document.id, str(record["to"]))
        change = build_change(document, previous, current, taxonomy)
        pages = _files(document, change, [previous, current])
        archive.record_relabelled(document.id, stamp, tag, pages)
        done.append(stamp)
    # Every relabelled file goes into the chain, including those of a reclassification that
    # was interrupted after writing them (they are skipped above, being there already).
    folder = archive.folder(document.id)
    relabelled = folder / "changes" / "relabelled"
    if relabelled.is_dir():
        files = sorted(p for p in relabelled.iterdir() if not p.name.startswith("."))
        archive.commit(document.id, extra=[p.relative_to(folder).as_posix() for p in files])
    return done


def clause_counts(record: dict[str, Any]) -> dict[str, int]:
    """How many clauses of each kind a stored change record holds (in order of appearance)."""
    kinds: dict[str, int] = {}
    for clause in record.get("clauses", []):
        kinds[clause["kind"]] = kinds.get(clause["kind"], 0) + 1
    return kinds
