"""Build the side-effecting dependencies once, and run a pass over several documents.

Kept apart from :mod:`tracker.pipeline` (which only wires stages) and :mod:`tracker.cli.main` (which
only talks to the user), so the scheduler and the command line share one code path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tracker.archive import deliveries
from tracker.archive.gitstore import git_available
from tracker.archive.history import History
from tracker.archive.lock import LockTimeout, file_lock, send_lock_path
from tracker.archive.store import Archive
from tracker.config import Settings
from tracker.errors import ArchiveError, ConfigError, FetchError
from tracker.extract.reading import reading_digest
from tracker.fetch.addresses import server_of
from tracker.fetch.fetcher import HostPacer, fetch, new_session
from tracker.fetch.pool import HOST_DOWN_CAUSES, Fetched, fetch_by_host
from tracker.models import Capture, Document
from tracker.notify.alerts import Alerts
from tracker.notify.outbox import Outbox
from tracker.ops import metrics
from tracker.ops.logs import check_fields, log_check
from tracker.pipeline import (
    Deps,
    Result,
    check,
    record_error,
    record_inaccessible,
    render_platforms,
    validators_for,
)
from tracker.state.store import State
from tracker.timestamps import from_iso, utc_now

if TYPE_CHECKING:
    import requests

    from tracker.notify.delivery import Report

log = logging.getLogger(__name__)


@contextmanager
def build_deps(
    settings: Settings, *, lock_wait: float | None = 0.0, gather_seconds: float = 0.0
) -> Iterator[Deps]:
    """Open the HTTP session, the archive and the state database for one process.

    Before anything is checked, the archive is restored (:func:`start`): put under git, cloned
    from or fast-forwarded to its remote, and the outbox started where the archive says it
    began. ``lock_wait``: how long each check waits for the archive's lock (None: for ever).
    ``gather_seconds``: how long a new outage's notice waits for other documents to join it
    (:data:`tracker.notify.outages.GATHER_SECONDS` for ``tracker run``).
    """
    state = State(settings.db_url)
    try:
        archive = Archive(settings.archive_dir)
        history = _history(settings, archive, state)
        fresh = state.get_meta(OUTBOX_SINCE_KEY) is None
        since = start(archive, state, history, lock_wait=lock_wait)
    except BaseException:
        state.close()
        raise
    http = new_session(settings.fetch)
    from tracker.classify.taxonomy import lazy_taxonomy

    taxonomy = lazy_taxonomy(settings.taxonomy_path)
    alerts = Alerts(
        outbox=Outbox(state, since),
        archive=archive,
        channels=settings.channels,
        telegram=settings.telegram,
        taxonomy=taxonomy,
        now=utc_now,
        inaccessible_after=settings.alerts.inaccessible_after,
        gather_seconds=gather_seconds,
        delivered=lambda: deliveries.read(archive.root).delivered,
        documents=tuple(settings.documents.values()),
    )
    if history is not None:
        history.alerts = alerts
    if fresh:
        _queue_undelivered(settings, archive, alerts, lock_wait)
    try:
        yield Deps(
            http=http,
            archive=archive,
            state=state,
            fetch_settings=settings.fetch,
            pacer=HostPacer(settings.fetch.host_delay_seconds),
            now=utc_now,
            taxonomy=taxonomy,
            sleep=time.sleep,
            inaccessible_after=settings.alerts.inaccessible_after,
            alerts=alerts,
            suspect=settings.suspect,
            lock_wait=lock_wait,
            history=history,
        )
    finally:
        http.close()
        state.close()


_warned_no_git = False


def _queue_undelivered(
    settings: Settings, archive: Archive, alerts: Alerts, lock_wait: float | None
) -> None:
    """A new state database: queue now every alert the archive does not mark delivered.

    Not at each document's next check, which may be hours away: the alerts a lost database
    left pending are sent at start-up (each once: the outbox keys are unique, and the alerts
    the archive marks delivered are never queued again).
    """
    if not any(archive.version_stamps(doc.id) for doc in settings.documents.values()):
        return  # a new installation: nothing was ever alerted
    with archive.writing(wait=lock_wait, waiting=log.warning):
        queued = {doc.id: alerts.queue_missing(doc) for doc in settings.documents.values()}
    for document, stamps in queued.items():
        if stamps:
            log.warning(
                "%s: the alerts of %s queued again (never marked delivered in the archive)",
                document,
                ", ".join(stamps),
            )


def _history(settings: Settings, archive: Archive, state: State) -> History | None:
    """The archive's git history; None (said once) when git is not installed and not needed."""
    global _warned_no_git
    if not git_available():
        if settings.git.remote:
            raise ArchiveError(
                f"[archive] remote is {settings.git.shown_remote}, but the git command is not "
                "installed: install git, or remove the remote"
            )
        if not _warned_no_git:
            log.warning("git is not installed: the archive is kept without its git history")
            _warned_no_git = True
        return None
    return History(
        archive,
        settings.git,
        state,
        now=utc_now,
        notify_after=settings.alerts.inaccessible_after,
    )


