"""What the bot answers to each command and button, from the archive and the subscribers' table.

No Telegram here: :class:`Answers` turns a chat's command or button press into *replies*
(:class:`Send`, :class:`SendFile`, :class:`SendPost`, :class:`Edit`), which the shell
(:mod:`tracker.bot.app`) sends. Archive questions reuse the command line's queries
(:mod:`tracker.query`): ``/show`` is ``tracker show``, ``/diff`` is ``tracker diff``, ``/search``
is ``tracker search``, ``/latest`` is the last change as its alert showed it
(:func:`tracker.notify.alerts.recorded_change` and :func:`tracker.render.telegram.render_post`).

A group's subscription is changed only by its administrators: the shell says whether the person
is one (``admin``), and a refusal is the answer otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.archive.store import Archive
from tracker.bot.commands import SUBSCRIPTION_COMMANDS, Command, find_document
from tracker.bot.fanout import label_groups
from tracker.bot.screens import Button, Catalog, describe, press, screen
from tracker.bot.store import UNSUBSCRIBED, Subscribers
from tracker.bot.subscription import LANGUAGES, Subscription, language_of, post_channel
from tracker.bot.texts import say
from tracker.errors import QueryError
from tracker.models import BotSettings, Document
from tracker.render.telegram import Message, esc
from tracker.timestamps import from_iso, from_stamp

if TYPE_CHECKING:
    from tracker.classify.taxonomy import TaxonomySource


@dataclass(frozen=True, slots=True)
class Send:
    """A new message (HTML), with an inline keyboard if ``rows``."""

    html: str
    rows: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Edit:
    """The pressed message, rewritten (its keyboard replaced, or removed when ``rows`` is empty)."""

    html: str
    rows: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class SendFile:
    """A file (``sendDocument``) with an HTML caption."""

    name: str
    data: bytes
    caption: str


@dataclass(frozen=True, slots=True)
class SendPost:
    """An alert's messages, as the outbox would send them (attachments under ``root``)."""

    messages: tuple[Message, ...]
    root: Path


Reply = Send | Edit | SendFile | SendPost


@dataclass(frozen=True, slots=True)
class Chat:
    """Who asks, where: the chat, its kind, and the person's Telegram language."""

    chat_id: str
    kind: str = "private"
    language_code: str | None = None
    admin: bool | None = None  # in a group: whether the person is an administrator


