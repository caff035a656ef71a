"""Drain the outbox to Telegram (python-telegram-bot), or to the console when there is no token.

Delivery policy, per message, in the order of the outbox within each chat:

- **sent**: Telegram acknowledged it; its ``message_id`` is committed at once, so a re-run never
  sends it again;
- **flood control** (``RetryAfter``): wait the time Telegram asks for and send again, in this
  chat only (other chats go on); a wait longer than ``max_retry_after`` leaves the message for
  a later drain;
- **transient, nothing stored** (an error answer such as a 5xx, a refused connection, a connect
  timeout): up to ``retries`` more tries with exponential backoff, then left pending for a later
  drain; the chat's later messages wait behind it so that the order is kept;
- **outcome unknown** (a read or write timeout, a connection dropped after the request was
  written: Telegram may have stored the message): sent once more, the one repeat the README
  allows. A second send of unknown outcome (in this drain or a later one, or a process killed
  mid-send: each send is counted in the outbox before it starts) makes the message
  ``unconfirmed``: never sent again automatically, logged and reported to the maintainers, and
  the chat goes on;
- **chat moved** (400 with ``migrate_to_chat_id``: a group upgraded to a supergroup): every
  queued message of the old chat is re-addressed to the new one in one transaction, later
  alerts follow an alias in the state database, a warning names the channel, the maintainers
  are told to update its ``chat_id``, and delivery goes on to the new chat;
- **permanent for the chat** (chat not found, bot not a member or kicked, not an admin): every
  pending message of that chat is marked failed, one error line is logged and the maintainers'
  channel is told; ``tracker outbox --retry`` queues them again once fixed;
- **a subscriber's chat gone** (a ``bot:`` chat of the subscriber bot answered 403: the user
  blocked the bot, deleted the account, or removed the bot from the group): the subscription
  ends and the chat's queued messages are cancelled (:mod:`tracker.bot.fanout`); the
  maintainers are not told, and no other chat is affected;
- **permanent for the message** (can't parse entities, too long, a missing attachment): that
  message is marked failed, logged and reported; the chat's next messages go on.

Chats are served concurrently (one asyncio task each), paced at ``pace_seconds`` between two
messages to one chat, with every send start spaced by ``1 / global_per_second`` over all
chats, first asked first served (:class:`Pacer`: a thousand subscribers of one change are served
in the outbox's order without meeting flood control), and PTB's
:class:`~telegram.ext.AIORateLimiter` for the per-group rate. Replies go to the summary of their
post when Telegram has acknowledged it, and are sent without a reply target otherwise (never
lost for want of one).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from tracker.bot.fanout import is_gone
from tracker.bot.subscription import is_subscriber_channel
from tracker.models import TelegramSettings
from tracker.notify.alerts import Alerts
from tracker.notify.outbox import MAX_IN_DOUBT, Outbox, Row, Status

log = logging.getLogger(__name__)

#: Substrings (lower-case) of Telegram errors that concern the whole chat, not one message.
CHAT_ERRORS = (
    "chat not found",
    "not a member",
    "was kicked",
    "need administrator rights",
    "not enough rights",
    "have no rights",
    "chat_write_forbidden",
    "bot was blocked",
    "upgraded to a supergroup",
    "chat is deactivated",
)


#: Flood waits for one message within one send before it is left for a later send.
MAX_FLOOD_WAITS = 10
#: Chat moves (``migrate_to_chat_id``) followed for one message before it fails.
MAX_MOVES = 2


@dataclass
class Report:
    """What one drain did."""

    sent: int = 0
    failed: int = 0
    deferred: int = 0
    shown: int = 0
    stopped: str = ""
    unconfirmed: int = 0
    #: subscribers' chats found gone (the user blocked the bot): unsubscribed
    gone: int = 0

    def line(self) -> str:
        """One line for people."""
        parts = [f"{self.sent} sent", f"{self.failed} failed", f"{self.deferred} left for later"]
        if self.gone:
            parts.append(f"{self.gone} subscribers gone (unsubscribed)")
        if self.unconfirmed:
            parts.append(f"{self.unconfirmed} not confirmed by Telegram")
        if self.shown:
            parts.append(f"{self.shown} shown on the console")
        return ", ".join(parts) + (f"; stopped: {self.stopped}" if self.stopped else "")


def plain_text(markup: str) -> str:
    """A message as a person reads it (for the console), or its markup if it does not parse."""
    # Imported here: a send with nothing to show (most checks) does without the parser.
    from tracker.render.telegram_html import HtmlParseError, parse_html

    try:
        return parse_html(markup).text
    except HtmlParseError:
        return markup


# --------------------------------------------------------------------------- console
def show_on_console(
    outbox: Outbox,
    echo: Callable[[str], None],
    now: datetime,
    *,
    everything: bool = False,
) -> Report:
    """Print pending messages not shown yet (all of them with ``everything``); keep them pending."""
    report = Report()
    rows = [row for row in outbox.pending() if everything or row.shown_at is None]
    for row in rows:
        head = f"--- [{row.channel} → {row.chat_id}] {row.message.role} (outbox #{row.id})"
        if row.message.attachment:
            head += f", file {row.message.attachment}"
        echo(head)
        echo(plain_text(row.message.html))
    outbox.mark_shown([row.id for row in rows], now)
    report.shown = len(rows)
    return report


# --------------------------------------------------------------------------- Telegram
def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(str(value))


class Pacer:
    """At most ``per_second`` sends start per second, evenly spaced, in the order they asked.

    PTB's overall limiter is a leaky bucket: it lets ``per_second`` sends go at once and then
    ``per_second`` more within the same second, twice what Telegram takes (about 30 a second
    over all chats): a fan-out to a thousand subscribers would meet 429 after 429. Spacing
    every send start by ``1 / per_second`` never exceeds the rate in any one-second window,
    and the lock (first come, first served) keeps the chats in the outbox's order.
    """

    def __init__(
        self, per_second: float, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        """Space sends by ``1 / per_second`` seconds, waiting with ``sleep``."""
        self.interval = 1.0 / per_second
        self.sleep = sleep
        self._lock = asyncio.Lock()
        self._next = 0.0

    async def wait(self) -> None:
        """Return when the next send may start."""
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await self.sleep(self._next - now)
            self._next = max(now, self._next) + self.interval


class _ChatFailedError(Exception):
    """Raised inside a chat's task to stop it after a chat-level failure."""


