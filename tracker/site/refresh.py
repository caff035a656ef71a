"""The site built again, with its feeds, and published: ``tracker site`` and, after a pass
that recorded something, ``tracker check`` and ``tracker run``.

:func:`build_with_feeds` builds under the archive's shared lock (no record is half-way
written meanwhile); publishing reads only the built folder, so it runs after the lock is
released. :class:`SiteJob` is the worker's side: results that recorded a version mark the
site stale; ``tracker check`` refreshes it after its pass, ``tracker run`` after a record when
it was not built in the last minute, else on its minute timer: one build for all the records
in between. A failure is logged and left for the next refresh: the archive is never touched
by it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.models import Outcome

if TYPE_CHECKING:
    from tracker.archive.store import Archive
    from tracker.pipeline import Result
    from tracker.site.build import SiteReport
    from tracker.site.publish import SiteSettings

log = logging.getLogger(__name__)

#: ``tracker run`` builds the site at most this often (the records in between wait for the
#: next build: they are in the archive already).
EVERY_SECONDS = 60.0

#: Outcomes that add a version (and so a version page, perhaps a change, a feed entry).
RECORDED = frozenset(
    {Outcome.FIRST_RECORD, Outcome.NEW_VERSION, Outcome.TECHNICAL_UPGRADE, Outcome.FLIP_BACK}
)


def recorded_something(results: Iterable[Result]) -> bool:
    """True if one of the results added to what the site shows."""
    return any(result.outcome in RECORDED for result in results)


def build_with_feeds(
    archive: Archive, output: Path, *, base_url: str | None, wait: float | None = 0.0
) -> SiteReport:
    """Build the site into ``output`` with every Atom feed, under the archive's shared lock."""
    from tracker.site.build import build_site
    from tracker.site.feeds import feed_files

    with archive.reading(wait=wait, waiting=log.warning):
        feeds = feed_files(archive, base_url=base_url)
        return build_site(archive, output, base_url=base_url, extra_files=feeds)


@dataclass
class SiteJob:
    """Keeps the configured site up to date with the archive (``[site]`` in tracker.toml)."""

    archive: Archive
    settings: SiteSettings
    stale: bool = False
    #: the monotonic clock's reading at the last build (None: never built by this job)
    built_at: float | None = None
    clock: Callable[[], float] = time.monotonic

    def note(self, results: Iterable[Result]) -> None:
        """Mark the site stale when a result recorded a version."""
        if recorded_something(results):
            self.stale = True

    def due(self) -> bool:
        """Stale, and not built in the last :data:`EVERY_SECONDS` (the first build at once)."""
        if not self.stale:
            return False
        return self.built_at is None or self.clock() - self.built_at >= EVERY_SECONDS

    def refresh(self, *, wait: float | None = 0.0) -> list[str]:
        """Build and publish the site if it is stale; lines for people (none otherwise).

        Never raises: a failed build or publication is logged, the site stays stale and the
        next refresh tries again.
        """
        if not self.stale:
            return []
        self.built_at = self.clock()
        from tracker.errors import TrackerError
        from tracker.site.publish import publish

        try:
            report = build_with_feeds(
                self.archive, self.settings.output, base_url=self.settings.base_url, wait=wait
            )
            lines = [
                f"site {self.settings.output}: {len(report.written)} files written, "
                f"{len(report.removed)} removed"
            ]
            lines += publish(self.settings.output, self.settings, archive=self.archive.root)
        except (TrackerError, OSError) as exc:
            log.error("the site was not rebuilt or published (tried again later): %s", exc)
            return [f"site not rebuilt or published: {exc}"]
        self.stale = False
        return lines
