"""A change as Telegram messages in HTML parse mode (pure: values in, messages out).

One *post* per change and channel:

1. a summary (the only audible message, unless the channel is silent): document, detection
   time, effective date when the text states one, significance, counts of changed clauses,
   what the change touches, the labels as hashtags, links to the change page and the source;
2. silent replies holding the most important clauses, ranked (legal basis first): section,
   deletions struck through after a ➖, insertions underlined after a ➕ (the markers survive
   notification previews and screen readers, formatting does not), and the labels with the
   words that matched; clauses are packed into as few messages as fit and split only between
   clauses (or, for a clause too long for one message, between words), never inside a tag;
   what is left out is counted ("+N more changed clauses") and linked. A modified clause shows
   its changed words in context: the unchanged text around them is cut to the sentences within
   :data:`CONTEXT_CHARS` characters on each side, the cuts marked with "…", so a 2-word edit in
   a 100,000-character clause is one short message. The replies of one post are at most
   :data:`MAX_CLAUSE_MESSAGES` messages: clauses that do not fit are counted with the rest (and
   a clause too long for them is cut, "the rest of this clause" then linked too);
3. a silent document reply: the full HTML change page.

Every message is checked against Telegram's limits *after parsing*
(:mod:`tracker.render.telegram_limits`). Page text is always escaped with :func:`html.escape`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tracker.models import Change, ChangeKind, ClauseChange, DiffOp, Polarity, Significance
from tracker.notify.channels import Channel
from tracker.render import (
    KIND_ORDER,
    display_text,
    headline_labels,
    label_order,
    section_label,
    shown_diff,
)
from tracker.render.headline import Sentence, Story, platform, sentence, story
from tracker.render.rows import Unit, unit_counts, units
from tracker.render.telegram_limits import (
    MessageTooLargeError,
    fits,
    pack,
    split_words,
)
from tracker.render.words import (
    KIND_MARKS,
    colon,
    day,
    kind_word,
    label_name,
    moment,
    quoted,
    rank_word,
    significance_word,
    word,
)

#: Hashtags on a summary, at most.
MAX_HASHTAGS = 8
#: Distinct matched words shown per label.
MAX_WORDS_PER_LABEL = 3
#: Unchanged text shown on each side of a change, at most (whole sentences when they fit).
CONTEXT_CHARS = 300
#: Clause replies of one post, at most; what does not fit is counted and linked.
MAX_CLAUSE_MESSAGES = 5
#: Where a sentence (or a line) ends: the context is cut there when it can be.
_SENTENCE_END = re.compile(r"[.!?;…][\"'\u2019\u201d\u00bb)\]]*\s+|\n+")
#: Marks unchanged text left out of a clause.
ELLIPSIS = "…"
#: The most characters of a table row's name shown above one of its cells.
ROW_CHARS = 120


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send.

    Attributes:
        role: ``summary``, ``clauses``, ``document``, ``digest`` or ``maintainers``.
        html: the text (``sendMessage``) or the caption (``sendDocument``), HTML parse mode.
        silent: send with ``disable_notification``.
        reply_to_summary: send as a reply to the summary message of the same post.
        preview_url: pin the link preview to this URL; None disables previews.
        attachment: archive-relative path of the file to upload (``sendDocument``), if any.
        filename: the name the file is shown under in Telegram.
    """

    role: str
    html: str
    silent: bool = True
    reply_to_summary: bool = False
    preview_url: str | None = None
    attachment: str | None = None
    filename: str | None = None

    @property
    def method(self) -> str:
        """The Bot API method that sends it."""
        return "sendDocument" if self.attachment else "sendMessage"


@dataclass(frozen=True, slots=True)
class PostContext:
    """What a post says about the document besides the change itself.

    ``change_page`` is the archive-relative path of the change's HTML page
    (``linkedin/privacy-policy/changes/<ts>.html``): uploaded as the document reply and linked
    when the channel has a ``public_url``.
    """

    title: str
    source_url: str
    detected_at: datetime
    change_page: str
    effective: date | None = None
    #: a later date the text announces the change takes effect (a reminder goes out then)
    takes_effect: date | None = None
    #: what the twin document in another language did: (``same``, ``not_yet`` or ``from``, its
    #: language, when its change was detected or None) (:mod:`tracker.notify.twins`)
    twin: tuple[str, str, datetime | None] | None = None
    #: the archive head once the change was recorded (``tracker verify --head``), if known
    archive_head: str = ""


