"""Step 2, TDLib's ``fix_formatted_text``: clean the text, make entities nest, trim.

On code points with UTF-16 offsets, as sending a message runs it after
:mod:`tracker.render.telegram_html.parse`.
"""

from __future__ import annotations

from typing import Final

from tracker.render.telegram_html.links import _checked_link
from tracker.render.telegram_html.model import _MAX_USER_ID, Parsed, _Ent, _from_public, utf16_len
from tracker.render.telegram_html.sort import _sort
from tracker.render.telegram_html.tdutils import _text_of

# TDLib's groups of entity kinds, for the nesting rules.
_SPLITTABLE: Final = ("Bold", "Italic", "Underline", "Strikethrough", "Spoiler")  # TDLib's order
_BLOCKQUOTE: Final = frozenset({"BlockQuote", "ExpandableBlockQuote"})
_CONTINUOUS: Final = frozenset({"TextUrl", "MentionName", "CustomEmoji"})
_PRE: Final = frozenset({"Pre", "Code", "PreCode", "DateTime"})  # nothing may nest inside
_INT32_MAX: Final = 2**31 - 1
_LENGTH_LIMIT: Final = 35000  # bytes; TDLib cuts longer texts (the Bot API refuses > 32768 first)


def fix_formatted_text(parsed: Parsed, *, skip_trim: bool = False) -> Parsed:
    """TDLib's ``fix_formatted_text`` as sending a message runs it (empty text allowed).

    Control characters become spaces, ``\\r``, U+2028 to U+202E and the combining vertical lines
    U+030A, U+0333, U+033F are removed, runs of U+200E/U+200F keep only their last mark (the
    others become U+200C), entities are merged, split or dropped so that they nest as Telegram
    requires, then leading and trailing spaces and newlines are trimmed (unless ``skip_trim``).
    Whitespace-only text gives an empty :class:`Parsed`. Entities Telegram's servers detect
    on their own (URLs, mentions, hashtags...) are not added.
    """
    entities = [_from_public(entity) for entity in parsed.entities]
    for entity in entities:  # TDLib's get_message_entities: arguments are cleaned like text
        if entity.kind in ("TextUrl", "PreCode"):
            entity.argument = _clean(entity.argument, [])[0]
        if entity.kind == "TextUrl":
            checked = _checked_link(entity.argument.encode("utf-8", "surrogatepass"))
            entity.argument = "" if checked is None else _text_of(checked)
    if entities:
        _remove_empty(entities)
        entities = _fix_entities(entities)
    text, entities = _clean(parsed.text, entities)
    _remove_empty(entities)
    last_char = _last_non_space(text)
    if last_char < 0:
        return Parsed("")
    entities = _fix_entities(entities)
    if not skip_trim:
        text, entities = _trim(text, entities, last_char)
    encoded = text.encode("utf-8")
    if len(encoded) > _LENGTH_LIMIT:
        text = encoded[:_LENGTH_LIMIT].decode("utf-8", "ignore")
        limit = utf16_len(text)
        entities = [entity for entity in entities if entity.end <= limit]
    return Parsed(text, tuple(entity.public() for entity in entities))


def _remove_empty(entities: list[_Ent]) -> None:
    entities[:] = [
        entity
        for entity in entities
        if entity.length > 0
        and not (entity.kind == "TextUrl" and not entity.argument)
        and not (entity.kind == "MentionName" and not 0 < entity.user_id <= _MAX_USER_ID)
        and not (entity.kind == "CustomEmoji" and entity.argument in ("", "0"))
    ]


_REMOVED_CHARS: Final = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u030a\u0333\u033f")
_SPACED_CHARS: Final = frozenset(chr(c) for c in range(32) if c not in (10, 13))


def _clean(text: str, entities: list[_Ent]) -> tuple[str, list[_Ent]]:
    """Replace control characters, drop invisible ones; move entities along (UTF-16)."""
    kept: list[str] = []
    new_offset = {0: 0}
    old = new = 0
    for char in text:
        units = 2 if ord(char) > 0xFFFF else 1
        old += units
        if char in _SPACED_CHARS:
            kept.append(" ")
            new += 1
        elif char not in _REMOVED_CHARS:
            kept.append(char)
            new += units
        new_offset[old] = new
    for entity in entities:
        start, end = new_offset[entity.offset], new_offset[entity.end]
        entity.offset, entity.length = start, end - start
    return _mark_runs("".join(kept)), entities


def _mark_runs(text: str) -> str:
    """In each run of U+200E/U+200F, all but the last become U+200C (TDLib's offending chars)."""
    chars = list(text)
    for k in range(len(chars) - 1):
        if chars[k] in "\u200e\u200f" and chars[k + 1] in "\u200e\u200f":
            chars[k] = "\u200c"
    return "".join(chars)


def _last_non_space(text: str) -> int:
    """Index of the last character that is not a space or newline, -1 if there is none."""
    return max((k for k, char in enumerate(text) if char not in " \n"), default=-1)


