"""Alerts that tell the story first (issue 15): a headline sentence from the change's labels
and top clause, the table row it stands on as the first reply, rows counted once, hashtags of
the headline's labels (docs/adr/0021-alerts-tell-the-story-first.md).

The fixture is modelled on the structure of a regional privacy notice's legal-basis table
(purpose rows; "how we use your data", "legitimate interests relied on" and "personal data
used" columns), written for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.corpus import CORPUS, MANIFEST
from tracker.changes import compare_classified
from tracker.classify.taxonomy import Taxonomy
from tracker.models import Change
from tracker.notify.channels import Channel
from tracker.render.headline import platform, sentence, story
from tracker.render.telegram import PostContext, ranked_units, render_post
from tracker.render.telegram_html import parse_html

TABLE_HEAD = (
    "## When do we rely on legitimate interests?\n\n"
    "|     | How we use your data | Legitimate interests relied on | Personal data used |\n"
    "| --- | --- | --- | --- |\n"
    "| **Safety and security:** | To keep the Services safe. | To protect our members. "
    "| Device data and log data |\n"
)
TRAIN_ROW = (
    "| **To train our content-generating Generative AI systems** "
    "| To train and improve the generative AI models that suggest posts and messages. "
    "| To help members be more productive. "
    "| Your profile, your posts and comments<br><br>You can [opt out](https://acme.test/settings/"
    "data-for-ai) of our use of your data for this purpose any time. |\n"
)
IMPROVE_ROW = (
    "| **To improve our Services generally** | To find and fix issues. "
    "| To ensure our Services function as intended. | Device data and usage data |\n"
)
OLD = (
    "# Acme Regional Privacy Notice\n\n"
    "_[Effective February 27, 2025](https://acme.test/updates)_\n\n"
    "## Data controller\n\nAcme Ireland is the controller of your data.\n\n"
    + TABLE_HEAD
    + "\n## Contact\n\nWrite to our data protection officer.\n"
)
NEW = (
    "# Acme Regional Privacy Notice\n\n"
    "_[Effective November 3, 2025](https://acme.test/updates)_\n\n"
    "## Data controller\n\nAcme Ireland is the controller of your data.\n\n"
    "## Special category data\n\n"
    "Acme may process special category data, based on our legitimate interests to provide "
    "our Services, where such data has been manifestly made public.\n\n"
    + TABLE_HEAD
    + TRAIN_ROW
    + IMPROVE_ROW
    + "\n## Contact\n\nWrite to our data protection officer.\n"
)
CONTEXT = PostContext(
    title="Acme Regional Privacy Notice",
    source_url="https://acme.test/legal/privacy/eu",
    detected_at=datetime(2025, 11, 4, 0, 35, tzinfo=UTC),
    change_page="acme/notice/changes/2025-11-04T00-35-00Z.html",
)
EN = Channel("en", "@acme_watch", ("acme/*",))
FR = Channel("fr", "@acme_veille", ("acme/*",), language="fr")


def table_change(taxonomy: Taxonomy, old: str = OLD, new: str = NEW) -> Change:
    return compare_classified(
        old,
        new,
        document="acme/notice",
        from_version="2025-10-03T00-34-15Z",
        to_version="2025-11-04T00-35-00Z",
        taxonomy=taxonomy,
    )


def _text(html: str) -> str:
    return parse_html(html).text


def _links(html: str) -> set[str]:
    return {e.url or "" for e in parse_html(html).entities if e.type == "text_link"}


# ------------------------------------------------------------------------------ the headline
def test_the_headline_says_the_story_in_english_and_french_with_the_opt_out_link(
    taxonomy: Taxonomy,
):
    change = table_change(taxonomy)
    en = render_post(change, CONTEXT, EN)[0].html
    fr = render_post(change, CONTEXT, FR)[0].html
    assert _text(en).splitlines()[0] == (
        "📣 Acme now relies on legitimate interests to train generative AI on your data; "
        "you can opt out"
    )
    assert _text(fr).splitlines()[0] == (
        "📣 Acme s'appuie désormais sur ses intérêts légitimes pour entraîner l'IA générative "
        "avec vos données\u00a0; vous pouvez vous y opposer"
    )
    for html, words in ((en, "opt out"), (fr, "vous y opposer")):
        parsed = parse_html(html)
        (link,) = [e for e in parsed.entities if e.type == "text_link" and "settings" in e.url]
        assert link.url == "https://acme.test/settings/data-for-ai"
        assert (
            parsed.text.encode("utf-16-le")[
                link.offset * 2 : (link.offset + link.length) * 2
            ].decode("utf-16-le")
            == words
        )
    assert _text(en).splitlines()[1] == "📜 Acme Regional Privacy Notice", "headline first"


def test_each_part_of_the_headline_comes_from_the_record(taxonomy: Taxonomy):
    told = story(table_change(taxonomy))
    assert told is not None
    assert (told.lead, told.gained, told.purpose, told.control) == (
        "legitimate_interests",
        True,
        "ai_training",
        "opt_out",
    )
    assert told.generative and told.data
    assert told.unit.row == "To train our content-generating Generative AI systems"
    # Without "generative" in the matched words, nor a link, nor data: none of them is said.
    plain = NEW.replace("content-generating Generative AI systems", "AI systems").replace(
        "the generative AI models that suggest posts and messages", "AI models"
    )
    plain = plain.replace(
        "Your profile, your posts and comments<br><br>You can [opt out](https://acme.test/"
        "settings/data-for-ai) of our use of your data for this purpose any time.",
        "Account data",
    )
    told = story(table_change(taxonomy, new=plain))
    assert told is not None
    assert not told.generative and told.link is None and told.control is None
    assert sentence(told, "en", who="Acme").text == (
        "Acme now relies on legitimate interests to train AI"
    )


def test_a_lost_basis_a_new_purpose_a_new_control_and_data_each_have_their_template(
    taxonomy: Taxonomy,
):
    base = "# Acme Privacy Policy\n\n## Sharing\n\n{}\n\n## Contact\n\nWrite to us.\n"
    cases = [
        (
            "We share your data with partners on the basis of your consent.",
            "We share your data with partners.",
            "Acme no longer relies on consent to share data with third parties",
            "Acme ne s'appuie plus sur le consentement pour partager des données avec des tiers",
        ),
        (
            "We keep your account safe.",
            "We keep your account safe. We use your profile to train artificial intelligence.",
            "Acme now uses your data to train AI",
            "Acme utilise désormais vos données pour entraîner l'IA",
        ),
        (
            "We keep your account safe.",
            "We keep your account safe. Members aged 16 or 17 have their own settings.",
            "Acme now mentions minors",
            "Acme mentionne désormais les mineurs",
        ),
        (
            "We keep your account safe.",
            "We keep your account safe. You can opt out of personalised ads in your settings.",
            "You can now opt out",
            "Vous pouvez désormais vous y opposer (opt-out)",
        ),
        (
            "We collect your name.",
            "We collect your name and your precise location.",
            "Acme now names location among the data it uses",
            "Acme cite désormais localisation parmi les données utilisées",
        ),
    ]
    for old, new, english, french in cases:
        change = table_change(taxonomy, base.format(old), base.format(new))
        told = story(change)
        assert told is not None, new
        who = platform(change.document, "Acme Privacy Policy")
        assert sentence(told, "en", who=who).text == english
        assert sentence(told, "fr", who=who).text == french


def test_no_headline_when_no_label_stands_out(taxonomy: Taxonomy):
    base = "# Acme Privacy Policy\n\n## Contact\n\n{}\n"
    change = table_change(taxonomy, base.format("Write to us."), base.format("Write to us now."))
    assert story(change) is None
    summary = render_post(change, CONTEXT, EN)[0].html
    assert "📣" not in _text(summary)
    assert "#" not in _text(summary)


def test_the_platform_is_the_titles_word_for_the_documents_platform():
    assert platform("linkedin/privacy-policy", "LinkedIn Privacy Policy") == "LinkedIn"
    assert platform("linkedin/eu-fr", "LinkedIn — Avis de confidentialité") == "LinkedIn"
    assert platform("acme/notice", "Notice of Acme") == "Acme"


# ------------------------------------------------------------------------------ the replies
def test_the_first_reply_is_the_row_the_headline_stands_on_as_one_row(taxonomy: Taxonomy):
    change = table_change(taxonomy)
    _summary, first, *_rest = render_post(change, CONTEXT, EN)
    text = _text(first.html)
    row = text.index("row: To train our content-generating Generative AI systems")
    # the row's cells under their columns, in one block, before the Art. 9 clause
    positions = [
        text.index(column)
        for column in ("How we use your data", "Legitimate interests relied on", "Personal data")
    ]
    assert row < positions[0] < positions[1] < positions[2]
    assert text.count("row: To train") == 1, "one row, not one heading per cell"
    assert positions[2] < text.index("Acme may process special category data")
    first_unit = ranked_units(change, EN)[0]
    assert first_unit.row == "To train our content-generating Generative AI systems"


def test_counts_speak_of_rows_and_hashtags_of_the_headline(taxonomy: Taxonomy):
    summary = _text(render_post(table_change(taxonomy), CONTEXT, EN)[0].html)
    # 2 rows of 4 cells each, the Art. 9 heading and its clause: 4, not 10
    assert "➕ 4 added" in summary
    tags = [word for word in summary.split() if word.startswith("#")]
    assert tags == ["#legitimate_interests", "#special_category", "#ai_training", "#opt_out"]


# ------------------------------------------------------------------------------ the real change
def real_eu_notice_change(taxonomy: Taxonomy) -> tuple[Change, PostContext]:
    """The EU notice change of 2025-11-03 (captures of 2025-09-18 and 2025-11-04)."""
    from tracker.config import load_documents
    from tracker.extract.extractor import extract

    pages = CORPUS / "linkedin" / "eu-regional-privacy-notice" / "html" / "en_pga-reconstructed"
    config = Path(__file__).resolve().parents[1] / "config"
    document = load_documents(config)["linkedin/eu-regional-privacy-notice"]
    old, new = (
        extract((pages / f"{stamp}.html").read_bytes(), document.rules, url=document.url)
        for stamp in ("2025-09-18T12-34-39Z", "2025-11-04T00-35-00Z")
    )
    change = compare_classified(
        old,
        new,
        document=document.id,
        from_version="2025-09-18T12-34-39Z",
        to_version="2025-11-04T00-35-00Z",
        taxonomy=taxonomy,
    )
    context = PostContext(
        title=document.title,
        source_url=document.url,
        detected_at=datetime(2025, 11, 4, 0, 35, tzinfo=UTC),
        change_page=f"{document.id}/changes/2025-11-04T00-35-00Z.html",
    )
    return change, context


@pytest.mark.corpus
@pytest.mark.skipif(not MANIFEST.is_file(), reason=f"corpus not found at {CORPUS}")
def test_the_real_eu_notice_change_tells_its_story_first(taxonomy: Taxonomy):
    change, context = real_eu_notice_change(taxonomy)
    en = render_post(change, context, EN)
    fr = render_post(change, context, FR)
    assert _text(en[0].html).splitlines()[0] == (
        "📣 LinkedIn now relies on legitimate interests to train generative AI on your data; "
        "you can opt out"
    )
    assert _text(fr[0].html).splitlines()[0] == (
        "📣 LinkedIn s'appuie désormais sur ses intérêts légitimes pour entraîner l'IA "
        "générative avec vos données\u00a0; vous pouvez vous y opposer"
    )
    assert "https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement" in _links(
        en[0].html
    )
    # The first reply is the generative-AI training row, not the Art. 9 clause; one row.
    first = _text(en[1].html)
    assert "row: To train our content-generating Generative AI systems" in first
    assert "Special Category Data" not in first.split("row: To train")[0]
    assert first.count("row: To train") == 1
    summary = _text(en[0].html)
    assert "21 added" not in summary and "➕ 9 added" in summary, "rows, not cells"
    tags = [word for word in summary.split() if word.startswith("#")]
    assert tags == ["#legitimate_interests", "#special_category", "#ai_training", "#opt_out"]
