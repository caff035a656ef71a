"""The scheduler's worker (``tracker run``): one failing job never blocks the others.

Real APScheduler, real pages on loopback, real files and SQLite; the jobs run at start-up
because the documents are due (never checked, or last checked before the cron's latest
fire time).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.servers import FakeClock, PageServer, Reply
from tests.test_hostile import FIRST, PATHS, SECOND, make_deps, write_config
from tracker import config
from tracker.archive.store import Archive
from tracker.config import Settings
from tracker.models import Outcome
from tracker.pipeline import Deps, Result
from tracker.runtime import check_documents
from tracker.scheduler import Worker
from tracker.state.store import State
from tracker.timestamps import utc_now


class Results:
    """Collects the worker's results; ``wait`` until ``count`` have come."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.seen: list[Result] = []
        self.done = threading.Event()

    def __call__(self, result: Result) -> None:
        self.seen.append(result)
        if len(self.seen) >= self.count:
            self.done.set()

    def wait(self) -> list[Result]:
        assert self.done.wait(timeout=60), self.seen
        return self.seen


@pytest.fixture
def settings(tmp_path: Path, page_server: PageServer) -> Settings:
    write_config(tmp_path / "config", page_server)
    return config.load(tmp_path / "config", tmp_path / "snapshots", "sqlite://", environ={})


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    opened = State(f"sqlite:///{tmp_path}/state.db")
    yield opened
    opened.close()


def run_worker(settings: Settings, deps: Deps, results: Results) -> Worker:
    worker = Worker(settings, deps, on_result=results)
    worker.start()
    try:
        results.wait()
    finally:
        still_running = not worker.stopping.is_set()
        jobs = {job.id for job in worker.scheduler.get_jobs() if job.next_run_time is not None}
        worker.stop()
    assert still_running
    assert jobs == {FIRST, SECOND}  # both documents keep their schedule
    return worker


def test_an_archive_error_in_one_job_does_not_stop_the_worker(
    settings: Settings, state: State
) -> None:
    blocked = settings.archive_dir / SECOND
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the document's folder should be", encoding="utf-8")
    results = Results(2)

    run_worker(settings, make_deps(settings, state, utc_now), results)

    assert sorted((r.document, r.outcome, r.cause) for r in results.seen) == [
        (SECOND, Outcome.INACCESSIBLE, "archive-error"),
        (FIRST, Outcome.FIRST_RECORD, ""),
    ]
    assert state.get(SECOND).failures_in_row == 1


def test_a_job_that_raises_is_recorded_and_the_other_jobs_run(
    settings: Settings, state: State, page_server: PageServer
) -> None:
    earlier = FakeClock(start=utc_now() - timedelta(hours=1))  # due again: cron every 5 min
    check_documents(list(settings.documents.values()), make_deps(settings, state, earlier.now))
    page_server.route(PATHS[SECOND], Reply.page("linkedin/privacy-policy/v2.html"))
    deps = make_deps(settings, state, utc_now)
    broken = dataclasses.replace(deps, taxonomy=dataclasses.replace(deps.taxonomy, labels={}))
    results = Results(2)

    run_worker(settings, broken, results)

    by_document = {r.document: r for r in results.seen}
    assert (by_document[SECOND].outcome, by_document[SECOND].cause) == (
        Outcome.INACCESSIBLE,
        "internal-error",
    )
    assert by_document[SECOND].detail.startswith("KeyError: ")
    assert by_document[FIRST].outcome is Outcome.UNCHANGED
    row = Archive(settings.archive_dir).checks(SECOND)[-1]
    assert (row.outcome, row.cause) == (Outcome.INACCESSIBLE, "internal-error")


def test_a_document_not_due_at_start_up_keeps_its_schedule(
    settings: Settings, state: State, page_server: PageServer
):
    """Checked just before the start: not checked at once, but at its cron's next time.

    APScheduler adds a job *paused* when given ``next_run_time=None``: the worker once did that
    for every document not due at start-up, so that after a restart only the documents with a
    missed run were ever checked again.
    """
    deps = make_deps(settings, state, utc_now)
    check_documents(settings.documents.values(), deps)
    worker = Worker(settings, deps)
    assert not any(worker.is_due(document, utc_now()) for document in settings.documents.values())
    worker.start()
    try:
        jobs = {job.id: job.next_run_time for job in worker.scheduler.get_jobs()}
    finally:
        worker.stop()
    assert set(jobs) == {FIRST, SECOND}
    for document in (FIRST, SECOND):
        trigger = worker.trigger_for(settings.documents[document], jitter=False)
        expected = trigger.get_next_fire_time(None, utc_now())  # type: ignore[attr-defined]
        assert jobs[document] is not None, f"{document}: its job is paused"
        assert (
            abs((jobs[document] - expected).total_seconds())
            <= 60 + settings.schedule.jitter_seconds
        )
