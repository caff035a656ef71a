"""The Bot API methods: ``getMe``, ``getChat``, ``getChatMember``, ``sendMessage``,
``sendDocument``, ``editMessageText``, ``deleteMessage`` and ``getFile``, and the ``Message``
objects they answer with.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tests.fake_telegram.answers import _NOT_MODIFIED, _ApiError
from tests.fake_telegram.params import _bool, _int, _json, _keyboard, _str
from tests.fake_telegram.records import Channel, StoredMessage, _Upload
from tests.fake_telegram.rules import CAPTION_LIMIT, TEXT_LIMIT, _Rules, _warnings
from tracker.render.telegram_html import Parsed, fix_formatted_text


class _Methods(_Rules):
    """The Bot API methods the fake implements (a mixin of FakeTelegram, which sets the state)."""

    bot_id: int
    bot_username: str
    _next_message_id: dict[int, int]
    _files: dict[str, _Upload]
    _people: dict[int, dict[str, Any]]

    def _call(self, method: str, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        handler = self._methods().get(method.lower())
        if handler is None:
            raise _ApiError(404, "Not Found: method not found")
        return handler(params, uploads)

    def _methods(self) -> dict[str, Callable[[dict[str, Any], dict[str, _Upload]], Any]]:
        return {
            "getme": self._get_me,
            "getchat": self._get_chat,
            "getchatmember": self._get_chat_member,
            "sendmessage": self._send_message,
            "senddocument": self._send_document,
            "editmessagetext": self._edit_message_text,
            "deletemessage": self._delete_message,
            "getfile": self._get_file,
        }

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Policy tracker (fake)",
            "username": self.bot_username,
        }

    def _get_me(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_chat(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        channel = self._find_chat(params)
        gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
        return {
            **channel.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys((*gifts, "gifts_from_channels"), False),
        }

    def _get_chat_member(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        channel = self._find_chat(params, need_member=False)
        if _int(params, "user_id") != self.bot_id:
            raise _ApiError(400, "Bad Request: user not found")
        user = self._bot_user()
        if not channel.member:
            return {"status": "left", "user": user}
        if not channel.admin:
            return {"status": "member", "user": user}
        rights = dict.fromkeys(
            (
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
                "can_edit_messages",
            ),
            True,
        )
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_promote_members": False,
            "can_post_messages": channel.can_post,
            **rights,
        }

    def _message_text(self, parsed: Parsed) -> Parsed:
        """A message's text as sending fixes and trims it, or Telegram's error for it."""
        fixed = fix_formatted_text(parsed)
        if not fixed.text:
            raise _ApiError(400, "Bad Request: text must be non-empty")
        if self._length(fixed) > TEXT_LIMIT:
            raise _ApiError(400, "Bad Request: message is too long")
        return fixed

    def _send_message(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        raw = _str(params, "text")
        if not raw:
            raise _ApiError(400, "Bad Request: message text is empty")
        parse_mode = _str(params, "parse_mode")
        parsed = self._parse(raw, parse_mode, params.get("entities"))
        channel = self._find_chat(params)
        self._need_post_rights(channel)
        reply_to = self._reply_target(channel, params)
        fixed = self._message_text(parsed)
        markup = _keyboard(params)
        preview = _json(params, "link_preview_options", "link preview options")
        if preview is None and _bool(params, "disable_web_page_preview"):
            preview = {"is_disabled": True}
        message = StoredMessage(
            chat_id=channel.chat_id,
            message_id=0,
            date=0,
            method="sendMessage",
            text=fixed.text,
            entities=fixed.entities,
            raw=raw,
            parse_mode=parse_mode,
            disable_notification=_bool(params, "disable_notification"),
            protect_content=_bool(params, "protect_content"),
            reply_to_message_id=reply_to,
            link_preview_options=preview,
            warnings=_warnings(fixed),
            reply_markup=markup,
        )
        return self._message_json(self._store(channel, message), channel)

    def _send_document(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        upload = uploads.get("document")
        reused = _str(params, "document")
        if upload is None and not reused:
            raise _ApiError(400, "Bad Request: there is no document in the request")
        raw = _str(params, "caption") or ""
        parse_mode = _str(params, "parse_mode")
        parsed = self._parse(raw, parse_mode, params.get("caption_entities")) if raw else Parsed("")
        channel = self._find_chat(params)
        self._need_post_rights(channel)
        reply_to = self._reply_target(channel, params)
        if upload is None:
            with self._lock:
                upload = self._files.get(reused or "")
            if upload is None:
                raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if not upload.data:
            raise _ApiError(400, "Bad Request: file must be non-empty")
        fixed = fix_formatted_text(parsed)
        if self._length(fixed) > CAPTION_LIMIT:
            raise _ApiError(400, "Bad Request: message caption is too long")
        message = StoredMessage(
            chat_id=channel.chat_id,
            message_id=0,
            date=0,
            method="sendDocument",
            caption=fixed.text or None,
            entities=fixed.entities,
            raw=raw or None,
            parse_mode=parse_mode,
            disable_notification=_bool(params, "disable_notification"),
            protect_content=_bool(params, "protect_content"),
            reply_to_message_id=reply_to,
            document_name=upload.name,
            document_bytes=upload.data,
            document_mime_type=upload.content_type,
            warnings=_warnings(fixed),
        )
        return self._message_json(self._store(channel, message, upload), channel)

    def _edit_message_text(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        raw = _str(params, "text")
        if not raw:
            raise _ApiError(400, "Bad Request: message text is empty")
        parse_mode = _str(params, "parse_mode")
        parsed = self._parse(raw, parse_mode, params.get("entities"))
        channel = self._find_chat(params)
        self._need_post_rights(channel)
        fixed = self._message_text(parsed)
        markup = _keyboard(params)
        message_id = _int(params, "message_id")
        with self._lock:
            stored = self._messages[channel.chat_id]
            index = next(
                (k for k, m in enumerate(stored) if m.message_id == message_id and not m.deleted),
                None,
            )
            if index is None or stored[index].text is None or stored[index].from_user:
                raise _ApiError(400, "Bad Request: message to edit not found")
            old = stored[index]
            same_markup = (old.reply_markup or None) == (markup or None)
            if old.text == fixed.text and old.entities == fixed.entities and same_markup:
                raise _ApiError(400, _NOT_MODIFIED)
            stored[index] = replace(
                old,
                text=fixed.text,
                entities=fixed.entities,
                raw=raw,
                parse_mode=parse_mode,
                edit_date=int(time.time()),
                warnings=_warnings(fixed),
                reply_markup=markup,
            )
            return self._message_json(stored[index], channel)

    def _delete_message(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        channel = self._find_chat(params)
        self._need_post_rights(channel)
        if params.get("message_id") in (None, ""):
            raise _ApiError(400, "Bad Request: message_id is empty")
        message_id = _int(params, "message_id")
        with self._lock:
            stored = self._messages[channel.chat_id]
            for index, message in enumerate(stored):
                if message.message_id == message_id and not message.deleted:
                    stored[index] = replace(message, deleted=True)
                    return True
        raise _ApiError(400, "Bad Request: message to delete not found")

    def _get_file(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        file_id = _str(params, "file_id") or ""
        with self._lock:
            upload = self._files.get(file_id)
        if upload is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": _unique_id(file_id),
            "file_size": len(upload.data),
            "file_path": f"documents/{file_id}",
        }

    def _store(
        self, channel: Channel, message: StoredMessage, upload: _Upload | None = None
    ) -> StoredMessage:
        self._flood_check(channel.chat_id)
        with self._lock:
            message_id = self._next_message_id[channel.chat_id]
            self._next_message_id[channel.chat_id] = message_id + 1
            file_id = None
            if upload is not None:
                file_id = f"BQACAgIAAx0-fake-{channel.chat_id}-{message_id}"
                self._files[file_id] = upload
            stored = replace(
                message,
                message_id=message_id,
                date=int(time.time()),
                at=time.monotonic(),
                file_id=file_id,
            )
            self._messages[channel.chat_id].append(stored)
            return stored

    def _message_json(
        self, message: StoredMessage, channel: Channel, *, with_reply: bool = True
    ) -> dict[str, Any]:
        chat = channel.to_json()
        with self._lock:
            target = next(
                (
                    m
                    for m in self._messages[message.chat_id]
                    if m.message_id == message.reply_to_message_id
                ),
                None,
            )
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": chat,
        }
        if channel.type == "channel":
            data["sender_chat"] = chat
        elif message.from_user is None:
            data["from"] = self._bot_user()
        else:
            data["from"] = dict(self._people[message.from_user])
        if message.reply_markup is not None:
            data["reply_markup"] = dict(message.reply_markup)
        entities = [entity.to_bot_api() for entity in message.entities]
        if message.text is not None:
            data["text"] = message.text
            if entities:
                data["entities"] = entities
        if message.caption is not None:
            data["caption"] = message.caption
            if entities:
                data["caption_entities"] = entities
        if message.file_id is not None and message.document_bytes is not None:
            data["document"] = {
                "file_id": message.file_id,
                "file_unique_id": _unique_id(message.file_id),
                "file_name": message.document_name,
                "mime_type": message.document_mime_type,
                "file_size": len(message.document_bytes),
            }
        if message.link_preview_options is not None:
            data["link_preview_options"] = dict(message.link_preview_options)
        if message.protect_content:
            data["has_protected_content"] = True
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if with_reply and target is not None:
            data["reply_to_message"] = self._message_json(target, channel, with_reply=False)
        return data


def _unique_id(file_id: str) -> str:
    return "AgAD" + file_id.rsplit("-", 2)[-1]
