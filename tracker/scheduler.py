"""``tracker run``: APScheduler 3 runs each document on its cron until SIGTERM.

- one job per document, on its own ``schedule`` or the default one, with jitter;
- one worker thread: checks run one after another, so requests to one host never overlap
  (the host pacer adds the configured delay between them); only the catch-up pass fetches
  several hosts at a time, within that one job;
- ``max_instances=1`` and ``coalesce=True``: a document is never checked twice at once, and
  runs missed while the worker was down are folded into one;
- at start-up, the documents whose last check is older than their cron's latest fire time (or
  never checked) are checked at once, in one pass (``catch-up``) that fetches several hosts at
  a time, politely to each (:func:`tracker.runtime.check_documents`): missed runs after
  downtime are caught up, once, without waiting for each other's hosts;
- SIGTERM or SIGINT: no new check starts, the running one finishes, the process exits 0;
- a check that raises anything, an archive error included, never stops the worker nor the
  other documents' jobs: the error is logged with its traceback, recorded as an inaccessible
  check (:func:`tracker.pipeline.record_error`, cause ``internal-error`` or
  ``archive-error``; the maintainers hear of it after ``inaccessible_after`` in a row), and the
  document is checked again at its next run;
- after each check, and every minute (for messages waiting out a flood limit or a backoff),
  the outbox is drained on the same worker thread (``send``), so a send never overlaps a check;
- with a worker lock (:mod:`tracker.ops.leadership`), only the worker holding it schedules
  anything: the others stand by and take over, catching up, when it is gone.
- after each check and its send, what it wrote is committed to the archive's git history and
  pushed (``publish``); every minute, delivery marks are committed and a failed push is tried
  again (at most every five minutes, :data:`tracker.archive.history.PUSH_RETRY_SECONDS`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from tracker.archive.lock import LockTimeout
from tracker.config import Settings
from tracker.cron import cron_trigger
from tracker.errors import ArchiveError, ConfigError
from tracker.models import Document
from tracker.ops import memory
from tracker.ops.health import Health, HealthOptions, HealthServer, assess, default_max_age
from tracker.ops.leadership import POLL_SECONDS, Leadership, wait_for_leadership
from tracker.pipeline import Deps, Result, check, record_error
from tracker.runtime import check_documents, index_platforms, observe

log = logging.getLogger(__name__)

#: A run that could not start on time (worker busy) still starts within this many seconds.
MISFIRE_GRACE_SECONDS = 3600
#: The job of the start-up catch-up: one pass over the documents due (docs/adr/0014).
CATCH_UP_JOB = "catch-up"
#: The outbox is drained at least this often (seconds), besides after each check.
SEND_EVERY_SECONDS = 60


class Worker:
    """The scheduled jobs of every document, with a clean stop."""

    def __init__(
        self,
        settings: Settings,
        deps: Deps,
        on_result: Callable[[Result], None] = lambda _: None,
        send: Callable[[], object] | None = None,
        publish: Callable[[Sequence[Result], bool], object] | None = None,
    ) -> None:
        """Prepare (but do not start) one job per document, and the outbox drain.

        ``publish(results, periodic)`` commits and pushes the archive's history after each
        check (``periodic`` False) and on the outbox drain's timer (True).
        """
        self.settings = settings
        self.deps = deps
        self.on_result = on_result
        self.send = send
        self.publish = publish
        self.stopping = threading.Event()
        #: when the worker started, and when its last check ended (for ``/healthz``)
        self.started_at: datetime | None = None
        self.last_check_at: datetime | None = None
        #: a check ran since the platforms' index pages were last written (and when they were)
        self.unindexed = False
        self.indexed_at = time.monotonic()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            },
            timezone=settings.schedule.timezone,
        )
        now = deps.now()
        due = [doc for doc in settings.documents.values() if self.is_due(doc, now)]
        for document in settings.documents.values():
            # Each on its trigger; a document due now is in the catch-up pass below.
            self.scheduler.add_job(
                self._run_check,
                trigger=self.trigger_for(document),
                args=(document,),
                id=document.id,
                name=f"check {document.id}",
            )
        if due:
            for document in due:
                log.info(
                    "%s: a scheduled check was missed (or never ran): checking now", document.id
                )
            self.scheduler.add_job(
                self._run_catch_up,
                trigger="date",
                run_date=now,
                args=(due,),
                id=CATCH_UP_JOB,
                name=f"catch up {len(due)} documents",
            )
        if send is not None or publish is not None:
            self.scheduler.add_job(
                self._run_send,
                trigger="interval",
                seconds=SEND_EVERY_SECONDS,
                id="send",
                name="send the outbox, index the platforms, push the archive",
                next_run_time=now,
            )

    def trigger_for(self, document: Document, *, jitter: bool = True) -> object:
        """The cron trigger of a document: its own schedule or the default one."""
        schedule = self.settings.schedule
        return cron_trigger(
            document.schedule or schedule.cron,
            schedule.timezone,
            jitter=schedule.jitter_seconds if jitter else None,
        )

    def is_due(self, document: Document, now: datetime) -> bool:
        """True when the cron fired since the document's last check (or it was never checked).

        The last check's time comes from the state database; from the end of the archive's
        checks files only when the database does not know the document (a new database).
        """
        last = self.deps.state.get(document.id).last_checked_at
        if last is None:
            latest = self.deps.archive.last_check(document.id)
            if latest is None:
                return True
            last = latest.checked_at
        trigger = cron_trigger(
            document.schedule or self.settings.schedule.cron, self.settings.schedule.timezone
        )
        next_fire: datetime | None = trigger.get_next_fire_time(None, last)
        return next_fire is not None and next_fire <= now

    def _run_check(self, document: Document) -> None:
        if self.stopping.is_set():
            return
        started = time.monotonic()
        try:
            results = check(document, self.deps)
        except LockTimeout as exc:  # another process held the archive: try at the next run
            log.warning("%s: check skipped: %s", document.id, exc)
            return
        except Exception as exc:  # one document's failure never stops the worker
            results = [record_error(document, self.deps, exc)]
        for result in results:
            observe(result, time.monotonic() - started, self.deps)
            self.on_result(result)
        self.last_check_at = self.deps.now()
        self.unindexed = True
        if time.monotonic() - self.indexed_at >= SEND_EVERY_SECONDS:
            self._index_platforms()
        self._run_send(periodic=False)
        self._run_publish(results, periodic=False)

    def _run_catch_up(self, documents: Sequence[Document]) -> None:
        """Check the documents due at start-up in one pass, several hosts at a time.

        The same pass as ``tracker check`` (:func:`tracker.runtime.check_documents`: one
        request at a time per host, the host delay between two, records one at a time), in
        this one job of the worker thread: no other check runs meanwhile. After each
        document's result, as after any check, the outbox is sent and the record published,
        on this thread, between two records (only fetches of other hosts run meanwhile). A
        stop asked during the pass starts no new fetch; the documents not fetched wait for
        their next run.
        """
        if self.stopping.is_set():
            return

        def seen(result: Result) -> None:
            self.on_result(result)
            self.last_check_at = self.deps.now()
            self._run_send(periodic=False)
            self._run_publish([result], periodic=False)

        try:
            check_documents(documents, self.deps, seen, stopping=self.stopping.is_set)
        except LockTimeout as exc:  # another process held the archive: the next runs check
            log.warning("the start-up catch-up stopped: %s", exc)
        except ArchiveError:
            pass  # recorded (cause archive-error) and logged at ERROR by the pass

    def _run_send(self, *, periodic: bool = True) -> None:
        if self.send is not None and not self.stopping.is_set():
            try:
                self.send()
            except Exception:  # a send must never stop the checks; the outbox keeps the messages
                log.exception("sending the outbox failed; the messages stay queued")
        if periodic:
            self._index_platforms()
            self._run_publish([], periodic=True)
            memory.trim()  # the pages of the last minute's checks, back to the system

    def _index_platforms(self) -> None:
        """Rewrite the platforms' index pages if a check ran since: once per batch of checks
        (on the outbox drain's timer, after a check a minute or more after the last time, and
        at stop), not at every check."""
        if not self.unindexed or self.stopping.is_set():
            return
        self.unindexed = False
        self.indexed_at = time.monotonic()
        index_platforms(list(self.settings.documents.values()), self.deps)

    def _run_publish(self, results: Sequence[Result], *, periodic: bool) -> None:
        if self.publish is None:
            return
        try:
            self.publish(results, periodic)
        except Exception:  # the files are safe in the folder: the next pass commits them
            log.exception("committing or pushing the archive's history failed")

    def start(self) -> None:
        """Start the scheduler thread."""
        self.started_at = self.deps.now()
        self.scheduler.start()

    @property
    def running(self) -> bool:
        """Whether the scheduler runs and no stop was asked."""
        return bool(self.scheduler.running) and not self.stopping.is_set()

    def stop(self) -> None:
        """Let the running check finish, start no other, and stop the scheduler."""
        self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.unindexed:
            self.unindexed = False
            index_platforms(list(self.settings.documents.values()), self.deps)


def run_forever(
    settings: Settings,
    deps: Deps,
    on_result: Callable[[Result], None] = lambda _: None,
    send: Callable[[], object] | None = None,
    health: HealthOptions | None = None,
    leadership: Leadership | None = None,
    poll: float = POLL_SECONDS,
    publish: Callable[[Sequence[Result], bool], object] | None = None,
    on_takeover: Callable[[], object] | None = None,
) -> None:
    """Run the worker until SIGTERM/SIGINT; with ``leadership``, only while it is the active one.

    With a worker lock (:mod:`tracker.ops.leadership`), the worker first stands by until it holds
    the lock, then (``on_takeover``: brings the archive up to date with its remote, which the
    worker active until then pushed to) schedules the checks (catching up what is due),
    checks every ``poll`` seconds that it still holds the lock, and steps down if it lost it:
    no new check starts, the running one finishes, and it stands by again. With ``health``,
    ``/healthz`` and ``/metrics`` are served for the whole life of the process (a standby
    answers 200 with the status ``standby``). ``publish`` commits and pushes what each check
    wrote (and, on the periodic job, retries a failed push).

    Raises:
        ConfigError: the health server cannot listen on its address (taken, not ours).
    """
    memory.limit_arenas()
    stopping = threading.Event()
    standing_by = threading.Event()
    current: list[Worker] = []
    server = (
        health_server(settings, deps, current, health, standing_by)
        if health is not None and health.port
        else None
    )

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        log.warning(
            "received %s: finishing the running check, then stopping", signal.Signals(signum).name
        )
        stopping.set()
        for worker in current:
            worker.stopping.set()

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if server is not None:
            server.start()
        while not stopping.is_set():
            if leadership is not None:
                standing_by.set()
                if not wait_for_leadership(leadership, stopping, poll):
                    break
                standing_by.clear()
                if on_takeover is not None:
                    on_takeover()
            worker = Worker(settings, deps, on_result, send, publish)
            current[:] = [worker]
            if not _serve(worker, settings, stopping, leadership, poll) or leadership is None:
                break
            log.error(
                "lost %s: stepped down, no check starts until this worker is active again",
                leadership.where,
            )
    finally:
        if server is not None:
            server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if leadership is not None:
            leadership.release()


def _serve(
    worker: Worker,
    settings: Settings,
    stopping: threading.Event,
    leadership: Leadership | None,
    poll: float,
) -> bool:
    """Run ``worker`` until ``stopping`` is set (False) or the worker lock is lost (True)."""
    lost = False
    try:
        worker.start()
        upcoming = sorted(
            (job.next_run_time, job.id)
            for job in worker.scheduler.get_jobs()
            if job.next_run_time is not None
        )
        log.warning(
            "worker started: %d documents; next checks: %s",
            len(settings.documents),
            ", ".join(f"{job_id} at {when:%Y-%m-%d %H:%M:%S %Z}" for when, job_id in upcoming[:3]),
        )
        next_look = time.monotonic() + poll
        while not stopping.wait(timeout=1.0):
            if leadership is not None and time.monotonic() >= next_look:
                if not leadership.still_held():
                    lost = True
                    break
                next_look = time.monotonic() + poll
    finally:
        worker.stop()
    log.warning("worker stopped")
    return lost


def health_server(
    settings: Settings,
    deps: Deps,
    current: list[Worker],
    options: HealthOptions,
    standing_by: threading.Event | None = None,
) -> HealthServer:
    """The ``/healthz`` and ``/metrics`` server of the process (bound, not yet serving).

    ``current`` holds the process's worker once it has one; while ``standing_by`` is set
    (another worker is active), ``/healthz`` answers 200 with the status ``standby``.
    """
    max_age = options.max_age_seconds
    if max_age is None:
        max_age = default_max_age(
            [doc.schedule or settings.schedule.cron for doc in settings.documents.values()],
            settings.schedule.timezone,
            settings.schedule.jitter_seconds,
            deps.now(),
        )

    def probe() -> Health:
        worker = current[0] if current else None
        return assess(
            running=worker is not None and worker.running,
            started_at=None if worker is None else worker.started_at,
            last_pass_at=None if worker is None else worker.last_check_at,
            now=deps.now(),
            max_age_seconds=max_age,
            documents=len(settings.documents),
            standby=standing_by is not None and standing_by.is_set(),
        )

    try:
        return HealthServer(options.host, options.port, probe)
    except OSError as exc:
        raise ConfigError(
            f"--health-port: cannot listen on {options.host}:{options.port} ({exc.strerror})"
        ) from exc
