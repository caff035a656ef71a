"""The comparison stage: golden pairs, the word diff, the significance rules, and properties.

Golden cases are folders ``tests/golden/diff/<case>/`` with ``before.md`` and ``after.md``
(small texts written for the test, modelled on LinkedIn's pages) and ``expected.json``: the
:class:`~tracker.models.Change` as :func:`tracker.compare.diff.change_to_dict` serialises it.
``UPDATE_GOLDEN=1`` rewrites them; review ``git diff tests/golden/diff`` before committing.
"""

# Typographic quotes are the point of several tests here.
# ruff: noqa: RUF001

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.goldens import assert_golden, case_folders
from tracker.compare.diff import change_to_dict, compare
from tracker.compare.significance import clause_significance
from tracker.compare.worddiff import word_diff
from tracker.models import ChangeKind, DiffOp, Significance

CASES = case_folders("diff")

C, M, S = Significance.COSMETIC, Significance.MINOR, Significance.SUBSTANTIVE


def run_case(folder: Path) -> str:
    change = compare(
        (folder / "before.md").read_text(encoding="utf-8"),
        (folder / "after.md").read_text(encoding="utf-8"),
        document=f"golden/{folder.name}",
        from_version="before",
        to_version="after",
    )
    return json.dumps(change_to_dict(change), ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("folder", CASES, ids=[folder.name for folder in CASES])
def test_golden(folder: Path) -> None:
    assert_golden(folder / "expected.json", run_case(folder))


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize(
    ("case", "significance", "kinds"),
    [
        ("table-cell-one-word-edit", S, ["modified"]),
        ("table-row-added", S, ["added"] * 4),
        ("section-moved", M, ["moved"]),
        ("paragraph-moved-with-edit", S, ["moved"]),
        ("paragraph-split", S, ["split"]),
        ("list-items-merged", M, ["merged"]),
        ("link-target-only", C, ["modified", "modified"]),
        ("invisible-and-whitespace", C, []),
        ("typo-fix", M, ["modified"]),
        ("punctuation-and-quotes", M, ["modified"] * 3),
        ("list-renumbered", M, ["modified"] * 4),
        ("effective-date", S, ["modified"]),
        ("banner-added", S, ["added"]),
        ("negation-inserted", S, ["modified"]),
        ("french-typography", M, ["modified", "modified"]),
        ("french-negation", S, ["modified"]),
        ("long-paragraph-sentence-added", S, ["added"]),
        ("markup-only", C, ["modified", "modified"]),
    ],
)
def test_golden_verdicts(case: str, significance: Significance, kinds: list[str]) -> None:
    """What each golden case is about, said independently of its expected file."""
    data = json.loads(run_case(Path(__file__).parent / "golden" / "diff" / case))
    assert data["significance"] == significance.value
    assert [clause["kind"] for clause in data["clauses"]] == kinds


# ------------------------------------------------------------------------------ word diff


def show(ops: tuple[tuple[DiffOp, str], ...]) -> str:
    marks = {DiffOp.EQUAL: "{}", DiffOp.DELETE: "[-{}-]", DiffOp.INSERT: "{{+{}+}}"}
    return "".join(marks[op].format(text) for op, text in ops)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("We use your data.", "We do not use your data.", "We {+do not +}use your data."),
        (
            "Contact information (email, telephone, etc.)",
            "Contact information (email, address, etc.)",
            "Contact information (email, [-telephone-]{+address+}, etc.)",
        ),
        (
            "see our [Privacy Policy](https://www.linkedin.com/legal/privacy-policy) now",
            "see our [Privacy Policy](https://www.linkedin.com/legal/privacy/eu) now",
            "see our [Privacy Policy]([-https://www.linkedin.com/legal/privacy-policy-]"
            "{+https://www.linkedin.com/legal/privacy/eu+}) now",
        ),
        (
            "Nous partageons vos données",
            "Nous ne partageons pas vos données",
            "Nous {+ne +}partageons{+ pas+} vos données",
        ),
        ("", "Added.", "{+Added.+}"),
        ("Removed.", "", "[-Removed.-]"),
        ("Same.", "Same.", "Same."),
    ],
)
def test_word_diff(old: str, new: str, expected: str) -> None:
    assert show(word_diff(old, new)) == expected


