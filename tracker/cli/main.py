"""The command line: ``tracker check | run | bot | status | send | outbox | import | history |
diff | show | changes | search | site | verify | export | validate``.

With :mod:`tracker.cli.alerts` (``send``, ``outbox``), :mod:`tracker.cli.status` (``status``),
:mod:`tracker.cli.queries` (``show``, ``changes``, ``search``), :mod:`tracker.cli.site` (``site``)
and :mod:`tracker.cli.common` (exit codes, error handling), the only modules that print, read
options and turn errors into exit codes: 0 success, 1 a document was inaccessible (with
``--strict``), ``verify`` found a mismatch, Telegram alerts failed or ``status`` found
something that needs a maintainer, 2 bad configuration or input, 3 archive failure (integrity
first: the run stopped).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracker import __version__
from tracker.archive.store import Archive
from tracker.cli.alerts import check_telegram, outbox, send, send_alerts_now
from tracker.cli.bot import bot
from tracker.cli.common import EXIT_INACCESSIBLE, Context, errors
from tracker.cli.queries import changes, search_, show
from tracker.cli.site import site
from tracker.cli.status import status
from tracker.errors import ArchiveError, ConfigError
from tracker.models import Outcome
from tracker.ops.logs import FORMATS
from tracker.ops.logs import setup as setup_logging
from tracker.query.archive import archive_document
from tracker.timestamps import to_stamp

if TYPE_CHECKING:  # the pipeline's imports take a while: `tracker status` does without them
    from tracker.classify.taxonomy import Taxonomy
    from tracker.pipeline import Result

log = logging.getLogger("tracker")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policy-tracker")
@click.option(
    "--config",
    "config_dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="TRACKER_CONFIG",
    help="Configuration folder [env TRACKER_CONFIG; default config/].",
)
@click.option(
    "--archive",
    "archive_dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="TRACKER_ARCHIVE",
    help="Archive folder [env TRACKER_ARCHIVE; default snapshots/].",
)
@click.option(
    "--db",
    envvar="TRACKER_DB",
    help="State database URL: sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
    "[env TRACKER_DB; default sqlite:///.tracker/state.sqlite3].",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    envvar="TRACKER_LOCK_WAIT",
    help="Seconds to wait for the archive's lock held by another process "
    "[env TRACKER_LOCK_WAIT; default 600, for ever for `run`].",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
    envvar="TRACKER_LOG_LEVEL",
    help="How much to log on standard error.",
)
@click.option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    envvar="TRACKER_LOG_FORMAT",
    help="Log lines as text, or as one JSON object per line [env TRACKER_LOG_FORMAT].",
)
@click.pass_context
def cli(
    ctx: click.Context,
    config_dir: Path | None,
    archive_dir: Path | None,
    db: str | None,
    wait: float | None,
    log_level: str,
    log_format: str,
) -> None:
    """Watch the legal pages of online platforms and archive what changed."""
    setup_logging(log_level, log_format, secret=os.environ.get("TELEGRAM_BOT_TOKEN"))
    ctx.obj = Context(config_dir, archive_dir, db, wait)


def _load_taxonomy(path: Path) -> Taxonomy:
    from tracker.classify.taxonomy import load_taxonomy

    return load_taxonomy(path)


def _print_result(result: Result) -> None:
    words = result.outcome.words
    line = f"{result.document}: {words}"
    if result.version:
        line += f" ({result.version})"
    if result.outcome in (Outcome.INACCESSIBLE, Outcome.SUSPECT):
        line += f": {result.cause}"
        if result.failures_in_row > 1:
            line += f" ({result.failures_in_row} checks in a row)"
        detail = result.detail.removeprefix(f"{result.document}: ")
        line += f" — {detail}" if detail else ""
        click.secho(line, fg="yellow")
        return
    if result.change is not None:
        from tracker.render import summary_line

        line += f": {summary_line(result.change)}"
    if result.recovered_after:
        line += f"; accessible again after {result.recovered_after} inaccessible checks"
    color = {Outcome.NEW_VERSION: "green", Outcome.FIRST_RECORD: "cyan"}.get(result.outcome)
    click.secho(line, fg=color)


@cli.command()
@click.option(
    "--document", "documents", multiple=True, metavar="ID", help="Only this document (repeatable)."
)
@click.option("--strict", is_flag=True, help="Exit with 1 when a document was inaccessible.")
@click.pass_obj
def check(obj: Context, documents: tuple[str, ...], strict: bool) -> None:
    """Run one tracking pass: fetch, extract and record each document once."""
    from tracker.ops import memory
    from tracker.runtime import build_deps, check_documents, publish

    memory.limit_arenas()  # the fetching threads would each get an arena of their own (ADR 0017)

    with errors():
        settings = obj.settings()
        chosen = settings.select(documents)
        results: list[Result] = []

        def seen(result: Result) -> None:
            _print_result(result)
            results.append(result)

        with build_deps(settings, lock_wait=obj.lock_wait()) as deps:
            try:
                check_documents(chosen, deps, on_result=seen)
            except ArchiveError:
                _publish(publish(deps, results))  # what was recorded is committed all the same
                raise
            send_alerts_now(settings, deps)
            _publish(publish(deps, results))
            if settings.site is not None:
                from tracker.site.refresh import SiteJob

                job = SiteJob(deps.archive, settings.site)
                job.note(results)
                _publish(job.refresh(wait=obj.lock_wait()))
    if strict and any(r.outcome is Outcome.INACCESSIBLE for r in results):
        sys.exit(EXIT_INACCESSIBLE)


def _publish(lines: list[str]) -> None:
    """Print what the archive's git history did (a push that failed in yellow)."""
    for line in lines:
        click.secho(line, fg="yellow" if "failed" in line else None)


