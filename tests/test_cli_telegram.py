"""``tracker check | send | outbox`` with Telegram, run as processes against loopback servers:
the page server, and the fake Bot API server through TELEGRAM_API_BASE_URL."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram, Fault
from tests.servers import PageServer, Reply, page_bytes
from tests.test_cli import Cli, cli  # noqa: F401 - the fixture
from tracker.notify.delivery import plain_text
from tracker.notify.outbox import Outbox, Status
from tracker.state.store import State
from tracker.timestamps import utc_now

DOC = "linkedin/privacy-policy"
A = -1001234
MAINT = -1009999


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        server.add_channel(A, "policy_watch_en")
        server.add_channel(MAINT)
        yield server


@pytest.fixture
def tracker(cli: Cli, page_server: PageServer) -> Cli:  # noqa: F811
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    cli.document(DOC, page_server.url("/p"))
    (cli.config / "channels").mkdir(parents=True)
    (cli.config / "channels" / "watch.toml").write_text(
        'chat_id = "@policy_watch_en"\ndocuments = ["linkedin/*"]\n'
    )
    with (cli.config / "tracker.toml").open("a") as handle:
        handle.write(f'[telegram]\nmaintainers_chat_id = "{MAINT}"\npace_seconds = 0\n')
    return cli


def new_version(tracker: Cli, page_server: PageServer) -> None:
    tracker("check")
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v2.html"))


def outbox(tracker: Cli) -> Outbox:
    return Outbox(State(f"sqlite:///{tracker.tmp}/state.db"), utc_now())


def connect(tracker: Cli, fake: FakeTelegram) -> None:
    tracker.env["TELEGRAM_BOT_TOKEN"] = fake.token
    tracker.env["TELEGRAM_API_BASE_URL"] = fake.base_url


def test_without_a_token_check_prints_the_alert_and_keeps_it(tracker: Cli, page_server: PageServer):
    new_version(tracker, page_server)
    out = tracker("check").stdout
    assert "linkedin/privacy-policy: new version" in out
    assert "[watch → @policy_watch_en] summary" in out
    assert "Substantive change" in out
    assert "no TELEGRAM_BOT_TOKEN" in out
    assert "<b>" not in out
    again = tracker("check").stdout
    assert "summary" not in again, "an alert is shown once"
    listed = tracker("outbox").stdout
    assert listed.startswith("outbox: ")
    assert "pending" in listed.splitlines()[0]
    assert "watch" in listed and "summary" in listed
    shown = tracker("send", "--all").stdout
    assert "Substantive change" in shown, "send --all prints every pending message again"


def test_send_posts_once_and_the_token_never_reaches_the_logs(
    tracker: Cli, page_server: PageServer, fake: FakeTelegram
):
    new_version(tracker, page_server)
    tracker("check")
    connect(tracker, fake)
    done = tracker("--log-level", "debug", "send")
    assert "telegram: 3 sent, 0 failed" in done.stdout
    assert fake.token not in done.stdout + done.stderr
    assert fake.token.split(":")[1] not in done.stdout + done.stderr
    stored = fake.messages(A)
    assert len(stored) == 3
    assert stored[-1].document_name is not None
    again = tracker("send")
    assert "telegram: 0 sent" in again.stdout
    assert len(fake.messages(A)) == 3
    listed = tracker("outbox", "--all").stdout
    assert "3 sent" in listed.splitlines()[0]
    for folder in (tracker.archive, tracker.tmp / "config"):
        for path in folder.rglob("*"):
            if path.is_file():
                assert fake.token.encode() not in path.read_bytes(), path
    assert fake.token.encode() not in (tracker.tmp / "state.db").read_bytes()


def test_failed_messages_are_listed_and_retried(
    tracker: Cli, page_server: PageServer, fake: FakeTelegram
):
    fake.update_channel(A, admin=False)
    new_version(tracker, page_server)
    connect(tracker, fake)
    done = tracker("check", code=0)
    assert "3 failed" in done.stdout
    assert "need administrator rights" in done.stderr.lower()
    assert "tracker outbox --retry-failed" in done.stderr
    assert tracker("send", code=1).stdout.startswith("telegram: 0 sent")
    listed = tracker("outbox").stdout
    assert "3 failed" in listed.splitlines()[0]
    assert "need administrator rights in the channel chat" in listed.lower()
    [notice] = fake.messages(MAINT)
    assert "watch (@policy_watch_en) failed" in notice.text
    fake.update_channel(A, admin=True)
    assert "3 failed messages queued again" in tracker("outbox", "--retry-failed").stdout
    tracker("send")
    assert len(fake.messages(A)) == 3


def test_outbox_preview_shows_the_messages_as_telegram_parses_them(
    tracker: Cli, page_server: PageServer
):
    new_version(tracker, page_server)
    tracker("check")
    page = tracker.tmp / "preview.html"
    assert "preview of 3 messages" in tracker("outbox", "--preview", str(page)).stdout
    html = page.read_text()
    assert "Telegram would refuse" not in html
    assert "<u>" in html and "reply to the summary" in html


def test_kill_9_mid_delivery_then_a_restart_completes_it_in_order(
    tracker: Cli, page_server: PageServer, fake: FakeTelegram
):
    # Several changes so that there is something after the killed message.
    new_version(tracker, page_server)
    tracker("check")
    v3 = page_bytes("linkedin/privacy-policy/v2.html").replace(
        b"We may change this Privacy Policy", b"We may change this Privacy Policy at any time"
    )
    page_server.route("/p", Reply(body=v3))
    tracker("check")
    box = outbox(tracker)
    expected = [plain_text(row.message.html) for row in box.pending()]
    assert len(expected) == 6
    connect(tracker, fake)
    fake.inject(A, Fault.hang(), method="sendDocument")  # the 3rd message of the 1st post
    process = tracker.popen("send")
    fake.wait_for_requests(1, method="sendDocument", timeout=30)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    fake.release()
    assert len(fake.messages(A)) == 2, "killed while Telegram had not stored the 3rd"
    box = outbox(tracker)
    assert [row.status for row in box.rows()][:2] == [Status.SENT, Status.SENT]
    tracker("send")
    texts = [m.text or m.caption for m in fake.messages(A)]
    assert texts == expected, "every message once, in order"
    summary_ids = [m.message_id for m in fake.messages(A) if m.reply_to_message_id is None]
    assert len(summary_ids) == 2
    replies = [m for m in fake.messages(A) if m.reply_to_message_id is not None]
    assert {m.reply_to_message_id for m in replies} == set(summary_ids)


def test_kill_9_after_telegram_stored_the_message_repeats_that_one_only(
    tracker: Cli, page_server: PageServer, fake: FakeTelegram
):
    new_version(tracker, page_server)
    tracker("check")
    expected = [plain_text(row.message.html) for row in outbox(tracker).pending()]
    connect(tracker, fake)
    fake.inject(A, Fault.after_store_hang(), method="sendDocument")
    process = tracker.popen("send")
    fake.wait_for_requests(1, method="sendDocument", timeout=30)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    fake.release()
    tracker("send")
    texts = [m.text or m.caption for m in fake.messages(A)]
    assert texts == [*expected, expected[-1]], "the README's one exception, and only it"


def test_a_document_inaccessible_k_times_reaches_the_maintainers_channel(
    tracker: Cli, page_server: PageServer, fake: FakeTelegram
):
    tracker("check")
    page_server.route("/p", Reply(status=999, body=page_bytes("blocked/status-999.html")))
    connect(tracker, fake)
    for _ in range(3):
        tracker("check")
    [notice] = fake.messages(MAINT)
    assert "127.0.0.1 inaccessible (http-999) since" in notice.text
    assert "linkedin/privacy-policy" in notice.text
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    tracker("check")
    assert "127.0.0.1 accessible again after" in fake.messages(MAINT)[-1].text
    assert fake.messages(A) == [], "access trouble is not a change"


def test_bad_channel_config_names_the_file(tracker: Cli):
    path: Path = tracker.config / "channels" / "watch.toml"
    path.write_text('chat_id = "policy watch"\ndocuments = ["linkedin/*"]\n')
    done = tracker("send", code=2)
    assert f"{path}: chat_id:" in done.stderr


def test_run_posts_a_change_right_after_the_check_that_found_it(
    tracker: Cli, page_server: PageServer, fake: FakeTelegram, tmp_path: Path
):
    history = tmp_path / "history"
    history.mkdir()
    (history / "2025-01-01T00-00-00Z.html").write_bytes(
        page_bytes("linkedin/privacy-policy/v1.html")
    )
    tracker("import", str(history), "--document", DOC)
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v2.html"))
    connect(tracker, fake)
    worker = tracker.popen("run")
    try:
        deadline = time.monotonic() + 30
        while len(fake.messages(A)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    stored = fake.messages(A)
    assert len(stored) == 3, "summary, clauses, document"
    assert "Substantive change" in (stored[0].text or "")


def test_validate_telegram_asks_whether_the_bot_may_post_everywhere(
    tracker: Cli, fake: FakeTelegram
):
    done = tracker("validate", "--telegram", code=1)
    assert "TELEGRAM_BOT_TOKEN is not set" in done.stderr
    connect(tracker, fake)
    done = tracker("validate", "--telegram")
    assert "telegram @policy_watch_en: ok" in done.stdout
    assert f"telegram {MAINT}: ok" in done.stdout
    fake.update_channel(A, can_post=False)
    done = tracker("validate", "--telegram", code=1)
    assert "admin without 'post messages'" in done.stdout
    fake.update_channel(A, can_post=True, admin=False)
    assert "the bot is member, not an admin" in tracker("validate", "--telegram", code=1).stdout
    fake.remove_channel(MAINT)
    assert "Chat not found" in tracker("validate", "--telegram", code=1).stdout
    tracker.env["TELEGRAM_BOT_TOKEN"] = "1:WRONG"
    assert "rejected TELEGRAM_BOT_TOKEN" in tracker("validate", "--telegram", code=1).stdout
