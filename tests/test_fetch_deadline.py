"""fetch's one deadline: trickled or stalled answers over a real socket end near it, whatever the
server does. Upper bounds on elapsed time are generous (deadline + 3 s): they tell "ends near the
deadline" from "reads for as long as the server trickles", not how fast a machine is."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import datetime

import pytest
import requests

from tests.servers import FIXED_NOW, FakeClock, PageServer, Reply, page_bytes
from tests.test_pipeline import PATH, World, world  # noqa: F401 - the fixture
from tracker.errors import TransientFetchError
from tracker.fetch.fetcher import DeadlineError, HostPacer, fetch, new_session
from tracker.models import Document, ExtractRules, FetchSettings, Outcome
from tracker.pipeline import check

V1 = "linkedin/privacy-policy/v1.html"
DEADLINE = 1.5
SLACK = 3.0
SETTINGS = FetchSettings(
    user_agent="policy-tracker-tests/1.0 (+mailto:maintainers@example.org)",
    connect_timeout=2.0,
    read_timeout=10.0,  # far longer than the deadline: only the deadline can end these fetches
    retries=2,
    backoff_seconds=0.0,
    max_bytes=1_000_000,
    host_delay_seconds=0.0,
    deadline_seconds=DEADLINE,
    allow_private_addresses=True,
)


def settings(**changes: object) -> FetchSettings:
    return dataclasses.replace(SETTINGS, **changes)  # type: ignore[arg-type]


def document(url: str) -> Document:
    return Document(
        id="linkedin/privacy-policy",
        title="LinkedIn Privacy Policy",
        url=url,
        language="en",
        rules=ExtractRules(select=("#component-container",)),
    )


def timed_failure(
    url: str,
    *,
    http: requests.Session | None = None,
    fetch_settings: FetchSettings = SETTINGS,
    now: Callable[[], datetime],
) -> tuple[TransientFetchError, float]:
    started = time.monotonic()
    with pytest.raises(TransientFetchError) as failed:
        fetch(
            document(url),
            fetch_settings,
            http=http or new_session(fetch_settings),
            now=now,
        )
    return failed.value, time.monotonic() - started


def test_headers_trickled_a_byte_at_a_time_end_at_the_deadline(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.page(V1, trickle_headers=(1, 0.05)))  # ~8 s of headers
    error, elapsed = timed_failure(url, now=now)

    assert error.cause == "timeout"
    assert isinstance(error, DeadlineError)
    assert "1.5-second deadline" in str(error) and "waiting for the headers" in str(error)
    assert "after 0 bytes" in str(error)
    assert DEADLINE <= elapsed < DEADLINE + SLACK
    assert len(page_server.requests) == 1, "a fetch past its deadline is not tried again"


def test_a_body_trickled_in_small_pieces_ends_at_the_deadline_and_says_how_far_it_got(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    body = page_bytes(V1)
    url = page_server.route(PATH, Reply(body=body, trickle_body=(100, 0.1)))  # ~18 s of body
    error, elapsed = timed_failure(url, now=now)

    assert isinstance(error, DeadlineError) and error.cause == "timeout"
    assert 0 < error.received < len(body)
    assert f"after {error.received} bytes of the body" in str(error)
    assert "reading the body" in str(error)
    assert DEADLINE <= elapsed < DEADLINE + SLACK


def test_a_chunked_body_trickled_in_small_pieces_ends_at_the_deadline(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply(stream_size=100_000, trickle_body=(50, 0.05)))
    error, elapsed = timed_failure(url, now=now)

    assert isinstance(error, DeadlineError) and error.received > 0
    assert DEADLINE <= elapsed < DEADLINE + SLACK


def test_a_body_that_stalls_longer_than_the_deadline_ends_at_the_deadline(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    body = page_bytes(V1)
    url = page_server.route(PATH, Reply(body=body, delay_mid_body=30.0))
    error, elapsed = timed_failure(url, now=now)

    assert isinstance(error, DeadlineError)
    assert 0 < error.received <= len(body) // 2
    assert f"after {error.received} bytes" in str(error)
    assert DEADLINE <= elapsed < DEADLINE + SLACK


def test_a_plain_session_still_stops_a_stalled_body_near_the_deadline(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    """Without the watched adapter, socket timeouts are capped at the time left."""
    url = page_server.route(PATH, Reply.page(V1, delay_mid_body=30.0))
    error, elapsed = timed_failure(url, http=requests.Session(), now=now)

    assert isinstance(error, DeadlineError)
    assert DEADLINE <= elapsed < DEADLINE + SLACK


def test_every_attempt_counts_toward_one_deadline(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.page(V1, delay_before_headers=5.0))
    error, elapsed = timed_failure(
        url, fetch_settings=settings(read_timeout=0.6, retries=10), now=now
    )

    assert isinstance(error, DeadlineError)
    assert DEADLINE <= elapsed < DEADLINE + SLACK
    assert 2 <= len(page_server.requests) <= 4, "read timeouts retried until the deadline only"


def test_a_backoff_that_would_end_past_the_deadline_is_not_waited_for(
    page_server: PageServer, now: Callable[[], datetime], clock: FakeClock
) -> None:
    url = page_server.route(PATH, Reply(status=503), Reply.page(V1))
    slow = settings(deadline_seconds=30.0, backoff_seconds=60.0)
    with pytest.raises(TransientFetchError) as failed:
        fetch(document(url), slow, http=new_session(slow), now=now, sleep=clock.sleep)

    assert failed.value.cause == "http-503", "the error that was being retried is reported"
    assert "would start after the 30-second deadline" in str(failed.value)
    assert clock.sleeps == []
    assert len(page_server.requests) == 1


def test_a_retry_after_longer_than_the_time_left_is_not_waited_for(
    page_server: PageServer, now: Callable[[], datetime], clock: FakeClock
) -> None:
    url = page_server.route(PATH, Reply(status=503, headers=(("Retry-After", "60"),)))
    short = settings(deadline_seconds=30.0)
    with pytest.raises(TransientFetchError) as failed:
        fetch(document(url), short, http=new_session(short), now=now, sleep=clock.sleep)

    assert failed.value.cause == "http-503"
    assert clock.sleeps == []


def test_a_host_turn_later_than_the_deadline_is_not_waited_for(
    page_server: PageServer, now: Callable[[], datetime], clock: FakeClock
) -> None:
    url = page_server.route(PATH, Reply.page(V1))
    pacer = HostPacer(10.0, clock=clock.monotonic, sleep=clock.sleep)
    http = new_session(SETTINGS)
    fetch(document(url), SETTINGS, http=http, now=now, sleep=clock.sleep, pacer=pacer)
    with pytest.raises(DeadlineError) as failed:
        fetch(document(url), SETTINGS, http=http, now=now, sleep=clock.sleep, pacer=pacer)

    assert failed.value.cause == "timeout"
    assert "host's turn" in str(failed.value)
    assert clock.sleeps == []
    assert len(page_server.requests) == 1


def test_a_fetch_within_its_deadline_is_untouched_and_its_connection_reusable(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.page(V1, trickle_body=(4096, 0.05)))
    http = new_session(SETTINGS)
    for _ in range(2):
        capture = fetch(document(url), SETTINGS, http=http, now=now)
        assert capture.body == page_bytes(V1)
    time.sleep(DEADLINE + 0.2)  # the first fetches' deadlines pass: nothing is left armed
    assert fetch(document(url), SETTINGS, http=http, now=now).body == page_bytes(V1)


def test_a_trickled_page_is_an_inaccessible_timeout_never_a_version(world: World) -> None:  # noqa: F811
    world.serve(Reply.page(V1, trickle_body=(200, 0.1)))
    deps = world.deps()
    deps = dataclasses.replace(
        deps, fetch_settings=dataclasses.replace(deps.fetch_settings, deadline_seconds=DEADLINE)
    )
    world.clock.advance(3600)
    started = time.monotonic()
    [result] = check(world.document(), deps)

    assert time.monotonic() - started < DEADLINE + SLACK
    assert (result.outcome, result.cause) == (Outcome.INACCESSIBLE, "timeout")
    assert "deadline" in result.detail
    assert world.archive.version_stamps("linkedin/privacy-policy") == []
    assert world.outcomes() == [(Outcome.INACCESSIBLE, "timeout")]
    assert world.tree() == ["README.md", "chain.csv", f"checks/{FIXED_NOW.year}.csv"]
