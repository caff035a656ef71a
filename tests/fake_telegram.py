"""A fake Telegram Bot API on 127.0.0.1 that keeps Telegram's real rules (telegram.md §5.2).

The real python-telegram-bot talks to it over a real socket, so its form, JSON and multipart
encoding, its status-to-exception mapping and its retries are all in play::

    with FakeTelegram() as fake:
        fake.add_channel(-1001234567890, "legal_eu")
        bot = telegram.Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
        ...
        [message] = fake.messages(-1001234567890)

Requests go to ``/bot<token>/<method>`` (the method name in any case), by GET or POST, with
parameters in the query string, a urlencoded form, a JSON object or a multipart form; fields that
hold JSON (``reply_parameters``, ``link_preview_options``, ``entities``) are decoded, and
``true``/``false`` are booleans. A wrong token gets 401 ``Unauthorized``; an unknown method 404
``Not Found: method not found``. Implemented: ``getMe``, ``getChat``, ``getChatMember``,
``sendMessage``, ``sendDocument``, ``editMessageText``, ``deleteMessage`` and ``getFile`` (with
the download under :attr:`FakeTelegram.base_file_url`).

What it enforces, with Telegram's own error texts (listed in :data:`ERRORS`):

* HTML parse mode through TDLib's parser: the ``tdjson`` wheel when it is installed, else
  :mod:`tracker.telegram_html` (:attr:`FakeTelegram.parser_name` says which); either way the
  result then goes through :func:`~tracker.telegram_html.fix_formatted_text`, as sending does.
  Limits are checked after parsing and trimming: 4096 code points of text, 1024 of caption,
  32768 bytes of raw text; more than 100 entities is accepted but recorded as a warning on the
  stored message (Telegram drops the extra ones silently).
* Channels registered with :meth:`FakeTelegram.add_channel`, found by ``-100...`` id or by
  ``@username`` (public ones only); not a member, kicked, or no right to post each fails as
  Telegram does; a reply must target a message of that chat (unless
  ``allow_sending_without_reply``); uploads over 50 MB get nginx's 413.
* Flood control: a sliding window per chat (20 sends a minute by default) and one per second
  for the whole bot (30), answered with 429, ``parameters.retry_after`` and ``Retry-After``.

Faults are injected deterministically with :meth:`FakeTelegram.inject` and :class:`Fault`:
429s, 5xx, answers held back past the client's read timeout, requests that hang until
:meth:`FakeTelegram.release` (never stored, for killing a client mid-delivery) and requests
stored but never answered (the "acknowledged but lost" window).

Every request is recorded (:attr:`FakeTelegram.requests`, with its arrival time on the
monotonic clock and its outcome) and every accepted message kept (:meth:`FakeTelegram.messages`).
The server is a thread of the test process; the client may be another process (a ``tracker``
command run with :mod:`subprocess`, even one killed with SIGKILL): only the URL is shared.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType, TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from tracker.telegram_html import (
    Entity,
    HtmlParseError,
    Parsed,
    fix_formatted_text,
    parse_text_entities,
    utf16_len,
)

#: Every Telegram error description the fake can answer with (``%s`` and ``%d`` stand for the
#: variable part). Pinned by a golden test: these are Telegram's words, not ours. The one answer
#: of its own is 501 for Markdown parse modes, which the fake does not implement.
ERRORS: tuple[str, ...] = (
    "Unauthorized",
    "Not Found",
    "Not Found: method not found",
    "Bad Request: chat_id is empty",
    "Bad Request: chat not found",
    "Forbidden: bot is not a member of the channel chat",
    "Forbidden: bot was kicked from the channel chat",
    "Bad Request: need administrator rights in the channel chat",
    "Bad Request: message text is empty",
    "Bad Request: text is too long",
    "Bad Request: text must be non-empty",
    "Bad Request: message is too long",
    "Bad Request: message caption is too long",
    "Bad Request: unsupported parse_mode",
    "Bad Request: can't parse entities: %s",
    "Bad Request: message to be replied not found",
    "Bad Request: message thread not found",
    "Bad Request: message to edit not found",
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message",
    "Bad Request: message to delete not found",
    "Bad Request: message_id is empty",
    "Bad Request: there is no document in the request",
    "Bad Request: file must be non-empty",
    "Bad Request: wrong file identifier/HTTP URL specified",
    "Bad Request: invalid file_id",
    "Bad Request: user not found",
    "Bad Request: can't parse %s JSON object",
    "Bad Request: receive an entity with incorrect offset %d",
    "Bad Request: receive an entity with incorrect length %d",
    "Bad Request: entity begins after the end of the text at UTF-16 offset %d",
    "Bad Request: entity beginning at UTF-16 offset %d ends after the end of the text at UTF-16"
    " offset %d",
    "Too Many Requests: retry after %d",
)

_NOT_MODIFIED = ERRORS[18]

#: Telegram's limits (Bot API server and TDLib options), see telegram.md §1.1.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
RAW_TEXT_LIMIT = 32768
ENTITY_LIMIT = 100
UPLOAD_LIMIT = 50 * 1024 * 1024

_SEND_METHODS = frozenset({"sendMessage", "sendDocument"})
_NGINX_413 = (
    b"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    b"<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


# ------------------------------------------------------------------------------------ oracle


class TdjsonOracle:
    """TDLib's own parser through the ``tdjson`` wheel: ``td_execute`` needs no login or network.

    :meth:`parse_text_entities` is TDLib's ``parseTextEntities`` (what the Bot API server calls
    for ``parse_mode``); :meth:`parse_markdown` runs TDLib's ``parseMarkdown``, whose first step
    is ``fix_formatted_text`` *without* trimming (TDLib has no synchronous request that trims),
    and which afterwards also turns ``**``, ``__``, ``~~``, ``||``, backticks and ``[..](..)``
    into entities, so it only serves as an oracle for texts without those characters.

    One hazard: TDLib aborts the whole process when an attribute decodes to a lone surrogate
    (``href="&#xD800;"``), so texts with a numeric reference to a surrogate are refused
    (:meth:`is_safe`); the fake parses those with the Python port instead.
    """

    _SURROGATE_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+))")

    def __init__(self, module: ModuleType) -> None:
        self._td = module
        self._lock = threading.Lock()
        self._execute({"@type": "setLogVerbosityLevel", "new_verbosity_level": 0})

    @classmethod
    def load(cls) -> TdjsonOracle | None:
        """The oracle, or None when the ``tdjson`` wheel is not installed (or does not load)."""
        try:
            module = importlib.import_module("tdjson")
        except ImportError:
            return None
        return cls(module)

    @property
    def version(self) -> str:
        """TDLib's version, as the library reports it (option ``version``)."""
        answer = self._execute({"@type": "getOption", "name": "version"})
        return str(answer.get("value", ""))

    def is_safe(self, text: str) -> bool:
        """False if ``text`` could make TDLib abort (see the class docstring) or is not UTF-8."""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return False
        for match in self._SURROGATE_REFERENCE.finditer(text):
            hex_digits, digits = match.groups()
            code = int(hex_digits, 16) if hex_digits else int(digits)
            if 0xD800 <= code <= 0xDFFF:
                return False
        return True

    def parse_text_entities(self, text: str) -> Parsed:
        """TDLib's ``parseTextEntities`` with HTML mode, as :class:`Parsed` (untrimmed).

        Raises:
            HtmlParseError: with TDLib's message minus its ``Can't parse entities: `` prefix.
            ValueError: the text is not :meth:`safe <is_safe>` to hand to TDLib.
        """
        if not self.is_safe(text):
            raise ValueError("TDLib would abort on this text")
        answer = self._execute(
            {
                "@type": "parseTextEntities",
                "text": text,
                "parse_mode": {"@type": "textParseModeHTML"},
            }
        )
        if answer["@type"] == "error":
            raise HtmlParseError(str(answer["message"]).removeprefix("Can't parse entities: "))
        return _parsed_from_td(answer)

    def parse_markdown(self, parsed: Parsed) -> Parsed:
        """TDLib's ``parseMarkdown`` of a formatted text (see the class docstring)."""
        entities = [_td_entity(entity) for entity in parsed.entities]
        answer = self._execute(
            {
                "@type": "parseMarkdown",
                "text": {"@type": "formattedText", "text": parsed.text, "entities": entities},
            }
        )
        if answer["@type"] == "error":
            raise HtmlParseError(str(answer["message"]))
        return _parsed_from_td(answer)

    def _execute(self, request: Mapping[str, object]) -> dict[str, Any]:
        with self._lock:
            answer = self._td.td_execute(json.dumps(request).encode("utf-8"))
        result: dict[str, Any] = json.loads(answer)
        return result


