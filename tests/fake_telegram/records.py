"""What the fake knows and keeps: channels, stored messages, recorded requests and uploads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tracker.render.telegram_html import Entity


@dataclass(slots=True)
class Channel:
    """A chat the fake knows, and what the bot may do there (change with ``update_channel``).

    Channels (``-100...``) and supergroups made by an upgrade, and, through
    :meth:`FakeTelegram.add_user <tests.fake_telegram.FakeTelegram.add_user>` and
    :meth:`~tests.fake_telegram.FakeTelegram.add_group`, private chats with a person (``type``
    ``private``, the person's id; ``blocked`` once they blocked the bot) and groups (``admins``
    first the creator, then the other administrators; ``members`` the rest).
    """

    chat_id: int
    username: str | None = None
    title: str = "Policy changes"
    member: bool = True
    admin: bool = True
    can_post: bool = True
    kicked: bool = False
    type: str = "channel"
    first_name: str = ""
    language_code: str | None = None
    blocked: bool = False
    admins: tuple[int, ...] = ()
    members: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``Chat`` object of this chat."""
        if self.type == "private":
            data: dict[str, Any] = {
                "id": self.chat_id,
                "type": "private",
                "first_name": self.first_name,
            }
        else:
            data = {"id": self.chat_id, "type": self.type, "title": self.title}
        if self.username:
            data["username"] = self.username
        return data

    def user_json(self) -> dict[str, Any]:
        """The ``User`` object of the person of a private chat."""
        data: dict[str, Any] = {"id": self.chat_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message the fake accepted, as Telegram would hold it, plus what the request asked.

    ``at`` is when it was stored, on :func:`time.monotonic` (like :attr:`RecordedRequest.at`).
    ``text``/``caption`` and ``entities`` are after parsing and trimming; ``raw`` is the text or
    caption as sent. ``warnings`` lists what real Telegram would have done silently (such as
    dropping entities past the 100th); a well-behaved client leaves it empty.
    """

    chat_id: int
    message_id: int
    date: int
    method: str
    at: float = 0.0
    text: str | None = None
    caption: str | None = None
    entities: tuple[Entity, ...] = ()
    raw: str | None = None
    parse_mode: str | None = None
    disable_notification: bool = False
    protect_content: bool = False
    reply_to_message_id: int | None = None
    link_preview_options: Mapping[str, Any] | None = None
    document_name: str | None = None
    document_bytes: bytes | None = None
    document_mime_type: str | None = None
    file_id: str | None = None
    edit_date: int | None = None
    deleted: bool = False
    warnings: tuple[str, ...] = ()
    #: the inline keyboard sent with it (``reply_markup``), if any
    reply_markup: Mapping[str, Any] | None = None
    #: the person who wrote it, for a message a scripted user sent (None: the bot's)
    from_user: int | None = None


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake saw it.

    Attributes:
        method: the Bot API method as written in the path (e.g. ``sendMessage``).
        http_method: ``GET`` or ``POST``.
        chat_id: the resolved chat id, else the ``chat_id`` parameter as sent, else None.
        at: arrival time on :func:`time.monotonic` (comparable across threads of this process).
        params: the decoded parameters (uploads as ``(file name, size)``).
        status: the HTTP status answered; 0 while pending or when no answer was sent.
        description: ``ok``, or the error description, or what happened instead of an answer.
        fault: the kind of the injected :class:`Fault` applied, if any.
    """

    method: str
    http_method: str
    chat_id: int | str | None
    at: float
    params: Mapping[str, Any]
    status: int = 0
    description: str = ""
    fault: str | None = None


@dataclass(frozen=True, slots=True)
class _Upload:
    name: str
    data: bytes
    content_type: str
