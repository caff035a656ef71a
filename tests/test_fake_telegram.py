"""tests/fake_telegram/: the fake Bot API, driven by the real python-telegram-bot over loopback.

Each failure row of telegram.md §5.2 is provoked through ``telegram.Bot`` and must surface as the
exception class and message PTB raises against the real Telegram; the wire format (429 body and
header, urlencoded/JSON/multipart bodies) is checked with plain ``urllib`` requests.
``PTB_TIMEDELTA`` is set for every test, so ``RetryAfter.retry_after`` is a ``timedelta`` and PTB
issues no deprecation warning.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import pytest
import telegram
from telegram import LinkPreviewOptions, ReplyParameters
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from tests.fake_telegram import ERRORS, FakeTelegram, Fault, TdjsonOracle

CHANNEL = -1001234567890  # public: @legal_eu
PRIVATE = -1009876543210  # no username
T = TypeVar("T")

#: Telegram's error descriptions, as the Bot API sends them (telegram.md §1 and §5.2).
GOLDEN_ERRORS = (
    "Unauthorized",
    "Not Found",
    "Not Found: method not found",
    "Bad Request: chat_id is empty",
    "Bad Request: chat not found",
    "Forbidden: bot is not a member of the channel chat",
    "Forbidden: bot was kicked from the channel chat",
    "Bad Request: need administrator rights in the channel chat",
    "Bad Request: message text is empty",
    "Bad Request: text is too long",
    "Bad Request: text must be non-empty",
    "Bad Request: message is too long",
    "Bad Request: message caption is too long",
    "Bad Request: unsupported parse_mode",
    "Bad Request: can't parse entities: %s",
    "Bad Request: message to be replied not found",
    "Bad Request: message thread not found",
    "Bad Request: message to edit not found",
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message",
    "Bad Request: message to delete not found",
    "Bad Request: message_id is empty",
    "Bad Request: there is no document in the request",
    "Bad Request: file must be non-empty",
    "Bad Request: wrong file identifier/HTTP URL specified",
    "Bad Request: invalid file_id",
    "Bad Request: user not found",
    "Bad Request: can't parse %s JSON object",
    "Bad Request: receive an entity with incorrect offset %d",
    "Bad Request: receive an entity with incorrect length %d",
    "Bad Request: entity begins after the end of the text at UTF-16 offset %d",
    "Bad Request: entity beginning at UTF-16 offset %d ends after the end of the text at UTF-16"
    " offset %d",
    "Too Many Requests: retry after %d",
    "Forbidden: bot was blocked by the user",
    "Bad Request: query is too old and response timeout expired or query ID is invalid",
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete"
    " the webhook first",
    "Bad Request: BUTTON_DATA_INVALID",
    "Bad Request: there are no administrators in the private chat",
)


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """``RetryAfter.retry_after`` as a ``timedelta``, the way the product runs PTB."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """A fake with one public and one private channel where the bot may post."""
    with FakeTelegram() as server:
        server.add_channel(CHANNEL, "legal_eu", title="Legal EU")
        server.add_channel(PRIVATE, title="Private")
        yield server


def call(
    fake: FakeTelegram, action: Callable[[telegram.Bot], Awaitable[T]], *, token: str = ""
) -> T:
    """Run ``action`` with an initialised ``telegram.Bot`` pointed at ``fake``."""

    async def main() -> T:
        bot = telegram.Bot(
            token or fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url
        )
        async with bot:
            return await action(bot)

    return asyncio.run(main())


def raw_request(
    fake: FakeTelegram,
    method: str,
    *,
    query: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    body: Any = None,
    token: str = "",
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """One plain HTTP request (no PTB): status, JSON body, headers."""
    url = f"{fake.base_url}{token or fake.token}/{method}"
    if query:
        url += "?" + urlencode(query)
    data, headers = None, {}
    if form is not None:
        data = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read()), dict(exc.headers)


# ----------------------------------------------------------------------------- happy paths


def test_send_message_threads_silently_with_preview_options(fake: FakeTelegram) -> None:
    async def post(bot: telegram.Bot) -> tuple[telegram.Message, telegram.Message]:
        summary = await bot.send_message(
            CHANNEL,
            "<b>LinkedIn</b> changed 2 clauses &amp; more",
            parse_mode="HTML",
            link_preview_options=LinkPreviewOptions(
                url="https://archive.example.org/c.html", prefer_small_media=True
            ),
        )
        reply = await bot.send_message(
            "@legal_eu",
            "➖ <s>old</s>\n➕ <u>new</u>",
            parse_mode="HTML",
            reply_parameters=ReplyParameters(summary.message_id),
            disable_notification=True,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return summary, reply

    summary, reply = call(fake, post)
    assert summary.text == "LinkedIn changed 2 clauses & more"
    assert summary.entities[0].type == "bold"
    assert summary.chat.id == CHANNEL
    assert summary.chat.username == "legal_eu"
    assert summary.sender_chat is not None
    assert reply.message_id == summary.message_id + 1
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == summary.message_id
    assert [(e.type, e.offset, e.length) for e in reply.entities] == [
        ("strikethrough", 2, 3),
        ("underline", 8, 3),
    ]
    first, second = fake.messages(CHANNEL)
    assert first.parse_mode == "HTML"
    assert first.raw == "<b>LinkedIn</b> changed 2 clauses &amp; more"
    assert first.link_preview_options == {
        "url": "https://archive.example.org/c.html",
        "prefer_small_media": True,
    }
    assert first.disable_notification is False
    assert first.reply_to_message_id is None
    assert second.disable_notification is True
    assert second.reply_to_message_id == first.message_id
    assert second.link_preview_options == {"is_disabled": True}
    assert second.warnings == ()
    assert fake.messages("@legal_eu") == [first, second]


def test_send_document_is_a_multipart_upload_kept_byte_for_byte(fake: FakeTelegram) -> None:
    page = "<!DOCTYPE html><title>Änderungen</title>\r\n--boundary-like\r\n".encode() + bytes(256)

    async def post(bot: telegram.Bot) -> tuple[telegram.Message, bytes]:
        sent = await bot.send_document(
            PRIVATE,
            page,
            filename="linkedin-privacy-policy-2026-03-02T06-15-00Z.html",
            caption="Full diff <i>(HTML)</i>",
            parse_mode="HTML",
            disable_notification=True,
        )
        assert sent.document is not None
        downloaded = await (await sent.document.get_file()).download_as_bytearray()
        return sent, bytes(downloaded)

    sent, downloaded = call(fake, post)
    assert sent.document is not None
    assert sent.document.file_name == "linkedin-privacy-policy-2026-03-02T06-15-00Z.html"
    assert sent.document.mime_type == "text/html"
    assert sent.document.file_size == len(page)
    assert sent.caption == "Full diff (HTML)"
    assert [(e.type, e.offset, e.length) for e in sent.caption_entities] == [("italic", 10, 6)]
    assert downloaded == page
    [stored] = fake.messages(PRIVATE)
    assert stored.document_name == "linkedin-privacy-policy-2026-03-02T06-15-00Z.html"
    assert stored.document_bytes == page
    assert stored.caption == "Full diff (HTML)"
    assert stored.disable_notification is True
    [request] = fake.requests_to("sendDocument")
    assert request.params["document"] == (stored.document_name, len(page))


def test_get_chat_and_get_chat_member_answer_the_start_up_check(fake: FakeTelegram) -> None:
    async def check(bot: telegram.Bot) -> tuple[Any, Any]:
        return await bot.get_chat("@legal_eu"), await bot.get_chat_member(CHANNEL, bot.id)

    chat, member = call(fake, check)
    assert (chat.id, chat.type, chat.title) == (CHANNEL, "channel", "Legal EU")
    assert isinstance(member, telegram.ChatMemberAdministrator)
    assert member.can_post_messages is True
    fake.update_channel(CHANNEL, can_post=False)
    member = call(fake, lambda bot: bot.get_chat_member(CHANNEL, bot.id))
    assert isinstance(member, telegram.ChatMemberAdministrator)
    assert member.can_post_messages is False
    fake.update_channel(CHANNEL, admin=False)
    assert isinstance(
        call(fake, lambda bot: bot.get_chat_member(CHANNEL, bot.id)), telegram.ChatMemberMember
    )


def test_edit_and_delete(fake: FakeTelegram) -> None:
    async def edit(bot: telegram.Bot) -> telegram.Message | bool:
        sent = await bot.send_message(CHANNEL, "draft")
        edited = await bot.edit_message_text(
            "<b>final</b>", CHANNEL, sent.message_id, parse_mode="HTML"
        )
        assert await bot.delete_message(CHANNEL, sent.message_id) is True
        return edited

    edited = call(fake, edit)
    assert isinstance(edited, telegram.Message)
    assert edited.text == "final"
    assert edited.edit_date is not None
    assert fake.messages(CHANNEL) == []
    [deleted] = fake.messages(CHANNEL, include_deleted=True)
    assert (deleted.text, deleted.deleted) == ("final", True)


def test_message_ids_stay_unique_and_increasing_under_concurrent_senders(
    fake: FakeTelegram,
) -> None:
    def send(k: int) -> None:
        raw_request(fake, "sendMessage", form={"chat_id": str(PRIVATE), "text": f"n{k}"})

    threads = [threading.Thread(target=send, args=(k,)) for k in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = fake.messages(PRIVATE)
    assert [m.message_id for m in stored] == list(range(1, 13))
    assert sorted(m.text or "" for m in stored) == sorted(f"n{k}" for k in range(12))


# ------------------------------------------------------------------------------- failures

FAILURES: list[tuple[str, Callable[[FakeTelegram], object], Any, type[TelegramError], str]] = [
    (
        "unknown chat",
        lambda fake: None,
        lambda bot: bot.send_message(-1001111111111, "x"),
        BadRequest,
        "Chat not found",
    ),
    (
        "private channel by username",
        lambda fake: None,
        lambda bot: bot.send_message("@private", "x"),
        BadRequest,
        "Chat not found",
    ),
    (
        "not a member",
        lambda fake: fake.update_channel(CHANNEL, member=False),
        lambda bot: bot.send_message(CHANNEL, "x"),
        Forbidden,
        "Forbidden: bot is not a member of the channel chat",
    ),
    (
        "kicked",
        lambda fake: fake.update_channel(CHANNEL, kicked=True),
        lambda bot: bot.send_message(CHANNEL, "x"),
        Forbidden,
        "Forbidden: bot was kicked from the channel chat",
    ),
    (
        "not an admin",
        lambda fake: fake.update_channel(CHANNEL, admin=False),
        lambda bot: bot.send_message(CHANNEL, "x"),
        BadRequest,
        "Need administrator rights in the channel chat",
    ),
    (
        "no right to post",
        lambda fake: fake.update_channel(CHANNEL, can_post=False),
        lambda bot: bot.send_document(CHANNEL, b"x", filename="a.html"),
        BadRequest,
        "Need administrator rights in the channel chat",
    ),
    (
        "<br>",
        lambda fake: None,
        lambda bot: bot.send_message(CHANNEL, "line<br>two", parse_mode="HTML"),
        BadRequest,
        'Can\'t parse entities: unsupported start tag "br" at byte offset 4',
    ),
    (
        "cut through a tag",
        lambda fake: None,
        lambda bot: bot.send_message(CHANNEL, "<s>" + "x" * 3600, parse_mode="HTML"),
        BadRequest,
        "Can't parse entities: can't find end tag corresponding to start tag \"s\"",
    ),
    (
        "4097 characters",
        lambda fake: None,
        lambda bot: bot.send_message(CHANNEL, "<b>" + "a" * 4097 + "</b>", parse_mode="HTML"),
        BadRequest,
        "Message is too long",
    ),
    (
        "1025-character caption",
        lambda fake: None,
        lambda bot: bot.send_document(CHANNEL, b"x", filename="a.html", caption="é" * 1025),
        BadRequest,
        "Message caption is too long",
    ),
    (
        "32769 raw bytes",
        lambda fake: None,
        lambda bot: bot.send_message(CHANNEL, "&amp;" * 6554, parse_mode="HTML"),
        BadRequest,
        "Text is too long",
    ),
    (
        "empty text",
        lambda fake: None,
        lambda bot: bot.send_message(CHANNEL, ""),
        BadRequest,
        "Message text is empty",
    ),
    (
        "whitespace only after parsing",
        lambda fake: None,
        lambda bot: bot.send_message(CHANNEL, " <b> \n</b> ", parse_mode="HTML"),
        BadRequest,
        "Text must be non-empty",
    ),
    (
        "bad parse mode",
        lambda fake: None,
        lambda bot: bot.send_message(CHANNEL, "x", parse_mode="XML"),
        BadRequest,
        "Unsupported parse_mode",
    ),
    (
        "reply to a missing message",
        lambda fake: None,
        lambda bot: bot.send_message(CHANNEL, "x", reply_parameters=ReplyParameters(999)),
        BadRequest,
        "Message to be replied not found",
    ),
    (
        "thread in a channel",
        lambda fake: None,
        lambda bot: bot.send_message(CHANNEL, "x", message_thread_id=3),
        BadRequest,
        "Message thread not found",
    ),
    (
        "edit of a missing message",
        lambda fake: None,
        lambda bot: bot.edit_message_text("x", CHANNEL, 999),
        BadRequest,
        "Message to edit not found",
    ),
    (
        "delete of a missing message",
        lambda fake: None,
        lambda bot: bot.delete_message(CHANNEL, 999),
        BadRequest,
        "Message to delete not found",
    ),
    (
        "flood",
        lambda fake: fake.inject(CHANNEL, Fault.flood(retry_after=7)),
        lambda bot: bot.send_message(CHANNEL, "x"),
        RetryAfter,
        "Flood control exceeded. Retry in 0:00:07",
    ),
    (
        "502",
        lambda fake: fake.inject(CHANNEL, Fault.server_error(502)),
        lambda bot: bot.send_message(CHANNEL, "x"),
        NetworkError,
        "Bad Gateway (502). Parsing the server response",
    ),
    (
        "not JSON",
        lambda fake: fake.inject(CHANNEL, Fault.not_json()),
        lambda bot: bot.send_message(CHANNEL, "x"),
        TelegramError,
        "Invalid server response",
    ),
    (
        "migrated group",
        lambda fake: fake.inject(
            CHANNEL,
            Fault.error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=-1005,
            ),
        ),
        lambda bot: bot.send_message(CHANNEL, "x"),
        ChatMigrated,
        "Group migrated to supergroup. New chat id: -1005",
    ),
]


def test_an_upgraded_group_answers_with_its_supergroup_which_accepts_messages(
    fake: FakeTelegram,
) -> None:
    fake.upgrade_group(-4001, -1004001, title="Now a supergroup")
    with pytest.raises(ChatMigrated) as caught:
        call(fake, lambda bot: bot.send_message(-4001, "x"))
    assert caught.value.new_chat_id == -1004001
    assert fake.requests[-1].description.startswith(
        "Bad Request: group chat was upgraded to a supergroup chat"
    )
    sent = call(fake, lambda bot: bot.send_message(-1004001, "x"))
    assert sent.chat.type == "supergroup"
    assert [m.text for m in fake.messages(-1004001)] == ["x"]
    assert fake.messages(-4001) == []


@pytest.mark.parametrize(
    ("setup", "action", "error", "message"),
    [case[1:] for case in FAILURES],
    ids=[case[0] for case in FAILURES],
)
def test_each_failure_surfaces_as_ptb_raises_it_against_telegram(
    fake: FakeTelegram,
    setup: Callable[[FakeTelegram], object],
    action: Callable[[telegram.Bot], Awaitable[Any]],
    error: type[TelegramError],
    message: str,
) -> None:
    setup(fake)
    with pytest.raises(TelegramError) as caught:
        call(fake, action)
    assert type(caught.value) is error
    assert str(caught.value).startswith(message)
    assert fake.messages(CHANNEL) == []


def test_failures_store_nothing_and_are_recorded(fake: FakeTelegram) -> None:
    with pytest.raises(BadRequest):
        call(fake, lambda bot: bot.send_message(CHANNEL, "a<br>b", parse_mode="HTML"))
    assert fake.messages(CHANNEL) == []
    get_me, send = fake.requests
    assert (get_me.method, get_me.status, get_me.description) == ("getMe", 200, "ok")
    assert (send.method, send.http_method, send.chat_id, send.status) == (
        "sendMessage",
        "POST",
        CHANNEL,
        400,
    )
    assert send.description.startswith("Bad Request: can't parse entities: Unsupported start")
    assert get_me.at <= send.at


def test_limits_count_code_points_after_parsing_and_trimming(fake: FakeTelegram) -> None:
    fits = "  <b>" + "😀" * 4096 + "</b>\n\n"  # 8192 UTF-16 units, 4096 code points
    sent = call(fake, lambda bot: bot.send_message(CHANNEL, fits, parse_mode="HTML"))
    assert sent.text == "😀" * 4096
    assert sent.entities[0].length == 8192
    with FakeTelegram(strict_utf16=True) as strict:
        strict.add_channel(CHANNEL)
        with pytest.raises(BadRequest, match="Message is too long"):
            call(strict, lambda bot: bot.send_message(CHANNEL, fits, parse_mode="HTML"))


def test_a_reply_may_go_without_its_target_when_allowed(fake: FakeTelegram) -> None:
    reply = ReplyParameters(999, allow_sending_without_reply=True)
    sent = call(fake, lambda bot: bot.send_message(CHANNEL, "x", reply_parameters=reply))
    assert sent.reply_to_message is None
    assert fake.messages(CHANNEL)[0].reply_to_message_id is None


def test_more_than_100_entities_are_accepted_with_a_warning(fake: FakeTelegram) -> None:
    text = " ".join(f"<b>{k}</b>" for k in range(101))
    call(fake, lambda bot: bot.send_message(CHANNEL, text, parse_mode="HTML"))
    [stored] = fake.messages(CHANNEL)
    assert len(stored.entities) == 101
    assert stored.warnings == ("101 entities: Telegram keeps the first 100",)


def test_not_modified_edit_is_refused_with_telegrams_words(fake: FakeTelegram) -> None:
    async def edit_twice(bot: telegram.Bot) -> None:
        sent = await bot.send_message(CHANNEL, "<b>same</b>", parse_mode="HTML")
        await bot.edit_message_text("<b>same</b>", CHANNEL, sent.message_id, parse_mode="HTML")

    with pytest.raises(BadRequest) as caught:
        call(fake, edit_twice)
    assert str(caught.value).startswith("Message is not modified: specified new message content")


def test_a_wrong_token_is_invalid_token(fake: FakeTelegram) -> None:
    wrong = "999:WRONG"  # a dummy token that the fake refuses
    with pytest.raises(InvalidToken, match=r"^The token `999:WRONG` was rejected") as caught:
        call(fake, lambda bot: bot.get_me(), token=wrong)
    assert isinstance(caught.value.__cause__, InvalidToken)
    assert str(caught.value.__cause__) == "Unauthorized"
    assert (fake.requests[-1].status, fake.requests[-1].description) == (401, "Unauthorized")


def test_an_unknown_method_is_not_found(fake: FakeTelegram) -> None:
    status, body, _ = raw_request(fake, "sendCarrierPigeon")
    assert (status, body) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )
    with pytest.raises(EndPointNotFound):
        call(fake, lambda bot: bot.do_api_request("send_carrier_pigeon"))


# ----------------------------------------------------------------------- flood control


def test_429_wire_format_and_injected_count(fake: FakeTelegram) -> None:
    fake.inject("@legal_eu", Fault.flood(retry_after=3), times=2, method="sendmessage")
    form = {"chat_id": str(CHANNEL), "text": "x"}
    answers = [raw_request(fake, "sendMessage", form=form) for _ in range(3)]
    for status, body, headers in answers[:2]:
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        }
        assert headers["Retry-After"] == "3"
    assert answers[2][0] == 200
    assert [r.fault for r in fake.requests] == ["flood", "flood", None]
    assert len(fake.messages(CHANNEL)) == 1


def test_retry_after_is_a_timedelta_with_ptb_timedelta_set(fake: FakeTelegram) -> None:
    assert os.environ["PTB_TIMEDELTA"] == "true"
    fake.inject(CHANNEL, Fault.flood(retry_after=2))
    with pytest.raises(RetryAfter) as caught:
        call(fake, lambda bot: bot.send_message(CHANNEL, "x"))
    assert caught.value.retry_after == timedelta(seconds=2)


def test_per_chat_window_answers_429_until_the_oldest_send_leaves_it() -> None:
    with FakeTelegram(per_chat_per_minute=2, per_chat_window=60) as fake:
        fake.add_channel(CHANNEL)
        fake.add_channel(PRIVATE)

        async def burst(bot: telegram.Bot) -> None:
            await bot.send_message(CHANNEL, "1")
            await bot.send_message(CHANNEL, "2")
            await bot.send_message(PRIVATE, "other chat")
            await bot.send_message(CHANNEL, "3")

        with pytest.raises(RetryAfter) as caught:
            call(fake, burst)
        assert isinstance(caught.value.retry_after, timedelta)
        assert 59 <= caught.value.retry_after.total_seconds() <= 60
        assert [m.text for m in fake.messages(CHANNEL)] == ["1", "2"]
        assert len(fake.messages(PRIVATE)) == 1


def test_global_limit_per_second_spans_chats() -> None:
    with FakeTelegram(global_per_second=2) as fake:
        fake.add_channel(CHANNEL)
        fake.add_channel(PRIVATE)

        async def burst(bot: telegram.Bot) -> None:
            await bot.send_message(CHANNEL, "1")
            await bot.send_message(PRIVATE, "2")
            await bot.send_message(CHANNEL, "3")

        with pytest.raises(RetryAfter) as caught:
            call(fake, burst)
        assert caught.value.retry_after == timedelta(seconds=1)


# ------------------------------------------------------------------- transport trouble


def test_an_answer_held_past_the_read_timeout_is_timed_out_but_stored(fake: FakeTelegram) -> None:
    fake.inject(CHANNEL, Fault.timeout(0.6))
    with pytest.raises(TimedOut):
        call(fake, lambda bot: bot.send_message(CHANNEL, "late", read_timeout=0.2))
    assert [m.text for m in fake.messages(CHANNEL)] == ["late"]


def test_a_dropped_request_is_timed_out_and_not_stored(fake: FakeTelegram) -> None:
    fake.inject(CHANNEL, Fault.timeout(0.4, store=False))
    with pytest.raises(TimedOut):
        call(fake, lambda bot: bot.send_message(CHANNEL, "lost", read_timeout=0.2))
    assert fake.messages(CHANNEL) == []


def test_after_store_hang_is_the_acknowledged_but_lost_window(fake: FakeTelegram) -> None:
    fake.inject(CHANNEL, Fault.after_store_hang())
    with pytest.raises(TimedOut):
        call(fake, lambda bot: bot.send_message(CHANNEL, "sent", read_timeout=0.2))
    assert [m.text for m in fake.messages(CHANNEL)] == ["sent"]
    fake.release()
    [request] = fake.requests_to("sendMessage")
    assert (request.status, request.fault) == (0, "after_store_hang")


def test_an_upload_over_the_limit_gets_nginxs_413() -> None:
    with FakeTelegram(max_upload_bytes=4096) as fake:
        fake.add_channel(CHANNEL)
        with pytest.raises(NetworkError) as caught:
            call(fake, lambda bot: bot.send_document(CHANNEL, bytes(8192), filename="big.pdf"))
        assert type(caught.value) is NetworkError
        assert str(caught.value).startswith("Request Entity Too Large (413)")
        assert fake.messages(CHANNEL) == []


_CLIENT = """
import asyncio, sys, telegram
async def main():
    async with telegram.Bot(sys.argv[1], base_url=sys.argv[2]) as bot:
        await bot.send_message(int(sys.argv[3]), "never delivered", read_timeout=60)
