"""The cost of a pass as the archive grows: ``tracker check`` over N unchanged documents.

The generator writes, under a temporary folder (or ``--keep DIR``), a configuration of N
documents spread over 50 loopback hosts (``127.0.0.1`` to ``127.0.0.50``, one page server
each, no pause between requests to a host), and serves one fixture page per document. A first
``tracker check`` records every document (the archive's history: versions, checks, both
chains); then ``--history`` passes add check rows; then ``--runs`` passes over the unchanged
documents are measured, each as a real process (interpreter start-up and imports included):
wall time, time per document, and the process's peak RSS (``wait4``).

    .venv/bin/python benchmarks/passes.py [--sizes 100,300,1000] [--history 1] [--runs 1]
        [--checkout DIR] [--profile DIR] [--keep DIR]

``--checkout`` measures another checkout of the tracker (e.g. the main branch, for a before
and after); ``--profile DIR`` writes a cProfile of the last measured pass per size
(``DIR/pass-<N>.prof``, read with ``python -m pstats``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run import FixedPage  # noqa: E402 (after the sys.path set-up)

HOSTS = 50
PAGE = ROOT / "tests" / "fixtures" / "pages" / "linkedin" / "privacy-policy" / "v1.html"


@contextmanager
def page_servers(body: bytes) -> Iterator[list[str]]:
    """One page server per loopback host; yields their base URLs."""
    handler = type("Page", (FixedPage,), {"body": body})
    servers = [ThreadingHTTPServer((f"127.0.0.{n}", 0), handler) for n in range(1, HOSTS + 1)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield [f"http://127.0.0.{n}:{s.server_address[1]}" for n, s in enumerate(servers, 1)]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def generate(root: Path, size: int, hosts: list[str]) -> dict[str, str]:
    """Write the configuration of ``size`` documents; returns the environment to run with."""
    config_dir = root / "config"
    shutil.copytree(ROOT / "config" / "rules", config_dir / "rules")
    shutil.copy(ROOT / "config" / "taxonomy.toml", config_dir / "taxonomy.toml")
    (config_dir / "tracker.toml").write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay_seconds = 0\nretries = 0\n"
    )
    for n in range(size):
        path = config_dir / "documents" / "bench" / f"doc-{n:05d}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'title = "Benchmark document {n}"\nurl = "{hosts[n % len(hosts)]}/doc/{n}"\n'
            'language = "en"\nrules = "linkedin-legal"\n'
        )
    return {
        **os.environ,
        "TRACKER_CONFIG": str(config_dir),
        "TRACKER_ARCHIVE": str(root / "snapshots"),
        "TRACKER_DB": f"sqlite:///{root / 'state.db'}",
    }


def run_pass(env: dict[str, str], checkout: Path, profile: Path | None) -> tuple[float, float]:
    """One ``tracker check`` as a process: (seconds, peak RSS in MiB)."""
    env = {**env, "PYTHONPATH": str(checkout)}
    command = [sys.executable, "-m", "tracker", "check"]
    if profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), *command[1:]]
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"tracker check failed: {errors.read()[-2000:].decode('replace')}")
    return seconds, usage.ru_maxrss / 1024


def measure(size: int, args: argparse.Namespace, root: Path) -> str:
    """Lay out ``size`` documents, then time passes over them; one line of the report."""
    root.mkdir(parents=True, exist_ok=True)
    with page_servers(PAGE.read_bytes()) as hosts:
        env = generate(root, size, hosts)
        run_pass(env, args.checkout, None)  # first records
        for _ in range(args.history):
            run_pass(env, args.checkout, None)
        timings = []
        for run in range(args.runs):
            last = run == args.runs - 1
            profile = args.profile / f"pass-{size}.prof" if args.profile and last else None
            timings.append(run_pass(env, args.checkout, profile))
    seconds = min(t for t, _ in timings)
    rss = max(r for _, r in timings)
    return f"| {size:>5} | {seconds:8.1f} s | {seconds / size * 1000:7.1f} ms | {rss:6.1f} MiB |"


def main() -> None:
    """Measure each size and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000", help="comma-separated N")
    parser.add_argument("--history", type=int, default=1, help="unmeasured passes first")
    parser.add_argument("--runs", type=int, default=1, help="measured passes (the best kept)")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the tracker to measure")
    parser.add_argument("--profile", type=Path, help="write cProfile files into this folder")
    parser.add_argument("--keep", type=Path, help="lay the archives out here, and keep them")
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    print(f"tracker from {args.checkout}; {HOSTS} loopback hosts; best of {args.runs}")
    print("|     N |     pass |  per doc |   peak RSS |")
    print("| ---: | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        if args.keep:
            print(measure(size, args, args.keep / f"n{size}"), flush=True)
            continue
        with tempfile.TemporaryDirectory(prefix=f"passes-{size}-") as tmp:
            print(measure(size, args, Path(tmp)), flush=True)


if __name__ == "__main__":
    main()
