"""Passes over many documents on many loopback hosts, beside urlwatch (``make bench-scale``).

N documents (100, 300, 1,000 and 3,000 by default) are spread round-robin over 50 loopback
hosts: 50 HTTP servers, each on its own address (``127.0.0.2`` ... ``127.0.0.51``) and port.
Every document is a real LinkedIn legal page of ``../shared/corpus`` (a rotation of the 67
HTML snapshots that have the ``#component-container`` of the ``linkedin-legal`` rule set),
with one paragraph naming the document added inside the container, so that no two documents
have the same text. Both tools select the same elements: the tracker with its
``linkedin-legal`` rule set, urlwatch with a ``css`` filter whose ``selector`` and ``exclude``
are that rule set's ``select`` and ``remove``, then its ``html2text`` filter.

For each N, both tools first run one pass that fills their archive (the tracker) or cache
(urlwatch); then each pass is timed, the tools interleaved so that they see the same machine
load. A pass is one whole process: ``tracker check`` (no politeness delay,
``host_delay_seconds = 0``, ``allow_private_addresses = true``, no retries) and ``urlwatch``
(its defaults: 10 worker threads). Wall time, time per document, and peak resident memory
(``ru_maxrss`` from ``os.wait4``) are recorded, with each tool's outcomes (all documents
should be unchanged). With ``--latency 0.25`` the servers wait 250 ms before answering each
request; ``--latency-n`` chooses the N measured that way.

``--run-hour`` measures ``tracker run`` instead: 300 documents (``--hour-documents``) on a
``* * * * *`` cron for ``--hour-minutes`` minutes (60 by default), the resident memory of the
process sampled every 10 s from ``/proc``; the growth is measured from the sample at
``--hour-warmup`` minutes (10 by default) to the end.

Results go to ``--json`` (read by ``benchmarks/report.py``) and, as Markdown, ``--write``.

Usage::

    python benchmarks/scale.py [--n 100 300 1000 3000] [--repeat 3] [--latency 0.25]
        [--latency-n 1000] [--json .bench/scale.json] [--write .bench/scale.md]
    python benchmarks/scale.py --run-hour [--hour-minutes 60] [--hour-warmup 10]
        [--json .bench/hour.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TRACKER_CORPUS") or ROOT.parent / "shared" / "corpus")
BIN = Path(sys.executable).parent
HOSTS = 50
RULES = "linkedin-legal"
CONTAINER = re.compile(rb'<[a-z][^>]*\bid="component-container"[^>]*>', re.IGNORECASE)
HTML_LANG = re.compile(rb'<html[^>]*\blang="([a-zA-Z]+)', re.IGNORECASE)
TRACKER = "tracker"
URLWATCH = "urlwatch"


# ------------------------------------------------------------------------------------ pages
@dataclass(frozen=True)
class Template:
    """A real page of the corpus, and where a document's own paragraph goes."""

    name: str
    body: bytes
    insert_at: int
    language: str


def templates() -> list[Template]:
    """Every LinkedIn legal HTML snapshot of the corpus with the rule set's container."""
    found = []
    for path in sorted(CORPUS.glob("linkedin/*/html/*/*.html")):
        body = path.read_bytes()
        container = CONTAINER.search(body)
        lang = HTML_LANG.search(body)
        if container and lang:
            found.append(
                Template(
                    path.relative_to(CORPUS).as_posix(),
                    body,
                    container.end(),
                    lang.group(1).decode().lower(),
                )
            )
    if not found:
        raise SystemExit(f"no LinkedIn legal HTML found under {CORPUS}: set TRACKER_CORPUS")
    return found


@dataclass(frozen=True)
class Document:
    """One tracked document of the benchmark: its id, host, path, page and language."""

    id: str
    host: int
    path: str
    body: bytes
    language: str


