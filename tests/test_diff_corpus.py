"""The comparison on real LinkedIn versions (OTA's Markdown in ``../shared/corpus``).

The texts are compared as they are stored there, without our normalisation: OTA's Markdown
keeps invisible characters, empty links and tracking parameters, which must stay cosmetic.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.corpus import CORPUS, REQUIRES_CORPUS
from tracker.compare.clauses import split_clauses
from tracker.compare.diff import compare
from tracker.compare.wording import visible_words
from tracker.models import Change, ChangeKind, ClauseChange, Significance

pytestmark = REQUIRES_CORPUS

LINKEDIN = CORPUS / "linkedin"
EU_NOTICE = LINKEDIN / "eu-regional-privacy-notice" / "markdown" / "en_pga"
PRIVACY_CONTRIB = LINKEDIN / "privacy-policy" / "markdown" / "en_contrib"


def compare_files(series: Path, old: str, new: str) -> Change:
    before, after = series / f"{old}.md", series / f"{new}.md"
    assert before.is_file() and after.is_file(), f"missing corpus files in {series}"
    return compare(
        before.read_text(encoding="utf-8"),
        after.read_text(encoding="utf-8"),
        document=str(series.relative_to(CORPUS)),
        from_version=old,
        to_version=new,
    )


@pytest.fixture(scope="module")
def eu_november_2025() -> Change:
    """The EU notice of 3 November 2025: legitimate interests for training generative AI."""
    return compare_files(EU_NOTICE, "2025-09-18T12-34-39Z", "2025-11-04T00-35-00Z")


def new_side(change: Change) -> list[ClauseChange]:
    kinds = {ChangeKind.ADDED, ChangeKind.MODIFIED, ChangeKind.MOVED, ChangeKind.SPLIT}
    return [clause for clause in change.clauses if clause.kind in kinds]


def test_the_eu_notice_change_is_substantive(eu_november_2025: Change) -> None:
    assert eu_november_2025.significance is Significance.SUBSTANTIVE


def test_the_generative_ai_training_row_is_added_with_its_columns(
    eu_november_2025: Change,
) -> None:
    row = "To train our content-generating Generative AI systems"
    cells = [clause for clause in new_side(eu_november_2025) if clause.row == row]
    assert {clause.kind for clause in cells} == {ChangeKind.ADDED}
    assert {clause.column for clause in cells} == {
        "",  # the first column's header cell is empty on the page
        "How we use your data",
        "Legitimate interests relied on",
        "Personal data used",
    }
    assert all(clause.significance is Significance.SUBSTANTIVE for clause in cells)
    assert all(
        clause.section[-1] == "When does LinkedIn rely on legitimate interests?" for clause in cells
    )
    data_used = next(clause for clause in cells if clause.column == "Personal data used")
    assert data_used.new is not None and "Group" in data_used.new


def test_the_other_new_rows_are_added(eu_november_2025: Change) -> None:
    rows = {clause.row for clause in new_side(eu_november_2025) if clause.kind is ChangeKind.ADDED}
    assert {
        "To offer our content-generating Generative AI features to Members",
        "To improve LinkedIn's products and Services generally",
    } <= rows
    assert any(row and row.startswith("If you are in the UK: Sharing data") for row in rows)


def test_the_renamed_row_is_modified_not_replaced(eu_november_2025: Change) -> None:
    renamed = [
        clause
        for clause in eu_november_2025.clauses
        if clause.row == "Our AI features generally:" and clause.column == ""
    ]
    assert [clause.kind for clause in renamed] == [ChangeKind.MODIFIED]
    assert renamed[0].old == "**Our automated AI features:**"


def test_special_category_data_and_the_16_17_section_are_new(eu_november_2025: Change) -> None:
    added = [clause for clause in new_side(eu_november_2025) if clause.kind is ChangeKind.ADDED]
    special = [c for c in added if c.section[-1:] == ("Special Category Data",)]
    assert any("Special Category Data" in (c.new or "") for c in special)
    assert all(c.significance is Significance.SUBSTANTIVE for c in special)
    minors = [c for c in added if "16 or 17" in " ".join(c.section) + (c.new or "")]
    assert any(c.kind is ChangeKind.ADDED and c.new and "16 or 17" in c.new for c in minors)
    assert any(c.section and "16 or 17" in c.section[-1] for c in minors)


def test_the_banner_and_the_effective_date_are_substantive(eu_november_2025: Change) -> None:
    title = ("LinkedIn European Regional Privacy Notice",)
    top = [clause for clause in eu_november_2025.clauses if clause.section == title]
    effective = next(c for c in top if c.new and "Effective November 3, 2025" in c.new)
    assert effective.kind is ChangeKind.MODIFIED
    assert effective.significance is Significance.SUBSTANTIVE
    banner = next(c for c in top if c.new and c.new.startswith("On November 3, 2025"))
    assert banner.significance is Significance.SUBSTANTIVE
    assert ("insert", "updated") in [(op.value, text) for op, text in banner.diff]


def test_microsoft_ai_training_sentence_is_shown_word_by_word(eu_november_2025: Change) -> None:
    affiliates = [c for c in eu_november_2025.clauses if c.section[-1:] == ("Affiliates",)]
    inserted = "".join(text for clause in affiliates for op, text in clause.diff if op == "insert")
    assert "so that Microsoft can train and improve its AI models" in inserted


def test_invisible_character_empty_link_and_link_target_are_cosmetic() -> None:
    change = compare_files(EU_NOTICE, "2025-06-10T00-32-38Z", "2025-08-01T00-34-40Z")
    assert change.significance is Significance.COSMETIC
    assert change.clauses
    assert {clause.kind for clause in change.clauses} == {ChangeKind.MODIFIED}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("2025-11-20T06-16-16Z", "2025-12-06T06-14-30Z"),
        ("2025-12-06T06-14-30Z", "2026-02-20T00-43-48Z"),
    ],
)
def test_corrections_of_an_internal_link_are_cosmetic(old: str, new: str) -> None:
    change = compare_files(PRIVACY_CONTRIB, old, new)
    assert change.significance is Significance.COSMETIC
    assert len(change.clauses) == 1
    assert "lithograph" in (change.clauses[0].old or "")


def test_no_clause_change_in_a_version_compared_with_itself() -> None:
    text = (EU_NOTICE / "2025-11-04T00-35-00Z.md").read_text(encoding="utf-8")
    assert compare(text, text).clauses == ()


THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.MULTILINE)


def words_of(text: str) -> list[str]:
    return visible_words(THEMATIC_BREAK.sub("", re.sub(r"\\\n| {2,}\n", "\n", text)))


def latest_of_each_series() -> list[Path]:
    return sorted(max(folder.glob("*.md")) for folder in LINKEDIN.glob("*/markdown/*"))


@pytest.mark.parametrize(
    "path",
    latest_of_each_series() if LINKEDIN.is_dir() else [],
    ids=lambda path: "/".join(path.parts[-4:-2] + path.parts[-2:-1]),
)
def test_clauses_cover_every_word_of_real_versions(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    clauses = split_clauses(text)
    assert len({clause.id for clause in clauses}) == len(clauses)
    assert [w for clause in clauses for w in words_of(clause.text)] == words_of(text)


def test_tables_of_the_eu_notice_carry_their_headers() -> None:
    clauses = split_clauses((EU_NOTICE / "2025-11-04T00-35-00Z.md").read_text(encoding="utf-8"))
    cells = [clause for clause in clauses if clause.row is not None]
    assert {clause.column for clause in cells} >= {
        "Why and how we use your data",
        "Data we use",
        "How we use your data",
        "Legitimate interests relied on",
        "Personal data used",
        "Applicable laws",
        "Our legal obligations",
    }
    sections = {clause.section[-1] for clause in cells if clause.column == "Data we use"}
    assert sections == {"To perform our contract with you", "Consent", "Public Interest"}