# --------------------------------------------------------------------------- markup helpers
def esc(text: str) -> str:
    """Page or config text, escaped for HTML parse mode (``< > & "`` and ``'``)."""
    return html.escape(text, quote=True)


def _link(url: str, text: str) -> str:
    return f'<a href="{esc(url)}">{esc(text)}</a>'


def _hashtag(label: str) -> str:
    return "#" + label.replace("-", "_")


# --------------------------------------------------------------------------- summary
def ranked_units(change: Change, channel: Channel) -> list[Unit]:
    """The substantive clauses (a table row's cells together), most important first.

    Units carrying a label the channel filters on come first; then the headline's top unit
    (:mod:`tracker.render.headline`: the words the headline stands on); then by rank (legal
    basis, special category, purpose, control, data category, other) and the labels they
    touch (:func:`~tracker.render.lead_order`), then in document order.
    """
    wanted = set(channel.labels)
    every = units(change)
    chosen = [u for u in every if u.significance is Significance.SUBSTANTIVE]
    if not chosen:
        chosen = [u for u in every if u.significance is not Significance.COSMETIC]
    told = story(change)
    top = None if told is None else told.unit
    order = {id(u): position for position, u in enumerate(every)}
    return sorted(
        chosen,
        key=lambda u: (
            not (wanted and wanted & u.labels()),
            u != top,
            u.lead_order(),
            order[id(u)],
        ),
    )


def ranked_clauses(change: Change, channel: Channel) -> list[ClauseChange]:
    """The clauses of :func:`ranked_units`, in that order (a row's cells in document order)."""
    return [clause for unit in ranked_units(change, channel) for clause in unit.clauses]


def _count_line(change: Change, language: str) -> str:
    """``✏️ 5 modified · ➕ 9 added``: a table row counts once (:mod:`tracker.render.rows`)."""
    counted = unit_counts(change)
    parts = [
        f"{KIND_MARKS[kind]} {kind_word(language, kind, counted[kind])}"
        for kind in KIND_ORDER
        if counted.get(kind)
    ]
    return " · ".join(parts) or word(language, "no_clause")


def _hashtags(change: Change, told: Story | None) -> list[str]:
    """The headline's labels as hashtags, legal bases first (stable ids, whatever the language).

    The labels the headline sentence names, else the gained and lost labels that make the
    change's rank: a reader searching ``#ai_training`` finds the changes that are about it.
    """
    if told is not None:
        tags = list(told.named)
    else:
        gained, lost = headline_labels(change)
        tags = list(dict.fromkeys([*gained, *lost]))
    tags.sort(key=label_order)
    return [_hashtag(label) for label in tags[:MAX_HASHTAGS]]


def twin_line(twin: tuple[str, str, datetime | None], language: str) -> str:
    """``also in the French version (4 Nov 2025, 00:35 UTC)``, ``not yet in the French
    version``."""
    status, other, when = twin
    name = word(language, f"lang_{other}") if other in ("en", "fr") else other
    stamp = moment(language, when) if when is not None else ""
    return word(language, f"twin_{status}", version=name, when=stamp)


def headline_markup(told: Story, language: str, who: str) -> str:
    """The headline sentence as HTML: escaped, its link on the words it names."""
    said: Sentence = sentence(told, language, who=who)
    if not said.link or not said.linked or said.linked not in said.text:
        return esc(said.text)
    head, _, tail = said.text.rpartition(said.linked)
    return esc(head) + _link(said.link, said.linked) + esc(tail)


