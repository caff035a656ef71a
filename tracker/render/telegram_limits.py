"""Telegram's limits on a message, measured as Telegram measures them (pure).

Every message is parsed with :func:`tracker.render.telegram_html.parse_html` (a port of TDLib's
parser) and measured after parsing: at most 4096 characters (1024 for a caption), counted in UTF-16
code units, which is never less than TDLib's count of code points; at most :data:`ENTITY_BUDGET`
entities (Telegram silently drops formatting beyond 100); at most 32 768 bytes of raw text.
:func:`pack` joins blocks of markup into as few messages as fit, splitting only between blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Telegram's limits on one message (characters after parsing) and on a caption.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
#: Raw ``text`` longer than this many UTF-8 bytes is refused before parsing.
RAW_BYTES_LIMIT = 32_768
#: Telegram shows about 100 entities and drops the rest silently; we stay below.
ENTITY_BUDGET = 90


class MessageTooLargeError(ValueError):
    """A message that cannot be made to fit Telegram's limits (a bug: pieces are bounded)."""


@dataclass(frozen=True, slots=True)
class Size:
    """A message's size as Telegram counts it: parsed length (UTF-16), entities, raw bytes."""

    length: int
    entities: int
    raw_bytes: int

    def fits(self, *, caption: bool = False) -> bool:
        """Whether a message (or a caption) of this size is within every limit."""
        limit = CAPTION_LIMIT if caption else TEXT_LIMIT
        return (
            0 < self.length <= limit
            and self.entities <= ENTITY_BUDGET
            and self.raw_bytes <= RAW_BYTES_LIMIT
        )


def measure(markup: str) -> Size:
    """Parse ``markup`` as TDLib does and measure it (HtmlParseError if it does not parse)."""
    # Imported here: the port of TDLib's parser takes a while to import, and a check that
    # renders no message (an unchanged page) does without it.
    from tracker.render.telegram_html import parse_html, utf16_len

    parsed = parse_html(markup)
    return Size(utf16_len(parsed.text), len(parsed.entities), len(markup.encode("utf-8")))


def fits(markup: str, *, caption: bool = False) -> bool:
    """Whether ``markup`` parses and, parsed, fits one message (or one caption)."""
    return measure(markup).fits(caption=caption)


def split_words(text: str, pieces: int) -> list[str]:
    """``text`` in about ``pieces`` parts, cut after whitespace when there is some."""
    size = max(1, -(-len(text) // pieces))
    parts, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start + 1, end)
            if space > start:
                end = space + 1
        parts.append(text[start:end])
        start = end
    return parts


def pack(blocks: Sequence[str], *, tail: str = "", separator: str = "\n\n") -> list[str]:
    """Blocks joined into as few messages as fit, in order; ``tail`` ends the last one."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}{separator}{block}" if current else block
        if fits(candidate):
            current = candidate
            continue
        if current:
            messages.append(current)
        current = block
    if tail:
        candidate = f"{current}{separator}{tail}" if current else tail
        if fits(candidate):
            current = candidate
        else:
            messages.append(current)
            current = tail
    if current:
        messages.append(current)
    return messages
