"""How well ``tracker.compare.diff.compare`` grades the significance of real changes.

Run by ``make eval``.

Reads the hand-labelled transitions of ``eval/significance.toml`` (every consecutive pair of
files of the LinkedIn Markdown series listed in :data:`SERIES`), normalises both files as
``tracker import`` does, runs :func:`tracker.compare.diff.compare` on each pair and reports:

* the 3x3 confusion matrix (true significance by predicted), per-class precision and recall;
* every disagreement, with the label's ``why`` and the clause changes that were predicted;
* the two goals: every substantive change flagged substantive (recall 1.0), and no cosmetic
  change flagged substantive.

The labels never come from ``compare``; see the header of ``eval/significance.toml``.

Usage: ``python benchmarks/significance.py [--write docs/significance-eval.md] [--check]``
(``--check`` exits 1 when a goal is missed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``tracker`` importable from the checkout
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from tracker.models import Change, Document

CORPUS = Path(os.environ.get("TRACKER_CORPUS") or ROOT.parent / "shared" / "corpus")
LABELS = ROOT / "eval" / "significance.toml"
CONFIG_DIR = ROOT / "config"
RULE_SET = "linkedin-legal"

#: The series the labelled set covers, as globs under the corpus root (each match is a folder
#: of ``<timestamp>.md`` files in date order).
SERIES = (
    "linkedin/privacy-policy/markdown/en_contrib",
    "linkedin/privacy-policy/markdown/en_pga",
    "linkedin/eu-regional-privacy-notice/markdown/en_pga",
    "linkedin/user-agreement/markdown/en_pga",
    "linkedin/user-agreement/markdown/en_vlopses-ie",
    "linkedin/user-agreement/markdown/en_vlopses-us",
    "linkedin/cookie-policy/markdown/*",
)
CLASSES = ("cosmetic", "minor", "substantive")


@dataclass(frozen=True)
class Labelled:
    """One hand-labelled transition of ``eval/significance.toml``."""

    series: str
    old: str
    new: str
    significance: str
    why: str
    mixed: str = ""
    chrome: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """(series, from, to): what identifies the transition."""
        return (self.series, self.old, self.new)

    @property
    def name(self) -> str:
        """``document/series from → to`` for reports."""
        parts = self.series.split("/")
        return f"{parts[1]}/{parts[-1]} {self.old} → {self.new}"


@dataclass(frozen=True)
class Outcome:
    """A labelled transition and what ``compare`` made of it."""

    label: Labelled
    change: Change

    @property
    def predicted(self) -> str:
        """The predicted significance (``cosmetic``, ``minor`` or ``substantive``)."""
        return str(self.change.significance)


def require_corpus() -> None:
    """Exit with a clear message when the shared corpus is not where we expect it."""
    if not (CORPUS / "manifest.json").is_file():
        raise SystemExit(
            f"corpus not found at {CORPUS} (no manifest.json): put it at ../shared/corpus or "
            "set TRACKER_CORPUS to the folder of manifest.json"
        )


def load_labels(path: Path = LABELS) -> list[Labelled]:
    """The labelled transitions, in file order; checks each entry's fields."""
    with path.open("rb") as handle:
        entries = tomllib.load(handle).get("transition", [])
    labels = []
    for number, entry in enumerate(entries, 1):
        missing = {"series", "from", "to", "significance", "why"} - entry.keys()
        if missing:
            raise ValueError(f"{path}: transition #{number} lacks {sorted(missing)}")
        if entry["significance"] not in CLASSES:
            raise ValueError(f"{path}: transition #{number}: unknown {entry['significance']!r}")
        labels.append(
            Labelled(
                series=entry["series"],
                old=entry["from"],
                new=entry["to"],
                significance=entry["significance"],
                why=entry["why"],
                mixed=entry.get("mixed", ""),
                chrome=bool(entry.get("chrome", False)),
            )
        )
    return labels


def series_folders(corpus: Path = CORPUS, patterns: tuple[str, ...] = SERIES) -> list[Path]:
    """The series folders matched by ``patterns``, sorted."""
    return sorted({p for pattern in patterns for p in corpus.glob(pattern) if p.is_dir()})


def transitions(folder: Path) -> list[tuple[str, str]]:
    """Every consecutive (from, to) pair of file stems of one series, in date order."""
    stems = sorted(p.stem for p in folder.glob("*.md"))
    return list(pairwise(stems))


def expected_keys(corpus: Path = CORPUS) -> set[tuple[str, str, str]]:
    """(series, from, to) of every transition the labelled set must cover."""
    return {
        (folder.relative_to(corpus).as_posix(), old, new)
        for folder in series_folders(corpus)
        for old, new in transitions(folder)
    }


