"""Per-change scores of the classification (issue 13): what the change record shows, per unit.

The reference of a unit is its ``about`` labels in ``eval/classification.toml`` (what its
changed words are about, docs/classification-labelling.md); the prediction is every label its
change record shows (``labels`` and ``lost`` of the classified clause). Pure functions over
``(reference, prediction)`` pairs, with percentile-bootstrap intervals (seeded, so the report
is the same from run to run) and Cohen's kappa per label group against a second annotator.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

#: A unit's (reference, prediction) labels.
Pair = tuple[frozenset[str], frozenset[str]]

BOOTSTRAP = 1000
SEED = 13


@dataclass(frozen=True)
class Figure:
    """A figure with its 95 % percentile-bootstrap interval, and how many units it is over."""

    value: float
    low: float
    high: float
    units: int

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.2f}, {self.high:.2f}] (n={self.units})"


def _counts(pairs: Sequence[Pair], labels: Sequence[str]) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for truth, guess in pairs:
        for label in labels:
            tp += label in truth and label in guess
            fp += label not in truth and label in guess
            fn += label in truth and label not in guess
    return tp, fp, fn


def recall(pairs: Sequence[Pair], labels: Sequence[str]) -> float:
    """Micro recall of ``labels`` over the units (1.0 when no unit is about one)."""
    tp, _, fn = _counts(pairs, labels)
    return tp / (tp + fn) if tp + fn else 1.0


def precision(pairs: Sequence[Pair], labels: Sequence[str]) -> float:
    """Micro precision of ``labels`` over the units (1.0 when none is shown)."""
    tp, fp, _ = _counts(pairs, labels)
    return tp / (tp + fp) if tp + fp else 1.0


def macro_f1(pairs: Sequence[Pair], labels: Sequence[str]) -> float:
    """Mean F1 of the labels that occur in the reference or the prediction."""
    scores = []
    for label in labels:
        tp, fp, fn = _counts(pairs, [label])
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 1.0


def complete(pairs: Sequence[Pair], labels: Sequence[str]) -> float:
    """Share of the key units (about at least one label) whose record shows all of them."""
    keyed = [(t & set(labels), g) for t, g in pairs if t & set(labels)]
    return sum(truth <= guess for truth, guess in keyed) / len(keyed) if keyed else 1.0


def with_interval(
    pairs: Sequence[Pair],
    labels: Sequence[str],
    statistic: Callable[[Sequence[Pair], Sequence[str]], float],
) -> Figure:
    """``statistic`` over ``pairs`` with a 95 % percentile-bootstrap interval (units resampled)."""
    value = statistic(pairs, labels)
    if not pairs:
        return Figure(value, value, value, 0)
    rng = random.Random(SEED)
    samples = sorted(
        statistic([pairs[rng.randrange(len(pairs))] for _ in pairs], labels)
        for _ in range(BOOTSTRAP)
    )
    return Figure(
        value, samples[int(0.025 * BOOTSTRAP)], samples[int(0.975 * BOOTSTRAP) - 1], len(pairs)
    )


def kappa(
    first: Sequence[frozenset[str]], second: Sequence[frozenset[str]], labels: Sequence[str]
) -> float:
    """Cohen's kappa of two annotators' yes/no decisions on each (unit, label) of a group."""
    decisions = [
        (label in a, label in b) for a, b in zip(first, second, strict=True) for label in labels
    ]
    if not decisions:
        return 1.0
    n = len(decisions)
    observed = sum(x == y for x, y in decisions) / n
    p_first = sum(x for x, _ in decisions) / n
    p_second = sum(y for _, y in decisions) / n
    expected = p_first * p_second + (1 - p_first) * (1 - p_second)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def kappa_interval(
    first: Sequence[frozenset[str]], second: Sequence[frozenset[str]], labels: Sequence[str]
) -> Figure:
    """:func:`kappa` with a 95 % percentile-bootstrap interval (units resampled)."""
    value = kappa(first, second, labels)
    if not first:
        return Figure(value, value, value, 0)
    rng = random.Random(SEED)
    size = len(first)
    samples = []
    for _ in range(BOOTSTRAP):
        chosen = [rng.randrange(size) for _ in range(size)]
        samples.append(kappa([first[i] for i in chosen], [second[i] for i in chosen], labels))
    samples.sort()
    return Figure(value, samples[int(0.025 * BOOTSTRAP)], samples[int(0.975 * BOOTSTRAP) - 1], size)


def jaccard(pairs: Sequence[tuple[frozenset[str], frozenset[str]]]) -> float:
    """Mean label overlap (shared labels over labels of either) of aligned pairs with a label."""
    used = [(a, b) for a, b in pairs if a | b]
    return sum(len(a & b) / len(a | b) for a, b in used) / len(used) if used else 1.0


def read_second(path_text: str) -> Mapping[str, frozenset[str]]:
    """The second annotator's ``about`` labels by unit key (``eval/second-annotator.toml``)."""
    import tomllib

    entries = tomllib.loads(path_text).get("unit", [])
    return {entry["key"]: frozenset(entry.get("about", ())) for entry in entries}
