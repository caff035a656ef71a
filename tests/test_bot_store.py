"""Subscribers in the state database (migration 5), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tracker.bot.fanout import chat_gone, chat_moved, is_gone, still_receiving
from tracker.bot.store import BLOCKED, UNSUBSCRIBED, Subscribers
from tracker.bot.subscription import Subscription
from tracker.models import Significance
from tracker.notify.outbox import Outbox, Queued, Status
from tracker.render.telegram import Message
from tracker.state.store import State

T0 = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.fixture
def state(db_url: str) -> Iterator[State]:
    opened = State(db_url)
    yield opened
    opened.close()


def test_choices_are_kept_and_read_back_in_the_order_chats_came(state: State):
    store = Subscribers(state)
    assert store.get("7") is None
    first = Subscription(
        "7", "private", "fr", ("linkedin/*",), ("legal_basis", "ai_training"),
        Significance.MINOR, active=True,
    )  # fmt: skip
    store.save(first, T0)
    store.save(Subscription("-100555", "supergroup", active=True), T0)
    store.save(Subscription("3"), T0)  # started /subscribe, never finished: not receiving
    assert store.get("7") == first
    assert [s.chat_id for s in store.receiving()] == ["7", "-100555"]
    store.save(replace(first, paused=True), T0)
    assert [s.chat_id for s in store.receiving()] == ["-100555"]
    assert store.count() == {"receiving": 1, "paused": 1, "ended": 1}


def test_an_ended_subscription_keeps_its_row_and_why(state: State):
    store = Subscribers(state)
    store.save(Subscription("7", active=True), T0)
    assert store.end("7", UNSUBSCRIBED, T0)
    assert not store.end("7", UNSUBSCRIBED, T0), "once"
    assert store.reason("7") == UNSUBSCRIBED
    assert store.get("7") == Subscription("7")
    store.save(Subscription("7", active=True), T0)
    assert store.reason("7") == "", "subscribed again"


def test_a_gone_chat_is_unsubscribed_and_its_queue_cancelled_and_no_one_elses(state: State):
    store = Subscribers(state)
    for chat in ("7", "8"):
        store.save(Subscription(chat, active=True), T0)
    outbox = Outbox(state, T0)
    message = Message(role="summary", html="<b>x</b>")
    outbox.enqueue(
        "change:x:1",
        [
            Queued("bot:7", "7", message),
            Queued("bot:8", "8", message),
            Queued("a-en", "7", message),
        ],
        at=T0,
    )
    assert is_gone("Forbidden: bot was blocked by the user")
    assert not is_gone("Bad Request: chat not found")
    assert chat_gone(state, "7", "Forbidden: bot was blocked by the user", T0) == 1
    assert store.reason("7") == BLOCKED
    statuses = {(row.channel, row.chat_id): row.status for row in outbox.rows()}
    assert statuses == {
        ("bot:7", "7"): Status.CANCELLED,
        ("bot:8", "8"): Status.PENDING,
        ("a-en", "7"): Status.PENDING,  # a configured channel is never cancelled this way
    }


def test_messages_for_chats_that_stopped_meanwhile_are_dropped_in_the_transaction(state: State):
    store = Subscribers(state)
    for chat in ("7", "8"):
        store.save(Subscription(chat, active=True), T0)
    message = Message(role="summary", html="x")
    items = [Queued("bot:7", "7", message), Queued("bot:8", "8", message)]
    store.save(Subscription("8", active=True, paused=True), T0)
    with state.transaction() as db:
        assert still_receiving(db, items) == items[:1]


def test_a_moved_group_keeps_its_subscription(state: State):
    store = Subscribers(state)
    store.save(Subscription("-55", "group", active=True), T0)
    chat_moved(state, "-55", "-10055", T0)
    assert store.get("-55") is None
    assert store.get("-10055") == Subscription("-10055", "supergroup", active=True)


def test_tracker_status_counts_the_subscribers_backlog_as_one_line(state: State):
    from tracker.ops.status import SUBSCRIBERS, _backlog

    message = Message(role="summary", html="x")
    Outbox(state, T0).enqueue(
        "change:x:1",
        [Queued(f"bot:{chat}", str(chat), message) for chat in range(7, 507)]
        + [Queued("a-en", "-1001", message)],
        at=T0,
    )
    lines = {line.channel: line.pending for line in _backlog(state, T0)}
    assert lines == {"a-en": 1, SUBSCRIBERS: 500}
