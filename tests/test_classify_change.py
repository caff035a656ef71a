"""Classification of whole changes: gained and lost labels, ranking, display, reclassification."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tracker.archive.store import Archive
from tracker.backfill import backfill
from tracker.changes import compare_classified, reclassify, taxonomy_tag
from tracker.classify.classifier import rank_clause
from tracker.classify.taxonomy import Label, Taxonomy, load_taxonomy
from tracker.models import Change, Document, ExtractRules, Rank, Significance
from tracker.render import label_notes, negations, ranked, summary_line
from tracker.render.html import render_change_page
from tracker.render.markdown import render_change_markdown
from tracker.render.text import render_change_text

ROOT = Path(__file__).resolve().parents[1]

# Our own two versions of a notice, modelled on the EU notice's structure (not corpus text).
OLD = """# Regional Privacy Notice

## Personalised ads

We rely on our legitimate interests to show you personalised ads based on your profile.

## Security

We keep your account safe.

We do not use private messages to train our models.
"""

NEW = """# Regional Privacy Notice

## Personalised ads

We show you personalised ads based on your profile, with your consent.

## Security

We keep your account secure.

We do not use private messages to train our models.

## Generative AI

We rely on our legitimate interests to train content-generating AI models on your posts. You can
opt out at any time in your settings.
"""


def classified(taxonomy: Taxonomy, old: str = OLD, new: str = NEW) -> Change:
    return compare_classified(
        old, new, document="d", from_version="a", to_version="b", taxonomy=taxonomy
    )


def clause_saying(change: Change, words: str):  # type: ignore[no-untyped-def]
    [clause] = [c for c in change.clauses if words in (c.new or c.old or "")]
    return clause


# --------------------------------------------------------------------------- ranking
@pytest.mark.parametrize(
    ("old", "new", "significance", "rank"),
    [
        ({"legitimate_interests"}, {"consent"}, "substantive", Rank.LEGAL_BASIS),
        (None, {"contract", "profile"}, "substantive", Rank.LEGAL_BASIS),
        (
            {"consent", "special_category"},
            {"consent", "special_category"},
            "substantive",
            Rank.SPECIAL_CATEGORY,
        ),
        ({"ai_training"}, {"ai_training"}, "substantive", Rank.PURPOSE),
        ({"profile"}, {"profile", "retention"}, "substantive", Rank.PURPOSE),
        ({"opt_out", "profile"}, {"opt_out", "profile"}, "substantive", Rank.CONTROL),
        ({"profile"}, {"profile", "messages"}, "substantive", Rank.DATA_CATEGORY),
        ({"profile"}, {"profile"}, "substantive", Rank.OTHER),
        # A typo fix in an AI-training clause is not news about AI training.
        ({"ai_training"}, {"ai_training"}, "minor", Rank.OTHER),
        ({"legitimate_interests"}, {"consent"}, "cosmetic", Rank.OTHER),
    ],
)
def test_rank_of_a_changed_clause(
    old: set[str] | None, new: set[str] | None, significance: str, rank: Rank
) -> None:
    def as_labels(ids: set[str] | None) -> frozenset[Label] | None:
        return None if ids is None else frozenset(Label(i) for i in ids)

    assert rank_clause(as_labels(old), as_labels(new), Significance(significance)) is rank


# --------------------------------------------------------------------------- change records
def test_a_basis_switch_is_gained_and_lost_with_evidence_from_each_side(
    taxonomy: Taxonomy,
) -> None:
    change = classified(taxonomy)
    ads = clause_saying(change, "personalised ads")
    assert "consent" in ads.gained
    assert "legitimate_interests" in ads.lost
    assert "legitimate_interests" not in ads.labels
    assert ads.rank is Rank.LEGAL_BASIS
    sides = {(e.label, e.side) for e in ads.evidence}
    assert ("consent", "new") in sides
    assert ("legitimate_interests", "old") in sides
    [why] = [n for n in label_notes(ads) if n.label == "legitimate_interests"]
    assert why.status == "lost"
    assert "old text" in why.why[0]


def test_change_level_labels_rank_and_taxonomy(taxonomy: Taxonomy) -> None:
    change = classified(taxonomy)
    assert {"consent", "legitimate_interests", "ai_training", "opt_out", "content"} <= set(
        change.labels
    )
    assert change.rank is Rank.LEGAL_BASIS
    assert change.taxonomy is not None
    assert (change.taxonomy.version, change.taxonomy.digest) == (
        taxonomy.version,
        taxonomy.digest,
    )
    # legitimate_interests is lost by one clause and gained by another: not a net change.
    assert "consent" in change.gained
    assert "legitimate_interests" not in change.gained + change.lost
    assert ranked(change)[0][1].rank is Rank.LEGAL_BASIS
    assert "legal basis changed (+consent" in summary_line(change)


def test_minor_wording_fixes_do_not_feed_the_change_labels(taxonomy: Taxonomy) -> None:
    change = classified(taxonomy)
    secure = clause_saying(change, "account secure")
    assert secure.significance is Significance.SUBSTANTIVE or secure.rank is Rank.OTHER
    old = "## Training\n\nWe train our AI models on your posts.\n"
    new = "## Training\n\nWe train our AI models on your posts!\n"
    typo = classified(taxonomy, old, new)
    assert typo.significance is not Significance.SUBSTANTIVE
    assert typo.labels == ()
    assert typo.rank is Rank.OTHER


def test_a_denied_data_category_is_shown_as_negated_not_as_a_label(taxonomy: Taxonomy) -> None:
    old = "## Security\n\nWe keep your account safe.\n"
    new = old + "\nWe do not use private messages to train our models.\n"
    change = classified(taxonomy, old, new)
    clause = clause_saying(change, "private messages")
    assert "messages" not in clause.labels
    assert any(line.startswith("messages:") for line in negations(clause))


# --------------------------------------------------------------------------- display
def test_the_change_page_shows_labels_evidence_and_what_matters(taxonomy: Taxonomy) -> None:
    page = render_change_page(classified(taxonomy), title="Notice", source_url="https://x.test")
    assert "What matters first" in page
    assert '<code class="gained" title="gained by this change">+consent</code>' in page
    assert '<code class="lost" title="lost by this change">-legitimate_interests</code>' in page
    assert "Why these labels" in page
    assert "rule consent.en.with-your-consent" in page
    assert "\u201cwith your consent\u201d" in page
    assert "<script" not in page


def test_terminal_and_markdown_show_labels_with_their_evidence(taxonomy: Taxonomy) -> None:
    change = classified(taxonomy)
    text = render_change_text(change, title="Notice", color=False)
    # The profile the ads are based on is unchanged: context, not what the change is about.
    assert "labels: +consent -legitimate_interests · clause also reads: profile" in text
    assert (
        "why consent: \u201cwith your consent\u201d (text, rule consent.en.with-your-consent)"
        in text
    )
    markdown = render_change_markdown(change, title="Notice", source_url="https://x.test")
    assert "- What matters first:" in markdown
    assert "`+consent`" in markdown
    assert "clause also reads: `profile`" in markdown


# --------------------------------------------------------------------------- reclassification
def _archive_with_a_change(tmp_path: Path, taxonomy: Taxonomy) -> tuple[Document, Archive]:
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "2025-01-01T00-00-00Z.md").write_text(OLD, encoding="utf-8")
    (folder / "2025-02-01T00-00-00Z.md").write_text(NEW, encoding="utf-8")
    document = Document(
        id="example/notice",
        title="Notice",
        url="https://example.test/notice",
        language="en",
        rules=ExtractRules(select=("main",)),
    )
    archive = Archive(tmp_path / "archive")
    backfill(document, archive, folder, taxonomy)
    return document, archive


def _edited_taxonomy(tmp_path: Path) -> Taxonomy:
    """The project's taxonomy with a new version and one more rule (a rules upgrade)."""
    text = (ROOT / "config" / "taxonomy.toml").read_text(encoding="utf-8")
    text = text.replace('version = "4"', 'version = "99"', 1)
    text += '\n[[retention.rule]]\nid = "retention.en.keep-safe"\nlang = "en"\npattern = "keep"\n'
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    return load_taxonomy(path)