asyncio.run(main())
"""


def test_a_client_killed_mid_delivery_leaves_nothing_stored(fake: FakeTelegram) -> None:
    fake.inject(CHANNEL, Fault.hang(), method="sendMessage")
    client = subprocess.Popen(
        [sys.executable, "-c", _CLIENT, fake.token, fake.base_url, str(CHANNEL)],
        env={**os.environ, "PTB_TIMEDELTA": "true"},
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        [held] = fake.wait_for_requests(1, method="sendMessage", timeout=20)
        client.send_signal(signal.SIGKILL)
        assert client.wait(timeout=10) == -signal.SIGKILL
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    fake.release()
    [request] = fake.requests_to("sendMessage")
    assert (request.at, request.fault, request.status) == (held.at, "hang", 0)
    assert request.description == "closed without an answer"
    assert fake.messages(CHANNEL) == []


# ------------------------------------------------------------------------ wire formats


def test_parameters_arrive_by_query_form_or_json_in_any_method_case(fake: FakeTelegram) -> None:
    preview = json.dumps({"is_disabled": True})
    by_query = raw_request(
        fake,
        "SENDMESSAGE",
        query={"chat_id": "@legal_eu", "text": "q", "disable_notification": "true"},
    )
    by_form = raw_request(
        fake,
        "sendmessage",
        form={"chat_id": str(CHANNEL), "text": "f", "link_preview_options": preview},
    )
    by_json = raw_request(
        fake,
        "sendMessage",
        body={
            "chat_id": CHANNEL,
            "text": "<i>j</i>",
            "parse_mode": "html",
            "disable_notification": False,
            "reply_parameters": {"message_id": 1},
        },
    )
    assert [answer[0] for answer in (by_query, by_form, by_json)] == [200, 200, 200]
    q, f, j = fake.messages(CHANNEL)
    assert (q.text, q.disable_notification) == ("q", True)
    assert f.link_preview_options == {"is_disabled": True}
    assert (j.text, j.entities[0].type, j.reply_to_message_id) == ("j", "italic", 1)
    assert by_json[1]["result"]["reply_to_message"]["text"] == "q"
    assert [r.http_method for r in fake.requests] == ["GET", "POST", "POST"]


def test_malformed_json_fields_are_refused(fake: FakeTelegram) -> None:
    status, body, _ = raw_request(
        fake, "sendMessage", form={"chat_id": str(CHANNEL), "text": "x", "reply_parameters": "{"}
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: can't parse reply parameters JSON object",
    )


# ----------------------------------------------------------------- parsers and goldens


def test_error_strings_are_pinned() -> None:
    assert ERRORS == GOLDEN_ERRORS


def test_every_description_on_the_wire_is_in_the_golden_list(fake: FakeTelegram) -> None:
    fake.update_channel(PRIVATE, admin=False)
    fake.add_channel(-1005, member=False)
    fake.add_channel(-1006, kicked=True)
    fake.inject(CHANNEL, Fault.flood(retry_after=4), method="getChat")
    long_entity = json.dumps([{"type": "bold", "offset": 0, "length": 9}])
    cases: list[tuple[str, dict[str, str]]] = [
        ("sendMessage", {"chat_id": "", "text": "x"}),
        ("sendMessage", {"chat_id": "@nobody", "text": "x"}),
        ("sendMessage", {"chat_id": "-1005", "text": "x"}),
        ("sendMessage", {"chat_id": "-1006", "text": "x"}),
        ("sendMessage", {"chat_id": str(PRIVATE), "text": "x"}),
        ("sendMessage", {"chat_id": str(CHANNEL)}),
        ("sendMessage", {"chat_id": str(CHANNEL), "text": "x" * 32769}),
        ("sendMessage", {"chat_id": str(CHANNEL), "text": "<b> </b>", "parse_mode": "HTML"}),
        ("sendMessage", {"chat_id": str(CHANNEL), "text": "x" * 4097}),
        ("sendMessage", {"chat_id": str(CHANNEL), "text": "x", "parse_mode": "BBCode"}),
        ("sendMessage", {"chat_id": str(CHANNEL), "text": "<p>", "parse_mode": "HTML"}),
        ("sendMessage", {"chat_id": str(CHANNEL), "text": "x", "reply_to_message_id": "7"}),
        ("sendMessage", {"chat_id": str(CHANNEL), "text": "x", "message_thread_id": "7"}),
        ("sendMessage", {"chat_id": str(CHANNEL), "text": "x", "entities": "["}),
        ("sendMessage", {"chat_id": str(CHANNEL), "text": "x", "entities": long_entity}),
        ("editMessageText", {"chat_id": str(CHANNEL), "message_id": "7", "text": "x"}),
        ("deleteMessage", {"chat_id": str(CHANNEL), "message_id": "7"}),
        ("deleteMessage", {"chat_id": str(CHANNEL)}),
        ("sendDocument", {"chat_id": str(CHANNEL)}),
        ("sendDocument", {"chat_id": str(CHANNEL), "document": "no-such-file-id"}),
        ("getFile", {"file_id": "no-such-file-id"}),
        ("getChatMember", {"chat_id": str(CHANNEL), "user_id": "1"}),
        ("getChat", {"chat_id": str(CHANNEL)}),
        ("getUpdatesFromTheFuture", {}),
    ]
    for method, form in cases:
        raw_request(fake, method, form=form)
    wrong = "1:WRONG"  # a dummy token that the fake refuses
    raw_request(fake, "getMe", token=wrong)
    patterns = [
        re.compile(re.escape(e).replace("%s", ".+").replace("%d", r"-?\d+")) for e in ERRORS
    ]
    descriptions = [r.description for r in fake.requests]
    assert len(descriptions) == len(cases) + 1
    for description in descriptions:
        assert any(p.fullmatch(description) for p in patterns), description
    assert len(set(descriptions)) == len(descriptions), "each case shows a different error"


def test_explicit_entities_need_no_parse_mode(fake: FakeTelegram) -> None:
    entities = [telegram.MessageEntity("bold", 0, 2), telegram.MessageEntity("url", 3, 5)]
    sent = call(fake, lambda bot: bot.send_message(CHANNEL, "😀 a.com\r", entities=entities))
    assert sent.text == "😀 a.com"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 2)]
    too_far = [telegram.MessageEntity("italic", 1, 8)]
    with pytest.raises(BadRequest, match=r"^Entity beginning at utf-16 offset 1 ends after"):
        call(fake, lambda bot: bot.send_message(CHANNEL, "a.com", entities=too_far))


@pytest.mark.parametrize("parser", ["port", "tdjson"])
def test_both_parsers_answer_alike(parser: str) -> None:
    if parser == "tdjson" and TdjsonOracle.load() is None:
        pytest.skip("the tdjson wheel is not installed")
    with FakeTelegram(parser=parser) as fake:  # type: ignore[arg-type]
        fake.add_channel(CHANNEL)
        assert fake.parser_name == parser
        sent = call(
            fake,
            lambda bot: bot.send_message(
                CHANNEL, '\n<a href="Example.com">😀</a> &nbsp;<tg-spoiler>s</tg-spoiler>', "HTML"
            ),
        )
        assert sent.text == "😀 &nbsp;s"
        assert [(e.type, e.offset, e.length, e.url) for e in sent.entities] == [
            ("text_link", 0, 2, "http://example.com/"),
            ("spoiler", 9, 1, None),
        ]
        with pytest.raises(BadRequest, match=r"^Can\'t parse entities: unmatched end tag at byte"):
            call(fake, lambda bot: bot.send_message(CHANNEL, "<b>x</i>", "HTML"))


def test_parser_name_says_which_parser_is_used() -> None:
    with FakeTelegram() as fake:
        expected = "port" if TdjsonOracle.load() is None else "tdjson"
        assert fake.parser_name == expected


# ------------------------------------------------------------------------------ conversations
def test_people_write_commands_as_telegram_sends_them_and_updates_are_confirmed_by_offset(
    fake: FakeTelegram,
):
    fake.add_user(7, "Ada", language_code="fr")
    first = fake.say(7, "/start now")
    second = fake.say(7, "hello")

    async def poll(bot: telegram.Bot) -> tuple[Any, Any, Any]:
        both = await bot.get_updates(timeout=1)
        after = await bot.get_updates(offset=first + 1, timeout=1)
        none = await bot.get_updates(offset=second + 1, timeout=0.2)
        return both, after, none

    both, after, none = call(fake, poll)
    assert [u.update_id for u in both] == [first, second]
    command = both[0].message
    assert command.from_user.language_code == "fr"
    assert command.chat.type == "private"
    assert [(e.type, e.offset, e.length) for e in command.entities] == [("bot_command", 0, 6)]
    assert both[1].message.entities == ()
    assert [u.update_id for u in after] == [second], "an offset confirms the updates before it"
    assert none == ()
    assert fake.pending_updates() == 0


def test_a_callback_query_is_answered_once_and_buttons_keep_telegrams_limits(fake: FakeTelegram):
    fake.add_user(7)
    keyboard = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("a", callback_data="go")]]
    )
    message = call(fake, lambda bot: bot.send_message(7, "pick", reply_markup=keyboard))
    with pytest.raises(ValueError, match="no button 'nope'"):
        fake.press(7, message.message_id, "nope")
    query = fake.press(7, message.message_id, "go")
    assert call(fake, lambda bot: bot.answer_callback_query(query, text="ok")) is True
    with pytest.raises(BadRequest, match="Query is too old and response timeout expired"):
        call(fake, lambda bot: bot.answer_callback_query(query))
    assert fake.answer_of(query) == {"text": "ok", "show_alert": False}
    with pytest.raises(BadRequest, match="Message is not modified"):
        call(
            fake,
            lambda bot: bot.edit_message_text(
                "pick", chat_id=7, message_id=message.message_id, reply_markup=keyboard
            ),
        )
    too_long = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("a", callback_data="x" * 65)]]
    )
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        call(fake, lambda bot: bot.send_message(7, "pick", reply_markup=too_long))


def test_a_person_who_blocked_the_bot_gets_nothing_and_groups_know_their_administrators(
    fake: FakeTelegram,
):
    fake.add_user(7)
    fake.block(7)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        call(fake, lambda bot: bot.send_message(7, "hello"))
    with pytest.raises(BadRequest, match="There are no administrators in the private chat"):
        call(fake, lambda bot: bot.get_chat_administrators(7))
    fake.add_group(-55, admins=(1, 2), members=(3,))
    fake.add_user(4, "Not in the group")
    statuses = call(
        fake,
        lambda bot: asyncio.gather(*(bot.get_chat_member(-55, user) for user in (1, 2, 3, 4))),
    )
    assert [s.status for s in statuses] == ["creator", "administrator", "member", "left"]
    admins = call(fake, lambda bot: bot.get_chat_administrators(-55))
    assert [a.user.id for a in admins] == [1, 2]
    sent = call(fake, lambda bot: bot.send_message(-55, "a member may write in a group"))
    assert sent.from_user.id == fake.bot_id


def test_with_a_webhook_set_polling_is_refused_as_telegram_refuses_it(fake: FakeTelegram):
    call(fake, lambda bot: bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret"))
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        call(fake, lambda bot: bot.get_updates())
    info = call(fake, lambda bot: bot.get_webhook_info())
    assert info.url == "http://127.0.0.1:9/hook"
    call(fake, lambda bot: bot.delete_webhook())
    assert call(fake, lambda bot: bot.get_updates()) == ()
