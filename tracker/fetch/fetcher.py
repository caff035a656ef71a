"""Document → Capture: the only module that speaks HTTP (through an injected ``requests.Session``).

``fetch`` makes one polite GET (conditional when validators are known), follows redirects by
hand so that it sees every hop, streams the body up to a size cap and returns the answer whole
as a :class:`~tracker.models.Capture`, whatever its status. It does not judge whether the page is
the document: :func:`tracker.fetch.quality.assess` does (a 999, 403 or 429 answer is returned, never
retried, and ``assess`` turns it into ``http-999`` ...).

It retries, with exponential backoff through the injected ``sleep``, only what may go away by
itself: connection failures, timeouts, truncated bodies and 5xx answers (a 503's
``Retry-After`` is honoured up to :data:`RETRY_AFTER_CAP_SECONDS`). Anti-bot answers are never
retried: asking again makes a block worse.

What it records must hold up as evidence, so it bounds and guards every fetch:

- **One deadline** (``deadline_seconds``) for the whole call: every attempt, redirect hop,
  wait for the host's turn, wait for headers, body read and backoff sleep. ``read_timeout``
  only bounds the silence between two bytes; a server trickling a byte a second is stopped by
  the deadline (a :class:`~tracker.fetch.watchdog.Watch` shuts the sockets down when it passes) and
  a retry that could not start before it is not waited for. Resolving a host name is bounded
  by the system's resolver, not by the deadline.
- **Redirects stay on the document's site**: the same host and port (or the upgrade from http
  to https), or a host listed in the document's ``redirect_hosts``. Anything else is refused
  without requesting it.
- **No private addresses** unless ``allow_private_addresses``: a host that is, or resolves to,
  a private, loopback, link-local, unspecified, multicast or reserved address (see
  :mod:`tracker.fetch.addresses`) is refused before a request is sent, for the document's URL and
  for every redirect target; the peer of every connection is checked again (a name may resolve
  differently the second time).

Causes raised here (the ``cause`` column of ``checks.csv``; :mod:`tracker.fetch.quality` lists the
rest):

:class:`~tracker.errors.TransientFetchError`, after the retries:
    ``timeout`` (connect or read timeout, including a body that stalls; or the whole fetch
    reached ``deadline_seconds``: then a :class:`DeadlineError`, never retried, whose message
    says after how many bytes of the body), ``connection-error``
    (refused, reset), ``tls-error``, ``truncated-body`` (fewer bytes than
    ``Content-Length``, or the connection broke mid-body), ``decode-error`` (a corrupt
    compressed body), ``http-5xx`` (``http-500``, ``http-503`` ...; the error is a
    :class:`ServerError` carrying ``status``).
:class:`~tracker.errors.BlockedError`, at once:
    ``auth-wall`` / ``captcha`` / ``consent-wall`` (a redirect to a sign-in, challenge or consent
    address, see :data:`tracker.fetch.quality.URL_RULES`; the wall itself is never requested),
    ``too-large`` (over ``max_bytes``, from ``Content-Length`` or while streaming),
    ``too-many-redirects``, ``off-site-redirect`` (a redirect off the document's origin to a
    host not in its ``redirect_hosts``; walls are recognised first).
:class:`~tracker.errors.FetchError`:
    ``dns-error`` (the host name does not resolve: not retried within a pass, every document on
    that host would fail alike), ``private-address`` (the host of the URL or of a redirect
    target is, or resolves to, a non-public address, or a connection reached one, while
    ``allow_private_addresses`` is off; nothing is sent), ``bad-url`` (the URL or a redirect
    target cannot be requested), ``request-error`` (any other ``requests`` failure).

Every ``requests`` exception is translated here and chained (``raise ... from exc``); messages
name the document id and the URL.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import logging
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from tracker.errors import BlockedError, FetchError, TransientFetchError
from tracker.fetch.addresses import refused_kind, server_of, stays_on_site
from tracker.fetch.quality import wall_for_url
from tracker.fetch.watchdog import PeerRefused, Watch, WatchedAdapter
from tracker.models import Capture, Document, FetchSettings, Validators

log = logging.getLogger(__name__)

#: Sent with every request: HTML first; anything else is accepted only to be reported.
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
#: Hops followed before giving up (``too-many-redirects``).
MAX_REDIRECTS = 10
#: Longest ``Retry-After`` honoured on a 503; a longer one ends the check (tried next run).
RETRY_AFTER_CAP_SECONDS = 120.0
#: Most bytes taken from the socket at a time while streaming a body (a read returns what has
#: arrived, up to this, so the deadline is checked between any two pieces).
CHUNK_BYTES = 64 * 1024
#: Socket timeouts are capped at the time left before the deadline plus this, so that a
#: session without :class:`~tracker.fetch.watchdog.WatchedAdapter` still stops near the deadline.
_TIMEOUT_GRACE_SECONDS = 0.1
#: How a refusal of a private address tells the operator to allow one.
_ALLOWANCE = "allow_private_addresses = true under [fetch] in config/tracker.toml allows it"

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class ServerError(TransientFetchError):
    """A 5xx answer (cause ``http-<status>``); ``retry_after`` is the wait the server asked for."""

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message, cause=f"http-{status}")
        self.status = status
        self.retry_after = retry_after


class DeadlineError(TransientFetchError):
    """The whole fetch reached ``deadline_seconds`` (cause ``timeout``); never retried.

    ``received`` is the number of body bytes read in the last attempt before it ended.
    """

    def __init__(self, message: str, *, received: int = 0) -> None:
        super().__init__(message, cause="timeout")
        self.received = received


class NoTurnInTime(Exception):
    """The host's turn in a :class:`HostPacer` would come later than the caller can wait."""

    def __init__(self, host: str, wait: float | None) -> None:
        when = f"is {wait:.1f} s away" if wait is not None else "is held by another request"
        super().__init__(f"{host}'s turn {when}")
        self.host = host
        self.wait = wait


