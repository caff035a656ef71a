"""Hostile pages through every stage, beside urlwatch's difflib diff (``make bench-hostile``).

A 9 MB page with one long clause once kept ``tracker run`` busy for over 500 s on every check
(issue 10). This benchmark generates three hostile LinkedIn-like pages (deterministic, about
10 MB each) and times each stage of a check on them, each case in its own process:

- ``long-paragraph``: one paragraph of plausible legal words with "consent", "legitimate
  interests" and "not" sprinkled in, and no sentence end;
- ``many-clauses``: 100,000 short paragraphs;
- ``no-spaces``: one clause of 10 MB without white space.

Against three previous versions:

- ``few-edits`` (the target: under 10 s in all): the same page with five edits (five words
  replaced; five insertions in the text without spaces);
- ``first-appearance``: an ordinary privacy policy (our fixture page): every piece is new;
- ``unrelated``: another page of the same kind: nothing in common.

Stages, as the pipeline runs them after the fetch: **extract** the new page (the previous
version's Markdown comes from the archive, so it is extracted beforehand, untimed);
**compare** (clauses, alignment, word diffs, significance); **classify**; **render** the HTML
change page, the Markdown and JSON records and the Telegram post.

The peer, on the same pair of texts in the same run: urlwatch 2.29's diff (``JobState.get_diff``:
``difflib.unified_diff`` over lines) and its history match when a job changed
(``difflib.get_close_matches`` of the new text against the previous ones, in its worker),
each in its own process with a time limit.

    .venv/bin/python benchmarks/hostile.py [--write docs/benchmarks-hostile.md]
        [--timeout 120] [--pages long-paragraph,...] [--scenarios few-edits,...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

URL = "https://www.linkedin.com/legal/privacy-policy"
NORMAL_PAGE = ROOT / "tests" / "fixtures" / "pages" / "linkedin" / "privacy-policy" / "v1.html"
TARGET_SECONDS = 10.0
EDITS = 5
DEFAULT_BYTES = 10_000_000
PAGE_BYTES = DEFAULT_BYTES

LEGAL_WORDS = tuple(
    " ".join(
        (
            "we process your personal data including profile information messages location",
            "and contact details of members and visitors to provide secure and improve our",
            "services where this is necessary for the performance of our contract with you or",
            "where we rely on our legitimate interests or with your consent which you may",
            "withdraw at any time and we do not sell your data to third parties nor share it",
            "except as described in this policy",
        )
    ).split(" ")
)
SPRINKLED = ("consent", "legitimate interests", "not")


# ------------------------------------------------------------------------------- pages
def _words(size: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    words: list[str] = []
    total = 0
    while total < size:
        word = rnd.choice(SPRINKLED) if rnd.random() < 0.01 else rnd.choice(LEGAL_WORDS)
        words.append(word)
        total += len(word) + 1
    return words


def _edited(items: list[str], replacement: Callable[[str], str]) -> list[str]:
    out = list(items)
    for number in range(1, EDITS + 1):
        at = len(out) * number // (EDITS + 1)
        out[at] = replacement(out[at])
    return out


def _page(body: str) -> bytes:
    """A LinkedIn legal page: chrome outside, the text in ``#component-container``."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>LinkedIn Privacy Policy</title></head><body>"
        "<header><a href='/login'>Sign in</a> <a href='/signup'>Join now</a></header>"
        "<main><section id='component-container'><h1>Privacy Policy</h1>"
        f"{body}</section></main><footer>LinkedIn © 2026</footer></body></html>"
    ).encode()


def long_paragraph(seed: int, edited: bool) -> bytes:
    words = _words(PAGE_BYTES - 2_000, seed)
    if edited:
        words = _edited(words, lambda _: "changed")
    return _page("<p>" + " ".join(words) + "</p>")


