"""An HTML page showing queued Telegram messages as a channel shows them (pure).

The messages are parsed exactly as Telegram parses them (:mod:`tracker.render.telegram_html`) and
the resulting text and entities are drawn as a channel's message bubbles, replies threaded under
their summary. ``tracker outbox --preview FILE`` writes it, so a maintainer sees a post before it
goes out; ``docs/images/telegram-*.png`` are screenshots of it in headless Chromium.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from tracker.render.telegram import Message
from tracker.render.telegram_html import Entity, HtmlParseError, parse_html

_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
}


@dataclass(frozen=True, slots=True)
class Bubble:
    """One message to draw: the channel it goes to and the message itself."""

    channel: str
    message: Message


def entities_to_html(text: str, entities: Sequence[Entity]) -> str:
    """Parsed text with its entities as (browser) HTML; offsets are UTF-16 code units."""
    units = text.encode("utf-16-le")
    events: dict[int, list[tuple[int, int, str]]] = {}
    for order, entity in enumerate(entities):
        if entity.type == "text_link":
            opening = f'<a href="{html.escape(entity.url or "", quote=True)}">'
            closing = "</a>"
        else:
            opening, closing = _TAGS.get(entity.type, ("<span>", "</span>"))
        end = entity.offset + entity.length
        # Opens sort outermost first (longer first); closes innermost first.
        events.setdefault(entity.offset, []).append((1, -entity.length * 10_000 + order, opening))
        events.setdefault(end, []).append((0, entity.length * 10_000 - order, closing))
    out = []
    positions = sorted({0, len(units) // 2, *events})
    for here, there in zip(positions, [*positions[1:], None], strict=True):
        for _, _, tag in sorted(events.get(here, [])):
            out.append(tag)
        if there is not None:
            chunk = units[here * 2 : there * 2].decode("utf-16-le")
            out.append(html.escape(chunk).replace("\n", "<br>"))
    return "".join(out)


_STYLE = """
body { margin: 0; background: #8fb1cc; font: 15px/1.4 -apple-system, "Segoe UI", Roboto,
  "Noto Sans", "DejaVu Sans", "Liberation Sans", sans-serif, "Noto Color Emoji"; color: #000; }
.channel { max-width: 560px; margin: 0 auto; padding: 16px 12px 32px; }
.head { background: #fff; border-radius: 12px; padding: 10px 14px; margin-bottom: 14px;
  font-weight: 600; }
.head small { display: block; font-weight: 400; color: #707579; }
.bubble { background: #fff; border-radius: 12px; padding: 8px 12px 18px; margin: 8px 0;
  position: relative; box-shadow: 0 1px 2px rgba(0,0,0,.15); overflow-wrap: anywhere; }
.reply { margin-left: 28px; }
.reply-to { border-left: 3px solid #3390ec; padding-left: 8px; color: #3390ec; font-size: 13px;
  margin-bottom: 4px; }
.meta { position: absolute; right: 10px; bottom: 4px; font-size: 12px; color: #a0acb6; }
blockquote { margin: 4px 0; padding: 2px 8px; border-left: 3px solid #3390ec;
  background: #e8f2fd; border-radius: 4px; }
blockquote.expandable { max-height: 7.2em; overflow: hidden; position: relative; }
blockquote.expandable::after { content: "⌄"; position: absolute; right: 6px; bottom: 0;
  color: #3390ec; }
a { color: #168acd; text-decoration: none; }
u { text-decoration-color: #2e7d32; text-decoration-thickness: 2px; }
s { color: #b3261e; }
.file { display: flex; gap: 10px; align-items: center; margin-bottom: 6px; }
.file .icon { width: 42px; height: 42px; border-radius: 50%; background: #3390ec; color: #fff;
  display: flex; align-items: center; justify-content: center; font-size: 20px; }
.error { color: #b3261e; font-family: monospace; }
"""


def render_preview(title: str, bubbles: Sequence[Bubble]) -> str:
    """A self-contained page with every bubble, grouped by channel in order."""
    sections: dict[str, list[str]] = {}
    for bubble in bubbles:
        message = bubble.message
        try:
            parsed = parse_html(message.html)
            body = entities_to_html(parsed.text, parsed.entities)
        except HtmlParseError as exc:
            refused = html.escape(str(exc))
            body = f'<span class="error">Telegram would refuse this message: {refused}</span>'
        parts = []
        if message.reply_to_summary:
            parts.append('<div class="reply-to">↪ reply to the summary</div>')
        if message.attachment:
            name = html.escape(message.filename or message.attachment)
            parts.append(f'<div class="file"><div class="icon">📄</div><b>{name}</b></div>')
        parts.append(body)
        flags = "🔕 silent" if message.silent else "🔔"
        parts.append(f'<span class="meta">{flags}</span>')
        css = "bubble reply" if message.reply_to_summary else "bubble"
        sections.setdefault(bubble.channel, []).append(f'<div class="{css}">{"".join(parts)}</div>')
    body = "".join(
        f'<div class="channel"><div class="head">{html.escape(name)}'
        f"<small>{len(items)} messages</small></div>{''.join(items)}</div>"
        for name, items in sections.items()
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )
