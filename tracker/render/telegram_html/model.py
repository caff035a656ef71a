"""The entities: the public :class:`Entity` and :class:`Parsed`, and TDLib's own entity kinds.

TDLib works on its ``MessageEntity`` kinds (``Bold``, ``TextUrl``, ``PreCode``...), each with a
sort priority; :class:`_Ent` is one of those, mutable, as the parser and the fixer move it,
and converts to and from the Bot API's :class:`Entity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


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


# TDLib's entity kinds, with their sort priorities and Bot API names.

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
_MAX_USER_ID: Final = 2**40 - 1  # a text mention of a larger id is dropped


@dataclass(slots=True)
class _Ent:
    """An entity as TDLib holds it: its kind, UTF-16 offset and length, and what the kind needs."""

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


def _from_public(entity: Entity) -> _Ent:
    """The TDLib entity of a Bot API one (the inverse of :meth:`_Ent.public`)."""
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