def many_clauses(seed: int, edited: bool) -> bytes:
    count = PAGE_BYTES // 100  # 100,000 in a 10 MB page, with their markup
    words = _words(PAGE_BYTES - 9 * count, seed)
    size = -(-len(words) // count)
    clauses = [" ".join(words[i : i + size]).capitalize() + "." for i in range(0, len(words), size)]
    if edited:
        clauses = _edited(clauses, lambda clause: "Changed: " + clause)
    return _page("".join(f"<p>{clause}</p>" for clause in clauses))


def no_spaces(seed: int, edited: bool) -> bytes:
    rnd = random.Random(seed)
    blob = "".join(rnd.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=PAGE_BYTES - 2_000))
    if edited:
        parts = [
            blob[i : i + len(blob) // (EDITS + 1)]
            for i in range(0, len(blob), len(blob) // (EDITS + 1))
        ]
        blob = "inserted".join(parts)
    return _page("<p>" + blob + "</p>")


PAGES: dict[str, Callable[[int, bool], bytes]] = {
    "long-paragraph": long_paragraph,
    "many-clauses": many_clauses,
    "no-spaces": no_spaces,
}
SCENARIOS = ("few-edits", "first-appearance", "unrelated")


def pair(page: str, scenario: str) -> tuple[bytes, bytes]:
    """The previous page and the new one."""
    build = PAGES[page]
    new = build(1, False)
    if scenario == "few-edits":
        return build(1, True), new
    if scenario == "first-appearance":
        return NORMAL_PAGE.read_bytes(), new
    return build(2, False), new


# ------------------------------------------------------------------------------- children
def legal_rules() -> Any:
    """The project's ``linkedin-legal`` rule set, as the tracker loads it."""
    from tracker import config

    path = ROOT / "config" / "rules" / "linkedin-legal.toml"
    spec = config.read_rule_set(ROOT / "config", "linkedin-legal", referenced_from=path)
    return config.merge_rules(None, spec.extract, path)


def _timed(times: dict[str, float], name: str, work: Callable[[], Any]) -> Any:
    start, cpu = time.perf_counter(), time.process_time()
    result = work()
    times[name] = time.perf_counter() - start
    times["cpu"] = times.get("cpu", 0.0) + time.process_time() - cpu
    return result


def run_tracker(page: str, scenario: str) -> dict[str, Any]:
    """One case through the tracker's stages; seconds per stage and what came out."""
    from tracker.changes import classify_texts
    from tracker.classify.taxonomy import load_taxonomy
    from tracker.compare.diff import change_to_dict, compare
    from tracker.extract.extractor import extract
    from tracker.notify.channels import Channel
    from tracker.render.html import render_change_page
    from tracker.render.markdown import render_change_markdown
    from tracker.render.telegram import PostContext, render_post

    rules = legal_rules()
    taxonomy = load_taxonomy(ROOT / "config" / "taxonomy.toml")
    old_page, new_page = pair(page, scenario)
    old = extract(old_page, rules, url=URL)  # in the archive already: not timed
    times: dict[str, float] = {}
    new = _timed(times, "extract", lambda: extract(new_page, rules, url=URL))
    change = _timed(times, "compare", lambda: compare(old, new, document="bench/hostile"))
    change = _timed(times, "classify", lambda: classify_texts(change, old, new, taxonomy))
    _timed(times, "html", lambda: render_change_page(change, title="Privacy", source_url=URL))
    _timed(times, "markdown", lambda: render_change_markdown(change, title="P", source_url=URL))
    _timed(times, "json", lambda: json.dumps(change_to_dict(change), ensure_ascii=False))
    channel = Channel("bench", "@bench", ("*",))
    context = PostContext("Privacy Policy", URL, datetime.now(UTC), "bench/changes/x.html")
    messages = _timed(times, "telegram", lambda: render_post(change, context, channel))
    times["total"] = sum(seconds for stage, seconds in times.items() if stage != "cpu")
    return {
        "times": times,
        "page_bytes": len(new_page),
        "old_chars": len(old),
        "new_chars": len(new),
        "changed_clauses": len(change.clauses),
        "labels": len(change.labels),
        "messages": len(messages),
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_peer(old: str, new: str, part: str) -> dict[str, Any]:
    """urlwatch's diff, or its history match, on two texts."""
    import difflib

    from urlwatch.handler import JobState

    start = time.perf_counter()
    if part == "diff":
        state = JobState(None, types.SimpleNamespace(diff_tool=None, diff_filter=None))
        state.old_data, state.new_data = old, new
        state.timestamp = state.current_timestamp = time.time()
        size = len(state.get_diff())
    else:  # what its worker does with a changed job (worker.py)
        size = len(difflib.get_close_matches(new, {old: time.time()}, n=1))
    return {"seconds": time.perf_counter() - start, "size": size}


def child(args: argparse.Namespace) -> None:
    """Run one measurement and print it as JSON (a child process of the benchmark)."""
    if args.child == "tracker":
        result = run_tracker(args.page, args.scenario)
    else:
        folder = Path(args.texts)
        old = (folder / "old.md").read_text(encoding="utf-8")
        new = (folder / "new.md").read_text(encoding="utf-8")
        result = run_peer(old, new, args.child)
    print(json.dumps(result))


def spawn(arguments: list[str], timeout: float) -> dict[str, Any] | None:
    """Run this script as a child; its JSON, or None when it ran out of time."""
    command = [sys.executable, __file__, *arguments]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def texts_of(page: str, scenario: str, folder: Path) -> None:
    """Write the pair's extracted texts for the peer."""
    from tracker.extract.extractor import extract

    rules = legal_rules()
    old_page, new_page = pair(page, scenario)
    (folder / "old.md").write_text(extract(old_page, rules, url=URL), encoding="utf-8")
    (folder / "new.md").write_text(extract(new_page, rules, url=URL), encoding="utf-8")


# ------------------------------------------------------------------------------- report
STAGES = ("extract", "compare", "classify", "html", "markdown", "json", "telegram", "total")
#: Columns: the stages' wall-clock seconds, then their CPU seconds (less moved by other work).
COLUMNS = (*STAGES, "cpu")


def _seconds(value: float | None, timeout: float) -> str:
    return f"> {timeout:.0f}" if value is None else f"{value:.2f}"


def report(
    results: list[dict[str, Any]], timeout: float, peer_timeout: float, seconds: float
) -> str:
    """The Markdown report."""
    lines = [
        "# Hostile pages (benchmark)",
        "",
        f"Generated by `benchmarks/hostile.py` (`make bench-hostile`) on "
        f"{datetime.now(UTC):%Y-%m-%d}: {os.cpu_count()} cores shared with other work, Python "
        f"{platform.python_version()}, {platform.system()}; {seconds:.0f} s in all. Each case "
        "runs in its own process; times are wall-clock seconds and move by ±20 % from run to "
        "run on this machine. The pages are generated (deterministic) LinkedIn-like legal "
        "pages of about 10 MB: `long-paragraph` (one paragraph of legal words with *consent*, "
        "*legitimate interests* and *not* sprinkled in, no sentence end), `many-clauses` "
        "(100,000 short paragraphs), `no-spaces` (one 10 MB clause without white space). The "
        "previous version is the same page with five edits (`few-edits`), an ordinary privacy "
        "policy (`first-appearance`: the hostile page is all new) or another page of the same "
        "kind (`unrelated`). Extraction is of the new page only: the previous version's text "
        "comes from the archive.",
        "",
        f"Target (issue 10): a 10 MB page from extraction to the rendered alert in under "
        f"{TARGET_SECONDS:.0f} s (✓ where the wall-clock total is). `cpu` is the CPU time of "
        "the same stages: wall-clock time also counts waiting for a core that other work holds.",
        "",
        "| page | previous version | " + " | ".join(COLUMNS) + " | changed clauses | "
        "Telegram messages | peak MiB |",
        "|---|---|" + "---:|" * (len(COLUMNS) + 3),
    ]
    for item in results:
        result = item["tracker"]
        if result is None:
            cells = [_seconds(None, timeout)] * len(COLUMNS) + ["", "", ""]
        else:
            total = result["times"]["total"]
            mark = " ✓" if total < TARGET_SECONDS else ""
            cells = [f"{result['times'][stage]:.2f}" for stage in STAGES[:-1]]
            cells += [f"**{total:.2f}**{mark}", f"{result['times']['cpu']:.2f}"]
            cells += [str(result["changed_clauses"])]
            cells += [str(result["messages"]), f"{result['max_rss_mib']:.0f}"]
        lines.append(f"| {item['page']} | {item['scenario']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Beside urlwatch",
        "",
        "urlwatch 2.29 on the same pairs of texts (the tracker's extraction of both pages), in "
        f"processes stopped after {peer_timeout:.0f} s. Its diff is `difflib.unified_diff` over "
        "lines: a page whose text is one line (a paragraph, a clause without spaces) comes out "
        "as that whole line removed and added again. When a job changed, its worker also "
        "looks for the closest previous version with `difflib.get_close_matches`, a "
        "character-level `SequenceMatcher`: on a 10 MB text it does not finish, and the job's "
        "report waits for it.",
        "",
        "| page | previous version | urlwatch diff (s) | diff size (MB) | urlwatch history "
        "match (s) | tracker compare (s) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for item in results:
        diff, match, result = item["peer_diff"], item["peer_match"], item["tracker"]
        size = "" if diff is None else f"{diff['size'] / 1e6:.1f}"
        ours = "" if result is None else f"{result['times']['compare']:.2f}"
        lines.append(
            f"| {item['page']} | {item['scenario']} | "
            f"{_seconds(None if diff is None else diff['seconds'], peer_timeout)} | {size} | "
            f"{_seconds(None if match is None else match['seconds'], peer_timeout)} | {ours} |"
        )
    lines += [
        "",
        "How the tracker stays bounded: clauses over 10,000 characters are cut into pieces of "
        "2,000 to 4,000 at content-chosen points (an edit changes one or two pieces); "
        "repeated texts are paired through indexes; near matches, splits and merges share a "
        "budget of word comparisons; negations are read once per clause; pages nested "
        "deeper than libxml2 can parse are refused (`parse-truncated`), never truncated. "
        "The taxonomy's 89 text rules cost about 2 s a megabyte of text, so labelling stops "
        "after 600,000 characters of changed text per change (the largest real page of the "
        "corpus has 131,796): the clauses past it are counted as not labelled, in the record "
        "and in the alert. The near-match work of the alignment is bounded at 4,000,000 word "
        "comparisons (the 535 real transitions of the corpus need at most 404,003).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run every case and print (or write) the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="write the Markdown report here")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per process")
    parser.add_argument(
        "--peer-timeout",
        type=float,
        default=30.0,
        help="seconds per urlwatch process (its history match does not end on 10 MB)",
    )
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--bytes", type=int, default=DEFAULT_BYTES, help="size of the pages")
    parser.add_argument("--child", choices=("tracker", "diff", "match"), help=argparse.SUPPRESS)
    parser.add_argument("--page", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--texts", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global PAGE_BYTES
    PAGE_BYTES = args.bytes
    if args.child:
        child(args)
        return
    started = time.perf_counter()
    results = []
    for page in args.pages.split(","):
        for scenario in args.scenarios.split(","):
            item: dict[str, Any] = {"page": page, "scenario": scenario}
            base = ["--page", page, "--scenario", scenario, "--bytes", str(args.bytes)]
            item["tracker"] = spawn(["--child", "tracker", *base], args.timeout)
            with tempfile.TemporaryDirectory() as folder:
                texts_of(page, scenario, Path(folder))
                for part in ("diff", "match"):
                    peer = ["--child", part, "--texts", folder, "--bytes", str(args.bytes)]
                    item[f"peer_{part}"] = spawn(peer, args.peer_timeout)
            print(page, scenario, json.dumps(item), file=sys.stderr, flush=True)
            results.append(item)
    text = report(results, args.timeout, args.peer_timeout, time.perf_counter() - started)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
