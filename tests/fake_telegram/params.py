"""Bot API parameters as the server reads them: strings, booleans, integers, JSON objects and
explicit ``entities`` (checked against the text as Telegram checks them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tests.fake_telegram.answers import _ApiError
from tracker.render.telegram_html import Entity, utf16_len


def _str(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else json.dumps(value)


def _bool(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "1") if value is not None else False


def _int(params: Mapping[str, Any], name: str) -> int:
    try:
        return int(params.get(name) or 0)
    except (TypeError, ValueError):
        return 0


def _json(params: Mapping[str, Any], name: str, what: str) -> dict[str, Any] | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _ApiError(400, f"Bad Request: can't parse {what} JSON object") from None
    if not isinstance(value, dict):
        raise _ApiError(400, f"Bad Request: can't parse {what} JSON object")
    return value


_ENTITY_FIELDS = ("url", "language", "custom_emoji_id", "unix_time", "date_time_format")


def _entities_param(value: Any, text: str) -> tuple[Entity, ...]:
    """Explicit ``entities``/``caption_entities`` (no parse mode): the user-settable kinds."""
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _ApiError(400, "Bad Request: can't parse entities JSON object") from None
    if not isinstance(value, list):
        raise _ApiError(400, "Bad Request: can't parse entities JSON object")
    limit = utf16_len(text)
    kept = []
    for item in value:
        if not isinstance(item, dict) or item.get("type") not in _USER_TYPES:
            continue
        offset, length = int(item.get("offset", 0)), int(item.get("length", 0))
        if offset < 0:
            raise _ApiError(400, f"Bad Request: receive an entity with incorrect offset {offset}")
        if length < 0:
            raise _ApiError(400, f"Bad Request: receive an entity with incorrect length {length}")
        if offset > limit:
            raise _ApiError(
                400,
                f"Bad Request: entity begins after the end of the text at UTF-16 offset {offset}",
            )
        if offset + length > limit:
            raise _ApiError(
                400,
                f"Bad Request: entity beginning at UTF-16 offset {offset} ends after the end of "
                f"the text at UTF-16 offset {offset + length}",
            )
        user = item.get("user")
        kept.append(
            Entity(
                type=item["type"],
                offset=offset,
                length=length,
                user_id=user.get("id") if isinstance(user, dict) else None,
                **{name: item.get(name) for name in _ENTITY_FIELDS},
            )
        )
    return tuple(kept)


_USER_TYPES = frozenset(
    {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "blockquote",
        "expandable_blockquote",
        "date_time",
    }
)


def _keyboard(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """A ``reply_markup`` parameter, an inline keyboard's buttons checked as Telegram does."""
    markup = _json(params, "reply_markup", "reply keyboard markup")
    if markup is None or "inline_keyboard" not in markup:
        return markup
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup
