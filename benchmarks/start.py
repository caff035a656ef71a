"""A light start: the whole ``tracker check`` process for one unchanged page, and its imports.

Serves a fixture page on 127.0.0.1, runs ``tracker check`` once to record it, then times
``--repeat`` more runs (each a new process; the page is unchanged) and prints the median. With
``--importtime``, prints the ten slowest imports of one such run (``python -X importtime``).

Usage: ``python benchmarks/start.py [--repeat 5] [--importtime]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import PageServer, Reply  # noqa: E402
from tests.writers import Workspace  # noqa: E402

PAGE = "linkedin/eu-regional-privacy-notice/v1.html"


def _run(workspace: Workspace, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, *flags, "-m", "tracker", *workspace.argv("check")]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"tracker check failed ({done.returncode}):\n{done.stderr}")
    return done


def _slowest_imports(stderr: str, count: int) -> list[tuple[int, str]]:
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    """Measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, PageServer() as server:
        url = server.route(f"/{PAGE}", Reply.page(PAGE))
        workspace = Workspace.create(Path(tmp))
        workspace.document("linkedin/eu-regional-privacy-notice", url)
        _run(workspace)  # the first record
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            done = _run(workspace)
            times.append(time.perf_counter() - started)
            if "unchanged" not in done.stdout:
                raise SystemExit(f"expected an unchanged check, got:\n{done.stdout}")
        print(
            f"one unchanged check, whole process: median {statistics.median(times):.3f} s "
            f"of {args.repeat} ({', '.join(f'{t:.3f}' for t in times)})"
        )
        if args.importtime:
            done = _run(workspace, "-X", "importtime")
            for cumulative, name in _slowest_imports(done.stderr, 15):
                print(f"{cumulative / 1e6:7.3f} s  {name}")


if __name__ == "__main__":
    main()
