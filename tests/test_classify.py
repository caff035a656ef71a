"""The label taxonomy (config/taxonomy.toml) and the clause classifier."""

# French examples use typographic apostrophes, as the pages do.
# ruff: noqa: RUF001

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tracker.classify.classifier import (
    NEGATION_WINDOW_WORDS,
    Evidence,
    Polarity,
    Source,
    _Negations,
    classify_clause,
    labels,
)
from tracker.classify.taxonomy import Group, Label, Taxonomy, load_taxonomy
from tracker.errors import ConfigError
from tracker.models import Clause, ClauseKind

TAXONOMY = Path(__file__).resolve().parents[1] / "config" / "taxonomy.toml"
LI_SECTION = (
    "LinkedIn European Regional Privacy Notice",
    "When does LinkedIn rely on legitimate interests?",
)
TRAINING_ROW = "**To train our content-generating Generative AI systems**"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(TAXONOMY)


def clause(
    text: str,
    *,
    section: tuple[str, ...] = (),
    column: str | None = None,
    row: str | None = None,
    kind: ClauseKind = ClauseKind.PARAGRAPH,
) -> Clause:
    if column is not None:
        kind = ClauseKind.TABLE_CELL
    return Clause(id="c", kind=kind, section=section, text=text, position=0, column=column, row=row)


def evidence_for(items: tuple[Evidence, ...], label: Label) -> list[Evidence]:
    return [item for item in items if item.label == label]


# --------------------------------------------------------------------------- the file
def test_every_label_in_the_file_is_a_label_and_vice_versa(taxonomy: Taxonomy) -> None:
    data = tomllib.loads(TAXONOMY.read_text(encoding="utf-8"))
    in_file = set(data) - {"version", "data_column"}
    assert in_file == {label.value for label in Label}
    assert set(taxonomy.labels) == set(Label)
    assert {rule.label for rule in taxonomy.rules} == set(Label)
    for label, spec in taxonomy.labels.items():
        assert spec.group is label.group


def test_label_ids_and_groups_are_the_issue_s() -> None:
    assert {label.value for label in Label if label.group is Group.LEGAL_BASIS} == {
        "consent", "contract", "legal_obligation", "vital_interests", "public_task",
        "legitimate_interests",
    }  # fmt: skip
    assert [label.value for label in Label if label.group is Group.ART9] == ["special_category"]
    assert {label.value for label in Label if label.group is Group.CONTROL} == {
        "opt_out", "opt_in", "withdraw_consent",
    }  # fmt: skip
    assert len([label for label in Label if label.group is Group.DATA_CATEGORY]) == 11
    assert {label.value for label in Label if label.group is Group.PURPOSE_FLAG} == {
        "ai_training", "automated_decisions_profiling", "third_party_sharing",
        "international_transfer", "retention", "minors",
    }  # fmt: skip


def test_every_label_has_english_and_french_rules(taxonomy: Taxonomy) -> None:
    for label in Label:
        langs = {rule.lang for rule in taxonomy.rules if rule.label is label}
        assert langs == {"en", "fr"}, label


