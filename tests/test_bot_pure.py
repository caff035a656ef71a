"""The subscriber bot's pure parts: commands, document names, subscription matching, the
/subscribe screens and their buttons, and the words in English and French."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tracker.bot.commands import COMMANDS, Command, Found, find_document, parse
from tracker.bot.screens import TOPICS, Catalog, describe, press, screen
from tracker.bot.subscription import Subscription, expand_labels, language_of, wants
from tracker.bot.texts import keys, say
from tracker.models import Change, Significance

GROUPS = {
    "consent": "legal_basis",
    "legitimate_interests": "legal_basis",
    "special_category": "art9",
    "ai_training": "purpose_flag",
    "third_party_sharing": "purpose_flag",
}
CATALOG = Catalog(
    {
        "linkedin/privacy-policy": "LinkedIn Privacy Policy",
        "linkedin/privacy-policy-fr": "Politique de confidentialité",
        "meta/terms": "Meta Terms",
    }
)


def change(
    document: str = "linkedin/privacy-policy",
    significance: Significance = Significance.SUBSTANTIVE,
    labels: tuple[str, ...] = ("legitimate_interests", "ai_training"),
    flip_back_of: str | None = None,
) -> Change:
    return Change(
        document=document,
        from_version="2025-01-01T00-00-00Z",
        to_version="2025-11-03T00-00-00Z",
        significance=significance,
        clauses=(),
        labels=labels,
        flip_back_of=flip_back_of,
    )


def subscribed(**fields: object) -> Subscription:
    return replace(Subscription("42", active=True), **fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ commands
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", Command("start")),
        ("/LATEST privacy-policy", Command("latest", ("privacy-policy",), "privacy-policy")),
        (
            "/diff@policy_tracker_bot linkedin/privacy-policy 2025-01-01  2025-12-01",
            Command(
                "diff",
                ("linkedin/privacy-policy", "2025-01-01", "2025-12-01"),
                "linkedin/privacy-policy 2025-01-01 2025-12-01",
            ),
        ),
        (
            "/search\nlegitimate interest",
            Command("search", ("legitimate", "interest"), "legitimate interest"),
        ),
        ("/start@other_bot", None),
        ("hello", None),
        ("/", None),
    ],
)
def test_commands_are_parsed_and_other_bots_commands_ignored(
    text: str, expected: Command | None
) -> None:
    assert parse(text, "policy_tracker_bot") == expected


def test_documents_are_found_by_id_short_name_or_unique_prefix() -> None:
    docs = CATALOG.documents
    assert find_document("linkedin/privacy-policy", docs) == Found("linkedin/privacy-policy")
    assert find_document("privacy-policy", docs) == Found("linkedin/privacy-policy")
    assert find_document("META/TERMS", docs) == Found("meta/terms")
    assert find_document("terms", docs) == Found("meta/terms")
    assert find_document("privacy", docs) == Found(
        None, ("linkedin/privacy-policy", "linkedin/privacy-policy-fr")
    )
    assert find_document("cookies", docs) == Found(None, ())


# ------------------------------------------------------------------------------ matching
def test_a_subscriber_gets_what_a_channel_with_the_same_choices_would() -> None:
    everything = subscribed()
    assert wants(everything, change(), GROUPS)
    assert not wants(everything, change(significance=Significance.MINOR), GROUPS)
    assert wants(
        subscribed(min_significance=Significance.MINOR),
        change(significance=Significance.MINOR),
        GROUPS,
    )
    assert not wants(
        subscribed(min_significance=Significance.MINOR),
        change(significance=Significance.COSMETIC),
        GROUPS,
    )
    assert not wants(everything, change(flip_back_of="2024-01-01T00-00-00Z"), GROUPS)


def test_documents_platforms_and_labels_narrow_what_a_subscriber_gets() -> None:
    assert wants(subscribed(documents=("linkedin/*",)), change(), GROUPS)
    assert not wants(subscribed(documents=("meta/*",)), change(), GROUPS)
    assert wants(subscribed(documents=("meta/terms", "linkedin/privacy-policy")), change(), GROUPS)
    assert wants(subscribed(labels=("legal_basis",)), change(), GROUPS)
    assert wants(subscribed(labels=("ai_training",)), change(), GROUPS)
    assert not wants(subscribed(labels=("art9",)), change(), GROUPS)
    assert not wants(subscribed(labels=("legal_basis",)), change(labels=("ai_training",)), GROUPS)
    assert not wants(subscribed(labels=("no_such_group",)), change(), GROUPS), "not everything"


def test_paused_inactive_and_unknown_subscribers_get_nothing() -> None:
    assert not wants(subscribed(paused=True), change(), GROUPS)
    assert not wants(Subscription("42"), change(), GROUPS)


def test_label_groups_expand_to_their_labels() -> None:
    assert expand_labels(("legal_basis", "ai_training"), GROUPS) == (
        "consent",
        "legitimate_interests",
        "ai_training",
    )


@pytest.mark.parametrize(
    ("code", "language"),
    [("fr", "fr"), ("fr-CA", "fr"), ("en-GB", "en"), ("de", "en"), (None, "en")],
)
def test_the_bot_speaks_french_to_french_speakers_and_english_to_the_rest(
    code: str | None, language: str
) -> None:
    assert language_of(code) == language


# ------------------------------------------------------------------------------ screens
def test_subscribing_through_the_three_screens() -> None:
    start = Subscription("42", language="fr")
    docs = screen(start, "docs", CATALOG)
    data = [button.data for row in docs.rows for button in row]
    assert data == ["p:linkedin", "p:meta", "d:0", "d:1", "d:2", "go:labels"]
    assert all(len(d.encode()) <= 64 for d in data), "Telegram's callback data limit"
    assert "Cochez" in docs.text

    step = press(start, "p:linkedin", CATALOG)
    assert step is not None and step.subscription.documents == ("linkedin/*",)
    assert step.screen.rows[0][0].text.startswith("✅")
    step = press(step.subscription, "d:2", CATALOG)
    assert step is not None and step.subscription.documents == ("linkedin/*", "meta/terms")
    step = press(step.subscription, "d:2", CATALOG)  # pressed again: unticked
    assert step is not None and step.subscription.documents == ("linkedin/*",)
    step = press(step.subscription, "go:labels", CATALOG)
    assert step is not None
    assert [b.data for row in step.screen.rows for b in row][: len(TOPICS)] == [
        f"l:{t}" for t in TOPICS
    ]
    step = press(step.subscription, "l:ai_training", CATALOG)
    assert step is not None and step.subscription.labels == ("ai_training",)
    step = press(step.subscription, "go:sig", CATALOG)
    assert step is not None
    step = press(step.subscription, "s:minor", CATALOG)
    assert step is not None and step.subscription.min_significance is Significance.MINOR
    assert not step.subscription.active, "nothing is sent before the last button"
    done = press(step.subscription, "ok", CATALOG)
    assert done is not None and done.finished and done.subscription.active
    assert done.screen.rows == ()
    assert "Abonné" in done.screen.text and "linkedin : tous les documents" in done.screen.text


def test_unknown_or_stale_buttons_do_nothing() -> None:
    for data in ("d:99", "p:nowhere", "l:nothing", "s:cosmetic", "go:elsewhere", "x"):
        assert press(Subscription("42"), data, CATALOG) is None


def test_a_subscription_is_described_in_its_language() -> None:
    sub = subscribed(documents=("linkedin/privacy-policy",), labels=("legal_basis",), paused=True)
    assert describe(sub, CATALOG) == (
        "<b>Documents</b>: LinkedIn Privacy Policy\n<b>Topics</b>: Legal basis changes\n"
        "<b>From</b>: Substantive change\n⏸ <b>Paused</b> (/resume)"
    )
    french = describe(replace(sub, language="fr", paused=False, labels=()), CATALOG)
    assert "<b>Sujets</b> : tous les sujets" in french


# ------------------------------------------------------------------------------ words
def test_english_and_french_have_the_same_phrases_and_every_command_is_explained() -> None:
    found = keys()
    assert found["en"] == found["fr"]
    for language in ("en", "fr"):
        start = say(language, "start", documents="•")
        assert all(f"/{name}" in start for name in COMMANDS if name != "start")
