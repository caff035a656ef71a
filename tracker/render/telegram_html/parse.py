"""Step 1, TDLib's ``parse_html``: tags, attributes and character references to entities.

Byte by byte over the UTF-8 text like TDLib (a NUL ends a tag early), failing the whole text
on the first problem with TDLib's message; the text is not trimmed (that is step 2,
:mod:`tracker.render.telegram_html.fix`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tracker.render.telegram_html.links import _checked_link, _link_user_id
from tracker.render.telegram_html.model import _MAX_USER_ID, HtmlParseError, Parsed, _Ent
from tracker.render.telegram_html.sort import _sort
from tracker.render.telegram_html.tdutils import (
    _SPACES,
    _is_alnum,
    _is_alpha,
    _is_digit,
    _is_hex,
    _text_of,
    _to_integer,
    _to_integer_safe,
)

_LT, _GT, _AMP, _SLASH, _EQ = 0x3C, 0x3E, 0x26, 0x2F, 0x3D
_QUOTES: Final = (0x22, 0x27)
_ALLOWED_TAGS: Final = frozenset(
    b"a b strong i em s strike del u ins tg-spoiler tg-emoji tg-time span pre code "
    b"blockquote".split()
)


class _Bytes:
    """The raw UTF-8 text read like TDLib's C string: past the end, every byte is 0 (NUL)."""

    __slots__ = ("data", "size")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def __getitem__(self, index: int) -> int:
        return self.data[index] if index < self.size else 0


def _decode_reference(text: _Bytes, pos: int) -> tuple[int, int]:
    """Decode the character reference at ``pos`` (an ``&``): (code point or 0, next position)."""
    end = pos + 1
    code = 0
    if text[pos + 1] == 0x23:  # '#'
        end += 1
        if text[pos + 2] in (0x78, 0x58):  # 'x' or 'X'
            end += 1
            while _is_hex(text[end]):
                code = code * 16 + int(chr(text[end]), 16)
                end += 1
        else:
            while _is_digit(text[end]):
                code = code * 10 + text[end] - 0x30
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _is_alpha(text[end]):
            end += 1
        code = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}.get(
            text.data[pos + 1 : end], 0
        )
        if code == 0:
            return 0, pos
    if text[end] == 0x3B:  # ';'
        end += 1
    return code, end


def _utf8(code: int) -> bytes:
    """UTF-8 of a code point; a surrogate gets its 3 bytes, as TDLib writes them."""
    return chr(code).encode("utf-8", "surrogatepass")


@dataclass(slots=True)
class _Open:
    """A start tag waiting for its end tag."""

    tag: str
    offset: int  # UTF-16 offset in the result
    position: int  # byte position in the result
    argument: bytes = b""
    expandable: bool = False
    unix: bytes = b""
    date_format: bytes = b""


def parse_text_entities(text: str) -> Parsed:
    """TDLib's ``parse_html``: the text and entities, untrimmed (see the module docstring).

    This is what ``td_execute`` answers to ``parseTextEntities`` with ``textParseModeHTML``:
    same text, same entities in the same order, same error messages.

    Raises:
        HtmlParseError: TDLib rejected the markup.
        UnicodeEncodeError: ``text`` holds a lone surrogate.
    """
    raw = _Bytes(text.encode("utf-8"))
    result = bytearray()
    entities: list[_Ent] = []
    stack: list[_Open] = []
    utf16 = 0
    recheck_utf8 = False
    i = 0
    while i < raw.size:
        c = raw[i]
        if c == _AMP:
            code, after = _decode_reference(raw, i)
            if code:
                utf16 += 1 + (code > 0xFFFF)
                recheck_utf8 |= 0xD800 <= code <= 0xDFFF
                result += _utf8(code)
                i = after
                continue
        if c != _LT:
            if (c & 0xC0) != 0x80:  # the first byte of a character
                utf16 += 1 + (c >= 0xF0)
            result.append(c)
            i += 1
            continue
        begin = i
        i += 1
        if raw[i] != _SLASH:
            i = _start_tag(raw, begin, i, stack, utf16, len(result))
        else:
            i = _end_tag(raw, begin, i, stack, entities, result, utf16)
        i += 1  # past the '>'
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity.kind == "Code":
            entity.argument = ""
    _sort(entities)
    try:
        decoded = result.decode("utf-8")
    except UnicodeDecodeError:
        if not recheck_utf8:  # pragma: no cover - the input was valid UTF-8
            raise
        raise HtmlParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        ) from None
    return Parsed(decoded, tuple(entity.public() for entity in entities))