def render_summary(change: Change, context: PostContext, channel: Channel) -> Message:
    """The summary post of a change for one channel."""
    lang = channel.language
    page = channel.link(context.change_page)
    told = story(change)
    lines = []
    if told is not None:
        who = platform(change.document, context.title)
        lines.append(f"📣 <b>{headline_markup(told, lang, who)}</b>")
    lines.append(f"📜 <b>{esc(context.title)}</b>")
    when = [f"<b>{esc(significance_word(lang, change.significance))}</b>"]
    when.append(esc(word(lang, "detected", when=moment(lang, context.detected_at))))
    if context.effective is not None and context.takes_effect is None:
        when.append(esc(word(lang, "effective", when=day(lang, context.effective))))
    lines.append(" · ".join(when))
    if context.takes_effect is not None:
        lines.append("⏳ " + esc(word(lang, "takes_effect", when=day(lang, context.takes_effect))))
    lines.append(esc(_count_line(change, lang)))
    if context.twin is not None:
        lines.append("🌐 " + esc(twin_line(context.twin, lang)))
    touched = rank_word(lang, change.rank) if change.rank is not None else None
    if touched:
        gained, lost = headline_labels(change)
        delta = [f"+{label_name(lang, label)}" for label in gained]
        delta += [f"−{label_name(lang, label)}" for label in lost]
        joined = esc(colon(lang) + ", ".join(delta)) if delta else ""
        lines.append(f"⚖️ {esc(touched)}{joined}")
    tags = _hashtags(change, told)
    if tags:
        lines.append(" ".join(tags))
    links = []
    if page:
        links.append(_link(page, word(lang, "full_diff")))
    else:
        links.append(esc(word(lang, "diff_attached")))
    if context.source_url:
        links.append(_link(context.source_url, word(lang, "current_text")))
    lines.append("🔎 " + " · ".join(links))
    if context.archive_head:
        lines.append(
            f"🔗 {esc(word(lang, 'archive_head'))} <code>{esc(context.archive_head)}</code>"
        )
    markup = "\n".join(lines)
    if not fits(markup):
        raise MessageTooLargeError(f"summary of {change.document} does not fit one message")
    return Message(
        role="summary",
        html=markup,
        silent=channel.silent,
        reply_to_summary=False,
        preview_url=page,
    )


# --------------------------------------------------------------------------- clauses
def _diff_markup(ops: Iterable[tuple[DiffOp, str]]) -> str:
    parts = []
    for op, text in ops:
        if op is DiffOp.EQUAL:
            parts.append(esc(text))
        elif op is DiffOp.DELETE:
            parts.append(f"➖<s>{esc(text)}</s>")
        else:
            parts.append(f"➕<u>{esc(text)}</u>")
    return "".join(parts)


def _clause_ops(clause: ClauseChange) -> list[tuple[DiffOp, str]]:
    """The clause as diff operations over the text a reader sees, unchanged text in context."""
    if clause.old is None and clause.new is not None:
        return [(DiffOp.INSERT, display_text(clause.new))]
    if clause.new is None and clause.old is not None:
        return [(DiffOp.DELETE, display_text(clause.old))]
    ops = list(shown_diff(clause))
    if not ops:
        ops = [(DiffOp.EQUAL, display_text(clause.new or clause.old or ""))]
    return in_context(ops)


def _lead_in(text: str) -> str:
    """The end of ``text`` leading into a change: whole sentences within CONTEXT_CHARS, or
    the words that fit."""
    window = text[-CONTEXT_CHARS:]
    found = _SENTENCE_END.search(window)
    if found is not None and found.end() < len(window):
        return window[found.end() :]
    space = window.find(" ")
    return window[space + 1 :] if 0 <= space < len(window) - 1 else window


def _lead_out(text: str) -> str:
    """The start of ``text`` after a change: whole sentences within CONTEXT_CHARS, or the
    words that fit."""
    window = text[:CONTEXT_CHARS]
    ends = [m for m in _SENTENCE_END.finditer(window) if m.start() > 0]
    if ends:
        return window[: ends[-1].start() + len(ends[-1].group().rstrip())]
    space = window.rfind(" ")
    return window[:space] if space > 0 else window


def in_context(ops: Sequence[tuple[DiffOp, str]]) -> list[tuple[DiffOp, str]]:
    """``ops`` with long unchanged runs cut to the sentences around the changes.

    An unchanged run before the first change keeps its end, one after the last change its
    start, one between two changes both; what is left out becomes "…". A run of at most
    :data:`CONTEXT_CHARS` characters (twice that between two changes) is kept whole, and a
    clause without any change (a move) keeps its start.
    """
    changed = [k for k, (op, _text) in enumerate(ops) if op is not DiffOp.EQUAL]
    if not changed:
        text = "".join(t for _op, t in ops)
        if len(text) <= 2 * CONTEXT_CHARS:
            return list(ops)
        return [(DiffOp.EQUAL, _lead_out(text[: 2 * CONTEXT_CHARS]) + f" {ELLIPSIS}")]
    first, last = changed[0], changed[-1]
    shown: list[tuple[DiffOp, str]] = []
    for k, (op, text) in enumerate(ops):
        if op is not DiffOp.EQUAL:
            shown.append((op, text))
        elif k < first and len(text) > CONTEXT_CHARS:
            shown.append((op, f"{ELLIPSIS} {_lead_in(text).lstrip()}"))
        elif k > last and len(text) > CONTEXT_CHARS:
            shown.append((op, f"{_lead_out(text).rstrip()} {ELLIPSIS}"))
        elif first < k < last and len(text) > 2 * CONTEXT_CHARS + len(ELLIPSIS) + 2:
            after, before = _lead_out(text), _lead_in(text)
            shown.append((op, f"{after.rstrip()} {ELLIPSIS} {before.lstrip()}"))
        else:
            shown.append((op, text))
    return shown


