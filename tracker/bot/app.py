"""The shell of ``tracker bot``: python-telegram-bot's ``Application`` answering people.

Updates come by long polling (the default) or to a webhook (``--webhook-url``: the bot
registers it with Telegram at start, with a secret token Telegram sends back on every update).
Each command or button press is answered by :class:`tracker.bot.answers.Answers` in a worker
thread (the archive and the database are read synchronously); this module only talks to
Telegram: it asks whether a person is a group's administrator (``getChatMember``), sends the
replies, edits the pressed message and answers the callback query.

Alerts are not sent from here: a change is queued in the outbox for its subscribers and
``tracker run`` (or ``tracker send``) delivers it with the channels' guarantees. A reply that
Telegram refuses because the person blocked the bot ends their subscription, as delivery does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tracker.bot.answers import Answers, Chat, Edit, Reply, Send, SendFile, SendPost
from tracker.bot.commands import COMMANDS, parse
from tracker.bot.fanout import is_gone
from tracker.bot.screens import Button
from tracker.bot.store import BLOCKED
from tracker.bot.texts import say
from tracker.models import TelegramSettings

if TYPE_CHECKING:
    from telegram import Bot, InlineKeyboardMarkup, Update
    from telegram.ext import Application, ContextTypes

log = logging.getLogger(__name__)

#: What each command does, for Telegram's command menu (``setMyCommands``), per language.
MENU = {
    "en": {
        "start": "What this bot does",
        "subscribe": "Choose what to be alerted about",
        "list": "Your subscription",
        "pause": "Pause alerts",
        "resume": "Resume alerts",
        "unsubscribe": "Stop alerts",
        "latest": "The last change [document]",
        "diff": "Compare: document [date] [date]",
        "show": "The text in force: document [date]",
        "search": "Where a phrase appears",
        "language": "Français",
    },
    "fr": {
        "start": "Ce que fait ce bot",
        "subscribe": "Choisir ses alertes",
        "list": "Votre abonnement",
        "pause": "Suspendre les alertes",
        "resume": "Reprendre les alertes",
        "unsubscribe": "Arrêter les alertes",
        "latest": "La dernière modification [document]",
        "diff": "Comparer : document [date] [date]",
        "show": "Le texte en vigueur : document [date]",
        "search": "Où une expression apparaît",
        "language": "English",
    },
}


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where Telegram posts updates (``--webhook-url``) and where the bot listens for them."""

    url: str
    listen: str = "0.0.0.0"  # noqa: S104 - a webhook listens for Telegram (behind a proxy)
    port: int = 8443
    secret: str | None = None


def _keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in rows]
    )