class _RejectAllCookies(http.cookiejar.DefaultCookiePolicy):
    """Neither store nor send cookies: a sign-in wall must not learn who we are between fetches."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False


def new_session(settings: FetchSettings) -> requests.Session:
    """A session for :func:`fetch`: our User-Agent and ``Accept``, no cookies, no environment.

    ``trust_env`` is off so that proxies and ``.netrc`` credentials are never picked up from the
    environment (configuration is read only by :mod:`tracker.config`); set ``session.proxies``
    explicitly if a proxy is needed. Its adapters put every socket under the deadline and the
    peer check of the fetch in progress (:class:`~tracker.fetch.watchdog.WatchedAdapter`).
    """
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", WatchedAdapter())
    session.mount("https://", WatchedAdapter())
    session.headers["User-Agent"] = settings.user_agent
    session.headers["Accept"] = ACCEPT
    session.cookies.set_policy(_RejectAllCookies())
    return session


class HostPacer:
    """Keeps requests to one host sequential and ``interval`` seconds apart, start to start.

    A host is what :func:`~tracker.fetch.addresses.server_of` names: the host name, with its port
    when not the default. Thread-safe: each host has its own lock, held for the whole request
    (and the wait for its turn), so two threads never talk to one host at once, and the start
    of a request is recorded before the lock is released, so the next one waits the full
    interval; different hosts do not wait for each other. ``clock`` (monotonic
    seconds) and ``sleep`` are injected so tests can check the pacing without waiting.
    """

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._last_start: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str, *, max_wait: float | None = None) -> Iterator[None]:
        """Wait for ``host``'s turn, then hold it while the body of the ``with`` runs.

        Raises:
            NoTurnInTime: the turn would come more than ``max_wait`` seconds from now (another
                thread holding the host longer, or the interval); nothing was waited for
                beyond ``max_wait``.
        """
        host = host.lower()
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        started = self._clock()
        if not lock.acquire(timeout=-1 if max_wait is None else max(0.0, max_wait)):
            raise NoTurnInTime(host, None)
        try:
            last = self._last_start.get(host)
            if last is not None:
                wait = last + self.interval - self._clock()
                if max_wait is not None and wait > max_wait - (self._clock() - started):
                    raise NoTurnInTime(host, wait)
                if wait > 0:
                    self._sleep(wait)
            self._last_start[host] = self._clock()
            yield
        finally:
            lock.release()


@dataclass(frozen=True, slots=True)
class _Answer:
    """The final response of one attempt, before it becomes a Capture."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    received_at: datetime