def _where(section: tuple[str, ...], title: str) -> str:
    """A section path without the document's own title heading (every clause is under it)."""
    if len(section) > 1 and section[0].strip().casefold() == title.strip().casefold():
        section = section[1:]
    return section_label(section)


def _header(clause: ClauseChange, language: str, title: str, *, continued: bool) -> str:
    mark = KIND_MARKS[clause.kind]
    head = f"{mark} <b>{esc(_where(clause.section, title))}</b>"
    if clause.row and clause.row.strip() != (clause.new or clause.old or "").strip():
        # a table cell: the row it stands in says what it is about (its purpose, its data)
        row = display_text(clause.row)
        if len(row) > ROW_CHARS:
            row = row[: ROW_CHARS - 1].rstrip() + ELLIPSIS
        head += f"\n{esc(word(language, 'table_row'))}{esc(colon(language))}<i>{esc(row)}</i>"
    if clause.kind is ChangeKind.MOVED and clause.old_section is not None:
        head += f" ({esc(word(language, 'moved_from'))} {esc(_where(clause.old_section, title))})"
    if continued:
        head += f" ({esc(word(language, 'continued'))})"
    return head


def _label_line(clause: ClauseChange | Sequence[ClauseChange], language: str) -> str:
    """``🏷 +legitimate interests: “legitimate interest” · AI training: “generative AI”``.

    For a table row, the labels of all its cells: gained or lost when a cell gains or loses
    it, with the words matched in any of them.
    """
    clauses = [clause] if isinstance(clause, ClauseChange) else list(clause)
    about = [label for c in clauses for label in (*c.labels, *c.lost)]
    gained = {label for c in clauses for label in c.gained}
    lost = {label for c in clauses for label in c.lost} - {x for c in clauses for x in c.labels}
    items = []
    for label in sorted(dict.fromkeys(about), key=label_order):
        mark = "+" if label in gained else "−" if label in lost else ""
        side = "old" if label in lost else "new"
        matched = [
            e.matched
            for c in clauses
            for e in c.evidence
            if e.label == label and e.polarity is Polarity.ASSERTED and e.side == side and e.changed
        ]
        shown = list(dict.fromkeys(matched))[:MAX_WORDS_PER_LABEL]
        words = ", ".join(quoted(language, m) for m in shown)
        item = f"{mark}{label_name(language, label)}" + (colon(language) + words if words else "")
        items.append(esc(item))
    return ("🏷 " + " · ".join(items)) if items else ""


def _row_name(row: str) -> str:
    return row if len(row) <= ROW_CHARS else row[: ROW_CHARS - 1].rstrip() + ELLIPSIS


def row_block(unit: Unit, language: str, title: str) -> str:
    """A table row in one block: its name, then each changed cell under its column."""
    cells = [c for c in unit.clauses if not unit.head_cell(c)]
    first = unit.first
    head = f"{KIND_MARKS[unit.kind]} <b>{esc(_where(first.section, title))}</b>"
    head += f"\n{esc(word(language, 'table_row'))}{esc(colon(language))}"
    head += f"<b><i>{esc(_row_name(unit.row))}</i></b>"
    lines = [head]
    for cell in cells:
        column = (cell.column or "").strip()
        quote = f"<blockquote expandable>{_diff_markup(_clause_ops(cell))}</blockquote>"
        lines.append((f"<i>{esc(column)}</i>\n" if column else "") + quote)
    labels = _label_line(unit.clauses, language)
    if labels:
        lines.append(labels)
    return "\n".join(lines)