def _start_tag(raw: _Bytes, begin: int, i: int, stack: list[_Open], utf16: int, pos: int) -> int:
    """Read a start tag (``raw[begin]`` is its ``<``); push it; return the index of its ``>``."""
    while raw[i] not in _SPACES and raw[i] != _GT:
        i += 1
    if raw[i] == 0:
        raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
    name = raw.data[begin + 1 : i].lower()
    tag = _text_of(name)
    if name not in _ALLOWED_TAGS:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
    opened = _Open(tag, utf16, pos)
    while raw[i] != _GT:
        while raw[i] != 0 and raw[i] in _SPACES:
            i += 1
        if raw[i] == _GT:
            break
        name_begin = i
        while raw[i] not in _SPACES and raw[i] not in (_EQ, _GT, _SLASH, *_QUOTES):
            i += 1
        attribute = raw.data[name_begin:i]
        if not attribute:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while raw[i] != 0 and raw[i] in _SPACES:
            i += 1
        if raw[i] != _EQ:
            if raw[i] == 0:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if tag == "blockquote" and attribute == b"expandable":
                opened.expandable = True
            continue
        i += 1
        while raw[i] != 0 and raw[i] in _SPACES:
            i += 1
        if raw[i] == 0:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        value, i = _attribute_value(raw, i)
        if raw[i] == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        _apply_attribute(opened, attribute, value)
    if tag == "span" and opened.argument != b"spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    stack.append(opened)
    return i


def _attribute_value(raw: _Bytes, i: int) -> tuple[bytes, int]:
    """Read a quoted string (references decoded) or a lowercased name token at ``i``."""
    if raw[i] not in _QUOTES:
        token_begin = i
        while _is_alnum(raw[i]) or raw[i] in (0x2E, 0x2D):  # '.', '-'
            i += 1
        if raw[i] not in _SPACES and raw[i] != _GT:
            raise HtmlParseError(f"Unexpected end of name token at byte offset {token_begin}")
        return raw.data[token_begin:i].lower(), i
    quote = raw[i]
    i += 1
    value = bytearray()
    while raw[i] != quote and raw[i] != 0:
        if raw[i] == _AMP:
            code, after = _decode_reference(raw, i)
            if code:
                value += _utf8(code)
                i = after
                continue
        value.append(raw[i])
        i += 1
    if raw[i] == quote:
        i += 1
    return bytes(value), i


def _apply_attribute(opened: _Open, attribute: bytes, value: bytes) -> None:
    tag = opened.tag
    if tag == "a" and attribute == b"href":
        opened.argument = value
    elif tag == "code" and attribute == b"class" and value.startswith(b"language-"):
        opened.argument = value[9:]
    elif tag == "span" and attribute == b"class" and value.startswith(b"tg-"):
        opened.argument = value[3:]
    elif tag == "tg-emoji" and attribute == b"emoji-id":
        opened.argument = value
    elif tag == "blockquote" and attribute == b"expandable":
        opened.expandable = True
    elif tag == "tg-time" and attribute == b"unix":
        opened.unix = value
    elif tag == "tg-time" and attribute == b"format":
        opened.date_format = value


