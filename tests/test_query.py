"""The pure query functions: a reader's date resolved to a version, change records filtered,
a phrase searched in versions (tracker/query/)."""

from __future__ import annotations

import pytest

from tracker.errors import QueryError
from tracker.query.changes import ChangeFilter, label_choice, select, significance_choice
from tracker.query.phrases import Needle, fold, search
from tracker.query.when import How, moment_of, resolve

STAMPS = [
    "2025-06-10T00-32-38Z",
    "2025-09-18T12-34-39Z",
    "2025-09-18T18-00-00Z",
    "2025-11-04T00-35-00Z",
]
DOC = "linkedin/eu-regional-privacy-notice"


# --------------------------------------------------------------------------- when
@pytest.mark.parametrize(
    ("asked", "stamp", "how"),
    [
        (None, "2025-11-04T00-35-00Z", How.LATEST),
        ("", "2025-11-04T00-35-00Z", How.LATEST),
        ("2025-09-18T12-34-39Z", "2025-09-18T12-34-39Z", How.EXACT),
        # a date: the version in force at the end of that day (two were recorded that day)
        ("2025-09-18", "2025-09-18T18-00-00Z", How.IN_FORCE),
        ("2025-10-01", "2025-09-18T18-00-00Z", How.IN_FORCE),
        ("2025-06-10", "2025-06-10T00-32-38Z", How.IN_FORCE),
        ("2030-01-01", "2025-11-04T00-35-00Z", How.IN_FORCE),
        # an archive stamp that is no version: the one in force at that moment
        ("2025-09-18T13-00-00Z", "2025-09-18T12-34-39Z", How.IN_FORCE),
        # ISO timestamps: Z, an offset, none (UTC), a space instead of T
        ("2025-09-18T12:34:39Z", "2025-09-18T12-34-39Z", How.EXACT),
        ("2025-09-18T14:34:38+02:00", "2025-06-10T00-32-38Z", How.IN_FORCE),
        ("2025-09-18T14:34:39+02:00", "2025-09-18T12-34-39Z", How.EXACT),
        ("2025-09-18T17:59:59", "2025-09-18T12-34-39Z", How.IN_FORCE),
        ("2025-09-18 18:00", "2025-09-18T18-00-00Z", How.EXACT),
        # unique prefixes of a stamp
        ("2025-06", "2025-06-10T00-32-38Z", How.PREFIX),
        ("2025-11-04T00", "2025-11-04T00-35-00Z", How.PREFIX),
        ("2025-09-18T12", "2025-09-18T12-34-39Z", How.PREFIX),
    ],
)
def test_resolve(asked: str | None, stamp: str, how: How):
    found = resolve(STAMPS, asked, DOC)
    assert (found.stamp, found.how) == (stamp, how)
    assert stamp in found.describe()


def test_resolve_says_until_when_the_version_was_in_force():
    found = resolve(STAMPS, "2025-10-01", DOC)
    assert found.next_stamp == "2025-11-04T00-35-00Z"
    assert found.moment == "2025-10-01T23-59-59Z"
    assert found.describe() == (
        "the version in force at the end of 2025-10-01 (UTC) is 2025-09-18T18-00-00Z "
        "(the next came at 2025-11-04T00-35-00Z)"
    )
    assert resolve(STAMPS, "2026-01-01", DOC).describe().endswith("(still the latest)")
    assert not found.exact and resolve(STAMPS, STAMPS[0], DOC).exact


@pytest.mark.parametrize(
    ("asked", "words"),
    [
        (
            "2025-06-09",
            "no version in force at the end of 2025-06-09 (UTC): the first version "
            "was recorded at 2025-06-10T00-32-38Z",
        ),
        ("2020-01-01T00-00-00Z", "no version in force at 2020-01-01T00-00-00Z"),
        ("2025-06-10T00:32:37Z", "no version in force at 2025-06-10T00-32-37Z"),
        ("2025", "2025 is ambiguous: 4 versions start with it (2025-06-10T00-32-38Z, "),
        ("2025-09", "2025-09 is ambiguous: 2 versions start with it"),
        ("2025-10", "no version starts with 2025-10 (versions: 2025-06-10T00-32-38Z, "),
        ("2025-02-30", "2025-02-30: no such day"),
        ("yesterday", "'yesterday': expected a date YYYY-MM-DD"),
        ("2025-13-01T00:00", "expected a date"),
    ],
)
def test_resolve_refuses_clearly(asked: str, words: str):
    with pytest.raises(QueryError) as error:
        resolve(STAMPS, asked, DOC)
    assert words in str(error.value)
    assert error.value.cause == "bad-query"