def test_word_diff_keeps_words_whole() -> None:
    ops = word_diff("the data controller of your data", "the data processor of your data")
    changed = [text for op, text in ops if op is not DiffOp.EQUAL]
    assert changed == ["controller", "processor"]


def test_a_rewritten_long_cell_is_diffed_by_sentences_within_the_budget() -> None:
    """Two long texts with nothing in common would cost diff-match-patch seconds."""
    old = " ".join(f"alpha{i} beta{i}." for i in range(1500))
    new = " ".join(f"gamma{i} delta{i}." for i in range(1500))
    ops = word_diff(old, new)
    assert [op for op, _ in ops] == [DiffOp.DELETE, DiffOp.INSERT, DiffOp.EQUAL]
    assert ops[-1][1] == "."  # the final period is common to both
    edited = old.replace("alpha7 beta7.", "alpha7 and beta7.")
    ops = word_diff(old, edited)
    assert [(op, text) for op, text in ops if op is not DiffOp.EQUAL] == [(DiffOp.INSERT, "and ")]


def test_word_diff_of_empty_texts() -> None:
    assert word_diff("", "") == ()


TEXT = st.lists(
    st.sampled_from([*"abc déf ’'.,;:()[]*_\n«»", "<br>", "https://x.y/z", "\u00a0", "data "]),
    max_size=40,
).map("".join)


@given(TEXT, TEXT)
@settings(max_examples=300, deadline=None)
def test_word_diff_reconstructs_both_texts(old: str, new: str) -> None:
    ops = word_diff(old, new)
    assert "".join(text for op, text in ops if op is not DiffOp.INSERT) == old
    assert "".join(text for op, text in ops if op is not DiffOp.DELETE) == new
    assert all(text for _, text in ops)
    assert all(a[0] is not b[0] for a, b in itertools.pairwise(ops))


# --------------------------------------------------------------------------- significance


LONG = "LinkedIn may share your personal data with our service providers for the purposes below"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "See [this](https://a.example/1).",
            "See [this](https://a.example/2).",
            C,
            id="link-target",
        ),
        pytest.param("We use **your** data.", "We use your data.", C, id="emphasis"),
        pytest.param("We use\u200b your data.", "We use your data.", C, id="invisible"),
        pytest.param("We use your\\\ndata.", "We use your data.", C, id="hard-break"),
        pytest.param("Learn more﻿[](https://x.example)", "Learn more", C, id="empty-link"),
        pytest.param("We Use Your Data.", "We use your data.", M, id="capitalisation"),
        pytest.param("LinkedIn's data", "LinkedIn’s data", M, id="apostrophe"),
        pytest.param("LinkedIn’s data, don’t", "LinkedIns data, dont", M, id="apostrophe-dropped"),
        pytest.param('the "Notice"', "the « Notice »", M, id="guillemets"),
        pytest.param("Dublin 2 Ireland", "Dublin 2, Ireland", M, id="comma"),
        pytest.param("**2.5 Sharing**", "**2.6 Sharing**", M, id="section-number"),
        pytest.param("1\\. To display ads", "2\\. To display ads", M, id="item-number"),
        pytest.param(
            "See Section 3 of our policy", "See Section 4 of our policy", M, id="cross-ref"
        ),
        pytest.param("l’Union europeenne", "l’Union européenne", M, id="accent-long-word"),
        pytest.param(LINE := f"{LONG} and recieve data", f"{LONG} and receive data", M, id="typo"),
        pytest.param("ou", "où", S, id="accent-short-word"),
        pytest.param("Effective February 27, 2025", "Effective November 3, 2025", S, id="date"),
        pytest.param("up to 72 hours", "up to 48 hours", S, id="number"),
        pytest.param("2.5 million members", "2.6 million members", S, id="number-not-marker"),
        pytest.param(f"{LONG} we use", f"{LONG} we do not use", S, id="negation"),
        pytest.param(f"{LONG} with consent", f"{LONG} with content", S, id="guarded-word"),
        pytest.param(f"{LONG} we sell", f"{LONG} we tell", S, id="first-letter"),
        pytest.param("we recieve data", "we receive data", S, id="typo-in-short-clause"),
        pytest.param(
            "Nous partageons vos données", "Nous ne partageons pas vos données", S, id="ne-pas"
        ),
        pytest.param(None, "A new clause.", S, id="added"),
        pytest.param("An old clause.", None, S, id="removed"),
        pytest.param(None, "﻿[](https://x.example)", C, id="added-empty-link"),
        pytest.param(None, "", C, id="added-empty"),
    ],
)
def test_clause_significance(old: str | None, new: str | None, expected: Significance) -> None:
    assert clause_significance(old, new) is expected


