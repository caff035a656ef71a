"""One table of the tracker beside its peers, with the targets, in ``docs/benchmarks.md``.

Reads what ``make bench`` leaves in its results folder (``.bench/`` by default), each written
by one benchmark with ``--json`` (and its Markdown detail with ``--write``):

- ``check.json``, ``check.md``: ``benchmarks/run.py`` (one check of an unchanged page, whole
  process, beside urlwatch; the in-process steps; the imports);
- ``scale.json``, ``scale.md``: ``benchmarks/scale.py`` (passes over N documents on 50 hosts,
  with and without server latency, beside urlwatch);
- ``hour.json``, ``hour.md``: ``benchmarks/scale.py --run-hour`` (``tracker run`` memory);
- ``diff.json``: ``benchmarks/diff.py`` (the comparison path beside web-monitoring-diff).

A missing file leaves its rows "not measured". Targets are those of issue 12. Where a target
names an N that was not measured (a small run), the row uses the nearest N measured and says so.

Usage: ``python benchmarks/report.py [--results .bench] [--note TEXT]
[--write docs/benchmarks.md]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TRACKER = "tracker"
URLWATCH = "urlwatch"
YES, NO, NONE = "✓", "✗", "not measured"

#: The targets of issue 12 (tracker / urlwatch time, or an absolute bound).
CHECK_RATIO = 1.0
PASS_N = 1000
PASS_RATIO = 0.5
LATENCY_RATIO = 0.5
FLAT_FROM, FLAT_TO, FLAT_SPREAD = 100, 3000, 1.20
RSS_N, RSS_MAX_MIB, RSS_SPREAD = 3000, 100.0, 1.20
HOUR_GROWTH = 0.05
DIFF_RATIO = 10.0


def load(folder: Path, name: str) -> Any:
    """The JSON results ``name`` of ``folder``, or None."""
    path = folder / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def mark(ok: bool | None) -> str:
    """✓, ✗, or a dash when there is nothing to judge."""
    return "-" if ok is None else (YES if ok else NO)


def nearest(values: Sequence[int], wanted: int) -> int:
    """The value of ``values`` closest to ``wanted`` (ties: the larger)."""
    return min(values, key=lambda v: (abs(v - wanted), -v))


def passes(scale: dict[str, Any], tool: str, latency: bool) -> dict[int, dict[str, Any]]:
    """N → the pass of ``tool``, with or without server latency."""
    return {
        p["n"]: p
        for p in scale.get("passes", [])
        if p["tool"] == tool and (p["latency"] > 0) == latency
    }


def at_n(n: int, wanted: int) -> str:
    """`` (N=300; the target is at 1,000)`` when the measured N is not the target's."""
    return "" if n == wanted else f" (N={n:,} measured; the target is at N={wanted:,})"


def runs(count: int) -> str:
    """``1 run``, ``3 runs``."""
    return f"{count} run" + ("" if count == 1 else "s")


