"""Speed and memory of the comparison stage, beside EDGI's web-monitoring-diff, in one run.

1. The whole path on the real pair of EU Regional Privacy Notice snapshots
   (``eu-regional-privacy-notice/html/en_pga-reconstructed``, 2025-09-18 → 2025-11-04): two raw
   HTML pages → :func:`tracker.extract.extractor.extract` (rule set ``linkedin-legal``) →
   :func:`tracker.compare.diff.compare` → :func:`tracker.compare.diff.change_to_dict` and
   ``json.dumps`` →
   :func:`tracker.render.html.render_change_page`; beside web-monitoring-diff's
   ``html_diff_render`` (the "highlighted rendered" page diff) and ``html_text_diff`` (visible
   text through diff-match-patch) on the same two raw pages. Each run of each tool is its own
   process, interleaved with the others; the time is measured inside the process around the
   work only (no interpreter start-up or imports), the memory is the process's peak resident
   set (``ru_maxrss`` from ``os.wait4``), with the same process doing only its imports as a
   baseline.
2. :func:`tracker.compare.diff.compare` alone on every consecutive pair of every LinkedIn Markdown
series
   of the corpus (``linkedin/*/markdown/*``), each file normalised as ``tracker import`` does.

web-monitoring-diff 0.2.0 imports ``html5-parser``, which refuses to load beside an ``lxml``
linked to another libxml2 (PyPI's lxml wheels bundle their own), so it usually needs its own
virtual environment with lxml built from source, at the versions pinned in
``benchmarks/peers/`` (``make bench-diff`` does this)::

    python3 -m venv .venv/peer-wmd
    PIP_CONSTRAINT=benchmarks/peers/web-monitoring-diff-build.txt .venv/peer-wmd/bin/pip \\
        install --no-binary lxml,html5-parser -r benchmarks/peers/web-monitoring-diff.txt

Usage: ``python benchmarks/diff.py [--runs N] [--render-runs N] [--peer-python PATH]
[--write docs/benchmarks-diff.md]``. The peer interpreter is ``--peer-python``, else
``$WMD_PYTHON``, else ``.venv/peer-wmd/bin/python`` when it exists, else this interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TRACKER_CORPUS") or ROOT.parent / "shared" / "corpus")
EU_PAIR = CORPUS / "linkedin/eu-regional-privacy-notice/html/en_pga-reconstructed"
OLD_HTML = EU_PAIR / "2025-09-18T12-34-39Z.html"
NEW_HTML = EU_PAIR / "2025-11-04T00-35-00Z.html"
EU_URL = "https://www.linkedin.com/legal/privacy/eu"
EU_DOCUMENT = "linkedin/eu-regional-privacy-notice"
DEFAULT_PEER = ROOT / ".venv" / "peer-wmd" / "bin" / "python"
#: The target of the issue: html_diff_render at least this many times slower than our path.
TARGET_RATIO = 10.0
#: ... and no Markdown pair slower than this in compare().
TARGET_PAIR_SECONDS = 1.0

# Tools of part 1: name → (child mode, runs on the peer interpreter?)
OURS = "tracker: extract → compare → JSON → HTML page"
RENDER = "web-monitoring-diff html_diff_render"
TEXT = "web-monitoring-diff html_text_diff"


# --------------------------------------------------------------------- child processes (part 1)
def _child(mode: str, out: Path) -> None:
    """Do one tool's work once and write its timings as JSON to ``out``."""
    result: dict[str, Any] = {}
    if mode.startswith("ours"):
        sys.path.insert(0, str(ROOT))
        from tracker import config
        from tracker.compare.diff import change_to_dict, compare
        from tracker.extract.extractor import extract
        from tracker.render.html import render_change_page

        rules_path = ROOT / "config" / "rules" / "linkedin-legal.toml"
        spec = config.read_rule_set(ROOT / "config", "linkedin-legal", referenced_from=rules_path)
        rules = config.merge_rules(None, spec.extract, rules_path)
        if mode == "ours":
            old, new = OLD_HTML.read_bytes(), NEW_HTML.read_bytes()
            start = time.perf_counter()
            old_md = extract(old, rules, url=EU_URL)
            new_md = extract(new, rules, url=EU_URL)
            extracted = time.perf_counter()
            change = compare(
                old_md,
                new_md,
                document=EU_DOCUMENT,
                from_version=OLD_HTML.stem,
                to_version=NEW_HTML.stem,
            )
            compared = time.perf_counter()
            record = json.dumps(
                change_to_dict(change), indent=2, ensure_ascii=False, sort_keys=True
            )
            serialised = time.perf_counter()
            page = render_change_page(
                change, title="LinkedIn European Regional Privacy Notice", source_url=EU_URL
            )
            end = time.perf_counter()
            result = {
                "seconds": end - start,
                "steps": {
                    "extract (both pages)": extracted - start,
                    "compare": compared - extracted,
                    "change_to_dict + json.dumps": serialised - compared,
                    "render_change_page": end - serialised,
                },
                "output": f"{len(change.clauses)} clause changes, {change.significance}; "
                f"JSON {len(record) // 1024} kB, HTML page {len(page) // 1024} kB",
            }
    else:
        from web_monitoring_diff import html_diff_render, html_text_diff

        if mode in ("render", "text"):
            old_text = OLD_HTML.read_text(encoding="utf-8")
            new_text = NEW_HTML.read_text(encoding="utf-8")
            start = time.perf_counter()
            if mode == "render":
                diff = html_diff_render(old_text, new_text)
                output = (
                    f"change_count {diff['change_count']}, page {len(diff['combined']) // 1024} kB"
                )
            else:
                diff = html_text_diff(old_text, new_text)
                output = f"change_count {diff['change_count']}, {len(diff['diff'])} operations"
            result = {"seconds": time.perf_counter() - start, "output": output}
    out.write_text(json.dumps(result), encoding="utf-8")


