"""Failover, not duplicates: two ``tracker run`` workers on one configuration, archive and state
database (SQLite, then PostgreSQL), as real processes on loopback.

Exactly one is active; the other stands by. The active one is killed with SIGKILL in the middle
of a check; the standby takes over within 60 s, catches up the check that was cut short, and
nothing is recorded or queued twice (``tracker verify`` and the outbox invariants of
:func:`tests.writers.problems`).

Both documents were imported with a snapshot dated before the last time their yearly cron
fired (1 January), so each worker finds them due at start-up, and nothing else is due during
the test: every request to the page server is a catch-up check.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import PageServer, Reply, page_bytes
from tests.writers import ROOT, Workspace, problems, subjects, variant
from tracker.archive.store import Archive

FIRST, SECOND = "linkedin/first", "linkedin/second"
V1 = "linkedin/privacy-policy/v1.html"
IMPORTED = "2025-12-31T00-00-00Z"
#: The yearly cron, and no jitter: only catch-up checks happen during a test.
SCHEDULE = '\n[schedule]\ncron = "0 0 1 1 *"\njitter_seconds = 0\n'
#: What the issue allows for a takeover.
TAKEOVER_LIMIT = 60.0

pytestmark = pytest.mark.slow


def path_of(document: str) -> str:
    return "/" + document.rsplit("/", 1)[1]


@dataclass
class Worker:
    """One ``tracker run`` process, its output in files."""

    name: str
    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    def log(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def said(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def health(port: int) -> tuple[int, str]:
    """The status code and the ``status`` field of a worker's ``/healthz`` (0: no answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())["status"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["status"]
    except OSError:
        return 0, ""


def start(
    workspace: Workspace,
    name: str,
    health_port: int | None = None,
    *,
    env: dict[str, str] | None = None,
    archive: Path | None = None,
) -> Worker:
    """``tracker run`` on ``workspace`` (or on another ``archive`` folder: another host's)."""
    out, err = workspace.tmp / f"{name}.out", workspace.tmp / f"{name}.err"
    served = ["--health-port", str(health_port)] if health_port else []
    argv = workspace.argv("--log-level", "info", "run", *served)
    if archive is not None:
        argv[argv.index("--archive") + 1] = str(archive)
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tracker",
                *argv,
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            stdout=stdout,
            stderr=stderr,
        )
    return Worker(name, process, out, err)


def wait_until(done: Callable[[], bool], what: str, limit: float = 60.0) -> float:
    """Seconds until ``done()``; fails the test after ``limit``."""
    began = time.monotonic()
    while not done():
        assert time.monotonic() - began < limit, f"{what} within {limit:g} s"
        time.sleep(0.05)
    return time.monotonic() - began


def stop(worker: Worker) -> int:
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGTERM)
    try:
        return worker.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        return worker.process.wait()


@pytest.fixture
def workspace(tmp_path: Path, page_server: PageServer, db_url: str) -> Workspace:
    """Two documents imported as of 31 December, each due; the new pages served."""
    return lay_out(tmp_path, page_server, db_url)


@pytest.fixture
def postgres_workspace(tmp_path: Path, page_server: PageServer, postgres_url: str) -> Workspace:
    """The same, on PostgreSQL only."""
    return lay_out(tmp_path, page_server, postgres_url)