def test_taxonomy_is_versioned_with_a_stable_digest(taxonomy: Taxonomy) -> None:
    assert taxonomy.version == "4"
    assert len(taxonomy.digest) == 64
    assert load_taxonomy(TAXONOMY).digest == taxonomy.digest


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = TAXONOMY.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "taxonomy.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('version = "4"\n', 'version = "4"\n[childrens_data]\ngroup = "art9"\n', "childrens_data"),
        ("pattern = 'vital interests?'", "pattern = 'vital (interests?'",
         "vital_interests.rule.0.pattern"),
        ('version = "4"\n', "", "version"),
        ('group = "art9"', 'group = "control"', "special_category.group"),
        ("[[retention.rule]]\nid = \"retention.en\"", "[[retention.rule]]\nid = \"retention.fr\"",
         "retention.rule.2.id"),
        ('description = "Minors', 'descriptoin = "Minors', "minors.descriptoin"),
        ("requires = '''(shar|", "requires = '''((shar|", "third_party_sharing.rule.2.requires"),
    ],
)  # fmt: skip
def test_a_bad_taxonomy_names_the_file_and_the_key(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as info:
        load_taxonomy(path)
    message = str(info.value)
    assert str(path) in message
    assert key in message


def test_a_missing_label_table_is_an_error(tmp_path: Path) -> None:
    text = TAXONOMY.read_text(encoding="utf-8")
    path = tmp_path / "taxonomy.toml"
    path.write_text(text.split("[minors]")[0], encoding="utf-8")
    with pytest.raises(ConfigError, match=r"taxonomy\.toml: minors: label table is missing"):
        load_taxonomy(path)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_taxonomy(tmp_path / "nope.toml")


# --------------------------------------------------------------------------- structure
def test_eu_notice_ai_training_row_inherits_basis_and_purpose(taxonomy: Taxonomy) -> None:
    interests = clause(
        "To provide and improve assistant experiences offered to LinkedIn members.",
        section=LI_SECTION,
        column="Legitimate interests relied on",
        row=TRAINING_ROW,
    )
    found = classify_clause(interests, taxonomy)
    assert {Label.LEGITIMATE_INTERESTS, Label.AI_TRAINING} <= labels(found)
    assert Source.COLUMN in {e.source for e in evidence_for(found, Label.LEGITIMATE_INTERESTS)}
    assert {e.source for e in evidence_for(found, Label.AI_TRAINING)} == {Source.ROW}

    data = clause(
        "Data that you or others provide in [your LinkedIn profile](https://www.linkedin.com/help):"
        " your name, photo, current position and work experience<br><br>Member generated content"
        " (posts, articles, poll responses, contributions and comments)",
        section=LI_SECTION,
        column="Personal data used",
        row=TRAINING_ROW,
    )
    found = classify_clause(data, taxonomy)
    assert {
        Label.LEGITIMATE_INTERESTS,
        Label.AI_TRAINING,
        Label.PROFILE,
        Label.CONTENT,
        Label.CONTACT_IDENTITY,
    } <= labels(found)
    profile = evidence_for(found, Label.PROFILE)
    assert all(e.source is Source.TEXT and e.polarity is Polarity.ASSERTED for e in profile)
    assert "profile.en" in {e.rule_id for e in profile}
    assert "help" not in " ".join(e.matched for e in found)  # link targets are not text


def test_a_data_column_reads_only_data_categories_from_its_text(taxonomy: Taxonomy) -> None:
    cell = clause(
        "Inferences we make about you, and data we share with service providers",
        column="Data we use",
    )
    found = labels(classify_clause(cell, taxonomy))
    assert Label.DEMOGRAPHIC_INFERENCE in found
    assert Label.THIRD_PARTY_SHARING not in found
    assert Label.AUTOMATED_DECISIONS_PROFILING not in found


@pytest.mark.parametrize(
    ("heading", "label"),
    [
        ("**To perform our contract with you**", Label.CONTRACT),
        ("**Consent**", Label.CONSENT),
        ("**Legitimate Interest**", Label.LEGITIMATE_INTERESTS),
        ("**Compliance with Legal Obligations**", Label.LEGAL_OBLIGATION),
        ("**Public Interest**", Label.PUBLIC_TASK),
        ("**Special Category Data**", Label.SPECIAL_CATEGORY),
        ("**Withdrawing your consent**", Label.WITHDRAW_CONSENT),
        ("**Objecting to the use of your data**", Label.OPT_OUT),
        ("**If we have reason to believe you’re 16 or 17 years old**", Label.MINORS),
        (
            "**Transfers of your data outside the Designated Countries**",
            Label.INTERNATIONAL_TRANSFER,
        ),
        ("Exécution de notre contrat", Label.CONTRACT),
        ("Intérêts légitimes", Label.LEGITIMATE_INTERESTS),
        ("Retrait du consentement", Label.WITHDRAW_CONSENT),
    ],
)
def test_a_clause_inherits_the_basis_of_its_section(
    taxonomy: Taxonomy, heading: str, label: Label
) -> None:
    body = clause("We process the data described below.", section=("Notice", heading))
    found = classify_clause(body, taxonomy)
    assert label in labels(found)
    assert any(e.source is Source.HEADING for e in evidence_for(found, label))


def test_withdrawing_heading_is_not_a_consent_basis(taxonomy: Taxonomy) -> None:
    body = clause("Contact us.", section=("Notice", "**Withdrawing your consent**"))
    assert Label.CONSENT not in labels(classify_clause(body, taxonomy))


# --------------------------------------------------------------------------- precision rules
def test_negation_flips_polarity(taxonomy: Taxonomy) -> None:
    found = classify_clause(
        clause("We do not use private messages to train our AI models."), taxonomy
    )
    messages = evidence_for(found, Label.MESSAGES)
    assert messages
    assert all(e.polarity is Polarity.NEGATED for e in messages)
    assert Label.MESSAGES not in labels(found)


def test_french_negation_flips_polarity(taxonomy: Taxonomy) -> None:
    found = classify_clause(
        clause("Nous n’utilisons pas vos messages privés pour entraîner nos modèles."), taxonomy
    )
    messages = evidence_for(found, Label.MESSAGES)
    assert messages and all(e.polarity is Polarity.NEGATED for e in messages)
    assert "fr" in {e.lang for e in messages}


def test_negation_stops_at_the_sentence(taxonomy: Taxonomy) -> None:
    found = classify_clause(
        clause("We do not sell your data. We use your messages to detect spam."), taxonomy
    )
    assert Label.MESSAGES in labels(found)


def test_withdraw_your_consent_is_not_a_consent_basis(taxonomy: Taxonomy) -> None:
    found = classify_clause(clause("You can withdraw your consent at any time."), taxonomy)
    assert Label.WITHDRAW_CONSENT in labels(found)
    assert Label.CONSENT not in labels(found)
    fr = classify_clause(clause("Vous pouvez retirer votre consentement à tout moment."), taxonomy)
    assert Label.WITHDRAW_CONSENT in labels(fr)
    assert Label.CONSENT not in labels(fr)


def test_consent_as_the_ground_of_a_processing(taxonomy: Taxonomy) -> None:
    en = classify_clause(
        clause("We will only use your precise location with your consent."), taxonomy
    )
    assert {Label.CONSENT, Label.LOCATION} <= labels(en)
    (consent,) = evidence_for(en, Label.CONSENT)
    assert consent.rule_id == "consent.en.with-your-consent"
    assert consent.matched == "with your consent"
    fr = classify_clause(
        clause("Lorsque nous traiterons les données sur la base du consentement de l’utilisateur."),
        taxonomy,
    )
    assert Label.CONSENT in labels(fr)


def test_cookie_banner_consent_is_not_a_legal_basis(taxonomy: Taxonomy) -> None:
    banner = clause("With your consent, we use cookies. Accept all cookies or manage preferences.")
    found = classify_clause(banner, taxonomy)
    assert Label.CONSENT not in labels(found)
    assert Label.DEVICE_TECHNICAL in labels(found)


def test_bare_consent_word_is_no_basis(taxonomy: Taxonomy) -> None:
    found = classify_clause(clause("Consent management and parental consent for minors."), taxonomy)
    assert Label.CONSENT not in labels(found)
    assert Label.MINORS in labels(found)


# --------------------------------------------------------------------------- examples per group
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Processing is necessary to perform our contract with you.", Label.CONTRACT),
        ("Le traitement est nécessaire à l’exécution d’un contrat avec vous.", Label.CONTRACT),
        ("We rely on our legitimate interests to keep LinkedIn safe.", Label.LEGITIMATE_INTERESTS),
        ("Les bases légales incluent les “intérêts légitimes”.", Label.LEGITIMATE_INTERESTS),
        ("We share data to comply with a legal obligation.", Label.LEGAL_OBLIGATION),
        (
            "Nous conservons ces données pour respecter nos obligations légales.",
            Label.LEGAL_OBLIGATION,
        ),
        ("To protect vital interests in an emergency.", Label.VITAL_INTERESTS),
        ("Pour une mission d’intérêt public.", Label.PUBLIC_TASK),
        ("We may process special category data you make public.", Label.SPECIAL_CATEGORY),
        ("Données sensibles telles que vos opinions politiques.", Label.SPECIAL_CATEGORY),
        ("You can opt out of this setting.", Label.OPT_OUT),
        ("Vous pouvez vous opposer à ce traitement.", Label.OPT_OUT),
        ("This feature is off by default.", Label.OPT_IN),
        ("Ce paramètre est désactivé par défaut.", Label.OPT_IN),
        ("We use your email address and phone number.", Label.CONTACT_IDENTITY),
        ("Votre adresse e-mail et vos coordonnées.", Label.CONTACT_IDENTITY),
        ("Your IP address, device ID and browser.", Label.DEVICE_TECHNICAL),
        ("Votre adresse IP et votre navigateur.", Label.DEVICE_TECHNICAL),
        ("Your salary and job applications.", Label.EMPLOYMENT_SALARY),
        ("Votre fourchette salariale et vos candidatures.", Label.EMPLOYMENT_SALARY),
        (
            "To verify your identity we may ask for a government ID.",
            Label.BIOMETRIC_IDENTITY_VERIFICATION,
        ),
        ("Nous pouvons vous demander une pièce d’identité.", Label.BIOMETRIC_IDENTITY_VERIFICATION),
        ("We use your data to train generative AI models.", Label.AI_TRAINING),
        (
            "Nous utilisons vos données pour entraîner nos modèles d’IA générative.",
            Label.AI_TRAINING,
        ),
        (
            "We share your data with our Affiliates and service providers.",
            Label.THIRD_PARTY_SHARING,
        ),
        ("Nous partageons vos données avec des prestataires.", Label.THIRD_PARTY_SHARING),
        ("We rely on standard contractual clauses.", Label.INTERNATIONAL_TRANSFER),
        ("Nous utilisons des clauses contractuelles types.", Label.INTERNATIONAL_TRANSFER),
        ("We retain your data until you close your account.", Label.RETENTION),
        ("Durée de conservation de vos données.", Label.RETENTION),
        ("If we believe you are 16 or 17 years old, we limit ads.", Label.MINORS),
        ("Les membres âgés de 16 à 17 ans.", Label.MINORS),
        ("We use automated decision-making and profiling.", Label.AUTOMATED_DECISIONS_PROFILING),
        ("Nous procédons à du profilage.", Label.AUTOMATED_DECISIONS_PROFILING),
        ("Your posts, comments and reactions.", Label.CONTENT),
        ("Vos publications et commentaires.", Label.CONTENT),
        ("Your profile, skills and work experience.", Label.PROFILE),
        ("Votre profil et vos compétences.", Label.PROFILE),
        ("Your location, derived from your IP address.", Label.LOCATION),
        ("Votre géolocalisation.", Label.LOCATION),
        ("Your payment and billing information.", Label.FINANCIAL),
        ("Vos coordonnées bancaires et votre carte bancaire.", Label.FINANCIAL),
        ("Inferences about your age and gender.", Label.DEMOGRAPHIC_INFERENCE),
        ("Des déductions sur votre âge.", Label.DEMOGRAPHIC_INFERENCE),
        ("Your messages and InMails.", Label.MESSAGES),
        ("Votre messagerie.", Label.MESSAGES),
        ("Pages you viewed and your searches.", Label.USAGE_ACTIVITY),
        ("Les pages consultées et vos recherches.", Label.USAGE_ACTIVITY),
    ],
)
def test_en_and_fr_examples(taxonomy: Taxonomy, text: str, expected: Label) -> None:
    found = classify_clause(clause(text), taxonomy)
    assert expected in labels(found), found