def test_resolve_with_no_version_and_many_versions():
    with pytest.raises(QueryError, match="no version recorded"):
        resolve([], "2025-01-01", DOC)
    many = [f"2025-01-{day:02d}T00-00-00Z" for day in range(1, 20)]
    with pytest.raises(QueryError, match=r"19 versions start with it \(.*, …\)"):
        resolve(many, "2025-01", DOC)
    with pytest.raises(QueryError, match="19 versions from 2025-01-01T00-00-00Z to 2025-01-19"):
        resolve(many, "2024-12", DOC)


def test_moment_of_periods():
    assert moment_of("2023", end_of_day=False) == "2023-01-01T00-00-00Z"
    assert moment_of("2023") == "2023-12-31T23-59-59Z"
    assert moment_of("2024-02") == "2024-02-29T23-59-59Z"
    assert moment_of("2024-02", end_of_day=False) == "2024-02-01T00-00-00Z"
    assert moment_of("2024-12") == "2024-12-31T23-59-59Z"
    assert moment_of("2024-05-06", end_of_day=False) == "2024-05-06T00-00-00Z"
    assert moment_of("2024-05-06T10:00:00-01:00") == "2024-05-06T11-00-00Z"
    with pytest.raises(QueryError, match="no such month"):
        moment_of("2024-13")


# --------------------------------------------------------------------------- changes
GROUPS = {
    "consent": "legal_basis",
    "legitimate_interests": "legal_basis",
    "contract": "legal_basis",
    "location": "data_category",
    "ai_training": "purpose_flag",
}


def record(significance: str, labels=(), gained=(), lost=(), clauses=()):
    return {
        "significance": significance,
        "from": "x",
        "labels": list(labels),
        "gained": list(gained),
        "lost": list(lost),
        "clauses": list(clauses),
    }


RECORDS = [
    ("linkedin/privacy-policy", "2022-03-01T00-00-00Z", record("substantive", ["consent"])),
    (
        "linkedin/privacy-policy",
        "2023-05-01T00-00-00Z",
        # a cosmetic edit of a clause about contracts does not touch `contract`
        record(
            "cosmetic",
            clauses=[
                {"kind": "modified", "significance": "cosmetic", "labels": ["contract"]},
            ],
        ),
    ),
    (
        "linkedin/eu-regional-privacy-notice",
        "2025-09-18T12-34-39Z",
        record(
            "substantive",
            ["legitimate_interests", "ai_training"],
            gained=["legitimate_interests"],
            lost=["consent"],
            clauses=[
                {"kind": "modified", "significance": "substantive", "labels": ["ai_training"]},
                {"kind": "removed", "significance": "substantive", "lost": ["consent"]},
            ],
        ),
    ),
    ("linkedin/help/terms-updates", "2025-10-01T00-00-00Z", record("minor")),
    ("x/privacy-policy", "2025-10-02T00-00-00Z", record("substantive", ["location"])),
]


def test_labels_and_groups_are_validated():
    assert label_choice(["consent"], GROUPS) == {"consent"}
    assert label_choice(["legal-basis"], GROUPS) == {"consent", "legitimate_interests", "contract"}
    assert label_choice(["Legitimate-Interests", "location"], GROUPS) == {
        "legitimate_interests",
        "location",
    }
    with pytest.raises(QueryError) as error:
        label_choice(["legal basis"], GROUPS)
    assert str(error.value) == (
        "unknown label 'legal basis'; labels: ai_training, consent, contract, "
        "legitimate_interests, location; groups (every label of the group): data_category, "
        "legal_basis, purpose_flag"
    )
    assert significance_choice(["Substantive", "minor"]) == {"substantive", "minor"}
    with pytest.raises(QueryError, match="one of: cosmetic, minor, substantive"):
        significance_choice(["major"])


def stamps(found):
    return [(c.document, c.timestamp) for c in found]


def test_changes_touching_legal_basis_since_2023():
    wanted = ChangeFilter(
        labels=label_choice(["legal_basis"], GROUPS), since=moment_of("2023", end_of_day=False)
    )
    [found] = select(RECORDS, wanted)
    assert (found.document, found.timestamp) == RECORDS[2][:2]
    assert found.matched == ("consent", "legitimate_interests")
    assert found.touched == ("ai_training", "consent", "legitimate_interests")
    data = found.to_dict()
    assert data["clauses"] == {"modified": 1, "removed": 1}
    assert data["page"] == "linkedin/eu-regional-privacy-notice/changes/2025-09-18T12-34-39Z.html"
    assert set(data) == {
        "document", "timestamp", "from", "to", "significance", "labels", "gained", "lost",
        "touched", "matched", "clauses", "flip_back_of", "record", "page",
    }  # fmt: skip