def rows(folder: Path) -> list[list[str]]:
    """The summary table: measure, tracker, peer, ratio, target, met."""
    table: list[list[str]] = []
    check = load(folder, "check.json")
    if check:
        ours = check["check"]["tracker check"]["median_seconds"]
        theirs = check["check"]["urlwatch 2.29"]["median_seconds"]
        ratio = ours / theirs
        table.append(
            [
                f"One check of an unchanged page, whole process ({runs(check['repeat'])})",
                f"{ours:.2f} s",
                f"{theirs:.2f} s",
                f"{ratio:.2f}x",
                f"≤ {CHECK_RATIO:.1f}x",
                mark(ratio <= CHECK_RATIO),
            ]
        )
    else:
        table.append(["One check of an unchanged page, whole process", NONE, "", "", "≤ 1.0x", ""])
    scale = load(folder, "scale.json")
    if scale and scale.get("passes"):
        repeat = scale["repeat"]
        ours_by_n, theirs_by_n = passes(scale, TRACKER, False), passes(scale, URLWATCH, False)
        n = nearest(list(ours_by_n), PASS_N)
        ours, theirs = ours_by_n[n]["median_seconds"], theirs_by_n[n]["median_seconds"]
        table.append(
            [
                f"A pass over {n:,} unchanged documents on 50 loopback hosts, no politeness "
                f"delay ({runs(repeat)}){at_n(n, PASS_N)}",
                f"{ours:.2f} s",
                f"{theirs:.2f} s",
                f"{ours / theirs:.2f}x",
                f"≤ {PASS_RATIO:.1f}x",
                mark(ours / theirs <= PASS_RATIO),
            ]
        )
        slow_ours, slow_theirs = passes(scale, TRACKER, True), passes(scale, URLWATCH, True)
        if slow_ours:
            n = nearest(list(slow_ours), PASS_N)
            latency = slow_ours[n]["latency"]
            ours, theirs = slow_ours[n]["median_seconds"], slow_theirs[n]["median_seconds"]
            table.append(
                [
                    f"The same pass, {1000 * latency:.0f} ms server latency{at_n(n, PASS_N)}",
                    f"{ours:.2f} s",
                    f"{theirs:.2f} s",
                    f"{ours / theirs:.2f}x",
                    f"≤ {LATENCY_RATIO:.1f}x",
                    mark(ours / theirs <= LATENCY_RATIO),
                ]
            )
        else:
            table.append(["The same pass, 250 ms server latency", NONE, "", "", "≤ 0.5x", ""])
        ns = sorted(ours_by_n)
        low, high = ns[0], ns[-1]
        if len(ns) > 1:
            per = {n: ours_by_n[n]["per_document_ms"] for n in ns}
            per_peer = {n: theirs_by_n[n]["per_document_ms"] for n in ns}
            spread = max(per.values()) / min(per.values())
            spread_peer = max(per_peer.values()) / min(per_peer.values())
            span = (
                ""
                if (low, high) == (FLAT_FROM, FLAT_TO)
                else (
                    f" (N={low:,} to {high:,} measured; the target is {FLAT_FROM:,} to {FLAT_TO:,})"
                )
            )
            table.append(
                [
                    f"Per-document cost, highest / lowest over N = "
                    f"{', '.join(f'{n:,}' for n in ns)}{span}",
                    f"{spread:.2f} ({min(per.values()):.0f} to {max(per.values()):.0f} ms)",
                    f"{spread_peer:.2f} ({min(per_peer.values()):.0f} to "
                    f"{max(per_peer.values()):.0f} ms)",
                    "",
                    f"≤ {FLAT_SPREAD:.2f}",
                    mark(spread <= FLAT_SPREAD),
                ]
            )
            tree = {n: ours_by_n[n]["max_rss_mib"] for n in ns}
            own = {n: ours_by_n[n].get("own_rss_mib") for n in ns}
            rss = tree if None in own.values() else own
            rss_peer = {n: theirs_by_n[n]["max_rss_mib"] for n in ns}
            ours_cell = f"{rss[low]:.0f} → {rss[high]:.0f} MiB"
            if rss is own:
                ours_cell += f" (with its `git` children: {tree[low]:.0f} → {tree[high]:.0f} MiB)"
            table.append(
                [
                    f"Peak RSS of a pass, N={low:,} → N={high:,}{at_n(high, RSS_N)}"
                    + (", the tracker process alone" if rss is own else ""),
                    ours_cell,
                    f"{rss_peer[low]:.0f} → {rss_peer[high]:.0f} MiB",
                    "",
                    f"flat (≤ {RSS_SPREAD:.2f}x the smallest N's) and ≤ {RSS_MAX_MIB:.0f} MiB",
                    mark(rss[high] <= RSS_SPREAD * rss[low] and rss[high] <= RSS_MAX_MIB),
                ]
            )
    else:
        for measure, target in (
            ("A pass over 1,000 unchanged documents on 50 loopback hosts", "≤ 0.5x"),
            ("The same pass, 250 ms server latency", "≤ 0.5x"),
            ("Per-document cost, N = 100 to 3,000", f"≤ {FLAT_SPREAD:.2f}"),
            ("Peak RSS of a pass at N = 3,000", "flat, ≤ 100 MiB"),
        ):
            table.append([measure, NONE, "", "", target, ""])
    hour = load(folder, "hour.json")
    if hour and hour["hour"]["growth"] is not None:
        h = hour["hour"]
        short = "" if h["minutes"] >= 60 and h["warmup_minutes"] >= 10 else " (a shortened run)"
        table.append(
            [
                f"`tracker run`, {h['documents']} documents every minute for "
                f"{h['minutes']:g} min: RSS growth after the first {h['warmup_minutes']:g} "
                f"min{short}; {h.get('checks_logged', 0) / h['minutes']:.0f} checks a minute "
                "done",
                f"{100 * h['growth']:.1f} % ({h['rss_at_warmup_mib']:.0f} → "
                f"{h['rss_max_after_warmup_mib']:.0f} MiB, the highest sample){_level(h)}",
                "",
                "",
                f"< {100 * HOUR_GROWTH:.0f} %",
                mark(h["growth"] < HOUR_GROWTH),
            ]
        )
    else:
        table.append(
            [
                "`tracker run`, 300 documents every minute for an hour: RSS growth",
                NONE,
                "",
                "",
                "< 5 %",
                "",
            ]
        )
    diff = load(folder, "diff.json")
    if diff:
        table.append(
            [
                "Comparison path on the EU-notice pair (raw HTML to change page; the peer's "
                f"`html_diff_render`; {runs(diff['runs'])} and {runs(diff['render_runs'])})",
                f"{diff['ours_seconds']:.3f} s",
                f"{diff['render_seconds']:.3f} s",
                f"{diff['ratio']:.2f}x faster",
                f"≥ {DIFF_RATIO:.0f}x faster",
                mark(diff["ratio"] >= DIFF_RATIO),
            ]
        )
    else:
        table.append(["Comparison path on the EU-notice pair", NONE, "", "", "≥ 10x faster", ""])
    return table


