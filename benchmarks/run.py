"""Speed and memory of the tracker, beside a peer tool, in one run (``make bench``).

Measures, each command in its own process (wall time, and peak resident memory from
``wait4``):

1. ``tracker import`` of every real LinkedIn HTML series of ``../shared/corpus`` (raw snapshot →
   quality check → extraction → archive), one process per series;
2. one check of an unchanged page: the real EU Regional Privacy Notice (168 kB of HTML) served
   on 127.0.0.1, checked by ``tracker check`` and by urlwatch (the closest Python peer, with the
   same CSS selection and its html2text filter), after a first run that filled both caches;
3. the same check in-process (no interpreter start-up), to show where the time goes.

Both tools select the same elements: the tracker with its ``linkedin-legal`` rule set, urlwatch
with a ``css`` filter whose ``selector`` and ``exclude`` are that rule set's ``select`` and
``remove`` (then its ``html2text`` filter). The tracker runs this checkout's code (``PYTHONPATH``).

Usage: ``python benchmarks/run.py [--repeat N] [--skip-import] [--json FILE]
[--write FILE]``; ``make bench`` writes the JSON for ``benchmarks/report.py``, which puts the
summary of every benchmark beside urlwatch in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TRACKER_CORPUS") or ROOT.parent / "shared" / "corpus")
EU_PAGE = (
    CORPUS
    / "linkedin/eu-regional-privacy-notice/html/en_pga-reconstructed/2025-11-04T00-35-00Z.html"
)
BIN = Path(sys.executable).parent
LANGUAGE = {"fr-FR_france-elections": "fr", "fr_cote-d-ivoire": "fr", "hi-IN_india": "hi"}


@dataclass(frozen=True)
class Run:
    """One process: how long it took and its peak resident memory."""

    seconds: float
    max_rss_mib: float


def run_process(command: Sequence[str], env: dict[str, str], cwd: Path) -> Run:
    """Run a command to completion; its wall time and peak RSS (from wait4)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return Run(elapsed, usage.ru_maxrss / 1024)


