"""Which version a reader means: a date, a timestamp or a stamp prefix, resolved to a version.

A version recorded at stamp *T* is in force from *T* until the next version. The forms
accepted, tried in this order:

- an archive stamp ``YYYY-MM-DDTHH-MM-SSZ``: that version if there is one, else the version in
  force at that moment;
- a date ``YYYY-MM-DD``: the version in force at the end of that day (UTC), 23:59:59;
- an ISO 8601 timestamp (``2025-10-01T12:00:00Z``, ``2025-10-01T14:00+02:00``; without an
  offset it is read as UTC): the version in force at that moment;
- a prefix of one version's stamp (``2025-10``, ``2025-09-18T06``): that version, when only
  one stamp starts with it.

Anything else, a moment before the first version, an ambiguous prefix or one no stamp starts
with is a :class:`~tracker.errors.QueryError` naming what was asked and what exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from tracker.errors import QueryError
from tracker.timestamps import STAMP_PATTERN, to_stamp

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_PREFIX = re.compile(r"^\d{4}(-\d{0,2}(-\d{0,2}(T\d{0,2}(-\d{0,2}(-\d{0,2}Z?)?)?)?)?)?$")
#: How many candidate stamps an ambiguous prefix's error lists.
_SHOWN = 8


class How(StrEnum):
    """How a reader's words named the version (the ``resolved`` key of ``--json``)."""

    EXACT = "exact"  # the stamp of a version
    IN_FORCE = "in-force"  # the version in force at a moment (a date, timestamp, other stamp)
    PREFIX = "prefix"  # the only version whose stamp starts with it
    LATEST = "latest"  # nothing asked: the latest version


@dataclass(frozen=True, slots=True)
class Resolved:
    """The version a reader's words name.

    Attributes:
        asked: what the reader wrote ("" when nothing: the latest version).
        stamp: the version's stamp.
        how: how ``asked`` named it.
        moment: the moment asked about, as a stamp (for :attr:`How.IN_FORCE`), else "".
        next_stamp: the version after it ("" for the latest): it is in force until then.
    """

    asked: str
    stamp: str
    how: How
    moment: str = ""
    next_stamp: str = ""

    @property
    def exact(self) -> bool:
        """True when the reader named the version itself (no message needed)."""
        return self.how in (How.EXACT, How.LATEST)

    def describe(self) -> str:
        """One line for a reader: which version, and why it is the one asked for."""
        then = (
            f" (the next came at {self.next_stamp})" if self.next_stamp else " (still the latest)"
        )
        if self.how is How.EXACT:
            return f"version {self.stamp}{then}"
        if self.how is How.LATEST:
            return f"version {self.stamp}, the latest"
        if self.how is How.PREFIX:
            return f"version {self.stamp}, the only one starting with {self.asked}{then}"
        when = (
            f"the end of {self.asked} (UTC)"
            if _DATE.match(self.asked)
            else self.moment
            if self.asked == self.moment
            else f"{self.moment} ({self.asked})"
        )
        return f"the version in force at {when} is {self.stamp}{then}"


