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

import hashlib
from pathlib import Path

from tracker.render.html import VersionFacts, render_change_page
from tracker.site.collect import DocumentInfo, VersionInfo


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


def engine_digest() -> str:
    """A digest of the code a compare page comes from (the comparison and the page renderer)
    and the tracker's version: a compare page carrying it was rendered by this very code."""
    import tracker
    from tracker import compare as compare_package
    from tracker import render as render_package

    digest = hashlib.sha256(tracker.__version__.encode())
    for package in (compare_package, render_package):
        folder = Path(package.__file__ or "").parent
        for source in sorted(folder.glob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def compare_marker(document: DocumentInfo, older: str, newer: str, engine: str) -> str:
    """The line after the doctype of a compare page: what it was rendered from.

    Versions are written once, so a page whose marker names the same two texts and the same
    code is the page this build would render: it is kept without comparing again (a compare
    page costs 0.1 s; every page of a long history, most of a full build).
    """
    by_stamp = {v.stamp: v for v in document.versions}
    return (
        f"<!-- tracker-site compare {engine} {by_stamp[older].text_sha256} "
        f"{by_stamp[newer].text_sha256} -->"
    )


def render_compare(document: DocumentInfo, older: str, newer: str, engine: str) -> str:
    """The compare page of two versions of ``document``, its marker after the doctype."""
    from tracker.compare.diff import compare

    by_stamp = {v.stamp: v for v in document.versions}
    old, new = by_stamp[older], by_stamp[newer]
    change = compare(old.text, new.text, document=document.id, from_version=older, to_version=newer)
    html = render_change_page(
        change,
        title=f"{document.title}: {older} compared with {newer}",
        source_url=new.source_url,
        versions=[_facts(old), _facts(new)],
    )
    doctype, _, rest = html.partition("\n")
    return f"{doctype}\n{compare_marker(document, older, newer, engine)}\n{rest}"
