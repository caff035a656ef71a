"""TDLib's HTML parse mode in Python: what the Bot API makes of ``parse_mode="HTML"``.

Pure: strings in, :class:`Parsed` (text plus entities) out, or :class:`HtmlParseError` with
TDLib's exact message. No I/O. The Bot API server does not parse HTML itself: it hands the text
to TDLib, in two steps that this module reproduces one function each.

1. :func:`parse_text_entities`: TDLib's ``parse_html`` (what the synchronous request
   ``parseTextEntities`` with ``textParseModeHTML`` returns). It decodes the allowed tags and
   character references, and fails the *whole* text on the first problem with a message such as
   ``Unsupported start tag "br" at byte offset 4`` (offsets are UTF-8 byte offsets into the raw
   text). It does **not** trim: ``"  <b> x </b>  "`` stays ``"   x   "``.
2. :func:`fix_formatted_text`: TDLib's ``fix_formatted_text``, run when the message is sent.
   It replaces control characters by spaces, drops ``\\r`` and a few invisible characters,
   merges, splits and drops entities that may not nest that way, and trims leading and
   trailing spaces and newlines (the left trim stops at the first entity). Whitespace-only text
   becomes empty; the Bot API then answers ``text must be non-empty`` for a message (a caption
   may be empty).

:func:`parse_html` runs both: its :attr:`Parsed.length` (code points) is what TDLib compares
with 4096 (message) or 1024 (caption). Entity offsets and lengths are UTF-16 code units.

Rules, as TDLib 1.8.69 applies them (checked against the ``tdjson`` wheel):

* Tags, case-insensitive: ``b strong i em u ins s strike del tg-spoiler a code pre blockquote
  tg-emoji tg-time span`` (``span`` only with ``class="tg-spoiler"``). Any other name, or a bare
  ``<``, fails: ``Unsupported start tag "p" at byte offset 0``.
* Character references: ``&lt; &gt; &amp; &quot;`` (case-sensitive, ``;`` optional) and numeric
  ones (``&#65;``, ``&#x41;``, ``&#X41;``: 1 to 0x10FFFE, at most 9 characters before the
  optional ``;``). Every other ``&...`` stays literally in the text (``&nbsp;`` renders as
  ``&nbsp;``); a reference to a surrogate fails the text.
* Attributes: quoted values have references decoded; unquoted values are a "name token"
  (letters, digits, ``.``, ``-``) lowercased, so ``href=HTTP://X`` fails. Attribute names are
  case-sensitive; unknown attributes are ignored; for a repeated attribute the last one wins.
* ``<a href>`` must be a valid http(s), ``tg:``, ``ton:`` or ``tonsite:`` link (normalised like
  TDLib does: ``example.com`` becomes ``http://example.com/``), otherwise the entity is silently
  dropped; without ``href`` the link text is the URL; ``tg://user?id=N`` is a text mention.
* ``<pre><code class="language-x">`` is one ``pre`` entity with a language; bold, italic,
  underline, strikethrough and spoiler inside ``pre``/``code``/``tg-time`` are dropped, a link
  inside ``code`` (or ``code`` inside a link) loses the inner entity, and blockquotes do not nest.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeAlias

__all__ = [
    "Entity",
    "HtmlParseError",
    "Parsed",
    "fix_formatted_text",
    "parse_html",
    "parse_text_entities",
    "utf16_len",
]


class HtmlParseError(ValueError):
    """TDLib refused the text; ``str(exc)`` is TDLib's message, byte for byte.

    The Bot API answers ``400 Bad Request: can't parse entities: <message>`` (TDLib's own prefix
    ``Can't parse entities: `` with its first letter lowercased).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Entity:
    """One formatting entity, with the Bot API's ``MessageEntity`` field names.

    Attributes:
        type: ``bold``, ``italic``, ``underline``, ``strikethrough``, ``spoiler``,
            ``text_link``, ``text_mention``, ``code``, ``pre``, ``blockquote``,
            ``expandable_blockquote``, ``custom_emoji`` or ``date_time``.
        offset: start, in UTF-16 code units.
        length: length, in UTF-16 code units.
        url: for ``text_link``, the normalised URL.
        language: for ``pre``, the language of ``<pre><code class="language-...">``.
        custom_emoji_id: for ``custom_emoji``, the identifier as a decimal string.
        user_id: for ``text_mention`` (``<a href="tg://user?id=N">``), the user.
        unix_time: for ``date_time``, the moment (seconds since the epoch).
        date_time_format: for ``date_time``, the canonical format (``r``, or ``w`` then ``d``/``D``
            then ``t``/``T``), or None when the tag had none.
    """

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None
    user_id: int | None = None
    unix_time: int | None = None
    date_time_format: str | None = None

    @property
    def end(self) -> int:
        """The UTF-16 offset just past the entity."""
        return self.offset + self.length

    def to_bot_api(self) -> dict[str, object]:
        """The entity as the Bot API's JSON ``MessageEntity`` (``user`` as a minimal User)."""
        data: dict[str, object] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.url is not None:
            data["url"] = self.url
        if self.language is not None:
            data["language"] = self.language
        if self.custom_emoji_id is not None:
            data["custom_emoji_id"] = self.custom_emoji_id
        if self.user_id is not None:
            data["user"] = {"id": self.user_id, "is_bot": False, "first_name": str(self.user_id)}
        if self.unix_time is not None:
            data["unix_time"] = self.unix_time
        if self.date_time_format is not None:
            data["date_time_format"] = self.date_time_format
        return data


