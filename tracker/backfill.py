"""``tracker import``: backfill a document's history from a folder of dated files.

``YYYY-MM-DDTHH-MM-SSZ.html`` files are raw snapshots: they go through the same quality checks
and extraction rules as a live capture. ``.md`` files are versions already extracted by another
archive (e.g. Open Terms Archive): they are normalised and credited. Both are recorded through
:func:`tracker.pipeline.record`, in time order, as if captured at the time in their names, and
never alerted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracker import __version__
from tracker.archive.provenance import provenance_of
from tracker.archive.store import Archive
from tracker.classify.taxonomy import TaxonomySource
from tracker.errors import BackfillError, ExtractError, FetchError
from tracker.extract.extractor import extract
from tracker.extract.normalise import normalise_version
from tracker.fetch.quality import assess
from tracker.models import Capture, CheckRecord, Document, Outcome
from tracker.models import sha256_hex as sha256
from tracker.pipeline import (
    Evidence,
    Result,
    record,
    recover,
    render_index,
    render_platforms,
)
from tracker.timestamps import from_stamp, to_iso, to_stamp

log = logging.getLogger(__name__)


def backfill(
    document: Document,
    archive: Archive,
    folder: Path,
    taxonomy: TaxonomySource,
    *,
    attribution: str | None = None,
    lock_wait: float | None = 0.0,
) -> list[Result]:
    """Import dated ``.html`` snapshots or ``.md`` versions from ``folder``, oldest first.

    Each file is recorded as if captured at the time in its name: HTML through the document's
    rules (and the same quality checks as a live capture), Markdown normalised as it is. Files
    already imported are skipped, so an import can be re-run; a file older than the latest
    version is refused (history is only ever appended).
    """
    files = _dated_files(folder)
    with archive.writing(wait=lock_wait, waiting=log.warning):
        return _backfill(document, archive, files, taxonomy, attribution, provenance_of(folder))


def _backfill(
    document: Document,
    archive: Archive,
    files: list[tuple[str, Path]],
    taxonomy: TaxonomySource,
    attribution: str | None,
    provenance: Callable[[Path], dict[str, Any]],
) -> list[Result]:
    for line in recover(document, archive, taxonomy):
        log.warning("%s: %s", document.id, line)
    checks = archive.checks(document.id)
    done = {to_stamp(c.checked_at) for c in checks}
    last = to_stamp(checks[-1].checked_at) if checks else ""
    results = []
    for stamp, path in files:
        if stamp in done:
            results.append(
                Result(document.id, Outcome.UNCHANGED, detail=f"{path.name}: already recorded")
            )
            continue
        if stamp <= last:
            raise BackfillError(
                f"{path}: older than the latest check {last} of {document.id}; history can "
                "only be appended (import oldest first, before live checks start)"
            )
        body = path.read_bytes()
        origin = provenance(path) | {"sha256": sha256(body)}
        results.append(
            _backfill_one(document, archive, path, stamp, body, attribution, taxonomy, origin)
        )
    render_index(document, archive)
    render_platforms([document], archive)
    return results


def _dated_files(folder: Path) -> list[tuple[str, Path]]:
    if not folder.is_dir():
        raise BackfillError(f"{folder}: not a folder")
    files = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        try:
            from_stamp(path.stem)
        except ValueError:
            raise BackfillError(
                f"{path}: the file name must be a UTC time YYYY-MM-DDTHH-MM-SSZ with .html or .md"
            ) from None
        if path.suffix not in {".html", ".md"}:
            raise BackfillError(f"{path}: only .html snapshots and .md versions can be imported")
        files.append((path.stem, path))
    if not files:
        raise BackfillError(f"{folder}: no dated .html or .md files")
    return files


def _backfill_one(
    document: Document,
    archive: Archive,
    path: Path,
    stamp: str,
    body: bytes,
    attribution: str | None,
    taxonomy: TaxonomySource,
    provenance: dict[str, Any],
) -> Result:
    captured_at = from_stamp(stamp)
    meta: dict[str, Any] = {
        "document": document.id,
        "imported_from": path.name,
        "fetched_at": to_iso(captured_at),
        "sha256": sha256(body),
        "size": len(body),
        "tracker_version": __version__,
        "provenance": provenance,
    }
    if attribution:
        meta["attribution"] = attribution
    html = path.suffix == ".html"
    evidence = Evidence(
        captured_at=captured_at,
        body=body,
        suffix=path.suffix,
        source_url=document.url,
        final_url=document.url,
        http_status=None,
        origin="import-html" if html else "import-markdown",
        snapshot_meta=meta | {"rules_sha256": document.rules.digest()} if html else meta,
        attribution=attribution,
        provenance=provenance,
    )
    detail = f"imported from {path.name}"
    try:
        if html:
            capture = Capture(
                document_id=document.id,
                requested_url=document.url,
                final_url=document.url,
                status=200,
                headers=(("Content-Type", "text/html"),),
                body=body,
                fetched_at=captured_at,
            )
            assess(capture, expected_language=document.language)
            text = extract(body, document.rules, url=document.url)
        else:
            text = normalise_version(
                body.decode("utf-8", errors="replace"), document.rules, base_url=document.url
            )
    except (FetchError, ExtractError) as exc:
        archive.append_check(
            document.id,
            CheckRecord(
                checked_at=captured_at,
                outcome=Outcome.INACCESSIBLE,
                cause=exc.cause,
                raw_sha256=sha256(body),
                url=document.url,
                detail=f"{detail}: {exc}",
            ),
        )
        archive.commit(document.id)
        return Result(document.id, Outcome.INACCESSIBLE, cause=exc.cause, detail=str(exc))
    return record(
        document,
        archive,
        evidence,
        text,
        rules_sha256=document.rules.digest() if html else None,
        taxonomy=taxonomy,
        detail=detail,
    )