#: The ``meta`` key of the state database that holds when its outbox began.
OUTBOX_SINCE_KEY = "outbox_since"


def start(
    archive: Archive, state: State, history: History | None, *, lock_wait: float | None
) -> datetime:
    """Restore the archive before anything is checked; returns when the outbox began.

    Under the archive's lock (skipped when there is nothing to do: a repository without a
    remote, whose outbox start is known to both the database and the archive): the git
    history is started or restored (:meth:`History.start`), and the outbox's start is taken
    from the database, else from the archive's ``deliveries.csv`` (a database lost with its
    disk: every change captured since is queued again unless the archive says it was
    delivered), else now; the archive records it if it did not.
    """
    known = state.get_meta(OUTBOX_SINCE_KEY)
    ledger = deliveries.read(archive.root)
    quiet = history is None or (history.store.is_repository() and not history.settings.remote)
    if quiet and known is not None and ledger.began is not None:
        return from_iso(known)
    with archive.writing(wait=lock_wait, waiting=log.warning):
        if history is not None:
            for line in history.start():
                log.info("archive: %s", line)
        ledger = deliveries.read(archive.root)
        if known is not None:
            since = from_iso(known)
        elif ledger.began is not None:
            since = ledger.began
            if any(archive.version_stamps(doc) for doc in archive.documents()):
                log.warning(
                    "the state database %s is new but the archive has history: the alerts of "
                    "changes captured since %s that the archive does not mark delivered are "
                    "queued again",
                    state.url,
                    ledger.began.isoformat(),
                )
        else:
            since = utc_now()
            if any(archive.version_stamps(doc) for doc in archive.documents()):
                log.warning(
                    "the state database %s is new and the archive does not say when its "
                    "outbox began: changes recorded before now are not alerted",
                    state.url,
                )
        if ledger.began is None:
            deliveries.append(archive.root, [(since, "began", "")])
    return since


def restore(deps: Deps) -> None:
    """Bring the archive up to date with its remote again (a standby taking over).

    The worker that was active until now pushed its records; this one's archive folder (on
    another machine) is fast-forwarded before anything is checked, as at start-up.
    """
    if deps.history is None or deps.alerts is None:
        return
    start(deps.archive, deps.state, deps.history, lock_wait=deps.lock_wait)


def check_documents(
    documents: Iterable[Document],
    deps: Deps,
    on_result: Callable[[Result], None] = lambda _: None,
    *,
    stopping: Callable[[], bool] = lambda: False,
) -> list[Result]:
    """Check each document once; ``on_result`` sees each result, in the documents' order.

    With ``[fetch] concurrency`` above 1, the pages of different hosts are fetched at the same
    time (:func:`tracker.fetch.pool.fetch_by_host`: one request at a time per host, the host
    delay between two), and each fetched page is recorded as soon as it arrives, one document
    at a time, on this thread (docs/adr/0014); with 1, one document after another.

    When a host does not resolve or refuses connections, the pass does not knock again for
    the other documents on that host: they are recorded as inaccessible with the same cause
    (a circuit breaker for one pass; the next pass tries again).

    A document whose check raises anything (a bug, a page a stage did not expect, an archive
    error) never stops the pass: the error is logged with its traceback and recorded as an
    inaccessible check (:func:`tracker.pipeline.record_error`, cause ``internal-error`` or
    ``archive-error``), and the next document is checked. Once ``stopping()`` is true, no
    new fetch starts; the documents not fetched are not checked (and have no result).

    The platforms' index pages are written once, at the end of the pass
    (:func:`tracker.pipeline.render_platforms`): a check costs the same in an archive of
    100 documents as of 3,000.

    Raises:
        ArchiveError: the first archive error of the pass, once every document was checked
            (``tracker check`` then exits 3).
    """
    chosen = list(documents)
    if deps.fetch_settings.concurrency > 1 and len(chosen) > 1:
        return _check_concurrently(chosen, deps, on_result, stopping)
    results: list[Result] = []
    down: dict[str, Result] = {}
    archive_error: ArchiveError | None = None
    for document in chosen:
        if stopping():
            break
        started = time.monotonic()
        host = server_of(document.url)
        try:
            if host in down:
                first = down[host]
                error = FetchError(
                    f"{document.id}: not tried: {host} was unreachable for "
                    f"{first.document} in this pass ({first.cause})",
                    cause=first.cause,
                )
                outcome = [record_inaccessible(document, deps, error)]
            else:
                outcome = check(document, deps)
        except (LockTimeout, ConfigError):
            # another process holds the archive: nothing was done, say so (exit 4); or the
            # taxonomy, read when a first change is classified, is wrong (exit 2)
            raise
        except Exception as exc:  # one document's failure never stops the others
            if isinstance(exc, ArchiveError) and archive_error is None:
                archive_error = exc
            outcome = [record_error(document, deps, exc)]
        for result in outcome:
            observe(result, time.monotonic() - started, deps)
            on_result(result)
            results.append(result)
            if result.cause in HOST_DOWN_CAUSES and host not in down:
                down[host] = result
    archive_error = index_platforms(chosen, deps) or archive_error
    if archive_error is not None:
        raise archive_error
    return results


