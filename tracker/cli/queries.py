"""``tracker show | changes | search``: the questions a lawyer asks of the archive.

The logic is in :mod:`tracker.query` (pure); this module reads the archive, prints, and turns
errors into exit codes through :func:`tracker.cli.common.errors` (exit 2 for a question that
names nothing in the archive). Every command has ``--json``: its keys are documented in the
README ("Questions a lawyer asks") and kept stable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import click

from tracker.archive.store import Archive, StoredVersion
from tracker.cli.common import Context, errors
from tracker.query.archive import archive_document, documents_matching, search_archive

if TYPE_CHECKING:
    from tracker.query.changes import ChangeFilter
    from tracker.query.when import Resolved

# The query modules (and the renderers the search reads text with) are imported by the commands
# that use them: `tracker check` and `tracker status` start without them (issue 12).


def _captured(version: StoredVersion) -> str:
    meta = version.meta
    return str(meta.get("captured_at") or meta.get("fetched_at") or version.timestamp)


def _show_dict(version: StoredVersion, found: Resolved, previous: str) -> dict[str, Any]:
    meta = version.meta
    return {
        "document": version.document,
        "asked": found.asked or None,
        "version": version.timestamp,
        "resolved": found.how.value,
        "moment": found.moment or None,
        "previous_version": previous or None,
        "next_version": found.next_stamp or None,
        "captured_at": _captured(version),
        "origin": meta.get("origin"),
        "technical_upgrade": version.technical_upgrade,
        "source_url": meta.get("source_url"),
        "snapshot": version.snapshot,
        "raw_sha256": meta.get("raw_sha256"),
        "text_sha256": meta.get("text_sha256"),
        "path": f"{version.document}/versions/{version.timestamp}.md",
        "text": version.text,
    }


@click.command()
@click.argument("document_id", metavar="ID")
@click.option(
    "--at",
    "at",
    metavar="WHEN",
    help="A date YYYY-MM-DD (the version in force at the end of that day, UTC), a timestamp "
    "(2025-10-01T12:00:00Z), a version stamp or a unique prefix of one. Default: the latest.",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_obj
def show(obj: Context, document_id: str, at: str | None, as_json: bool) -> None:
    """Print the version of a document in force at a moment, saying which one it is.

    The text goes to standard output; which version it is, when it was captured and its
    hashes go to standard error (so `> file.md` keeps only the text).
    """
    from tracker.query.when import resolve

    with errors():
        archive = Archive(obj.settings().archive_dir)
        stamps = archive_document(archive, document_id)
        found = resolve(stamps, at, document_id)
        version = archive.read_version(document_id, found.stamp)
    position = stamps.index(found.stamp)
    previous = stamps[position - 1] if position else ""
    data = _show_dict(version, found, previous)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.secho(f"{document_id}: {found.describe()}", err=True, bold=True)
    click.echo(
        f"captured {data['captured_at']} ({data['origin']}) · {data['path']} · text SHA-256 "
        f"{data['text_sha256']}"
        + (f" · raw SHA-256 {data['raw_sha256']}" if data["raw_sha256"] else "")
        + (
            " · technical upgrade: our rules changed, not the page"
            if version.technical_upgrade
            else ""
        ),
        err=True,
    )
    click.echo(version.text, nl=not version.text.endswith("\n"))


def _change_records(
    archive: Archive, wanted: ChangeFilter
) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for document in sorted(archive.documents()):
        if not wanted.wants_document(document):
            continue
        for stamp in archive.change_stamps(document):
            if wanted.wants_stamp(stamp):
                yield document, stamp, archive.read_change(document, stamp)


@click.command()
@click.option(
    "--document", "pattern", default="*", metavar="GLOB", help="Document ids, e.g. 'linkedin/*'."
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="L",
    help="A taxonomy label (consent, legitimate_interests...) or group (legal_basis, art9, "
    "control, data_category, purpose_flag); repeatable: any of them.",
)
@click.option(
    "--significance",
    "levels",
    multiple=True,
    metavar="S",
    help="substantive, minor or cosmetic; repeatable: any of them.",
)
@click.option("--since", metavar="DATE", help="Recorded on or after this date or timestamp (UTC).")
@click.option("--until", metavar="DATE", help="Recorded on or before this date or timestamp (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_obj
def changes(
    obj: Context,
    pattern: str,
    labels: tuple[str, ...],
    levels: tuple[str, ...],
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """List the recorded changes, filtered by document, label, significance and dates."""
    from tracker.classify.taxonomy import load_taxonomy
    from tracker.query.changes import ChangeFilter, label_choice, select, significance_choice
    from tracker.query.when import moment_of

    with errors():
        settings = obj.settings()
        groups: dict[str, str] = {}
        if labels:
            taxonomy = load_taxonomy(settings.taxonomy_path)
            groups = {label.value: spec.group.value for label, spec in taxonomy.labels.items()}
        wanted = ChangeFilter(
            document=pattern,
            labels=label_choice(labels, groups),
            significance=significance_choice(levels),
            since=moment_of(since, end_of_day=False) if since else "",
            until=moment_of(until) if until else "",
        )
        archive = Archive(settings.archive_dir)
        documents_matching(archive, pattern)
        found = select(_change_records(archive, wanted), wanted)
    if as_json:
        query = {
            "document": pattern,
            "labels": sorted(wanted.labels),
            "significance": sorted(wanted.significance),
            "since": wanted.since or None,
            "until": wanted.until or None,
        }
        data = {"query": query, "count": len(found), "changes": [c.to_dict() for c in found]}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for change in found:
        marks = " ".join(
            [f"+{label}" for label in change.gained]
            + [f"-{label}" for label in change.lost]
            + [label for label in change.matched if label not in change.gained + change.lost]
        )
        kinds = ", ".join(f"{n} {kind}" for kind, n in change.clauses) or "no clause"
        flip = f" (flip-back to {change.flip_back_of})" if change.flip_back_of else ""
        click.echo(
            f"{change.timestamp}  {change.document}  {change.significance}{flip}  {kinds}"
            + (f"  {marks}" if marks else "")
        )
        click.echo(f"    {change.document}/changes/{change.timestamp}.html")
    click.echo(f"{len(found)} changes", err=True)


@click.command(name="search")
@click.argument("phrase")
@click.option(
    "--document", "pattern", default="*", metavar="GLOB", help="Document ids, e.g. 'linkedin/*'."
)
@click.option(
    "--since",
    metavar="DATE",
    help="Only the versions in force on or after this date or timestamp (UTC).",
)
@click.option(
    "--ignore-accents", is_flag=True, help="Accent-insensitive: 'interet' finds 'intérêt'."
)
@click.option(
    "--excerpts",
    type=click.IntRange(0, 50),
    default=3,
    show_default=True,
    help="Excerpts kept per version.",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_obj
def search_(
    obj: Context,
    phrase: str,
    pattern: str,
    since: str | None,
    ignore_accents: bool,
    excerpts: int,
    as_json: bool,
) -> None:
    """Search every version for a phrase: where it first and last appears.

    Case-insensitive, whitespace-insensitive, within one paragraph, as the page reads (links
    and emphasis marks ignored).
    """
    from tracker.query.phrases import Needle
    from tracker.query.when import moment_of

    with errors():
        needle = Needle.of(phrase, accents=ignore_accents)
        archive = Archive(obj.settings().archive_dir)
        start = moment_of(since, end_of_day=False) if since else ""
        results = search_archive(archive, needle, pattern, start=start, excerpts=excerpts)
    if as_json:
        data = {
            "phrase": phrase,
            "folded": needle.folded,
            "ignore_accents": ignore_accents,
            "since": start or None,
            "documents": [r.to_dict() for r in results],
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    holding = [r for r in results if r.found]
    for result in holding:
        state = (
            "still in the latest version"
            if result.in_latest
            else f"gone from {result.removed_in} on"
        )
        click.secho(
            f"{result.document}: in {len(result.found)} of {len(result.searched)} versions; "
            f"first {result.first}, last {result.last} ({state})",
            bold=True,
        )
        if len(result.spans) > 1:
            runs = ", ".join(f"{a} → {b}" if a != b else a for a, b in result.spans)
            click.echo(f"  present in: {runs}")
        shown = [result.found[0], result.found[-1]] if len(result.found) > 1 else result.found
        for hits in shown:
            for hit in hits.hits:
                where = f" [{hit.section}]" if hit.section else ""
                click.echo(f"  {hits.version}{where}: {hit.excerpt}")
    searched = sum(len(r.searched) for r in results)
    click.echo(
        f"{phrase!r}: found in {len(holding)} of {len(results)} documents "
        f"({searched} versions searched)",
        err=True,
    )
