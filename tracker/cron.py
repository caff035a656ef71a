"""Crontab expressions with crontab's meaning, as APScheduler triggers.

APScheduler 3's ``CronTrigger.from_crontab`` numbers weekdays from Monday = 0, while crontab
numbers them from Sunday = 0 (and 7). Numeric weekdays are translated to names here so that
``0 6 * * 1`` means Monday, as every operator expects.
"""

from __future__ import annotations

import re

from apscheduler.triggers.cron import CronTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday_names(field: str) -> str:
    return re.sub(
        r"\d+", lambda m: _DAY_NAMES[int(m.group())] if int(m.group()) <= 7 else "x", field
    )


def cron_trigger(expression: str, timezone: str = "UTC", jitter: int | None = None) -> CronTrigger:
    """Build a trigger from a five-field crontab expression; ValueError if it is invalid."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"{expression!r} is not a five-field cron expression (min hour day month dow)"
        )
    minute, hour, day, month, dow = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_names(dow),
        timezone=timezone,
        jitter=jitter or None,
    )
