"""TDLib's own HTML parser as an oracle, through the ``tdjson`` wheel's ``td_execute``.

Also the conversions between TDLib's ``textEntity`` JSON and
:class:`~tracker.render.telegram_html.Entity`.
"""

from __future__ import annotations

import importlib
import json
import re
import threading
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from tracker.render.telegram_html import Entity, HtmlParseError, Parsed


class TdjsonOracle:
    """TDLib's own parser through the ``tdjson`` wheel: ``td_execute`` needs no login or network.

    :meth:`parse_text_entities` is TDLib's ``parseTextEntities`` (what the Bot API server calls
    for ``parse_mode``); :meth:`parse_markdown` runs TDLib's ``parseMarkdown``, whose first step
    is ``fix_formatted_text`` *without* trimming (TDLib has no synchronous request that trims),
    and which afterwards also turns ``**``, ``__``, ``~~``, ``||``, backticks and ``[..](..)``
    into entities, so it only serves as an oracle for texts without those characters.

    One hazard: TDLib aborts the whole process when an attribute decodes to a lone surrogate
    (``href="&#xD800;"``), so texts with a numeric reference to a surrogate are refused
    (:meth:`is_safe`); the fake parses those with the Python port instead.
    """

    _SURROGATE_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+))")

    def __init__(self, module: ModuleType) -> None:
        self._td = module
        self._lock = threading.Lock()
        self._execute({"@type": "setLogVerbosityLevel", "new_verbosity_level": 0})

    @classmethod
    def load(cls) -> TdjsonOracle | None:
        """The oracle, or None when the ``tdjson`` wheel is not installed (or does not load)."""
        try:
            module = importlib.import_module("tdjson")
        except ImportError:
            return None
        return cls(module)

    @property
    def version(self) -> str:
        """TDLib's version, as the library reports it (option ``version``)."""
        answer = self._execute({"@type": "getOption", "name": "version"})
        return str(answer.get("value", ""))

    def is_safe(self, text: str) -> bool:
        """False if ``text`` could make TDLib abort (see the class docstring) or is not UTF-8."""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return False
        for match in self._SURROGATE_REFERENCE.finditer(text):
            hex_digits, digits = match.groups()
            code = int(hex_digits, 16) if hex_digits else int(digits)
            if 0xD800 <= code <= 0xDFFF:
                return False
        return True

    def parse_text_entities(self, text: str) -> Parsed:
        """TDLib's ``parseTextEntities`` with HTML mode, as :class:`Parsed` (untrimmed).

        Raises:
            HtmlParseError: with TDLib's message minus its ``Can't parse entities: `` prefix.
            ValueError: the text is not :meth:`safe <is_safe>` to hand to TDLib.
        """
        if not self.is_safe(text):
            raise ValueError("TDLib would abort on this text")
        answer = self._execute(
            {
                "@type": "parseTextEntities",
                "text": text,
                "parse_mode": {"@type": "textParseModeHTML"},
            }
        )
        if answer["@type"] == "error":
            raise HtmlParseError(str(answer["message"]).removeprefix("Can't parse entities: "))
        return _parsed_from_td(answer)

    def parse_markdown(self, parsed: Parsed) -> Parsed:
        """TDLib's ``parseMarkdown`` of a formatted text (see the class docstring)."""
        entities = [_td_entity(entity) for entity in parsed.entities]
        answer = self._execute(
            {
                "@type": "parseMarkdown",
                "text": {"@type": "formattedText", "text": parsed.text, "entities": entities},
            }
        )
        if answer["@type"] == "error":
            raise HtmlParseError(str(answer["message"]))
        return _parsed_from_td(answer)

    def _execute(self, request: Mapping[str, object]) -> dict[str, Any]:
        with self._lock:
            answer = self._td.td_execute(json.dumps(request).encode("utf-8"))
        result: dict[str, Any] = json.loads(answer)
        return result


_TD_TYPES = {
    "textEntityTypeBold": "bold",
    "textEntityTypeItalic": "italic",
    "textEntityTypeUnderline": "underline",
    "textEntityTypeStrikethrough": "strikethrough",
    "textEntityTypeSpoiler": "spoiler",
    "textEntityTypeCode": "code",
    "textEntityTypePre": "pre",
    "textEntityTypePreCode": "pre",
    "textEntityTypeTextUrl": "text_link",
    "textEntityTypeMentionName": "text_mention",
    "textEntityTypeCustomEmoji": "custom_emoji",
    "textEntityTypeBlockQuote": "blockquote",
    "textEntityTypeExpandableBlockQuote": "expandable_blockquote",
    "textEntityTypeDateTime": "date_time",
}


def _date_time_format(formatting: Mapping[str, Any] | None) -> str | None:
    """The Bot API's ``date_time_format`` string of a TDLib ``DateTimeFormattingType``."""
    if formatting is None:
        return None
    if formatting["@type"] == "dateTimeFormattingTypeRelative":
        return "r"
    date = formatting["date_precision"]["@type"].removeprefix("dateTimePartPrecision")
    time_ = formatting["time_precision"]["@type"].removeprefix("dateTimePartPrecision")
    weekday = "w" if formatting["show_day_of_week"] else ""
    return (
        weekday
        + {"None": "", "Short": "d", "Long": "D"}[date]
        + {
            "None": "",
            "Short": "t",
            "Long": "T",
        }[time_]
    )


def _parsed_from_td(answer: Mapping[str, Any]) -> Parsed:
    entities = []
    for item in answer["entities"]:
        kind = item["type"]
        entities.append(
            Entity(
                type=_TD_TYPES[kind["@type"]],
                offset=item["offset"],
                length=item["length"],
                url=kind.get("url"),
                language=kind.get("language"),
                custom_emoji_id=kind.get("custom_emoji_id"),
                user_id=kind.get("user_id"),
                unix_time=kind.get("unix_time"),
                date_time_format=_date_time_format(kind.get("formatting_type"))
                if kind["@type"] == "textEntityTypeDateTime"
                else None,
            )
        )
    return Parsed(answer["text"], tuple(entities))


def _td_entity(entity: Entity) -> dict[str, Any]:
    """An :class:`Entity` as a TDLib ``textEntity`` (the inverse of :func:`_parsed_from_td`)."""
    names = {value: key for key, value in _TD_TYPES.items() if key != "textEntityTypePreCode"}
    kind: dict[str, Any] = {"@type": names[entity.type]}
    if entity.type == "pre" and entity.language:
        kind = {"@type": "textEntityTypePreCode", "language": entity.language}
    if entity.url is not None:
        kind["url"] = entity.url
    if entity.user_id is not None:
        kind["user_id"] = entity.user_id
    if entity.custom_emoji_id is not None:
        kind["custom_emoji_id"] = entity.custom_emoji_id
    if entity.unix_time is not None:
        kind["unix_time"] = entity.unix_time
        kind["formatting_type"] = _td_formatting(entity.date_time_format)
    return {"@type": "textEntity", "offset": entity.offset, "length": entity.length, "type": kind}


def _td_formatting(date_time_format: str | None) -> dict[str, Any] | None:
    if date_time_format is None:
        return None
    if date_time_format == "r":
        return {"@type": "dateTimeFormattingTypeRelative"}

    def precision(short: str, long: str) -> dict[str, str]:
        name = "Short" if short in date_time_format else "Long" if long in date_time_format else ""
        return {"@type": "dateTimePartPrecision" + (name or "None")}

    return {
        "@type": "dateTimeFormattingTypeAbsolute",
        "time_precision": precision("t", "T"),
        "date_precision": precision("d", "D"),
        "show_day_of_week": "w" in date_time_format,
    }