@cli.command()
@click.option(
    "--health-port",
    type=click.IntRange(0, 65535),
    default=0,
    metavar="PORT",
    help="Serve GET /healthz and /metrics on this port (0: no server).",
)
@click.option(
    "--health-host",
    default="127.0.0.1",
    show_default=True,
    help="The address the health server listens on.",
)
@click.option(
    "--health-max-age",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="/healthz answers 503 when the last check is older than this "
    "[default: twice the longest wait between two runs of the most often checked document].",
)
@click.pass_obj
def run(obj: Context, health_port: int, health_host: str, health_max_age: float | None) -> None:
    """Run the scheduler: each document on its cron, until SIGTERM or Ctrl-C.

    Several workers may run on one configuration and database: one is active, the others
    stand by and take over within seconds when it stops or dies.
    """
    from tracker.classify.taxonomy import resolve
    from tracker.notify.outages import GATHER_SECONDS
    from tracker.ops.health import HealthOptions
    from tracker.ops.leadership import leadership_for
    from tracker.runtime import build_deps, publish, restore
    from tracker.scheduler import run_forever

    health = HealthOptions(health_host, health_port, health_max_age)
    with errors():
        settings = obj.settings()
        wait = obj.lock_wait(None)
        with build_deps(settings, lock_wait=wait, gather_seconds=GATHER_SECONDS) as deps:
            resolve(deps.taxonomy)  # a worker reads it at start: a bad taxonomy stops it (exit 2)
            site_job = None
            if settings.site is not None:
                from tracker.site.refresh import SiteJob

                site_job = SiteJob(deps.archive, settings.site)

            def publish_and_refresh(results: Sequence[Result], periodic: bool) -> None:
                _publish(publish(deps, results, periodic=periodic))
                if site_job is not None:  # once a minute at most, for all the records since
                    site_job.note(results)
                    if site_job.due():
                        _publish(site_job.refresh())

            run_forever(
                settings,
                deps,
                on_result=_print_result,
                send=lambda: send_alerts_now(settings, deps),
                health=health,
                leadership=leadership_for(settings.db_url, settings.archive_dir),
                publish=publish_and_refresh,
                on_takeover=lambda: restore(deps),
            )


@cli.command(name="import")
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--document", "document_id", required=True, metavar="ID", help="Document to fill.")
@click.option(
    "--attribution",
    default=None,
    help='Credit recorded with imported Markdown, e.g. "Open Terms Archive (ODC-BY 1.0)".',
)
@click.pass_obj
def import_(obj: Context, folder: Path, document_id: str, attribution: str | None) -> None:
    """Backfill history from dated YYYY-MM-DDTHH-MM-SSZ.html or .md files (no alerts)."""
    from tracker.backfill import backfill
    from tracker.runtime import build_deps, commit_command

    with errors():
        settings = obj.settings()
        (document,) = settings.select([document_id])
        if attribution is None and any(folder.glob("*.md")):
            attribution = "Open Terms Archive (ODC-BY 1.0)"
        with build_deps(settings, lock_wait=obj.lock_wait()) as deps:
            results = backfill(
                document,
                deps.archive,
                folder,
                deps.taxonomy,
                attribution=attribution,
                lock_wait=obj.lock_wait(),
            )
            counts: dict[str, int] = {}
            for result in results:
                word = result.outcome.words
                counts[word] = counts.get(word, 0) + 1
            summary = ", ".join(f"{n} {word}" for word, n in counts.items())
            pushed = commit_command(
                deps,
                f"Import history of {document_id}",
                [f"{len(results)} files from {folder.name}: {summary}"],
                document_id,
            )
    click.echo(f"{document_id}: imported {len(results)} files: {summary}")
    _publish(pushed)


