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
the download under :attr:`FakeTelegram.base_file_url`); for conversations with people
(:mod:`tests.fake_telegram.conversations`: scripted users, private chats, groups, inline
keyboards), ``getUpdates``, ``answerCallbackQuery``, ``getChatAdministrators``,
``setMyCommands``, ``setWebhook``, ``deleteWebhook`` and ``getWebhookInfo``.

What it enforces, with Telegram's own error texts (listed in :data:`ERRORS`):

* HTML parse mode through TDLib's parser: the ``tdjson`` wheel when it is installed, else
  :mod:`tracker.render.telegram_html` (:attr:`FakeTelegram.parser_name` says which); either way the
  result then goes through :func:`~tracker.render.telegram_html.fix_formatted_text`, as sending
  does. Limits are checked after parsing and trimming: 4096 code points of text, 1024 of caption,
  32768 bytes of raw text; more than 100 entities is accepted but recorded as a warning on the
  stored message (Telegram drops the extra ones silently).
* Channels registered with :meth:`FakeTelegram.add_channel`, found by ``-100...`` id or by
  ``@username`` (public ones only); not a member, kicked, or no right to post each fails as
  Telegram does; a reply must target a message of that chat (unless
  ``allow_sending_without_reply``); uploads over 50 MB get nginx's 413. A group upgraded with
  :meth:`FakeTelegram.upgrade_group` answers every request with 400 ``group chat was upgraded
  to a supergroup chat`` and ``parameters.migrate_to_chat_id``; its supergroup takes messages.
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

from tests.fake_telegram.answers import ERRORS
from tests.fake_telegram.faults import Fault
from tests.fake_telegram.oracle import TdjsonOracle
from tests.fake_telegram.records import Channel, RecordedRequest, StoredMessage
from tests.fake_telegram.rules import (
    CAPTION_LIMIT,
    ENTITY_LIMIT,
    RAW_TEXT_LIMIT,
    TEXT_LIMIT,
    UPLOAD_LIMIT,
)
from tests.fake_telegram.server import FakeTelegram

__all__ = [
    "CAPTION_LIMIT",
    "ENTITY_LIMIT",
    "ERRORS",
    "RAW_TEXT_LIMIT",
    "TEXT_LIMIT",
    "UPLOAD_LIMIT",
    "Channel",
    "FakeTelegram",
    "Fault",
    "RecordedRequest",
    "StoredMessage",
    "TdjsonOracle",
]
