"""Small pure formats: timestamps in file names, front matter, crontab, visible words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.compare.wording import same_words, visible_words
from tracker.cron import cron_trigger
from tracker.extract import frontmatter
from tracker.timestamps import from_iso, from_stamp, to_iso, to_stamp


def test_stamp_is_utc_without_colons():
    moment = datetime(2025, 11, 3, 1, 2, 3, tzinfo=timezone(timedelta(hours=2)))
    assert to_stamp(moment) == "2025-11-02T23-02-03Z"
    assert from_stamp("2025-11-02T23-02-03Z") == moment
    assert to_iso(moment) == "2025-11-02T23:02:03Z"
    assert from_iso("2025-11-02T23:02:03Z") == moment


def test_naive_and_malformed_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        to_stamp(datetime(2025, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="not a UTC timestamp"):
        from_stamp("2025-11-02 23:02:03")


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)))  # noqa: DTZ001
def test_stamps_round_trip_and_sort_like_times(naive: datetime):
    moment = naive.replace(microsecond=0, tzinfo=UTC)
    assert from_stamp(to_stamp(moment)) == moment


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text()),
    ),
    st.text(),
)
def test_front_matter_round_trips(meta: dict[str, object], body: str):
    parsed, text = frontmatter.parse(frontmatter.render(meta, body))
    assert parsed == meta
    assert text == body


def test_crontab_weekdays_mean_what_cron_means():
    monday = cron_trigger("0 6 * * 1")
    after = datetime(2026, 11, 22, 12, tzinfo=UTC)  # a Sunday
    assert monday.get_next_fire_time(None, after) == datetime(2026, 11, 23, 6, tzinfo=UTC)
    sunday = cron_trigger("0 6 * * 0")
    assert sunday.get_next_fire_time(None, after).weekday() == 6


def test_visible_words_ignore_markup_and_link_targets():
    a = "## **Data** we use\n\n| a | b |\n| --- | --- |\n| [login](https://x/?trk=1) | two |\n"
    b = "Data we use\n\na b\n\nlogin two\n"
    assert visible_words(a) == ["Data", "we", "use", "a", "b", "login", "two"]
    assert same_words(a, b)
    assert not same_words(a, b.replace("two", "three"))
