"""A subscriber's choices, and whether a change is for them (pure).

A subscriber is one Telegram chat (a person's private chat, or a group whose administrator
subscribed it). It follows documents (ids or platform globs such as ``linkedin/*``; none chosen
means every document), optionally only changes touching some labels (label ids or taxonomy
groups such as ``legal_basis``), from a least significance (``substantive`` or ``minor``).

Whether a change is for a subscriber is decided by the channels' own routing
(:func:`tracker.notify.channels.delivery`): a subscriber is routed as a channel without a
digest would be, so cosmetic changes and flip-backs are never sent, and a minor change only to
those who asked for minor ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from tracker.models import Change, Significance
from tracker.notify.channels import Channel, Delivery, delivery

#: The prefix of a subscriber's channel name in the outbox (``bot:<chat id>``).
CHANNEL_PREFIX = "bot:"

#: The languages the bot speaks.
LANGUAGES = ("en", "fr")

#: Chat kinds whose subscription an administrator must make.
GROUP_KINDS = ("group", "supergroup")


def language_of(code: str | None) -> str:
    """The bot's language for a Telegram ``language_code`` (``fr-CA`` → ``fr``; else English)."""
    return "fr" if (code or "").lower().split("-")[0] == "fr" else "en"


def channel_name(chat_id: str) -> str:
    """The outbox channel name of a subscriber's chat."""
    return CHANNEL_PREFIX + chat_id


def is_subscriber_channel(name: str) -> bool:
    """Whether an outbox channel name is a subscriber's (not a configured channel's)."""
    return name.startswith(CHANNEL_PREFIX)


@dataclass(frozen=True, slots=True)
class Subscription:
    """One chat's choices.

    Attributes:
        chat_id: the Telegram chat id, as text.
        kind: ``private``, ``group`` or ``supergroup``.
        language: ``en`` or ``fr``: the bot's words and the alerts' interface words.
        documents: document ids or globs (``linkedin/*``); empty: every document.
        labels: label ids or groups (``ai_training``, ``legal_basis``); empty: any change.
        min_significance: ``substantive`` or ``minor``.
        active: subscribed (``/subscribe`` finished, not ``/unsubscribe``\\ d or blocked).
        paused: ``/pause``: nothing is queued for the chat until ``/resume``.
    """

    chat_id: str
    kind: str = "private"
    language: str = "en"
    documents: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    min_significance: Significance = Significance.SUBSTANTIVE
    active: bool = False
    paused: bool = False

    @property
    def receiving(self) -> bool:
        """Whether alerts are queued for this chat now."""
        return self.active and not self.paused

    def toggled(self, field: str, value: str) -> Subscription:
        """The subscription with ``value`` added to or removed from ``documents`` or ``labels``."""
        current: tuple[str, ...] = self.labels if field == "labels" else self.documents
        chosen = tuple(v for v in current if v != value) if value in current else (*current, value)
        if field == "labels":
            return replace(self, labels=chosen)
        return replace(self, documents=chosen)

    def as_channel(self, public_url: str | None = None) -> Channel:
        """The subscriber as a configured channel would be (for routing and rendering)."""
        return Channel(
            name=channel_name(self.chat_id),
            chat_id=self.chat_id,
            documents=self.documents or ("*",),
            min_significance=self.min_significance,
            labels=self.labels,
            language=self.language,
            public_url=public_url,
        )


def expand_labels(chosen: tuple[str, ...], groups: Mapping[str, str]) -> tuple[str, ...]:
    """Label ids for ``chosen`` labels and groups (``groups``: label → group); unknown dropped."""
    found: list[str] = []
    for name in chosen:
        if name in groups:
            found.append(name)
        else:
            found.extend(sorted(label for label, group in groups.items() if group == name))
    return tuple(dict.fromkeys(found))


def post_channel(
    subscription: Subscription, groups: Mapping[str, str], public_url: str | None = None
) -> Channel:
    """The channel a subscriber's posts are rendered for: its topics as label ids, which lead."""
    channel = subscription.as_channel(public_url)
    return replace(channel, labels=expand_labels(subscription.labels, groups))


def wants(subscription: Subscription, change: Change, groups: Mapping[str, str]) -> bool:
    """Whether ``change`` is queued for ``subscription`` (see the module)."""
    if not subscription.receiving:
        return False
    labels = expand_labels(subscription.labels, groups)
    if subscription.labels and not labels:
        return False  # the labels chosen no longer exist: nothing matches rather than all
    channel = replace(subscription.as_channel(), labels=labels)
    return delivery(channel, change) is Delivery.POST