def test_a_new_taxonomy_relabels_changes_without_touching_the_records(
    tmp_path: Path, taxonomy: Taxonomy
) -> None:
    document, archive = _archive_with_a_change(tmp_path, taxonomy)
    [stamp] = archive.change_stamps(document.id)
    record_path = archive.folder(document.id) / "changes" / f"{stamp}.json"
    original = record_path.read_bytes()
    [checks_file] = archive.checks_files(document.id)
    checks = (archive.folder(document.id) / checks_file).read_bytes()
    assert reclassify(document, archive, taxonomy) == []  # same rules: nothing to do

    upgraded = _edited_taxonomy(tmp_path)
    assert reclassify(document, archive, upgraded) == [stamp]
    tag = taxonomy_tag(upgraded)
    relabelled = json.loads(
        archive.relabelled_path(document.id, stamp, tag, "json").read_text(encoding="utf-8")
    )
    assert relabelled["taxonomy"]["version"] == "99"
    assert "retention" in relabelled["labels"]
    assert json.loads(original)["taxonomy"]["version"] == "4"
    assert "retention" not in json.loads(original)["labels"]
    assert archive.relabelled_path(document.id, stamp, tag, "html").exists()
    # The record is evidence: unchanged. No check is recorded, so nothing is alerted.
    assert record_path.read_bytes() == original
    assert (archive.folder(document.id) / checks_file).read_bytes() == checks
    assert archive.change_stamps(document.id) == [stamp]
    assert reclassify(document, archive, upgraded) == []  # written once


