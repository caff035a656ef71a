"""The classifier against the hand-labelled real changes (what ``make eval`` reports).

Slow-ish (about 10 s) and needs ../shared/corpus; the figures and the disagreements are in
docs/classification-eval.md.
"""

from __future__ import annotations

import pytest

from tests.corpus import REQUIRES_CORPUS
from tracker.classify.taxonomy import Taxonomy

pytestmark = REQUIRES_CORPUS


@pytest.fixture(scope="module")
def measured(taxonomy: Taxonomy) -> dict[str, float]:
    from benchmarks.classification import measure

    figures, _ = measure(taxonomy)
    return figures


@pytest.mark.parametrize(
    "target",
    ["legal-basis change recall", "legal-basis change precision", "data-category macro-F1"],
)
def test_target_is_met(measured: dict[str, float], target: str) -> None:
    from benchmarks.classification import TARGETS

    assert measured[target] >= TARGETS[target], f"{target}: {measured[target]:.3f}"


#: Floors of the per-change figures on the held-out part (issue 13): what the change records
#: reached when labels began to come from the changed words (before: every label of the
#: clause; data-category macro-F1 0.58, precision 0.59). The goals of CHANGE_TARGETS are
#: higher and not all met yet (docs/classification-eval.md).
FLOORS = {
    "per-change data-category macro-F1": 0.80,
    "per-change precision, every label": 0.80,
    "per-change legal-basis recall": 0.90,
    "EN/FR label overlap (Jaccard)": 0.70,
}


@pytest.mark.parametrize("figure", sorted(FLOORS))
def test_per_change_figure_holds_its_floor(measured: dict[str, float], figure: str) -> None:
    assert measured[figure] >= FLOORS[figure], f"{figure}: {measured[figure]:.3f}"


def test_every_known_real_change_is_tagged_as_expected(taxonomy: Taxonomy) -> None:
    from benchmarks.classification import check_known

    problems = {known.name: found for known, _, found in check_known(taxonomy) if found}
    assert problems == {}


def test_every_changed_clause_of_the_corpus_is_labelled(taxonomy: Taxonomy) -> None:
    from benchmarks.classification import evaluate

    outcomes = evaluate(taxonomy)  # exits when labels and corpus units do not match
    assert len(outcomes) >= 150