def test_every_label_has_an_example_above() -> None:
    # Keeps the parametrised examples in step with the taxonomy.
    marks = test_en_and_fr_examples.pytestmark  # type: ignore[attr-defined]
    (params,) = [mark for mark in marks if mark.name == "parametrize"]
    covered = {expected for _, expected in params.args[1]}
    missing = set(Label) - covered - {Label.CONSENT, Label.WITHDRAW_CONSENT}
    assert not missing


def test_evidence_is_deduplicated_and_ordered(taxonomy: Taxonomy) -> None:
    found = classify_clause(
        clause("Your posts. Your posts.", section=("Notice", "Legitimate Interest")), taxonomy
    )
    content = evidence_for(found, Label.CONTENT)
    assert len(content) == 1
    assert [e.source for e in found] == sorted(
        (e.source for e in found),
        key=[Source.TEXT, Source.ROW, Source.HEADING, Source.COLUMN].index,
    )


# --------------------------------------------------------------------------- long clauses
def _polarity_by_rereading(text: str, start: int) -> Polarity:
    """The definition of a match's polarity, read again from the start for every match."""
    before = text[:start]
    breaks = list(re.finditer(r"[.;!?](?=\s|$)", before))
    if breaks:
        before = before[breaks[-1].end() :]
    window = " ".join(before.split()[-NEGATION_WINDOW_WORDS:])
    window = re.sub(r"(?<!\w)(?:not only|non seulement)(?!\w)", " ", window, flags=re.I)
    negators = (
        r"(?<!\w)(?:not|never|no|cannot|without|neither|nor|jamais|aucune?|sans|ni|pas)(?!\w)"
        r"|n't(?!\w)|(?<!\w)n'(?=\w)|(?<!\w)ne(?!\w)"
    )
    # The rest of the sentence from the match on, where a French "ne" may be completed.
    after = text[start:]
    end = re.search(r"[.;!?](?=\s|$)", after)
    after = after[: end.start()] if end else after
    for found in re.finditer(negators, window, re.IGNORECASE):
        if found.group(0).lower() not in ("n'", "ne"):
            return Polarity.NEGATED
        completion = re.search(
            r"(?<!\w)((?:pas|jamais|plus|aucune?|rien|personne|guère|point|ni|nulle|que)(?!\w)|qu')",
            window[found.end() :] + " " + after,
            re.IGNORECASE,
        )
        # "ne ... que" means "only"; any other completion (or none) negates.
        if completion is None or completion.group(1).lower() not in ("que", "qu'"):
            return Polarity.NEGATED
    return Polarity.ASSERTED