def test_reclassify_command(tmp_path: Path, taxonomy: Taxonomy) -> None:
    from click.testing import CliRunner

    from tracker.cli.main import cli

    config = tmp_path / "config"
    (config / "documents" / "example").mkdir(parents=True)
    shutil.copytree(ROOT / "config" / "rules", config / "rules")
    _edited_taxonomy(tmp_path)
    shutil.copy(tmp_path / "taxonomy.toml", config / "taxonomy.toml")
    (config / "documents" / "example" / "notice.toml").write_text(
        'title = "Notice"\nurl = "https://example.test/notice"\nlanguage = "en"\n'
        'rules = "linkedin-legal"\n',
        encoding="utf-8",
    )
    _, archive = _archive_with_a_change(tmp_path, taxonomy)
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "--archive", str(archive.root), "reclassify"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "example/notice: 1 changes classified again" in result.output


def test_labelling_stops_at_its_budget_and_says_how_many_clauses_it_left(
    taxonomy: Taxonomy,
) -> None:
    """A replaced or hostile page is labelled up to the budget, in order; the rest is counted."""
    from tracker.classify import classifier as classify
    from tracker.compare.diff import change_to_dict

    clause = "We rely on your consent to use your profile to train our AI models."
    new = "# Notice\n\n" + "\n\n".join(f"{number}. {clause}" for number in range(1, 201))
    whole = classified(taxonomy, "# Notice\n\nNothing yet.\n", new)
    assert whole.unlabelled == 0
    assert "unlabelled" not in change_to_dict(whole)  # records written before stay the same
    assert all(c.labels for c in whole.clauses if c.new and "consent" in c.new)

    budget = sum(len(c.new or "") + len(c.old or "") for c in whole.clauses[:50])
    original = classify.LABEL_BUDGET_CHARS
    classify.LABEL_BUDGET_CHARS = budget
    try:
        capped = classified(taxonomy, "# Notice\n\nNothing yet.\n", new)
    finally:
        classify.LABEL_BUDGET_CHARS = original
    assert [c.labels for c in capped.clauses[:50]] == [c.labels for c in whole.clauses[:50]]
    assert not any(c.labels or c.evidence for c in capped.clauses[50:])
    assert capped.unlabelled == len(whole.clauses) - 50
    assert change_to_dict(capped)["unlabelled"] == capped.unlabelled
    assert f"{capped.unlabelled} clauses not labelled" in summary_line(capped)
    assert f"{capped.unlabelled} clauses not labelled" in render_change_markdown(
        capped, title="Notice", source_url="https://example.org/notice"
    )


# --------------------------------------------------------------------------- changed words
TABLE_OLD = """# Notice

## How we use your data

| Purpose | Data we use | Legal basis |
| --- | --- | --- |
| To show you jobs | Your profile, your email address and pages you visit | Legitimate interests |
"""


def test_a_phrase_added_to_a_data_cell_reports_only_its_category(taxonomy: Taxonomy) -> None:
    new = TABLE_OLD.replace("pages you visit", "pages you visit, and your location")
    change = classified(taxonomy, TABLE_OLD, new)
    [cell] = [c for c in change.clauses if "your location" in (c.new or "")]
    assert "location" in cell.labels
    assert "location" in cell.gained
    # The profile, email and pages were there before: the clause reads so, the change is not.
    for unchanged in ("profile", "contact_identity"):
        assert unchanged not in cell.labels
        assert unchanged in cell.context
    assert not {"profile", "contact_identity"} & set(change.labels)


def test_an_edit_in_a_sentence_is_about_the_basis_that_sentence_states(
    taxonomy: Taxonomy,
) -> None:
    old = (
        "# Notice\n\nWe keep your account safe.\n\n"
        "We rely on our legitimate interests to show you ads.\n"
    )
    new = old.replace("show you ads", "show you ads and offers")
    change = classified(taxonomy, old, new)
    [clause] = [c for c in change.clauses if "offers" in (c.new or "")]
    assert "legitimate_interests" in clause.labels
    assert not clause.gained and not clause.lost
    assert clause.rank is not Rank.LEGAL_BASIS


