"""Fetch the documents of a pass, several hosts at a time, each host politely.

The network half of a concurrent pass (:func:`tracker.runtime.check_documents` records what
comes out, one document at a time, on its own thread; see ``docs/adr/0014``):

- the documents are grouped by host (:func:`~tracker.fetch.addresses.server_of`: the host name,
  with its port when not the default), keeping their order within a host;
- at most ``workers`` hosts are fetched at a time, each by one thread that fetches its
  documents one after another, with its own ``requests.Session`` (a session is not shared
  between threads); the :class:`~tracker.fetch.fetcher.HostPacer` the fetches share keeps the
  configured delay between two requests to one host;
- a host that does not resolve or refuses connections is not knocked on again in the pass:
  its remaining documents come out *not tried* (a circuit breaker for one pass);
- nothing is lost: every document comes out exactly once, fetched, failed, not tried, or
  skipped because the caller asked to stop before its fetch started.

What comes out is :class:`Fetched`, in the order the fetches end. A host's thread starts its
next fetch only once the caller is done with the last one (has asked for the next
:class:`Fetched`): within a host, documents are fetched and recorded one after another, as in
a pass without concurrency, and at most ``workers`` fetched pages wait for the caller.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.errors import FetchError
from tracker.fetch.addresses import server_of
from tracker.models import Capture, Document

if TYPE_CHECKING:
    import requests

#: Causes that say the whole host is out of reach, not just one page.
HOST_DOWN_CAUSES = frozenset({"dns-error", "connection-error"})
#: Seconds between two looks at the stop flag while a thread waits for the caller.
_POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class Fetched:
    """One document's fetch, as it ended.

    Exactly one of ``capture`` and ``error`` is set, unless ``skipped``. ``tried`` is False
    when the host was found down earlier in the pass (``error`` then says so, with the first
    failure's cause). ``error`` is a :class:`~tracker.errors.FetchError`, or whatever else the
    fetch raised (a bug: the caller records it as such). ``seconds``: how long the fetch took.
    """

    index: int
    document: Document
    capture: Capture | None = None
    error: Exception | None = None
    tried: bool = True
    skipped: bool = False
    seconds: float = 0.0


def fetch_by_host(
    documents: Sequence[Document],
    fetch_one: Callable[[Document, requests.Session], Capture],
    *,
    workers: int,
    new_session: Callable[[], requests.Session],
    stopping: Callable[[], bool] = lambda: False,
) -> Generator[Fetched, None, None]:
    """Fetch ``documents`` with ``fetch_one``, host by host, ``workers`` hosts at a time.

    Yields one :class:`Fetched` per document, in the order the fetches end. Closing the
    iterator early (or ``stopping()`` turning true) stops the threads before their next fetch;
    the fetches under way finish first.
    """
    hosts: dict[str, list[tuple[int, Document]]] = {}
    for index, document in enumerate(documents):
        hosts.setdefault(server_of(document.url), []).append((index, document))
    done: queue.Queue[Fetched] = queue.Queue()
    #: set once the caller is done with a document (it asked for the next one)
    handled = [threading.Event() for _ in documents]
    halt = threading.Event()

    def wait_until_handled(index: int) -> None:
        while not handled[index].wait(_POLL_SECONDS) and not halt.is_set():
            pass

    def fetch_host(host: str, members: list[tuple[int, Document]]) -> None:
        down: list[tuple[str, str]] = []  # (document, cause) of the failure that stopped it
        sessions: list[requests.Session] = []
        try:
            for index, document in members:
                try:
                    fetched = fetch_document(host, index, document, down, sessions)
                except Exception as exc:  # never lose a document, whatever went wrong
                    fetched = Fetched(index, document, error=exc)
                done.put(fetched)
                wait_until_handled(index)  # the host's next fetch waits for this record
        finally:
            for session in sessions:
                session.close()

    def fetch_document(
        host: str,
        index: int,
        document: Document,
        down: list[tuple[str, str]],
        sessions: list[requests.Session],
    ) -> Fetched:
        if halt.is_set() or stopping():
            return Fetched(index, document, skipped=True)
        if down:
            first, cause = down[0]
            error = FetchError(
                f"{document.id}: not tried: {host} was unreachable for {first} in this pass "
                f"({cause})",
                cause=cause,
            )
            return Fetched(index, document, error=error, tried=False)
        started = time.monotonic()
        try:
            if not sessions:
                sessions.append(new_session())
            capture = fetch_one(document, sessions[0])
        except Exception as exc:  # recorded by the caller
            if isinstance(exc, FetchError) and exc.cause in HOST_DOWN_CAUSES:
                down.append((document.id, exc.cause))
            return Fetched(index, document, error=exc, seconds=time.monotonic() - started)
        return Fetched(index, document, capture=capture, seconds=time.monotonic() - started)

    threads = max(1, min(workers, len(hosts)))
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fetch")
    try:
        for host, members in hosts.items():
            pool.submit(fetch_host, host, members)
        for _ in range(len(documents)):
            fetched = done.get()
            yield fetched
            handled[fetched.index].set()
    finally:
        halt.set()
        pool.shutdown(wait=True, cancel_futures=True)