def _level(hour: dict[str, Any]) -> str:
    """``; level: +1.2 %``: the median RSS of the last ten minutes over that of the ten after
    the warm-up (a sustained change, where the highest sample may be one large page)."""
    samples = hour.get("samples") or []
    start = hour["warmup_minutes"] * 60
    end = hour["minutes"] * 60
    first = [rss for t, rss in samples if start <= t < start + 600]
    last = [rss for t, rss in samples if end - 600 <= t <= end]
    if not first or not last or end - start < 1200:
        return ""
    change = statistics.median(last) / statistics.median(first) - 1
    return f"; level: {100 * change:+.1f} % (median of the last 10 min over the 10 after it)"


def section(folder: Path, name: str) -> list[str]:
    """A benchmark's own Markdown, without its title line."""
    path = folder / name
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").rstrip("\n").splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
        while lines and not lines[0].strip():
            lines = lines[1:]
    return ["", *lines]


def report(folder: Path, note: str | None, analysis: Path | None = None) -> str:
    """The whole of ``docs/benchmarks.md`` (``analysis``: a hand-written reading of the
    figures, put after the table)."""
    lines = ["# Benchmarks", ""]
    if note:
        lines += [f"> **{note}**", ""]
    lines += [
        "Written by `make bench` (`benchmarks/report.py` from the results of `run.py`, "
        "`scale.py` and `diff.py`). The peers run in the same session on the same pages: "
        "urlwatch 2.29 with the same CSS selection as the tracker's rule set and its "
        "`html2text` filter, and web-monitoring-diff 0.2.0 (pinned in "
        "`benchmarks/peers/web-monitoring-diff.txt`). Times are medians of whole processes, "
        "wall-clock; memory is the peak resident set. Ratios are tracker / peer for times "
        "(lower is better) and peer / tracker for the comparison path.",
        "",
        "## Beside the peers: the targets of issue 12",
        "",
        "| Measure | tracker | Peer | Ratio | Target | Met |",
        "| --- | ---: | ---: | ---: | --- | :---: |",
    ]
    for row in rows(folder):
        lines.append("| " + " | ".join(row) + " |")
    if analysis is not None:
        lines += ["", *analysis.read_text(encoding="utf-8").rstrip("\n").splitlines()]
    lines += [
        "",
        "Details: the passes and `tracker run` below, the one check and its steps after them, "
        "the comparison path in [benchmarks-diff.md](benchmarks-diff.md).",
    ]
    for name in ("scale.md", "hour.md", "check.md"):
        lines += section(folder, name)
    return "\n".join(lines) + "\n"


def main() -> None:
    """Assemble the report from the results folder and print (or write) it."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / ".bench")
    parser.add_argument("--note", help="a line shown first, e.g. that this is a small run")
    parser.add_argument(
        "--analysis",
        type=Path,
        default=ROOT / "benchmarks" / "analysis.md",
        help="a hand-written reading of the figures, put after the table (if the file exists)",
    )
    parser.add_argument("--write", type=Path, help="write the Markdown report to this file")
    args = parser.parse_args()
    analysis = args.analysis if args.analysis is not None and args.analysis.is_file() else None
    text = report(args.results, args.note, analysis)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