def fetch(
    document: Document,
    settings: FetchSettings,
    *,
    http: requests.Session,
    now: Callable[[], datetime],
    validators: Validators | None = None,
    sleep: Callable[[float], None] = time.sleep,
    pacer: HostPacer | None = None,
) -> Capture:
    """GET ``document.url`` and return the answer whole, whatever its status.

    Args:
        document: what to fetch; ``accept_language`` (if set) is sent as ``Accept-Language``;
            redirects may also lead to its ``redirect_hosts``.
        settings: timeouts, the deadline, retries, backoff, the size cap and whether private
            addresses are allowed.
        http: the session to use (see :func:`new_session`).
        now: the wall clock; ``fetched_at`` is taken when the final answer's headers arrive
            and must be timezone-aware (it is converted to UTC).
        validators: ``ETag`` / ``Last-Modified`` of the last capture, for a conditional GET;
            a 304 answer then gives a Capture with ``not_modified=True`` and an empty body.
        sleep: waits between retries (injected so tests do not wait). A wait that would end
            past the deadline is not started.
        pacer: spaces requests to one host; every request (each redirect hop and retry) takes
            a slot. ``None`` means no pacing.

    Returns:
        The capture: status, headers in received order (repeated fields grouped as urllib3
        keeps them), body bytes, ``final_url``, and ``redirects`` (the URLs that answered with a
        redirect, starting with the requested one; empty without redirects).

    Raises:
        DeadlineError: ``settings.deadline_seconds`` passed (a ``TransientFetchError`` with
            cause ``timeout``), measured on the monotonic clock from the call.
        TransientFetchError: the retries ran out (see the module docstring for causes).
        BlockedError: a redirect to a wall or off the document's site, a body over the cap,
            too many redirects.
        FetchError: the URL cannot be requested at all, or it leads to a private address.
    """
    headers = _request_headers(document, validators)
    conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
    attempts = settings.retries + 1
    watch = Watch(
        settings.deadline_seconds, allow_private_addresses=settings.allow_private_addresses
    )
    with watch.active():
        for attempt in range(1, attempts + 1):
            try:
                redirects, answer = _attempt(document, settings, http, now, headers, pacer, watch)
            except DeadlineError:
                raise
            except TransientFetchError as exc:
                retry_after = exc.retry_after if isinstance(exc, ServerError) else None
                wait = settings.backoff_seconds * 2 ** (attempt - 1)
                if retry_after is not None:
                    if retry_after > RETRY_AFTER_CAP_SECONDS:
                        raise _gave_up(exc, attempt, "Retry-After is over the cap") from exc
                    wait = max(wait, retry_after)
                if attempt == attempts:
                    raise _gave_up(exc, attempt, "no retries left") from exc
                if wait >= watch.remaining():
                    why = (
                        f"a retry in {wait:g} s would start after the "
                        f"{settings.deadline_seconds:g}-second deadline"
                    )
                    raise _gave_up(exc, attempt, why) from exc
                log.warning("%s (attempt %d of %d; next in %.1f s)", exc, attempt, attempts, wait)
                sleep(wait)
                continue
            return Capture(
                document_id=document.id,
                requested_url=document.url,
                final_url=answer.url,
                status=answer.status,
                headers=answer.headers,
                body=answer.body,
                fetched_at=answer.received_at,
                redirects=redirects,
                not_modified=answer.status == 304 and conditional,
            )
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _gave_up(exc: TransientFetchError, attempts: int, why: str) -> TransientFetchError:
    message = f"{exc} (gave up after {attempts} attempt{'s' if attempts > 1 else ''}: {why})"
    if isinstance(exc, ServerError):
        return ServerError(message, status=exc.status, retry_after=exc.retry_after)
    return TransientFetchError(message, cause=exc.cause)


