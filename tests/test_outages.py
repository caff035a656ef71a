"""Grouped maintainers' notices: one per outage, one reminder a day, one recovery message.

Fifteen documents on one host that refuses connections (a closed port on 127.0.0.1), checked
in real passes (:func:`tracker.runtime.check_documents`, its circuit breaker included) with
real SQLite and a fake clock; then the host answers again (a :class:`PageServer` on the same
host) and the outage ends.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.servers import FakeClock, PageServer, Reply
from tests.test_hostile import make_deps
from tracker import config
from tracker.classify.taxonomy import load_taxonomy
from tracker.config import Settings
from tracker.models import Document, Outcome, TelegramSettings
from tracker.notify.alerts import MAINTAINERS, Alerts
from tracker.notify.outages import Step, join, leave
from tracker.notify.outbox import Outbox, Row
from tracker.pipeline import Deps
from tracker.runtime import check_documents
from tracker.state.store import State

ROOT = Path(__file__).resolve().parents[1]
COUNT = 15


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Dead:
    """Fifteen documents on a dead host, the state database and a fake clock."""

    settings: Settings
    state: State
    clock: FakeClock

    def deps(self, *, gather_seconds: float = 0.0) -> Deps:
        alerts = Alerts(
            outbox=Outbox(self.state, self.clock.now()),
            archive=make_deps(self.settings, self.state, self.clock.now).archive,
            channels=(),
            telegram=dataclasses.replace(TelegramSettings(), maintainers_chat_id="-100999"),
            taxonomy=load_taxonomy(ROOT / "config" / "taxonomy.toml"),
            now=self.clock.now,
            inaccessible_after=2,
            gather_seconds=gather_seconds,
        )
        return make_deps(
            self.settings, self.state, self.clock.now, inaccessible_after=2, alerts=alerts
        )

    def documents(self, url: str | None = None) -> list[Document]:
        docs = list(self.settings.documents.values())
        if url is None:
            return docs
        return [dataclasses.replace(doc, url=f"{url}/{doc.id}") for doc in docs]

    def check(self, url: str | None = None, hours: float = 1) -> list[Outcome]:
        self.clock.advance(hours * 3600)
        results = check_documents(self.documents(url), self.deps())
        return [result.outcome for result in results]

    def notices(self) -> list[Row]:
        rows = Outbox(self.state, self.clock.now()).rows()
        assert {row.channel for row in rows} <= {MAINTAINERS}
        return rows


@pytest.fixture
def dead(tmp_path: Path, clock: FakeClock) -> Iterator[Dead]:
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config" / "rules", folder / "rules")
    shutil.copy(ROOT / "config" / "taxonomy.toml", folder / "taxonomy.toml")
    (folder / "tracker.toml").write_text(
        "[fetch]\nretries = 0\nhost_delay_seconds = 0\nallow_private_addresses = true\n"
    )
    port = _closed_port()
    for n in range(COUNT):
        target = folder / "documents" / "linkedin" / f"page-{n:02}.toml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            f'title = "Page {n}"\nurl = "http://127.0.0.1:{port}/p{n}"\nlanguage = "en"\n'
            'rules = "linkedin-legal"\n'
        )
    settings = config.load(folder, tmp_path / "snapshots", "sqlite://", environ={})
    state = State(f"sqlite:///{tmp_path}/state.db")
    yield Dead(settings, state, clock)
    state.close()


def test_fifteen_documents_on_a_dead_host_are_one_notice_a_reminder_and_one_recovery(
    dead: Dead, page_server: PageServer
):
    assert set(dead.check()) == {Outcome.INACCESSIBLE}
    assert dead.notices() == [], "one failure in a row is below the threshold"
    dead.check()
    [notice] = dead.notices()
    text = notice.message.html
    assert "127.0.0.1 inaccessible (connection-error) since" in text
    assert f": {COUNT} documents" in text
    assert all(f"linkedin/page-{n:02}" in text for n in range(COUNT)), text
    assert notice.alert_key.startswith("outage:127.0.0.1:connection-error:")

    for _ in range(5):  # the outage goes on within the day: nothing more
        dead.check(hours=3)
    assert len(dead.notices()) == 1

    dead.check(hours=10)  # a day after the notice: one reminder, not fifteen
    rows = dead.notices()
    assert len(rows) == 2
    assert "127.0.0.1 still inaccessible (connection-error)" in rows[1].message.html
    assert f": {COUNT} documents" in rows[1].message.html

    for doc in dead.documents():
        page_server.route(f"/{doc.id}", Reply.page("linkedin/privacy-policy/v1.html"))
    assert set(dead.check(page_server.url(""))) == {Outcome.FIRST_RECORD}
    rows = dead.notices()
    assert len(rows) == 3, [row.message.html for row in rows]
    assert "127.0.0.1 accessible again after" in rows[2].message.html
    assert f"(connection-error): {COUNT} documents" in rows[2].message.html
    dead.check(page_server.url(""))
    assert len(dead.notices()) == 3, "the recovery is told once"


def test_a_document_back_while_others_stay_down_ends_nothing(dead: Dead, page_server: PageServer):
    dead.check()
    dead.check()
    first, *others = dead.documents()
    page_server.route(f"/{first.id}", Reply.page("linkedin/privacy-policy/v1.html"))
    dead.clock.advance(3600)
    back = dataclasses.replace(first, url=page_server.url(f"/{first.id}"))
    [result] = check_documents([back], dead.deps())
    assert result.outcome is Outcome.FIRST_RECORD
    assert len(dead.notices()) == 1, "fourteen documents are still down"
    dead.clock.advance(25 * 3600)
    check_documents(others, dead.deps())  # the reminder names only those still down
    reminder = dead.notices()[-1].message.html
    assert f": {COUNT - 1} documents" in reminder
    assert first.id not in reminder


def test_tracker_run_holds_a_new_notice_for_other_documents_to_join(dead: Dead):
    docs = dead.documents()
    for _ in range(2):  # as the scheduler's jobs do: one document at a time
        dead.clock.advance(3600)
        check_documents(docs[:1], dead.deps(gather_seconds=300))
    [notice] = dead.notices()
    assert notice.not_before == dead.clock.now() + timedelta(seconds=300)
    for doc in docs[1:3]:
        for _ in range(2):
            check_documents([doc], dead.deps(gather_seconds=300))
    [notice] = dead.notices()
    assert ": 3 documents" in notice.message.html, "documents that failed later joined it"


def test_join_and_leave_decide_the_steps(fixed_now):
    since = fixed_now - timedelta(hours=2)
    outage, step = join(None, "a", host="h", cause="dns-error", failing_since=since, now=fixed_now)
    assert step is Step.NOTICE and outage.down == ("a",)
    outage, step = join(
        outage, "b", host="h", cause="dns-error", failing_since=since, now=fixed_now
    )
    assert step is Step.AMEND and outage.down == ("a", "b")
    later = fixed_now + timedelta(hours=23)
    assert join(outage, "b", host="h", cause="dns-error", failing_since=since, now=later)[1] is (
        Step.NOTHING
    )
    later = fixed_now + timedelta(days=1)
    reminded, step = join(outage, "a", host="h", cause="dns-error", failing_since=since, now=later)
    assert step is Step.REMINDER and reminded.notice_key != outage.notice_key
    remaining, step = leave(outage, "a")
    assert step is Step.NOTHING and remaining is not None and remaining.down == ("b",)
    assert leave(remaining, "b") == (None, Step.OVER)
