"""The date a legal text says it takes effect, when it says one (pure).

LinkedIn's pages open with a line such as ``Effective November 3, 2025`` or ``Entrée en
vigueur le mercredi 11 août 2020``, often as a link. Only the head of the text is read: a date
deep in the body is about something else (a past version, a deadline).
"""

from __future__ import annotations

import re
from datetime import date

from tracker.render import display_text

#: How far into the text the statement of the effective date is looked for.
HEAD_CHARS = 4000

_EN_MONTHS = [
    *("january", "february", "march", "april", "may", "june"),
    *("july", "august", "september", "october", "november", "december"),
]
_FR_MONTHS = [
    *("janvier", "février", "mars", "avril", "mai", "juin"),
    *("juillet", "août", "septembre", "octobre", "novembre", "décembre"),
]
_MONTHS = {name: number for number, name in enumerate(_EN_MONTHS, 1)}
_MONTHS.update({name: number for number, name in enumerate(_FR_MONTHS, 1)})
_MONTHS["fevrier"], _MONTHS["aout"], _MONTHS["decembre"] = 2, 8, 12

_EN = re.compile(
    r"\b(?:effective(?:\s+(?:on|as\s+of|from))?|effective\s+date\s*:?|last\s+updated\s*:?)\s+"
    r"(?P<month>[A-Za-z]+)\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})",
    re.IGNORECASE,
)
_FR = re.compile(
    r"(?:entrée\s+en\s+vigueur|en\s+vigueur|date\s+d['’]entrée\s+en\s+vigueur)\s*(?:le|:)?\s*"  # noqa: RUF001
    r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?"
    r"(?P<day>\d{1,2})(?:er)?\s+(?P<month>[a-zéû]+)\s+(?P<year>\d{4})",
    re.IGNORECASE,
)


def effective_date(text: str) -> date | None:
    """The effective date stated at the head of ``text`` (Markdown), or None."""
    head = display_text(text[:HEAD_CHARS])
    found = []
    for pattern in (_EN, _FR):
        for match in pattern.finditer(head):
            month = _MONTHS.get(match.group("month").lower())
            if month is None:
                continue
            try:
                when = date(int(match.group("year")), month, int(match.group("day")))
            except ValueError:
                continue
            found.append((match.start(), when))
            break
    return min(found)[1] if found else None
