"""fetch: real requests over a real socket to PageServer on 127.0.0.1; no test waits for backoff."""

from __future__ import annotations

import dataclasses
import gzip
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime

import pytest
import requests

from tests.servers import FakeClock, PageServer, Reply, page_bytes
from tracker.errors import BlockedError, FetchError, TransientFetchError
from tracker.fetch.fetcher import ACCEPT, MAX_REDIRECTS, HostPacer, ServerError, fetch, new_session
from tracker.fetch.quality import assess
from tracker.models import Document, ExtractRules, FetchSettings, Validators

V1 = "linkedin/privacy-policy/v1.html"
PATH = "/legal/privacy-policy"
SETTINGS = FetchSettings(
    user_agent="policy-tracker-tests/1.0 (+mailto:maintainers@example.org)",
    connect_timeout=2.0,
    read_timeout=2.0,
    retries=2,
    backoff_seconds=2.0,
    max_bytes=1_000_000,
    host_delay_seconds=0.0,
    allow_private_addresses=True,
)


def settings(**changes: object) -> FetchSettings:
    return dataclasses.replace(SETTINGS, **changes)  # type: ignore[arg-type]


def document(url: str, *, accept_language: str | None = None) -> Document:
    return Document(
        id="linkedin/privacy-policy",
        title="LinkedIn Privacy Policy",
        url=url,
        language="en",
        rules=ExtractRules(select=("#component-container",)),
        accept_language=accept_language,
    )


@pytest.fixture
def http() -> requests.Session:
    return new_session(SETTINGS)


# --------------------------------------------------------------------------- answers
def test_a_page_is_captured_whole_with_headers_in_order_and_the_final_url(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    fixed_now: datetime,
) -> None:
    extra = (("X-Li-Fabric", "prod-lor1"), ("Set-Cookie", "bcookie=v2; Path=/"))
    url = page_server.route(PATH, Reply.page(V1, headers=(*extra, ("Set-Cookie", "lidc=b"))))
    capture = fetch(document(url, accept_language="en-US,en;q=0.8"), SETTINGS, http=http, now=now)

    assert capture.status == 200
    assert capture.body == page_bytes(V1)
    assert (capture.requested_url, capture.final_url, capture.redirects) == (url, url, ())
    assert capture.fetched_at == fixed_now
    assert not capture.not_modified
    names = [name.lower() for name, _ in capture.headers]
    assert names.index("content-type") < names.index("x-li-fabric") < names.index("set-cookie")
    assert [v for k, v in capture.headers if k.lower() == "set-cookie"] == [
        "bcookie=v2; Path=/",
        "lidc=b",
    ]
    assert capture.media_type == "text/html" and capture.charset == "utf-8"
    (request,) = page_server.requests
    assert request.header("User-Agent") == SETTINGS.user_agent
    assert request.header("Accept") == ACCEPT
    assert request.header("Accept-Language") == "en-US,en;q=0.8"


def test_a_document_without_accept_language_sends_none(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.page(V1))
    fetch(document(url), SETTINGS, http=http, now=now)
    assert page_server.requests[0].header("Accept-Language") is None


def test_cookies_set_by_the_server_are_never_stored_or_sent_back(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.page(V1, headers=(("Set-Cookie", "li_gc=abc; Path=/"),)))
    for _ in range(2):
        fetch(document(url), SETTINGS, http=http, now=now)
    assert [r.header("Cookie") for r in page_server.requests] == [None, None]
    assert len(http.cookies) == 0


