"""The date a legal text says it takes effect, when it says one (pure).

LinkedIn's pages open with a line such as ``Effective November 3, 2025`` or ``Entrée en
vigueur le mercredi 11 août 2020``, often as a link. Only the head of the text is read: a date
deep in the body is about something else (a past version, a deadline).

A page may also announce a coming update in a banner ("On November 3, 2025, we are updating
this notice…", "À compter du 3 novembre 2025, nous mettrons à jour…"): :func:`announced_date`
finds it, and the alert of such a change says when it takes effect (and a reminder goes out
that day: :mod:`tracker.notify.alerts`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
    return _first_date(text, (_EN, _FR))


def _first_date(text: str, patterns: Iterable[re.Pattern[str]]) -> date | None:
    """The date of the earliest match of any of ``patterns`` at the head of ``text``: each
    pattern's first match naming a real date (``day``, ``month`` name, ``year`` groups)."""
    head = display_text(text[:HEAD_CHARS])
    found = []
    for pattern in patterns:
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


_EN_DATE = r"(?P<month>[A-Za-z]+)\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
_FR_DATE = (
    r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?"
    r"(?P<day>\d{1,2})(?:er)?\s+(?P<month>[a-zéû]+)\s+(?P<year>\d{4})"
)
#: A date in a sentence that speaks of the update in the future tense (or the present
#: progressive: "we are updating"), the date first or after "from", "starting"...
_ANNOUNCED = (
    re.compile(
        r"\b(?:on|from|starting(?:\s+on)?|as\s+of|beginning(?:\s+on)?|effective)\s+"
        + _EN_DATE
        + r"[^.!?\n]{0,120}?\b(?:will|are\s+updating|is\s+updating|are\s+making|"
        r"are\s+changing|take[s]?\s+effect|updates?\s+(?:to|will))",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:will|are\s+updating|is\s+updating)\b[^.!?\n]{0,120}?\b(?:on|from|starting|"
        r"as\s+of|effective)\s+" + _EN_DATE,
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:\ble|à\s+compter\s+du|à\s+partir\s+du|dès\s+le)\s+"
        + _FR_DATE
        + r"[^.!?\n]{0,120}?(?:\w+rons\b|\w+ra\b|\w+ront\b|entrer[ao]n?t?\s+en\s+vigueur|"
        r"mettons\s+à\s+jour)",
        re.IGNORECASE,
    ),
)


def announced_date(text: str) -> date | None:
    """The date of a coming update announced at the head of ``text`` (Markdown), or None.

    A date counts when its sentence speaks of the future ("we will", "we are updating",
    "nous mettrons", "entrera en vigueur"); whether it is still to come is for the caller to
    say (it knows when the text was captured).
    """
    return _first_date(text, _ANNOUNCED)