def test_a_moved_clause_with_the_same_words_has_no_text_labels(taxonomy: Taxonomy) -> None:
    body = "We share your posts with third parties.\n"
    old = f"# Notice\n\n## First\n\nWe keep things safe.\n\n{body}\n## Second\n\nWe help you.\n"
    new = f"# Notice\n\n## First\n\nWe keep things safe.\n\n## Second\n\nWe help you.\n\n{body}"
    change = classified(taxonomy, old, new)
    moved = [c for c in change.clauses if "share your posts" in (c.new or c.old or "")]
    assert moved
    for clause in moved:
        if clause.old is not None and clause.new is not None:
            assert not {"content", "third_party_sharing"} & set(clause.labels)
            assert {"content", "third_party_sharing"} <= set(clause.context)


def test_a_removed_banner_is_not_a_lost_consent_while_the_statement_stands(
    taxonomy: Taxonomy,
) -> None:
    rows = (
        "## Legal bases\n\n| Purpose | Data we use | Legal basis |\n| --- | --- | --- |\n"
        "| To show personalised ads | Your profile | Consent |\n"
    )
    banner = (
        "We have updated this notice and now ask for your consent to show you personalised ads.\n\n"
    )
    old = f"# Notice\n\n{banner}{rows}"
    new = f"# Notice\n\n{rows}"
    change = classified(taxonomy, old, new)
    assert "consent" not in change.lost
    [removed] = [c for c in change.clauses if c.new is None]
    assert "consent" not in removed.lost


def test_a_dropped_duplicate_sentence_loses_nothing(taxonomy: Taxonomy) -> None:
    statement = "We process your data with your consent.\n\n"
    old = f"# Notice\n\n## Ads\n\n{statement}## Jobs\n\nWe help you find work.\n\n{statement}"
    new = f"# Notice\n\n## Ads\n\n{statement}## Jobs\n\nWe help you find work.\n"
    change = classified(taxonomy, old, new)
    assert "consent" not in change.lost
    # A basis really dropped is lost.
    gone = classified(
        taxonomy, f"# Notice\n\n{statement}We help you.\n", "# Notice\n\nWe help you.\n"
    )
    assert "consent" in gone.lost


def test_a_sentence_cut_from_a_long_paragraph_keeps_its_paragraphs_basis(
    taxonomy: Taxonomy,
) -> None:
    # A paragraph longer than MAX_CLAUSE_CHARS is cut into sentence clauses: the sentence
    # that changes no longer says which basis the paragraph rests on.
    fillers = " ".join(f"We improve feature number {n} of the site." for n in range(320))
    old = f"# Notice\n\nWe rely on your consent for what follows. {fillers}\n"
    new = old.replace("feature number 150 of", "feature number 150, using your posts, of")
    change = classified(taxonomy, old, new)
    [sentence] = [c for c in change.clauses if "using your posts" in (c.new or "")]
    # The sentence reads as resting on consent (context); the change is about the posts.
    assert "consent" in sentence.context
    assert "content" in sentence.labels
    assert "consent" not in sentence.labels
    assert any(e.label == "consent" and e.source.value == "paragraph" for e in sentence.evidence)


def test_a_removed_and_an_added_sentence_at_one_place_read_as_one_clause(
    taxonomy: Taxonomy,
) -> None:
    old = (
        "# Notice\n\n## Ads\n\nWe keep things simple.\n\n"
        "We show you ads with your consent, based on your profile.\n\nWe help you.\n"
    )
    new = (
        "# Notice\n\n## Ads\n\nWe keep things simple.\n\n"
        "Relying on legitimate interests, and with your consent where the law asks for it, "
        "personalised advertising draws on the data members put on their pages.\n\nWe help you.\n"
    )
    change = classified(taxonomy, old, new)
    removed = [c for c in change.clauses if c.new is None]
    added = [c for c in change.clauses if c.old is None]
    assert len(removed) == len(added) == 1  # reworded beyond a pairing by words
    # Consent is stated on both sides: neither lost nor gained; legitimate interests is new.
    assert "consent" not in removed[0].lost
    assert "consent" not in added[0].gained
    assert "legitimate_interests" in added[0].gained
    assert "consent" not in change.lost


def test_the_change_page_shows_the_clause_labels_apart(taxonomy: Taxonomy) -> None:
    page = render_change_page(classified(taxonomy), title="Notice", source_url="https://x.test")
    # The ads clause is based on the profile before and after: context, not a change label.
    assert '<span class="context-labels" title="the clause as it reads">also: ' in page
    assert "<code>profile</code></span>" in page
