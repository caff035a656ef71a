"""Delivery end to end: real pages → real archive and SQLite outbox → the real python-telegram-bot
client → a fake Bot API server on 127.0.0.1 that enforces Telegram's rules (tests/fake_telegram/).

Assertions are on what the fake server stored, as a channel would show it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram, Fault
from tests.servers import FakeClock, Reply, page_bytes
from tests.test_alerts import V1, V2, World, channel_file
from tests.test_alerts import world as world  # the fixture, re-exported
from tracker.models import TelegramSettings
from tracker.notify.alerts import Alerts
from tracker.notify.delivery import Report, deliver, plain_text
from tracker.notify.outbox import Queued, Status
from tracker.render.telegram import Message

A, B, MAINT = -1001, -1002, -100999


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        server.add_channel(A, title="A (en)")
        server.add_channel(B, username="veille_test", title="B (fr)")
        server.add_channel(MAINT, title="Maintainers")
        yield server


def settings_for(fake: FakeTelegram, **changes: object) -> TelegramSettings:
    base = TelegramSettings(
        token=fake.token,
        base_url=fake.base_url,
        maintainers_chat_id=str(MAINT),
        pace_seconds=0,
        retries=2,
        backoff_seconds=0.05,
        max_retry_after=5,
        read_timeout=2,
        global_per_second=1000,
        per_chat_per_minute=1000,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def alerts_for(world: World, settings: TelegramSettings) -> Alerts:
    alerts = world.alerts()
    alerts.telegram = settings
    return alerts


def drain(world: World, settings: TelegramSettings, echo: list[str] | None = None) -> Report:
    printed = echo if echo is not None else []
    return deliver(
        world.outbox,
        alerts_for(world, settings),
        world.tmp / "snapshots",
        settings,
        now=world.clock.now,
        echo=printed.append,
    )


def two_versions(world: World) -> str:
    world.check(Reply.page(V1))
    [result] = world.check(Reply.page(V2))
    return result.version


def queued(world: World, channel: str) -> list[Message]:
    return [row.message for row in world.outbox.rows() if row.channel == channel]


# ------------------------------------------------------------------------------ happy path
def test_a_post_reaches_each_channel_threaded_silent_and_once(world: World, fake: FakeTelegram):
    stamp = two_versions(world)
    expected = {"a-en": queued(world, "a-en"), "b-fr": queued(world, "b-fr")}
    report = drain(world, settings_for(fake))
    assert report.sent == sum(len(m) for m in expected.values())
    assert report.failed == 0
    for chat, name in ((A, "a-en"), (B, "b-fr")):
        stored = fake.messages(chat)
        assert len(stored) == len(expected[name])
        summary, *replies = stored
        assert summary.disable_notification is False
        assert summary.reply_to_message_id is None
        assert all(m.reply_to_message_id == summary.message_id for m in replies)
        assert all(m.disable_notification for m in replies)
        assert all(not m.warnings for m in stored), "no message over 100 entities"
        document = replies[-1]
        page = world.archive.folder("linkedin/privacy-policy") / "changes" / f"{stamp}.html"
        assert document.document_name == f"linkedin-privacy-policy-{stamp}.html"
        assert document.document_bytes == page.read_bytes()
        for message, sent in zip(expected[name], stored, strict=True):
            assert (sent.caption if message.attachment else sent.text) is not None
    assert "Substantive change" in fake.messages(A)[0].text
    assert "Modification de fond" in fake.messages(B)[0].text
    assert {row.status for row in world.outbox.rows()} == {Status.SENT}
    assert all(row.message_id for row in world.outbox.rows())

    again = drain(world, settings_for(fake))
    assert again.sent == 0
    assert len(fake.messages(A)) == len(expected["a-en"]), "nothing is sent twice"


def test_link_previews_point_at_the_change_page_or_are_disabled(
    world: World, fake: FakeTelegram, tmp_path: Path
):
    channel_file(
        world.tmp / "config",
        "a-en",
        'chat_id = "-1001"\ndocuments = ["linkedin/*"]\n'
        'public_url = "https://archive.example.org/snapshots"\n',
    )
    stamp = two_versions(world)
    drain(world, settings_for(fake))
    summary = fake.messages(A)[0]
    page = f"https://archive.example.org/snapshots/linkedin/privacy-policy/changes/{stamp}.html"
    assert summary.link_preview_options == {"url": page, "prefer_small_media": True}
    assert fake.messages(A)[1].link_preview_options == {"is_disabled": True}
    assert fake.messages(B)[0].link_preview_options == {"is_disabled": True}


# ------------------------------------------------------------------------------ flood control
def test_a_429_storm_delays_but_loses_and_reorders_nothing(world: World, fake: FakeTelegram):
    two_versions(world)
    expected = [m.html for m in queued(world, "a-en")]
    fake.inject(A, Fault.flood(retry_after=1), times=3)
    report = drain(world, settings_for(fake))
    assert report.sent == len(world.outbox.rows())
    stored = fake.messages(A)
    assert len(stored) == len(expected)
    assert [m.message_id for m in stored] == sorted(m.message_id for m in stored)
    floods = [r for r in fake.requests if r.chat_id == A and r.status == 429]
    assert len(floods) == 3
    for flood in floods:  # the client waited at least retry_after before trying again
        following = next(r for r in fake.requests if r.chat_id == A and r.at > flood.at)
        assert following.at - flood.at >= 0.95
    assert fake.messages(B)[-1].at < stored[0].at, "the other channel was not held back"


def test_the_fake_enforces_a_per_chat_window_and_the_client_paces_itself(
    world: World, tmp_path: Path
):
    with FakeTelegram(per_chat_per_minute=2) as fake:
        fake.add_channel(A)
        fake.add_channel(B, username="veille_test")
        fake.add_channel(MAINT)
        two_versions(world)
        report = drain(world, settings_for(fake, max_retry_after=0.5))
        assert any(r.status == 429 for r in fake.requests), "the window was hit"
        assert report.deferred > 0, "a long flood wait leaves messages for later"
        rows = world.outbox.rows()
        sent_a = [r for r in rows if r.channel == "a-en" and r.status is Status.SENT]
        pending_a = [r for r in rows if r.channel == "a-en" and r.status is Status.PENDING]
        assert sent_a and pending_a
        assert max(r.id for r in sent_a) < min(r.id for r in pending_a), "order kept"


# ------------------------------------------------------------------------------ failures
@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({"remove": True}, "Chat not found"),
        ({"member": False}, "not a member of the channel chat"),
        ({"admin": False}, "need administrator rights"),
        ({"kicked": True}, "was kicked from the channel chat"),
    ],
)
def test_a_channel_error_fails_that_channel_only_and_tells_the_maintainers(
    world: World,
    fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    setup: dict[str, bool],
    expected: str,
):
    if setup.get("remove"):
        fake.remove_channel(B)
    else:
        fake.add_channel(B, username="veille_test", **setup)
    two_versions(world)
    with caplog.at_level(logging.ERROR, logger="tracker"):
        report = drain(world, settings_for(fake))
    rows = world.outbox.rows()
    assert {r.status for r in rows if r.channel == "a-en"} == {Status.SENT}
    failed = [r for r in rows if r.channel == "b-fr"]
    assert {r.status for r in failed} == {Status.FAILED}
    assert all(expected.lower() in r.last_error.lower() for r in failed)
    assert report.failed == len(failed)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, "one clear line, not one per message"
    assert "@veille_test" in errors[0].getMessage()
    assert "tracker outbox --retry-failed" in errors[0].getMessage()
    # The report to the maintainers is queued and sent in the same drain.
    [notice] = fake.messages(MAINT)
    assert "Telegram delivery to b-fr (@veille_test) failed" in notice.text
    assert expected.lower() in notice.text.lower()
    # Fixed by the maintainers: retried, delivered, in order.
    fake.add_channel(B, username="veille_test")
    assert world.outbox.retry() == len(failed)
    drain(world, settings_for(fake))
    assert len(fake.messages(B)) == len(failed)


def test_a_message_telegram_cannot_parse_fails_alone(world: World, fake: FakeTelegram):
    world.outbox.enqueue(
        "test:bad",
        [
            Queued("a-en", str(A), Message(role="summary", html="<p>not Telegram HTML</p>")),
            Queued("a-en", str(A), Message(role="summary", html="<b>fine</b> &amp; well")),
        ],
        at=world.clock.now(),
    )
    report = drain(world, settings_for(fake))
    assert (report.sent, report.failed) == (2, 1), "the good one, and the report of the bad one"
    [notice] = fake.messages(MAINT)
    assert "unsupported start tag" in notice.text.lower()
    bad, good = world.outbox.rows()[:2]
    assert bad.status is Status.FAILED
    assert "can't parse entities" in bad.last_error.lower()
    assert 'unsupported start tag "p"' in bad.last_error.lower()
    assert good.status is Status.SENT
    assert [m.text for m in fake.messages(A)] == ["fine & well"]


def test_transient_errors_are_retried_with_backoff(world: World, fake: FakeTelegram):
    two_versions(world)
    fake.inject(A, Fault.server_error(502), times=2)
    report = drain(world, settings_for(fake))
    assert report.failed == 0
    assert len(fake.messages(A)) == len(queued(world, "a-en"))


def test_errors_beyond_the_retries_leave_the_rest_of_the_chat_for_later(
    world: World, fake: FakeTelegram, clock: FakeClock
):
    two_versions(world)
    expected = [plain_text(m.html) for m in queued(world, "a-en")]
    fake.inject(A, Fault.server_error(502), times=2)  # answered: nothing stored
    report = drain(world, settings_for(fake, retries=1))
    assert report.deferred == len(expected), "the whole chat waits behind its first message"
    assert len(fake.messages(B)) == len(queued(world, "b-fr")), "the other chat went on"
    clock.advance(60)
    drain(world, settings_for(fake))
    assert [m.text or m.caption for m in fake.messages(A)] == expected


@pytest.mark.parametrize("stored", [False, True], ids=["lost-before-telegram", "lost-answer"])
def test_two_timeouts_leave_the_message_unconfirmed_and_the_chat_goes_on(
    world: World, fake: FakeTelegram, clock: FakeClock, stored: bool
):
    two_versions(world)
    expected = [plain_text(m.html) for m in queued(world, "a-en")]
    fake.inject(A, Fault.timeout(1.5, store=stored), times=2)
    report = drain(world, settings_for(fake, retries=1, read_timeout=0.5))
    assert report.unconfirmed == 1
    assert report.deferred == 0
    texts = [m.text or m.caption for m in fake.messages(A)]
    # The client cannot tell the two apart: Telegram may hold the message, so it is not sent
    # a third time; the maintainers decide.
    assert texts == ([expected[0], *expected] if stored else expected[1:])
    first = world.outbox.rows()[0]
    assert first.status is Status.UNCONFIRMED
    clock.advance(60)
    drain(world, settings_for(fake))
    assert len(fake.messages(A)) == len(texts), "never sent again automatically"
    if not stored:  # the maintainers checked the channel: it is missing
        assert world.outbox.retry([first.id]) == 1
        drain(world, settings_for(fake))
        assert [m.text or m.caption for m in fake.messages(A)] == [*expected[1:], expected[0]]
        assert world.outbox.get(first.id).status is Status.SENT  # type: ignore[union-attr]


def test_a_late_answer_is_repeated_once_then_left_unconfirmed_for_the_maintainers(
    world: World, fake: FakeTelegram, clock: FakeClock
):
    """Telegram stores the summary but answers late, again and again (issue #15): the summary
    appears at most twice (the one in-flight repeat), never five times."""
    two_versions(world)
    expected = [plain_text(m.html) for m in queued(world, "a-en")]
    fake.inject(A, Fault.timeout(1.5, store=True), times=4)
    settings = settings_for(fake, retries=2, read_timeout=0.5)
    drain(world, settings)
    clock.advance(3600)
    drain(world, settings)
    texts = [m.text or m.caption for m in fake.messages(A)]
    assert texts.count(expected[0]) == 2, "the one repeat the README allows, and no more"
    # The fault held back the next two answers too: the second message, likewise.
    assert texts == [expected[0], expected[0], expected[1], *expected[1:]]
    first, second = world.outbox.rows()[:2]
    assert first.status is second.status is Status.UNCONFIRMED
    assert "TimedOut" in first.last_error
    assert all(row.status is Status.SENT for row in world.outbox.rows() if row.channel == "b-fr")
    clock.advance(3600)
    drain(world, settings)
    assert len(fake.messages(A)) == len(texts), "an unconfirmed message is not sent again"
    notices = "\n".join(m.text or "" for m in fake.messages(MAINT))
    assert "a-en (-1001) not confirmed" in notices
    assert f"tracker outbox --retry {first.id}" in notices
    assert f"tracker outbox --retry {second.id}" in notices


def test_a_message_in_flight_at_two_deaths_is_not_sent_a_third_time(
    world: World, fake: FakeTelegram
):
    """Sends are counted before they start: a process killed mid-send twice (each time perhaps
    after Telegram stored the message) leaves the message for the maintainers."""
    two_versions(world)
    expected = [plain_text(m.html) for m in queued(world, "a-en")]
    first = world.outbox.rows()[0]
    world.outbox.begin_send(first.id)  # killed mid-send: the next drain may repeat it once...
    drain(world, settings_for(fake))
    assert world.outbox.get(first.id).status is Status.SENT  # type: ignore[union-attr]
    assert [m.text or m.caption for m in fake.messages(A)] == expected

    assert all(row.status is Status.SENT for row in world.outbox.rows())
    world.outbox.enqueue(
        "test:twice-killed",
        [Queued("a-en", str(A), Message(role="summary", html="<b>twice</b>"))],
        at=world.clock.now(),
    )
    [row] = world.outbox.pending()
    world.outbox.begin_send(row.id)  # ...but not after a second death
    world.outbox.begin_send(row.id)
    report = drain(world, settings_for(fake))
    assert report.unconfirmed == 1
    assert world.outbox.get(row.id).status is Status.UNCONFIRMED  # type: ignore[union-attr]
    assert "twice" not in [m.text for m in fake.messages(A)]
    [notice] = fake.messages(MAINT)
    assert "not confirmed" in (notice.text or "")


def test_a_single_late_answer_is_the_one_repeat_and_the_message_is_sent(
    world: World, fake: FakeTelegram
):
    two_versions(world)
    expected = [plain_text(m.html) for m in queued(world, "a-en")]
    fake.inject(A, Fault.timeout(1.5, store=True), times=1)
    report = drain(world, settings_for(fake, retries=2, read_timeout=0.5))
    assert report.failed == 0
    assert [m.text or m.caption for m in fake.messages(A)] == [expected[0], *expected]
    assert {row.status for row in world.outbox.rows()} == {Status.SENT}
    assert fake.messages(MAINT) == []


def test_a_group_upgraded_to_a_supergroup_gets_its_queued_and_future_alerts(
    world: World, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
):
    """Telegram answers 400 with ``migrate_to_chat_id`` (issue #15): the queued messages follow
    the chat, are delivered in order, and later alerts go there too although the channel's
    configuration still names the old id."""
    group, supergroup = -4001, -1004001
    channel_file(world.tmp / "config", "a-en", f'chat_id = "{group}"\ndocuments = ["linkedin/*"]\n')
    fake.upgrade_group(group, supergroup)
    two_versions(world)
    expected = [plain_text(m.html) for m in queued(world, "a-en")]
    with caplog.at_level(logging.WARNING, logger="tracker"):
        report = drain(world, settings_for(fake))
    assert report.failed == 0
    assert [m.text or m.caption for m in fake.messages(supergroup)] == expected
    summary, *replies = fake.messages(supergroup)
    assert all(m.reply_to_message_id == summary.message_id for m in replies), "still threaded"
    rows = [row for row in world.outbox.rows() if row.channel == "a-en"]
    assert {(row.chat_id, row.status) for row in rows} == {(str(supergroup), Status.SENT)}
    [warning] = [r for r in caplog.records if "moved" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert "a-en" in warning.getMessage() and "config/channels/a-en.toml" in warning.getMessage()
    [notice] = fake.messages(MAINT)
    assert f'set chat_id = "{supergroup}" in config/channels/a-en.toml' in (notice.text or "")
    to_group = [r for r in fake.requests if r.chat_id == group]
    assert len(to_group) == 1, "one refused request, then the new id only"

    # A later change: the configuration still says the old id; the alert goes to the new one.
    v3 = page_bytes(V2).replace(
        b"We may change this Privacy Policy", b"We may change this Privacy Policy at any time"
    )
    world.check(Reply(body=v3))
    later = [row for row in world.outbox.pending() if row.channel == "a-en"]
    assert later and {row.chat_id for row in later} == {str(supergroup)}
    drain(world, settings_for(fake))
    assert len(fake.messages(supergroup)) == len(expected) + len(later)
    assert [r for r in fake.requests if r.chat_id == group] == to_group
    assert len(fake.messages(MAINT)) == 1, "the maintainers are told once"


def test_delivery_problems_of_a_send_reach_the_maintainers_as_one_notice_and_only_them(
    world: World, fake: FakeTelegram
):
    """Issue #15 (after issue 7's outages): failures of several channels and messages are one
    notice, an outage of two documents is one notice, and none reaches a subscriber's chat."""
    fake.remove_channel(B)  # b-fr fails as a chat
    two_versions(world)
    world.outbox.enqueue(  # two messages of a-en fail one by one, a third goes through
        "test:bad",
        [
            Queued("a-en", str(A), Message(role="summary", html="<p>one</p>")),
            Queued("a-en", str(A), Message(role="summary", html="two<br>")),
            Queued("a-en", str(A), Message(role="summary", html="<b>fine</b>")),
        ],
        at=world.clock.now(),
    )
    alerts = alerts_for(world, settings_for(fake))
    document = world.document()
    for host_mate in (document, replace(document, id="linkedin/user-agreement")):
        alerts.outages.failed(host_mate, "http-999")
    drain(world, settings_for(fake))
    outage, problems = fake.messages(MAINT)
    assert "inaccessible (http-999)" in (outage.text or "")
    assert "linkedin/privacy-policy" in (outage.text or "")
    assert "linkedin/user-agreement" in (outage.text or ""), "one notice for the outage"
    text = problems.text or ""
    assert text.startswith("⚠️ Telegram delivery: 3 problems")
    assert "b-fr (@veille_test) failed" in text and "chat not found" in text.lower()
    assert text.count("a-en (-1001) failed") == 2
    assert 'unsupported start tag "p"' in text.lower()
    assert 'unsupported start tag "br"' in text.lower()
    subscribers = [m.text or m.caption or "" for m in fake.messages(A)]
    assert "fine" in subscribers
    assert not any("⚠️" in m or "inaccessible" in m for m in subscribers)
    assert fake.messages(B) == []
    notices = [row for row in world.outbox.rows() if row.message.role == "maintainers"]
    assert {row.chat_id for row in notices} == {str(MAINT)}
    assert {r.chat_id for r in fake.requests_to("sendMessage") if "⚠️" in r.params["text"]} == {
        MAINT
    }

    # Once that notice is sent, a new problem is a new notice of its own.
    world.outbox.enqueue(
        "test:bad-again",
        [Queued("a-en", str(A), Message(role="summary", html="<p>three</p>"))],
        at=world.clock.now(),
    )
    drain(world, settings_for(fake))
    later = fake.messages(MAINT)[-1].text or ""
    assert len(fake.messages(MAINT)) == 3
    assert later.startswith("⚠️ Telegram delivery to a-en (-1001) failed")


def test_without_a_token_alerts_are_printed_once_and_kept_pending(world: World, fake: FakeTelegram):
    two_versions(world)
    printed: list[str] = []
    no_token = settings_for(fake, token=None)
    drain(world, no_token, printed)
    assert any("LinkedIn Privacy Policy" in line for line in printed)
    assert any("no TELEGRAM_BOT_TOKEN" in line for line in printed)
    assert "<b>" not in "\n".join(printed), "printed as a person reads it"
    again: list[str] = []
    drain(world, no_token, again)
    assert again == [], "shown once"
    assert {row.status for row in world.outbox.rows()} == {Status.PENDING}
    assert fake.requests == []
    drain(world, settings_for(fake))
    assert {row.status for row in world.outbox.rows()} == {Status.SENT}


def test_a_wrong_token_sends_nothing_and_says_so(world: World, fake: FakeTelegram):
    two_versions(world)
    report = drain(world, settings_for(fake, token="999:WRONG"))
    assert "rejected TELEGRAM_BOT_TOKEN" in report.stopped
    assert report.sent == 0
    assert {row.status for row in world.outbox.rows()} == {Status.PENDING}


def test_a_deferred_message_is_not_retried_before_its_time(
    world: World, fake: FakeTelegram, clock: FakeClock
):
    two_versions(world)
    first = world.outbox.rows()[0]
    world.outbox.defer(first.id, "test", clock.now() + timedelta(minutes=5))
    report = drain(world, settings_for(fake))
    assert fake.messages(A) == []
    assert report.deferred == len(queued(world, "a-en"))
    clock.advance(301)
    drain(world, settings_for(fake))
    assert len(fake.messages(A)) == len(queued(world, "a-en"))


def test_minor_changes_go_out_as_one_digest_at_the_digest_time(
    world: World, fake: FakeTelegram, clock: FakeClock
):
    world.check(Reply.page(V1))
    typo = page_bytes(V1).replace(b"succeed. To do that", b"succeed; to do that", 1)
    world.check(Reply(body=typo))
    world.check(Reply(body=typo.replace(b"Our mission", b"Our Mission", 1)))
    assert drain(world, settings_for(fake)).sent == 0, "held until the digest time"
    assert fake.messages(B) == [] and fake.messages(A) == [], "minor: no post"
    clock.advance(86_400)
    drain(world, settings_for(fake))
    [digest] = fake.messages(B)
    assert digest.text is not None
    assert digest.text.startswith("🗂 Modifications mineures depuis le dernier résumé")
    assert digest.text.count("LinkedIn Privacy Policy") == 2, "both minor changes, one message"
    assert fake.messages(A) == [], "a channel without a digest gets nothing for minor changes"


def test_a_chat_that_stays_flooded_is_left_for_a_later_send(
    world: World, fake: FakeTelegram, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("tracker.notify.delivery.MAX_FLOOD_WAITS", 1)
    two_versions(world)
    fake.inject(A, Fault.flood(retry_after=1), times=3)
    report = drain(world, settings_for(fake))
    assert report.deferred == len(queued(world, "a-en"))
    assert fake.messages(A) == []
    first = world.outbox.rows()[0]
    assert first.last_error == "flood control: retry after 1s"
    assert first.not_before is not None and first.not_before > clock.now()
    clock.advance(2)
    drain(world, settings_for(fake))
    assert len(fake.messages(A)) == len(queued(world, "a-en"))


def test_with_nothing_to_send_telegram_is_not_contacted(world: World, fake: FakeTelegram):
    world.check(Reply.page(V1))
    report = drain(world, settings_for(fake))
    assert (report.sent, report.stopped) == (0, "")
    assert fake.requests == [], "no getMe every minute for an empty outbox"