def _request_headers(document: Document, validators: Validators | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if document.accept_language:
        headers["Accept-Language"] = document.accept_language
    if validators is not None:
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
    return headers


def _attempt(
    document: Document,
    settings: FetchSettings,
    http: requests.Session,
    now: Callable[[], datetime],
    headers: dict[str, str],
    pacer: HostPacer | None,
    watch: Watch,
) -> tuple[tuple[str, ...], _Answer]:
    """One try: follow redirects by hand, read the final body. Raises translated errors."""
    url = document.url
    chain: list[str] = []
    while True:
        _check_destination(document, settings, url)
        with ExitStack() as turn:
            if pacer is not None:
                left = max(0.0, watch.remaining())
                try:
                    turn.enter_context(pacer.slot(server_of(url), max_wait=left))
                except NoTurnInTime as exc:
                    raise _too_late_for_turn(document, url, watch, exc) from exc
            response = _get(document, settings, http, url, headers, watch)
            try:
                target = http.get_redirect_target(response)
                if response.status_code in _REDIRECT_STATUSES and target:
                    chain.append(url)
                    url = _next_hop(document, chain, urljoin(response.url, target))
                    continue
                received_at = _utc(now())
                if 500 <= response.status_code < 600:  # not 999, LinkedIn's block
                    raise _server_error(document, url, response, received_at)
                body = (
                    b""
                    if response.status_code == 304
                    else _read_body(document, settings, url, response, watch)
                )
                return tuple(chain), _Answer(
                    url=url,
                    status=response.status_code,
                    headers=tuple((str(k), str(v)) for k, v in response.raw.headers.items()),
                    body=body,
                    received_at=received_at,
                )
            finally:
                response.close()


def _next_hop(document: Document, chain: list[str], target: str) -> str:
    hops = " → ".join([*chain, target])
    wall = wall_for_url(target)
    if wall is not None:
        raise BlockedError(f"{document.id}: {chain[0]}: redirected to a {wall}: {hops}", cause=wall)
    if not stays_on_site(document.url, target, document.redirect_hosts):
        raise BlockedError(
            f"{document.id}: {chain[0]}: redirected off the document's site to {target} "
            f"(not followed; list its host in the document's redirect_hosts if it is the "
            f"document's): {hops}",
            cause="off-site-redirect",
        )
    if len(chain) > MAX_REDIRECTS:
        raise BlockedError(
            f"{document.id}: {chain[0]}: more than {MAX_REDIRECTS} redirects: {hops}",
            cause="too-many-redirects",
        )
    return target


def _check_destination(document: Document, settings: FetchSettings, url: str) -> None:
    """Refuse ``url`` if its host is, or resolves to, a non-public address (unless allowed).

    Every address the name resolves to must be public. A name that does not resolve is a
    ``dns-error``. Schemes other than http(s) are left for ``requests`` to refuse (``bad-url``).
    """
    if settings.allow_private_addresses:
        return
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme.lower() not in {"http", "https"} or not host:
        return
    where = f"{document.id}: {url}"
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        message = f"{where}: cannot resolve {host} (no DNS answer)"
        raise FetchError(message, cause="dns-error") from exc
    for info in infos:
        address = str(info[4][0])
        kind = refused_kind(address)
        if kind is not None:
            what = (
                f"{host} is a {kind} address"
                if address == host.strip("[]")
                else f"{host} resolves to {address}, a {kind} address"
            )
            raise FetchError(
                f"{where}: {what}; not requested ({_ALLOWANCE})", cause="private-address"
            )


def _get(
    document: Document,
    settings: FetchSettings,
    http: requests.Session,
    url: str,
    headers: dict[str, str],
    watch: Watch,
) -> requests.Response:
    """Send one GET and return once the headers are in; the body is left on the socket."""
    if watch.expired():
        raise _deadline_reached(document, url, watch, 0, "before the request was sent")
    left = watch.remaining() + _TIMEOUT_GRACE_SECONDS
    try:
        response = http.get(
            url,
            headers=headers,
            timeout=(min(settings.connect_timeout, left), min(settings.read_timeout, left)),
            allow_redirects=False,
            stream=True,
        )
    except PeerRefused as exc:
        raise FetchError(
            f"{document.id}: {url}: {exc}; nothing was sent ({_ALLOWANCE})",
            cause="private-address",
        ) from exc
    except requests.RequestException as exc:
        if watch.expired():
            raise _deadline_reached(
                document, url, watch, 0, "while waiting for the headers"
            ) from exc
        raise _translate(document, url, exc) from exc
    if watch.expired():  # a socket shut down mid-headers reads as their end: never trust them
        response.close()
        raise _deadline_reached(document, url, watch, 0, "while waiting for the headers")
    return response


def _read_body(
    document: Document,
    settings: FetchSettings,
    url: str,
    response: requests.Response,
    watch: Watch,
) -> bytes:
    """Stream the (decoded) body, refusing more than ``max_bytes`` or going past the deadline.

    Reads return what has arrived (``read1``), so a trickled body is checked against the
    deadline between any two pieces; a stalled one is woken by the watch shutting it down.
    """
    limit = settings.max_bytes
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise BlockedError(
            f"{document.id}: {url}: Content-Length {int(declared)} is over the {limit}-byte cap",
            cause="too-large",
        )
    received = bytearray()
    try:
        while not watch.expired():
            chunk = response.raw.read1(CHUNK_BYTES, decode_content=True)
            if not chunk:
                break
            received += chunk
            if len(received) > limit:
                raise BlockedError(
                    f"{document.id}: {url}: body over the {limit}-byte cap (stopped reading)",
                    cause="too-large",
                )
    except urllib3.exceptions.HTTPError as exc:
        if watch.expired():
            during = "while reading the body"
            raise _deadline_reached(document, url, watch, len(received), during) from exc
        error = _as_requests_error(exc)
        raise _translate(document, url, error) from error
    if watch.expired():  # a shut-down socket reads as the end of a body without a length
        raise _deadline_reached(document, url, watch, len(received), "while reading the body")
    return bytes(received)


def _as_requests_error(exc: urllib3.exceptions.HTTPError) -> requests.RequestException:
    """What ``requests`` raises for ``exc`` while streaming a body (as ``iter_content`` does)."""
    error: requests.RequestException
    if isinstance(exc, urllib3.exceptions.ProtocolError | urllib3.exceptions.IncompleteRead):
        error = requests.exceptions.ChunkedEncodingError(exc)
    elif isinstance(exc, urllib3.exceptions.DecodeError):
        error = requests.exceptions.ContentDecodingError(exc)
    elif isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        error = requests.ConnectionError(exc)
    elif isinstance(exc, urllib3.exceptions.SSLError):
        error = requests.exceptions.SSLError(exc)
    else:
        error = requests.RequestException(exc)
    error.__cause__ = exc
    return error


def _deadline_reached(
    document: Document, url: str, watch: Watch, received: int, during: str
) -> DeadlineError:
    return DeadlineError(
        f"{document.id}: {url}: the {watch.seconds:g}-second deadline for the whole fetch was "
        f"reached {during}, after {received} bytes of the body",
        received=received,
    )


def _too_late_for_turn(
    document: Document, url: str, watch: Watch, exc: NoTurnInTime
) -> DeadlineError:
    return DeadlineError(
        f"{document.id}: {url}: the {watch.seconds:g}-second deadline for the whole fetch "
        f"would pass before the host's turn ({exc}), after 0 bytes of the body"
    )


def _server_error(
    document: Document, url: str, response: requests.Response, received_at: datetime
) -> ServerError:
    status = response.status_code
    retry_after = _retry_after(response.headers.get("Retry-After"), received_at)
    if status != 503:
        retry_after = None
    hint = f", Retry-After {retry_after:g} s" if retry_after is not None else ""
    return ServerError(
        f"{document.id}: {url}: HTTP {status}{hint}", status=status, retry_after=retry_after
    )


def _retry_after(value: str | None, received_at: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - received_at).total_seconds())


