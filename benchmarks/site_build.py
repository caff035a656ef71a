"""``tracker site`` on the real imported history: full build, no-op rebuild, one new version.

Imports every LinkedIn series of ``../shared/corpus`` (read in place) into a temporary archive
(:mod:`site_corpus`, as ``tracker import`` does), then times, in this process:

- a full build into an empty folder (every page, compare page and copy);
- a rebuild with nothing new (every file compared, none written);
- a rebuild after one new version of the EU notice (a later file: its latest text with one more
  paragraph, imported like the others), with the files it wrote and removed.

The target (issue 14) is a full build under 30 s.

    .venv/bin/python benchmarks/site_build.py [--keep DIR] [--write FILE.md]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from site_corpus import CORPUS, import_corpus, rules_for, series  # noqa: E402 (after the sys.path set-up)

from tracker.archive.store import Archive  # noqa: E402
from tracker.backfill import backfill  # noqa: E402
from tracker.classify.taxonomy import load_taxonomy  # noqa: E402
from tracker.models import Document  # noqa: E402
from tracker.site.build import SiteReport, build_site  # noqa: E402

EU = "linkedin/eu-regional-privacy-notice"
NEW_STAMP = "2026-12-01T06-00-00Z"


def _add_version(tmp: Path, archive: Archive) -> None:
    latest = archive.latest_version(EU)
    if latest is None:
        sys.exit(f"{EU}: not imported")
    folder = tmp / "new-version"
    folder.mkdir()
    text = latest.text + "\n\nWe may also use your data to improve our benchmarks.\n"
    (folder / f"{NEW_STAMP}.md").write_text(text, encoding="utf-8")
    document = Document(
        id=EU,
        title=str(latest.meta.get("title") or EU),
        url=str(latest.meta.get("source_url") or ""),
        language="en",
        rules=rules_for("eu-regional-privacy-notice"),
    )
    backfill(document, archive, folder, load_taxonomy(ROOT / "config" / "taxonomy.toml"))


def _timed(archive: Archive, output: Path) -> tuple[str, SiteReport]:
    """The build's wall-clock and CPU time (the machine may be shared), and its report."""
    started, cpu = time.perf_counter(), time.process_time()
    report = build_site(archive, output)
    return (
        f"{time.perf_counter() - started:.1f} s ({time.process_time() - cpu:.1f} s CPU)",
        report,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Import and build here, and keep it.")
    parser.add_argument("--write", type=Path, help="Write the Markdown summary here.")
    args = parser.parse_args()
    if not (CORPUS / "manifest.json").is_file():
        sys.exit(f"corpus not found at {CORPUS} (set TRACKER_CORPUS)")
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="site-bench-"))
    try:
        started = time.perf_counter()
        files = import_corpus(tmp / "archive")
        imported = time.perf_counter() - started
        archive = Archive(tmp / "archive")
        documents = len(archive.documents())
        versions = sum(len(archive.version_stamps(d)) for d in archive.documents())
        full, first = _timed(archive, tmp / "site")
        again, noop = _timed(archive, tmp / "site")
        _add_version(tmp, archive)
        step, after = _timed(archive, tmp / "site")
        size = sum(p.stat().st_size for p in (tmp / "site").rglob("*") if p.is_file())
        lines = [
            "# `tracker site` on the real imported history",
            "",
            f"{len(series())} LinkedIn series of the corpus imported as {documents} documents "
            f"({files} files, {versions} versions) in {imported:.1f} s; "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{platform.machine()}, one process.",
            "",
            "| Build | Time | Files written | Unchanged | Removed |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| full, empty folder | {full} | {len(first.written)} | {first.unchanged} | "
            f"{len(first.removed)} |",
            f"| again, nothing new | {again} | {len(noop.written)} | {noop.unchanged} | "
            f"{len(noop.removed)} |",
            f"| after one new EU notice version | {step} | {len(after.written)} | "
            f"{after.unchanged} | {len(after.removed)} |",
            "",
            f"Site size: {size / 1e6:.1f} MB. Target (issue 14): a full build under 30 s.",
            "",
        ]
        text = "\n".join(lines)
        print(text)
        if args.write:
            args.write.write_text(text, encoding="utf-8")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