def test_a_typo_must_be_a_word_found_nowhere_else() -> None:
    """ "form" → "from" is a typo LinkedIn made, but "form" is a word of the notice too."""
    old = f"{LONG} we receive form third parties"
    new = f"{LONG} we receive from third parties"
    assert clause_significance(old, new) is M
    vocabulary = Counter(["form", "form", "from", "from", "from"])
    assert clause_significance(old, new, vocabulary=vocabulary) is S
    vocabulary = Counter(["recieve", "receive", "receive"])
    fixed = (f"{LONG} we recieve data", f"{LONG} we receive data")
    assert clause_significance(*fixed, vocabulary=vocabulary) is M


# ------------------------------------------------------------------------------- compare


def test_compare_copies_the_identity_and_keeps_flip_back_empty() -> None:
    change = compare(
        "# A\n\nOne.\n", "# A\n\nTwo.\n", document="d", from_version="1", to_version="2"
    )
    assert (change.document, change.from_version, change.to_version) == ("d", "1", "2")
    assert change.flip_back_of is None
    assert change.labels == ()
    assert all(clause.labels == () for clause in change.clauses)


def test_a_change_without_clauses_is_cosmetic() -> None:
    change = compare("# A\n\nSame  text.\n", "# A\n\nSame text.\n")
    assert change.clauses == ()
    assert change.significance is C


def test_a_cell_moved_to_another_row_is_substantive() -> None:
    table = "| Purpose | Data |\n| --- | --- |\n| Ads | {a} |\n| Jobs | {b} |\n"
    before = table.format(a="Your location", b="Your resume")
    after = table.format(a="Your resume", b="Your location")
    change = compare(before, after)
    assert change.significance is S
    assert {clause.kind for clause in change.clauses} == {ChangeKind.MOVED}
    assert {clause.row for clause in change.clauses} <= {"Ads", "Jobs"}


def test_a_paragraph_under_a_new_heading_is_not_moved() -> None:
    before = "# Policy\n\nOne paragraph here.\n\nAnother paragraph there.\n"
    after = "# Policy\n\nOne paragraph here.\n\n## New part\n\nAnother paragraph there.\n"
    change = compare(before, after)
    assert [clause.kind for clause in change.clauses] == [ChangeKind.ADDED]
    assert change.clauses[0].new == "New part"


def test_a_heading_level_change_is_not_a_move() -> None:
    before = "Title\n=====\n\nPart\n----\n\n### Sub\n\nText of the sub part.\n"
    after = "Title\n=====\n\nPart\n=====\n\n### Sub\n\nText of the sub part.\n"
    change = compare(before, after)
    assert change.clauses == ()


def test_a_renamed_row_keeps_its_cells() -> None:
    table = "| | |\n| --- | --- |\n| **Purpose** | **Data** |\n| {key} | Profile data |\n"
    change = compare(
        table.format(key="Our automated AI features:"),
        table.format(key="Our AI features generally:"),
    )
    assert [clause.kind for clause in change.clauses] == [ChangeKind.MODIFIED]
    assert change.clauses[0].column == "Purpose"