_TD_TYPES = {
    "textEntityTypeBold": "bold",
    "textEntityTypeItalic": "italic",
    "textEntityTypeUnderline": "underline",
    "textEntityTypeStrikethrough": "strikethrough",
    "textEntityTypeSpoiler": "spoiler",
    "textEntityTypeCode": "code",
    "textEntityTypePre": "pre",
    "textEntityTypePreCode": "pre",
    "textEntityTypeTextUrl": "text_link",
    "textEntityTypeMentionName": "text_mention",
    "textEntityTypeCustomEmoji": "custom_emoji",
    "textEntityTypeBlockQuote": "blockquote",
    "textEntityTypeExpandableBlockQuote": "expandable_blockquote",
    "textEntityTypeDateTime": "date_time",
}
_PRECISION = {"None": "", "Short": "short", "Long": "long"}


def _date_time_format(formatting: Mapping[str, Any] | None) -> str | None:
    """The Bot API's ``date_time_format`` string of a TDLib ``DateTimeFormattingType``."""
    if formatting is None:
        return None
    if formatting["@type"] == "dateTimeFormattingTypeRelative":
        return "r"
    date = formatting["date_precision"]["@type"].removeprefix("dateTimePartPrecision")
    time_ = formatting["time_precision"]["@type"].removeprefix("dateTimePartPrecision")
    weekday = "w" if formatting["show_day_of_week"] else ""
    return (
        weekday
        + {"None": "", "Short": "d", "Long": "D"}[date]
        + {
            "None": "",
            "Short": "t",
            "Long": "T",
        }[time_]
    )


