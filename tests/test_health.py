"""``tracker run --health-port``: /healthz and /metrics of a real worker, over loopback.

A real ``tracker run`` process checks two documents at start-up (the second page answers two
seconds late, so the metrics are read between the two checks), then nothing until their
yearly cron: ``/healthz`` is 200 after the checks, and 503 once the last one is older than
``--health-max-age``. In-process, a stopped scheduler answers 503 at once.
"""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.servers import PageServer, Reply
from tests.test_cli import Cli, make_cli
from tests.test_hostile import make_deps, write_config
from tracker import config
from tracker.ops.health import HealthOptions, assess, default_max_age
from tracker.scheduler import Worker, health_server
from tracker.state.store import State
from tracker.timestamps import utc_now

YEARLY = 'schedule = "0 0 1 1 *"\n'


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return make_cli(tmp_path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def samples(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    status, body = get(url)
    assert status == 200
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def wait_for(what: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_healthz_and_metrics_of_a_running_worker(cli: Cli, page_server: PageServer):
    page_server.route("/a", Reply.page("linkedin/privacy-policy/v1.html"))
    page_server.route(
        "/b", Reply.page("linkedin/eu-regional-privacy-notice/v1.html", delay_before_headers=2)
    )
    cli.document("linkedin/a", page_server.url("/a"), extra=YEARLY)
    cli.document("linkedin/b", page_server.url("/b"), extra=YEARLY)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    worker = cli.popen("run", "--health-port", str(port), "--health-max-age", "4")
    try:
        first = "tracker_checks_total", frozenset({("outcome", "first-record"), ("cause", "")})

        def checks_seen() -> float:
            try:
                return samples(f"{base}/metrics").get(first, 0)
            except OSError:
                return 0

        assert wait_for(checks_seen) == 1, "one document checked, the other one still fetching"
        found = samples(f"{base}/metrics")
        assert found[("tracker_versions_recorded_total", frozenset({("outcome", "first-record")}))]
        assert found[("tracker_check_duration_seconds_count", frozenset())] == 1
        assert found[("tracker_push_failures_total", frozenset())] == 0
        assert wait_for(lambda: checks_seen() == 2), "the count moves after the second check"

        status, body = get(f"{base}/healthz")
        health = json.loads(body)
        assert status == 200, health
        assert health["status"] == "ok" and health["scheduler_running"] is True
        assert health["last_pass_at"] and health["last_pass_age_seconds"] < 4
        assert health["max_age_seconds"] == 4 and health["documents"] == 2

        assert wait_for(lambda: get(f"{base}/healthz")[0] == 503, timeout=10)
        health = json.loads(get(f"{base}/healthz")[1])
        assert health["status"] == "stale" and health["last_pass_age_seconds"] > 4
        assert get(f"{base}/nothing")[0] == 404
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert f"health: http://127.0.0.1:{port}/healthz" in err


def test_a_stopped_scheduler_is_unhealthy_at_once(tmp_path: Path, page_server: PageServer):
    write_config(tmp_path / "config", page_server)
    settings = config.load(tmp_path / "config", tmp_path / "snapshots", "sqlite://", environ={})
    state = State(f"sqlite:///{tmp_path}/state.db")
    deps = make_deps(settings, state, utc_now)
    worker = Worker(settings, deps)
    server = health_server(settings, deps, [worker], HealthOptions(port=0, max_age_seconds=3600))
    server.start()
    url = f"http://127.0.0.1:{server.address[1]}/healthz"
    try:
        worker.start()
        assert get(url)[0] == 200, "just started: recent enough"
        worker.stop()
        status, body = get(url)
        assert (status, json.loads(body)["status"]) == (503, "stopped")
    finally:
        server.stop()
        state.close()


def test_assess_and_the_default_recency():
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    started = now - timedelta(hours=1)
    never = assess(
        running=True,
        started_at=started,
        last_pass_at=None,
        now=now,
        max_age_seconds=7200,
        documents=1,
    )
    assert never.ok and never.last_pass_age_seconds == 3600
    late = assess(
        running=True,
        started_at=started,
        last_pass_at=now - timedelta(seconds=7201),
        now=now,
        max_age_seconds=7200,
        documents=1,
    )
    assert late.status == "stale"
    # twice a day, and one every 6 hours: twice 6 h, plus the jitter
    assert default_max_age(["30 */12 * * *", "0 */6 * * *"], "UTC", 60, now) == 2 * 6 * 3600 + 60
    # 06:00 and 07:00 only: the longest wait (23 h) counts, not the shortest
    assert default_max_age(["0 6,7 * * *"], "UTC", 0, now) == 2 * 23 * 3600
