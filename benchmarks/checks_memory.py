"""Peak memory of a check on a document with a long history: one year of checks every minute.

The generator writes one document whose ``checks/<year>.csv`` holds ``--rows`` rows (300,000
by default, about 70 MB: seven months of checks every minute) and commits them to its chain
(about 75 MB). Then a new process does what a check does with them: append one row, commit it
to the chain, sum up the checks for the document's index. It prints the process's peak RSS:
the archive's files are streamed, never held whole, so it stays that of an idle interpreter.

    .venv/bin/python benchmarks/checks_memory.py [--rows N] [--checkout DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = "bench/doc"
START = datetime(2026, 1, 1, tzinfo=UTC)

CHILD = """
import resource, sys
from datetime import UTC, datetime
from pathlib import Path
from tracker.archive.store import Archive
from tracker.models import CheckRecord, Outcome
archive = Archive(Path(sys.argv[1]))
with archive.writing():
    archive.append_check(
        "bench/doc",
        CheckRecord(checked_at=datetime(2026, 12, 7, tzinfo=UTC), outcome=Outcome.UNCHANGED),
    )
    added = archive.commit("bench/doc")
    count = archive.checks_summary("bench/doc").count
print(added, count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def generate(root: Path, rows: int) -> None:
    """Write the document's checks file and commit it to the chain (with this checkout)."""
    sys.path.insert(0, str(ROOT))
    from tracker.archive.store import CHECK_COLUMNS, Archive

    archive = Archive(root)
    path = archive.folder(DOCUMENT) / "checks" / f"{START.year}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CHECK_COLUMNS)
    for n in range(rows):
        at = (START + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow(
            [
                at,
                "unchanged",
                "",
                200,
                "a" * 64,
                "b" * 64,
                "2026-01-01T00-00-00Z",
                "https://www.linkedin.com/legal/privacy-policy",
                "",
            ]
        )
    path.write_text(buffer.getvalue())
    with archive.writing():
        archive.commit(DOCUMENT)


def measure(root: Path, checkout: Path) -> str:
    """Run the check's archive work in a new process; its line of the report."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    added, count, rss = done.stdout.split()
    return f"rows committed {added}, checks counted {count}, peak RSS {rss} MiB ({checkout})"


def main() -> None:
    """Generate, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the tracker to measure")
    parser.add_argument("--keep", type=Path, help="lay the archive out here, and keep it")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.rows)
        return
    with tempfile.TemporaryDirectory(prefix="checks-memory-") as tmp:
        root = args.keep or Path(tmp)
        # In another process: a child's peak RSS starts at its parent's (fork keeps it).
        subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--generate", str(root)],
            check=True,
        )
        print(measure(root, args.checkout))


if __name__ == "__main__":
    main()
