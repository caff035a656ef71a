"""``tracker site OUTPUT_DIR``: build the reading room, a static site, from the archive.

The building is in :mod:`tracker.site` (see its docstring for the URL scheme); this module
reads the options, holds the archive's lock shared while reading (no record is half-way
written meanwhile) and prints what was written.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from tracker.archive.store import Archive
from tracker.cli.common import Context, errors


@click.command(name="site")
@click.argument("output", metavar="OUTPUT_DIR", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--base-url",
    metavar="URL",
    help="Where the site will be served, e.g. https://example.org/tracker/ (for canonical "
    "links); the site's own links stay relative, so it also works from any folder.",
)
@click.pass_obj
def site(obj: Context, output: Path, base_url: str | None) -> None:
    """Build the static site: every document, version, change, comparison, and a search.

    Only the files whose bytes changed are rewritten; files of an earlier build that are no
    longer produced are removed (other files in OUTPUT_DIR are left alone).
    """
    from tracker.site.build import build_site

    started = time.perf_counter()
    with errors():
        archive = Archive(obj.settings().archive_dir)
        with archive.reading(wait=obj.lock_wait()):
            report = build_site(archive, output, base_url=base_url)
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
