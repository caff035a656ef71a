"""Where fetch may go: redirects stay on the document's site, private addresses are refused
unless allowed. Real requests to PageServer on 127.0.0.1; a name that must look public is given
a public answer by a patched resolver and reached through the page server used as a proxy."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import requests

from tests.servers import PageServer, Reply, page_bytes
from tracker.errors import BlockedError, FetchError, TransientFetchError
from tracker.fetch.addresses import literal_address, refused_kind, stays_on_site
from tracker.fetch.fetcher import fetch, new_session
from tracker.models import Document, ExtractRules, FetchSettings

V1 = "linkedin/privacy-policy/v1.html"
PATH = "/legal/privacy-policy"
#: A public address (example.com's) that a patched resolver gives for names ending in ".test".
PUBLIC = "93.184.215.14"
ALLOWED = FetchSettings(
    user_agent="policy-tracker-tests/1.0 (+mailto:maintainers@example.org)",
    connect_timeout=2.0,
    read_timeout=2.0,
    retries=0,
    host_delay_seconds=0.0,
    allow_private_addresses=True,
)
REFUSED = dataclasses.replace(ALLOWED, allow_private_addresses=False)


def document(url: str, *, redirect_hosts: tuple[str, ...] = ()) -> Document:
    return Document(
        id="linkedin/privacy-policy",
        title="LinkedIn Privacy Policy",
        url=url,
        language="en",
        rules=ExtractRules(select=("#component-container",)),
        redirect_hosts=redirect_hosts,
    )


@pytest.fixture
def other_server() -> Iterator[PageServer]:
    with PageServer() as server:
        yield server


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names to answer (each lookup pops the next address; the last one repeats)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def proxied(server: PageServer) -> requests.Session:
    """A session that sends every http request to ``server``, which serves it by path."""
    http = new_session(REFUSED)
    http.proxies = {"http": server.url()}
    return http


# --------------------------------------------------------------------------- redirects
def test_a_redirect_to_another_port_of_the_same_address_is_refused_unrequested(
    page_server: PageServer, other_server: PageServer, now: Callable[[], datetime]
) -> None:
    target = other_server.route(PATH, Reply.page(V1))
    url = page_server.route(PATH, Reply.redirect(target))
    with pytest.raises(BlockedError) as blocked:
        fetch(document(url), ALLOWED, http=new_session(ALLOWED), now=now)

    assert blocked.value.cause == "off-site-redirect"
    assert f"off the document's site to {target}" in str(blocked.value)
    assert other_server.requests == []


def test_a_redirect_to_another_name_of_the_same_machine_is_refused_unrequested(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    page_server.route("/elsewhere", Reply.page(V1))
    target = page_server.url("/elsewhere").replace("127.0.0.1", "localhost")
    url = page_server.route(PATH, Reply.redirect(target, status=301))
    with pytest.raises(BlockedError) as blocked:
        fetch(document(url), ALLOWED, http=new_session(ALLOWED), now=now)

    assert blocked.value.cause == "off-site-redirect"
    assert target in str(blocked.value)
    assert page_server.requests_to("/elsewhere") == []


def test_a_redirect_to_a_listed_host_is_followed(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    page_server.route("/elsewhere", Reply.page(V1))
    target = page_server.url("/elsewhere").replace("127.0.0.1", "localhost")
    url = page_server.route(PATH, Reply.redirect(target))
    doc = document(url, redirect_hosts=("localhost",))
    capture = fetch(doc, ALLOWED, http=new_session(ALLOWED), now=now)

    assert (capture.final_url, capture.redirects, capture.body) == (target, (url,), page_bytes(V1))


def test_redirects_within_the_site_are_still_followed(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    first = page_server.route(PATH, Reply.redirect("/legal/privacy"))
    page_server.route("/legal/privacy", Reply.redirect(page_server.url("/legal/privacy/en")))
    final = page_server.route("/legal/privacy/en", Reply.page(V1))
    capture = fetch(document(first), ALLOWED, http=new_session(ALLOWED), now=now)
    assert capture.final_url == final


def test_a_wall_on_another_host_keeps_its_own_cause(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.redirect("https://www.linkedin.com/authwall?trk=x"))
    with pytest.raises(BlockedError) as blocked:
        fetch(document(url), ALLOWED, http=new_session(ALLOWED), now=now)
    assert blocked.value.cause == "auth-wall"


@pytest.mark.parametrize(
    ("origin", "target", "extra", "expected"),
    [
        ("https://www.linkedin.com/a", "https://www.linkedin.com/b", (), True),
        ("https://www.linkedin.com/a", "https://WWW.LinkedIn.com./b", (), True),
        ("https://www.linkedin.com/a", "https://www.linkedin.com:443/b", (), True),
        ("http://www.linkedin.com/a", "https://www.linkedin.com/b", (), True),
        ("http://host.test:8080/a", "https://host.test:8080/b", (), True),
        ("https://www.linkedin.com/a", "http://www.linkedin.com/b", (), False),
        ("http://www.linkedin.com/a", "http://www.linkedin.com:443/b", (), False),
        ("https://www.linkedin.com/a", "https://www.linkedin.com:8443/b", (), False),
        ("https://www.linkedin.com/a", "https://fr.linkedin.com/b", (), False),
        ("https://www.linkedin.com/a", "https://fr.linkedin.com/b", ("fr.linkedin.com",), True),
        ("https://www.linkedin.com/a", "https://linkedin.com.evil.test/b", (), False),
        ("https://www.linkedin.com/a", "ftp://www.linkedin.com/b", (), False),
        ("https://www.linkedin.com/a", "https://www.linkedin.com:99999/b", (), False),
    ],
)
def test_which_redirects_stay_on_the_site(
    origin: str, target: str, extra: tuple[str, ...], expected: bool
) -> None:
    assert stays_on_site(origin, target, extra) is expected


# --------------------------------------------------------------------------- private addresses
def test_a_loopback_address_is_refused_before_any_request_unless_allowed(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    url = page_server.route(PATH, Reply.page(V1))
    with pytest.raises(FetchError) as refused:
        fetch(document(url), REFUSED, http=new_session(REFUSED), now=now)

    assert refused.value.cause == "private-address"
    assert not isinstance(refused.value, TransientFetchError | BlockedError)
    assert "127.0.0.1 is a loopback address" in str(refused.value)
    assert "allow_private_addresses = true under [fetch] in config/tracker.toml" in str(
        refused.value
    )
    assert page_server.requests == []
    capture = fetch(document(url), ALLOWED, http=new_session(ALLOWED), now=now)
    assert capture.body == page_bytes(V1), "the allowance lets the same fetch through"


def test_a_name_that_resolves_to_loopback_is_refused_before_any_request(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    page_server.route(PATH, Reply.page(V1))
    url = page_server.url(PATH).replace("127.0.0.1", "localhost")
    with pytest.raises(FetchError) as refused:
        fetch(document(url), REFUSED, http=new_session(REFUSED), now=now)

    assert refused.value.cause == "private-address"
    assert "localhost resolves to" in str(refused.value)
    assert "loopback address" in str(refused.value)
    assert page_server.requests == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    page_server: PageServer, now: Callable[[], datetime]
) -> None:
    real = socket.getaddrinfo

    def two_answers(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "mixed.test":
            return [*real(PUBLIC, port, *args, **kwargs), *real("10.1.2.3", port, *args, **kwargs)]
        return real(host, port, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", two_answers)
        with pytest.raises(FetchError) as refused:
            fetch(document("http://mixed.test/p"), REFUSED, http=proxied(page_server), now=now)

    assert refused.value.cause == "private-address"
    assert "mixed.test resolves to 10.1.2.3, a private address" in str(refused.value)
    assert page_server.requests == []


def test_a_redirect_from_a_public_origin_to_loopback_is_refused_before_requesting_it(
    page_server: PageServer, now: Callable[[], datetime], resolver: dict[str, list[str]]
) -> None:
    resolver["www.linkedin.test"] = [PUBLIC]
    page_server.route(PATH, Reply.redirect(page_server.url("/internal")))
    page_server.route("/internal", Reply.page(V1))
    doc = document(f"http://www.linkedin.test{PATH}", redirect_hosts=("127.0.0.1",))
    with pytest.raises(FetchError) as refused:
        fetch(doc, REFUSED, http=proxied(page_server), now=now)

    assert refused.value.cause == "private-address"
    assert page_server.url("/internal") in str(refused.value)
    assert [r.path for r in page_server.requests] == [f"http://www.linkedin.test{PATH}"]


def test_a_public_origin_is_fetched_when_private_addresses_are_refused(
    page_server: PageServer, now: Callable[[], datetime], resolver: dict[str, list[str]]
) -> None:
    resolver["www.linkedin.test"] = [PUBLIC]
    page_server.route(PATH, Reply.page(V1))
    doc = document(f"http://www.linkedin.test{PATH}")
    capture = fetch(doc, REFUSED, http=proxied(page_server), now=now)
    assert capture.body == page_bytes(V1)


def test_a_name_that_resolves_differently_when_connecting_is_refused_before_sending(
    page_server: PageServer, now: Callable[[], datetime], resolver: dict[str, list[str]]
) -> None:
    """DNS rebinding: public for the check, loopback for the connection."""
    page_server.route(PATH, Reply.page(V1))
    resolver["rebind.test"] = [PUBLIC, "127.0.0.1"]
    url = f"http://rebind.test:{page_server.port}{PATH}"
    with pytest.raises(FetchError) as refused:
        fetch(document(url), REFUSED, http=new_session(REFUSED), now=now)

    assert refused.value.cause == "private-address"
    assert "connected to 127.0.0.1, a loopback address; nothing was sent" in str(refused.value)
    assert page_server.requests == []


def test_a_name_that_does_not_resolve_is_still_a_dns_error(
    now: Callable[[], datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(FetchError) as failed:
        fetch(document("https://www.linkedin.test/p"), REFUSED, http=new_session(REFUSED), now=now)
    assert failed.value.cause == "dns-error"
    assert "cannot resolve www.linkedin.test" in str(failed.value)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - the address under test, not a bind
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        (PUBLIC, None),
        ("2606:4700::1111", None),
    ],
)
def test_address_kinds(address: str, kind: str | None) -> None:
    assert refused_kind(address) == kind


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("www.linkedin.com", None),
        ("1.example", None),
    ],
)
def test_literal_addresses_in_every_spelling(host: str, address: str | None) -> None:
    literal = literal_address(host)
    assert (str(literal) if literal is not None else None) == address
