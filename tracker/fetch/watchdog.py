"""The socket layer under :mod:`tracker.fetch.fetcher`: one deadline per fetch, every peer checked.

``requests`` bounds each socket operation (a connect, one ``recv``), never a whole answer: a
server that trickles a byte a second keeps a read going for ever. A :class:`Watch` bounds a
whole fetch. It knows every socket opened or reused while it is active in the current thread
(:meth:`Watch.active`), and when its deadline passes a timer shuts them down, which wakes any
read blocked on them at once; the fetch then sees :meth:`Watch.expired` and reports the deadline.

The same watch refuses a connection whose peer is a private or loopback address (unless
allowed), right after the TCP handshake and before a byte of the request is sent: a name that
resolved to a public address when :mod:`tracker.fetch.fetcher` checked it may resolve to another one
when the connection is made.

Sockets reach the watch through :class:`WatchedAdapter`, which
:func:`tracker.fetch.fetcher.new_session` mounts. A session without it still gets the deadline
between reads and as a cap on each socket timeout, but not in the middle of a trickled answer.
Connections to a proxy set on the session are watched for the deadline only: the proxy is the peer,
chosen by the operator.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.poolmanager

from tracker.fetch.addresses import refused_kind

_current = threading.local()


class PeerRefused(Exception):
    """A connection reached a refused address; nothing was sent on it.

    Deliberately a bare :class:`Exception`: urllib3 neither retries nor wraps it, so it reaches
    :mod:`tracker.fetch.fetcher` as it is.
    """

    def __init__(self, address: str, kind: str) -> None:
        super().__init__(f"connected to {address}, a {kind} address")
        self.address = address
        self.kind = kind


class Watch:
    """The deadline of one fetch and the sockets it covers.

    Use as a context manager around the whole fetch, in the thread that makes the requests::

        with Watch(120.0, allow_private_addresses=False) as watch:
            ...  # requests through a session with WatchedAdapter
            if watch.expired(): ...

    Args:
        seconds: the time the fetch may take, from now (monotonic clock).
        allow_private_addresses: accept peers on private, loopback ... addresses.
    """

    def __init__(self, seconds: float, *, allow_private_addresses: bool = False) -> None:
        self.seconds = seconds
        self.allow_private_addresses = allow_private_addresses
        self._ends_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._fired = False
        self._handles: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self._ends_at - time.monotonic()

    def expired(self) -> bool:
        """True once the deadline has passed (the sockets may already be shut down)."""
        return self._fired or self.remaining() <= 0

    def enlist(self, sock: socket.socket, *, check_peer: bool = True) -> None:
        """Cover ``sock``: shut it down at the deadline; refuse its peer if need be.

        Raises:
            PeerRefused: ``check_peer`` is true, private addresses are not allowed and the peer
                is one (the caller closes the socket).
        """
        if sock.fileno() < 0:
            return
        if check_peer and not self.allow_private_addresses:
            address = str(sock.getpeername()[0])
            kind = refused_kind(address)
            if kind is not None:
                raise PeerRefused(address, kind)
        # A handle of its own on the connection: TLS wrapping detaches the original socket
        # object, and urllib3 may close its own while the fetch goes on.
        handle = socket.fromfd(sock.fileno(), sock.family, sock.type)
        with self._lock:
            self._handles.append(handle)
            fired = self._fired
        if fired:
            _shut_down(handle)

    @contextmanager
    def active(self) -> Iterator[Watch]:
        """Start the timer and make this the watch of the current thread until the block ends."""
        previous = getattr(_current, "watch", None)
        _current.watch = self
        self._timer.start()
        try:
            yield self
        finally:
            self._timer.cancel()
            _current.watch = previous
            with self._lock:
                handles, self._handles = self._handles, []
            for handle in handles:
                handle.close()

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            handles = list(self._handles)
        for handle in handles:
            _shut_down(handle)


def _shut_down(handle: socket.socket) -> None:
    with suppress(OSError):  # already closed by the peer, or never fully connected
        handle.shutdown(socket.SHUT_RDWR)


def _enlist(sock: socket.socket, *, check_peer: bool) -> None:
    """Give ``sock`` to the current thread's watch, if any; close it if its peer is refused."""
    watch: Watch | None = getattr(_current, "watch", None)
    if watch is None:
        return
    try:
        watch.enlist(sock, check_peer=check_peer)
    except PeerRefused:
        sock.close()
        raise


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    """A connection enlisted with the deadline's watch (and its peer checked) once open.

    Also the mixin of the HTTPS connection: placed first in its bases, these methods wrap
    HTTPS's own through ``super()``.
    """

    check_peer = True

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _enlist(sock, check_peer=self.check_peer)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:  # a kept-alive connection, opened during an earlier fetch
            _enlist(self.sock, check_peer=self.check_peer)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, urllib3.connection.HTTPSConnection):
    pass


class _ProxyHTTPConnection(_WatchedHTTPConnection):
    check_peer = False


class _ProxyHTTPSConnection(_WatchedHTTPSConnection):
    check_peer = False


class _WatchedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _ProxyHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _ProxyHTTPConnection


class _ProxyHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _ProxyHTTPSConnection


class WatchedAdapter(requests.adapters.HTTPAdapter):
    """An ``HTTPAdapter`` whose connections put their sockets under the current :class:`Watch`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Build the pool manager as ``requests`` does, with watched connection classes."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> urllib3.poolmanager.PoolManager:
        """The proxy manager ``requests`` would build, watching its connections for the deadline."""
        manager: urllib3.poolmanager.PoolManager = super().proxy_manager_for(*args, **kwargs)
        if isinstance(manager, urllib3.poolmanager.ProxyManager):  # not SOCKS: its own pools
            manager.pool_classes_by_scheme = {"http": _ProxyHTTPPool, "https": _ProxyHTTPSPool}
        return manager