class Answers:
    """The bot's answers (see the module)."""

    def __init__(
        self,
        *,
        subscribers: Subscribers,
        archive: Archive,
        documents: Mapping[str, Document],
        taxonomy: TaxonomySource,
        bot: BotSettings,
        now: Callable[[], datetime],
    ) -> None:
        """Everything the answers read."""
        self.subscribers = subscribers
        self.archive = archive
        self.documents = documents
        self.taxonomy = taxonomy
        self.bot = bot
        self.now = now
        self.catalog = Catalog({doc.id: doc.title for doc in documents.values()})

    # ------------------------------------------------------------------ the chat's row
    def subscription(self, chat: Chat) -> Subscription:
        """The chat's row, or a new one in the person's language (not saved yet)."""
        found = self.subscribers.get(chat.chat_id)
        if found is not None:
            return found
        return Subscription(chat.chat_id, kind=chat.kind, language=language_of(chat.language_code))

    def needs_admin(self, chat: Chat, command: Command | None) -> bool:
        """Whether this command (None: a button) changes a group's subscription."""
        if chat.kind == "private":
            return False
        return command is None or command.name in SUBSCRIPTION_COMMANDS

    # ------------------------------------------------------------------ commands
    def command(self, chat: Chat, command: Command) -> list[Reply]:
        """The replies to a command."""
        sub = self.subscription(chat)
        lang = sub.language
        if self.needs_admin(chat, command) and not chat.admin:
            key = "group_check_failed" if chat.admin is None else "group_admins_only"
            return [Send(say(lang, key))]
        handler = {
            "start": self._start,
            "help": self._start,
            "subscribe": self._subscribe,
            "list": self._list,
            "pause": self._pause,
            "resume": self._resume,
            "unsubscribe": self._unsubscribe,
            "language": self._language,
            "latest": self._latest,
            "diff": self._diff,
            "show": self._show,
            "search": self._search,
        }.get(command.name)
        if handler is None:
            return [Send(say(lang, "unknown_command"))]
        try:
            return handler(sub, command)
        except QueryError as exc:
            return [Send(esc(str(exc)))]

    def _start(self, sub: Subscription, command: Command) -> list[Reply]:
        other = "fr" if sub.language == "en" else "en"
        button = Button("Français" if other == "fr" else "English", f"lang:{other}")
        return [Send(self._start_text(sub.language), ((button,),))]

    def _start_text(self, language: str) -> str:
        lines = [
            f"• {esc(doc.title)} (<code>{esc(doc.id)}</code>)"
            for doc in sorted(self.documents.values(), key=lambda d: d.id)
        ]
        return say(language, "start", documents="\n".join(lines))

    def _subscribe(self, sub: Subscription, command: Command) -> list[Reply]:
        self.subscribers.save(sub, self.now())
        shown = screen(sub, "docs", self.catalog)
        return [Send(shown.text, shown.rows)]

    def _list(self, sub: Subscription, command: Command) -> list[Reply]:
        if not sub.active:
            return [Send(say(sub.language, "not_subscribed"))]
        return [Send(describe(sub, self.catalog))]

    def _pause(self, sub: Subscription, command: Command) -> list[Reply]:
        if not sub.active:
            return [Send(say(sub.language, "not_subscribed"))]
        if sub.paused:
            return [Send(say(sub.language, "already_paused"))]
        self.subscribers.save(replace(sub, paused=True), self.now())
        return [Send(say(sub.language, "paused"))]

    def _resume(self, sub: Subscription, command: Command) -> list[Reply]:
        if not sub.active:
            return [Send(say(sub.language, "not_subscribed"))]
        if not sub.paused:
            return [Send(say(sub.language, "not_paused"))]
        self.subscribers.save(replace(sub, paused=False), self.now())
        return [Send(say(sub.language, "resumed"))]

    def _unsubscribe(self, sub: Subscription, command: Command) -> list[Reply]:
        if not self.subscribers.end(sub.chat_id, UNSUBSCRIBED, self.now()):
            return [Send(say(sub.language, "not_subscribed"))]
        return [Send(say(sub.language, "unsubscribed"))]

    def _language(self, sub: Subscription, command: Command) -> list[Reply]:
        asked = command.args[0].lower() if command.args else ""
        language = asked if asked in LANGUAGES else ("fr" if sub.language == "en" else "en")
        self.subscribers.save(replace(sub, language=language), self.now())
        return [Send(say(language, "language_set"))]

    # ------------------------------------------------------------------ archive questions
    def _document(self, sub: Subscription, asked: str) -> str | Send:
        found = find_document(asked, self.catalog.documents)
        if found.document is not None:
            return found.document
        lang = sub.language
        if found.candidates:
            return Send(
                say(lang, "ambiguous_document", asked=esc(asked), documents=_ids(found.candidates))
            )
        return Send(
            say(lang, "unknown_document", asked=esc(asked), documents=_ids(self.catalog.ids))
        )

    def _latest(self, sub: Subscription, command: Command) -> list[Reply]:
        from tracker.notify.alerts import recorded_change
        from tracker.render.telegram import render_post

        if command.args:
            chosen = self._document(sub, command.rest)
            if isinstance(chosen, Send):
                return [chosen]
            candidates = [chosen]
        else:
            candidates = self.catalog.ids
        latest = [
            (stamps[-1], doc) for doc in candidates if (stamps := self.archive.change_stamps(doc))
        ]
        if not latest and not command.args:
            return [Send(say(sub.language, "no_change_any"))]
        if not latest:
            title = self.catalog.documents[candidates[0]]
            return [Send(say(sub.language, "no_change", documents=esc(title)))]
        stamp, doc = max(latest)
        current = self.archive.read_version(doc, stamp)
        detected = _captured(current.meta, stamp)
        change, context = recorded_change(
            self.archive, self.documents[doc], current, self.taxonomy, detected=detected
        )
        channel = post_channel(sub, label_groups(self.taxonomy), self.bot.public_url)
        messages = render_post(change, context, channel, max_clauses=self.bot.max_clauses)
        return [SendPost(tuple(messages), self.archive.root)]

    def _diff(self, sub: Subscription, command: Command) -> list[Reply]:
        from tracker.changes import compare_classified, version_facts
        from tracker.classify.taxonomy import resolve
        from tracker.query.archive import archive_document
        from tracker.query.when import pair
        from tracker.render.html import render_change_page
        from tracker.render.telegram import PostContext, render_clauses, render_summary

        if not command.args or len(command.args) > 3:
            return [Send(say(sub.language, "usage_diff"))]
        chosen = self._document(sub, command.args[0])
        if isinstance(chosen, Send):
            return [chosen]
        stamps = archive_document(self.archive, chosen)
        dates = command.args[1:]
        older = dates[0] if dates else None  # one date: from the version then to the latest
        newer = dates[1] if len(dates) == 2 else None
        found = pair(stamps, older, newer, chosen, names=("the first date", "the second date"))
        old = self.archive.read_version(chosen, found.older.stamp)
        new = self.archive.read_version(chosen, found.newer.stamp)
        change = compare_classified(
            old.text,
            new.text,
            document=chosen,
            from_version=old.timestamp,
            to_version=new.timestamp,
            taxonomy=resolve(self.taxonomy),
        )
        document = self.documents[chosen]
        lang = sub.language
        if not change.clauses:
            return [
                Send(
                    say(
                        lang,
                        "no_difference",
                        title=esc(document.title),
                        old=old.timestamp,
                        new=new.timestamp,
                    )
                )
            ]
        context = PostContext(
            title=document.title,
            source_url=str(new.meta.get("source_url") or document.url),
            detected_at=_captured(new.meta, new.timestamp),
            change_page="",
        )
        channel = sub.as_channel(None)  # no change page for an arbitrary pair: it is attached
        head = say(
            lang, "diff_head", title=esc(document.title), old=old.timestamp, new=new.timestamp
        )
        summary = render_summary(change, context, channel)
        clauses = render_clauses(change, context, channel, max_clauses=self.bot.max_clauses)
        page = render_change_page(
            change,
            title=document.title,
            source_url=context.source_url,
            versions=[version_facts(old), version_facts(new)],
        )
        name = f"{chosen.replace('/', '-')}-{old.timestamp}-{new.timestamp}.html"
        return [
            Send(head),
            SendPost((summary, *clauses), self.archive.root),
            SendFile(name, page.encode("utf-8"), esc(f"{old.timestamp} → {new.timestamp}")),
        ]

    def _show(self, sub: Subscription, command: Command) -> list[Reply]:
        from tracker.query.archive import archive_document
        from tracker.query.when import resolve

        if not command.args or len(command.args) > 2:
            return [Send(say(sub.language, "usage_show"))]
        chosen = self._document(sub, command.args[0])
        if isinstance(chosen, Send):
            return [chosen]
        stamps = archive_document(self.archive, chosen)
        asked = command.args[1] if len(command.args) > 1 else None
        found = resolve(stamps, asked, chosen)
        version = self.archive.read_version(chosen, found.stamp)
        title = esc(self.documents[chosen].title)
        captured = str(version.meta.get("captured_at") or version.timestamp)
        lang = sub.language
        caption = (
            say(lang, "show_caption", title=title, asked=esc(asked), captured=esc(captured))
            if asked
            else say(lang, "show_caption_latest", title=title, captured=esc(captured))
        )
        name = f"{chosen.replace('/', '-')}-{version.timestamp}.md"
        return [SendFile(name, version.text.encode("utf-8"), caption)]

    def _search(self, sub: Subscription, command: Command) -> list[Reply]:
        from tracker.query.archive import search_archive
        from tracker.query.phrases import Needle

        lang = sub.language
        if not command.rest:
            return [Send(say(lang, "usage_search"))]
        needle = Needle.of(command.rest)
        results = [r for r in search_archive(self.archive, needle, excerpts=1) if r.found]
        if not results:
            return [Send(say(lang, "search_none", phrase=esc(command.rest)))]
        blocks = []
        for result in results:
            state = (
                say(lang, "search_still")
                if result.in_latest
                else say(lang, "search_gone", removed=result.removed_in)
            )
            document = self.documents.get(result.document)
            line = say(
                lang,
                "search_found",
                title=esc(document.title if document else result.document),
                found=len(result.found),
                searched=len(result.searched),
                first=result.first,
                last=result.last,
                state=esc(state),
            )
            hits = result.found[-1].hits
            if hits:
                line += f"\n<blockquote>{esc(hits[0].excerpt[:600])}</blockquote>"
            blocks.append(line)
        return [Send("\n\n".join(blocks[:10]))]

    # ------------------------------------------------------------------ buttons
    def button(self, chat: Chat, data: str) -> tuple[list[Reply], str]:
        """The replies to a button press, and the short notice answering the query."""
        sub = self.subscription(chat)
        if data.startswith("lang:"):
            language = data.partition(":")[2]
            if language not in LANGUAGES:
                return [], ""
            if chat.kind != "private" and not chat.admin:
                return [], say(sub.language, "group_admins_only")
            self.subscribers.save(replace(sub, language=language), self.now())
            other = "fr" if language == "en" else "en"
            button = Button("Français" if other == "fr" else "English", f"lang:{other}")
            return [Edit(self._start_text(language), ((button,),))], say(language, "language_set")
        if self.needs_admin(chat, None) and not chat.admin:
            return [], say(sub.language, "group_admins_only")
        pressed = press(sub, data, self.catalog)
        if pressed is None:
            return [], ""
        self.subscribers.save(pressed.subscription, self.now())
        return [Edit(pressed.screen.text, pressed.screen.rows)], ""


def _captured(meta: Mapping[str, object], stamp: str) -> datetime:
    """When a version was captured (its stamp when the front matter does not say)."""
    found = meta.get("captured_at") or meta.get("fetched_at")
    return from_iso(str(found)) if found else from_stamp(stamp)


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(f"<code>{esc(i)}</code>" for i in ids)
