"""A pass fetches several hosts at a time, and stays polite to each (issue 12, docs/adr/0014).

Three loopback servers (three ports: three hosts, as :func:`tracker.fetch.addresses.server_of`
counts them) answer slowly, and a fourth host refuses connections. The documents of the four
are interleaved in the configuration. Real passes (:func:`tracker.runtime.check_documents`)
with the real pacer and real sockets; the server's log says when each request arrived.
"""

from __future__ import annotations

import dataclasses
import itertools
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import FakeClock, LoggedRequest, PageServer, Reply
from tests.test_hostile import make_deps
from tracker import config
from tracker.archive.store import Archive
from tracker.config import Settings
from tracker.fetch.addresses import server_of
from tracker.fetch.fetcher import HostPacer
from tracker.models import Document, Outcome
from tracker.pipeline import Deps, Result
from tracker.runtime import check_documents
from tracker.scheduler import Worker
from tracker.state.store import State
from tracker.timestamps import utc_now

ROOT = Path(__file__).resolve().parents[1]
PAGE = "linkedin/privacy-policy/v1.html"
#: Each answer waits this long before its headers: a request lasts at least this.
SLOW = 0.3
#: ``host_delay_seconds``: between the starts of two requests to one host.
DELAY = 0.4
#: The server logs a request a little after the client started it: slack for that jitter.
JITTER = 0.05
#: (server, path) of each document, in the configuration's order; server 3 is down.
LAYOUT = [(0, "/a1"), (1, "/b1"), (3, "/dead1"), (0, "/a2"), (2, "/c1"), (3, "/dead2"),
          (1, "/b2"), (2, "/c2"), (0, "/a3")]  # fmt: skip


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Pass:
    """Documents on three slow hosts and a dead one, the archive, the state database."""

    settings: Settings
    servers: list[PageServer]
    state: State
    clock: FakeClock

    @property
    def documents(self) -> list[Document]:
        return list(self.settings.documents.values())

    def deps(self, concurrency: int) -> Deps:
        fetch = dataclasses.replace(self.settings.fetch, concurrency=concurrency)
        deps = make_deps(self.settings, self.state, self.clock.now)
        return dataclasses.replace(deps, fetch_settings=fetch, pacer=HostPacer(DELAY))

    def run(self, concurrency: int) -> tuple[list[Result], list[Result]]:
        """One pass; (results returned, results seen by ``on_result``)."""
        seen: list[Result] = []
        results = check_documents(self.documents, self.deps(concurrency), on_result=seen.append)
        return results, seen

    def requests(self, server: int) -> list[LoggedRequest]:
        return sorted(self.servers[server].requests, key=lambda r: r.at)


@pytest.fixture
def world(tmp_path: Path, clock: FakeClock) -> Iterator[Pass]:
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config" / "rules", folder / "rules")
    shutil.copy(ROOT / "config" / "taxonomy.toml", folder / "taxonomy.toml")
    (folder / "tracker.toml").write_text(
        f"[fetch]\nretries = 0\nhost_delay_seconds = {DELAY}\nallow_private_addresses = true\n"
    )
    with ExitStack() as stack:
        servers = [stack.enter_context(PageServer()) for _ in range(3)]
        dead = f"http://127.0.0.1:{_closed_port()}"
        for n, (server, path) in enumerate(LAYOUT):
            if server < 3:
                url = servers[server].route(path, Reply.page(PAGE, delay_before_headers=SLOW))
            else:
                url = dead + path
            target = folder / "documents" / "linkedin" / f"doc-{n}.toml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(
                f'title = "Doc {n}"\nurl = "{url}"\nlanguage = "en"\nrules = "linkedin-legal"\n'
            )
        settings = config.load(folder, tmp_path / "snapshots", "sqlite://", environ={})
        state = State(f"sqlite:///{tmp_path}/state.db")
        stack.callback(state.close)
        assert [doc.url.rsplit("/", 1)[1] for doc in settings.documents.values()] == [
            path.strip("/") for _, path in LAYOUT
        ]
        yield Pass(settings, servers, state, clock)


def test_requests_to_one_host_never_overlap_and_keep_the_delay(world: Pass) -> None:
    world.run(concurrency=8)

    for server in range(3):
        starts = [r.at for r in world.requests(server)]
        assert len(starts) == (3 if server == 0 else 2)
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        # each answer takes SLOW before its headers: a start sooner than that is an overlap
        assert all(gap >= max(SLOW, DELAY) - JITTER for gap in gaps), (server, gaps)


def test_different_hosts_are_fetched_at_the_same_time(world: Pass) -> None:
    world.run(concurrency=8)

    first = [world.requests(server)[0].at for server in range(3)]
    # the first request of each host starts while the others are still waiting for an answer
    assert max(first) - min(first) < SLOW, first