class BotShell:
    """The handlers of the Application (see the module)."""

    def __init__(self, answers: Answers, telegram: TelegramSettings) -> None:
        """Answer with ``answers``; ``telegram`` gives the token to mask in errors."""
        self.answers = answers
        self.telegram = telegram
        #: one update at a time per chat (two quick presses must not both toggle from the
        #: same row); different chats are answered concurrently
        self._locks: dict[int, asyncio.Lock] = {}

    def _lock(self, update: Update) -> asyncio.Lock:
        chat = update.effective_chat
        key = chat.id if chat is not None else 0
        if len(self._locks) > 10_000:  # forget idle chats now and then
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        return self._locks.setdefault(key, asyncio.Lock())

    def _safe(self, text: str) -> str:
        token = self.telegram.token
        return text.replace(token, "<TELEGRAM_BOT_TOKEN>") if token else text

    async def _chat(self, update: Update, bot: Bot, *, need_admin: bool) -> Chat | None:
        """Who asks, where; in a group, whether they are an administrator (when it matters)."""
        from telegram.error import TelegramError

        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return None
        kind = chat.type if chat.type in ("private", "group", "supergroup") else ""
        if not kind:
            return None  # a channel post: channels are configured, not subscribed
        admin: bool | None = None
        message = update.effective_message
        if message is not None and message.sender_chat is not None:
            # Only an administrator may write as the group (an anonymous administrator).
            admin = message.sender_chat.id == chat.id
        elif kind != "private" and need_admin:
            try:
                member = await bot.get_chat_member(chat.id, user.id)
                admin = member.status in ("creator", "administrator")
            except TelegramError as exc:
                log.warning("bot: cannot check the administrators of %s: %s", chat.id, exc)
        return Chat(str(chat.id), kind, user.language_code, admin)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command in a private chat or a group."""
        async with self._lock(update):
            await self._command(update, context)

    async def _command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        command = parse(message.text, context.bot.username)
        if command is None:
            return
        probe = await self._chat(update, context.bot, need_admin=False)
        if probe is None:
            return
        chat = probe
        if self.answers.needs_admin(probe, command):
            chat = await self._chat(update, context.bot, need_admin=True) or probe
        try:
            replies = await asyncio.to_thread(self.answers.command, chat, command)
        except Exception:
            log.exception("bot: /%s in chat %s failed", command.name, chat.chat_id)
            replies = [Send(say(self.answers.subscription(chat).language, "busy"))]
        await self._send_all(context.bot, chat, replies)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline button pressed under one of the bot's messages."""
        async with self._lock(update):
            await self._button(update, context)

    async def _button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        from telegram.error import BadRequest, TelegramError

        query = update.callback_query
        if query is None:
            return
        chat = await self._chat(update, context.bot, need_admin=True)
        notice = ""
        replies: list[Reply] = []
        if chat is not None and query.data:
            try:
                replies, notice = await asyncio.to_thread(self.answers.button, chat, query.data)
            except Exception:
                log.exception("bot: button %r in chat %s failed", query.data, chat.chat_id)
        for reply in replies:  # the edit first: once answered, the message shows the press
            if isinstance(reply, Edit):
                try:
                    await query.edit_message_text(
                        reply.html, parse_mode="HTML", reply_markup=_keyboard(reply.rows)
                    )
                except BadRequest as exc:
                    if "not modified" not in str(exc):
                        log.warning("bot: edit failed: %s", self._safe(str(exc)))
            elif chat is not None:
                await self._send_all(context.bot, chat, [reply])
        try:
            await query.answer(notice or None)
        except TelegramError as exc:  # too old (the bot was down): the edit still shows it
            log.info("bot: callback query not answered: %s", self._safe(str(exc)))

    async def _send_all(self, bot: Bot, chat: Chat, replies: Sequence[Reply]) -> None:
        from telegram.error import Forbidden, TelegramError

        try:
            for reply in replies:
                await self._send(bot, chat.chat_id, reply)
        except Forbidden as exc:
            if is_gone(f"Forbidden: {exc}"):
                self.answers.subscribers.end(chat.chat_id, BLOCKED, self.answers.now())
                log.info("bot: chat %s is gone (%s): unsubscribed", chat.chat_id, exc)
        except TelegramError as exc:
            log.warning("bot: reply to %s failed: %s", chat.chat_id, self._safe(str(exc)))

    async def _send(self, bot: Bot, chat_id: str, reply: Reply) -> None:
        from telegram import InputFile, LinkPreviewOptions, ReplyParameters

        no_preview = LinkPreviewOptions(is_disabled=True)
        if isinstance(reply, Send | Edit):
            await bot.send_message(
                chat_id,
                reply.html,
                parse_mode="HTML",
                reply_markup=_keyboard(reply.rows),
                link_preview_options=no_preview,
            )
        elif isinstance(reply, SendFile):
            await bot.send_document(
                chat_id,
                InputFile(reply.data, filename=reply.name),
                caption=reply.caption,
                parse_mode="HTML",
            )
        elif isinstance(reply, SendPost):
            summary: int | None = None
            for message in reply.messages:
                target = (
                    ReplyParameters(summary, allow_sending_without_reply=True)
                    if message.reply_to_summary and summary is not None
                    else None
                )
                if message.attachment:
                    path = reply.root / message.attachment
                    data = await asyncio.to_thread(path.read_bytes)
                    await bot.send_document(
                        chat_id,
                        InputFile(data, filename=message.filename or path.name),
                        caption=message.html,
                        parse_mode="HTML",
                        disable_notification=True,
                        reply_parameters=target,
                    )
                    continue
                preview = (
                    LinkPreviewOptions(url=message.preview_url, prefer_small_media=True)
                    if message.preview_url
                    else no_preview
                )
                sent = await bot.send_message(
                    chat_id,
                    message.html,
                    parse_mode="HTML",
                    disable_notification=message.silent,
                    reply_parameters=target,
                    link_preview_options=preview,
                )
                if message.role == "summary":
                    summary = sent.message_id

    async def post_init(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """At start: the command menu in English and French."""
        from telegram import BotCommand
        from telegram.error import TelegramError

        try:
            for language, words in MENU.items():
                menu = [BotCommand(name, words[name]) for name in COMMANDS]
                await application.bot.set_my_commands(
                    menu, language_code=None if language == "en" else language
                )
        except TelegramError as exc:
            log.warning("bot: the command menu was not set: %s", self._safe(str(exc)))


def build_application(
    shell: BotShell, telegram: TelegramSettings
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application, pointed at ``telegram.base_url``, with the shell's handlers."""
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    from telegram.ext import (
        AIORateLimiter,
        ApplicationBuilder,
        CallbackQueryHandler,
        MessageHandler,
        filters,
    )

    from tracker.notify.delivery import _file_url

    assert telegram.token is not None  # noqa: S101 - checked by the command
    application = (
        ApplicationBuilder()
        .token(telegram.token)
        .base_url(telegram.base_url)
        .base_file_url(_file_url(telegram.base_url))
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=telegram.global_per_second,
                overall_time_period=1,
                group_max_rate=telegram.per_chat_per_minute,
                group_time_period=60,
                max_retries=2,
            )
        )
        .concurrent_updates(8)
        .post_init(shell.post_init)
        .build()
    )
    application.add_handler(MessageHandler(filters.COMMAND, shell.on_command))
    application.add_handler(CallbackQueryHandler(shell.on_button))
    return application


def run(
    shell: BotShell,
    telegram: TelegramSettings,
    webhook: Webhook | None = None,
    *,
    poll_timeout: float = 10.0,
) -> None:
    """Answer people until SIGINT or SIGTERM: by long polling, or on ``webhook``."""
    application = build_application(shell, telegram)
    updates = ["message", "callback_query"]
    if webhook is None:
        log.info("bot: answering by long polling")
        application.run_polling(
            allowed_updates=updates, timeout=int(poll_timeout), bootstrap_retries=-1
        )
        return
    path = urlsplit(webhook.url).path.strip("/")
    log.info("bot: answering on the webhook, listening on %s:%d", webhook.listen, webhook.port)
    application.run_webhook(
        listen=webhook.listen,
        port=webhook.port,
        url_path=path,
        webhook_url=webhook.url,
        allowed_updates=updates,
        secret_token=webhook.secret or secrets.token_urlsafe(32),
        bootstrap_retries=-1,
    )
