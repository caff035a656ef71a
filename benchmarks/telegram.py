"""Telegram messages for every real change of the corpus, beside a changedetection.io-style post.

For each substantive or minor transition of the LinkedIn Markdown series (the significance
evaluation's set), the tracker renders its post for an English and a French channel, once with
the default cap of 5 clauses and once with every clause (the splitting stress test), and we
measure, with TDLib's own parser (the ``tdjson`` wheel) as the judge:

- how many messages a post takes, and how long rendering takes;
- whether TDLib accepts every message, and whether any exceeds 4096 characters (1024 for a
  caption) or 100 entities after parsing;
- whether anything is lost: every inserted and deleted word of every substantive clause must be
  in the posted text (with every clause shown).

The peer, measured on the same changes in the same run, is the changedetection.io way of
posting to Telegram (telegram.md §4, reimplemented from that description, not its code): the
whole diff in one message, removed text in ``<s>``, added text in ``<b>``, cut at 3600
characters.

    .venv/bin/python benchmarks/telegram.py [--write docs/benchmarks-telegram.md]
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.significance import (  # noqa: E402 (after the sys.path set-up)
    document_for,
    read_normalised,
    require_corpus,
    series_folders,
    transitions,
)
from tracker.changes import compare_classified  # noqa: E402
from tracker.classify.taxonomy import load_taxonomy  # noqa: E402
from tracker.models import Change, DiffOp, Significance  # noqa: E402
from tracker.notify.channels import Channel  # noqa: E402
from tracker.render import display_text, shown_diff  # noqa: E402
from tracker.render.telegram import (  # noqa: E402
    MAX_CLAUSE_MESSAGES,
    Message,
    PostContext,
    render_post,
)
from tracker.render.telegram_html import parse_html  # noqa: E402

PEER_CUT = 3600
CHANNELS = (
    Channel("en", "@bench_en", ("*",), public_url="https://archive.example.org/"),
    Channel("fr", "@bench_fr", ("*",), language="fr"),
)


class Judge:
    """TDLib's ``parseTextEntities`` (HTML) through ``tdjson``: does Telegram accept a text?"""

    def __init__(self) -> None:
        import tdjson  # type: ignore[import-not-found]

        self.td = tdjson
        self.td.td_execute(b'{"@type":"setLogVerbosityLevel","new_verbosity_level":0}')

    def accepts(self, markup: str) -> tuple[bool, str]:
        """(accepted, TDLib's error or the parsed text)."""
        request = {
            "@type": "parseTextEntities",
            "text": markup,
            "parse_mode": {"@type": "textParseModeHTML"},
        }
        answer = json.loads(self.td.td_execute(json.dumps(request).encode("utf-8")))
        if answer["@type"] == "error":
            return False, str(answer["message"])
        return True, str(answer["text"])


@dataclass
class Tally:
    """Measurements for one way of posting."""

    posts: int = 0
    messages: list[int] = field(default_factory=list)
    refused: int = 0
    over_limit: int = 0
    max_entities: int = 0
    max_length: int = 0
    lossy_posts: int = 0
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _pieces(change: Change) -> list[str]:
    """The inserted and deleted words of every substantive clause, as a reader sees them."""
    pieces = []
    for clause in change.clauses:
        if clause.significance is not Significance.SUBSTANTIVE:
            continue
        if clause.old is None or clause.new is None:
            pieces.append(display_text(clause.new or clause.old or ""))
            continue
        pieces += [text for op, text in shown_diff(clause) if op is not DiffOp.EQUAL]
    return [" ".join(p.split()) for p in pieces if p.strip()]


def _measure_post(messages: list[Message], judge: Judge, tally: Tally) -> str:
    seen = []
    for message in messages:
        ok, result = judge.accepts(message.html)
        if not ok:
            tally.refused += 1
            tally.errors.append(result)
            continue
        parsed = parse_html(message.html)
        limit = 1024 if message.attachment else 4096
        tally.over_limit += parsed.length > limit or len(parsed.entities) > 100
        tally.max_entities = max(tally.max_entities, len(parsed.entities))
        tally.max_length = max(tally.max_length, parsed.length)
        seen.append(parsed.text)
    return " ".join(" ".join(seen).split())