def test_clauses_are_in_the_order_of_the_new_version() -> None:
    before = "# T\n\nAlpha one two three.\n\nBeta four five six.\n\nGamma seven eight.\n"
    after = "# T\n\nNew first words here.\n\nAlpha one two three.\n\nGamma seven eight.\n"
    kinds = [clause.kind for clause in compare(before, after).clauses]
    assert kinds == [ChangeKind.ADDED, ChangeKind.REMOVED]


# ---------------------------------------------------------------------------- properties

WORDS = st.sampled_from(
    [
        "the",
        "data",
        "we",
        "use",
        "your",
        "profile",
        "LinkedIn",
        "members",
        "consent",
        "share",
        "Ireland",
        "policy",
        "données",
        "partageons",
        "e.g.",
        "U.S.",
        "No.",
        "5",
        "2.5",
        "legitimate",
        "interests",
    ]
)
SENTENCE = st.lists(WORDS, min_size=3, max_size=14).map(lambda ws: " ".join(ws).capitalize() + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=5).map(" ".join)
HEADING = st.tuples(st.integers(1, 4), st.lists(WORDS, min_size=1, max_size=5)).map(
    lambda t: "#" * t[0] + " " + " ".join(t[1]).capitalize()
)
LIST = st.lists(SENTENCE, min_size=1, max_size=4).map(
    lambda items: "\n".join(f"- {i}" for i in items)
)
CELL = st.lists(SENTENCE, min_size=1, max_size=3).map("<br><br>".join)
TABLE = st.lists(st.lists(CELL, min_size=2, max_size=2), min_size=1, max_size=4).map(
    lambda rows: (
        "| | |\n| --- | --- |\n| **Purpose** | **Data** |\n"
        + "\n".join(f"| {a} | {b} |" for a, b in rows)
    )
)
BLOCK = st.one_of(PARAGRAPH, PARAGRAPH, HEADING, LIST, TABLE)
DOCUMENT = st.lists(BLOCK, min_size=1, max_size=12).map(lambda blocks: "\n\n".join(blocks) + "\n")


@given(DOCUMENT)
@settings(max_examples=100, deadline=None)
def test_a_version_compared_with_itself_has_no_change(text: str) -> None:
    change = compare(text, text)
    assert change.clauses == ()
    assert change.significance is C


@given(DOCUMENT, st.data())
@settings(max_examples=100, deadline=None)
def test_cosmetic_edits_are_never_substantive(text: str, data: st.DataObject) -> None:
    edited = text.replace(" data ", " [data](https://www.linkedin.com/legal/a) ", 1)
    edited = edited.replace(" members ", " members\u200b ", 2).replace(" your ", "  your ", 2)
    if data.draw(st.booleans()):
        edited = edited.replace(" profile ", " *profile* ", 1)
    assume(edited != text)
    change = compare(text, edited)
    assert change.significance is not S
    assert all(clause.kind is ChangeKind.MODIFIED for clause in change.clauses)


@given(DOCUMENT, st.data())
@settings(max_examples=100, deadline=None)
def test_an_inserted_word_is_substantive(text: str, data: st.DataObject) -> None:
    spots = [i for i, char in enumerate(text) if char == " " and text[i - 1].isalpha()]
    assume(spots)
    spot = data.draw(st.sampled_from(spots))
    change = compare(text, text[:spot] + " not" + text[spot:])
    assert change.significance is S


@given(DOCUMENT, DOCUMENT)
@settings(max_examples=60, deadline=None)
def test_any_change_is_consistent(old: str, new: str) -> None:
    change = compare(old, new)
    ranks = [clause.significance.rank for clause in change.clauses]
    assert change.significance.rank == max(ranks, default=0)
    for clause in change.clauses:
        if clause.kind is ChangeKind.ADDED:
            assert (clause.old, clause.diff, clause.old_ids) == (None, (), ())
        elif clause.kind is ChangeKind.REMOVED:
            assert (clause.new, clause.diff, clause.new_ids) == (None, (), ())
        else:
            assert clause.old_ids and clause.new_ids
        if clause.diff:
            assert "".join(t for op, t in clause.diff if op is not DiffOp.INSERT) == clause.old
            assert "".join(t for op, t in clause.diff if op is not DiffOp.DELETE) == clause.new
