"""Hostile pages must not wedge the worker (issue 10): every stage stays linear or bounded.

Timing targets live in ``benchmarks/hostile.py``; these tests check, without a clock, that the
results on large inputs are right and bounded: overlong clauses are cut into pieces, an edit
changes only the pieces around it, repeated and unrelated clauses are paired without scanning
everything for each one, and the renderers cope. On the code before the fix these tests
failed (one clause of a megabyte), ran for minutes (a few edits in it: more than two minutes;
20,000 repeated paragraphs under a renamed heading: 97 s) or took tens of seconds.
"""

from __future__ import annotations

import json
import random

import pytest

from tests.servers import FIXED_NOW
from tracker.changes import compare_classified
from tracker.channels import Channel
from tracker.clauses import MAX_CLAUSE_CHARS, PIECE_MAX_CHARS, PIECE_MIN_CHARS, split_clauses
from tracker.diff import change_to_dict, compare
from tracker.models import Change, ChangeKind
from tracker.render.html import render_change_page
from tracker.render.markdown import render_change_markdown
from tracker.render.telegram import PostContext, render_post
from tracker.render.telegram_limits import fits
from tracker.taxonomy import Taxonomy
from tracker.wording import visible_words

LEGAL_WORDS = tuple(
    " ".join(
        (
            "we process your personal data including profile information messages location",
            "and contact details of members and visitors to provide secure and improve our",
            "services where this is necessary for the performance of our contract with you or",
            "where we rely on our legitimate interests or with your consent which you may",
            "withdraw at any time and we do not sell your data to third parties except as",
            "described in this policy",
        )
    ).split(" ")
)


def legal_words(count: int, seed: int = 1) -> list[str]:
    """``count`` plausible legal words, with "consent", "legitimate interests", "not"."""
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        word = rnd.choice(LEGAL_WORDS)
        if rnd.random() < 0.01:
            word = rnd.choice(("consent", "legitimate interests", "not"))
        out.append(word)
    return out


def edited(words: list[str], edits: int = 1) -> list[str]:
    """``words`` with ``edits`` words replaced, spread evenly."""
    out = list(words)
    for number in range(1, edits + 1):
        out[len(out) * number // (edits + 1)] = "changed"
    return out


def texts_of(change: Change) -> list[str]:
    return [text for c in change.clauses for text in (c.old, c.new) if text is not None]


# ------------------------------------------------------------------------------ clauses
def test_a_megabyte_paragraph_is_cut_into_bounded_pieces_holding_every_word() -> None:
    words = legal_words(170_000)  # about 1 MB, one paragraph, no sentence end
    text = " ".join(words)
    clauses = split_clauses("# Privacy Policy\n\n" + text + "\n")
    pieces = clauses[1:]
    assert len(pieces) > len(text) // PIECE_MAX_CHARS
    assert all(len(c.text) <= PIECE_MAX_CHARS for c in pieces)
    assert sum(len(c.text) < PIECE_MIN_CHARS for c in pieces[:-1]) < len(pieces) // 50
    assert [w for c in pieces for w in c.text.split()] == text.split()
    assert len({c.id for c in clauses}) == len(clauses)
    assert pieces[0].id == "privacy-policy/p1/part1"


def test_a_clause_without_spaces_is_cut_too() -> None:
    rnd = random.Random(7)
    blob = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(300_000))
    clauses = split_clauses(blob + "\n")
    assert all(len(c.text) <= PIECE_MAX_CHARS for c in clauses)
    assert "".join(c.text for c in clauses) == blob


