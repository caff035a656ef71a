"""Crontab expressions with crontab's meaning, as APScheduler triggers.

APScheduler 3's ``CronTrigger.from_crontab`` numbers weekdays from Monday = 0, while crontab
numbers them from Sunday = 0 (and 7). Numeric weekdays are translated to names here so that
``0 6 * * 1`` means Monday, as every operator expects.

An expression can be valid and still never fire (``0 0 31 2 *``: 31 February): :func:`next_fire`
looks for its next time within a bounded horizon, so that configuration is refused at once
rather than leaving a document unchecked for ever.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # APScheduler takes 20 to 50 ms to import: only when a cron is read
    from apscheduler.triggers.cron import CronTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: How far ahead :func:`next_fire` looks: five years, so 29 February is found from any date.
FIRE_HORIZON_YEARS = 5


def _weekday_names(field: str) -> str:
    return re.sub(
        r"\d+", lambda m: _DAY_NAMES[int(m.group())] if int(m.group()) <= 7 else "x", field
    )


def cron_trigger(
    expression: str,
    timezone: str = "UTC",
    jitter: int | None = None,
    *,
    end_date: datetime | None = None,
) -> CronTrigger:
    """Build a trigger from a five-field crontab expression; ValueError if it is invalid.

    Args:
        expression: ``minute hour day month day-of-week``, crontab's syntax and weekdays.
        timezone: an IANA time zone name the fields are read in.
        jitter: seconds of random delay added to each fire time (None: none).
        end_date: the trigger never fires after this moment (None: no end).
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"{expression!r} is not a five-field cron expression (min hour day month dow)"
        )
    minute, hour, day, month, dow = fields
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_names(dow),
        timezone=timezone,
        jitter=jitter or None,
        end_date=end_date,
    )


def next_fire(expression: str, after: datetime, timezone: str = "UTC") -> datetime | None:
    """The first time ``expression`` fires after ``after``, or None if not within the horizon.

    The search stops at ``FIRE_HORIZON_YEARS`` after ``after``: APScheduler alone would walk
    month by month to the year 9999 for an impossible date. ValueError if it is invalid.
    """
    horizon = after + timedelta(days=366 * FIRE_HORIZON_YEARS)
    trigger = cron_trigger(expression, timezone, end_date=horizon)
    fire: datetime | None = trigger.get_next_fire_time(None, after)
    return fire