def documents(n: int, pages: Sequence[Template]) -> list[Document]:
    """N documents, round-robin over the hosts and the real pages, each with its own text."""
    result = []
    for i in range(n):
        page = pages[i % len(pages)]
        own = (f"<p>Copy {i} of {page.name} for the benchmark, document number {i}.</p>").encode()
        body = page.body[: page.insert_at] + own + page.body[page.insert_at :]
        result.append(
            Document(f"bench/d{i:05d}", i % HOSTS, f"/legal/d{i:05d}", body, page.language)
        )
    return result


# ----------------------------------------------------------------------------------- servers
class Pages:
    """What the servers answer: path → body, and the latency before each answer."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.latency = 0.0
        #: "id": a per-request id in the head; "text": a per-request line of page text
        #: outside the legal container (a banner); "none": the same bytes every time
        self.vary = "id"
        self.requests = 0
        self._lock = threading.Lock()

    def count(self) -> int:
        with self._lock:
            self.requests += 1
            return self.requests


PAGES = Pages()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        number = PAGES.count()
        if PAGES.latency:
            time.sleep(PAGES.latency)
        body = PAGES.bodies.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        if PAGES.vary == "id":
            # As LinkedIn's pages do (a per-request id in the page's configuration), every
            # answer differs from the last in a few bytes outside the legal text.
            body = body.replace(
                b"<head>", f'<head><meta name="request-id" content="{number}">'.encode(), 1
            )
        elif PAGES.vary == "text":
            # A banner whose words change at each request, outside the legal container: the
            # page must be parsed to know that the document's text did not change.
            body = body.replace(
                b"<body", f'<p class="notice">Request {number}</p><body'.encode(), 1
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def start_servers() -> list[_Server]:
    """50 servers, on 127.0.0.2 ... 127.0.0.51, each on a port of its own."""
    servers = []
    for host in range(HOSTS):
        server = _Server((f"127.0.0.{host + 2}", 0), _Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def url_of(document: Document, servers: Sequence[_Server]) -> str:
    """The URL of a document on its server."""
    address, port = servers[document.host].server_address[:2]
    return f"http://{address!s}:{port}{document.path}"


# ---------------------------------------------------------------------------- the two tools
def rule_set() -> dict[str, Any]:
    """The ``[extract]`` table of the rule set both tools use."""
    with (ROOT / "config" / "rules" / f"{RULES}.toml").open("rb") as file:
        extract: dict[str, Any] = tomllib.load(file)["extract"]
    return extract


def tracker_env(folder: Path) -> dict[str, str]:
    """The environment of a tracker process working in ``folder`` (this checkout's code)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "TRACKER_CONFIG": str(folder / "config"),
        "TRACKER_ARCHIVE": str(folder / "archive"),
        "TRACKER_DB": f"sqlite:///{folder}/state.sqlite3",
    }


#: ``tracker ARGS`` as the console script runs it, printing the process's own peak resident set
#: (``VmHWM``, without its ``git`` children) on standard error at exit.
_OWN_PEAK = (
    "import atexit, sys\n"
    "def _peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    print('OWN-PEAK-KB', status.split('VmHWM:')[1].split()[0], file=sys.stderr)\n"
    "atexit.register(_peak)\n"
    "from tracker.cli.main import main\n"
    "sys.argv[0] = 'tracker'\n"
    "main()\n"
)


def tracker_measured_command(*args: str) -> list[str]:
    """:func:`tracker_command`, telling its own peak memory apart from its children's."""
    return [sys.executable, "-c", _OWN_PEAK, *args]


def tracker_command(*args: str) -> list[str]:
    """``tracker ARGS``: the console script of this interpreter, else ``python -m tracker``."""
    script = BIN / "tracker"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "tracker", *args]