@dataclass(frozen=True)
class Run:
    """One child process: the work's seconds, the process's wall seconds and peak RSS."""

    seconds: float
    wall_seconds: float
    max_rss_mib: float
    detail: dict[str, Any]


def run_child(python: str, mode: str, tmp: Path) -> Run:
    """Run ``mode`` of this script under ``python`` in its own process."""
    out = tmp / f"{mode}.json"
    out.unlink(missing_ok=True)
    command = [python, str(Path(__file__).resolve()), "--child", mode, "--out", str(out)]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{stderr[-3000:]}")
    detail = json.loads(out.read_text(encoding="utf-8"))
    return Run(detail.get("seconds", 0.0), wall, usage.ru_maxrss / 1024, detail)


def find_peer(explicit: str | None) -> str:
    """The interpreter that can import web_monitoring_diff (or exit saying why not)."""
    candidates = [explicit, os.environ.get("WMD_PYTHON")]
    candidates += [str(DEFAULT_PEER) if DEFAULT_PEER.exists() else None, sys.executable]
    python = next(c for c in candidates if c)
    probe = subprocess.run(
        [
            python,
            "-c",
            "import web_monitoring_diff, importlib.metadata as m; "
            "print(m.version('web-monitoring-diff'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(
            f"web-monitoring-diff cannot be imported by {python}: {last}\n"
            "Create its environment (lxml must be built against the system libxml2): "
            "make bench-diff, or\n"
            "  python3 -m venv .venv/peer-wmd\n"
            "  PIP_CONSTRAINT=benchmarks/peers/web-monitoring-diff-build.txt "
            ".venv/peer-wmd/bin/pip install --no-binary lxml,html5-parser "
            "-r benchmarks/peers/web-monitoring-diff.txt"
        )
    return python


def peer_versions(python: str) -> str:
    """``web-monitoring-diff 0.2.0, lxml ..., html5-parser ...`` of the peer interpreter."""
    names = ("web-monitoring-diff", "html5-parser", "fast-diff-match-patch", "lxml")
    code = (
        "import importlib.metadata as m; "
        f"print(', '.join(n + ' ' + m.version(n) for n in {names!r}))"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def bench_pair(peer: str, runs: int, render_runs: int, tmp: Path) -> dict[str, list[Run]]:
    """Every tool ``runs`` times (html_diff_render ``render_runs`` times), interleaved."""
    results: dict[str, list[Run]] = {OURS: [], RENDER: [], TEXT: []}
    for index in range(runs):
        results[OURS].append(run_child(sys.executable, "ours", tmp))
        results[TEXT].append(run_child(peer, "text", tmp))
        if index < render_runs:
            results[RENDER].append(run_child(peer, "render", tmp))
    return results


def bench_baselines(peer: str, tmp: Path) -> dict[str, Run]:
    """Peak RSS of each interpreter after the imports alone (median of 3 processes)."""
    baselines = {}
    for name, python, mode in (
        ("tracker (imports only)", sys.executable, "ours-imports"),
        ("web-monitoring-diff (imports only)", peer, "peer-imports"),
    ):
        runs = [run_child(python, mode, tmp) for _ in range(3)]
        baselines[name] = min(runs, key=lambda r: r.max_rss_mib)
    return baselines


# ------------------------------------------------------------------------------------ part 2
@dataclass(frozen=True)
class PairTime:
    """compare() on one pair of consecutive Markdown versions."""

    series: str
    old: str
    new: str
    seconds: float
    clauses: int
    significance: str
    chars: int


def bench_markdown_pairs(repeat_slowest: int = 5, slowest: int = 5) -> tuple[list[PairTime], int]:
    """compare() once on every consecutive pair; the slowest few again, median of repeats."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.significance import document_for, read_normalised, transitions
    from tracker.compare.diff import compare

    folders = sorted(p for p in CORPUS.glob("linkedin/*/markdown/*") if p.is_dir())
    pairs = []
    for folder in folders:
        document = document_for(folder.parts[-3])
        texts = {p.stem: read_normalised(p, document) for p in folder.glob("*.md")}
        for old, new in transitions(folder):
            pairs.append((folder, document.id, old, new, texts[old], texts[new]))

    def timed(item: tuple[Path, str, str, str, str, str]) -> PairTime:
        folder, doc_id, old, new, old_text, new_text = item
        start = time.perf_counter()
        change = compare(old_text, new_text, document=doc_id, from_version=old, to_version=new)
        seconds = time.perf_counter() - start
        return PairTime(
            folder.relative_to(CORPUS).as_posix(),
            old,
            new,
            seconds,
            len(change.clauses),
            str(change.significance),
            len(old_text) + len(new_text),
        )

    times = [timed(item) for item in pairs]
    order = sorted(range(len(times)), key=lambda i: times[i].seconds, reverse=True)
    for i in order[:slowest]:
        again = [timed(pairs[i]) for _ in range(repeat_slowest)]
        median = statistics.median(t.seconds for t in again)
        times[i] = PairTime(**{**times[i].__dict__, "seconds": median})
    return times, len(folders)


# ------------------------------------------------------------------------------------ report
def _median(runs: Sequence[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def report(
    pair: dict[str, list[Run]],
    baselines: dict[str, Run],
    peer_info: str,
    markdown: list[PairTime],
    series_count: int,
) -> str:
    """The Markdown report."""
    cpu = platform.processor() or platform.machine()
    ours, render = _median(pair[OURS]), _median(pair[RENDER])
    ratio = render / ours
    text_ratio = _median(pair[TEXT]) / ours
    min_ratio = min(r.seconds for r in pair[RENDER]) / min(r.seconds for r in pair[OURS])
    lines = [
        "# Benchmarks: comparing two versions",
        "",
        f"Measured by `benchmarks/diff.py` on {datetime.now(UTC):%Y-%m-%d}: "
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()}. Peer: {peer_info} (in its own virtual environment, lxml built "
        "against the system libxml2). Figures move by up to ±30 % from run to run on "
        "this shared machine; compare within one run.",
        "",
        "## The real EU notice pair, raw HTML to change page",
        "",
        f"`{OLD_HTML.relative_to(CORPUS)}` ({OLD_HTML.stat().st_size // 1024} kB) → "
        f"`{NEW_HTML.name}` ({NEW_HTML.stat().st_size // 1024} kB): the 3 November 2025 "
        "revision (new legitimate-interest rows on generative AI, special-category data, "
        "members aged 16 and 17). Each run is a separate process; the tools are interleaved. "
        "*Seconds* is the work alone, timed inside the process (no interpreter start-up, no "
        "imports); *process* is the whole process's wall time; memory is the process's peak "
        "resident set (`ru_maxrss` from `os.wait4`).",
        "",
        "| Tool | Runs | Median (s) | Min (s) | Max (s) | Process median (s) "
        "| Peak memory (MiB) | Output |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for tool, runs in pair.items():
        seconds = [r.seconds for r in runs]
        lines.append(
            f"| {tool} | {len(runs)} | {statistics.median(seconds):.3f} | {min(seconds):.3f} "
            f"| {max(seconds):.3f} | {statistics.median(r.wall_seconds for r in runs):.2f} "
            f"| {max(r.max_rss_mib for r in runs):.0f} | {runs[0].detail.get('output', '')} |"
        )
    for name, run in baselines.items():
        lines.append(f"| {name} | | | | | {run.wall_seconds:.2f} | {run.max_rss_mib:.0f} | |")
    verdict = "met" if ratio >= TARGET_RATIO else "**not met**"
    lines += [
        "",
        f"**Ratio html_diff_render / tracker: {ratio:.2f}x** (target ≥ {TARGET_RATIO:.0f}x: "
        f"{verdict}); on the fastest run of each: {min_ratio:.1f}x. "
        f"html_text_diff / tracker: {text_ratio:.1f}x.",
        "",
        "Where the tracker's time goes (median over its runs):",
        "",
        "| Step | Median (ms) |",
        "| --- | ---: |",
    ]
    for step in pair[OURS][0].detail["steps"]:
        median = statistics.median(r.detail["steps"][step] for r in pair[OURS])
        lines.append(f"| {step} | {1000 * median:.1f} |")
    lines += [
        "",
        "The tools do not do the same work: `html_diff_render` diffs the tokens of the whole "
        "page, chrome included, and renders the combined page; `html_text_diff` diffs the "
        "visible text of the whole page (diff-match-patch, 2 s time limit) and renders "
        "nothing; the tracker extracts the document's container to Markdown, aligns it "
        "clause by clause, grades each change, and writes both the JSON record and a "
        "self-contained HTML page.",
        "",
        "## compare() on every Markdown pair of the corpus",
        "",
    ]
    seconds = sorted(t.seconds for t in markdown)
    slowest = max(markdown, key=lambda t: t.seconds)
    p95 = seconds[max(0, round(0.95 * len(seconds)) - 1)]
    over = [t for t in markdown if t.seconds > TARGET_PAIR_SECONDS]
    lines += [
        f"{len(markdown)} consecutive pairs of {series_count} series "
        "(`linkedin/*/markdown/*`), each file normalised as `tracker import` does (outside "
        "the timing), `compare` timed alone, in one process. The five slowest pairs were "
        "timed again five times each (median shown).",
        "",
        f"- total {sum(seconds):.2f} s; median {1000 * statistics.median(seconds):.1f} ms; "
        f"95th percentile {1000 * p95:.1f} ms",
        f"- **slowest: {slowest.series} {slowest.old} → {slowest.new}, "
        f"{slowest.seconds:.3f} s** ({slowest.chars // 1000}k characters in both versions, "
        f"{slowest.clauses} clause changes, {slowest.significance})",
        f"- pairs slower than {TARGET_PAIR_SECONDS:.0f} s: {len(over)} (target 0: "
        + ("met" if not over else "**not met**")
        + ")",
        "",
        "| Pair | Seconds | Characters | Clause changes | Significance |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for t in sorted(markdown, key=lambda t: t.seconds, reverse=True)[:10]:
        lines.append(
            f"| {t.series} {t.old} → {t.new} | {t.seconds:.3f} | {t.chars} | {t.clauses} "
            f"| {t.significance} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run both benchmarks and print (or write) the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each tool (at least 5)")
    parser.add_argument(
        "--render-runs", type=int, default=5, help="runs of html_diff_render (at least 3)"
    )
    parser.add_argument("--peer-python", help="interpreter with web-monitoring-diff installed")
    parser.add_argument("--write", type=Path, help="write the Markdown report to this file")
    parser.add_argument("--json", type=Path, help="write the pair's figures as JSON to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.out)
        return
    if not (CORPUS / "manifest.json").is_file() or not NEW_HTML.is_file():
        raise SystemExit(
            f"corpus not found at {CORPUS} (or without the EU notice pair): put it at "
            "../shared/corpus or set TRACKER_CORPUS to the folder of manifest.json"
        )
    if args.runs < 5 or not 3 <= args.render_runs <= args.runs:
        raise SystemExit("--runs must be at least 5 and --render-runs between 3 and --runs")
    peer = find_peer(args.peer_python)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        pair = bench_pair(peer, args.runs, args.render_runs, tmp)
        baselines = bench_baselines(peer, tmp)
    markdown, series_count = bench_markdown_pairs()
    peer_info = peer_versions(peer)
    text = report(pair, baselines, peer_info, markdown, series_count)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "peer": peer_info,
            "runs": len(pair[OURS]),
            "render_runs": len(pair[RENDER]),
            "ours_seconds": _median(pair[OURS]),
            "render_seconds": _median(pair[RENDER]),
            "text_seconds": _median(pair[TEXT]),
            "ratio": _median(pair[RENDER]) / _median(pair[OURS]),
            "steps_ms": {
                step: 1000 * statistics.median(r.detail["steps"][step] for r in pair[OURS])
                for step in pair[OURS][0].detail["steps"]
            },
        }
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