@cache
def _documents() -> dict[str, Document]:
    from tracker.config import load_documents

    return load_documents(CONFIG_DIR)


@cache
def document_for(name: str) -> Document:
    """The tracked document a corpus folder (``privacy-policy``...) stands for.

    The project's own ``config/documents/linkedin/<name>.toml`` when there is one; otherwise
    (documents we do not track, e.g. ``brand-guidelines``) its ``/legal/<name>`` URL with the
    ``linkedin-legal`` rule set, which every LinkedIn legal page uses.
    """
    from tracker.config import merge_rules, read_rule_set
    from tracker.models import Document

    documents = _documents()
    if f"linkedin/{name}" in documents:
        return documents[f"linkedin/{name}"]
    path = CONFIG_DIR / "rules" / f"{RULE_SET}.toml"
    spec = read_rule_set(CONFIG_DIR, RULE_SET, referenced_from=path)
    return Document(
        id=f"linkedin/{name}",
        title=name,
        url=f"https://www.linkedin.com/legal/{name}",
        language="en",
        rules=merge_rules(None, spec.extract, path),
    )


def read_normalised(path: Path, document: Document) -> str:
    """A corpus Markdown file, normalised exactly as ``tracker import`` normalises it."""
    from tracker.extract.normalise import normalise_version

    text = path.read_text(encoding="utf-8")
    return normalise_version(text, document.rules, base_url=document.url)


def predict(label: Labelled, corpus: Path = CORPUS) -> Change:
    """Run ``compare`` on one labelled transition."""
    from tracker.compare.diff import compare

    folder = corpus / label.series
    document = document_for(label.series.split("/")[1])
    old = read_normalised(folder / f"{label.old}.md", document)
    new = read_normalised(folder / f"{label.new}.md", document)
    return compare(old, new, document=document.id, from_version=label.old, to_version=label.new)


def evaluate(labels: list[Labelled], corpus: Path = CORPUS) -> list[Outcome]:
    """``compare`` on every labelled transition."""
    return [Outcome(label, predict(label, corpus)) for label in labels]


# ---------------------------------------------------------------------------------- the report
def goal_failures(outcomes: list[Outcome]) -> tuple[list[Outcome], list[Outcome]]:
    """(substantive changes not flagged substantive, cosmetic changes flagged substantive)."""
    missed = [
        o
        for o in outcomes
        if o.label.significance == "substantive" and o.predicted != "substantive"
    ]
    false_alarms = [
        o for o in outcomes if o.label.significance == "cosmetic" and o.predicted == "substantive"
    ]
    return missed, false_alarms


def _short(text: str | None, limit: int = 90) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def clause_summary(change: Change) -> str:
    """``modified: 2 substantive, 1 cosmetic; added: 1 substantive`` for one change."""
    by_kind: dict[str, Counter[str]] = {}
    for clause in change.clauses:
        by_kind.setdefault(str(clause.kind), Counter())[str(clause.significance)] += 1
    if not by_kind:
        return "no clause changes"
    return "; ".join(
        f"{kind}: " + ", ".join(f"{n} {sig}" for sig, n in sorted(counts.items()))
        for kind, counts in by_kind.items()
    )


def driving_clauses(change: Change, limit: int = 3) -> list[str]:
    """The first few clause changes that carry the change's overall significance."""
    from tracker.models import DiffOp

    lines = []
    for clause in change.clauses:
        if clause.significance != change.significance:
            continue
        edits = [
            ("+" if op == DiffOp.INSERT else "-") + repr(_short(text, 40))
            for op, text in clause.diff
            if op != DiffOp.EQUAL
        ]
        if edits:
            detail = " ".join(edits[:4])
        else:
            detail = f"old {_short(clause.old, 60)!r} → new {_short(clause.new, 60)!r}"
        where = " > ".join(clause.section) or "(top)"
        lines.append(f"{clause.kind} in {_short(where, 50)}: {detail}")
        if len(lines) == limit:
            break
    return lines


