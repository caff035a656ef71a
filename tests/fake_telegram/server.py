"""The server: :class:`FakeTelegram`, its set-up and reading API, and the path of one request
(record it, apply an injected fault, answer). See :mod:`tests.fake_telegram`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import replace
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from tests.fake_telegram.answers import (
    _NGINX_413,
    _Answer,
    _ApiError,
    _description,
    _error_answer,
    _flood,
    _nginx_page,
)
from tests.fake_telegram.conversations import _Conversations
from tests.fake_telegram.faults import Fault, _Injection
from tests.fake_telegram.oracle import TdjsonOracle
from tests.fake_telegram.records import Channel, RecordedRequest, StoredMessage, _Upload
from tests.fake_telegram.rules import UPLOAD_LIMIT
from tests.fake_telegram.wire import _Handler, _read_params, _Server
from tests.servers import ServedInThread


class FakeTelegram(_Conversations, ServedInThread):
    """The fake Bot API server (see :mod:`tests.fake_telegram`). Context manager, or start()/stop().

    Args:
        token: the only token accepted (``<bot id>:<secret>``).
        per_chat_per_minute: sends allowed per chat in ``per_chat_window`` seconds (None: no
            limit). Telegram's is about 20 a minute for groups and channels.
        per_chat_window: the length of the per-chat window, in seconds.
        global_per_second: sends allowed per second over all chats (None: no limit).
        max_upload_bytes: request bodies larger than this get nginx's 413.
        parser: ``auto`` (tdjson if importable, else the port), ``tdjson`` or ``port``.
        strict_utf16: count text and caption limits in UTF-16 units instead of code points.
        bot_username: the bot's username in ``getMe``.
    """

    def __init__(
        self,
        token: str = "123456789:TEST-fake-token",  # noqa: S107 - a dummy, Telegram never sees it
        *,
        per_chat_per_minute: int | None = 20,
        per_chat_window: float = 60.0,
        global_per_second: int | None = 30,
        max_upload_bytes: int = UPLOAD_LIMIT,
        parser: Literal["auto", "tdjson", "port"] = "auto",
        strict_utf16: bool = False,
        bot_username: str = "policy_tracker_bot",
    ) -> None:
        self._token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.per_chat_per_minute = per_chat_per_minute
        self.per_chat_window = per_chat_window
        self.global_per_second = global_per_second
        self.max_upload_bytes = max_upload_bytes
        self.strict_utf16 = strict_utf16
        self._oracle = TdjsonOracle.load() if parser != "port" else None
        if parser == "tdjson" and self._oracle is None:
            raise RuntimeError("parser='tdjson' but the tdjson wheel is not installed")
        self._lock = threading.Condition()
        self._channels: dict[int, Channel] = {}
        self._migrated: dict[int, int] = {}
        self._messages: dict[int, list[StoredMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._files: dict[str, _Upload] = {}
        self._requests: list[RecordedRequest] = []
        self._injections: list[_Injection] = []
        self._sent_per_chat: dict[int, deque[float]] = {}
        self._sent_all: deque[float] = deque()
        self._held: list[threading.Event] = []
        self._stopping = threading.Event()
        self._init_conversations()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    # ------------------------------------------------------------------------------ set-up
    def stop(self) -> None:
        """Stop serving; held requests are released and closed without an answer."""
        self._stopping.set()
        with self._lock:
            self._lock.notify_all()  # long polls end
        self.release()
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()

    def add_channel(
        self,
        chat_id: int,
        username: str | None = None,
        *,
        title: str = "Policy changes",
        member: bool = True,
        admin: bool = True,
        can_post: bool = True,
        kicked: bool = False,
    ) -> Channel:
        """Register a channel (``-100...`` id; ``username`` without ``@`` makes it public)."""
        if not str(chat_id).startswith("-100"):
            raise ValueError(f"a channel id starts with -100, not {chat_id}")
        channel = Channel(chat_id, username, title, member, admin, can_post, kicked)
        with self._lock:
            self._channels[chat_id] = channel
            self._messages.setdefault(chat_id, [])
            self._next_message_id.setdefault(chat_id, 1)
        return channel

    def upgrade_group(self, old_id: int, new_id: int, *, title: str = "Policy changes") -> Channel:
        """A group ``old_id`` became the supergroup ``new_id`` (``-100...``), the bot an admin.

        From now on every request naming ``old_id`` gets Telegram's 400 ``group chat was
        upgraded to a supergroup chat`` with ``parameters.migrate_to_chat_id``; ``new_id``
        accepts messages.
        """
        if str(old_id).startswith("-100") or old_id >= 0:
            raise ValueError(f"a basic group id is negative without -100, not {old_id}")
        channel = self.add_channel(new_id, title=title)
        with self._lock:
            channel = self._channels[new_id]
            channel.type = "supergroup"
            self._migrated[old_id] = new_id
            self._channels.pop(old_id, None)
            return replace(channel)

    def remove_channel(self, chat_id: int) -> None:
        """Forget a channel: from now on it is ``chat not found`` (its messages stay readable)."""
        with self._lock:
            self._channels.pop(chat_id, None)

    def update_channel(self, chat_id: int, **changes: Any) -> Channel:
        """Change a registered channel (``admin=False``, ``kicked=True`` ...) from now on."""
        with self._lock:
            channel = self._channels[chat_id]
            for name, value in changes.items():
                if not hasattr(channel, name):
                    raise TypeError(f"Channel has no field {name!r}")
                setattr(channel, name, value)
            return replace(channel)

    def inject(
        self, chat_id: int | str | None, fault: Fault, *, times: int = 1, method: str | None = None
    ) -> None:
        """Apply ``fault`` to the next ``times`` requests for ``chat_id`` (None: any request).

        ``chat_id`` may be the id or ``@username`` of a registered channel (both match it);
        ``method`` (any case) limits the fault to one Bot API method. Injections are used in
        the order they were made.
        """
        key = self._chat_key(chat_id) if chat_id is not None else None
        with self._lock:
            self._injections.append(_Injection(key, method and method.lower(), fault, times))

    def release(self) -> None:
        """Let every held request (``hang``, ``after_store_hang``) end: closed, unanswered."""
        with self._lock:
            held, self._held = self._held, []
        for event in held:
            event.set()

    # ----------------------------------------------------------------------------- reading
    @property
    def token(self) -> str:
        """The bot token the fake accepts."""
        return self._token

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``base_url`` for python-telegram-bot (the token is appended by PTB)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """``base_file_url`` for python-telegram-bot."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def parser_name(self) -> str:
        """``tdjson`` when TDLib parses HTML, ``port`` for :mod:`tracker.render.telegram_html`."""
        return "port" if self._oracle is None else "tdjson"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str) -> list[RecordedRequest]:
        """The requests for one Bot API method (any case)."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    def messages(
        self, chat_id: int | str, *, include_deleted: bool = False, include_people: bool = False
    ) -> list[StoredMessage]:
        """The bot's messages in a chat (id or ``@username``), oldest first.

        ``include_people``: the messages scripted people wrote there too.
        """
        key = self._chat_key(chat_id)
        with self._lock:
            stored = self._messages.get(key, []) if isinstance(key, int) else []
            return [
                m
                for m in stored
                if (include_deleted or not m.deleted) and (include_people or m.from_user is None)
            ]

    def channel(self, chat_id: int | str) -> Channel:
        """A copy of a registered channel's settings."""
        key = self._chat_key(chat_id)
        with self._lock:
            if not isinstance(key, int) or key not in self._channels:
                raise KeyError(chat_id)
            return replace(self._channels[key])

    def wait_for_requests(
        self, count: int, *, method: str | None = None, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Wait until ``count`` requests (for ``method``, if given) have arrived; return them.

        Raises:
            TimeoutError: fewer arrived within ``timeout`` seconds.
        """

        def matching() -> list[RecordedRequest]:
            return [
                r for r in self._requests if method is None or r.method.lower() == method.lower()
            ]

        with self._lock:
            if not self._lock.wait_for(lambda: len(matching()) >= count, timeout):
                raise TimeoutError(f"{len(matching())} of {count} requests arrived")
            return matching()

    # ------------------------------------------------------------------------- internals
    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()
            return len(self._requests) - 1

    def _finish(self, index: int, status: int, description: str, fault: str | None) -> None:
        with self._lock:
            self._requests[index] = replace(
                self._requests[index], status=status, description=description, fault=fault
            )
            self._lock.notify_all()

    def _take_fault(self, chat: int | str | None, method: str) -> Fault | None:
        with self._lock:
            for injection in self._injections:
                if injection.method not in (None, method.lower()):
                    continue
                if injection.chat is not None and injection.chat != chat:
                    continue
                injection.times -= 1
                if injection.times <= 0:
                    self._injections.remove(injection)
                return injection.fault
        return None

    def _hold(self, seconds: float | None = None) -> None:
        """Wait for :meth:`release`/stop (or ``seconds``, if given)."""
        event = threading.Event()
        with self._lock:
            self._held.append(event)
        if self._stopping.is_set():
            return
        event.wait(seconds)

    # ----------------------------------------------------------------------- one request
    def _serve(self, handler: _Handler) -> None:
        """Answer one HTTP request (called on the handler's own thread)."""
        arrived = time.monotonic()
        path = unquote(urlsplit(handler.path).path)
        if path.startswith("/file/bot"):
            self._serve_file(handler, path)
            return
        token, _, method = path.removeprefix("/bot").partition("/")
        length = int(handler.headers.get("Content-Length") or 0)
        if length > self.max_upload_bytes:  # nginx refuses before the Bot API sees anything
            handler.drain(length)
            handler.send(_Answer(413, _NGINX_413, "text/html"), close=True)
            self._record(RecordedRequest(method, handler.command, None, arrived, {}, 413, "413"))
            return
        early: _Answer | None = None
        try:
            params, uploads = _read_params(handler, handler.read_body(length))
        except _ApiError as exc:
            params, uploads, early = {}, {}, _error_answer(exc)
        chat_param = params.get("chat_id")
        chat = self._chat_key(chat_param) if chat_param not in (None, "") else None
        shown = dict(params) | {name: (u.name, len(u.data)) for name, u in uploads.items()}
        index = self._record(RecordedRequest(method, handler.command, chat, arrived, shown))
        if not path.startswith("/bot") or not method or "/" in method:
            early = _error_answer(_ApiError(404, "Not Found"))
        elif token != self._token:
            early = _error_answer(_ApiError(401, "Unauthorized"))
        if early is not None:
            self._finish(index, early.status, _description(early), None)
            handler.send(early)
            return
        fault = self._take_fault(chat, method)
        if fault is not None and not fault.handles_request:
            self._refuse(fault, index, handler)
        else:
            answer = self._answer(method, params, uploads, index, fault)
            if fault is not None and fault.kind == "after_store_hang":
                self._finish(
                    index,
                    0,
                    f"never answered (would be: {_description(answer)})",
                    "after_store_hang",
                )
                self._hold()
                handler.close_connection = True
                return
            if fault is not None:
                self._hold(fault.seconds)
            handler.send(answer)

    def _refuse(self, fault: Fault, index: int, handler: _Handler) -> None:
        """Answer (or not) as ``fault`` says, without handling the request."""
        kind = fault.kind
        if kind in ("hang", "timeout"):
            self._finish(index, 0, "closed without an answer", kind)
            self._hold(None if kind == "hang" else fault.seconds)
            handler.close_connection = True
            return
        if kind == "flood":
            answer = _error_answer(_flood(fault.retry_after))
        elif kind == "server_error":
            answer = _Answer(fault.status, _nginx_page(fault.status), "text/html")
        elif kind == "not_json":
            answer = _Answer(200, b"<html>upstream sent garbage</html>", "text/html")
        else:
            error = _ApiError(fault.status, fault.description, **dict(fault.parameters))
            answer = _error_answer(error)
        self._finish(index, answer.status, _description(answer), kind)
        handler.send(answer)

    def _answer(
        self,
        method: str,
        params: dict[str, Any],
        uploads: dict[str, _Upload],
        index: int,
        fault: Fault | None,
    ) -> _Answer:
        """Handle the request; record and return the answer."""
        try:
            result = self._call(method, params, uploads)
        except _ApiError as exc:
            answer = _error_answer(exc)
        else:
            answer = _Answer(200, json.dumps({"ok": True, "result": result}).encode())
        self._finish(index, answer.status, _description(answer), fault.kind if fault else None)
        return answer

    def _serve_file(self, handler: _Handler, path: str) -> None:
        token, _, file_path = path.removeprefix("/file/bot").partition("/")
        with self._lock:
            upload = self._files.get(file_path.removeprefix("documents/"))
        if token != self._token or upload is None:
            handler.send(_error_answer(_ApiError(404, "Not Found")))
            return
        handler.send(_Answer(200, upload.data, upload.content_type))
