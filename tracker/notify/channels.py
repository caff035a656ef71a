"""Routing: which Telegram channels want which change (pure; no I/O).

A channel (``config/channels/<name>.toml``) names the documents it follows (globs over document
ids), the least significance it is told about at once, an optional label filter, the language
of the bot's own words and whether minor changes are gathered in a digest instead.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from enum import StrEnum

from tracker.models import Change, Significance


class Delivery(StrEnum):
    """What a channel gets for one change."""

    NOTHING = "nothing"
    POST = "post"  # a summary, clause replies and the change page, now
    DIGEST = "digest"  # one line in the channel's next digest


@dataclass(frozen=True, slots=True)
class Channel:
    """One Telegram channel and what it wants.

    Attributes:
        name: the file name under ``config/channels/`` without ``.toml`` (stable: outbox rows
            refer to it).
        chat_id: ``@username`` of a public channel or its numeric ``-100…`` id, as text.
        documents: globs over document ids (``linkedin/*``); a change of any matching document.
        min_significance: ``substantive`` (the default) or ``minor``: the least significance
            posted at once. Cosmetic changes are never posted.
        labels: when not empty, only changes whose changed clauses carry one of these labels.
        language: ``en`` or ``fr``, the language of the bot's own words.
        silent: post without a notification sound (replies are always silent).
        digest: a five-field cron expression (``daily``/``weekly`` already translated) at which
            minor changes not posted at once are gathered into one message; None for no digest.
        public_url: the base URL of the published archive, for links to change pages.
    """

    name: str
    chat_id: str
    documents: tuple[str, ...]
    min_significance: Significance = Significance.SUBSTANTIVE
    labels: tuple[str, ...] = ()
    language: str = "en"
    silent: bool = False
    digest: str | None = None
    public_url: str | None = None

    def follows(self, document: str) -> bool:
        """True when one of the channel's globs matches the document id."""
        return any(fnmatch.fnmatchcase(document, pattern) for pattern in self.documents)

    def link(self, relative: str) -> str | None:
        """The public URL of an archive file (``linkedin/x/changes/<ts>.html``), if published."""
        if not self.public_url:
            return None
        return self.public_url.rstrip("/") + "/" + relative.lstrip("/")


def delivery(channel: Channel, change: Change) -> Delivery:
    """What ``channel`` gets for ``change``: a post, a digest line or nothing.

    Cosmetic changes and flip-backs (a page returning to a text seen a few versions ago) are
    archived, never posted. A label filter applies to both posts and digest lines.
    """
    if not channel.follows(change.document) or change.flip_back_of:
        return Delivery.NOTHING
    if change.significance is Significance.COSMETIC:
        return Delivery.NOTHING
    if channel.labels and not set(channel.labels) & set(change.labels):
        return Delivery.NOTHING
    if change.significance is Significance.SUBSTANTIVE:
        return Delivery.POST
    if channel.min_significance is Significance.MINOR:
        return Delivery.POST
    return Delivery.DIGEST if channel.digest else Delivery.NOTHING


def route(channels: tuple[Channel, ...], change: Change) -> list[tuple[Channel, Delivery]]:
    """Every channel that gets something for ``change``, in configuration order."""
    routed = [(channel, delivery(channel, change)) for channel in channels]
    return [(channel, how) for channel, how in routed if how is not Delivery.NOTHING]