def test_a_heading_longer_than_any_title_is_read_as_a_paragraph() -> None:
    giant = "# " + "word " * (MAX_CLAUSE_CHARS // 5 + 10)
    clauses = split_clauses(giant + "\n\nA clause under it.\n")
    assert clauses[-1].section == ()
    assert all(c.kind.value != "heading" for c in clauses)


# ------------------------------------------------------------------------------ compare
def test_a_few_edits_in_a_megabyte_paragraph_change_a_few_bounded_clauses() -> None:
    words = legal_words(170_000)
    change = compare(" ".join(words), " ".join(edited(words, 5)))
    assert 5 <= len(change.clauses) <= 10
    # an edit may also make or unmake a cut: two pieces merged into one, or one split
    edited_kinds = {ChangeKind.MODIFIED, ChangeKind.SPLIT, ChangeKind.MERGED}
    assert all(c.kind in edited_kinds for c in change.clauses)
    assert all(len(text) <= PIECE_MAX_CHARS for text in texts_of(change))
    inserted = [t for c in change.clauses for op, t in c.diff if op.value == "insert"]
    assert sum(t.count("changed") for t in inserted) == 5


def test_an_insertion_in_a_text_without_spaces_changes_one_or_two_pieces() -> None:
    rnd = random.Random(3)
    blob = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(400_000))
    change = compare(blob, blob[:200_000] + "INSERTED" + blob[200_000:])
    assert 1 <= len(change.clauses) <= 4
    assert all(len(text) <= PIECE_MAX_CHARS for text in texts_of(change))


def test_thousands_of_identical_paragraphs_are_paired_in_order() -> None:
    # A renamed heading changes every id below it: each repeated text used to be paired by
    # scanning all the others for one with its id, then its section (quadratic).
    body = "\n\n".join(["We may share your data with our affiliates."] * 20_000)
    change = compare("# Terms\n\n" + body, "# Conditions\n\n" + body)
    assert [(c.kind, c.old, c.new) for c in change.clauses] == [
        (ChangeKind.REMOVED, "Terms", None),
        (ChangeKind.ADDED, None, "Conditions"),
    ]


def test_two_unrelated_hostile_texts_are_compared_within_the_budget() -> None:
    # Hundreds of long clauses of the same small vocabulary and no clause in common: the
    # near-match and split/merge steps used to compare them all with each other (minutes).
    old = " ".join(legal_words(60_000, seed=1))
    new = " ".join(legal_words(60_000, seed=2))
    change = compare(old, new)
    old_pieces = [c.text for c in split_clauses(old)]
    new_pieces = [c.text for c in split_clauses(new)]
    shown_old = [c.old for c in change.clauses if c.old is not None]
    shown_new = [c.new for c in change.clauses if c.new is not None]
    assert sorted(shown_old) == sorted(old_pieces)  # nothing lost, whatever was paired
    assert sorted(shown_new) == sorted(new_pieces)


# ------------------------------------------------------------------------------ classify, render
@pytest.fixture(scope="module")
def hostile_change(taxonomy: Taxonomy) -> Change:
    """A normal clause replaced by 300 kB of legal words: thousands of labels to find."""
    old = "# Privacy Policy\n\nWe use your data with your consent.\n"
    new = "# Privacy Policy\n\n" + " ".join(legal_words(50_000)) + "\n"
    return compare_classified(
        old,
        new,
        document="linkedin/privacy-policy",
        from_version="a",
        to_version="b",
        taxonomy=taxonomy,
    )


def test_a_hostile_change_is_classified_piece_by_piece(hostile_change: Change) -> None:
    assert len(hostile_change.clauses) > 50
    assert "consent" in hostile_change.labels
    assert "legitimate_interests" in hostile_change.labels
    assert all(c.rank is not None for c in hostile_change.clauses)


def test_a_hostile_change_renders_in_every_format(hostile_change: Change) -> None:
    page = render_change_page(hostile_change, title="Privacy Policy", source_url="https://x")
    markdown = render_change_markdown(hostile_change, title="Privacy", source_url="https://x")
    record = json.dumps(change_to_dict(hostile_change))
    for text in (page, markdown, record):
        assert "legitimate interests" in text
    words = " ".join(visible_words(markdown))
    assert words.count("legitimate interests") >= 100


def test_a_hostile_change_makes_a_telegram_post_within_the_limits(hostile_change: Change) -> None:
    channel = Channel(name="c", chat_id="@c", documents=("linkedin/*",))
    context = PostContext(
        title="Privacy Policy",
        source_url="https://www.linkedin.com/legal/privacy-policy",
        detected_at=FIXED_NOW,
        change_page="linkedin/privacy-policy/changes/b.html",
    )
    messages = render_post(hostile_change, context, channel)
    assert all(fits(m.html, caption=m.attachment is not None) for m in messages)
    assert any("more changed clauses" in m.html for m in messages)
