"""``tracker site OUTPUT_DIR``: build the reading room, a static site, from the archive.

The building is in :mod:`tracker.site` (see its docstring for the URL scheme); this module
reads the options, builds with the feeds under the archive's shared lock
(:func:`tracker.site.refresh.build_with_feeds`), publishes on demand and prints what was
written.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from tracker.archive.store import Archive
from tracker.cli.common import Context, errors


@click.command(name="site")
@click.argument(
    "output",
    metavar="[OUTPUT_DIR]",
    required=False,
    type=click.Path(path_type=Path, file_okay=False),
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Where the site will be served, e.g. https://example.org/tracker/ (for canonical "
    "links and the feeds' absolute links); the site's own links stay relative, so it also "
    "works from any folder. [default: [site] base_url]",
)
@click.option(
    "--publish",
    "publish_too",
    is_flag=True,
    help="Then publish it as [site] in tracker.toml says (publish_dir, publish_remote).",
)
@click.pass_obj
def site(obj: Context, output: Path | None, base_url: str | None, publish_too: bool) -> None:
    """Build the static site: every document, version, change, comparison, a search and the
    Atom feeds, into OUTPUT_DIR [default: [site] output].

    Only the files whose bytes changed are rewritten; files of an earlier build that are no
    longer produced are removed (other files in OUTPUT_DIR are left alone).
    """
    from tracker.site.publish import publish
    from tracker.site.refresh import build_with_feeds

    started = time.perf_counter()
    with errors():
        settings = obj.settings()
        configured = settings.site
        if output is None:
            if configured is None:
                raise click.UsageError(
                    "give OUTPUT_DIR, or set [site] output in tracker.toml (see the README)"
                )
            output = configured.output
        if base_url is None and configured is not None:
            base_url = configured.base_url
        if publish_too and configured is None:
            raise click.UsageError("--publish needs a [site] section in tracker.toml")
        archive = Archive(settings.archive_dir)
        report = build_with_feeds(archive, output, base_url=base_url, wait=obj.lock_wait())
        lines = (
            publish(output, configured, archive=archive.root)
            if publish_too and configured is not None
            else []
        )
    for path in report.written[:20]:
        click.echo(f"  wrote {path}")
    if len(report.written) > 20:
        click.echo(f"  … and {len(report.written) - 20} more")
    for path in report.removed:
        click.echo(f"  removed {path}")
    click.echo(
        f"{output}: {len(report.written)} files written, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed in {time.perf_counter() - started:.1f} s; "
        f"open {output / 'index.html'}"
    )
    for line in lines:
        click.echo(line)
