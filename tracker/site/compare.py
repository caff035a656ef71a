"""Two versions of a document compared, pre-rendered for a static host.

A static site cannot compare a pair chosen at reading time without a script, and every pair of
a long history (n²/2) would be too many pages. The site shows (ADR 0018):

- each version against the one before: its change page (archived, classified);
- each older version against the latest: a compare page rendered here with
  :func:`tracker.render.html.render_change_page`, clause by clause, not classified (the labels
  are the change pages'; classifying every pair would cost ten times as much);
- any other pair: ``tracker diff ID --from A --to B --format html``, named on the page.
"""

from __future__ import annotations

from collections.abc import Iterator

from tracker.render.html import VersionFacts, render_change_page
from tracker.site.collect import DocumentInfo, VersionInfo
from tracker.site.paths import compare_page


def compare_pairs(document: DocumentInfo) -> list[tuple[str, str]]:
    """(older, latest) for every version compared with the latest on a compare page.

    The version just before the latest is left out when the latest's change record compares
    exactly them (its change page is that comparison).
    """
    stamps = [v.stamp for v in document.versions]
    if len(stamps) < 2:
        return []
    latest = stamps[-1]
    record = document.changes.get(latest)
    shown = record is not None and record.from_version == stamps[-2]
    return [(s, latest) for s in stamps[:-1] if not (shown and s == stamps[-2])]


def _facts(version: VersionInfo) -> VersionFacts:
    return VersionFacts(
        stamp=version.stamp,
        captured_at=version.captured_at,
        text_sha256=version.text_sha256,
        raw_sha256=version.raw_sha256 or None,
    )


def compare_pages(document: DocumentInfo) -> Iterator[tuple[str, str]]:
    """(site path, HTML) of each compare page of the document."""
    from tracker.compare.diff import compare

    by_stamp = {v.stamp: v for v in document.versions}
    for older, newer in compare_pairs(document):
        old, new = by_stamp[older], by_stamp[newer]
        change = compare(
            old.text, new.text, document=document.id, from_version=older, to_version=newer
        )
        html = render_change_page(
            change,
            title=f"{document.title}: {older} compared with {newer}",
            source_url=new.source_url,
            versions=[_facts(old), _facts(new)],
        )
        yield compare_page(document.id, older, newer), html
