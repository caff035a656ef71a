"""Build the side-effecting dependencies once, and run a pass over several documents.

Kept apart from :mod:`tracker.pipeline` (which only wires stages) and :mod:`tracker.cli` (which
only talks to the user), so the scheduler and the command line share one code path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from tracker.archive import Archive
from tracker.config import Settings
from tracker.fetch import HostPacer, new_session
from tracker.models import Document
from tracker.pipeline import Deps, Result, check
from tracker.state import State
from tracker.timestamps import utc_now


@contextmanager
def build_deps(settings: Settings) -> Iterator[Deps]:
    """Open the HTTP session, the archive and the state database for one process."""
    state = State(settings.db_url)
    http = new_session(settings.fetch)
    try:
        yield Deps(
            http=http,
            archive=Archive(settings.archive_dir),
            state=state,
            fetch_settings=settings.fetch,
            pacer=HostPacer(settings.fetch.host_delay_seconds),
            now=utc_now,
            sleep=time.sleep,
            inaccessible_after=settings.alerts.inaccessible_after,
        )
    finally:
        http.close()
        state.close()


def check_documents(
    documents: Iterable[Document],
    deps: Deps,
    on_result: Callable[[Result], None] = lambda _: None,
) -> list[Result]:
    """Check each document once, in order; ``on_result`` sees each result as it comes."""
    results: list[Result] = []
    for document in documents:
        for result in check(document, deps):
            on_result(result)
            results.append(result)
    return results