@dataclass
class Drain:
    """One drain of the outbox to Telegram (see the module's policy)."""

    outbox: Outbox
    alerts: Alerts
    archive_root: Path
    settings: TelegramSettings
    now: Callable[[], datetime]
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    report: Report = field(default_factory=Report)
    #: chats Telegram moved during this drain (old id → new id)
    moves: dict[str, str] = field(default_factory=dict)
    #: spaces the sends of all chats (``global_per_second``), first asked first served
    pacer: Pacer = field(init=False)

    def __post_init__(self) -> None:
        self.pacer = Pacer(self.settings.global_per_second, self.sleep)

    async def run(self) -> Report:
        """Send every pending message that is due; returns what happened."""
        # RetryAfter.retry_after is a timedelta with this set (an int, deprecated, without).
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        from telegram.error import InvalidToken, TelegramError
        from telegram.ext import AIORateLimiter, ExtBot
        from telegram.request import HTTPXRequest

        token = self.settings.token
        if not token:
            raise ValueError("no TELEGRAM_BOT_TOKEN")
        timeout = self.settings.read_timeout
        bot: ExtBot[int] = ExtBot(
            token,
            base_url=self.settings.base_url,
            base_file_url=_file_url(self.settings.base_url),
            request=HTTPXRequest(
                read_timeout=timeout,
                write_timeout=timeout,
                connect_timeout=min(timeout, 10.0),
                media_write_timeout=max(timeout, 20.0),
            ),
            rate_limiter=AIORateLimiter(
                overall_max_rate=0,  # the pacer: evenly spaced, in order, never a burst
                overall_time_period=0,
                group_max_rate=self.settings.per_chat_per_minute,
                group_time_period=60,
                max_retries=0,
            ),
        )
        try:
            await bot.initialize()
        except InvalidToken:
            self.report.stopped = "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized)"
            log.error("telegram: %s; nothing sent, messages kept pending", self.report.stopped)
            await bot.shutdown()
            return self.report
        except TelegramError as exc:
            self.report.stopped = f"Telegram unreachable ({type(exc).__name__}: {exc})"
            log.warning("telegram: %s; messages kept pending", self.report.stopped)
            await bot.shutdown()
            return self.report
        try:
            seen: set[int] = set()
            for _round in range(2):  # the second round sends reports queued by the first
                by_chat: dict[str, list[Row]] = defaultdict(list)
                for row in self.outbox.pending():
                    if row.id not in seen:
                        seen.add(row.id)
                        by_chat[row.chat_id].append(row)
                if not by_chat:
                    break
                await asyncio.gather(*(self._chat(bot, rows) for rows in by_chat.values()))
        finally:
            await bot.shutdown()
        return self.report

    async def _chat(self, bot: object, rows: list[Row]) -> None:
        first = True
        for row in rows:
            if row.not_before is not None and row.not_before > self.now():
                self.report.deferred += len(rows) - rows.index(row)
                return
            if not first and self.settings.pace_seconds:
                await self.sleep(self.settings.pace_seconds)
            first = False
            if row.chat_id in self.moves:
                row = replace(row, chat_id=self.moves[row.chat_id])
            try:
                done = await self._one(bot, row)
            except _ChatFailedError:
                return
            if not done:
                self.report.deferred += len(rows) - rows.index(row)
                return

    async def _one(self, bot: object, row: Row) -> bool:
        """Send one message with retries; True when it is settled (sent, failed, unconfirmed)."""
        from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

        transient_tries = floods = moves = 0
        in_doubt = row.in_doubt
        while True:
            if in_doubt >= MAX_IN_DOUBT:
                self._unconfirmed(row, row.last_error or "a send of unknown outcome")
                return True
            await self.pacer.wait()
            self.outbox.begin_send(row.id)
            in_doubt += 1
            try:
                message_id = await self._send(bot, row)
            except TelegramError as exc:
                if _outcome_unknown(exc):
                    error = self._safe(f"{type(exc).__name__}: {exc}")
                    if in_doubt >= MAX_IN_DOUBT:
                        self._unconfirmed(row, error)
                        return True
                    transient_tries += 1
                    log.warning(
                        "telegram %s: no answer for message %d (%s): Telegram may have it; "
                        "sent once more",
                        row.chat_id,
                        row.id,
                        error,
                    )
                    await self.sleep(self.settings.backoff_seconds)
                    continue
                # Telegram answered (an error) or the request never left: nothing was stored.
                self.outbox.not_sent(row.id)
                in_doubt -= 1
                if isinstance(exc, ChatMigrated) and moves < MAX_MOVES:
                    moves += 1
                    row = self._moved(row, exc)
                    continue
                if isinstance(exc, RetryAfter):
                    wait = _seconds(exc.retry_after)
                    floods += 1
                    if wait > self.settings.max_retry_after or floods > MAX_FLOOD_WAITS:
                        self.outbox.defer(
                            row.id,
                            f"flood control: retry after {wait:g}s",
                            self.now() + timedelta(seconds=wait),
                        )
                        log.warning(
                            "telegram %s: flood control asks %gs; left for later",
                            row.chat_id,
                            wait,
                        )
                        return False
                    log.info("telegram %s: flood control, waiting %gs", row.chat_id, wait)
                    await self.sleep(wait)
                    continue
                if isinstance(exc, Forbidden | BadRequest):
                    self._permanent(row, exc, self._safe(f"{type(exc).__name__}: {exc}"))
                    return True
                # NetworkError answered or not sent, and the unexpected ones
                transient_tries += 1
                error = self._safe(f"{type(exc).__name__}: {exc}")
                if transient_tries > self.settings.retries:
                    backoff = self.settings.backoff_seconds * 2**transient_tries
                    self.outbox.defer(row.id, error, self.now() + timedelta(seconds=backoff))
                    log.warning(
                        "telegram %s: message %d not sent after %d tries (%s); left for later",
                        row.chat_id,
                        row.id,
                        transient_tries,
                        error,
                    )
                    return False
                await self.sleep(self.settings.backoff_seconds * 2 ** (transient_tries - 1))
                continue
            except FileNotFoundError as exc:
                self.outbox.not_sent(row.id)
                self._fail_message(row, f"attachment missing from the archive: {exc.filename}")
                return True
            self.outbox.mark_sent(row.id, message_id, self.now())
            self.report.sent += 1
            return True

    def _unconfirmed(self, row: Row, error: str) -> None:
        """A second send of unknown outcome: keep the message for a person (see the outbox)."""
        self.outbox.mark_unconfirmed(row.id, error)
        self.report.unconfirmed += 1
        log.error(
            "telegram %s (channel %s): message %d (%s) not confirmed after %d sends of unknown "
            "outcome (%s); it is not sent again: check the channel, then `tracker outbox "
            "--retry %d` or `--cancel %d`",
            row.chat_id,
            row.channel,
            row.id,
            row.message.role,
            MAX_IN_DOUBT,
            error,
            row.id,
            row.id,
        )
        self.alerts.report_unconfirmed(row, error)

    def _moved(self, row: Row, exc: Exception) -> Row:
        """Telegram moved the chat (a group upgraded to a supergroup): follow it, and say so."""
        new = str(getattr(exc, "new_chat_id", ""))
        old = row.chat_id
        moved = self.outbox.move_chat(old, new)
        self.moves[old] = new
        if is_subscriber_channel(row.channel):
            self.alerts.subscriber_moved(old, new)
            return replace(row, chat_id=new)
        log.warning(
            "telegram: channel %s moved from chat %s to %s (a supergroup); %d queued messages "
            "re-addressed; update chat_id in config/channels/%s.toml",
            row.channel,
            old,
            new,
            moved,
            row.channel,
        )
        self.alerts.report_moved(row.channel, old, new)
        return replace(row, chat_id=new)

    async def _send(self, bot: object, row: Row) -> int:
        from telegram import InputFile, LinkPreviewOptions, ReplyParameters
        from telegram.constants import ParseMode
        from telegram.ext import ExtBot

        assert isinstance(bot, ExtBot)  # noqa: S101 - typed loosely to keep telegram lazy
        message = row.message
        reply = None
        if message.reply_to_summary:
            summary = self.outbox.summary_of(row)
            if summary is not None and summary.message_id is not None:
                reply = ReplyParameters(summary.message_id, allow_sending_without_reply=True)
        chat_id = _target(row.chat_id)
        if message.attachment:
            path = self.archive_root / message.attachment
            data = path.read_bytes()
            sent = await bot.send_document(
                chat_id,
                InputFile(data, filename=message.filename or path.name),
                caption=message.html,
                parse_mode=ParseMode.HTML,
                disable_notification=message.silent,
                reply_parameters=reply,
            )
        else:
            preview = (
                LinkPreviewOptions(url=message.preview_url, prefer_small_media=True)
                if message.preview_url
                else LinkPreviewOptions(is_disabled=True)
            )
            sent = await bot.send_message(
                chat_id,
                message.html,
                parse_mode=ParseMode.HTML,
                disable_notification=message.silent,
                reply_parameters=reply,
                link_preview_options=preview,
            )
        return int(sent.message_id)

    def _safe(self, text: str) -> str:
        """``text`` with the bot token masked (errors are logged and stored in the outbox)."""
        token = self.settings.token
        return text.replace(token, "<TELEGRAM_BOT_TOKEN>") if token else text

    def _permanent(self, row: Row, exc: Exception, error: str) -> None:
        if is_subscriber_channel(row.channel) and is_gone(error):
            self.report.gone += 1
            self.alerts.subscriber_gone(row.chat_id, error)
            raise _ChatFailedError(error) from exc
        if any(marker in str(exc).lower() for marker in CHAT_ERRORS) or _is_migration(exc):
            pending = [r.id for r in self.outbox.pending() if r.chat_id == row.chat_id]
            self.outbox.mark_failed(pending, error)
            self.report.failed += len(pending)
            log.error(
                "telegram %s (channel %s): %s; %d messages marked failed "
                "(fix the channel, then `tracker outbox --retry-failed`)",
                row.chat_id,
                row.channel,
                error,
                len(pending),
            )
            self.alerts.report_failure(row, error)
            raise _ChatFailedError(error) from exc
        self._fail_message(row, error)

    def _fail_message(self, row: Row, error: str) -> None:
        self.outbox.mark_failed([row.id], error)
        self.report.failed += 1
        log.error(
            "telegram %s (channel %s): message %d (%s) failed: %s",
            row.chat_id,
            row.channel,
            row.id,
            row.message.role,
            error,
        )
        self.alerts.report_failure(row, error)


