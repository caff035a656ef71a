"""Telegram's rules: its limits, and the checks every method makes (chat and rights, reply
target, parse mode and text size, flood control).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tests.fake_telegram.answers import _ApiError, _flood
from tests.fake_telegram.oracle import TdjsonOracle
from tests.fake_telegram.params import _bool, _entities_param, _json, _str
from tests.fake_telegram.records import Channel, StoredMessage
from tracker.render.telegram_html import HtmlParseError, Parsed, parse_text_entities

#: Telegram's limits (Bot API server and TDLib options), see telegram.md §1.1.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
RAW_TEXT_LIMIT = 32768
ENTITY_LIMIT = 100
UPLOAD_LIMIT = 50 * 1024 * 1024


class _Rules:
    """The checks a Bot API method makes, in the Bot API's order (a mixin of FakeTelegram).

    The state below is set up by :class:`~tests.fake_telegram.FakeTelegram`.
    """

    per_chat_per_minute: int | None
    per_chat_window: float
    global_per_second: int | None
    strict_utf16: bool
    _oracle: TdjsonOracle | None
    _lock: threading.Condition
    _channels: dict[int, Channel]
    _migrated: dict[int, int]
    _messages: dict[int, list[StoredMessage]]
    _sent_per_chat: dict[int, deque[float]]
    _sent_all: deque[float]

    def _chat_key(self, chat_id: int | str) -> int | str:
        """A registered channel's id for an id or ``@username``; the raw value otherwise."""
        raw = str(chat_id).strip()
        with self._lock:
            if raw.startswith("@"):
                name = raw[1:].lower()
                for channel in self._channels.values():
                    if channel.username and channel.username.lower() == name:
                        return channel.chat_id
                return raw
        try:
            return int(raw)
        except ValueError:
            return raw

    def _find_chat(self, params: Mapping[str, Any], *, need_member: bool = True) -> Channel:
        raw = _str(params, "chat_id")
        if not raw:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        key = self._chat_key(raw)
        with self._lock:
            if isinstance(key, int) and key in self._migrated:
                raise _ApiError(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    migrate_to_chat_id=self._migrated[key],
                )
            channel = self._channels.get(key) if isinstance(key, int) else None
            if channel is None:
                raise _ApiError(400, "Bad Request: chat not found")
            channel = replace(channel)
        if channel.kicked:
            raise _ApiError(403, "Forbidden: bot was kicked from the channel chat")
        if need_member and not channel.member:
            raise _ApiError(403, "Forbidden: bot is not a member of the channel chat")
        return channel

    @staticmethod
    def _need_post_rights(channel: Channel) -> None:
        if channel.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if channel.type in ("private", "group") or (
            channel.type == "supergroup" and channel.admins
        ):
            return  # a member may write in a person's chat and in a group (no admin needed)
        if not (channel.admin and channel.can_post):
            raise _ApiError(400, "Bad Request: need administrator rights in the channel chat")

    def _reply_target(self, channel: Channel, params: Mapping[str, Any]) -> int | None:
        if params.get("message_thread_id") not in (None, ""):
            raise _ApiError(400, "Bad Request: message thread not found")
        reply = _json(params, "reply_parameters", "reply parameters")
        if reply is not None:
            target, allow = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
        else:
            target = params.get("reply_to_message_id")
            allow = _bool(params, "allow_sending_without_reply")
        try:
            target_id = int(target or 0)
        except (TypeError, ValueError):
            target_id = -1
        if target_id == 0:
            return None
        with self._lock:
            exists = any(
                m.message_id == target_id and not m.deleted for m in self._messages[channel.chat_id]
            )
        if exists:
            return target_id
        if allow:
            return None
        raise _ApiError(400, "Bad Request: message to be replied not found")

    def _parse(self, raw: str, parse_mode: str | None, entities: Any) -> Parsed:
        """Raw checks and parsing, before the chat is looked at (the Bot API's order)."""
        if len(raw.encode("utf-8", "surrogatepass")) > RAW_TEXT_LIMIT:
            raise _ApiError(400, "Bad Request: text is too long")
        mode = (parse_mode or "").strip().lower()
        if mode in ("", "none"):
            return Parsed(raw, _entities_param(entities, raw))
        if mode in ("markdown", "markdownv2"):
            raise _ApiError(501, "Not Implemented: FakeTelegram parses HTML only, not Markdown")
        if mode != "html":
            raise _ApiError(400, "Bad Request: unsupported parse_mode")
        try:
            if self._oracle is not None and self._oracle.is_safe(raw):
                return self._oracle.parse_text_entities(raw)
            return parse_text_entities(raw)
        except HtmlParseError as exc:
            raise _ApiError(400, f"Bad Request: can't parse entities: {exc.message}") from exc

    def _length(self, parsed: Parsed) -> int:
        return parsed.utf16_length if self.strict_utf16 else parsed.length

    def _flood_check(self, chat_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            sent = self._sent_per_chat.setdefault(chat_id, deque())
            while sent and sent[0] <= now - self.per_chat_window:
                sent.popleft()
            while self._sent_all and self._sent_all[0] <= now - 1.0:
                self._sent_all.popleft()
            if self.per_chat_per_minute is not None and len(sent) >= self.per_chat_per_minute:
                wait = math.ceil(sent[0] + self.per_chat_window - now)
                raise _flood(max(1, wait))
            if self.global_per_second is not None and len(self._sent_all) >= self.global_per_second:
                raise _flood(1)
            sent.append(now)
            self._sent_all.append(now)


def _warnings(parsed: Parsed) -> tuple[str, ...]:
    counted = [e for e in parsed.entities if e.type != "custom_emoji"]
    if len(counted) > ENTITY_LIMIT:
        return (f"{len(counted)} entities: Telegram keeps the first {ENTITY_LIMIT}",)
    return ()
