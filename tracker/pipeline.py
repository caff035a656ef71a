"""The wiring: one check of one document, read top to bottom in the order of the data.

``check``: recover the archive folder (and queue an alert a crash left unqueued) → apply a
technical upgrade if the rules changed → fetch → assess (blocked?) → extract → compare with the
latest version → record → queue the alert (:mod:`tracker.notify.alerts`).
``backfill`` records dated files from a folder through the same recording step.

This module decides what a failure means (see :mod:`tracker.errors`): fetch and extract
errors become an *inaccessible* check with its cause, never a version; archive errors propagate.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tracker import __version__
from tracker.archive.index import archive_guide, render_document_index, render_platform_index
from tracker.archive.store import Archive, StoredVersion
from tracker.changes import (
    build_change,
    clause_counts,
    ensure_change_records,
    find_flip_back,
    write_change_record,
)
from tracker.compare.wording import same_words
from tracker.errors import ArchiveError, ExtractError, FetchError
from tracker.extract.reading import READING_VERSION, reading_digest
from tracker.fetch.fetcher import HostPacer, fetch
from tracker.fetch.quality import assess, assess_answer
from tracker.models import (
    Capture,
    Change,
    CheckRecord,
    Document,
    ExtractRules,
    FetchSettings,
    Outcome,
    Validators,
)
from tracker.models import sha256_hex as sha256
from tracker.state.store import State
from tracker.suspect import SuspectSettings, Suspicion, suspicion
from tracker.timestamps import to_iso, to_stamp

if TYPE_CHECKING:
    import requests

    from tracker.archive.history import History
    from tracker.classify.taxonomy import TaxonomySource
    from tracker.notify.alerts import Alerts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deps:
    """Everything with a side effect, built once by the command line and injected."""

    http: requests.Session
    archive: Archive
    state: State
    fetch_settings: FetchSettings
    pacer: HostPacer
    now: Callable[[], datetime]
    #: the taxonomy, or what loads it when a change is first classified (an unchanged page
    #: needs none: :func:`tracker.classify.taxonomy.lazy_taxonomy`)
    taxonomy: TaxonomySource
    sleep: Callable[[float], None] = time.sleep
    inaccessible_after: int = 3
    alerts: Alerts | None = None
    suspect: SuspectSettings = field(default_factory=SuspectSettings)
    #: seconds to wait for the archive's lock held by another process (None: for ever)
    lock_wait: float | None = 0.0
    #: the archive's git history (None: not kept in git, e.g. no git command installed)
    history: History | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """What one check or one imported file came to, for the command line and the notifiers."""

    document: str
    outcome: Outcome
    version: str = ""
    cause: str = ""
    detail: str = ""
    http_status: int | None = None
    failures_in_row: int = 0
    recovered_after: int = 0
    notes: tuple[str, ...] = field(default=())
    change: Change | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """The raw material of a record: a live capture or a backfilled file."""

    captured_at: datetime
    body: bytes
    suffix: str
    source_url: str
    final_url: str
    http_status: int | None
    origin: str
    snapshot_meta: Mapping[str, Any]
    attribution: str | None = None
    provenance: Mapping[str, Any] | None = None


# --------------------------------------------------------------------------- check
def check(
    document: Document, deps: Deps, fetched: Capture | FetchError | None = None
) -> list[Result]:
    """Check one document once; returns its results (a technical upgrade, then the check).

    The whole check holds the archive's lock (:meth:`Archive.writing`): one writer at a time.
    ``fetched``: the page, or the error, of a fetch made beforehand (a concurrent pass fetches
    outside the lock, with :func:`validators_for`'s validators); None: fetch it here.
    """
    with deps.archive.writing(wait=deps.lock_wait, waiting=log.warning):
        results: list[Result] = []
        repaired = recover(document, deps.archive, deps.taxonomy, deps.alerts)
        for line in repaired:
            log.warning("%s: %s", document.id, line)
        upgrade = apply_technical_upgrade(document, deps)
        if upgrade is not None:
            results.append(upgrade)
        result = _capture_and_record(document, deps, tuple(repaired), fetched)
        results.append(result)
        _alert(document, deps, result)
        render_index(document, deps.archive)
        return results


def recover(
    document: Document, archive: Archive, taxonomy: TaxonomySource, alerts: Alerts | None = None
) -> list[str]:
    """Complete whatever an interrupted run left undone; returns what was repaired.

    Under the archive's lock: temporary files and unfinished snapshots removed, half-written
    rows cut, missing check rows and change records of every version written (not only the
    latest), the chain completed with what was recorded but not yet committed, and the alert
    of every version captured since the outbox began queued if it is not.
    """
    repaired = archive.recover(document.id)
    repaired += [
        f"wrote the missing change record of version {stamp}"
        for stamp in ensure_change_records(document, archive, taxonomy)
    ]
    fresh = not archive.ledger_tally(document.id).seq
    added = archive.commit(document.id)
    if added and fresh:
        repaired.append(f"started the hash chain over {added} records already in the archive")
    elif added:
        repaired.append(f"added {added} records of an interrupted run to the hash chain")
    if alerts is not None:
        repaired += [
            f"queued the alert of version {stamp} (left unqueued by a crash)"
            for stamp in alerts.queue_missing(document)
        ]
    return repaired


def _alert(document: Document, deps: Deps, result: Result) -> None:
    """Queue the alert of a new version, and tell the maintainers about access trouble."""
    if deps.alerts is None:
        return
    if result.outcome is Outcome.NEW_VERSION:
        deps.alerts.queue_version(document, result.version, result.change)
    deps.alerts.on_result(
        document,
        result.outcome,
        failures_in_row=result.failures_in_row,
        recovered_after=result.recovered_after,
        cause=result.cause,
        detail=result.detail,
    )


def validators_for(document: Document, deps: Deps) -> Validators | None:
    """The validators of a conditional GET of ``document``: none before its first version."""
    if not deps.archive.version_stamps(document.id):
        return None
    return deps.state.get(document.id).validators


def _capture_and_record(
    document: Document,
    deps: Deps,
    notes: tuple[str, ...],
    fetched: Capture | FetchError | None = None,
) -> Result:
    latest = deps.archive.latest_version(document.id)
    state = deps.state.get(document.id)
    validators = state.validators if latest is not None else None
    capture: Capture | None = None
    try:
        if isinstance(fetched, FetchError):
            raise fetched
        if fetched is None or (fetched.not_modified and latest is None):
            # (a 304 to validators sent before recovery found no version: ask for the page)
            capture = _fetch(document, deps, validators)
        else:
            capture = fetched
        if capture.not_modified and latest is not None:
            return _unchanged(document, deps, capture, latest, "HTTP 304 Not Modified", notes)
        text = _read(document, capture, _known_text(document, deps, capture, latest))
        held = _suspicion(capture, text, latest, deps.suspect)
        detail = ""
        if held is not None:
            capture, text, detail = _confirm(document, deps, capture, text, held, latest)
            if not capture.body:  # the two fetches disagree: hold, record nothing
                return Result(
                    document.id, Outcome.SUSPECT, cause=held.cause, detail=detail, notes=notes
                )
    except (FetchError, ExtractError) as exc:
        return _inaccessible(document, deps, exc, capture, notes)
    evidence = Evidence(
        captured_at=capture.fetched_at,
        body=capture.body,
        suffix=".html",
        source_url=capture.requested_url,
        final_url=capture.final_url,
        http_status=capture.status,
        origin="capture",
        snapshot_meta=_capture_meta(document, capture, deps.fetch_settings),
    )
    result = record(
        document,
        deps.archive,
        evidence,
        text,
        rules_sha256=document.rules.digest(),
        taxonomy=deps.taxonomy,
        detail=detail,
    )
    # Only now: a run killed before the record must not have kept the page's validators (the
    # next check would send them, get a 304 and take the old version for the page).
    failures = deps.state.record_success(document.id, capture.fetched_at, _validators(capture))
    return Result(
        document=result.document,
        outcome=result.outcome,
        version=result.version,
        http_status=capture.status,
        detail=result.detail,
        recovered_after=failures,
        notes=notes,
        change=result.change,
    )


def _fetch(document: Document, deps: Deps, validators: Validators | None) -> Capture:
    return fetch(
        document,
        deps.fetch_settings,
        http=deps.http,
        now=deps.now,
        validators=validators,
        sleep=deps.sleep,
        pacer=deps.pacer,
    )


def _read(document: Document, capture: Capture, known: str | None = None) -> str:
    """Judge the capture (blocked?) and extract its text; FetchError/ExtractError if not.

    ``known``: the text of an accepted version whose page was these very bytes, read by the
    same rules (see :func:`_known_text`); the parsing checks and the extraction would give the
    same answer again, so only the answer's status, address and media type are judged.
    """
    if known is not None:
        assess_answer(capture)
        return known
    assess(capture, expected_language=document.language)
    return extract(capture.body, document.rules, url=document.url, charset=capture.charset)


def extract(body: bytes, rules: ExtractRules, *, url: str, charset: str | None = None) -> str:
    """:func:`tracker.extract.extractor.extract`, imported when a page is first read (lxml,
    BeautifulSoup and the converters: a check of an unchanged page does without them)."""
    from tracker.extract.extractor import extract as extract_page

    return extract_page(body, rules, url=url, charset=charset)


def _known_text(
    document: Document, deps: Deps, capture: Capture, latest: StoredVersion | None
) -> str | None:
    """The latest version's text if ``capture`` would be extracted to it, else None.

    True when the body reads as the latest version's snapshot: the same bytes, or bytes that
    differ only where nothing is read (per-request ids in ``data-*`` attributes, generated
    element ids, stylesheet addresses: :mod:`tracker.extract.reading`); the extraction rules
    (their digest includes the extractor's version) are the ones that read it; and the headers
    the reading depends on (``Content-Type`` with its charset, ``Content-Language``) are the
    same. An unchanged page then costs a hash or two, not a parse and an extraction.
    """
    if latest is None or not capture.body or not latest.snapshot:
        return None
    if latest.rules_sha256 != document.rules.digest():
        return None
    if latest.meta.get("raw_sha256") != capture.sha256 and not _reads_alike(
        document, deps, latest.snapshot, capture.body
    ):
        return None
    try:
        seen = deps.archive.read_snapshot_meta(document.id, latest.snapshot)
    except ArchiveError:
        return None
    if seen.get("content_type") != capture.header("content-type"):
        return None
    if _header(seen, "content-language") != capture.header("content-language"):
        return None
    return latest.text


def _reads_alike(document: Document, deps: Deps, snapshot: str, body: bytes) -> bool:
    """True if ``body`` and the stored ``snapshot`` differ only where nothing is read."""
    if not snapshot.endswith(".html"):
        return False
    selectors = document.rules.selectors
    digest = reading_digest(body, selectors)
    return digest is not None and digest == _snapshot_reading(document, deps, snapshot, selectors)


def _snapshot_reading(
    document: Document, deps: Deps, snapshot: str, selectors: tuple[str, ...]
) -> str | None:
    """:func:`reading_digest` of the latest snapshot, kept in the state database's ``meta``
    table (``reading:<document>``) with what it was computed from, so that each check reads
    one row rather than the snapshot (a ``tracker check`` pass is a new process each time)."""
    key = f"reading:{document.id}"
    basis = {
        "snapshot": snapshot,
        "selectors": sha256("\n".join(selectors)),
        "reading": READING_VERSION,
    }
    stored = deps.state.get_meta(key)
    if stored:
        with contextlib.suppress(ValueError, TypeError):
            known = json.loads(stored)
            if {k: known.get(k) for k in basis} == basis:
                return str(known["digest"])
    try:
        digest = reading_digest(deps.archive.read_snapshot(document.id, snapshot), selectors)
    except ArchiveError:
        return None
    if digest is not None:
        deps.state.set_meta(key, json.dumps({**basis, "digest": digest}, sort_keys=True))
    return digest


def _header(snapshot_meta: Mapping[str, Any], name: str) -> str | None:
    for pair in snapshot_meta.get("headers") or ():
        if len(pair) == 2 and str(pair[0]).lower() == name:
            return str(pair[1])
    return None


def _suspicion(
    capture: Capture, text: str, latest: StoredVersion | None, settings: SuspectSettings
) -> Suspicion | None:
    previous = latest.text if latest is not None else None
    if latest is not None and latest.text_sha256 == sha256(text):
        return None
    return suspicion(capture.body, capture.media_type, text, previous, settings)


def _confirm(
    document: Document,
    deps: Deps,
    capture: Capture,
    text: str,
    held: Suspicion,
    latest: StoredVersion | None,
) -> tuple[Capture, str, str]:
    """Hold a suspect capture and fetch again: (capture, text, detail) to record.

    The held capture is a ``suspect`` row of ``checks.csv``. The second fetch is recorded if it
    looks sound, or if it gives the same text (the suspicion is confirmed: the page really is
    like that). Two suspect captures that disagree are held both, and nothing is recorded: the
    returned capture then has an empty body.
    """
    log.warning("%s: suspect capture held (%s): %s", document.id, held.cause, held.detail)
    _append_suspect(document, deps, capture, text, held, "held; fetching again to confirm")
    if not deps.suspect.confirm:
        return capture, text, f"recorded without confirmation: {held.cause}: {held.detail}"
    second = _fetch(document, deps, None)
    second_text = _read(document, second)
    if sha256(second_text) == sha256(text):
        return second, second_text, f"confirmed by a second fetch: {held.cause}: {held.detail}"
    again = _suspicion(second, second_text, latest, deps.suspect)
    if again is None:
        return second, second_text, f"a second fetch replaced a suspect capture ({held.cause})"
    _append_suspect(
        document, deps, second, second_text, again, "held: a second suspect capture disagrees"
    )
    detail = f"{held.cause}: {held.detail}; a second fetch disagrees ({again.cause}): held"
    return dataclasses.replace(second, body=b""), second_text, detail


def _append_suspect(
    document: Document, deps: Deps, capture: Capture, text: str, held: Suspicion, what: str
) -> None:
    deps.archive.append_check(
        document.id,
        CheckRecord(
            checked_at=capture.fetched_at,
            outcome=Outcome.SUSPECT,
            cause=held.cause,
            http_status=capture.status,
            raw_sha256=capture.sha256,
            text_sha256=sha256(text),
            url=capture.final_url,
            detail=f"{held.detail}; {what}",
        ),
    )
    deps.archive.commit(document.id)


def _unchanged(
    document: Document,
    deps: Deps,
    capture: Capture,
    latest: StoredVersion,
    detail: str,
    notes: tuple[str, ...],
) -> Result:
    failures = deps.state.record_success(document.id, capture.fetched_at, _validators(capture))
    deps.archive.append_check(
        document.id,
        CheckRecord(
            checked_at=capture.fetched_at,
            outcome=Outcome.UNCHANGED,
            http_status=capture.status,
            text_sha256=latest.text_sha256,
            version=latest.timestamp,
            url=capture.final_url,
            detail=detail,
        ),
    )
    deps.archive.commit(document.id)
    return Result(
        document.id,
        Outcome.UNCHANGED,
        version=latest.timestamp,
        http_status=capture.status,
        detail=detail,
        recovered_after=failures,
        notes=notes,
    )


def record_inaccessible(document: Document, deps: Deps, exc: FetchError) -> Result:
    """Record a check that was not attempted because the host is known to be unreachable."""
    with deps.archive.writing(wait=deps.lock_wait, waiting=log.warning):
        notes = tuple(recover(document, deps.archive, deps.taxonomy, deps.alerts))
        result = _inaccessible(document, deps, exc, None, notes)
        _alert(document, deps, result)
        render_index(document, deps.archive)
        return result


def _inaccessible(
    document: Document,
    deps: Deps,
    exc: FetchError | ExtractError,
    capture: Capture | None,
    notes: tuple[str, ...],
) -> Result:
    at = capture.fetched_at if capture is not None else deps.now()
    failures = deps.state.record_failure(document.id, at, exc.cause)
    status = capture.status if capture is not None else _status_of(exc)
    deps.archive.append_check(
        document.id,
        CheckRecord(
            checked_at=at,
            outcome=Outcome.INACCESSIBLE,
            cause=exc.cause,
            http_status=status,
            raw_sha256=capture.sha256 if capture is not None and capture.body else "",
            url=capture.final_url if capture is not None else document.url,
            detail=str(exc),
        ),
    )
    deps.archive.commit(document.id)
    # The check's own line (tracker.ops.logs.log_check) says it at WARNING, or ERROR past the
    # threshold; this one is for debugging.
    log.debug("%s: inaccessible (%s), %d in a row: %s", document.id, exc.cause, failures, exc)
    return Result(
        document.id,
        Outcome.INACCESSIBLE,
        cause=exc.cause,
        detail=str(exc),
        http_status=status,
        failures_in_row=failures,
        notes=notes,
    )


def _status_of(exc: Exception) -> int | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def _validators(capture: Capture) -> Validators:
    return Validators(etag=capture.header("etag"), last_modified=capture.header("last-modified"))


def _capture_meta(document: Document, capture: Capture, settings: FetchSettings) -> dict[str, Any]:
    return {
        "document": document.id,
        "requested_url": capture.requested_url,
        "final_url": capture.final_url,
        "redirects": list(capture.redirects),
        "status": capture.status,
        "headers": [list(pair) for pair in capture.headers],
        "request_headers": {
            "User-Agent": settings.user_agent,
            "Accept-Language": document.accept_language,
        },
        "fetched_at": to_iso(capture.fetched_at),
        "sha256": capture.sha256,
        "size": len(capture.body),
        "content_type": capture.header("content-type"),
        "tracker_version": __version__,
        "rules_sha256": document.rules.digest(),
    }


# --------------------------------------------------------------------------- record
def record(
    document: Document,
    archive: Archive,
    evidence: Evidence,
    text: str,
    *,
    rules_sha256: str | None,
    taxonomy: TaxonomySource,
    detail: str = "",
) -> Result:
    """Record extracted text: unchanged, first record or new version (archive writes only)."""
    text_sha = sha256(text)
    latest = archive.latest_version(document.id)
    if latest is not None and latest.text_sha256 == text_sha:
        return _record_row(
            document, archive, evidence, text_sha, Outcome.UNCHANGED, latest.timestamp, detail
        )
    flip_back_of = None if latest is None else find_flip_back(archive, document.id, text_sha)
    if flip_back_of is not None:
        # The page came back to a text of the last few versions (an A/B variant): a check row
        # pointing to that version, not a new version: alternating pages do not grow the record.
        note = f"the page shows again the text of version {flip_back_of} (an alternating variant)"
        detail = f"{detail}; {note}" if detail else note
        return _record_row(
            document, archive, evidence, text_sha, Outcome.FLIP_BACK, flip_back_of, detail
        )
    stamp = _free_stamp(archive, document.id, evidence.captured_at)
    outcome = Outcome.FIRST_RECORD if latest is None else Outcome.NEW_VERSION
    technical = False
    if (
        latest is not None
        and _origin_of(latest) != evidence.origin
        and same_words(latest.text, text)
    ):
        # The same words, produced by another extractor (e.g. the first live capture after an
        # import of already-extracted Markdown): a change of ours, not of the page.
        outcome, technical = Outcome.TECHNICAL_UPGRADE, True
    snapshot = archive.record_snapshot(
        document.id, stamp, evidence.body, evidence.snapshot_meta, evidence.suffix
    )
    if rules_sha256 is not None:
        archive.record_rules(document.id, rules_sha256, document.rules.canonical())
    meta: dict[str, Any] = {
        "document": document.id,
        "title": document.title,
        "language": document.language,
        "timestamp": stamp,
        "captured_at": to_iso(evidence.captured_at),
        "origin": evidence.origin,
        "technical_upgrade": technical,
        "source_url": evidence.source_url,
        "final_url": evidence.final_url,
        "http_status": evidence.http_status,
        "snapshot": snapshot,
        "raw_sha256": sha256(evidence.body),
        "text_sha256": text_sha,
        "rules_sha256": rules_sha256,
        "tracker_version": __version__,
        "previous": None if latest is None else latest.timestamp,
    }
    if evidence.attribution:
        meta["attribution"] = evidence.attribution
    if evidence.provenance:
        meta["provenance"] = dict(evidence.provenance)
    archive.record_version(document.id, stamp, meta, text)
    change = None
    if not technical and latest is not None:
        current = archive.read_version(document.id, stamp)
        from tracker.classify.taxonomy import resolve  # (only when a version changed)

        change = build_change(document, latest, current, resolve(taxonomy))
        write_change_record(document, archive, change)
    if change is not None:
        from tracker.render import summary_line

        detail = f"{detail}; {summary_line(change)}" if detail else summary_line(change)
    archive.append_check(
        document.id,
        CheckRecord(
            checked_at=evidence.captured_at,
            outcome=outcome,
            http_status=evidence.http_status,
            raw_sha256=meta["raw_sha256"],
            text_sha256=text_sha,
            version=stamp,
            url=evidence.final_url,
            detail=detail,
        ),
    )
    archive.commit(document.id)
    return Result(document.id, outcome, version=stamp, change=change, detail=detail)


def _record_row(
    document: Document,
    archive: Archive,
    evidence: Evidence,
    text_sha: str,
    outcome: Outcome,
    version: str,
    detail: str,
) -> Result:
    """A check that adds no version: one row of ``checks.csv``, committed to the chain."""
    archive.append_check(
        document.id,
        CheckRecord(
            checked_at=evidence.captured_at,
            outcome=outcome,
            http_status=evidence.http_status,
            raw_sha256=sha256(evidence.body),
            text_sha256=text_sha,
            version=version,
            url=evidence.final_url,
            detail=detail,
        ),
    )
    archive.commit(document.id)
    return Result(document.id, outcome, version=version, detail=detail)


def _origin_of(version: StoredVersion) -> str:
    origin = str(version.meta.get("origin", "capture"))
    return "capture" if origin == "import-html" else origin


def _free_stamp(archive: Archive, document: str, moment: datetime) -> str:
    """The capture's timestamp, or the next free second if a record already holds it."""
    taken = set(archive.version_stamps(document))
    stamp = to_stamp(moment)
    while stamp in taken:
        moment += timedelta(seconds=1)
        stamp = to_stamp(moment)
    return stamp


# --------------------------------------------------------------------------- upgrades
def apply_technical_upgrade(document: Document, deps: Deps) -> Result | None:
    """Re-extract the latest snapshot when the rules changed; record a differing text.

    The new version is flagged ``technical_upgrade`` and points to the same snapshot: the page
    did not change, our reading of it did. It is archived and never alerted.
    """
    latest = deps.archive.latest_version(document.id)
    digest = document.rules.digest()
    if latest is None or latest.rules_sha256 in (None, digest) or not latest.snapshot:
        return None
    if not latest.snapshot.endswith(".html"):
        return None
    body = deps.archive.read_snapshot(document.id, latest.snapshot)
    snapshot_meta = deps.archive.read_snapshot_meta(document.id, latest.snapshot)
    try:
        text = extract(body, document.rules, url=document.url, charset=_charset(snapshot_meta))
    except ExtractError as exc:
        log.error(
            "%s: new rules fail on the latest snapshot %s (%s); keeping the old text",
            document.id,
            latest.snapshot,
            exc,
        )
        return None
    if sha256(text) == latest.text_sha256:
        return None
    now = deps.now()
    stamp = _free_stamp(deps.archive, document.id, now)
    meta = dict(latest.meta)
    meta.update(
        timestamp=stamp,
        captured_at=latest.meta.get("captured_at"),
        technical_upgrade=True,
        text_sha256=sha256(text),
        rules_sha256=digest,
        tracker_version=__version__,
        previous=latest.timestamp,
        upgraded_at=to_iso(now),
    )
    deps.archive.record_rules(document.id, digest, document.rules.canonical())
    deps.archive.record_version(document.id, stamp, meta, text)
    deps.archive.append_check(
        document.id,
        CheckRecord(
            checked_at=now,
            outcome=Outcome.TECHNICAL_UPGRADE,
            raw_sha256=str(latest.meta.get("raw_sha256", "")),
            text_sha256=sha256(text),
            version=stamp,
            url=str(latest.meta.get("final_url", "")),
            detail=f"re-extracted {latest.snapshot} with the new rules",
        ),
    )
    deps.archive.commit(document.id)
    log.info("%s: technical upgrade recorded as %s", document.id, stamp)
    return Result(document.id, Outcome.TECHNICAL_UPGRADE, version=stamp)


def _charset(snapshot_meta: Mapping[str, Any]) -> str | None:
    content_type = str(snapshot_meta.get("content_type") or "")
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def render_index(document: Document, archive: Archive) -> None:
    """Regenerate the document's ``README.md`` (its platform's list: :func:`render_platforms`,
    once per pass)."""
    versions = [v.meta for v in archive.iter_versions(document.id)]
    checks = archive.checks_summary(document.id)
    changes = {}
    for stamp in archive.change_stamps(document.id):
        record = archive.read_change(document.id, stamp)
        parts = ", ".join(f"{n} {kind}" for kind, n in clause_counts(record).items())
        flip = " (flip-back)" if record.get("flip_back_of") else ""
        changes[stamp] = f"{record.get('significance')}{flip}: {parts or 'no clause'}"
    head = archive.head()
    archive.write_text(
        f"{document.id}/README.md",
        render_document_index(document, versions, checks, changes, head=head),
    )


def render_platforms(documents: Iterable[Document], archive: Archive) -> None:
    """Regenerate each platform's ``README.md``: its documents, with their latest version.

    Once per pass (or per batch of the scheduler's checks), not per check: it lists the whole
    archive. Titles come from the configuration; a document no longer configured keeps the
    title of its latest version. Writes the archive's ``README.md``, the glossary the platform
    pages link to, when it is missing (:func:`tracker.archive.index.archive_guide`).
    """
    configured = {document.id: document.title for document in documents}
    known = sorted(set(archive.documents()) | set(configured))
    for line in archive.remove_index_temporaries(known):
        log.warning("%s", line)
    if not (archive.root / "README.md").is_file():
        # the glossary the platform pages link to (an archive other than the project's
        # snapshots/ lacks it); an existing one is left as it is
        archive.write_text("README.md", archive_guide())
    head = archive.head()
    platforms: dict[str, list[tuple[str, str, str]]] = {}
    for doc_id in known:
        stamps = archive.version_stamps(doc_id)
        title = configured.get(doc_id)
        if title is None:
            title = doc_id
            if stamps:
                title = str(archive.read_version(doc_id, stamps[-1]).meta.get("title", doc_id))
        listed = platforms.setdefault(doc_id.split("/", 1)[0], [])
        listed.append((doc_id, title, stamps[-1] if stamps else ""))
    for platform, listed in platforms.items():
        archive.write_text(f"{platform}/README.md", render_platform_index(platform, listed, head))


# --------------------------------------------------------------------------- unexpected errors
#: The longest detail an unexpected error leaves in ``checks.csv``.
ERROR_DETAIL_CHARS = 300


def record_error(document: Document, deps: Deps, exc: Exception) -> Result:
    """Record a check that an unexpected error stopped, so that the pass goes on.

    :func:`tracker.runtime.check_documents` and the scheduler's worker call it with whatever
    a document's check raised (a bug, a hostile page a stage did not expect, an archive that
    cannot be written). The error is logged at ERROR with its traceback, and recorded like an
    inaccessible check: a row in ``checks.csv`` with the cause ``internal-error`` (or
    ``archive-error`` for an :class:`~tracker.errors.ArchiveError`) and the error's one-line
    summary as detail, a failure counted in the state database, and the maintainers told
    through ``deps.alerts`` (after ``inaccessible_after`` failures in a row, as for any
    inaccessible check). If recording fails too (the archive may be what failed), that is
    logged and the result is returned all the same.

    Args:
        document: the document whose check failed.
        deps: the dependencies of the pass.
        exc: what the check raised.

    Returns:
        An ``inaccessible`` result with the cause and the summary.
    """
    cause = "archive-error" if isinstance(exc, ArchiveError) else "internal-error"
    lines = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {lines[0] if lines else ''}".strip().rstrip(":")
    if len(detail) > ERROR_DETAIL_CHARS:
        detail = detail[: ERROR_DETAIL_CHARS - 1] + "…"
    log.error("%s: the check failed (%s): %s", document.id, cause, detail, exc_info=exc)
    at = deps.now()
    failures = 0
    try:
        failures = deps.state.record_failure(document.id, at, cause)
    except Exception:
        log.exception("%s: could not count the failure in the state database", document.id)
    try:
        with deps.archive.writing(wait=deps.lock_wait, waiting=log.warning):
            deps.archive.append_check(
                document.id,
                CheckRecord(
                    checked_at=at,
                    outcome=Outcome.INACCESSIBLE,
                    cause=cause,
                    url=document.url,
                    detail=detail,
                ),
            )
            deps.archive.commit(document.id)
    except Exception:
        log.exception("%s: could not record the failed check in the archive", document.id)
    if deps.alerts is not None:
        try:
            deps.alerts.on_result(
                document,
                Outcome.INACCESSIBLE,
                failures_in_row=failures,
                recovered_after=0,
                cause=cause,
                detail=detail,
            )
        except Exception:
            log.exception("%s: could not tell the maintainers", document.id)
    return Result(
        document.id,
        Outcome.INACCESSIBLE,
        cause=cause,
        detail=detail,
        failures_in_row=failures,
    )