@cli.command()
@click.argument("document_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_obj
def history(obj: Context, document_id: str, as_json: bool) -> None:
    """List the checks, versions and changes of one document."""
    with errors():
        settings = obj.settings()
        archive = Archive(settings.archive_dir)
        if document_id not in settings.documents and document_id not in archive.documents():
            raise ConfigError(f"unknown document {document_id}")
        data = _history(archive, document_id)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"{document_id}: {len(data['versions'])} versions, {len(data['checks'])} checks")
    for version in data["versions"]:
        flag = " (technical upgrade)" if version["technical_upgrade"] else ""
        click.echo(f"  version {version['timestamp']} {version['origin']}{flag}")
    for item in data["checks"][-20:]:
        cause = f" {item['cause']}" if item["cause"] else ""
        click.echo(f"  check   {item['timestamp']} {item['outcome']}{cause}")


def _history(archive: Archive, document_id: str) -> dict[str, Any]:
    from tracker.changes import clause_counts

    versions = []
    for version in archive.iter_versions(document_id):
        meta = version.meta
        versions.append(
            {
                "timestamp": version.timestamp,
                "technical_upgrade": version.technical_upgrade,
                "origin": meta.get("origin"),
                "previous": meta.get("previous"),
                "snapshot": meta.get("snapshot"),
                "raw_sha256": meta.get("raw_sha256"),
                "text_sha256": meta.get("text_sha256"),
                "rules_sha256": meta.get("rules_sha256"),
                "source_url": meta.get("source_url"),
                "path": f"versions/{version.timestamp}.md",
            }
        )
    checks = [
        {
            "timestamp": to_stamp(c.checked_at),
            "outcome": c.outcome.value,
            "cause": c.cause,
            "http_status": c.http_status,
            "version": c.version,
            "detail": c.detail,
        }
        for c in archive.checks(document_id)
    ]
    changes = []
    for stamp in archive.change_stamps(document_id):
        record = archive.read_change(document_id, stamp)
        changes.append(
            {
                "timestamp": stamp,
                "from": record.get("from"),
                "to": record.get("to"),
                "significance": record.get("significance"),
                "flip_back_of": record.get("flip_back_of"),
                "clauses": clause_counts(record),
                "labels": record.get("labels", []),
                "path": f"changes/{stamp}.json",
            }
        )
    return {"document": document_id, "versions": versions, "changes": changes, "checks": checks}


@cli.command()
@click.argument("document_id", metavar="ID")
@click.option(
    "--from",
    "from_stamp",
    metavar="WHEN",
    help="Older version: a stamp, a unique prefix of one, a date YYYY-MM-DD (the version in "
    "force at the end of that day, UTC) or a timestamp (default: the one before --to).",
)
@click.option(
    "--to", "to_stamp", metavar="WHEN", help="Newer version, as --from (default: the latest)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md", "html", "json"]),
    default="text",
    show_default=True,
    help="text is coloured on a terminal.",
)
@click.option("--color/--no-color", default=None, help="Force or disable colours (text format).")
@click.pass_obj
def diff(
    obj: Context,
    document_id: str,
    from_stamp: str | None,
    to_stamp: str | None,
    fmt: str,
    color: bool | None,
) -> None:
    """Compare any two versions of a document, clause by clause."""
    from tracker.changes import compare_classified, version_facts
    from tracker.compare.diff import change_to_dict
    from tracker.query.when import pair
    from tracker.render.html import render_change_page
    from tracker.render.markdown import render_change_markdown
    from tracker.render.text import render_change_text

    with errors():
        settings = obj.settings()
        archive = Archive(settings.archive_dir)
        stamps = archive_document(archive, document_id)
        if len(stamps) < 2:
            raise ConfigError(f"{document_id}: fewer than two versions in {settings.archive_dir}")
        chosen = pair(stamps, from_stamp, to_stamp, document_id)
        if not chosen.newer.exact:
            click.echo(f"--to {to_stamp}: {chosen.newer.describe()}", err=True)
        if not chosen.older.exact:
            click.echo(f"--from {from_stamp}: {chosen.older.describe()}", err=True)
        from_stamp, to_stamp = chosen.older.stamp, chosen.newer.stamp
        old = archive.read_version(document_id, from_stamp)
        new = archive.read_version(document_id, to_stamp)
        change = compare_classified(
            old.text,
            new.text,
            document=document_id,
            from_version=from_stamp,
            to_version=to_stamp,
            taxonomy=_load_taxonomy(settings.taxonomy_path),
        )
    title = str(new.meta.get("title") or document_id)
    source = str(new.meta.get("source_url") or "")
    if fmt == "json":
        click.echo(json.dumps(change_to_dict(change), indent=2, ensure_ascii=False))
    elif fmt == "md":
        click.echo(render_change_markdown(change, title=title, source_url=source), nl=False)
    elif fmt == "html":
        versions = [version_facts(old), version_facts(new)]
        page = render_change_page(change, title=title, source_url=source, versions=versions)
        click.echo(page, nl=False)
    else:
        use_color = sys.stdout.isatty() if color is None else color
        click.echo(
            render_change_text(change, title=title, color=use_color), nl=False, color=use_color
        )