def _parsed_from_td(answer: Mapping[str, Any]) -> Parsed:
    entities = []
    for item in answer["entities"]:
        kind = item["type"]
        entities.append(
            Entity(
                type=_TD_TYPES[kind["@type"]],
                offset=item["offset"],
                length=item["length"],
                url=kind.get("url"),
                language=kind.get("language"),
                custom_emoji_id=kind.get("custom_emoji_id"),
                user_id=kind.get("user_id"),
                unix_time=kind.get("unix_time"),
                date_time_format=_date_time_format(kind.get("formatting_type"))
                if kind["@type"] == "textEntityTypeDateTime"
                else None,
            )
        )
    return Parsed(answer["text"], tuple(entities))


def _td_entity(entity: Entity) -> dict[str, Any]:
    """An :class:`Entity` as a TDLib ``textEntity`` (the inverse of :func:`_parsed_from_td`)."""
    names = {value: key for key, value in _TD_TYPES.items() if key != "textEntityTypePreCode"}
    kind: dict[str, Any] = {"@type": names[entity.type]}
    if entity.type == "pre" and entity.language:
        kind = {"@type": "textEntityTypePreCode", "language": entity.language}
    if entity.url is not None:
        kind["url"] = entity.url
    if entity.user_id is not None:
        kind["user_id"] = entity.user_id
    if entity.custom_emoji_id is not None:
        kind["custom_emoji_id"] = entity.custom_emoji_id
    if entity.unix_time is not None:
        kind["unix_time"] = entity.unix_time
        kind["formatting_type"] = _td_formatting(entity.date_time_format)
    return {"@type": "textEntity", "offset": entity.offset, "length": entity.length, "type": kind}