def _check_concurrently(
    documents: Sequence[Document],
    deps: Deps,
    on_result: Callable[[Result], None],
    stopping: Callable[[], bool],
) -> list[Result]:
    """:func:`check_documents` with the fetches of different hosts at the same time.

    The fetches run in :func:`~tracker.fetch.pool.fetch_by_host`'s threads, outside the
    archive's lock; everything else (recovery, extraction, comparison, the archive, the state
    database's record, alerts) runs here, one document at a time, as each fetch ends.
    """
    validators = {document.id: validators_for(document, deps) for document in documents}

    def fetch_one(document: Document, http: requests.Session) -> Capture:
        capture = fetch(
            document,
            deps.fetch_settings,
            http=http,
            now=deps.now,
            validators=validators[document.id],
            sleep=deps.sleep,
            pacer=deps.pacer,
        )
        if capture.body:  # in this thread, while the recording one waits on the disk
            reading_digest(capture.body, document.rules.selectors)
        return capture

    results: list[Result] = []
    ready: dict[int, list[Result]] = {}  # by the document's position, until its turn
    emitted = 0
    archive_error: ArchiveError | None = None
    fetches = fetch_by_host(
        documents,
        fetch_one,
        workers=deps.fetch_settings.concurrency,
        new_session=lambda: new_session(deps.fetch_settings),
        stopping=stopping,
    )
    try:
        for fetched in fetches:
            outcome: list[Result] = []
            if not fetched.skipped:
                started = time.monotonic()
                try:
                    outcome = _record_fetched(fetched, deps)
                except (LockTimeout, ConfigError):
                    raise  # see the one-by-one pass above
                except Exception as exc:  # one document's failure never stops the others
                    if isinstance(exc, ArchiveError) and archive_error is None:
                        archive_error = exc
                    outcome = [record_error(fetched.document, deps, exc)]
                for result in outcome:
                    observe(result, fetched.seconds + time.monotonic() - started, deps)
            ready[fetched.index] = outcome
            while emitted in ready:  # the results in the documents' order
                for result in ready.pop(emitted):
                    on_result(result)
                    results.append(result)
                emitted += 1
    finally:
        fetches.close()
    archive_error = index_platforms(documents, deps) or archive_error
    if archive_error is not None:
        raise archive_error
    return results


def _record_fetched(fetched: Fetched, deps: Deps) -> list[Result]:
    """Record one document's fetch (:func:`tracker.pipeline.check` with the page or its error)."""
    error = fetched.error
    if error is not None and not isinstance(error, FetchError):
        raise error  # the fetch failed unexpectedly: the caller records it as such
    if not fetched.tried and error is not None:
        return [record_inaccessible(fetched.document, deps, error)]
    return check(fetched.document, deps, error if error is not None else fetched.capture)


def index_platforms(documents: Sequence[Document], deps: Deps) -> ArchiveError | None:
    """Write the platforms' index pages after a pass (or a batch of scheduled checks); an
    archive error is logged and returned, never raised: the checks are recorded already."""
    try:
        with deps.archive.writing(wait=deps.lock_wait, waiting=log.warning):
            render_platforms(documents, deps.archive)
    except LockTimeout:
        log.warning("the platforms' index pages were not rewritten: the archive is busy")
    except ArchiveError as exc:
        log.error("the platforms' index pages could not be written: %s", exc)
        return exc
    return None