def _trim(text: str, entities: list[_Ent], last_char: int) -> tuple[str, list[_Ent]]:
    text = text[: last_char + 1]
    limit = utf16_len(text)
    while entities and entities[-1].offset >= limit:
        entities.pop()
    if any(entity.end > limit for entity in entities):
        for entity in entities:
            entity.length = min(entity.end, limit) - entity.offset
        _sort(entities)
    bound = entities[0].offset if entities else len(text)
    cut = 0
    while cut < bound and text[cut] in " \n":
        cut += 1
    for entity in entities:
        entity.offset -= cut
    return text[cut:], entities


def _fix_entities(entities: list[_Ent]) -> list[_Ent]:
    """Make entities nest as Telegram requires (TDLib's ``fix_entities``)."""
    _sort(entities)
    if _are_valid(entities):
        return entities
    splittable = [e for e in entities if e.kind in _SPLITTABLE]
    blockquotes = [e for e in entities if e.kind in _BLOCKQUOTE]
    others = _remove_intersecting(
        [e for e in entities if e.kind not in _SPLITTABLE and e.kind not in _BLOCKQUOTE]
    )
    if blockquotes:
        blockquotes = _remove_intersecting(blockquotes)
        others = _remove_crossing_blockquotes(others, blockquotes) + blockquotes
        _sort(others)
    if not splittable:
        return others
    splittable = _split(splittable, others)
    if not others:
        return splittable
    merged = others + splittable
    _sort(merged)
    return merged


def _are_valid(entities: list[_Ent]) -> bool:
    """True if the sorted entities already nest properly and need no fixing."""
    ends = dict.fromkeys(_SPLITTABLE, -1)
    stack: list[_Ent] = []
    for entity in entities:
        while stack and entity.offset >= stack[-1].end:
            stack.pop()
        if stack:
            kinds = {e.kind for e in stack}
            parent = stack[-1]
            if (
                entity.end > parent.end
                or entity.kind in kinds
                or parent.kind in _PRE
                or (entity.kind in _PRE and kinds - _BLOCKQUOTE)
                or (entity.kind in _CONTINUOUS | _BLOCKQUOTE and kinds & _CONTINUOUS)
                or (entity.kind in _BLOCKQUOTE and kinds & _BLOCKQUOTE)
                or kinds & set(_SPLITTABLE)
            ):
                return False
        if entity.kind in ends:
            if ends[entity.kind] >= entity.offset:
                return False
            ends[entity.kind] = entity.end
        stack.append(entity)
    return True


def _remove_intersecting(entities: list[_Ent]) -> list[_Ent]:
    """Keep an entity only if it starts after every kept one ended (nested ones go too)."""
    kept: list[_Ent] = []
    last_end = 0
    for entity in entities:
        if entity.offset >= last_end:
            last_end = entity.end
            kept.append(entity)
    return kept


def _remove_crossing_blockquotes(entities: list[_Ent], quotes: list[_Ent]) -> list[_Ent]:
    """Drop entities that a blockquote cuts (partly inside, partly outside)."""
    kept: list[_Ent] = []
    q = 0
    for entity in entities:
        while q < len(quotes) and quotes[q].end <= entity.offset:
            q += 1
        if q < len(quotes) and (
            quotes[q].end < entity.end or entity.offset < quotes[q].offset < entity.end
        ):
            continue
        kept.append(entity)
    return kept


def _split(splittable: list[_Ent], others: list[_Ent]) -> list[_Ent]:
    """Merge touching same-kind entities, cut them at the edges of the others (sorted),
    and drop the parts inside pre-like entities (TDLib's ``split_entities``)."""
    begins = dict.fromkeys(_SPLITTABLE, 0)
    ends = dict.fromkeys(_SPLITTABLE, 0)
    result: list[_Ent] = []
    position = 0

    def flush(offset: int) -> None:
        for kind in _SPLITTABLE:
            if ends[kind] != 0 and begins[kind] < offset:
                if ends[kind] <= offset:
                    result.append(_Ent(kind, begins[kind], ends[kind] - begins[kind]))
                    begins[kind] = ends[kind] = 0
                else:
                    result.append(_Ent(kind, begins[kind], offset - begins[kind]))
                    begins[kind] = offset

    def add_entities(end_offset: int) -> None:
        nonlocal position
        while position < len(splittable) and splittable[position].offset < end_offset:
            entity = splittable[position]
            kind = entity.kind
            if entity.offset <= ends[kind] and ends[kind] != 0:
                ends[kind] = max(ends[kind], entity.end)
            else:
                flush(entity.offset)
                begins[kind], ends[kind] = entity.offset, entity.end
            position += 1
        flush(end_offset)

    stack: list[_Ent] = []

    def add_offset(offset: int) -> None:
        while stack and offset >= stack[-1].end:
            before = len(result)
            add_entities(stack[-1].end)
            if stack[-1].kind in _PRE:
                del result[before:]
            stack.pop()
        add_entities(offset)

    for other in others:
        add_offset(other.offset)
        stack.append(other)
    add_offset(_INT32_MAX)
    _sort(result)
    return result
