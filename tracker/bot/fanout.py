"""A change queued for the bot's subscribers, in the outbox, in the same transaction as the
channels' post; and what delivery does when a subscriber's chat is gone or moved.

Every subscriber whose choices want the change (:func:`tracker.bot.subscription.wants`) gets
the post a channel of its language would get, queued under the outbox channel ``bot:<chat
id>``, in the order the chats first came. The outbox then gives subscribers exactly the
channels' guarantees (ADR 0008, 0016): queued whole or not at all with the alert, sent in
order per chat, never twice but for the one in-flight repeat. A post is rendered once per
language and topic choice, not once per subscriber.

When Telegram says a subscriber's chat is gone (403: the user blocked the bot, the account
was deleted, the bot was removed from the group), the subscription ends (``blocked``) and the
chat's queued messages are cancelled: nothing else waits on them, and the maintainers are not
told (it is a reader's choice, not a fault).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from tracker.bot.store import BLOCKED, Subscribers, receiving
from tracker.bot.subscription import Subscription, channel_name, post_channel, wants
from tracker.models import Change
from tracker.notify.channels import Channel
from tracker.notify.outbox import Queued
from tracker.render.telegram import Message, PostContext
from tracker.state.sql import Connection
from tracker.state.store import State
from tracker.timestamps import to_iso

if TYPE_CHECKING:
    from tracker.classify.taxonomy import TaxonomySource

log = logging.getLogger(__name__)

#: Lower-case substrings of the 403 descriptions that mean a subscriber's chat is gone for good.
GONE = (
    "bot was blocked by the user",
    "user is deactivated",
    "bot was kicked",
    "bot is not a member",
    "bot can't initiate conversation",
)

Render = Callable[[Change, PostContext, Channel], list[Message]]


def label_groups(taxonomy: TaxonomySource) -> dict[str, str]:
    """The taxonomy's label → group (topics are groups or labels)."""
    from tracker.classify.taxonomy import resolve

    return {label.value: spec.group.value for label, spec in resolve(taxonomy).labels.items()}


def subscriber_items(
    subscribers: Sequence[Subscription],
    change: Change,
    context: PostContext,
    groups: Callable[[], Mapping[str, str]],
    render: Render,
    *,
    public_url: str | None,
) -> list[Queued]:
    """The messages of ``change`` for every one of ``subscribers`` who wants it, in their order.

    ``groups`` gives the taxonomy's label → group (called only when someone subscribed);
    ``render`` is the channels' renderer (:meth:`tracker.notify.alerts.Alerts._post`).
    """
    if not subscribers:
        return []
    label_groups = groups()
    rendered: dict[tuple[str, tuple[str, ...]], list[Message]] = {}
    items: list[Queued] = []
    for subscription in subscribers:
        if not wants(subscription, change, label_groups):
            continue
        key = (subscription.language, subscription.labels)
        if key not in rendered:  # the clauses of the chosen topics lead, as for a channel
            channel = post_channel(subscription, label_groups, public_url)
            rendered[key] = render(change, context, channel)
        name = channel_name(subscription.chat_id)
        items.extend(Queued(name, subscription.chat_id, message) for message in rendered[key])
    return items


def still_receiving(db: Connection, items: Sequence[Queued]) -> list[Queued]:
    """``items`` less those of chats that stopped receiving since they were rendered.

    Inside the alert's transaction: a chat that unsubscribed, paused or blocked the bot
    between the rendering and the write gets nothing. (One that subscribed in between gets
    the next change.)
    """
    if not items:
        return []
    now_receiving = {subscription.chat_id for subscription in receiving(db)}
    return [item for item in items if item.chat_id in now_receiving]


def is_gone(error: str) -> bool:
    """Whether Telegram's error says a subscriber's chat is gone for good."""
    lowered = error.lower()
    return "forbidden" in lowered and any(marker in lowered for marker in GONE)


def chat_gone(state: State, chat_id: str, error: str, at: datetime) -> int:
    """End the subscription of ``chat_id`` and cancel its queued messages; returns how many."""
    Subscribers(state).end(chat_id, BLOCKED, at)
    with state.transaction() as db:
        cancelled = db.execute(
            "UPDATE outbox SET status = 'cancelled', last_error = ?"
            " WHERE chat_id = ? AND channel LIKE 'bot:%' AND status IN ('pending', 'held')",
            (error, chat_id),
        ).rowcount
    log.info(
        "bot: chat %s is gone (%s): unsubscribed, %d queued messages cancelled",
        chat_id,
        error,
        cancelled,
    )
    return cancelled


def chat_moved(state: State, old: str, new: str, at: datetime) -> None:
    """A subscribed group became a supergroup: its subscription follows it."""
    with state.transaction() as db:
        db.execute(
            "UPDATE subscribers SET chat_id = ?, kind = 'supergroup', updated_at = ?"
            " WHERE chat_id = ? AND NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.chat_id = ?)",
            (new, to_iso(at), old, new),
        )
    log.info("bot: subscribed group %s moved to %s; its subscription follows", old, new)