def observe(result: Result, seconds: float, deps: Deps) -> None:
    """Leave the check's log line (:func:`tracker.ops.logs.log_check`) and count it in the metrics.

    ``seconds``: how long the check that gave ``result`` took.
    """
    fields = check_fields(
        result.document,
        result.outcome,
        cause=result.cause,
        version=result.version,
        http_status=result.http_status,
        failures=result.failures_in_row,
        seconds=seconds,
        detail=result.detail if result.cause else "",
    )
    log_check(fields, deps.inaccessible_after)
    metrics.count_check(result.outcome, result.cause, seconds, time.time())


def send_alerts(
    settings: Settings, deps: Deps, echo: Callable[[str], None], *, everything: bool = False
) -> Report | None:
    """Drain the outbox: to Telegram with a token, to ``echo`` without (tracker.notify.delivery)."""
    if deps.alerts is None:
        return None
    from tracker.notify.delivery import deliver  # with Telegram's HTML parser: only to send

    try:
        with file_lock(send_lock_path(settings.archive_dir), what="the outbox"):
            report = deliver(
                deps.alerts.outbox,
                deps.alerts,
                settings.archive_dir,
                settings.telegram,
                now=deps.now,
                echo=echo,
                show_everything=everything,
            )
    except LockTimeout:
        # Two processes draining one outbox could post a message twice: the other one sends.
        log.info("another process is sending the outbox; it will send what is queued")
        return None
    metrics.count_alerts(report.sent, report.failed)
    record_deliveries(deps)
    prune_outbox(deps, settings.alerts.keep_delivered_days)
    return report


def prune_outbox(deps: Deps, keep_days: int) -> int:
    """Drop from the outbox the messages delivered more than ``keep_days`` ago; how many.

    Only alerts with nothing left to send, and for a change alert only once the archive's
    ``deliveries.csv`` marks it delivered: the archive remains the record, and the alert's
    key stays in the database so that nothing is queued twice.
    """
    if deps.alerts is None:
        return 0
    before = deps.now() - timedelta(days=keep_days)
    delivered = deliveries.read(deps.archive.root).delivered
    pruned = deps.alerts.outbox.prune(before, delivered)
    if pruned:
        log.info("dropped %d messages delivered before %s from the outbox", pruned, before)
    return pruned


def record_deliveries(deps: Deps) -> int:
    """Mark in the archive's ``deliveries.csv`` the change alerts delivered since last time.

    Under the archive's lock; skipped (and done by the next drain) when another process
    holds it. Returns how many alerts were marked.
    """
    if deps.alerts is None:
        return 0
    finished = deps.alerts.outbox.finished()
    if not finished or set(finished) <= deliveries.read(deps.archive.root).delivered:
        return 0
    try:
        with deps.archive.writing(wait=0.0):
            marked = deliveries.mark(deps.archive.root, finished, deps.now())
    except LockTimeout:
        log.info("the archive is busy: the delivered alerts are marked at the next send")
        return 0
    if deps.history is not None:
        deps.history.delivered += marked
    return marked


def commit_command(deps: Deps, subject: str, body: Sequence[str], document: str = "") -> list[str]:
    """Commit (and push) what another writing command (import, relabel) wrote; lines for people."""
    history = deps.history
    if history is None:
        return []
    with deps.archive.writing(wait=deps.lock_wait, waiting=log.warning):
        history.commit_command(subject, body, document)
        pushed = history.push()
    return [pushed] if pushed else []


def publish(deps: Deps, results: Sequence[Result] = (), *, periodic: bool = False) -> list[str]:
    """Commit what a pass wrote to the archive's git history, then push it; lines for people.

    ``periodic``: ``tracker run``'s timer, which commits delivery marks and retries a failed
    push (see :meth:`~tracker.archive.history.History.push`). A push failure is never an error:
    the commits stay, and the next pass pushes them.
    """
    history = deps.history
    if history is None:
        return []
    wait = 0.0 if periodic else deps.lock_wait
    try:
        with deps.archive.writing(wait=wait, waiting=log.warning):
            lines = []
            made = history.commit_pass(results)
            if made:
                log.info("archive: %d commits", made)
            pushed = history.push(periodic=periodic and not made)
            if pushed:
                lines.append(pushed)
            return lines
    except LockTimeout:
        if not periodic:
            raise
        return []