@dataclass(frozen=True, slots=True)
class Parsed:
    """Text and entities, as TDLib holds them after a step (see the module docstring)."""

    text: str
    entities: tuple[Entity, ...] = ()

    @property
    def length(self) -> int:
        """Length in code points: what TDLib compares with 4096 (text) and 1024 (caption)."""
        return len(self.text)

    @property
    def utf16_length(self) -> int:
        """Length in UTF-16 code units, the unit of entity offsets."""
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    """The number of UTF-16 code units of ``text`` (astral characters count twice)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def parse_html(text: str) -> Parsed:
    """Parse ``text`` as the Bot API does for ``parse_mode="HTML"``, trimming included.

    Raises:
        HtmlParseError: TDLib rejected the markup (the message is TDLib's).
        UnicodeEncodeError: ``text`` holds a lone surrogate (it cannot travel as UTF-8).
    """
    return fix_formatted_text(parse_text_entities(text))


# --------------------------------------------------------------------------------------------
# Internal entity model: TDLib's entity kinds, with its sort priorities and groups.

_PRIORITY: Final = {
    "BlockQuote": 0,
    "ExpandableBlockQuote": 0,
    "PreCode": 10,
    "Pre": 11,
    "Code": 20,
    "DateTime": 30,  # observed: sorts after Code and before TextUrl
    "TextUrl": 49,
    "MentionName": 49,
    "Bold": 90,
    "Italic": 91,
    "Underline": 92,
    "Strikethrough": 93,
    "Spoiler": 94,
    "CustomEmoji": 99,
}
_SPLITTABLE: Final = ("Bold", "Italic", "Underline", "Strikethrough", "Spoiler")  # TDLib's order
_BLOCKQUOTE: Final = frozenset({"BlockQuote", "ExpandableBlockQuote"})
_CONTINUOUS: Final = frozenset({"TextUrl", "MentionName", "CustomEmoji"})
_PRE: Final = frozenset({"Pre", "Code", "PreCode", "DateTime"})  # nothing may nest inside
_BOT_API_TYPE: Final = {
    "Bold": "bold",
    "Italic": "italic",
    "Underline": "underline",
    "Strikethrough": "strikethrough",
    "Spoiler": "spoiler",
    "Code": "code",
    "Pre": "pre",
    "PreCode": "pre",
    "TextUrl": "text_link",
    "MentionName": "text_mention",
    "CustomEmoji": "custom_emoji",
    "BlockQuote": "blockquote",
    "ExpandableBlockQuote": "expandable_blockquote",
    "DateTime": "date_time",
}
_KIND_OF_TYPE: Final = {
    bot_api: kind for kind, bot_api in _BOT_API_TYPE.items() if kind != "PreCode"
}
_INT32_MAX: Final = 2**31 - 1
_MAX_USER_ID: Final = 2**40 - 1
_LENGTH_LIMIT: Final = 35000  # bytes; TDLib cuts longer texts (the Bot API refuses > 32768 first)


@dataclass(slots=True)
class _Ent:
    kind: str
    offset: int
    length: int
    argument: str = ""  # URL, language or custom emoji id
    user_id: int = 0
    unix_time: int = 0
    date_format: str | None = None

    @property
    def end(self) -> int:
        return self.offset + self.length

    def key(self) -> tuple[int, int, int]:
        return (self.offset, -self.length, _PRIORITY[self.kind])

    def public(self) -> Entity:
        kind = self.kind
        return Entity(
            type=_BOT_API_TYPE[kind],
            offset=self.offset,
            length=self.length,
            url=self.argument if kind == "TextUrl" else None,
            language=self.argument if kind == "PreCode" else None,
            custom_emoji_id=self.argument if kind == "CustomEmoji" else None,
            user_id=self.user_id if kind == "MentionName" else None,
            unix_time=self.unix_time if kind == "DateTime" else None,
            date_time_format=self.date_format if kind == "DateTime" else None,
        )


_Less: TypeAlias = Callable[[_Ent, _Ent], bool]


def _from_public(entity: Entity) -> _Ent:
    kind = _KIND_OF_TYPE[entity.type]
    if kind == "Pre" and entity.language:
        kind = "PreCode"
    argument = entity.url or entity.language or entity.custom_emoji_id or ""
    return _Ent(
        kind,
        entity.offset,
        entity.length,
        argument=argument,
        user_id=entity.user_id or 0,
        unix_time=entity.unix_time or 0,
        date_format=entity.date_time_format,
    )


def _sort(entities: list[_Ent]) -> None:
    """TDLib's ``sort_entities``: keep a sorted list, else ``std::sort`` it.

    ``std::sort`` is not stable, and entities of equal rank (a link and a mention over the same
    text, two blockquotes) come out in the order GCC's introsort leaves them; TDLib's later steps
    keep the first of two such entities, so the order is reproduced, not just a valid order.
    """
    keys = [entity.key() for entity in entities]
    if all(keys[k] <= keys[k + 1] for k in range(len(keys) - 1)):
        return
    _introsort(entities, lambda a, b: a.key() < b.key())


def _introsort(items: list[_Ent], less: Callable[[_Ent, _Ent], bool]) -> None:
    """GCC libstdc++'s ``std::sort``: introsort to runs of 16, then one insertion sort."""
    if len(items) > 1:
        _introsort_loop(items, 0, len(items), 2 * (len(items).bit_length() - 1), less)
        _final_insertion_sort(items, 0, len(items), less)


def _introsort_loop(items: list[_Ent], first: int, last: int, depth: int, less: _Less) -> None:
    while last - first > 16:
        if depth == 0:
            _heap_sort(items, first, last, less)
            return
        depth -= 1
        mid = first + (last - first) // 2
        _median_to_first(items, first, first + 1, mid, last - 1, less)
        cut = _unguarded_partition(items, first + 1, last, first, less)
        _introsort_loop(items, cut, last, depth, less)
        last = cut


def _median_to_first(items: list[_Ent], result: int, a: int, b: int, c: int, less: _Less) -> None:
    if less(items[a], items[b]):
        if less(items[b], items[c]):
            pick = b
        elif less(items[a], items[c]):
            pick = c
        else:
            pick = a
    elif less(items[a], items[c]):
        pick = a
    elif less(items[b], items[c]):
        pick = c
    else:
        pick = b
    items[result], items[pick] = items[pick], items[result]


def _unguarded_partition(items: list[_Ent], first: int, last: int, pivot: int, less: _Less) -> int:
    while True:
        while less(items[first], items[pivot]):
            first += 1
        last -= 1
        while less(items[pivot], items[last]):
            last -= 1
        if first >= last:
            return first
        items[first], items[last] = items[last], items[first]
        first += 1


def _final_insertion_sort(items: list[_Ent], first: int, last: int, less: _Less) -> None:
    if last - first > 16:
        _insertion_sort(items, first, first + 16, less)
        for k in range(first + 16, last):
            _linear_insert(items, k, less)
    else:
        _insertion_sort(items, first, last, less)


def _insertion_sort(items: list[_Ent], first: int, last: int, less: _Less) -> None:
    for k in range(first + 1, last):
        if less(items[k], items[first]):
            items[first : k + 1] = [items[k], *items[first:k]]
        else:
            _linear_insert(items, k, less)


def _linear_insert(items: list[_Ent], last: int, less: _Less) -> None:
    value = items[last]
    while less(value, items[last - 1]):
        items[last] = items[last - 1]
        last -= 1
    items[last] = value


def _heap_sort(items: list[_Ent], first: int, last: int, less: _Less) -> None:
    """``std::partial_sort(first, last, last)``: make a heap, then pop it (rare deep inputs)."""
    size = last - first
    for parent in range((size - 2) // 2, -1, -1):
        _adjust_heap(items, first, parent, size, items[first + parent], less)
    while size > 1:
        size -= 1
        value = items[first + size]
        items[first + size] = items[first]
        _adjust_heap(items, first, 0, size, value, less)


def _adjust_heap(
    items: list[_Ent], base: int, hole: int, size: int, value: _Ent, less: _Less
) -> None:
    top = hole
    child = hole
    while child < (size - 1) // 2:
        child = 2 * (child + 1)
        if less(items[base + child], items[base + child - 1]):
            child -= 1
        items[base + hole] = items[base + child]
        hole = child
    if size % 2 == 0 and child == (size - 2) // 2:
        child = 2 * (child + 1)
        items[base + hole] = items[base + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(items[base + parent], value):
        items[base + hole] = items[base + parent]
        hole = parent
        parent = (hole - 1) // 2
    items[base + hole] = value


# --------------------------------------------------------------------------------------------
# Step 1: parse_html, byte by byte over the UTF-8 text like TDLib (a NUL ends a tag early).

_LT, _GT, _AMP, _SLASH, _EQ = 0x3C, 0x3E, 0x26, 0x2F, 0x3D
_QUOTES: Final = (0x22, 0x27)
_SPACES: Final = frozenset(b" \t\n\v\r\0")  # TDLib's is_space: no form feed, but NUL
_ALLOWED_TAGS: Final = frozenset(
    b"a b strong i em s strike del u ins tg-spoiler tg-emoji tg-time span pre code "
    b"blockquote".split()
)


def _is_alpha(c: int) -> bool:
    """ASCII letters only, like TDLib's ``is_alpha`` (and the ``_is_*`` below)."""
    return 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _is_digit(c: int) -> bool:
    return 0x30 <= c <= 0x39


def _is_hex(c: int) -> bool:
    return _is_digit(c) or 0x41 <= c <= 0x46 or 0x61 <= c <= 0x66


def _is_alnum(c: int) -> bool:
    return _is_alpha(c) or _is_digit(c)


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


def _to_integer(value: bytes, bits: int) -> int:
    """TDLib's ``to_integer<intN>``: optional ``-``, leading digits, wrapping arithmetic."""
    modulus, maximum = 1 << bits, (1 << (bits - 1)) - 1
    negative = value.startswith(b"-")
    number = 0
    for c in value[1:] if negative else value:
        if not _is_digit(c):
            break
        number = (number * 10 + c - 0x30) % modulus
    if number > maximum:
        number = (modulus - number) % modulus
        negative = not negative
        if number > maximum:
            return -maximum - 1
    return -number if negative else number


def _to_integer_safe(value: bytes, bits: int) -> int | None:
    """TDLib's ``to_integer_safe``: the number only if it prints back as exactly ``value``."""
    number = _to_integer(value, bits)
    return number if str(number).encode() == value else None


def _text_of(data: bytes) -> str:
    """Bytes TDLib produced as ``str`` (a decoded surrogate in an attribute is kept)."""
    return data.decode("utf-8", "surrogatepass")


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


# --------------------------------------------------------------------------------------------
# Links: TDLib's LinkManager::get_link_user_id, check_link and parse_url (tdutils HttpUrl).


def _link_user_id(url: bytes) -> int | None:
    """The user of a ``tg://user?id=N`` link (any case), whatever N is; None if not one."""
    rest = url.lower()
    if not rest.startswith(b"tg:"):
        return None
    rest = rest[3:]
    rest = rest.removeprefix(b"//")
    if not rest.startswith(b"user"):
        return None
    rest = rest[4:].removeprefix(b"/")
    if not rest.startswith(b"?"):
        return None
    rest = rest[1:].split(b"#", 1)[0]
    for parameter in rest.split(b"&"):
        key, _, value = parameter.partition(b"=")
        if key == b"id":
            return _to_integer_safe(value, 64)
    return None


@dataclass(frozen=True, slots=True)
class _HttpUrl:
    https: bool
    userinfo: bytes
    host: bytes
    is_ipv6: bool
    specified_port: int
    query: bytes

    def get_url(self) -> bytes:
        userinfo = self.userinfo + b"@" if self.userinfo else b""
        port = b":%d" % self.specified_port if self.specified_port > 0 else b""
        scheme = b"https://" if self.https else b"http://"
        return scheme + userinfo + self.host + port + self.query


def _checked_link(link: bytes) -> bytes | None:
    """The normalised link TDLib keeps for ``<a href>``, or None if it drops the entity."""
    lowered = link[:8].lower()
    scheme = next((s for s in (b"tg", b"ton", b"tonsite") if lowered.startswith(s + b":")), b"")
    if scheme:
        link = link[len(scheme) + 1 :].removeprefix(b"//")
    url = _parse_url(link)
    if url is None:
        return None
    if not scheme:
        return url.get_url() if b"." in url.host or url.is_ipv6 else None
    if (
        link[:7].lower() == b"http://"
        or url.https
        or url.userinfo
        or url.specified_port != 0
        or url.is_ipv6
    ):
        return None
    query = url.query
    if query[1:2] == b"?":
        query = query[1:]
    allowed = b"-_." if scheme == b"tonsite" else b"-_"
    if any(not _is_alnum(c) and c not in allowed for c in url.host):
        return None
    return scheme + b"://" + url.host + query


def _first_of(data: bytes, stops: bytes, start: int = 0) -> int:
    return next((k for k in range(start, len(data)) if data[k] in stops), len(data))


def _parse_url(url: bytes) -> _HttpUrl | None:
    """``[http(s)://][userinfo@]host[:port][/path?query#fragment]``, checked; None if invalid."""
    protocol_end = _first_of(url, b":/?#@[]")
    https = False
    start = 0
    if url[protocol_end : protocol_end + 3] == b"://":
        protocol = url[:protocol_end].lower()
        if protocol not in (b"http", b"https"):
            return None
        https = protocol == b"https"
        start = protocol_end + 3
    authority_end = _first_of(url, b"/?#", start)
    authority, query = url[start:authority_end], url[authority_end:]
    port = 0
    colon = len(authority) - 1
    while colon > 0 and authority[colon] not in b":]@":
        colon -= 1
    if colon > 0 and authority[colon] == 0x3A:
        digits = authority[colon + 1 :]
        while len(digits) > 1 and digits[0] == 0x30:
            digits = digits[1:]
        number = _to_integer_safe(digits, 32)
        port = number if number else -1
        authority = authority[:colon]
    if not 0 <= port <= 65535:
        return None
    userinfo, _, host = authority.rpartition(b"@")
    is_ipv6 = host[:1] == b"[" and host[-1:] == b"]"
    if is_ipv6 and not _is_ipv6_address(host):
        return None
    if not host or host == b".":
        return None
    query = query.rstrip(bytes(_SPACES))
    if not query:
        query = b"/"
    fixed = bytearray() if query.startswith(b"/") else bytearray(b"/")
    for c in query:
        fixed += b"%%%02X" % c if c <= 0x20 else bytes((c,))
    host = host.lower()
    if is_ipv6:
        if any(c not in b":0123456789abcdef." for c in host[1:-1]):
            return None
    elif not _is_url_part(host, allow_colon=False) or not _is_url_part(userinfo, allow_colon=True):
        return None
    return _HttpUrl(https, userinfo, host, is_ipv6, port, bytes(fixed))


def _is_url_part(part: bytes, *, allow_colon: bool) -> bool:
    """RFC 3986 characters, ``%XX`` escapes and any non-ASCII byte; ``:`` in user info."""
    allowed = b".-_!$,~*'();&+=" + (b":" if allow_colon else b"")
    i = 0
    while i < len(part):
        c = part[i]
        if _is_alnum(c) or c in allowed or c >= 0x80:
            i += 1
        elif c == 0x25 and _is_hex(_at(part, i + 1)) and _is_hex(_at(part, i + 2)):
            i += 3
        else:
            return False
    return True


def _at(data: bytes, index: int) -> int:
    return data[index] if index < len(data) else 0


def _is_ipv6_address(host: bytes) -> bool:
    """``[...]`` holds an address ``inet_pton`` accepts (read as a C string, up to a NUL)."""
    inner = host[1:-1] if len(host) > 2 else host
    inner = inner.split(b"\0", 1)[0]
    try:
        socket.inet_pton(socket.AF_INET6, inner.decode("ascii"))
    except (OSError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------------------------
# Step 2: fix_formatted_text, on code points with UTF-16 offsets.


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
