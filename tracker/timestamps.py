"""UTC timestamps as they appear in archive file names: ``YYYY-MM-DDTHH-MM-SSZ``.

Colons are replaced by hyphens so names are safe on every file system and in zip files (the
format of Open Terms Archive's datasets). Times are always aware UTC datetimes in the code.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

STAMP_FORMAT = "%Y-%m-%dT%H-%M-%SZ"
STAMP_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$")


def utc_now() -> datetime:
    """The current time, aware, in UTC, to the second (the archive's resolution)."""
    return datetime.now(UTC).replace(microsecond=0)


def to_stamp(moment: datetime) -> str:
    """Format an aware datetime as a file-name timestamp (UTC, to the second)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)


def from_stamp(stamp: str) -> datetime:
    """Parse a file-name timestamp; ValueError if it is not one."""
    if not STAMP_PATTERN.match(stamp):
        raise ValueError(f"{stamp!r} is not a UTC timestamp of the form YYYY-MM-DDTHH-MM-SSZ")
    return datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=UTC)


def to_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, for metadata inside files."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def from_iso(text: str) -> datetime:
    """Parse :func:`to_iso` output (or any ISO 8601 with an offset) into aware UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return parsed.astimezone(UTC)