def report(outcomes: list[Outcome]) -> str:
    """The Markdown report."""
    matrix = Counter((o.label.significance, o.predicted) for o in outcomes)
    true_counts = Counter(o.label.significance for o in outcomes)
    lines = [
        "# Significance: evaluation on real LinkedIn changes",
        "",
        f"Measured by `make eval` (`benchmarks/significance.py`) on {datetime.now(UTC):%Y-%m-%d}"
        f": {len(outcomes)} hand-labelled transitions of `eval/significance.toml` (every "
        "consecutive pair of the LinkedIn privacy-policy, EU-notice, user-agreement and "
        "cookie-policy Markdown series of `../shared/corpus`), each pair normalised as "
        "`tracker import` does and compared by `tracker.compare.diff.compare`. "
        "The labels were made by reading word-level diffs of the files, independently of "
        "`compare`.",
        "",
        "True classes: "
        + ", ".join(f"{true_counts[c]} {c}" for c in CLASSES)
        + f" ({sum(1 for o in outcomes if o.label.chrome)} of the cosmetic ones are page "
        "chrome let through by OTA's extraction, see `chrome = true` in the labels).",
        "",
        "## Goals",
        "",
    ]
    missed, false_alarms = goal_failures(outcomes)
    substantive = true_counts["substantive"]
    recall = (substantive - len(missed)) / substantive if substantive else 1.0
    lines += [
        f"- Every substantive change flagged substantive (recall 1.0): **{recall:.2f}** — "
        + ("met" if not missed else f"**missed {len(missed)}**"),
        f"- No cosmetic change flagged substantive: **{len(false_alarms)}** — "
        + ("met" if not false_alarms else "**not met**"),
        "",
        "## Confusion matrix",
        "",
        "Rows: true significance (label); columns: predicted by `compare`.",
        "",
        "| true \\ predicted | " + " | ".join(CLASSES) + " | total |",
        "| --- | " + " | ".join("---:" for _ in CLASSES) + " | ---: |",
    ]
    for truth in CLASSES:
        row = [matrix[(truth, p)] for p in CLASSES]
        lines.append(f"| **{truth}** | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    col = [sum(matrix[(t, p)] for t in CLASSES) for p in CLASSES]
    lines += [
        "| total | " + " | ".join(map(str, col)) + f" | {len(outcomes)} |",
        "",
        "| class | precision | recall | support |",
        "| --- | ---: | ---: | ---: |",
    ]
    for cls, predicted_total in zip(CLASSES, col, strict=True):
        hits = matrix[(cls, cls)]
        precision = f"{hits / predicted_total:.2f}" if predicted_total else "-"
        rec = f"{hits / true_counts[cls]:.2f}" if true_counts[cls] else "-"
        lines.append(f"| {cls} | {precision} | {rec} | {true_counts[cls]} |")
    correct = sum(matrix[(c, c)] for c in CLASSES)
    lines += [
        "",
        f"Accuracy: {correct}/{len(outcomes)} ({correct / len(outcomes):.0%}).",
        "",
        "## Disagreements",
        "",
    ]
    disagreements = [o for o in outcomes if o.predicted != o.label.significance]
    if not disagreements:
        lines.append("None: every transition was graded as labelled.")
    for o in disagreements:
        lines += [
            f"### {o.label.name}",
            "",
            f"- label **{o.label.significance}**, predicted **{o.predicted}**",
            f"- why (label): {o.label.why}",
        ]
        if o.label.mixed:
            lines.append(f"- also in the label: {o.label.mixed}")
        lines.append(f"- predicted clauses: {clause_summary(o.change)}")
        for detail in driving_clauses(o.change):
            lines.append(f"  - {_cell(detail)}")
        lines.append("")
    lines += [
        "## Every transition",
        "",
        "| transition | label | predicted | clauses |",
        "| --- | --- | --- | --- |",
    ]
    for o in outcomes:
        mark = "" if o.predicted == o.label.significance else " ✗"
        lines.append(
            f"| {o.label.name} | {o.label.significance} | {o.predicted}{mark} "
            f"| {_cell(clause_summary(o.change))} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Evaluate and print (or write) the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--write", type=Path, help="write the Markdown report to this file")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a goal is not met"
    )
    args = parser.parse_args()
    require_corpus()
    labels = load_labels()
    expected = expected_keys()
    have = {label.key for label in labels}
    if expected - have or have - expected:
        raise SystemExit(
            f"{LABELS} is out of step with the corpus: unlabelled "
            f"{sorted(expected - have)}, unknown {sorted(have - expected)}"
        )
    try:
        import tracker.compare.diff  # noqa: F401
    except ImportError as exc:
        raise SystemExit(f"cannot import tracker.compare.diff: {exc}") from exc
    outcomes = evaluate(labels)
    text = report(outcomes)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    print(text)
    missed, false_alarms = goal_failures(outcomes)
    if args.check and (missed or false_alarms):
        raise SystemExit(
            f"goals not met: {len(missed)} substantive missed, "
            f"{len(false_alarms)} cosmetic flagged substantive"
        )


if __name__ == "__main__":
    main()