def test_changes_by_document_glob_significance_and_dates():
    assert len(select(RECORDS, ChangeFilter())) == len(RECORDS)
    everything_linkedin = select(RECORDS, ChangeFilter(document="linkedin/*"))
    assert [c.document for c in everything_linkedin][-1] == "linkedin/help/terms-updates"
    assert len(everything_linkedin) == 4, "* crosses / (linkedin/help/...)"
    assert stamps(select(RECORDS, ChangeFilter(significance=frozenset({"minor"})))) == [
        RECORDS[3][:2]
    ]
    until = ChangeFilter(until=moment_of("2023-05-01"), since=moment_of("2022", end_of_day=False))
    assert stamps(select(RECORDS, until)) == [RECORDS[0][:2], RECORDS[1][:2]]
    assert select(RECORDS, ChangeFilter(until=moment_of("2022-02-28"))) == []
    ordered = select(list(reversed(RECORDS)), ChangeFilter())
    assert [c.timestamp for c in ordered] == sorted(c.timestamp for c in ordered)


# --------------------------------------------------------------------------- phrases
V1 = """# Privacy Policy

## Legal bases

We rely on our **legitimate
interests** to show you [ads](https://x.test/ads).

We also rely on consent.
"""
V2 = """# Privacy Policy

## Legal bases

We rely on consent only.
"""
V3 = """# Privacy Policy

## Legal bases

### Why

Where we rely on Legitimate   Interests, we balance them against your rights.

Legitimate interests also cover security.
"""


def test_fold_is_case_space_quote_and_optionally_accent_insensitive():
    assert fold("  Intérêt\n  LÉGITIME\u2019s  ") == "intérêt légitime's"
    assert fold("Intérêt légitime", accents=True) == "interet legitime"
    assert Needle.of("interet", accents=True).folded == "interet"
    with pytest.raises(QueryError):
        Needle.of("   ")


def test_search_finds_first_last_and_runs():
    versions = [("2021-01-01T00-00-00Z", V1), ("2022-01-01T00-00-00Z", V2)]
    versions.append(("2023-01-01T00-00-00Z", V3))
    found = search("linkedin/privacy-policy", versions, Needle.of("legitimate interests"))
    assert [h.version for h in found.found] == ["2021-01-01T00-00-00Z", "2023-01-01T00-00-00Z"]
    assert (found.first, found.last, found.in_latest) == (
        "2021-01-01T00-00-00Z",
        "2023-01-01T00-00-00Z",
        True,
    )
    assert found.spans == (
        ("2021-01-01T00-00-00Z", "2021-01-01T00-00-00Z"),
        ("2023-01-01T00-00-00Z", "2023-01-01T00-00-00Z"),
    )
    first = found.found[0]
    assert first.paragraphs == 1
    assert first.hits[0].section == "Privacy Policy \u203a Legal bases"
    assert first.hits[0].excerpt == "We rely on our legitimate interests to show you ads."
    last = found.found[-1]
    assert last.paragraphs == 2
    assert last.hits[0].section == "Privacy Policy \u203a Legal bases \u203a Why"
    assert last.hits[0].excerpt.startswith("Where we rely on Legitimate Interests, we balance")
    gone = search("d", versions[:2], Needle.of("LEGITIMATE INTERESTS"))
    assert (gone.in_latest, gone.removed_in) == (False, "2022-01-01T00-00-00Z")
    data = gone.to_dict()
    assert data["spans"] == [{"first": "2021-01-01T00-00-00Z", "last": "2021-01-01T00-00-00Z"}]
    assert data["versions"][0]["excerpts"][0]["section"] == "Privacy Policy \u203a Legal bases"
    none = search("d", versions, Needle.of("vital interests"))
    assert (none.first, none.spans, none.in_latest) == ("", (), False)
    assert none.to_dict()["first"] is None


def test_search_excerpt_is_cut_around_the_match_and_accents_optional():
    long = (
        "Mot " * 60
        + "nous traitons vos données sur la base de notre intérêt légitime "
        + ("fin " * 60)
    )
    versions = [("2024-01-01T00-00-00Z", f"# Politique\n\n{long}\n")]
    assert search("d", versions, Needle.of("interet legitime")).found == ()
    [hits] = search("d", versions, Needle.of("INTERET légitime", accents=True)).found
    excerpt = hits.hits[0].excerpt
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert "intérêt légitime" in excerpt
    assert len(excerpt) < 2 * 90 + 40


def test_search_knows_setext_and_atx_headings():
    text = (
        "LinkedIn Notice\n===============\n\nIntro.\n\nLegal bases\n-----------\n\n"
        "#### Legitimate Interest\n\nWhere we rely on legitimate interests we balance them.\n"
    )
    [hits] = search("d", [("2025-01-01T00-00-00Z", text)], Needle.of("legitimate interest")).found
    assert [(h.section, h.excerpt) for h in hits.hits] == [
        ("LinkedIn Notice \u203a Legal bases \u203a Legitimate Interest", "Legitimate Interest"),
        (
            "LinkedIn Notice \u203a Legal bases \u203a Legitimate Interest",
            "Where we rely on legitimate interests we balance them.",
        ),
    ]