def test_a_conditional_get_answered_304_is_not_modified_with_an_empty_body(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    modified = "Tue, 04 Nov 2025 00:35:00 GMT"
    url = page_server.route(PATH, Reply.page(V1, etag='"v1"', last_modified=modified))
    validators = Validators(etag='"v1"', last_modified=modified)
    capture = fetch(document(url), SETTINGS, http=http, now=now, validators=validators)

    assert capture.not_modified
    assert (capture.status, capture.body) == (304, b"")
    assert capture.header("ETag") == '"v1"'
    (request,) = page_server.requests
    assert request.header("If-None-Match") == '"v1"'
    assert request.header("If-Modified-Since") == modified


def test_a_changed_etag_gets_the_whole_page(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.page(V1, etag='"v2"'))
    capture = fetch(document(url), SETTINGS, http=http, now=now, validators=Validators('"v1"'))
    assert (capture.status, capture.not_modified, capture.body) == (200, False, page_bytes(V1))


def test_a_last_modified_validator_alone_can_give_a_304(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    modified = "Thu, 18 Sep 2025 12:34:39 GMT"
    url = page_server.route(PATH, Reply.page(V1, last_modified=modified))
    validators = Validators(last_modified=modified)
    capture = fetch(document(url), SETTINGS, http=http, now=now, validators=validators)
    assert capture.not_modified
    assert page_server.requests[0].header("If-None-Match") is None


@pytest.mark.parametrize(
    ("status", "page"),
    [(999, "blocked/status-999.html"), (403, "blocked/captcha.html"), (429, V1)],
    ids=["999", "403", "429"],
)
def test_anti_bot_answers_are_returned_once_and_never_retried(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
    status: int,
    page: str,
) -> None:
    reply = Reply.page(
        page, status=status, reason="Request denied", headers=(("Retry-After", "1"),)
    )
    url = page_server.route(PATH, reply)
    capture = fetch(document(url), SETTINGS, http=http, now=now, sleep=clock.sleep)

    assert capture.status == status
    assert capture.body == page_bytes(page)  # kept as evidence of the block
    assert len(page_server.requests) == 1
    assert clock.sleeps == []
    with pytest.raises(BlockedError) as blocked:
        assess(capture)
    assert blocked.value.cause == f"http-{status}"


def test_a_non_html_answer_is_captured_then_assessed_as_wrong_content_type(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    url = page_server.route(
        PATH, Reply(body=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", content_type="application/pdf")
    )
    capture = fetch(document(url), SETTINGS, http=http, now=now)
    assert capture.media_type == "application/pdf"
    with pytest.raises(BlockedError) as blocked:
        assess(capture)
    assert blocked.value.cause == "wrong-content-type"


# --------------------------------------------------------------------------- redirects
def test_a_redirect_chain_is_kept_and_the_final_url_recorded(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    first = page_server.route(PATH, Reply.redirect("/legal/privacy", status=301))
    second = page_server.route(
        "/legal/privacy", Reply.redirect(page_server.url("/legal/privacy/en"))
    )
    final = page_server.route("/legal/privacy/en", Reply.page(V1))
    capture = fetch(document(first), SETTINGS, http=http, now=now)

    assert capture.redirects == (first, second)
    assert (capture.requested_url, capture.final_url, capture.status) == (first, final, 200)
    assert [r.path for r in page_server.requests] == [PATH, "/legal/privacy", "/legal/privacy/en"]


def test_a_redirect_to_the_authwall_is_blocked_without_requesting_the_wall(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    wall = "/authwall?trk=bf&trkInfo=bf&sessionRedirect=https%3A%2F%2Fwww.linkedin.com%2Flegal"
    url = page_server.route(PATH, Reply.redirect(wall))
    page_server.route("/authwall", Reply.page("blocked/authwall.html"))
    doc = document(url)
    with pytest.raises(BlockedError) as blocked:
        fetch(doc, SETTINGS, http=http, now=now)

    assert blocked.value.cause == "auth-wall"
    assert doc.id in str(blocked.value) and url in str(blocked.value)
    assert page_server.requests_to("/authwall") == []


def test_a_redirect_to_a_security_challenge_is_a_captcha(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.redirect("/checkpoint/challenge/AgH3x?ut=1"))
    with pytest.raises(BlockedError) as blocked:
        fetch(document(url), SETTINGS, http=http, now=now)
    assert blocked.value.cause == "captcha"


def test_a_redirect_loop_ends_as_too_many_redirects(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.redirect(PATH))
    with pytest.raises(BlockedError) as blocked:
        fetch(document(url), SETTINGS, http=http, now=now)
    assert blocked.value.cause == "too-many-redirects"
    assert len(page_server.requests) == MAX_REDIRECTS + 1


# --------------------------------------------------------------------------- transient
def test_a_server_slower_than_the_read_timeout_is_retried_then_reported_as_timeout(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
) -> None:
    url = page_server.route(PATH, Reply.page(V1, delay_before_headers=2.0))
    doc = document(url)
    started = time.monotonic()
    with pytest.raises(TransientFetchError) as failed:
        fetch(doc, settings(read_timeout=0.2, retries=1), http=http, now=now, sleep=clock.sleep)

    assert failed.value.cause == "timeout"
    assert isinstance(failed.value.__cause__, TransientFetchError)
    assert isinstance(failed.value.__cause__.__cause__, requests.Timeout)
    assert doc.id in str(failed.value) and url in str(failed.value)
    assert len(page_server.requests) == 2
    assert clock.sleeps == [2.0]
    assert time.monotonic() - started < 1.5


def test_a_body_that_stalls_halfway_times_out(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.page(V1, delay_mid_body=2.0))
    with pytest.raises(TransientFetchError) as failed:
        fetch(document(url), settings(read_timeout=0.2, retries=0), http=http, now=now)
    assert failed.value.cause == "timeout"


def test_a_503_then_200_is_retried_with_exponential_backoff_and_succeeds(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
) -> None:
    url = page_server.route(PATH, Reply(status=503), Reply(status=502), Reply.page(V1))
    capture = fetch(document(url), SETTINGS, http=http, now=now, sleep=clock.sleep)

    assert (capture.status, capture.body) == (200, page_bytes(V1))
    assert len(page_server.requests) == 3
    assert clock.sleeps == [2.0, 4.0]


def test_retry_after_on_a_503_is_honoured(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
) -> None:
    busy = Reply(status=503, headers=(("Retry-After", "7"),))
    url = page_server.route(PATH, busy, Reply.page(V1))
    fetch(document(url), SETTINGS, http=http, now=now, sleep=clock.sleep)
    assert clock.sleeps == [7.0]


def test_a_retry_after_beyond_the_cap_ends_the_check_at_once(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
) -> None:
    url = page_server.route(PATH, Reply(status=503, headers=(("Retry-After", "3600"),)))
    with pytest.raises(ServerError) as failed:
        fetch(document(url), SETTINGS, http=http, now=now, sleep=clock.sleep)
    assert (failed.value.cause, failed.value.status) == ("http-503", 503)
    assert len(page_server.requests) == 1
    assert clock.sleeps == []


def test_a_5xx_on_every_try_is_a_transient_error_that_carries_its_status(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
) -> None:
    url = page_server.route(PATH, Reply(status=500))
    with pytest.raises(ServerError) as failed:
        fetch(document(url), settings(retries=1), http=http, now=now, sleep=clock.sleep)
    assert isinstance(failed.value, TransientFetchError)
    assert (failed.value.cause, failed.value.status) == ("http-500", 500)
    assert "gave up after 2 attempts" in str(failed.value)
    assert len(page_server.requests) == 2


def test_a_body_shorter_than_its_content_length_is_retried_then_reported_as_truncated(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
) -> None:
    url = page_server.route(PATH, Reply.page(V1, truncate_to=1000))
    with pytest.raises(TransientFetchError) as failed:
        fetch(document(url), settings(retries=1), http=http, now=now, sleep=clock.sleep)
    assert failed.value.cause == "truncated-body"
    assert isinstance(failed.value.__cause__, TransientFetchError)
    assert isinstance(failed.value.__cause__.__cause__, requests.exceptions.ChunkedEncodingError)
    assert len(page_server.requests) == 2


def test_a_refused_connection_is_retried_then_reported(
    http: requests.Session, now: Callable[[], datetime], clock: FakeClock
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransientFetchError) as failed:
        fetch(
            document(f"http://127.0.0.1:{port}{PATH}"),
            settings(retries=1),
            http=http,
            now=now,
            sleep=clock.sleep,
        )
    assert failed.value.cause == "connection-error"
    assert clock.sleeps == [2.0]


def test_a_host_that_does_not_resolve_is_reported_at_once_without_retries(
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: str, *args: object, **kwargs: object) -> object:
        # The resolver cannot run here without a network: this is the answer it gives offline.
        if host == "www.linkedin.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(FetchError) as failed:
        fetch(
            document("https://www.linkedin.test/legal/privacy-policy"),
            settings(retries=2),
            http=http,
            now=now,
            sleep=clock.sleep,
        )
    assert failed.value.cause == "dns-error"
    assert not isinstance(failed.value, TransientFetchError)
    assert "cannot resolve www.linkedin.test" in str(failed.value)
    assert len(str(failed.value)) < 200, "one readable line, not urllib3's repr"
    assert clock.sleeps == []


def test_a_compressed_body_is_captured_decoded(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    gzipped = gzip.compress(page_bytes(V1))
    url = page_server.route(PATH, Reply(body=gzipped, headers=(("Content-Encoding", "gzip"),)))
    capture = fetch(document(url), SETTINGS, http=http, now=now)
    assert capture.body == page_bytes(V1)


def test_a_corrupt_compressed_body_is_a_decode_error(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
) -> None:
    corrupt = gzip.compress(page_bytes(V1))[:20] + b"\x00not gzip at all" * 50
    url = page_server.route(PATH, Reply(body=corrupt, headers=(("Content-Encoding", "gzip"),)))
    with pytest.raises(TransientFetchError) as failed:
        fetch(document(url), settings(retries=0), http=http, now=now, sleep=clock.sleep)
    assert failed.value.cause == "decode-error"


# --------------------------------------------------------------------------- size cap
def test_a_huge_streamed_body_is_cut_at_the_cap_without_downloading_it(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    size, cap = 30 * 1024 * 1024, 10 * 1024 * 1024
    url = page_server.route(PATH, Reply(stream_size=size))
    started = time.monotonic()
    with pytest.raises(BlockedError) as blocked:
        fetch(document(url), settings(max_bytes=cap), http=http, now=now)
    elapsed = time.monotonic() - started

    assert blocked.value.cause == "too-large"
    (request,) = page_server.requests
    assert request.done.wait(10), "the server should notice that the client hung up"
    # the client hung up near the cap: the server got nowhere near the end (kernel socket
    # buffers account for the bytes sent beyond the cap)
    assert request.bytes_sent < 0.8 * size
    assert elapsed < 10


def test_a_content_length_over_the_cap_is_refused_before_reading_the_body(
    page_server: PageServer, http: requests.Session, now: Callable[[], datetime]
) -> None:
    size, cap = 30 * 1024 * 1024, 10 * 1024 * 1024
    url = page_server.route(PATH, Reply(stream_size=size, declare_length=True))
    with pytest.raises(BlockedError) as blocked:
        fetch(document(url), settings(max_bytes=cap), http=http, now=now)

    assert blocked.value.cause == "too-large"
    assert "Content-Length" in str(blocked.value)
    (request,) = page_server.requests
    assert request.done.wait(10)
    assert request.bytes_sent < cap


# --------------------------------------------------------------------------- other errors
def test_an_unrequestable_url_is_a_fetch_error_chained_from_requests(
    http: requests.Session, now: Callable[[], datetime]
) -> None:
    with pytest.raises(FetchError) as failed:
        fetch(
            document("gopher://www.linkedin.com/legal/privacy-policy"), SETTINGS, http=http, now=now
        )
    assert failed.value.cause == "bad-url"
    assert not isinstance(failed.value, TransientFetchError | BlockedError)
    assert isinstance(failed.value.__cause__, requests.RequestException)


def test_a_naive_clock_is_a_programming_error(
    page_server: PageServer, http: requests.Session
) -> None:
    url = page_server.route(PATH, Reply.page(V1))
    with pytest.raises(ValueError, match="naive"):
        fetch(document(url), SETTINGS, http=http, now=lambda: datetime(2025, 11, 4))  # noqa: DTZ001


def test_the_test_suite_refuses_connections_beyond_loopback(
    http: requests.Session, now: Callable[[], datetime]
) -> None:
    with pytest.raises(RuntimeError, match="tried to connect"):
        fetch(document("http://203.0.113.7/legal/privacy-policy"), SETTINGS, http=http, now=now)


def test_a_new_session_identifies_us_once_and_ignores_the_environment() -> None:
    session = new_session(SETTINGS)
    assert session.headers["User-Agent"] == SETTINGS.user_agent
    assert session.headers["Accept"] == ACCEPT
    assert session.trust_env is False


# --------------------------------------------------------------------------- pacing
def test_the_pacer_spaces_requests_to_one_host_start_to_start(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
) -> None:
    url = page_server.route(PATH, Reply.page(V1))
    pacer = HostPacer(5.0, clock=clock.monotonic, sleep=clock.sleep)
    fetch(document(url), SETTINGS, http=http, now=now, pacer=pacer)
    fetch(document(url), SETTINGS, http=http, now=now, pacer=pacer)
    clock.advance(2.0)  # time spent on something else counts toward the interval
    fetch(document(url), SETTINGS, http=http, now=now, pacer=pacer)

    assert clock.sleeps == [5.0, 3.0]
    assert len(page_server.requests) == 3


def test_retries_and_redirect_hops_each_wait_for_their_slot(
    page_server: PageServer,
    http: requests.Session,
    now: Callable[[], datetime],
    clock: FakeClock,
) -> None:
    url = page_server.route(PATH, Reply(status=503), Reply.redirect("/legal/privacy"))
    page_server.route("/legal/privacy", Reply.page(V1))
    pacer = HostPacer(5.0, clock=clock.monotonic, sleep=clock.sleep)
    fetch(document(url), SETTINGS, http=http, now=now, sleep=clock.sleep, pacer=pacer)

    # backoff 2 s, then the pacer waits the 3 s left; the redirect hop waits a full 5 s
    assert clock.sleeps == [2.0, 3.0, 5.0]


def test_the_pacer_does_not_make_other_hosts_wait(clock: FakeClock) -> None:
    pacer = HostPacer(5.0, clock=clock.monotonic, sleep=clock.sleep)
    for host in ("www.linkedin.com", "fr.linkedin.com", "WWW.LINKEDIN.COM"):
        with pacer.slot(host):
            pass
    assert clock.sleeps == [5.0]  # only the third, the same host in capitals


def test_the_pacer_keeps_one_host_sequential_across_threads(clock: FakeClock) -> None:
    pacer = HostPacer(0.0, clock=clock.monotonic, sleep=clock.sleep)
    inside, release, second_entered = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with pacer.slot("www.linkedin.com"):
            inside.set()
            release.wait(5)

    def second() -> None:
        with pacer.slot("www.linkedin.com"):
            second_entered.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert inside.wait(5)
    threads[1].start()
    assert not second_entered.wait(0.2), "a second request to the host started during the first"
    release.set()
    assert second_entered.wait(5)
    for thread in threads:
        thread.join(5)