def _td_formatting(date_time_format: str | None) -> dict[str, Any] | None:
    if date_time_format is None:
        return None
    if date_time_format == "r":
        return {"@type": "dateTimeFormattingTypeRelative"}

    def precision(short: str, long: str) -> dict[str, str]:
        name = "Short" if short in date_time_format else "Long" if long in date_time_format else ""
        return {"@type": "dateTimePartPrecision" + (name or "None")}

    return {
        "@type": "dateTimeFormattingTypeAbsolute",
        "time_precision": precision("t", "T"),
        "date_precision": precision("d", "D"),
        "show_day_of_week": "w" in date_time_format,
    }


# ------------------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class Fault:
    """A deterministic misbehaviour for :meth:`FakeTelegram.inject` (build with the class methods).

    Attributes:
        kind: ``flood``, ``server_error``, ``timeout``, ``hang``, ``after_store_hang``,
            ``not_json`` or ``error``.
        retry_after: for ``flood``, the seconds announced.
        status: for ``server_error`` and ``error``, the HTTP status.
        seconds: for ``timeout``, how long the answer is held back.
        store: for ``timeout``, whether the request is handled (and stored) before the wait.
        description: for ``error``, the description sent.
        parameters: for ``error``, the ``parameters`` object sent (as key/value pairs).
    """

    kind: str
    retry_after: int = 0
    status: int = 0
    seconds: float = 0.0
    store: bool = True
    description: str = ""
    parameters: tuple[tuple[str, Any], ...] = ()

    @property
    def handles_request(self) -> bool:
        """Whether the request is still handled (and maybe stored) despite the fault."""
        return self.kind == "after_store_hang" or (self.kind == "timeout" and self.store)

    @classmethod
    def flood(cls, retry_after: int = 1) -> Fault:
        """Answer 429 ``Too Many Requests: retry after N`` (PTB: ``RetryAfter``); nothing stored."""
        return cls("flood", retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 502) -> Fault:
        """Answer nginx's HTML page for ``status`` (PTB: ``NetworkError``); nothing stored."""
        return cls("server_error", status=status)

    @classmethod
    def timeout(cls, seconds: float, *, store: bool = True) -> Fault:
        """Hold the answer back ``seconds`` (past the client's read timeout: ``TimedOut``).

        With ``store`` (the default) the request is handled first, so the message exists
        although the client saw a timeout; without, it is dropped and the connection closed.
        """
        return cls("timeout", seconds=seconds, store=store)

    @classmethod
    def hang(cls) -> Fault:
        """Block until :meth:`FakeTelegram.release` or stop, then close without an answer.

        Nothing is stored: this is the window in which a client can be killed mid-delivery.
        """
        return cls("hang")

    @classmethod
    def after_store_hang(cls) -> Fault:
        """Store the message, then block like :meth:`hang`: acknowledged by Telegram, but lost."""
        return cls("after_store_hang")

    @classmethod
    def not_json(cls) -> Fault:
        """Answer 200 with a body that is not JSON (PTB: ``TelegramError``); nothing stored."""
        return cls("not_json")

    @classmethod
    def error(cls, status: int, description: str, **parameters: Any) -> Fault:
        """Answer any Bot API error, e.g. a migration with ``migrate_to_chat_id=...``."""
        return cls(
            "error", status=status, description=description, parameters=tuple(parameters.items())
        )


@dataclass(slots=True)
class Channel:
    """A channel the fake knows, and what the bot may do there (change with ``update_channel``)."""

    chat_id: int
    username: str | None = None
    title: str = "Policy changes"
    member: bool = True
    admin: bool = True
    can_post: bool = True
    kicked: bool = False

    def to_json(self) -> dict[str, Any]:
        """The ``Chat`` object of this channel."""
        data: dict[str, Any] = {"id": self.chat_id, "type": "channel", "title": self.title}
        if self.username:
            data["username"] = self.username
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