def _is_migration(exc: Exception) -> bool:
    from telegram.error import ChatMigrated

    return isinstance(exc, ChatMigrated)


def _outcome_unknown(exc: Exception) -> bool:
    """Whether the request may have reached Telegram although no answer came back.

    PTB raises ``TimedOut`` for every httpx timeout: a pool or connect timeout means the request
    never left; a write or read timeout means it may have been handled. A ``NetworkError`` from
    a connection dropped after the request was written (``RemoteProtocolError``, ``ReadError``)
    is as uncertain. Answers (errors included) and refused connections are known outcomes.
    """
    import httpx
    from telegram.error import NetworkError, TimedOut

    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        return not isinstance(cause, httpx.PoolTimeout | httpx.ConnectTimeout)
    if isinstance(exc, NetworkError):
        return isinstance(cause, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError)
    return False


def _target(chat_id: str) -> int | str:
    """A configured chat id as the Bot API takes it: a number, or ``@username``."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _file_url(base_url: str) -> str:
    """The file endpoint beside a Bot API base URL (``…/bot`` → ``…/file/bot``)."""
    if base_url.endswith("/bot"):
        return base_url[: -len("/bot")] + "/file/bot"
    return base_url.rstrip("/") + "/file/bot"


# --------------------------------------------------------------------------- channel check
@dataclass(frozen=True, slots=True)
class ChatCheck:
    """Whether the bot can post to one chat, and if not, why (in Telegram's words)."""

    chat_id: str
    ok: bool
    detail: str


async def _check_chats(settings: TelegramSettings, chats: list[str]) -> list[ChatCheck]:
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    assert settings.token is not None  # noqa: S101 - checked by the caller
    bot = Bot(
        settings.token, base_url=settings.base_url, base_file_url=_file_url(settings.base_url)
    )
    try:
        await bot.initialize()
    except InvalidToken:
        return [ChatCheck(c, False, "Telegram rejected TELEGRAM_BOT_TOKEN") for c in chats]
    except TelegramError as exc:
        return [ChatCheck(c, False, f"Telegram unreachable: {type(exc).__name__}") for c in chats]
    results = []
    try:
        for chat in chats:
            target = _target(chat)
            try:
                info = await bot.get_chat(target)
                member = await bot.get_chat_member(target, bot.id)
            except TelegramError as exc:
                results.append(ChatCheck(chat, False, f"{type(exc).__name__}: {exc}"))
                continue
            title = info.title or info.username or chat
            if member.status == "creator" or getattr(member, "can_post_messages", False):
                results.append(ChatCheck(chat, True, f"{title}: the bot may post"))
            elif member.status == "administrator":
                results.append(ChatCheck(chat, False, f"{title}: admin without 'post messages'"))
            else:
                results.append(
                    ChatCheck(chat, False, f"{title}: the bot is {member.status}, not an admin")
                )
    finally:
        await bot.shutdown()
    return results


def check_chats(settings: TelegramSettings, chats: list[str]) -> list[ChatCheck]:
    """Ask Telegram, for each chat, whether the bot is an admin allowed to post there."""
    return asyncio.run(_check_chats(settings, chats))


# --------------------------------------------------------------------------- entry point
def deliver(
    outbox: Outbox,
    alerts: Alerts,
    archive_root: Path,
    settings: TelegramSettings,
    *,
    now: Callable[[], datetime],
    echo: Callable[[str], None],
    show_everything: bool = False,
) -> Report:
    """Compose due digests, release due reminders, then send what is pending (or print it when
    there is no token).

    With nothing pending, Telegram is not contacted at all (``tracker run`` calls this every
    minute); ``tracker validate --telegram`` is the way to check the token and the channels.
    """
    alerts.compose_digests()
    alerts.release_reminders()
    if not settings.token:
        report = show_on_console(outbox, echo, now(), everything=show_everything)
        pending = len(outbox.rows([Status.PENDING]))
        if report.shown or show_everything:
            echo(
                f"(no TELEGRAM_BOT_TOKEN: {pending} messages kept pending; they are sent "
                "once the token is set)"
            )
        return report
    if not outbox.pending():
        return Report()
    return asyncio.run(Drain(outbox, alerts, archive_root, settings, now).run())