def _translate(document: Document, url: str, exc: requests.RequestException) -> FetchError:
    """A ``requests`` exception as one of ours (the caller chains it)."""
    where = f"{document.id}: {url}"
    reason = exc.args[0] if exc.args else None
    if isinstance(exc, requests.Timeout) or isinstance(reason, urllib3.exceptions.TimeoutError):
        return TransientFetchError(f"{where}: timed out ({exc})", cause="timeout")
    if isinstance(exc, requests.exceptions.SSLError):
        return TransientFetchError(f"{where}: TLS failed ({exc})", cause="tls-error")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return TransientFetchError(
            f"{where}: the body was cut short ({exc})", cause="truncated-body"
        )
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return TransientFetchError(
            f"{where}: corrupt compressed body ({exc})", cause="decode-error"
        )
    if isinstance(exc, requests.ConnectionError):
        root = _root_cause(exc)
        if isinstance(root, urllib3.exceptions.NameResolutionError):
            host = urlsplit(url).hostname or url
            return FetchError(f"{where}: cannot resolve {host} (no DNS answer)", cause="dns-error")
        detail = str(root) if root is not None else str(exc)
        return TransientFetchError(
            f"{where}: connection failed ({detail})", cause="connection-error"
        )
    if isinstance(
        exc,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ),
    ):
        return FetchError(f"{where}: cannot request this address ({exc})", cause="bad-url")
    return FetchError(f"{where}: request failed ({exc})", cause="request-error")


def _root_cause(exc: BaseException) -> BaseException | None:
    """The innermost urllib3 reason behind a ``requests`` connection error, if any."""
    seen: BaseException | None = exc.args[0] if exc.args else None
    while isinstance(seen, urllib3.exceptions.MaxRetryError) and seen.reason is not None:
        seen = seen.reason
    return seen if isinstance(seen, BaseException) else None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"now() returned a naive datetime: {moment!r}")
    return moment.astimezone(UTC)