def unit_blocks(unit: Unit, language: str, title: str = "") -> list[str]:
    """A unit as blocks of markup: a table row as one block (its cells under their columns)
    when it fits one message, otherwise each cell as its own block under the row's name (the
    name cell not repeated); a clause outside a table as :func:`clause_blocks`."""
    cells = [c for c in unit.clauses if not unit.head_cell(c)]
    if unit.row and cells:
        block = row_block(unit, language, title)
        if fits(block):
            return [block]
    shown = cells if unit.row and cells else list(unit.clauses)
    return [block for clause in shown for block in clause_blocks(clause, language, title)]


def _clause_block(
    clause: ClauseChange,
    ops: Sequence[tuple[DiffOp, str]],
    language: str,
    title: str,
    *,
    continued: bool,
) -> str:
    lines = [_header(clause, language, title, continued=continued)]
    lines.append(f"<blockquote expandable>{_diff_markup(ops)}</blockquote>")
    labels = _label_line(clause, language)
    if labels:
        lines.append(labels)
    return "\n".join(lines)


def clause_blocks(clause: ClauseChange, language: str, title: str = "") -> list[str]:
    """The clause as one block of markup, or several (continued) when one message is too small.

    Operations are kept whole where they fit and cut between words where one alone is too long.
    """
    ops = _clause_ops(clause)
    whole = _clause_block(clause, ops, language, title, continued=False)
    if fits(whole):
        return [whole]
    pending: list[tuple[DiffOp, str]] = list(ops)
    blocks: list[str] = []
    current: list[tuple[DiffOp, str]] = []
    while pending:
        op = pending.pop(0)
        trial = _clause_block(clause, [*current, op], language, title, continued=bool(blocks))
        if fits(trial):
            current.append(op)
            continue
        if current:
            blocks.append(_clause_block(clause, current, language, title, continued=bool(blocks)))
            current = []
            pending.insert(0, op)
            continue
        # One operation alone is too long: cut it between words and try again.
        kind, text = op
        halves = split_words(text, 2)
        if len(halves) < 2:
            raise MessageTooLargeError(f"a clause of {len(text)} characters cannot be split")
        pending[0:0] = [(kind, half) for half in halves]
    if current:
        blocks.append(_clause_block(clause, current, language, title, continued=bool(blocks)))
    return blocks


def _more_line(count: int, language: str, page: str | None, *, cut: bool = False) -> str:
    if cut:
        phrase = (
            word(language, "clause_rest_and_more", n=count)
            if count
            else word(language, "clause_rest")
        )
    else:
        phrase = (
            word(language, "more_clauses_one")
            if count == 1
            else word(language, "more_clauses", n=count)
        )
    return f"<i>{_link(page, phrase) if page else esc(phrase)}</i>"


def render_clauses(
    change: Change,
    context: PostContext,
    channel: Channel,
    *,
    max_clauses: int,
    max_messages: int | None = MAX_CLAUSE_MESSAGES,
) -> list[Message]:
    """The replies holding the ``max_clauses`` most important clauses (and a count of the rest).

    At most ``max_messages`` messages (None: no bound): the clauses that do not fit join the
    count of the rest, and a first clause that alone does not fit is cut between its blocks.
    """
    lang = channel.language
    page = channel.link(context.change_page)
    chosen = ranked_units(change, channel)
    per_clause = [unit_blocks(u, lang, context.title) for u in chosen[:max_clauses]]
    shown, cut = len(per_clause), False
    while True:
        left = len(chosen) - shown
        tail = _more_line(left, lang, page, cut=cut) if left or cut else ""
        texts = pack([block for blocks in per_clause[:shown] for block in blocks], tail=tail)
        if max_messages is None or len(texts) <= max_messages:
            break
        if shown > 1:
            shown -= 1
            continue
        # One clause alone is too long for the bound: keep its first blocks only.
        per_clause[0] = per_clause[0][: min(len(per_clause[0]), max_messages) - int(cut)]
        cut = True
        if not per_clause[0]:
            raise MessageTooLargeError("no clause block fits the bound on messages")
    if len(texts) > 1:
        numbered = []
        for position, text in enumerate(texts, 1):
            candidate = f"({position}/{len(texts)})\n{text}"
            numbered.append(candidate if fits(candidate) else text)
        texts = numbered
    return [
        Message(role="clauses", html=text, silent=True, reply_to_summary=True) for text in texts
    ]