def write_tracker_config(
    folder: Path, docs: Sequence[Document], servers: Sequence[_Server], cron: str | None = None
) -> None:
    """The tracker's config folder: no politeness delay, loopback allowed, one file a document."""
    config = folder / "config"
    shutil.copytree(ROOT / "config" / "rules", config / "rules")
    shutil.copy(ROOT / "config" / "taxonomy.toml", config / "taxonomy.toml")
    text = "[fetch]\nretries = 0\nhost_delay_seconds = 0\nallow_private_addresses = true\n"
    if cron:
        text += f'\n[schedule]\ncron = "{cron}"\njitter_seconds = 0\n'
    (config / "tracker.toml").write_text(text, encoding="utf-8")
    (config / "documents" / "bench").mkdir(parents=True)
    for doc in docs:
        name = doc.id.split("/", 1)[1]
        (config / "documents" / "bench" / f"{name}.toml").write_text(
            f'title = "{doc.id}"\nurl = "{url_of(doc, servers)}"\n'
            f'language = "{doc.language}"\nrules = "{RULES}"\n',
            encoding="utf-8",
        )


def write_urlwatch_config(
    folder: Path, docs: Sequence[Document], servers: Sequence[_Server]
) -> None:
    """urlwatch's jobs (same selection as the rule set, then html2text), config and hooks."""
    extract = rule_set()
    selector = ", ".join(extract["select"])
    exclude = ", ".join(extract.get("remove", []))
    jobs = []
    for doc in docs:
        jobs.append(
            f"name: {doc.id}\nurl: {url_of(doc, servers)}\nfilter:\n"
            f"  - css:\n      selector: '{selector}'\n      exclude: '{exclude}'\n"
            "  - html2text\n"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "urls.yaml").write_text("---\n".join(jobs), encoding="utf-8")
    (folder / "urlwatch.yaml").write_text("report:\n  stdout:\n    enabled: true\n")
    (folder / "hooks.py").write_text("")


def urlwatch_command(folder: Path) -> list[str]:
    """urlwatch on the jobs, config, cache and hooks of ``folder``."""
    script = BIN / "urlwatch"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "urlwatch"]
    return [
        *command,
        "--urls",
        str(folder / "urls.yaml"),
        "--config",
        str(folder / "urlwatch.yaml"),
        "--cache",
        str(folder / "cache.db"),
        "--hooks",
        str(folder / "hooks.py"),
    ]


def urlwatch_env(folder: Path) -> dict[str, str]:
    """urlwatch's environment: its home in ``folder``, nothing read from the user's."""
    return {**os.environ, "HOME": str(folder), "XDG_CONFIG_HOME": str(folder)}


# --------------------------------------------------------------------------------- measuring
@dataclass(frozen=True)
class Run:
    """One whole process: wall seconds, peak RSS, and what it reported per document."""

    seconds: float
    max_rss_mib: float
    outcomes: dict[str, int]
    #: the tracker process alone (``VmHWM``), without the ``git`` it runs; None for urlwatch
    own_rss_mib: float | None = None


