"""The per-change scores of `make eval` (benchmarks/classification_change.py), no corpus."""

from __future__ import annotations

import pytest

from benchmarks.classification_change import (
    complete,
    jaccard,
    kappa,
    kappa_interval,
    macro_f1,
    precision,
    recall,
    with_interval,
)

A, B, C = "consent", "profile", "location"
PAIRS = [
    (frozenset({A, B}), frozenset({A, B, C})),  # one extra
    (frozenset({B}), frozenset()),  # one missed
    (frozenset(), frozenset()),
]


def test_precision_and_recall_count_every_label_a_record_shows() -> None:
    assert precision(PAIRS, [A, B, C]) == pytest.approx(2 / 3)
    assert recall(PAIRS, [A, B, C]) == pytest.approx(2 / 3)
    assert complete(PAIRS, [A, B, C]) == pytest.approx(1 / 2)


def test_macro_f1_leaves_out_labels_nobody_used() -> None:
    # consent F1 1, profile 2/3, location 0 (one false positive): mean of three.
    assert macro_f1(PAIRS, [A, B, C, "messages"]) == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_interval_holds_the_value() -> None:
    figure = with_interval(PAIRS * 10, [A, B, C], precision)
    assert figure.low <= figure.value <= figure.high
    assert figure.units == 30


def test_kappa() -> None:
    first = [frozenset({A}), frozenset(), frozenset({A}), frozenset()]
    assert kappa(first, first, [A]) == 1.0
    flipped = [frozenset() if f else frozenset({A}) for f in first]
    assert kappa(first, flipped, [A]) == -1.0
    figure = kappa_interval(first * 5, first * 5, [A])
    assert (figure.value, figure.low, figure.high) == (1.0, 1.0, 1.0)


def test_jaccard_leaves_out_pairs_without_labels() -> None:
    pairs = [(frozenset({A, B}), frozenset({A})), (frozenset(), frozenset())]
    assert jaccard(pairs) == 0.5