class _ApiError(Exception):
    """An error answer: status, description and optional ``parameters``."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass(slots=True)
class _Injection:
    chat: int | str | None
    method: str | None
    fault: Fault
    times: int


@dataclass(slots=True)
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


# ------------------------------------------------------------------------------------ server


class FakeTelegram:
    """The fake Bot API server (see the module docstring). Context manager, or start()/stop().

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
        self._messages: dict[int, list[StoredMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._files: dict[str, _Upload] = {}
        self._requests: list[RecordedRequest] = []
        self._injections: list[_Injection] = []
        self._sent_per_chat: dict[int, deque[float]] = {}
        self._sent_all: deque[float] = deque()
        self._held: list[threading.Event] = []
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    # ------------------------------------------------------------------------------ set-up
    def start(self) -> Self:
        """Start serving in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; held requests are released and closed without an answer."""
        self._stopping.set()
        self.release()
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

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
        """``tdjson`` when TDLib itself parses HTML, ``port`` for :mod:`tracker.telegram_html`."""
        return "port" if self._oracle is None else "tdjson"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str) -> list[RecordedRequest]:
        """The requests for one Bot API method (any case)."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    def messages(self, chat_id: int | str, *, include_deleted: bool = False) -> list[StoredMessage]:
        """The messages of a chat (id or ``@username``), oldest first."""
        key = self._chat_key(chat_id)
        with self._lock:
            stored = self._messages.get(key, []) if isinstance(key, int) else []
            return [m for m in stored if include_deleted or not m.deleted]

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

    # -------------------------------------------------------------------------- the API
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

    def _send_message(self, params: dict[str, Any], uploads: dict[str, _Upload]) -> Any:
        raw = _str(params, "text")
        if not raw:
            raise _ApiError(400, "Bad Request: message text is empty")
        parse_mode = _str(params, "parse_mode")
        parsed = self._parse(raw, parse_mode, params.get("entities"))
        channel = self._find_chat(params)
        self._need_post_rights(channel)
        reply_to = self._reply_target(channel, params)
        fixed = fix_formatted_text(parsed)
        if not fixed.text:
            raise _ApiError(400, "Bad Request: text must be non-empty")
        if self._length(fixed) > TEXT_LIMIT:
            raise _ApiError(400, "Bad Request: message is too long")
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
        fixed = fix_formatted_text(parsed)
        if not fixed.text:
            raise _ApiError(400, "Bad Request: text must be non-empty")
        if self._length(fixed) > TEXT_LIMIT:
            raise _ApiError(400, "Bad Request: message is too long")
        message_id = _int(params, "message_id")
        with self._lock:
            stored = self._messages[channel.chat_id]
            index = next(
                (k for k, m in enumerate(stored) if m.message_id == message_id and not m.deleted),
                None,
            )
            if index is None or stored[index].text is None:
                raise _ApiError(400, "Bad Request: message to edit not found")
            old = stored[index]
            if old.text == fixed.text and old.entities == fixed.entities:
                raise _ApiError(400, _NOT_MODIFIED)
            stored[index] = replace(
                old,
                text=fixed.text,
                entities=fixed.entities,
                raw=raw,
                parse_mode=parse_mode,
                edit_date=int(time.time()),
                warnings=_warnings(fixed),
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

    # ---------------------------------------------------------------------- the checks
    def _find_chat(self, params: Mapping[str, Any], *, need_member: bool = True) -> Channel:
        raw = _str(params, "chat_id")
        if not raw:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        key = self._chat_key(raw)
        with self._lock:
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
            "sender_chat": chat,
        }
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


def _nginx_page(status: int) -> bytes:
    """nginx's own error page, as the Bot API's front end sends for 5xx."""
    title = f"{status} {HTTPStatus(status).phrase}".encode()
    return (
        b"<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        % (title, title)
    )


def _flood(retry_after: int) -> _ApiError:
    return _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def _error_answer(error: _ApiError) -> _Answer:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.status,
        "description": error.description,
    }
    headers: tuple[tuple[str, str], ...] = ()
    if error.parameters:
        body["parameters"] = error.parameters
        if "retry_after" in error.parameters:
            headers = (("Retry-After", str(error.parameters["retry_after"])),)
    return _Answer(error.status, json.dumps(body).encode(), headers=headers)


def _description(answer: _Answer) -> str:
    if answer.content_type != "application/json":
        return f"{answer.status} (not JSON)"
    data = json.loads(answer.body)
    return "ok" if data.get("ok") else str(data.get("description"))


def _unique_id(file_id: str) -> str:
    return "AgAD" + file_id.rsplit("-", 2)[-1]


def _warnings(parsed: Parsed) -> tuple[str, ...]:
    counted = [e for e in parsed.entities if e.type != "custom_emoji"]
    if len(counted) > ENTITY_LIMIT:
        return (f"{len(counted)} entities: Telegram keeps the first {ENTITY_LIMIT}",)
    return ()


# ---------------------------------------------------------------------------- parameters


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


def _read_params(handler: _Handler, body: bytes) -> tuple[dict[str, Any], dict[str, _Upload]]:
    """Parameters from the query string and the body (urlencoded, JSON or multipart)."""
    params: dict[str, Any] = dict(parse_qsl(urlsplit(handler.path).query, keep_blank_values=True))
    uploads: dict[str, _Upload] = {}
    content_type = handler.headers.get_content_type()
    if not body:
        return params, uploads
    if content_type == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif content_type == "application/json":
        with contextlib.suppress(ValueError):
            data = json.loads(body)
            if isinstance(data, dict):
                params.update(data)
    elif content_type == "multipart/form-data":
        boundary = handler.headers.get_param("boundary")
        fields, uploads = _parse_multipart(body, str(boundary or "").encode())
        params.update(fields)
    return params, uploads


_DISPOSITION = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _parse_multipart(body: bytes, boundary: bytes) -> tuple[dict[str, str], dict[str, _Upload]]:
    """Split a ``multipart/form-data`` body into fields and file parts (bytes kept exact)."""
    fields: dict[str, str] = {}
    uploads: dict[str, _Upload] = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = dict(
            line.split(":", 1)
            for line in head.decode("utf-8", "replace").split("\r\n")
            if ":" in line
        )
        lowered = {key.strip().lower(): value.strip() for key, value in headers.items()}
        attributes = {
            key: _form_unescape(value)
            for key, value in _DISPOSITION.findall(lowered.get("content-disposition", ""))
        }
        name = attributes.get("name", "")
        if "filename" in attributes:
            uploads[name] = _Upload(
                attributes["filename"],
                content,
                lowered.get("content-type", "application/octet-stream"),
            )
        else:
            fields[name] = content.decode("utf-8", "replace")
    return fields, uploads


def _form_unescape(value: str) -> str:
    """Undo httpx's HTML5 escaping of form parameter values (``%22``, ``%0A``, ``\\\\``)."""
    value = re.sub(r"%([01][0-9A-F]|22)", lambda m: chr(int(m.group(1), 16)), value)
    return value.replace("\\\\", "\\")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent clients must not wait for SYN retries
    block_on_close = False  # stop() must not wait for a request held on purpose
    owner: FakeTelegram

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, killed processes) are part of the tests: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        """GET: parameters in the query string."""
        self.server.owner._serve(self)

    def do_POST(self) -> None:
        """POST: parameters in the query string and the body."""
        self.server.owner._serve(self)

    def read_body(self, length: int) -> bytes:
        """The request body (``Content-Length`` or chunked)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(length) if length else b""

    def drain(self, length: int) -> None:
        """Read and forget ``length`` body bytes (so the client can read our answer)."""
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                return
            length -= len(chunk)

    def send(self, answer: _Answer, *, close: bool = False) -> None:
        """Write ``answer``; a client that already hung up is ignored."""
        with contextlib.suppress(OSError):
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers:
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