@cli.command()
@click.option(
    "--document", "documents", multiple=True, metavar="ID", help="Only this document (repeatable)."
)
@click.pass_obj
def reclassify(obj: Context, documents: tuple[str, ...]) -> None:
    """Label recorded changes again with the current taxonomy (no alerts; records unchanged)."""
    from tracker.changes import reclassify as relabel
    from tracker.changes import taxonomy_tag
    from tracker.classify.taxonomy import resolve
    from tracker.runtime import build_deps, commit_command

    with errors():
        settings = obj.settings()
        chosen = settings.select(list(documents))
        with build_deps(settings, lock_wait=obj.lock_wait()) as deps:
            taxonomy, archive = resolve(deps.taxonomy), deps.archive
            relabelled = []
            with archive.writing(wait=obj.lock_wait(), waiting=log.warning):
                for document in chosen:
                    done = relabel(document, archive, taxonomy)
                    if done:
                        relabelled.append(f"{document.id}: {len(done)} changes")
                    click.echo(
                        f"{document.id}: {len(done)} changes classified again "
                        f"(changes/relabelled/*.{taxonomy_tag(taxonomy)}.json)"
                        if done
                        else f"{document.id}: every change is labelled with taxonomy "
                        f"{taxonomy.version}"
                    )
            _publish(
                commit_command(
                    deps,
                    f"Relabel changes: {len(relabelled)} documents (taxonomy {taxonomy.version})",
                    relabelled,
                )
            )


@cli.command()
@click.option(
    "--document", "documents", multiple=True, metavar="ID", help="Only this document (repeatable)."
)
@click.option(
    "--head",
    metavar="HEX",
    help="An archive head noted earlier: fail unless the archive's chain passes through it.",
)
@click.option(
    "--bundle",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    metavar="FILE.zip",
    help="Verify an evidence bundle made by `tracker export`, without any archive.",
)
@click.pass_obj
def verify(obj: Context, documents: tuple[str, ...], head: str | None, bundle: Path | None) -> None:
    """Check the hash chain and re-hash every record; exit 1 on any problem.

    The last line is the archive head, `head: <sha256>`: note it (or take it from an alert) to
    check later, with --head, that the history it vouches for was not rewritten.
    """
    from tracker.archive.verify import verify as verify_archive

    if bundle is not None:
        _verify_bundle(bundle, head, documents)
        return
    with errors():
        settings = obj.settings()
        result = verify_archive(Archive(settings.archive_dir), list(documents) or None, head=head)
    for report in result.reports:
        summary = (
            f"{report.versions} versions, {report.snapshots} snapshots, "
            f"{report.changes} change records, {report.entries} chain entries"
        )
        if report.ok:
            click.secho(f"{report.document}: ok ({summary})", fg="green")
            continue
        click.secho(f"{report.document}: {len(report.problems)} problems ({summary})", fg="red")
        for problem in report.problems:
            click.echo(f"  {problem}")
    for problem in result.problems:
        click.secho(f"archive: {problem}", fg="red")
    if not result.reports:
        click.echo(f"no document in {settings.archive_dir}")
    if head is not None and not result.problems:
        click.secho(f"the chain passes through {head}", fg="green")
    click.echo(f"head: {result.head or 'none (nothing recorded yet)'}")
    if not result.ok:
        sys.exit(EXIT_INACCESSIBLE)


