"""The benchmark scripts' logic beside urlwatch, without a clock (issue 12).

Timings stay in ``make bench``; these tests check what the scripts build and how the report
judges figures: distinct pages round-robin over 50 hosts, the same selection for urlwatch as
the tracker's rule set, outcomes read from each tool's output, and the ✓/✗ of each target.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from benchmarks import report, scale


def test_documents_differ_and_spread_over_the_hosts() -> None:
    page = scale.Template("linkedin/x.html", b'<div id="component-container"></div>', 30, "en")
    docs = scale.documents(120, [page])
    assert len({d.body for d in docs}) == 120
    assert len({d.path for d in docs}) == 120
    assert {d.host for d in docs} == set(range(scale.HOSTS))
    assert all(d.body.startswith(b'<div id="component-container"><p>Copy ') for d in docs)


def test_urlwatch_selects_what_the_rule_set_selects(tmp_path: Path) -> None:
    page = scale.Template("linkedin/x.html", b"<html></html>", 6, "fr")
    docs = scale.documents(2, [page])

    class _Server:
        server_address = ("127.0.0.2", 8000)

    scale.write_urlwatch_config(tmp_path, docs, [_Server()] * scale.HOSTS)
    jobs = (tmp_path / "urls.yaml").read_text().split("---\n")
    extract = scale.rule_set()
    with (scale.ROOT / "config" / "rules" / "linkedin-legal.toml").open("rb") as file:
        assert extract == tomllib.load(file)["extract"]
    assert len(jobs) == 2
    assert f"selector: '{', '.join(extract['select'])}'" in jobs[0]
    assert f"exclude: '{', '.join(extract['remove'])}'" in jobs[0]
    assert jobs[0].rstrip().endswith("- html2text")
    assert "url: http://127.0.0.2:8000/legal/d00001" in jobs[1]


def test_outcomes_of_each_tool() -> None:
    tracker_out = (
        "bench/d00001: unchanged (2026-12-07T19-00-00Z)\n"
        "bench/d00002: first record (2026-12-07T19-00-00Z)\n"
        "bench/d00003: inaccessible: timeout — http://127.0.0.4/legal/d00003\n"
    )
    assert scale.outcomes(scale.TRACKER, tracker_out) == {
        "unchanged": 1,
        "first record": 1,
        "inaccessible": 1,
    }
    urlwatch_out = "NEW: bench/d00001 (http://x)\nERROR: bench/d00002 (http://y)\n"
    assert scale.outcomes(scale.URLWATCH, urlwatch_out) == {"new": 1, "error": 1}


def _pass(tool: str, n: int, seconds: float, rss: float, latency: float = 0.0) -> dict[str, Any]:
    return {
        "tool": tool,
        "n": n,
        "latency": latency,
        "median_seconds": seconds,
        "per_document_ms": 1000 * seconds / n,
        "max_rss_mib": rss,
        "runs": [{"seconds": seconds, "max_rss_mib": rss, "outcomes": {}}],
    }


def test_report_judges_each_target(tmp_path: Path) -> None:
    (tmp_path / "check.json").write_text(
        json.dumps(
            {
                "repeat": 3,
                "check": {
                    "tracker check": {"median_seconds": 0.2},
                    "urlwatch 2.29": {"median_seconds": 0.25},
                },
            }
        )
    )
    passes = [
        _pass("tracker", 100, 1.0, 50),
        _pass("urlwatch", 100, 4.0, 60),
        _pass("tracker", 1000, 11.0, 55),
        _pass("urlwatch", 1000, 20.0, 90),
        _pass("tracker", 1000, 30.0, 55, latency=0.25),
        _pass("urlwatch", 1000, 50.0, 90, latency=0.25),
    ]
    (tmp_path / "scale.json").write_text(json.dumps({"repeat": 3, "passes": passes}))
    (tmp_path / "diff.json").write_text(
        json.dumps(
            {
                "runs": 9,
                "render_runs": 5,
                "ours_seconds": 0.1,
                "render_seconds": 0.999,
                "ratio": 9.99,
            }
        )
    )
    table = {row[0].split(" (")[0]: row for row in report.rows(tmp_path)}
    assert table["One check of an unchanged page, whole process"][-1] == report.YES
    # 11 s against 20 s is 0.55x: over the 0.5x asked
    assert (
        table["A pass over 1,000 unchanged documents on 50 loopback hosts, no politeness delay"][-1]
        == report.NO
    )
    assert table["The same pass, 250 ms server latency"][-1] == report.NO  # 0.6x
    per_document = next(r for r in table.values() if r[0].startswith("Per-document cost"))
    assert per_document[-1] == report.YES  # 10 ms, then 11 ms: 1.10
    rss = next(r for r in table.values() if r[0].startswith("Peak RSS"))
    assert rss[-1] == report.YES  # 50 → 55 MiB
    assert "N=1,000 measured; the target is at N=3,000" in rss[0]
    comparison = next(r for r in table.values() if r[0].startswith("Comparison path"))
    assert comparison[3] == "9.99x faster"
    assert comparison[-1] == report.NO
    hour = next(r for r in table.values() if r[0].startswith("`tracker run`"))
    assert hour[1] == report.NONE


def test_report_without_results_says_not_measured(tmp_path: Path) -> None:
    text = report.report(tmp_path, note="a small run")
    assert "> **a small run**" in text
    assert text.count(report.NONE) == 7  # every row of the table