def moment_of(asked: str, *, end_of_day: bool = True) -> str:
    """The moment a date or timestamp names, as a stamp (UTC).

    A date is its last second when ``end_of_day`` (``--until``, ``--at``), its first otherwise
    (``--since``); so are a month ``YYYY-MM`` and a year ``YYYY``. QueryError for anything
    else.
    """
    text = asked.strip()
    if STAMP_PATTERN.match(text):
        return text
    period = _MONTH.match(text)
    if period is not None:
        year, month = int(period.group(1)), int(period.group(2) or 0)
        if period.group(2) and not 1 <= month <= 12:
            raise QueryError(f"{asked}: no such month")
        if not end_of_day:
            return f"{year:04d}-{month or 1:02d}-01T00-00-00Z"
        last = month or 12
        days = (date(year + last // 12, last % 12 + 1, 1) - date(year, last, 1)).days
        return f"{year:04d}-{last:02d}-{days:02d}T23-59-59Z"
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise QueryError(f"{asked}: no such day") from None
        return f"{day.isoformat()}T{'23-59-59' if end_of_day else '00-00-00'}Z"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise QueryError(
            f"{asked!r}: expected a date YYYY-MM-DD (or YYYY-MM, YYYY), a timestamp such as "
            "2025-10-01T12:00:00Z, or a version stamp YYYY-MM-DDTHH-MM-SSZ"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return to_stamp(parsed)


def resolve(stamps: Sequence[str], asked: str | None, document: str) -> Resolved:
    """The version of ``document`` that ``asked`` names among ``stamps`` (oldest first).

    ``None`` or "" names the latest version. QueryError when there is no version, the moment is
    before the first one, or a prefix matches none or several.
    """
    if not stamps:
        raise QueryError(f"{document}: no version recorded")
    text = (asked or "").strip()
    if not text:
        return Resolved("", stamps[-1], How.LATEST)
    if text in stamps:
        return _resolved(stamps, text, text, How.EXACT)
    if STAMP_PATTERN.match(text) or _DATE.match(text) or ("T" in text and ":" in text):
        return in_force(stamps, text, document)
    if _PREFIX.match(text):
        matching = [stamp for stamp in stamps if stamp.startswith(text)]
        if len(matching) == 1:
            return _resolved(stamps, text, matching[0], How.PREFIX)
        if matching:
            listed = ", ".join(matching[:_SHOWN]) + (", …" if len(matching) > _SHOWN else "")
            raise QueryError(
                f"{document}: {text} is ambiguous: {len(matching)} versions start with it "
                f"({listed}); give more of the stamp, or a date YYYY-MM-DD for the version "
                "in force at the end of that day"
            )
        raise QueryError(
            f"{document}: no version starts with {text} ({known(stamps)}); a date YYYY-MM-DD "
            "names the version in force at the end of that day"
        )
    return in_force(stamps, text, document)


def in_force(stamps: Sequence[str], asked: str, document: str) -> Resolved:
    """The version in force at the moment ``asked`` names (a date: at the end of that day)."""
    moment = moment_of(asked)
    before = [stamp for stamp in stamps if stamp <= moment]
    if not before:
        what = f"the end of {asked} (UTC)" if _DATE.match(asked.strip()) else moment
        raise QueryError(
            f"{document}: no version in force at {what}: the first version was recorded at "
            f"{stamps[0]}"
        )
    how = How.EXACT if before[-1] == moment else How.IN_FORCE
    return _resolved(stamps, asked, before[-1], how, moment)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two versions to compare, as a reader named them (:func:`pair`)."""

    older: Resolved
    newer: Resolved


def pair(
    stamps: Sequence[str],
    older: str | None,
    newer: str | None,
    document: str,
    *,
    names: tuple[str, str] = ("--from", "--to"),
) -> Pair:
    """The two versions ``older`` and ``newer`` name (``tracker diff --from --to``, ``/diff``).

    ``newer`` unset: the latest; ``older`` unset: the version before ``newer``. QueryError for
    fewer than two versions, a first version without an older one, or one version named twice
    (``names``: what the reader calls the two, for the messages).
    """
    if len(stamps) < 2:
        raise QueryError(f"{document}: fewer than two versions, nothing to compare")
    to = resolve(stamps, newer, document)
    if not older:
        position = stamps.index(to.stamp)
        if position == 0:
            raise QueryError(f"{document}: {to.stamp} is the first version; give {names[0]}")
        return Pair(Resolved("", stamps[position - 1], How.EXACT, "", to.stamp), to)
    since = resolve(stamps, older, document)
    if since.stamp == to.stamp:
        raise QueryError(
            f"{document}: {names[0]} {older} and {names[1]} {to.asked or 'latest'} are the same "
            f"version, {to.stamp}: nothing to compare"
        )
    return Pair(since, to)


def known(stamps: Sequence[str]) -> str:
    """The versions that exist, in a few words."""
    if len(stamps) <= 6:
        return "versions: " + ", ".join(stamps)
    return f"{len(stamps)} versions from {stamps[0]} to {stamps[-1]}; `tracker history` lists them"


def _resolved(
    stamps: Sequence[str], asked: str, stamp: str, how: How, moment: str = ""
) -> Resolved:
    position = stamps.index(stamp)
    following = stamps[position + 1] if position + 1 < len(stamps) else ""
    return Resolved(asked, stamp, how, moment if how is How.IN_FORCE else "", following)
