"""Build the side-effecting dependencies once, and run a pass over several documents.

Kept apart from :mod:`tracker.pipeline` (which only wires stages) and :mod:`tracker.cli` (which
only talks to the user), so the scheduler and the command line share one code path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from tracker import metrics
from tracker.alerts import Alerts
from tracker.archive import Archive
from tracker.config import Settings
from tracker.errors import ArchiveError, FetchError
from tracker.fetch import HostPacer, new_session
from tracker.lock import LockTimeout, file_lock, send_lock_path
from tracker.logs import check_fields, log_check
from tracker.models import Document
from tracker.notify import Report, deliver
from tracker.outbox import Outbox
from tracker.pipeline import Deps, Result, check, record_error, record_inaccessible
from tracker.state import State
from tracker.taxonomy import load_taxonomy
from tracker.timestamps import utc_now

log = logging.getLogger(__name__)


@contextmanager
def build_deps(
    settings: Settings, *, lock_wait: float | None = 0.0, gather_seconds: float = 0.0
) -> Iterator[Deps]:
    """Open the HTTP session, the archive and the state database for one process.

    ``lock_wait``: how long each check waits for the archive's lock (None: for ever).
    ``gather_seconds``: how long a new outage's notice waits for other documents to join it
    (:data:`tracker.outages.GATHER_SECONDS` for ``tracker run``).
    """
    state = State(settings.db_url)
    http = new_session(settings.fetch)
    archive = Archive(settings.archive_dir)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    alerts = Alerts(
        outbox=Outbox(state, utc_now()),
        archive=archive,
        channels=settings.channels,
        telegram=settings.telegram,
        taxonomy=taxonomy,
        now=utc_now,
        inaccessible_after=settings.alerts.inaccessible_after,
        gather_seconds=gather_seconds,
    )
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
        )
    finally:
        http.close()
        state.close()


#: Causes that say the whole host is out of reach, not just one page.
HOST_DOWN_CAUSES = frozenset({"dns-error", "connection-error"})


def check_documents(
    documents: Iterable[Document],
    deps: Deps,
    on_result: Callable[[Result], None] = lambda _: None,
) -> list[Result]:
    """Check each document once, in order; ``on_result`` sees each result as it comes.

    When a host does not resolve or refuses connections, the pass does not knock again for
    the other documents on that host: they are recorded as inaccessible with the same cause
    (a circuit breaker for one pass; the next pass tries again).

    A document whose check raises anything (a bug, a page a stage did not expect, an archive
    error) never stops the pass: the error is logged with its traceback and recorded as an
    inaccessible check (:func:`tracker.pipeline.record_error`, cause ``internal-error`` or
    ``archive-error``), and the next document is checked.

    Raises:
        ArchiveError: the first archive error of the pass, once every document was checked
            (``tracker check`` then exits 3).
    """
    results: list[Result] = []
    down: dict[str, Result] = {}
    archive_error: ArchiveError | None = None
    for document in documents:
        started = time.monotonic()
        try:
            if document.host in down:
                first = down[document.host]
                error = FetchError(
                    f"{document.id}: not tried: {document.host} was unreachable for "
                    f"{first.document} in this pass ({first.cause})",
                    cause=first.cause,
                )
                outcome = [record_inaccessible(document, deps, error)]
            else:
                outcome = check(document, deps)
        except LockTimeout:
            raise  # another process holds the archive: nothing was done, say so (exit 4)
        except Exception as exc:  # one document's failure never stops the others
            if isinstance(exc, ArchiveError) and archive_error is None:
                archive_error = exc
            outcome = [record_error(document, deps, exc)]
        for result in outcome:
            observe(result, time.monotonic() - started, deps)
            on_result(result)
            results.append(result)
            if result.cause in HOST_DOWN_CAUSES and document.host not in down:
                down[document.host] = result
    if archive_error is not None:
        raise archive_error
    return results


def observe(result: Result, seconds: float, deps: Deps) -> None:
    """Leave the check's log line (:func:`tracker.logs.log_check`) and count it in the metrics.

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
    """Drain the outbox: to Telegram with a token, to ``echo`` without (see tracker.notify)."""
    if deps.alerts is None:
        return None
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
    return report