class FixedPage(BaseHTTPRequestHandler):
    """Answers every GET with ``body`` as a UTF-8 HTML page (set on the class or a subclass)."""

    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(body: bytes) -> ThreadingHTTPServer:
    """Serve ``body`` on 127.0.0.1 at any path, in a daemon thread."""
    FixedPage.body = body
    server = ThreadingHTTPServer(("127.0.0.1", 0), FixedPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def tracker_env(**variables: str) -> dict[str, str]:
    """The environment of a tracker process: this checkout's code first on the path."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **variables}


def urlwatch_filter(rules: str = "linkedin-legal") -> str:
    """urlwatch's ``filter`` list (YAML) selecting what the tracker's rule set selects."""
    with (ROOT / "config" / "rules" / f"{rules}.toml").open("rb") as file:
        extract = tomllib.load(file)["extract"]
    return (
        f"filter:\n  - css:\n      selector: '{', '.join(extract['select'])}'\n"
        f"      exclude: '{', '.join(extract.get('remove', []))}'\n  - html2text\n"
    )


def write_config(folder: Path, documents: dict[str, tuple[str, str, str]]) -> None:
    """A config folder: no politeness delay, no retries; documents id → (url, language, rules)."""
    shutil.copytree(ROOT / "config" / "rules", folder / "rules")
    shutil.copy(ROOT / "config" / "taxonomy.toml", folder / "taxonomy.toml")  # now required
    (folder / "tracker.toml").write_text(
        "[fetch]\nretries = 0\nhost_delay_seconds = 0\nallow_private_addresses = true\n"
    )
    for doc_id, (url, language, rules) in documents.items():
        path = folder / "documents" / f"{doc_id}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'title = "{doc_id}"\nurl = "{url}"\nlanguage = "{language}"\nrules = "{rules}"\n'
        )


def bench_import(tmp: Path) -> tuple[list[tuple[str, int, Run]], Run]:
    """Import every LinkedIn HTML series, one process each."""
    series = sorted(p for p in (CORPUS / "linkedin").glob("*/html/*") if p.is_dir())
    documents = {}
    for folder in series:
        name = folder.parts[-3]
        rules = "linkedin-help" if name.startswith("help-center") else "linkedin-legal"
        language = LANGUAGE.get(folder.name, "en")
        if name == "professional-community-policies" and folder.name == "hi-IN_india":
            language = "en"  # served in English to the India instance
        documents[f"bench/{name}-{folder.name.lower()}"] = (
            f"https://www.linkedin.com/legal/{name}",
            language,
            rules,
        )
    config = tmp / "import-config"
    write_config(config, documents)
    env = tracker_env(
        TRACKER_CONFIG=str(config),
        TRACKER_ARCHIVE=str(tmp / "archive"),
        TRACKER_DB=f"sqlite:///{tmp}/import.db",
    )
    results = []
    for folder, doc_id in zip(series, documents, strict=True):
        files = len(list(folder.glob("*.html")))
        command = [str(BIN / "tracker"), "import", str(folder), "--document", doc_id]
        results.append((f"{folder.parts[-3]}/{folder.name}", files, run_process(command, env, tmp)))
    total = Run(sum(r.seconds for *_, r in results), max(r.max_rss_mib for *_, r in results))
    return results, total


def bench_unchanged_check(tmp: Path, repeat: int) -> dict[str, list[Run]]:
    """``tracker check`` and urlwatch on the same unchanged page, process by process."""
    server = serve(EU_PAGE.read_bytes())
    url = f"http://127.0.0.1:{server.server_port}/legal/privacy/eu"
    try:
        config = tmp / "check-config"
        write_config(config, {"linkedin/eu-regional-privacy-notice": (url, "en", "linkedin-legal")})
        env = tracker_env(
            TRACKER_CONFIG=str(config),
            TRACKER_ARCHIVE=str(tmp / "check-archive"),
            TRACKER_DB=f"sqlite:///{tmp}/check.db",
        )
        tracker = [str(BIN / "tracker"), "check"]
        watch = tmp / "urlwatch"
        watch.mkdir()
        (watch / "urls.yaml").write_text(f"name: eu-notice\nurl: {url}\n{urlwatch_filter()}")
        (watch / "urlwatch.yaml").write_text("report:\n  stdout:\n    enabled: true\n")
        urlwatch = [
            str(BIN / "urlwatch"),
            "--urls",
            str(watch / "urls.yaml"),
            "--config",
            str(watch / "urlwatch.yaml"),
            "--cache",
            str(watch / "cache.db"),
            "--hooks",
            str(watch / "hooks.py"),
        ]
        (watch / "hooks.py").write_text("")
        uenv = {**os.environ, "HOME": str(watch), "XDG_CONFIG_HOME": str(watch)}
        run_process(tracker, env, tmp)  # first record
        run_process(urlwatch, uenv, tmp)  # fills its cache
        runs: dict[str, list[Run]] = {"tracker check": [], "urlwatch 2.29": []}
        for _ in range(repeat):  # interleaved, so both see the same machine load
            runs["tracker check"].append(run_process(tracker, env, tmp))
            runs["urlwatch 2.29"].append(run_process(urlwatch, uenv, tmp))
        return runs
    finally:
        server.shutdown()


def bench_in_process(tmp: Path, repeat: int) -> dict[str, float]:
    """Median seconds of each step of one unchanged check, inside one process."""
    sys.path.insert(0, str(ROOT))
    from tracker import config as tracker_config
    from tracker.archive.store import Archive
    from tracker.classify.taxonomy import load_taxonomy
    from tracker.extract.extractor import extract
    from tracker.fetch.fetcher import HostPacer, new_session
    from tracker.fetch.quality import assess
    from tracker.pipeline import Deps, check
    from tracker.state.store import State
    from tracker.timestamps import utc_now

    body = EU_PAGE.read_bytes()
    server = serve(body)
    url = f"http://127.0.0.1:{server.server_port}/legal/privacy/eu"
    try:
        config = tmp / "inproc-config"
        write_config(config, {"linkedin/eu-regional-privacy-notice": (url, "en", "linkedin-legal")})
        settings = tracker_config.load(config, tmp / "inproc-archive", "sqlite://", environ={})
        document = settings.documents["linkedin/eu-regional-privacy-notice"]
        state = State("sqlite://")
        deps = Deps(
            http=new_session(settings.fetch),
            archive=Archive(tmp / "inproc-archive"),
            state=state,
            fetch_settings=settings.fetch,
            pacer=HostPacer(0),
            now=utc_now,
            taxonomy=load_taxonomy(settings.taxonomy_path),
        )
        check(document, deps)
        timings: dict[str, list[float]] = {"whole check": [], "assess": [], "extract": []}
        from tracker.models import Capture

        capture = Capture(
            document_id=document.id,
            requested_url=url,
            final_url=url,
            status=200,
            headers=(("Content-Type", "text/html; charset=utf-8"),),
            body=body,
            fetched_at=utc_now(),
        )
        for _ in range(repeat):
            start = time.perf_counter()
            check(document, deps)
            timings["whole check"].append(time.perf_counter() - start)
            start = time.perf_counter()
            assess(capture, expected_language="en")
            timings["assess"].append(time.perf_counter() - start)
            start = time.perf_counter()
            extract(body, document.rules, url=url)
            timings["extract"].append(time.perf_counter() - start)
        return {name: statistics.median(values) for name, values in timings.items()}
    finally:
        server.shutdown()


def report(
    imports: list[tuple[str, int, Run]],
    total: Run,
    checks: dict[str, list[Run]],
    in_process: dict[str, float],
    repeat: int,
) -> str:
    """The Markdown report."""
    cpu = platform.processor() or platform.machine()
    lines = [
        "# Benchmarks",
        "",
        "## One check of an unchanged page, beside urlwatch",
        "",
        f"Measured by `make bench` (`benchmarks/run.py`) on {datetime.now(UTC):%Y-%m-%d}: "
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()}. Each command runs in its own process; times are wall-clock, "
        "memory is the process's peak resident set (from `wait4`). Figures move by ±10 % "
        "from run to run on this shared machine; compare within one run.",
        "",
        f"The real EU Regional Privacy Notice ({EU_PAGE.stat().st_size // 1024} kB of HTML) "
        "served on 127.0.0.1; both tools had already seen it once. urlwatch runs with the same "
        "selection as the tracker's `linkedin-legal` rule set (a `css` filter with its "
        "`select` and `remove`) and its `html2text` filter. "
        f"{repeat} runs each, interleaved.",
        "",
        "| Tool | Median (s) | Min (s) | Max (s) | Peak memory (MiB) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for tool, runs in checks.items():
        seconds = [r.seconds for r in runs]
        lines.append(
            f"| {tool} | {statistics.median(seconds):.3f} | {min(seconds):.3f} "
            f"| {max(seconds):.3f} | {max(r.max_rss_mib for r in runs):.0f} |"
        )
    ours = statistics.median(r.seconds for r in checks["tracker check"])
    theirs = statistics.median(r.seconds for r in checks["urlwatch 2.29"])
    lines += [
        "",
        f"Ratio (urlwatch / tracker): {theirs / ours:.2f}. Most of a `tracker check` process "
        "is interpreter start-up and imports (pydantic and its models for the configuration, "
        "click, requests; lxml and APScheduler only when a page is parsed or a cron read); the "
        "check itself is the in-process figure below (an unchanged page is not parsed again: "
        "see "
        '"whole check"). `tracker run`, the deployed worker, is one long-lived process and '
        "pays the start-up once, whereas urlwatch is started by cron for every run. Per check the "
        "tracker also does more than urlwatch: block-page assessment, structured Markdown "
        "with tables, archive recovery, hashes and a `checks.csv` row.",
        "",
        "## Inside one process",
        "",
        "Median seconds over the same runs, without interpreter start-up:",
        "",
        "| Step | Median (ms) |",
        "| --- | ---: |",
    ]
    for name, step in in_process.items():
        lines.append(f"| {name} | {1000 * step:.1f} |")
    if imports:
        lines += ["", *import_section(imports, total)]
    return "\n".join(lines) + "\n"


def import_section(imports: list[tuple[str, int, Run]], total: Run) -> list[str]:
    """The Markdown lines of the import benchmark."""
    lines = [
        "## Importing the real LinkedIn HTML series",
        "",
        "`tracker import` of each series of `../shared/corpus/linkedin/*/html/*` into an empty "
        "archive: quality check, extraction, hashing, atomic writes, index.",
        "",
        "| Series | Files | Seconds | Per file (ms) | Peak memory (MiB) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    files = 0
    for name, count, run in imports:
        files += count
        lines.append(
            f"| {name} | {count} | {run.seconds:.2f} | {1000 * run.seconds / count:.0f} "
            f"| {run.max_rss_mib:.0f} |"
        )
    lines += [
        f"| **all {len(imports)} series** | **{files}** | **{total.seconds:.2f}** "
        f"| **{1000 * total.seconds / files:.0f}** | **{total.max_rss_mib:.0f}** (max) |",
        "",
        "Each process includes the interpreter start-up and imports (see the in-process "
        "figures above for the work itself).",
    ]
    return lines


def main() -> None:
    """Run every benchmark and print (or write) the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--write", type=Path, help="write the Markdown report to this file")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    parser.add_argument("--skip-import", action="store_true", help="skip the import benchmark")
    args = parser.parse_args()
    if not EU_PAGE.exists():
        raise SystemExit(f"corpus not found at {CORPUS}: set TRACKER_CORPUS")
    if not (BIN / "urlwatch").exists():
        raise SystemExit("urlwatch is not installed: pip install -e '.[bench]'")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        imports, total = ([], Run(0.0, 0.0)) if args.skip_import else bench_import(tmp)
        checks = bench_unchanged_check(tmp, args.repeat)
        in_process = bench_in_process(tmp, args.repeat)
    text = report(imports, total, checks, in_process, args.repeat)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "date": f"{datetime.now(UTC):%Y-%m-%dT%H:%MZ}",
            "repeat": args.repeat,
            "load_before": os.getloadavg()[0],
            "check": {
                tool: {
                    "median_seconds": statistics.median(r.seconds for r in runs),
                    "max_rss_mib": max(r.max_rss_mib for r in runs),
                    "runs": [r.seconds for r in runs],
                }
                for tool, runs in checks.items()
            },
            "in_process_ms": {k: 1000 * v for k, v in in_process.items()},
        }
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