_TOKENS = (
    *("we", "use", "your", "data", "messages", "Nous", "utilisons", "vos", "ne", "n'", "Ne"),
    *("not", "no", "never", "don't", "pas", "jamais", "plus", "only", "non", "seulement"),
    *(" ", " ", " ", "  ", "\n", ".", ". ", "; ", "!", "? ", ",", "(", ")", "-", "'", "é"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=60))
@example(["Nous ne utilisons pas vos messages. Nous utilisons vos messages"])
@example(["Nous n'utilisons jamais plus vos messages; ne pas"])
@example(["we don't use. your data, not only your messages! no ", "\n", "data"])
@example(["non seulement vos données, mais not your messages."])
def test_polarity_read_once_is_the_polarity_read_again_for_every_match(
    tokens: list[str],
) -> None:
    # Polarity is now read from one pass over the clause (it used to re-read everything
    # before each match: quadratic). It must be the same wherever a match can start: a
    # word character after a non-word one.
    text = "".join(tokens)
    negations = _Negations(text)
    for start in range(len(text)):
        if text[start].isalnum() and (start == 0 or not (text[start - 1].isalnum())):
            if start and text[start - 1] == "_":
                continue
            assert negations.polarity(start) is _polarity_by_rereading(text, start), start


def test_a_long_clause_gets_every_label_and_polarity_right(taxonomy: Taxonomy) -> None:
    # 2,000 sentences in one clause (about 190 kB): each match's polarity is its sentence's.
    sentences = [
        "We do not read your private messages" if i % 2 else "We use your private messages"
        for i in range(2000)
    ]
    found = classify_clause(clause(" to detect spam; ".join(sentences) + "."), taxonomy)
    messages = evidence_for(found, Label.MESSAGES)
    assert {e.polarity for e in messages} == {Polarity.NEGATED, Polarity.ASSERTED}
    assert Label.MESSAGES in labels(found)