def run_process(command: Sequence[str], env: dict[str, str], cwd: Path, tool: str) -> Run:
    """Run a command to completion; its wall time, peak RSS (wait4) and outcomes."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    if code != 0 and not (tool == TRACKER and code == 1):
        raise SystemExit(f"{' '.join(command[:3])} ... failed ({code}):\n{stderr[-3000:]}")
    own = re.search(r"^OWN-PEAK-KB (\d+)$", stderr, re.MULTILINE)
    return Run(
        elapsed,
        usage.ru_maxrss / 1024,
        outcomes(tool, stdout),
        int(own.group(1)) / 1024 if own else None,
    )


def outcomes(tool: str, stdout: str) -> dict[str, int]:
    """Outcome → documents, from a tracker's lines or urlwatch's report."""
    counts: Counter[str] = Counter()
    if tool == TRACKER:
        for line in stdout.splitlines():
            match = re.match(r"bench/d\d+: ([a-z -]+?)(?: \(|:|$)", line)
            if match:
                counts[match.group(1)] += 1
    else:
        for line in stdout.splitlines():
            match = re.match(r"(NEW|CHANGED|ERROR|UNCHANGED): ", line)
            if match:
                counts[match.group(1).lower()] += 1
    return dict(counts)


@dataclass
class Pass:
    """All timed passes of one tool at one N and latency."""

    tool: str
    n: int
    latency: float
    runs: list[Run] = field(default_factory=list)
    primed: dict[str, int] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def max_rss_mib(self) -> float:
        return max(r.max_rss_mib for r in self.runs)

    @property
    def own_rss_mib(self) -> float | None:
        owns = [r.own_rss_mib for r in self.runs if r.own_rss_mib is not None]
        return max(owns) if owns else None


def bench_n(
    n: int,
    pages: Sequence[Template],
    servers: Sequence[_Server],
    repeat: int,
    latencies: Sequence[float],
    tmp: Path,
) -> list[Pass]:
    """Both tools at N documents: one priming pass each, then ``repeat`` timed passes each."""
    docs = documents(n, pages)
    PAGES.bodies = {d.path: d.body for d in docs}
    folder = tmp / f"n{n}"
    write_tracker_config(folder / "tracker", docs, servers)
    write_urlwatch_config(folder / "urlwatch", docs, servers)
    commands = {
        TRACKER: (tracker_measured_command("check"), tracker_env(folder / "tracker")),
        URLWATCH: (urlwatch_command(folder / "urlwatch"), urlwatch_env(folder / "urlwatch")),
    }
    results: list[Pass] = []
    PAGES.latency = 0.0
    primed = {
        tool: run_process(command, env, folder, tool).outcomes
        for tool, (command, env) in commands.items()
    }
    for latency in latencies:
        PAGES.latency = latency
        passes = {tool: Pass(tool, n, latency, primed=primed[tool]) for tool in commands}
        for index in range(repeat):
            order = list(commands) if index % 2 == 0 else list(reversed(commands))
            for tool in order:
                command, env = commands[tool]
                run = run_process(command, env, folder, tool)
                passes[tool].runs.append(run)
                print(
                    f"  N={n} latency={latency:g}s {tool}: {run.seconds:.2f} s, "
                    f"{run.max_rss_mib:.0f} MiB, {run.outcomes}",
                    file=sys.stderr,
                    flush=True,
                )
        results += passes.values()
    PAGES.latency = 0.0
    shutil.rmtree(folder, ignore_errors=True)
    return results


# ------------------------------------------------------------------------------- run an hour
def rss_mib(pid: int) -> float | None:
    """The resident set of a process, in MiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def bench_hour(
    n: int,
    minutes: float,
    warmup: float,
    interval: float,
    pages: Sequence[Template],
    servers: Sequence[_Server],
    tmp: Path,
) -> dict[str, Any]:
    """``tracker run`` on N documents every minute; RSS samples every ``interval`` seconds."""
    docs = documents(n, pages)
    PAGES.bodies = {d.path: d.body for d in docs}
    folder = tmp / "hour"
    write_tracker_config(folder, docs, servers, cron="* * * * *")
    log = folder / "run.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            tracker_command("run"),
            env={**tracker_env(folder), "TRACKER_LOG_LEVEL": "info"},
            cwd=folder,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        samples: list[tuple[float, float]] = []
        start = time.monotonic()
        requests_before = PAGES.requests
        try:
            while (elapsed := time.monotonic() - start) < minutes * 60:
                if process.poll() is not None:
                    raise SystemExit(f"tracker run stopped early:\n{log.read_text()[-3000:]}")
                rss = rss_mib(process.pid)
                if rss is not None:
                    samples.append((elapsed, rss))
                    print(f"  {elapsed:6.0f} s: {rss:.1f} MiB", file=sys.stderr, flush=True)
                time.sleep(max(0.0, interval - (time.monotonic() - start - elapsed)))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    after = [rss for t, rss in samples if t >= warmup * 60]
    base = after[0] if after else None
    checks = sum(
        1 for line in log.read_text(errors="replace").splitlines() if "document=bench/d" in line
    )
    return {
        "documents": n,
        "minutes": minutes,
        "warmup_minutes": warmup,
        "interval_seconds": interval,
        "requests": PAGES.requests - requests_before,
        "vary": PAGES.vary,
        "checks_logged": checks,
        "samples": samples,
        "rss_at_warmup_mib": base,
        "rss_end_mib": after[-1] if after else None,
        "rss_max_after_warmup_mib": max(after) if after else None,
        "growth": (max(after) - base) / base if after and base else None,
    }


