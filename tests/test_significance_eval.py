"""Acceptance over the real corpus: the significance of every labelled LinkedIn change.

``eval/significance.toml`` labels, by hand, every consecutive transition of the LinkedIn
privacy-policy, EU-notice, user-agreement and cookie-policy Markdown series. The two goals of
the comparison stage are asserted on it: every substantive change is flagged substantive, and
no cosmetic change (links, markup, whitespace, invisible characters) is. ``make eval`` prints
the whole confusion matrix; this test only guards the goals and the coverage of the labels.
"""

from __future__ import annotations

import pytest

from benchmarks.significance import (
    CLASSES,
    LABELS,
    Labelled,
    Outcome,
    evaluate,
    expected_keys,
    goal_failures,
    load_labels,
)
from tests.corpus import CORPUS, REQUIRES_CORPUS

pytestmark = [*REQUIRES_CORPUS, pytest.mark.slow]  # about 15 s: compare() on 67 real pairs


@pytest.fixture(scope="module")
def labels() -> list[Labelled]:
    return load_labels(LABELS)


@pytest.fixture(scope="module")
def outcomes(labels: list[Labelled]) -> list[Outcome]:
    return evaluate(labels, CORPUS)


def _listing(failures: list[Outcome]) -> str:
    return "\n".join(
        f"  {o.label.name}: labelled {o.label.significance}, predicted {o.predicted} "
        f"({o.label.why})"
        for o in failures
    )


def test_labels_cover_every_transition_of_the_series(labels: list[Labelled]) -> None:
    keys = [label.key for label in labels]
    assert len(keys) == len(set(keys)), "a transition is labelled twice"
    expected = expected_keys(CORPUS)
    assert set(keys) - expected == set(), "labels for transitions the corpus does not have"
    assert expected - set(keys) == set(), "transitions of the series without a label"
    assert all(label.significance in CLASSES for label in labels)
    assert {label.significance for label in labels} == set(CLASSES)


def test_every_substantive_change_is_flagged_substantive(outcomes: list[Outcome]) -> None:
    missed, _ = goal_failures(outcomes)
    if missed:
        pytest.fail("substantive changes not flagged substantive:\n" + _listing(missed))


def test_no_cosmetic_change_is_flagged_substantive(outcomes: list[Outcome]) -> None:
    _, false_alarms = goal_failures(outcomes)
    if false_alarms:
        pytest.fail("cosmetic changes flagged substantive:\n" + _listing(false_alarms))