def peer_post(change: Change, title: str) -> str:
    """The changedetection.io way: one message, <s>removed</s> <b>added</b>, cut at 3600."""
    lines = [html.escape(title)]
    for clause in change.clauses:
        if clause.old is None or clause.new is None:
            text = html.escape(display_text(clause.new or clause.old or ""))
            lines.append(f"<b>{text}</b>" if clause.new is not None else f"<s>{text}</s>")
            continue
        parts = []
        for op, text in shown_diff(clause):
            escaped = html.escape(text)
            parts.append(
                escaped
                if op is DiffOp.EQUAL
                else f"<s>{escaped}</s>"
                if op is DiffOp.DELETE
                else f"<b>{escaped}</b>"
            )
        lines.append("".join(parts))
    return "\n".join(lines)[:PEER_CUT]


def run() -> dict[str, Tally]:
    """Render and judge every post; returns the tallies by way of posting."""
    require_corpus()
    judge = Judge()
    taxonomy = load_taxonomy(ROOT / "config" / "taxonomy.toml")
    tallies = {"tracker, 5 clauses": Tally(), "tracker, every clause": Tally(), "peer": Tally()}
    for folder in series_folders():
        document = document_for(folder.parts[-3])
        for old, new in transitions(folder):
            old_text = read_normalised(folder / f"{old}.md", document)
            new_text = read_normalised(folder / f"{new}.md", document)
            change = compare_classified(
                old_text,
                new_text,
                document=document.id,
                from_version=old,
                to_version=new,
                taxonomy=taxonomy,
            )
            if change.significance is Significance.COSMETIC:
                continue
            context = PostContext(
                title=document.title,
                source_url=document.url,
                detected_at=datetime(2025, 1, 1, tzinfo=UTC),
                change_page=f"{document.id}/changes/{new}.html",
            )
            pieces = _pieces(change)
            for name, cap in (("tracker, 5 clauses", 5), ("tracker, every clause", 10_000)):
                tally = tallies[name]
                for channel in CHANNELS:
                    started = time.perf_counter()
                    bound = None if cap > 5 else MAX_CLAUSE_MESSAGES  # every clause: no bound
                    messages = render_post(
                        change, context, channel, max_clauses=cap, max_messages=bound
                    )
                    tally.seconds.append(time.perf_counter() - started)
                    tally.posts += 1
                    tally.messages.append(len(messages))
                    text = _measure_post(messages, judge, tally)
                    if cap > 5 and any(piece not in text for piece in pieces):
                        tally.lossy_posts += 1
            peer = tallies["peer"]
            started = time.perf_counter()
            markup = peer_post(change, document.title)
            peer.seconds.append(time.perf_counter() - started)
            peer.posts += 1
            peer.messages.append(1)
            text = _measure_post([Message(role="summary", html=markup)], judge, peer)
            if any(piece not in text for piece in pieces):
                peer.lossy_posts += 1
    return tallies


def report(tallies: dict[str, Tally]) -> str:
    """The Markdown report."""
    import platform

    import tdjson

    rows = [
        "| | posts | messages per post (median / max) | refused by TDLib | over a limit "
        "| most entities | longest (chars) | posts losing words | render ms (median / p95) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, t in tallies.items():
        ms = sorted(s * 1000 for s in t.seconds)
        p95 = ms[int(0.95 * (len(ms) - 1))]
        lossy = "n/a (capped)" if name == "tracker, 5 clauses" else f"{t.lossy_posts}"
        rows.append(
            f"| {name} | {t.posts} | {statistics.median(t.messages):g} / {max(t.messages)} "
            f"| {t.refused} | {t.over_limit} | {t.max_entities} | {t.max_length} | {lossy} "
            f"| {statistics.median(ms):.1f} / {p95:.1f} |"
        )
    errors = sorted(set(tallies["peer"].errors))[:5]
    return "\n".join(
        [
            "# Telegram posts of every real change (benchmark)",
            "",
            "Generated by `benchmarks/telegram.py` (`make bench`) on "
            f"{datetime.now(UTC):%Y-%m-%d}, Python {platform.python_version()}, TDLib "
            f"{getattr(tdjson, '__version__', '1.8.69')} (the `tdjson` wheel) as the judge. "
            "The changes are every substantive or minor transition of the LinkedIn Markdown "
            "series of the corpus (the significance evaluation's set); each is posted to an "
            "English and a French channel. *Posts losing words*: a substantive clause's "
            "inserted or deleted words missing from the posted text (with every clause shown). "
            "The peer is the changedetection.io way of posting to Telegram (whole diff, "
            "`<s>`/`<b>`, cut at 3600 characters), reimplemented from its description.",
            "",
            *rows,
            "",
            "TDLib's answers to the peer's refused messages (first five distinct):",
            "",
            *[f"- `{e}`" for e in errors],
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="write the Markdown report here")
    args = parser.parse_args()
    text = report(run())
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