# ------------------------------------------------------------------------------------- report
def machine() -> dict[str, Any]:
    """When and on what the figures were measured."""
    load = os.getloadavg()
    return {
        "date": f"{datetime.now(UTC):%Y-%m-%dT%H:%MZ}",
        "cores": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "system": platform.system(),
        "load_before": round(load[0], 2),
    }


def pass_to_dict(p: Pass) -> dict[str, Any]:
    """A pass's runs and summary figures, for the JSON results."""
    return {
        "tool": p.tool,
        "n": p.n,
        "latency": p.latency,
        "primed": p.primed,
        "runs": [asdict(r) for r in p.runs],
        "median_seconds": p.median,
        "per_document_ms": 1000 * p.median / p.n,
        "max_rss_mib": p.max_rss_mib,
        "own_rss_mib": p.own_rss_mib,
    }


def _mib(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _served(vary: bool | str | None) -> str:
    if vary in (False, "none"):
        return "each page served byte for byte the same every time"
    if vary == "text":
        return (
            "each answer carrying a per-request line of text outside the legal container (a "
            "banner), so that every page must be parsed to know that its text is the same"
        )
    return (
        "each answer carrying a per-request id in its `<head>`, as LinkedIn's pages do, so "
        "that no two answers are the same bytes (the text is the same)"
    )


def markdown(data: dict[str, Any]) -> str:
    """The detail tables of a scale run (the summary is ``benchmarks/report.py``'s)."""
    lines = [
        "## Passes over many documents on 50 loopback hosts",
        "",
        f"Measured by `benchmarks/scale.py` on {data['machine']['date']}: "
        f"{data['machine']['cores']} cores, Python {data['machine']['python']}, load average "
        f"{data['machine']['load_before']} at the start. N documents round-robin over 50 "
        "HTTP servers on 127.0.0.2 to .51, each a real LinkedIn legal page of the corpus (a "
        f"rotation of {data['templates']} snapshots) with a paragraph of its own, "
        f"{_served(data.get('vary'))}; both tools "
        "primed by one pass, then each pass a whole process (`tracker check`, no politeness "
        "delay; `urlwatch` with its 10 worker threads), interleaved; "
        f"{data['repeat']} timed pass{'' if data['repeat'] == 1 else 'es'} per tool and "
        "case, median shown. Memory is the "
        "process's peak resident set (`ru_maxrss`, `os.wait4`: the largest of the process "
        "and the children it waited for, such as the `git` that commits the tracker's "
        "archive and, now and then, packs it); *own* is the tracker process alone (its "
        "`VmHWM` at exit), where measured.",
        "",
        "| N | Server latency | Tool | Median pass (s) | Per document (ms) | Peak RSS (MiB) "
        "| Own peak RSS (MiB) | Outcomes of the timed passes |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for p in data["passes"]:
        outcome = ", ".join(f"{k} {v}" for k, v in sorted(p["runs"][-1]["outcomes"].items()))
        lines.append(
            f"| {p['n']:,} | {1000 * p['latency']:.0f} ms | {p['tool']} "
            f"| {p['median_seconds']:.2f} | {p['per_document_ms']:.1f} "
            f"| {p['max_rss_mib']:.0f} | {_mib(p.get('own_rss_mib'))} "
            f"| {outcome or '(none reported)'} |"
        )
    lines += [
        "",
        "urlwatch reports nothing for an unchanged job, so its outcomes list only errors, "
        "new and changed jobs.",
    ]
    return "\n".join(lines) + "\n"


def hour_markdown(hour: dict[str, Any]) -> str:
    """The Markdown of a ``--run-hour`` measurement."""
    lines = [
        "## `tracker run` for a while",
        "",
        f"`tracker run` on {hour['documents']} documents (50 loopback hosts) with the cron "
        f"`* * * * *`, for {hour['minutes']:g} minutes; resident memory of the process "
        f"(`VmRSS` of `/proc/<pid>/status`, without the short-lived `git` children) sampled "
        f"every {hour['interval_seconds']:g} s; {_served(hour.get('vary'))}; "
        f"{hour['requests']} page requests served, {hour['checks_logged']} checks logged: "
        f"{hour['checks_logged'] / hour['minutes']:.0f} a minute, where the cron asks for "
        f"{hour['documents']} (fewer: passes took longer than a minute, and the scheduler "
        "never runs two checks of one document at once).",
        "",
    ]
    if hour["growth"] is None:
        lines.append("Too short a run: no sample after the warm-up.")
    else:
        lines.append(
            f"RSS at {hour['warmup_minutes']:g} min: {hour['rss_at_warmup_mib']:.1f} MiB; "
            f"highest after it: {hour['rss_max_after_warmup_mib']:.1f} MiB; at the end: "
            f"{hour['rss_end_mib']:.1f} MiB; growth {100 * hour['growth']:.1f} %."
        )
    every = max(1, len(hour["samples"]) // 12)
    lines += ["", "| Minute | RSS (MiB) |", "| ---: | ---: |"]
    for t, rss in hour["samples"][::every]:
        lines.append(f"| {t / 60:.1f} | {rss:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the scale passes (or ``tracker run`` for a while) and write the results."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100, 300, 1000, 3000])
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per tool and case")
    parser.add_argument("--latency", type=float, default=0.25, help="0: no latency case")
    parser.add_argument(
        "--latency-n", type=int, nargs="*", default=[1000], help="the N measured with latency"
    )
    parser.add_argument("--run-hour", action="store_true", help="measure `tracker run` instead")
    parser.add_argument("--hour-documents", type=int, default=300)
    parser.add_argument("--hour-minutes", type=float, default=60)
    parser.add_argument("--hour-warmup", type=float, default=10)
    parser.add_argument("--hour-interval", type=float, default=10)
    parser.add_argument(
        "--vary",
        choices=("id", "text", "none"),
        default="id",
        help="what differs between two answers of a page: a per-request id in its head (the "
        "default, as LinkedIn's pages), a line of text outside the legal container, or nothing",
    )
    parser.add_argument("--same-bytes", action="store_true", help="the same as --vary none")
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--write", type=Path, help="write the Markdown tables to this file")
    args = parser.parse_args()
    PAGES.vary = "none" if args.same_bytes else args.vary
    if not args.run_hour and not (BIN / "urlwatch").exists():
        raise SystemExit("urlwatch is not installed: pip install -e '.[bench]'")
    pages = templates()
    servers = start_servers()
    data: dict[str, Any] = {
        "machine": machine(),
        "templates": len(pages),
        "vary": PAGES.vary,
    }
    try:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as name:
            tmp = Path(name)
            if args.run_hour:
                data["hour"] = bench_hour(
                    args.hour_documents,
                    args.hour_minutes,
                    args.hour_warmup,
                    args.hour_interval,
                    pages,
                    servers,
                    tmp,
                )
                text = hour_markdown(data["hour"])
            else:
                data["repeat"] = args.repeat
                passes: list[Pass] = []
                for n in args.n:
                    latencies = [0.0]
                    if args.latency and n in args.latency_n:
                        latencies.append(args.latency)
                    passes += bench_n(n, pages, servers, args.repeat, latencies, tmp)
                data["passes"] = [pass_to_dict(p) for p in passes]
                text = markdown(data)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=1), encoding="utf-8")
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