def render_document(change: Change, context: PostContext, channel: Channel) -> Message:
    """The document reply: the full HTML change page, with a short caption."""
    caption = esc(
        word(
            channel.language,
            "document_caption",
            title=context.title,
            old=change.from_version,
            new=change.to_version,
        )
    )
    if not fits(caption, caption=True):
        caption = esc(f"{change.from_version} → {change.to_version}")
    filename = f"{change.document.replace('/', '-')}-{change.to_version}.html"
    return Message(
        role="document",
        html=caption,
        silent=True,
        reply_to_summary=True,
        attachment=context.change_page,
        filename=filename,
    )


def render_post(
    change: Change,
    context: PostContext,
    channel: Channel,
    *,
    max_clauses: int = 5,
    max_messages: int | None = MAX_CLAUSE_MESSAGES,
) -> list[Message]:
    """Every message of one change for one channel, in sending order.

    ``max_messages`` bounds the clause replies (None: every clause shown, whatever it takes).
    """
    return [
        render_summary(change, context, channel),
        *render_clauses(
            change, context, channel, max_clauses=max_clauses, max_messages=max_messages
        ),
        render_document(change, context, channel),
    ]


def render_reminder(change: Change, context: PostContext, channel: Channel) -> Message:
    """The message sent on the day an announced change takes effect (``context.takes_effect``).

    The headline again (or the document's title), when the change was detected, and links.
    """
    lang = channel.language
    assert context.takes_effect is not None  # noqa: S101 - only queued for announced changes
    told = story(change)
    lines = [f"⏰ <b>{esc(word(lang, 'reminder', when=day(lang, context.takes_effect)))}</b>"]
    if told is not None:
        lines.append(f"📣 {headline_markup(told, lang, platform(change.document, context.title))}")
    lines.append(
        f"📜 <b>{esc(context.title)}</b> · "
        + esc(word(lang, "reminder_of", when=moment(lang, context.detected_at)))
    )
    page = channel.link(context.change_page)
    links = [_link(page, word(lang, "full_diff"))] if page else []
    if context.source_url:
        links.append(_link(context.source_url, word(lang, "current_text")))
    if links:
        lines.append("🔎 " + " · ".join(links))
    markup = "\n".join(lines)
    if not fits(markup):
        raise MessageTooLargeError(f"reminder of {change.document} does not fit one message")
    return Message(role="reminder", html=markup, silent=channel.silent, preview_url=page)


def render_fallback(change: Change, context: PostContext, channel: Channel) -> list[Message]:
    """A plain post for when the full one cannot be rendered (a bug): never lose the alert.

    One escaped line with the document, the significance and the counts, a link when there
    is one, and the change page as a document reply.
    """
    lang = channel.language
    line = f"📜 {context.title} · {significance_word(lang, change.significance)} · "
    line += _count_line(change, lang)
    page = channel.link(context.change_page)
    markup = esc(line[:900]) + (f"\n{_link(page, word(lang, 'full_diff'))}" if page else "")
    return [
        Message(role="summary", html=markup, silent=channel.silent, preview_url=page),
        render_document(change, context, channel),
    ]


# --------------------------------------------------------------------------- digest, maintainers
def digest_line(change: Change, context: PostContext, channel: Channel) -> Message:
    """One minor change as a line of the channel's next digest (held until then)."""
    lang = channel.language
    line = f"• <b>{esc(context.title)}</b>: {esc(_count_line(change, lang))}"
    line += f" ({esc(moment(lang, context.detected_at))})"
    page = channel.link(context.change_page)
    if page:
        line += " " + _link(page, word(lang, "full_diff"))
    return Message(role="digest-item", html=line, silent=True)


def render_digest(lines: Sequence[str], channel: Channel) -> list[Message]:
    """Digest lines gathered under a heading into as few messages as fit."""
    head = f"🗂 <b>{esc(word(channel.language, 'digest_title'))}</b>"
    texts = pack([head, *lines], separator="\n")
    return [Message(role="digest", html=text, silent=channel.silent) for text in texts]


def render_notice(text: str, details: Sequence[str] = ()) -> Message:
    """A message to the maintainers' channel: one line, then details in a quote."""
    markup = esc(text)
    if details:
        markup += "\n<blockquote>" + esc("\n".join(details)) + "</blockquote>"
    if not fits(markup):
        markup = esc(text[:1000])
    return Message(role="maintainers", html=markup, silent=False)
