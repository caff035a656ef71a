"""Acceptance: the real EU notice change of 3 November 2025, from captured pages to two Telegram
channels, through the tracker as a user runs it (``tracker check``, ``tracker send``).

Two captures of LinkedIn's European Regional Privacy Notice from the corpus (2025-09-18 and
2025-11-04) are served on 127.0.0.1; the change is posted to a French channel that follows
everything and to an English one filtered on ``ai_training``. The fake Bot API parses every
message with TDLib itself when the ``tdjson`` wheel is installed. A 429 storm hits both
channels and the sender is killed with SIGKILL mid-delivery; a restart completes delivery.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import time
from collections.abc import Callable, Iterator

import pytest

from tests.corpus import CORPUS, REQUIRES_CORPUS
from tests.fake_telegram import FakeTelegram, Fault
from tests.servers import PageServer, Reply
from tests.test_cli import Cli, cli  # noqa: F401 - the fixture
from tracker.notify.delivery import plain_text
from tracker.notify.outbox import Outbox
from tracker.state.store import State
from tracker.timestamps import utc_now

pytestmark = [*REQUIRES_CORPUS, pytest.mark.slow]

PAGES = CORPUS / "linkedin" / "eu-regional-privacy-notice" / "html" / "en_pga-reconstructed"
DOC = "linkedin/eu-regional-privacy-notice"
FR, EN = -1001111, -1002222


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    # Telegram's own per-channel window is ~20 a minute; a small one here makes the storm real.
    with FakeTelegram(per_chat_per_minute=4, per_chat_window=2.0) as server:
        server.add_channel(FR, "veille_linkedin")
        server.add_channel(EN, "linkedin_ai_watch")
        yield server


def test_the_generative_ai_change_reaches_both_channels_whole_once_and_in_order(
    cli: Cli,  # noqa: F811
    page_server: PageServer,
    fake: FakeTelegram,
):
    page_server.route(
        "/legal/privacy/eu", Reply(body=(PAGES / "2025-09-18T12-34-39Z.html").read_bytes())
    )
    cli.document(DOC, page_server.url("/legal/privacy/eu"))
    channels = cli.config / "channels"
    channels.mkdir(parents=True)
    (channels / "veille-fr.toml").write_text(
        'chat_id = "@veille_linkedin"\ndocuments = ["linkedin/*"]\nlanguage = "fr"\n'
    )
    (channels / "ai-en.toml").write_text(
        'chat_id = "@linkedin_ai_watch"\ndocuments = ["linkedin/*"]\nlabels = ["ai_training"]\n'
        'public_url = "https://archive.example.org/snapshots/"\n'
    )
    with (cli.config / "tracker.toml").open("a") as handle:
        handle.write("[telegram]\npace_seconds = 0.2\nmax_retry_after = 10\nretries = 2\n")
    cli("check")
    page_server.route(
        "/legal/privacy/eu", Reply(body=(PAGES / "2025-11-04T00-35-00Z.html").read_bytes())
    )
    assert "new version" in cli("check").stdout

    state = State(f"sqlite:///{cli.tmp}/state.db")
    rows = Outbox(state, utc_now()).pending()
    state.close()
    expected = {
        chat: [plain_text(r.message.html) for r in rows if r.chat_id == name]
        for chat, name in ((FR, "@veille_linkedin"), (EN, "@linkedin_ai_watch"))
    }
    assert all(len(texts) >= 3 for texts in expected.values())

    # Deliver through a 429 storm, and kill the sender in the middle.
    cli.env["TELEGRAM_BOT_TOKEN"] = fake.token
    cli.env["TELEGRAM_API_BASE_URL"] = fake.base_url
    fake.inject(FR, Fault.flood(retry_after=1), times=2)
    fake.inject(EN, Fault.flood(retry_after=1), times=2)
    fake.inject(EN, Fault.hang(), method="sendDocument")
    process = cli.popen("send")
    _wait_until(
        lambda: (
            any(r.chat_id == EN and r.method == "sendDocument" for r in fake.requests)
            and len(fake.messages(FR)) == len(expected[FR])
            and _marked_sent(cli, "@veille_linkedin") == len(expected[FR])
        )
    )
    # Killed with the French messages marked sent: outside the window in which a message
    # Telegram has taken but the outbox has not yet marked may be sent again (README).
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    fake.release()
    cli("send")

    for chat, texts in expected.items():
        stored = fake.messages(chat)
        assert [m.text or m.caption for m in stored] == texts, "whole, once, in order"
        assert all(not m.warnings for m in stored), "no entity beyond Telegram's 100"
        summary, *replies = stored
        assert {m.reply_to_message_id for m in replies} == {summary.message_id}
        assert (
            replies[-1].document_name == f"linkedin-eu-regional-privacy-notice-{_stamp(cli)}.html"
        )
    floods = [r for r in fake.requests if r.status == 429]
    assert len(floods) >= 4, "the storm happened (injected and from the per-chat window)"
    if importlib.util.find_spec("tdjson") is not None:
        assert fake.parser_name == "tdjson", "TDLib itself accepted every message"

    french = "\n".join(m.text or "" for m in fake.messages(FR))
    assert "Modification de fond" in french
    assert "en vigueur le 3 nov. 2025" in french
    assert "#legitimate_interests" in french and "#ai_training" in french
    assert "To train our content-generating Generative AI systems" in french
    assert "+intérêts légitimes" in french
    assert "entraînement d'IA\u00a0: «\u00a0" in french, "French typography around matched words"

    english = "\n".join(m.text or "" for m in fake.messages(EN))
    assert "Legal basis changed: +legitimate interests" in english
    first_clause = fake.messages(EN)[1].text or ""
    assert "+AI training" in first_clause, "the AI clauses come first"
    assert "AI training: “" in english
    links = {e.url for e in fake.messages(EN)[0].entities if e.type == "text_link"}
    assert (
        "https://archive.example.org/snapshots/linkedin/eu-regional-privacy-notice/changes/"
        f"{_stamp(cli)}.html"
    ) in links


def _sent(cli: Cli, chat: str) -> int:  # noqa: F811
    state = State(f"sqlite:///{cli.tmp}/state.db")
    try:
        rows = state.read(
            "SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND status = 'sent'", (chat,)
        )
    finally:
        state.close()
    return int(rows[0][0])


def _marked_sent(cli: Cli, chat: str) -> int:  # noqa: F811
    """How many of ``chat``'s messages the outbox marks sent (read by another process)."""
    state = State(f"sqlite:///{cli.tmp}/state.db")
    try:
        return sum(1 for r in Outbox(state, utc_now()).rows() if r.chat_id == chat and r.sent_at)
    finally:
        state.close()


def _wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the sender did not get there in time"
        time.sleep(0.05)


def _stamp(cli: Cli) -> str:  # noqa: F811
    return sorted(p.stem for p in (cli.archive / DOC / "versions").glob("*.md"))[-1]