_SIMPLE_KINDS: Final = {
    "b": "Bold",
    "strong": "Bold",
    "i": "Italic",
    "em": "Italic",
    "u": "Underline",
    "ins": "Underline",
    "s": "Strikethrough",
    "strike": "Strikethrough",
    "del": "Strikethrough",
    "tg-spoiler": "Spoiler",
    "span": "Spoiler",
}


def _end_tag(
    raw: _Bytes,
    begin: int,
    i: int,
    stack: list[_Open],
    entities: list[_Ent],
    result: bytearray,
    utf16: int,
) -> int:
    """Read an end tag (``raw[begin]`` is its ``<``), close the innermost tag; index of ``>``."""
    if not stack:
        raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
    while raw[i] not in _SPACES and raw[i] != _GT:
        i += 1
    end_name = raw.data[begin + 2 : i].lower()
    while raw[i] in _SPACES and raw[i] != 0:
        i += 1
    if raw[i] != _GT:
        raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
    opened = stack[-1]
    if end_name and _text_of(end_name) != opened.tag:
        raise HtmlParseError(
            f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
            f'found "</{end_name.decode("utf-8", "replace")}>"'
        )
    if utf16 > opened.offset:
        entity = _close(opened, utf16 - opened.offset, entities, bytes(result[opened.position :]))
        if entity is not None:
            entities.append(entity)
    stack.pop()
    return i


def _close(opened: _Open, length: int, entities: list[_Ent], inner: bytes) -> _Ent | None:
    """The entity a non-empty closed tag makes (None: none); may merge into the last one."""
    tag, offset = opened.tag, opened.offset
    last = entities[-1] if entities else None
    same_range = last is not None and last.offset == offset and last.length == length
    if tag in _SIMPLE_KINDS:
        return _Ent(_SIMPLE_KINDS[tag], offset, length)
    if tag == "tg-emoji":
        emoji_id = _to_integer_safe(opened.argument, 64)
        if not emoji_id:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        return _Ent("CustomEmoji", offset, length, argument=str(emoji_id))
    if tag == "a":
        url = opened.argument or inner
        user_id = _link_user_id(url)
        if user_id is not None and 0 < user_id <= _MAX_USER_ID:
            return _Ent("MentionName", offset, length, user_id=user_id)
        checked = _checked_link(url)
        return None if checked is None else _Ent("TextUrl", offset, length, _text_of(checked))
    if tag == "pre":
        if same_range and last is not None and last.kind == "Code" and last.argument:
            last.kind = "PreCode"
            return None
        return _Ent("Pre", offset, length)
    if tag == "code":
        if same_range and last is not None and last.kind == "Pre" and opened.argument:
            last.kind = "PreCode"
            last.argument = _text_of(opened.argument)
            return None
        return _Ent("Code", offset, length, argument=_text_of(opened.argument))
    if tag == "blockquote":
        return _Ent("ExpandableBlockQuote" if opened.expandable else "BlockQuote", offset, length)
    return _date_time(opened, offset, length)


def _date_time(opened: _Open, offset: int, length: int) -> _Ent | None:
    """``<tg-time unix="..." format="...">``: format checked first, then a positive ``unix``."""
    date_format = _date_format(opened.date_format)
    unix_time = _to_integer(opened.unix, 32)
    if unix_time <= 0:
        return None
    return _Ent("DateTime", offset, length, unix_time=unix_time, date_format=date_format)


def _date_format(value: bytes) -> str | None:
    """Canonical Bot API format of a ``tg-time`` ``format`` (None: none given)."""
    if not value:
        return None
    if value in (b"r", b"R"):
        return "r"
    letters = set(value)
    if not letters <= set(b"wWdDtT"):
        raise HtmlParseError("Invalid date format used")
    weekday = "w" if letters & set(b"wW") else ""
    date = "d" if ord("d") in letters else "D" if ord("D") in letters else ""
    time = "t" if ord("t") in letters else "T" if ord("T") in letters else ""
    return weekday + date + time
