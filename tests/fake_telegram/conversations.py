"""People talking to the bot: private chats and groups, updates (``getUpdates`` or a webhook),
inline keyboards and their callback queries, and the scripted users that drive them.

A test registers people (:meth:`_Conversations.add_user`) and groups
(:meth:`_Conversations.add_group`), makes them write (:meth:`~_Conversations.say`) or press an
inline button of a message the bot sent (:meth:`~_Conversations.press`), and reads what the bot
sent back (:meth:`FakeTelegram.messages <tests.fake_telegram.FakeTelegram.messages>`, with the
keyboards in ``reply_markup``). Each action becomes an update, as Telegram makes it: a
``message`` with a ``bot_command`` entity for a command, the person's ``language_code``, or a
``callback_query`` whose id ``answerCallbackQuery`` must answer once.

Updates wait in a queue until the bot confirms them, with ``getUpdates``' ``offset`` (long
polling: a request waits up to its ``timeout`` for one) or by a ``200`` answer of its webhook,
where the fake POSTs them one at a time with the ``X-Telegram-Bot-Api-Secret-Token`` header
(``setWebhook``; ``getUpdates`` then answers 409 as Telegram does). Unlike Telegram, the fake
takes an ``http://`` loopback webhook: in production a reverse proxy terminates TLS.

A person who blocked the bot (:meth:`~_Conversations.block`) makes every send to their chat
answer 403 ``Forbidden: bot was blocked by the user``. ``getChatMember`` and
``getChatAdministrators`` answer for a group's people as Telegram does.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tests.fake_telegram.answers import _ApiError
from tests.fake_telegram.methods import _Methods
from tests.fake_telegram.params import _int, _str
from tests.fake_telegram.records import Channel, StoredMessage, _Upload

_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete"
    " the webhook first"
)

#: Who an anonymous administrator's message is ``from`` (Telegram's own helper bot).
ANONYMOUS_ADMIN = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}

_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)


class _Conversations(_Methods):
    """Private chats, groups, updates and callback queries (a mixin of FakeTelegram)."""

    _stopping: threading.Event

    def _init_conversations(self) -> None:
        self._people: dict[int, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._queries: dict[str, dict[str, Any]] = {}
        self._answers: dict[str, dict[str, Any]] = {}
        self._query_ids = itertools.count(1000)
        self._webhook: dict[str, Any] | None = None
        self._webhook_thread: threading.Thread | None = None
        self.commands: list[dict[str, Any]] = []

    # ------------------------------------------------------------------------------ set-up
    def add_user(
        self,
        user_id: int,
        first_name: str = "Ada",
        *,
        language_code: str | None = "en",
        username: str | None = None,
    ) -> Channel:
        """A person (positive id) and their private chat with the bot."""
        if user_id <= 0:
            raise ValueError(f"a person's id is positive, not {user_id}")
        chat = Channel(
            user_id,
            username,
            title="",
            type="private",
            first_name=first_name,
            language_code=language_code,
        )
        with self._lock:
            self._channels[user_id] = chat
            self._messages.setdefault(user_id, [])
            self._next_message_id.setdefault(user_id, 1)
            self._people[user_id] = chat.user_json()
        return replace(chat)

    def add_users(self, first: int, count: int, *, language_code: str | None = "en") -> list[int]:
        """``count`` people with ids from ``first`` on; their ids."""
        ids = list(range(first, first + count))
        for user_id in ids:
            self.add_user(user_id, f"Reader {user_id}", language_code=language_code)
        return ids

    def add_group(
        self,
        chat_id: int,
        title: str = "Newsroom",
        *,
        admins: tuple[int, ...] = (),
        members: tuple[int, ...] = (),
    ) -> Channel:
        """A group (``-N``) or supergroup (``-100...``) with the bot in it as a member.

        ``admins``: the creator first, then the other administrators; ``members``: the rest.
        People not registered with :meth:`add_user` are made up (``Member <id>``).
        """
        if chat_id >= 0:
            raise ValueError(f"a group id is negative, not {chat_id}")
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        group = Channel(
            chat_id, title=title, type=kind, admin=False, admins=admins, members=members
        )
        with self._lock:
            for person in (*admins, *members):
                self._people.setdefault(
                    person, {"id": person, "is_bot": False, "first_name": f"Member {person}"}
                )
            self._channels[chat_id] = group
            self._messages.setdefault(chat_id, [])
            self._next_message_id.setdefault(chat_id, 1)
        return replace(group)

    def block(self, user_id: int, blocked: bool = True) -> None:
        """The person blocks the bot (or unblocks it with ``blocked=False``)."""
        self.update_channel(user_id, blocked=blocked)

    # ------------------------------------------------------------------------ scripted users
    def say(
        self, chat_id: int, text: str, *, user_id: int | None = None, anonymous: bool = False
    ) -> int:
        """A person writes ``text`` in a chat (their private chat by default); the update id.

        ``anonymous``: an administrator of a group writing as the group, as Telegram shows it
        (``from`` is @GroupAnonymousBot, ``sender_chat`` the group itself).
        """
        with self._lock:
            chat = self._channels[chat_id]
            author = user_id if user_id is not None else chat_id
            if author not in self._people:
                raise ValueError(f"who writes? {author} is nobody the fake knows")
            if anonymous and author not in chat.admins:
                raise ValueError(f"only an administrator writes as the group, not {author}")
            person = ANONYMOUS_ADMIN if anonymous else self._people[author]
            message_id = self._next_message_id[chat_id]
            self._next_message_id[chat_id] = message_id + 1
            stored = StoredMessage(
                chat_id=chat_id,
                message_id=message_id,
                date=int(time.time()),
                method="user",
                at=time.monotonic(),
                text=text,
                from_user=author,
            )
            self._messages[chat_id].append(stored)
            message: dict[str, Any] = {
                "message_id": message_id,
                "from": dict(person),
                "chat": chat.to_json(),
                "date": stored.date,
                "text": text,
            }
            if anonymous:
                message["sender_chat"] = chat.to_json()
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            return self._push({"message": message})

    def press(self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None) -> str:
        """A person presses the inline button ``data`` under a bot message; the query's id.

        Raises:
            ValueError: the message has no such button (a person could not press it).
        """
        with self._lock:
            chat = self._channels[chat_id]
            target = next(
                m
                for m in self._messages[chat_id]
                if m.message_id == message_id and not m.deleted and m.from_user is None
            )
            buttons = [
                button.get("callback_data")
                for row in (target.reply_markup or {}).get("inline_keyboard", [])
                for button in row
            ]
            if data not in buttons:
                raise ValueError(f"message {message_id} has no button {data!r} (it has {buttons})")
            author = user_id if user_id is not None else chat_id
            if author not in self._people:
                raise ValueError(f"who presses? {author} is nobody the fake knows")
            query_id = str(next(self._query_ids))
            query = {
                "id": query_id,
                "from": dict(self._people[author]),
                "message": self._message_json(target, chat),
                "chat_instance": f"instance{chat_id}",
                "data": data,
            }
            self._queries[query_id] = query
            self._push({"callback_query": query})
            return query_id

    def answer_of(self, query_id: str) -> dict[str, Any] | None:
        """How the bot answered a callback query (``text``, ``show_alert``), if it did."""
        with self._lock:
            return self._answers.get(query_id)

    def wait_until(self, condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
        """Wait until ``condition()`` (called with the fake's state locked) holds.

        Raises:
            TimeoutError: it did not within ``timeout`` seconds.
        """
        with self._lock:
            if not self._lock.wait_for(condition, timeout):
                raise TimeoutError("the condition did not hold in time")

    def wait_for_messages(
        self, chat_id: int, count: int, *, timeout: float = 10.0
    ) -> list[StoredMessage]:
        """Wait until the bot sent ``count`` messages (or more) to a chat; return them all."""
        self.wait_until(lambda: len(self._bot_messages(chat_id)) >= count, timeout=timeout)
        return self.messages(chat_id)

    def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet."""
        with self._lock:
            return len(self._updates)

    # ------------------------------------------------------------------------- internals
    def _bot_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self._messages.get(chat_id, []) if m.from_user is None and not m.deleted]

    def _push(self, payload: dict[str, Any]) -> int:
        """Queue an update (with the state locked); its id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **payload})
        self._lock.notify_all()
        return update_id

    def _methods(self) -> dict[str, Callable[[dict[str, Any], dict[str, _Upload]], Any]]:
        return {
            **super()._methods(),
            "getupdates": self._get_updates,
            "answercallbackquery": self._answer_callback_query,
            "getchatadministrators": self._get_chat_administrators,
            "setmycommands": lambda params, uploads: True,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
        }

    def _get_updates(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        offset = _int(params, "offset")
        limit = min(max(_int(params, "limit") or 100, 1), 100)
        timeout = float(params.get("timeout") or 0)
        with self._lock:
            if self._webhook is not None:
                raise _ApiError(409, _WEBHOOK_CONFLICT)
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._lock.wait_for(
                lambda: bool(self._updates) or self._stopping.is_set(), min(timeout, 30.0)
            )
            return [dict(update) for update in self._updates[:limit]]

    def _answer_callback_query(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        query_id = _str(params, "callback_query_id") or ""
        with self._lock:
            if query_id not in self._queries or query_id in self._answers:
                raise _ApiError(400, _QUERY_INVALID)
            self._answers[query_id] = {
                "text": _str(params, "text"),
                "show_alert": str(params.get("show_alert", "")).lower() == "true",
            }
            self._lock.notify_all()
        return True

    def _person(self, user_id: int) -> dict[str, Any]:
        with self._lock:
            person = self._people.get(user_id)
        if person is None and user_id != self.bot_id:
            raise _ApiError(400, "Bad Request: user not found")
        return dict(person) if person is not None else self._bot_user()

    def _member_json(self, chat: Channel, user_id: int) -> dict[str, Any]:
        user = self._person(user_id)
        if chat.admins and user_id == chat.admins[0]:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in chat.admins:
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_promote_members": False,
                **dict.fromkeys(_RIGHTS, True),
            }
        if user_id in chat.members or user_id == self.bot_id:
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    def _get_chat_member(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        chat = self._find_chat(params, need_member=False)
        if chat.type not in ("group", "supergroup") or not (chat.admins or chat.members):
            return super()._get_chat_member(params, uploads)
        return self._member_json(chat, _int(params, "user_id"))

    def _get_chat_administrators(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        chat = self._find_chat(params)
        if chat.type == "private":
            raise _ApiError(400, "Bad Request: there are no administrators in the private chat")
        return [self._member_json(chat, person) for person in chat.admins]

    def _set_webhook(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        url = _str(params, "url") or ""
        if not url:
            return self._delete_webhook(params, uploads)
        with self._lock:
            self._webhook = {"url": url, "secret": _str(params, "secret_token")}
            if _str(params, "drop_pending_updates") == "true":
                self._updates.clear()
            if self._webhook_thread is None or not self._webhook_thread.is_alive():
                self._webhook_thread = threading.Thread(target=self._deliver, daemon=True)
                self._webhook_thread.start()
            self._lock.notify_all()
        return True

    def _delete_webhook(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        with self._lock:
            self._webhook = None
            if _str(params, "drop_pending_updates") == "true":
                self._updates.clear()
            self._lock.notify_all()
        return True

    def _get_webhook_info(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        with self._lock:
            return {
                "url": self._webhook["url"] if self._webhook else "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    def _deliver(self) -> None:
        """POST queued updates to the webhook, one at a time, until it is deleted."""
        while not self._stopping.is_set():
            with self._lock:
                self._lock.wait_for(
                    lambda: self._stopping.is_set() or self._webhook is None or bool(self._updates),
                    1.0,
                )
                if self._stopping.is_set() or self._webhook is None:
                    return
                if not self._updates:
                    continue
                hook, update = dict(self._webhook), dict(self._updates[0])
            request = urllib.request.Request(
                hook["url"],
                data=json.dumps(update).encode(),
                headers={"Content-Type": "application/json"}
                | ({"X-Telegram-Bot-Api-Secret-Token": hook["secret"]} if hook["secret"] else {}),
            )
            delivered = False
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(request, timeout=5) as answer,
            ):
                delivered = answer.status == 200
            with self._lock:
                if delivered and self._updates and self._updates[0] is not None:
                    if self._updates[0]["update_id"] == update["update_id"]:
                        self._updates.pop(0)
                    self._lock.notify_all()
            if not delivered:
                time.sleep(0.1)
