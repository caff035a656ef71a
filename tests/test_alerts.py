"""Queuing alerts: one transaction per change with every channel's messages, crash recovery,
what is never alerted, digests and the maintainers' notices (real pages; the outbox in SQLite,
then in PostgreSQL)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.servers import FakeClock, PageServer, Reply, page_bytes
from tests.test_pipeline import World as PipelineWorld
from tracker import config
from tracker.classify.taxonomy import load_taxonomy
from tracker.models import Outcome, TelegramSettings
from tracker.notify.alerts import MAINTAINERS, Alerts
from tracker.notify.outbox import Outbox, Status
from tracker.pipeline import Deps, Result, check
from tracker.state.store import State

ROOT = Path(__file__).resolve().parents[1]
DOC = "linkedin/privacy-policy"
PATH = "/legal/privacy-policy"
V1 = "linkedin/privacy-policy/v1.html"
V2 = "linkedin/privacy-policy/v2.html"


@dataclass
class World(PipelineWorld):
    """The pipeline's world with two channels and the maintainers' channel, and alerting on."""

    maintainers: str | None = "-100999"

    @property
    def settings(self) -> config.Settings:
        return config.load(self.config_dir, self.tmp / "snapshots", "sqlite://", environ={})

    def alerts(self) -> Alerts:
        return Alerts(
            outbox=self.outbox,
            archive=self.archive,
            channels=self.settings.channels,
            telegram=replace(TelegramSettings(), maintainers_chat_id=self.maintainers),
            taxonomy=load_taxonomy(ROOT / "config" / "taxonomy.toml"),
            now=self.clock.now,
            inaccessible_after=2,
            documents=tuple(self.settings.documents.values()),
        )

    def deps(self, *, alerting: bool = True) -> Deps:
        return replace(
            super().deps(), inaccessible_after=2, alerts=self.alerts() if alerting else None
        )

    def check(self, *replies: Reply, alerting: bool = True) -> list[Result]:  # type: ignore[override]
        if replies:
            self.serve(*replies)
        self.clock.advance(3600)
        return check(self.document(), self.deps(alerting=alerting))

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.state, self.clock.now())


def channel_file(config_dir: Path, name: str, text: str) -> None:
    path = config_dir / "channels" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def world(
    tmp_path: Path, page_server: PageServer, clock: FakeClock, db_url: str
) -> Iterator[World]:
    config_dir = tmp_path / "config"
    shutil.copytree(ROOT / "config" / "rules", config_dir / "rules")
    shutil.copy(ROOT / "config" / "taxonomy.toml", config_dir / "taxonomy.toml")
    (config_dir / "tracker.toml").write_text("[fetch]\nallow_private_addresses = true\n")
    doc = config_dir / "documents" / f"{DOC}.toml"
    doc.parent.mkdir(parents=True)
    doc.write_text(
        f'title = "LinkedIn Privacy Policy"\nurl = "{page_server.url(PATH)}"\nlanguage = "en"\n'
        'rules = "linkedin-legal"\n'
    )
    channel_file(config_dir, "a-en", 'chat_id = "-1001"\ndocuments = ["linkedin/*"]\n')
    channel_file(
        config_dir,
        "b-fr",
        'chat_id = "@veille_test"\ndocuments = ["linkedin/privacy-*"]\nlanguage = "fr"\n'
        'digest = "daily"\n',
    )
    state = State(db_url)  # once on SQLite, once on PostgreSQL
    yield World(tmp_path, page_server, clock, state)
    state.close()


def test_a_new_version_queues_every_channel_in_one_alert(world: World):
    world.check(Reply.page(V1))
    assert world.outbox.rows() == [], "a first record is not news"
    [result] = world.check(Reply.page(V2))
    assert result.outcome is Outcome.NEW_VERSION
    rows = world.outbox.rows()
    assert {row.alert_key for row in rows} == {f"change:{DOC}:{result.version}"}
    for channel, chat in (("a-en", "-1001"), ("b-fr", "@veille_test")):
        mine = [row for row in rows if row.channel == channel]
        roles = [row.message.role for row in mine]
        assert roles[0] == "summary" and roles[-1] == "document"
        assert set(roles[1:-1]) == {"clauses"}
        assert [row.position for row in mine] == list(range(len(mine)))
        assert {row.chat_id for row in mine} == {chat}
        assert {row.status for row in mine} == {Status.PENDING}
    french = next(row for row in rows if row.channel == "b-fr")
    assert "Modification de fond" in french.message.html
    page = world.archive.folder(DOC) / "changes" / f"{result.version}.html"
    assert rows[-1].message.attachment == f"{DOC}/changes/{result.version}.html"
    assert page.is_file()


def test_queuing_is_idempotent(world: World):
    world.check(Reply.page(V1))
    world.check(Reply.page(V2))
    before = world.outbox.rows()
    assert world.alerts().queue_latest(world.document()) is None
    world.check(Reply.page(V2))  # unchanged
    assert world.outbox.rows() == before


class Crash(BaseException):
    """Stands for the process dying (not an Exception: nothing catches it)."""


def test_a_crash_between_the_record_and_the_outbox_is_completed_by_the_next_check(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    world.check(Reply.page(V1))

    def die(*args: object, **kwargs: object) -> bool:
        raise Crash

    monkeypatch.setattr(Outbox, "enqueue", die)
    with pytest.raises(Crash):
        world.check(Reply.page(V2))
    monkeypatch.undo()
    stamp = world.archive.version_stamps(DOC)[-1]
    assert (world.archive.folder(DOC) / "changes" / f"{stamp}.json").is_file()
    assert world.outbox.rows() == [], "the crash came before the outbox transaction"

    world.check(Reply.page(V2))  # the next run: unchanged page, but the alert is recovered
    rows = world.outbox.rows()
    assert {row.alert_key for row in rows} == {f"change:{DOC}:{stamp}"}
    assert len({(row.channel, row.position) for row in rows}) == len(rows)
    world.check(Reply.page(V2))
    assert world.outbox.rows() == rows, "recovered once, not twice"


def test_a_crash_inside_the_outbox_transaction_leaves_no_half_alert(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    world.check(Reply.page(V1))
    real_dumps = __import__("json").dumps
    calls = {"n": 0}

    def dumps_then_die(*args: object, **kwargs: object) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise Crash
        return real_dumps(*args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr("tracker.notify.outbox.json.dumps", dumps_then_die)
    with pytest.raises(Crash):
        world.check(Reply.page(V2))
    monkeypatch.undo()
    assert world.state.read("SELECT COUNT(*) FROM alerts") == [(0,)]
    assert world.state.read("SELECT COUNT(*) FROM outbox") == [(0,)]
    world.check(Reply.page(V2))
    assert len(world.outbox.rows()) > 4


def test_changes_recorded_before_the_outbox_began_are_not_posted(world: World):
    # Record v1 and v2 with no alerting at all (as an older tracker did), then start the outbox.
    world.check(Reply.page(V1), alerting=False)
    world.check(Reply.page(V2), alerting=False)
    world.clock.advance(3600)
    assert world.alerts().queue_latest(world.document()) is None
    assert world.outbox.rows() == []


def test_noise_only_changes_queue_no_message(world: World):
    world.check(Reply.page(V1))
    [result] = world.check(Reply.page("linkedin/privacy-policy/v1-noise.html"))
    assert result.outcome in {Outcome.UNCHANGED, Outcome.NEW_VERSION}
    assert world.outbox.rows() == []


def test_minor_changes_wait_for_the_digest(world: World):
    world.check(Reply.page(V1))
    typo = page_bytes(V1).replace(b"succeed. To do that", b"succeed; to do that", 1)
    [result] = world.check(Reply(body=typo))
    assert result.change is not None
    assert result.change.significance.value == "minor"
    held = world.outbox.rows([Status.HELD])
    assert [row.channel for row in held] == ["b-fr"]
    assert held[0].not_before is not None
    alerts = world.alerts()
    assert alerts.compose_digests() == 0, "not before the digest time"
    world.clock.advance(86_400)
    assert alerts.compose_digests() == 1
    [digest] = world.outbox.rows([Status.PENDING])
    assert digest.message.role == "digest"
    assert "Modifications mineures" in digest.message.html
    assert world.outbox.rows([Status.HELD]) == []


def test_maintainers_hear_of_inaccessible_documents_and_recoveries(world: World):
    world.check(Reply.page(V1))
    world.check(Reply(status=999, body=page_bytes("blocked/status-999.html")))
    assert world.outbox.rows() == [], "one failure is not yet a problem"
    world.check()
    world.check()  # a third failure: still one notice, not one per check
    notices = world.outbox.rows()
    assert [(row.channel, row.chat_id) for row in notices] == [(MAINTAINERS, "-100999")]
    assert "127.0.0.1 inaccessible (http-999) since" in notices[0].message.html
    assert DOC in notices[0].message.html
    world.check(Reply.page(V1))
    notices = world.outbox.rows()
    assert len(notices) == 2
    assert "127.0.0.1 accessible again after" in notices[1].message.html
    assert DOC in notices[1].message.html


def test_without_a_maintainers_channel_notices_are_only_logged(world: World):
    world.maintainers = None
    world.check(Reply.page(V1))
    for _ in range(3):
        world.check(Reply(status=999, body=page_bytes("blocked/status-999.html")))
    assert world.outbox.rows() == []


def test_a_post_that_cannot_be_rendered_falls_back_to_a_plain_one(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    world.check(Reply.page(V1))

    def broken(*args: object, **kwargs: object) -> list[object]:
        raise ValueError("a renderer bug")

    monkeypatch.setattr("tracker.notify.alerts.render_post", broken)
    [result] = world.check(Reply.page(V2))
    assert result.outcome is Outcome.NEW_VERSION, "the check itself is not held back"
    rows = world.outbox.rows()
    posts = [row for row in rows if row.channel != MAINTAINERS]
    assert [(row.channel, row.message.role) for row in posts] == [
        ("a-en", "summary"),
        ("a-en", "document"),
        ("b-fr", "summary"),
        ("b-fr", "document"),
    ]
    assert "LinkedIn Privacy Policy · Substantive change" in posts[0].message.html
    assert "Modification de fond" in posts[2].message.html
    notices = [row for row in rows if row.channel == MAINTAINERS]
    assert len(notices) == 1 and "could not be rendered" in notices[0].message.html
    assert "a renderer bug" in caplog.text


def test_failed_messages_are_retried_and_messages_cancelled_by_id(world: World):
    world.check(Reply.page(V1))
    world.check(Reply.page(V2))
    box = world.outbox
    first, second, third, *_ = box.rows()
    box.mark_failed([first.id, second.id], "Forbidden: bot was kicked from the channel chat")
    box.mark_sent(third.id, 7, world.clock.now())
    assert box.retry([first.id, third.id, 99_999]) == 1, "only a failed message is retried"
    assert box.get(first.id).status is Status.PENDING  # type: ignore[union-attr]
    assert box.get(second.id).status is Status.FAILED  # type: ignore[union-attr]
    assert box.cancel([second.id, third.id, first.id]) == 2, "a sent message stays sent"
    assert [box.get(i).status for i in (first.id, second.id, third.id)] == [  # type: ignore[union-attr]
        Status.CANCELLED,
        Status.CANCELLED,
        Status.SENT,
    ]
    assert box.retry() == 0


def test_unconfirmed_messages_are_put_back_only_by_id_and_block_the_ledger(world: World):
    world.check(Reply.page(V1))
    world.check(Reply.page(V2))
    box = world.outbox
    first, second, *rest = box.rows()
    for row in (first, second):
        box.begin_send(row.id)
        box.begin_send(row.id)
        box.mark_unconfirmed(row.id, "TimedOut: Timed out")
    for row in rest:
        box.mark_sent(row.id, 7, world.clock.now())
    assert box.get(first.id).in_doubt == 2  # type: ignore[union-attr]
    assert box.finished() == [], "an unconfirmed message is not delivered"
    assert box.retry() == 0, "--retry-failed leaves them to a person"
    assert box.retry([first.id]) == 1
    back = box.get(first.id)
    assert back is not None and (back.status, back.in_doubt) == (Status.PENDING, 0)
    assert box.cancel([second.id]) == 1
    assert box.counts()["pending"] == 1 and "unconfirmed" not in box.counts()


def test_an_alert_lost_before_a_later_version_is_still_queued(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    """The two-writer bug: an alert left unqueued while newer versions were recorded after it."""
    world.check(Reply.page(V1))

    def die(*args: object, **kwargs: object) -> bool:
        raise Crash

    monkeypatch.setattr(Outbox, "enqueue", die)
    with pytest.raises(Crash):
        world.check(Reply.page(V2))
    monkeypatch.undo()
    lost = world.archive.version_stamps(DOC)[-1]
    v3 = page_bytes(V2).replace(b"</p>", b" We may also sell your data.</p>", 3)
    world.check(Reply(body=v3), alerting=False)  # a newer version, by a run without an outbox
    world.check(Reply(body=v3))  # the next run with the outbox: unchanged page
    keys = {row.alert_key for row in world.outbox.rows()}
    newest = world.archive.version_stamps(DOC)[-1]
    assert newest != lost
    assert keys == {f"change:{DOC}:{lost}", f"change:{DOC}:{newest}"}, (
        "the older version's alert was completed too, not only the latest one's"
    )


def test_a_change_record_missing_in_the_middle_is_written_and_chained(world: World):
    from tracker.archive.verify import verify
    from tracker.pipeline import recover

    world.check(Reply.page(V1))
    world.check(Reply.page(V2))
    world.check(Reply(body=page_bytes(V2).replace(b"</p>", b" Also this.</p>", 3)))
    middle = world.archive.version_stamps(DOC)[1]
    folder = world.archive.folder(DOC)
    # An archive written before the chain, damaged by the old two-writer bug: no chain, and a
    # middle version without its change record.
    for path in [*folder.glob(f"changes/{middle}.*"), folder / "chain.csv"]:
        path.unlink()
    (world.archive.root / "chain.csv").unlink()
    archive = world.archive
    with archive.writing():
        repaired = recover(world.document(), archive, world.deps().taxonomy)
    assert f"wrote the missing change record of version {middle}" in repaired
    assert any("started the hash chain" in line for line in repaired)
    assert (folder / "changes" / f"{middle}.json").is_file()
    assert verify(world.archive).ok