def test_a_concurrency_of_one_fetches_one_document_at_a_time(world: Pass) -> None:
    world.run(concurrency=1)

    starts = sorted(r.at for server in range(3) for r in world.requests(server))
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap >= SLOW - JITTER for gap in gaps), gaps


@pytest.mark.parametrize("concurrency", [1, 8])
def test_every_document_gets_one_check_and_one_result_in_order(
    world: Pass, concurrency: int
) -> None:
    results, seen = world.run(concurrency)

    assert seen == results
    assert [r.document for r in results] == [doc.id for doc in world.documents]
    archive = Archive(world.settings.archive_dir)
    for document, result in zip(world.documents, results, strict=True):
        rows = archive.checks(document.id)
        assert [(row.outcome, row.cause) for row in rows] == [(result.outcome, result.cause)]
        if server_of(document.url) in {server_of(s.url()) for s in world.servers}:
            assert result.outcome is Outcome.FIRST_RECORD, result
    assert len(world.requests(0)) + len(world.requests(1)) + len(world.requests(2)) == 7


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_host_down_is_not_knocked_on_again_and_only_it(world: Pass, concurrency: int) -> None:
    results, _ = world.run(concurrency)

    dead = [r for r, (server, _) in zip(results, LAYOUT, strict=True) if server == 3]
    assert [(r.outcome, r.cause) for r in dead] == [(Outcome.INACCESSIBLE, "connection-error")] * 2
    assert "not tried" not in dead[0].detail
    assert "not tried" in dead[1].detail and dead[0].document in dead[1].detail
    alive = [r for r, (server, _) in zip(results, LAYOUT, strict=True) if server != 3]
    assert {r.outcome for r in alive} == {Outcome.FIRST_RECORD}


def test_a_check_that_raises_loses_no_other_document(world: Pass) -> None:
    world.run(concurrency=8)
    changed = world.documents[4]  # c1
    world.servers[2].route("/c1", Reply.page("linkedin/privacy-policy/v2.html"))
    world.clock.advance(3600)
    deps = world.deps(concurrency=8)
    # a taxonomy without its label specs: classifying the change raises KeyError
    broken = dataclasses.replace(deps, taxonomy=dataclasses.replace(deps.taxonomy, labels={}))
    seen: list[Result] = []

    results = check_documents(world.documents, broken, on_result=seen.append)

    assert [r.document for r in seen] == [doc.id for doc in world.documents]
    outcomes = {r.document: (r.outcome, r.cause) for r in results}
    assert outcomes.pop(changed.id) == (Outcome.INACCESSIBLE, "internal-error")
    live = {doc.id for doc, (server, _) in zip(world.documents, LAYOUT, strict=True) if server < 3}
    assert {outcomes[d] for d in live - {changed.id}} == {(Outcome.UNCHANGED, "")}
    archive = Archive(world.settings.archive_dir)
    assert all(len(archive.checks(doc.id)) == 2 for doc in world.documents)


def test_the_start_up_catch_up_fetches_the_hosts_at_once_and_each_politely(world: Pass) -> None:
    """``tracker run``'s catch-up is one pass: not one document after another (issue 12)."""
    deps = dataclasses.replace(world.deps(concurrency=8), now=utc_now)
    seen: list[Result] = []
    all_seen = threading.Event()

    def on_result(result: Result) -> None:
        seen.append(result)
        if len(seen) == len(LAYOUT):
            all_seen.set()

    worker = Worker(world.settings, deps, on_result=on_result)
    assert all(worker.is_due(doc, utc_now()) for doc in world.documents)
    worker.start()
    try:
        assert all_seen.wait(60), seen
    finally:
        worker.stop()

    assert [r.document for r in seen] == [doc.id for doc in world.documents]
    first = [world.requests(server)[0].at for server in range(3)]
    assert max(first) - min(first) < SLOW, first
    for server in range(3):
        starts = [r.at for r in world.requests(server)]
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        assert all(gap >= max(SLOW, DELAY) - JITTER for gap in gaps), (server, gaps)
    archive = Archive(world.settings.archive_dir)
    assert all(len(archive.checks(doc.id)) == 1 for doc in world.documents)


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("https://www.linkedin.com/legal/privacy-policy", "www.linkedin.com"),
        ("http://WWW.LinkedIn.com./legal", "www.linkedin.com"),
        ("https://www.linkedin.com:443/legal", "www.linkedin.com"),
        ("https://www.linkedin.com:8443/legal", "www.linkedin.com:8443"),
        ("http://127.0.0.1:8001/a", "127.0.0.1:8001"),
        ("http://[::1]:8002/a", "::1:8002"),
    ],
)
def test_a_host_is_its_name_and_its_port_unless_the_default(url: str, server: str) -> None:
    assert server_of(url) == server