def lay_out(tmp_path: Path, page_server: PageServer, db_url: str) -> Workspace:
    workspace = Workspace.create(tmp_path, db_url)
    with (workspace.config / "tracker.toml").open("a", encoding="utf-8") as settings:
        settings.write(SCHEDULE)
    for n, document in enumerate((FIRST, SECOND), start=1):
        workspace.document(document, page_server.url(path_of(document)))
        folder = tmp_path / "import" / document
        folder.mkdir(parents=True)
        (folder / f"{IMPORTED}.html").write_bytes(page_bytes(V1))
        done = workspace.run("import", str(folder), "--document", document)
        assert done.returncode == 0, done.stderr
        page_server.route(path_of(document), Reply(body=variant(page_bytes(V1), n)))
    return workspace


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def test_the_standby_takes_over_a_killed_worker_and_nothing_is_lost_or_done_twice(
    workspace: Workspace, page_server: PageServer, workers: list[Worker]
):
    # The second document's first answer stalls: the active worker is killed inside that check.
    page_server.route(
        path_of(SECOND),
        Reply(body=variant(page_bytes(V1), 2), delay_before_headers=8),
        Reply(body=variant(page_bytes(V1), 2)),
    )
    archive = Archive(workspace.archive)
    ports = {"a": free_port(), "b": free_port()}
    workers += [start(workspace, "a", ports["a"]), start(workspace, "b", ports["b"])]

    wait_until(lambda: any("worker started" in w.log() for w in workers), "a worker started")
    [active] = [w for w in workers if "worker started" in w.log()]
    [standby] = [w for w in workers if w is not active]
    wait_until(lambda: "standing by" in standby.log(), "the other stands by")
    # Both are healthy: one checks, the other stands by (an orchestrator must not kill it).
    wait_until(lambda: health(ports[standby.name]) == (200, "standby"), "standby's /healthz")
    assert health(ports[active.name]) == (200, "ok")
    wait_until(lambda: len(page_server.requests_to(path_of(SECOND))) == 1, "the cut check began")
    assert len(archive.version_stamps(FIRST)) == 2, "the active worker checked the first one"
    assert "worker started" not in standby.log(), "exactly one worker is active"

    active.process.kill()  # SIGKILL, in the middle of the second document's check
    active.process.wait()
    takeover = wait_until(
        lambda: "worker started" in standby.log(), "the standby took over", TAKEOVER_LIMIT
    )
    wait_until(lambda: len(archive.version_stamps(SECOND)) == 2, "the cut check was caught up")
    wait_until(lambda: f"{SECOND}: new version" in standby.said(), "the standby reported it")
    assert stop(standby) == 0, standby.log()

    print(f"takeover after SIGKILL: {takeover:.1f} s")  # the figure for the report
    assert takeover < TAKEOVER_LIMIT
    assert standby.log().count("standing by") == 1, "said once"
    assert "taking over" in standby.log()
    assert len(page_server.requests_to(path_of(FIRST))) == 1, "the first one is not checked again"
    assert len(page_server.requests_to(path_of(SECOND))) == 2, "the cut check, then the catch-up"
    for document in (FIRST, SECOND):
        assert len(archive.version_stamps(document)) == 2, f"{document}: one new version, once"
    said = active.said() + standby.said()
    assert said.count(f"{FIRST}: new version") == 1
    assert said.count(f"{SECOND}: new version") == 1
    assert problems(workspace.archive, workspace.url) == [], "verify and the outbox agree"
    verified = workspace.run("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    queued = workspace.run("outbox")
    for document in (FIRST, SECOND):
        keys = {line.split()[4] for line in queued.stdout.splitlines() if "change:" in line}
        assert sum(key.startswith(f"change:{document}:") for key in keys) == 1, queued.stdout


def test_a_worker_that_loses_its_postgres_session_steps_down(
    postgres_workspace: Workspace, workers: list[Worker]
):
    workspace = postgres_workspace
    psycopg = pytest.importorskip("psycopg")
    from tracker.state.postgres import LEADER, LOCK_SPACE

    workers.append(start(workspace, "a"))
    [worker] = workers
    wait_until(lambda: "worker started" in worker.log(), "the worker started")
    with psycopg.connect(workspace.url, autocommit=True) as rival:
        rival.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name LIKE 'policy-tracker worker %'"
        )
        # Take the lock as soon as the server frees it: the worker cannot get it back.
        rival.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_SPACE, LEADER))
        wait_until(lambda: "stepped down" in worker.log(), "the worker stepped down", 30)
        wait_until(lambda: "standing by" in worker.log(), "it stands by", 30)
        log = worker.log()
        assert log.index("stepped down") > log.index("worker stopped"), "its scheduler stopped"
        assert log.count("worker started") == 1
    # The rival's session ended: the worker takes over again.
    wait_until(lambda: worker.log().count("worker started") == 2, "it took over again", 30)
    assert stop(worker) == 0, worker.log()


def test_on_two_machines_the_standby_fast_forwards_its_own_archive_before_it_checks(
    postgres_workspace: Workspace, page_server: PageServer, workers: list[Worker], tmp_path: Path
):
    """Two hosts: one PostgreSQL database and one git remote, an archive folder each.

    The standby cloned the history when it started; the active worker then recorded a version
    and pushed it. Taking over, the standby fast-forwards its own folder from the remote before
    anything is checked: it does not check again what the other recorded, and does not record
    it twice.
    """
    workspace = postgres_workspace
    remote = tmp_path / "remote.git"
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", str(workspace.archive), str(remote)], check=True
    )
    second_archive = tmp_path / "host-b" / "snapshots"
    # Host a's first check is slow enough for host b to start and clone before it ends.
    page_server.route(
        path_of(FIRST), Reply(body=variant(page_bytes(V1), 1), delay_before_headers=4)
    )
    page_server.route(
        path_of(SECOND),
        Reply(body=variant(page_bytes(V1), 2), delay_before_headers=8),
        Reply(body=variant(page_bytes(V1), 2)),
    )
    env = {"TRACKER_ARCHIVE_REMOTE": str(remote)}
    workers.append(start(workspace, "a", env=env))
    wait_until(lambda: "worker started" in workers[0].log(), "host a is active")
    workers.append(start(workspace, "b", env=env, archive=second_archive))
    active, standby = workers
    wait_until(lambda: "standing by" in standby.log(), "host b stands by")
    assert "cloned" in standby.log(), "host b's empty folder came from the remote"
    assert len(Archive(second_archive).version_stamps(FIRST)) == 1, "cloned before a recorded"

    wait_until(
        lambda: f"Record new version of {FIRST}" in subjects(remote), "host a pushed its record"
    )
    wait_until(lambda: len(page_server.requests_to(path_of(SECOND))) == 1, "the cut check began")
    assert len(Archive(second_archive).version_stamps(FIRST)) == 1, "b has not pulled it yet"
    active.process.kill()
    active.process.wait()

    wait_until(lambda: "worker started" in standby.log(), "host b took over", TAKEOVER_LIMIT)
    wait_until(lambda: f"{SECOND}: new version" in standby.said(), "host b caught up the cut check")
    assert stop(standby) == 0, standby.log()
    archive = Archive(second_archive)
    for document in (FIRST, SECOND):
        assert len(archive.version_stamps(document)) == 2, f"{document}: one new version, once"
    assert len(page_server.requests_to(path_of(FIRST))) == 1, "b did not check it again"
    assert f"{FIRST}: new version" not in standby.said()
    pushed = subjects(remote)
    assert pushed.count(f"Record new version of {FIRST}") == 1
    assert pushed.count(f"Record new version of {SECOND}") == 1
    verified = subprocess.run(
        [
            sys.executable,
            "-m",
            "tracker",
            *workspace.argv("verify")[:2],
            "--archive",
            str(second_archive),
            "--db",
            workspace.url,
            "verify",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