def _verify_bundle(path: Path, head: str | None, documents: tuple[str, ...]) -> None:
    """``verify --bundle``: problems naming the member at fault, then ``head: <sha256>``."""
    from tracker.archive.bundle import read_bundle, verify_bundle

    with errors():
        if documents:
            raise ConfigError("--document does not apply to --bundle: a bundle holds one document")
        members, damaged = read_bundle(path)
        report = verify_bundle(members, head=head, damaged=damaged)
    summary = (
        f"{report.document or 'no document'}: {report.versions} versions, {report.records} "
        f"records, {report.entries} chain entries, {report.anchors} archive chain entries"
    )
    if report.ok:
        click.secho(f"{path}: ok ({summary})", fg="green")
    else:
        click.secho(f"{path}: {len(report.problems)} problems ({summary})", fg="red")
        for problem in report.problems:
            click.echo(f"  {problem}")
    if head is not None and report.ok:
        click.secho(f"the chain passes through {head}", fg="green")
    click.echo(f"head: {report.head or 'none'}")
    if not report.ok:
        sys.exit(EXIT_INACCESSIBLE)


@cli.command(name="export")
@click.argument("document_id", metavar="DOCUMENT")
@click.option(
    "--version",
    "version",
    metavar="TS",
    help="Only this version: its stamp YYYY-MM-DDTHH-MM-SSZ, or a date YYYY-MM-DD for the "
    "version in force at the end of that day (UTC). Default: every version.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.zip",
    help="The bundle to write (replaced atomically if it exists).",
)
@click.pass_obj
def export(obj: Context, document_id: str, version: str | None, output: Path) -> None:
    """Write an evidence bundle of a document: its records, ledgers, manifest and checksums.

    The zip holds each version's raw snapshot and metadata, its text, change record, the
    version before it and its extraction rules; its checks files and both hash chains;
    MANIFEST.json with the chain proof; SHA256SUMS; and VERIFY.md, how to check it all with
    standard tools.
    """
    from tracker.archive.export import build_bundle, write_bundle

    with errors():
        settings = obj.settings()
        archive = Archive(settings.archive_dir)
        bundle = build_bundle(archive, document_id, version, wait=obj.lock_wait())
        write_bundle(bundle, output)
    click.echo(f"{output}: {bundle.summary}")
    click.echo(f"head: {bundle.head}")


@cli.command()
@click.option(
    "--telegram",
    "ask_telegram",
    is_flag=True,
    help="Also ask Telegram whether the bot may post to each channel (exit 1 if not).",
)
@click.pass_obj
def validate(obj: Context, ask_telegram: bool) -> None:
    """Check every file under config/ and report the first problems found.

    An existing state database is also opened read-only: a file that is not a database, or
    cannot be read, is reported here rather than by the first run.
    """
    from tracker.state.store import probe

    with errors():
        settings = obj.settings()
        taxonomy = _load_taxonomy(settings.taxonomy_path)
        probe(settings.db_url)
    click.echo(
        f"configuration in {settings.config_dir} is valid: {len(settings.documents)} documents, "
        f"taxonomy {taxonomy.version} ({len(taxonomy.rules)} rules, "
        f"{len(taxonomy.labels)} labels)"
    )
    for document in settings.documents.values():
        twin = f" (translation of {document.translation_of})" if document.translation_of else ""
        click.echo(f"  {document.id} [{document.language}] {document.url}{twin}")
    token = "set" if settings.telegram.token else "not set: alerts are printed, kept pending"
    click.echo(f"{len(settings.channels)} Telegram channels (TELEGRAM_BOT_TOKEN {token})")
    for channel in settings.channels:
        followed = sum(1 for doc in settings.documents if channel.follows(doc))
        extra = f", labels {', '.join(channel.labels)}" if channel.labels else ""
        extra += ", digest" if channel.digest else ""
        click.echo(
            f"  {channel.name} → {channel.chat_id} [{channel.language}] {followed} documents, "
            f"{channel.min_significance.value} and above{extra}"
        )
    if ask_telegram:
        check_telegram(settings)


cli.add_command(send)
cli.add_command(bot)
cli.add_command(outbox)
cli.add_command(status)
cli.add_command(show)
cli.add_command(changes)
cli.add_command(search_)
cli.add_command(site)


def main() -> None:
    """Entry point of the ``tracker`` console script."""
    cli(prog_name="tracker")
