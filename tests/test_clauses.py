"""Clauses: headings and sections, paragraphs and sentences, list items, table cells, ids."""

# Typographic quotes are part of the texts here.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.goldens import case_folders
from tracker.compare.clauses import locate_clauses, split_clauses, split_sentences
from tracker.compare.wording import visible_words
from tracker.models import Clause, ClauseKind

CASES = case_folders("diff")
THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.MULTILINE)


def words_of(text: str) -> list[str]:
    """The visible words, hard breaks counted as spaces and thematic breaks as nothing."""
    return visible_words(THEMATIC_BREAK.sub("", re.sub(r"\\\n| {2,}\n", "\n", text)))


def assert_well_formed(text: str, clauses: tuple[Clause, ...]) -> None:
    assert [clause.position for clause in clauses] == list(range(len(clauses)))
    assert len({clause.id for clause in clauses}) == len(clauses), "ids are not unique"
    assert [w for clause in clauses for w in words_of(clause.text)] == words_of(text)


def by_id(text: str) -> dict[str, Clause]:
    return {clause.id: clause for clause in split_clauses(text)}


@pytest.mark.parametrize("folder", CASES, ids=[folder.name for folder in CASES])
@pytest.mark.parametrize("side", ["before.md", "after.md"])
def test_golden_versions_are_covered_with_unique_ids(folder: Path, side: str) -> None:
    text = (folder / side).read_text(encoding="utf-8")
    assert_well_formed(text, split_clauses(text))


# ------------------------------------------------------------------------------- headings


def test_atx_and_setext_headings_make_the_section_path() -> None:
    text = (
        "Privacy Policy\n==============\n\nIntro.\n\nYour Privacy Matters\n--------------------\n\n"
        "Why it matters.\n\n### Services\n\nThis applies.\n\n## Other\n\nElse.\n"
    )
    clauses = split_clauses(text)
    assert [(c.kind, c.section, c.text) for c in clauses] == [
        (ClauseKind.HEADING, (), "Privacy Policy"),
        (ClauseKind.PARAGRAPH, ("Privacy Policy",), "Intro."),
        (ClauseKind.HEADING, ("Privacy Policy",), "Your Privacy Matters"),
        (ClauseKind.PARAGRAPH, ("Privacy Policy", "Your Privacy Matters"), "Why it matters."),
        (ClauseKind.HEADING, ("Privacy Policy", "Your Privacy Matters"), "Services"),
        (
            ClauseKind.PARAGRAPH,
            ("Privacy Policy", "Your Privacy Matters", "Services"),
            "This applies.",
        ),
        (ClauseKind.HEADING, ("Privacy Policy",), "Other"),
        (ClauseKind.PARAGRAPH, ("Privacy Policy", "Other"), "Else."),
    ]
    assert [c.id for c in clauses][-2:] == ["privacy-policy/other", "privacy-policy/other/p1"]


def test_bold_in_a_heading_is_not_part_of_the_section_name() -> None:
    clause = split_clauses("#### **Data Controller**\n\nLinkedIn Ireland.\n")[1]
    assert clause.section == ("Data Controller",)
    assert clause.id == "data-controller/p1"


def test_a_heading_without_words_opens_no_section() -> None:
    clauses = split_clauses("# Title\n\n### **\n\nUpdate to our terms**\n")
    assert [c.section for c in clauses] == [(), ("Title",)]


@pytest.mark.parametrize(
    ("text", "section"),
    [
        pytest.param(
            "# Service Terms\n\n**1\\. TALENT SERVICES**\n\n"
            "**1.1. Recruiter Corporate**\n\nUse it.\n",
            ("Service Terms", "1. TALENT SERVICES", "1.1. Recruiter Corporate"),
            id="numbered-bold-headings-nest",
        ),
        pytest.param(
            "# T\n\n**1.1. One**\n\nA.\n\n**1.2. Two**\n\nUse it.\n",
            ("T", "1.2. Two"),
            id="siblings-replace-each-other",
        ),
        pytest.param(
            "### 8.2. Don’ts\n\n**You agree that you will _not_:**\n\n1.  Use it.\n",
            ("8.2. Don’ts", "You agree that you will not:"),
            id="lead-in-of-a-list",
        ),
        pytest.param(
            "# T\n\n**Business administration**:\n\nUse it.\n",
            ("T", "Business administration:"),
            id="colon-after-bold",
        ),
    ],
)
def test_a_short_bold_only_paragraph_is_a_heading(text: str, section: tuple[str, ...]) -> None:
    clauses = split_clauses(text)
    assert clauses[-1].section == section
    assert clauses[-2].kind is ClauseKind.HEADING


@pytest.mark.parametrize(
    "paragraph",
    [
        "**\\[Note: Talent Hub Service is no longer offered\\]**",
        "**[Learn More](https://www.linkedin.com/help/linkedin/answer/a9490059)**",
        "**Bold** and not bold",
        "_[Effective November 3, 2025](https://www.linkedin.com/help/linkedin/answer/a1341216)_",
        "**" + "Far too long to be a heading " * 6 + "**",
    ],
)
def test_other_emphasised_paragraphs_are_paragraphs(paragraph: str) -> None:
    clauses = split_clauses(f"# T\n\n{paragraph}\n\nNext.\n")
    assert [c.kind for c in clauses] == [
        ClauseKind.HEADING,
        ClauseKind.PARAGRAPH,
        ClauseKind.PARAGRAPH,
    ]
    assert clauses[-1].section == ("T",)


# --------------------------------------------------------------------- paragraphs, sentences

DATA_CONTROLLER = (
    "As set out in our [Privacy Policy](https://www.linkedin.com/legal/privacy-policy), if you "
    "are located in the Designated Countries, LinkedIn Ireland Unlimited Company with its "
    "address at Wilton Place, Dublin 2, Ireland, is the data controller of your personal data. "
    "If you are located in the United Kingdom, LinkedIn Corporation with its address at 1000 W "
    "Maude Avenue, Sunnyvale, CA, is the data controller of your personal data. When we refer "
    "to “**LinkedIn”** in this Notice we mean LinkedIn Ireland Unlimited Company or LinkedIn "
    "Corporation, as it applies to you."
)


def test_a_long_paragraph_is_cut_into_sentences() -> None:
    clauses = split_clauses(f"#### **Data Controller**\n\n{DATA_CONTROLLER}\n")[1:]
    assert [c.kind for c in clauses] == [ClauseKind.SENTENCE] * 3
    assert [c.id for c in clauses] == [f"data-controller/p1/s{n}" for n in (1, 2, 3)]
    assert clauses[2].text.startswith("When we refer to “**LinkedIn”**")


def test_a_short_paragraph_stays_whole() -> None:
    text = "# T\n\nWe may process your data. You can withdraw your consent.\n\nSecond one.\n"
    clauses = split_clauses(text)[1:]
    assert [(c.kind, c.id) for c in clauses] == [
        (ClauseKind.PARAGRAPH, "t/p1"),
        (ClauseKind.PARAGRAPH, "t/p2"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("One thing. Another thing.", ["One thing.", "Another thing."], id="simple"),
        pytest.param(
            "Data (e.g. Your name) is used. It is kept.",
            ["Data (e.g. Your name) is used.", "It is kept."],
            id="e.g.",
        ),
        pytest.param("Use, i.e. Sharing it. Done.", ["Use, i.e. Sharing it.", "Done."], id="i.e."),
        pytest.param(
            "We store it in the U.S. Data flows there.",
            ["We store it in the U.S. Data flows there."],
            id="U.S.",
        ),
        pytest.param(
            "See Regulation No. 5 and more.", ["See Regulation No. 5 and more."], id="No."
        ),
        pytest.param("It costs 2.5 EUR. Fine.", ["It costs 2.5 EUR.", "Fine."], id="decimal"),
        pytest.param(
            "Read [the terms. Then](https://x.example/a.b.C) now. Next one.",
            ["Read [the terms. Then](https://x.example/a.b.C) now.", "Next one."],
            id="inside-a-link",
        ),
        pytest.param(
            "Visit our [Help Center.](https://www.linkedin.com/help/linkedin) Then ask.",
            ["Visit our [Help Center.](https://www.linkedin.com/help/linkedin)", "Then ask."],
            id="end-of-link-text",
        ),
        pytest.param(
            "Ask M. Dupont. Il répondra ! Vraiment ? Oui.",
            ["Ask M. Dupont.", "Il répondra !", "Vraiment ?", "Oui."],
            id="french",
        ),
        pytest.param(
            "Le terme « Membres. » Puis la suite.",
            ["Le terme « Membres. »", "Puis la suite."],
            id="guillemets",
        ),
        pytest.param(
            "the count. then lower case.", ["the count. then lower case."], id="lower-case"
        ),
        pytest.param("**Bold. Still bold** after.", ["**Bold. Still bold** after."], id="bold"),
        pytest.param("Hard break.\\\nNext line.", ["Hard break.", "Next line."], id="hard-break"),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


# ------------------------------------------------------------------------------------ lists


def test_list_items_and_nested_items() -> None:
    text = (
        "## Retention\n\nThese may include:\n\n"
        "*   Where LinkedIn has suspended your account.\n"
        "*   Where we are required by law:\n"
        "    *   by a court;\n"
        "    *   by a regulator.\n"
        "*   Where you ask us.\n"
    )
    clauses = split_clauses(text)[2:]
    assert [(c.kind, c.id, c.text) for c in clauses] == [
        (ClauseKind.LIST_ITEM, "retention/li1", "Where LinkedIn has suspended your account."),
        (ClauseKind.LIST_ITEM, "retention/li2", "Where we are required by law:"),
        (ClauseKind.LIST_ITEM, "retention/li2/li1", "by a court;"),
        (ClauseKind.LIST_ITEM, "retention/li2/li2", "by a regulator."),
        (ClauseKind.LIST_ITEM, "retention/li3", "Where you ask us."),
    ]
    assert {c.section for c in clauses} == {("Retention",)}


def test_a_thematic_break_ends_a_list() -> None:
    text = "- Learn more about our policies.\n\n- - -\n\nHarassment\n----------\n"
    assert [(c.kind, c.text) for c in split_clauses(text)] == [
        (ClauseKind.LIST_ITEM, "Learn more about our policies."),
        (ClauseKind.HEADING, "Harassment"),
    ]


def test_more_paragraphs_of_an_item_stay_under_it() -> None:
    text = "- First paragraph of the item.\n\n  Second paragraph of the item.\n\n- Next item.\n"
    assert [(c.kind, c.id) for c in split_clauses(text)] == [
        (ClauseKind.LIST_ITEM, "li1"),
        (ClauseKind.PARAGRAPH, "li1/p2"),
        (ClauseKind.LIST_ITEM, "li2"),
    ]


def test_an_item_that_holds_a_section_is_only_a_container() -> None:
    """OTA writes the privacy policy's sections as the items of one ordered list."""
    text = (
        "Privacy Policy\n==============\n\n"
        "1.  [Data We Collect](#data)\n2.  [How We Use Your Data](#use)\n\n"
        "1.  Introduction\n    ------------\n    \n    We are a social network.\n    \n"
        "    ### Services\n    \n    This Privacy Policy applies.\n    \n"
        "2.  1\\. Data We Collect\n    -------------------\n    \n"
        "    *   Data from your use of our Services;\n"
    )
    clauses = split_clauses(text)
    assert [(c.kind, c.section, c.text) for c in clauses] == [
        (ClauseKind.HEADING, (), "Privacy Policy"),
        (ClauseKind.LIST_ITEM, ("Privacy Policy",), "[Data We Collect](#data)"),
        (ClauseKind.LIST_ITEM, ("Privacy Policy",), "[How We Use Your Data](#use)"),
        (ClauseKind.HEADING, ("Privacy Policy",), "Introduction"),
        (ClauseKind.PARAGRAPH, ("Privacy Policy", "Introduction"), "We are a social network."),
        (ClauseKind.HEADING, ("Privacy Policy", "Introduction"), "Services"),
        (
            ClauseKind.PARAGRAPH,
            ("Privacy Policy", "Introduction", "Services"),
            "This Privacy Policy applies.",
        ),
        (ClauseKind.HEADING, ("Privacy Policy",), "1\\. Data We Collect"),
        (
            ClauseKind.LIST_ITEM,
            ("Privacy Policy", "1. Data We Collect"),
            "Data from your use of our Services;",
        ),
    ]


# ----------------------------------------------------------------------------------- tables

EU_TABLE = (
    "#### **Consent**\n\n"
    "|     |     |\n| --- | --- |\n"
    "| **Why and how we use your data** | **Data we use** |\n"
    "| To allow Members to make and accept new connections. | Connect functionality on Member"
    " profiles<br><br>Contact information (email, telephone, etc.) |\n"
    "| So Members can show their profile. | Data that you provide in \\| your profile |\n"
)


def test_the_bold_first_row_is_the_header_of_a_table_with_an_empty_header() -> None:
    clauses = split_clauses(EU_TABLE)[1:]
    assert [(c.column, c.row) for c in clauses] == [
        ("Why and how we use your data", None),
        ("Data we use", None),
        ("Why and how we use your data", "To allow Members to make and accept new connections."),
        ("Data we use", "To allow Members to make and accept new connections."),
        ("Why and how we use your data", "So Members can show their profile."),
        ("Data we use", "So Members can show their profile."),
    ]
    assert {c.kind for c in clauses} == {ClauseKind.TABLE_CELL}
    assert {c.section for c in clauses} == {("Consent",)}
    assert clauses[3].id == "consent/t1/to-allow-members-to-make-and/data-we-use"
    assert clauses[3].text.endswith("<br><br>Contact information (email, telephone, etc.)")
    assert clauses[5].text == "Data that you provide in \\| your profile"
    assert clauses[0].id == "consent/t1/head/why-and-how-we-use-your-data"


def test_cell_coordinates() -> None:
    located = locate_clauses(EU_TABLE)
    assert [item.cell for item in located] == [
        None,
        (0, 0, 0),
        (0, 0, 1),
        (0, 1, 0),
        (0, 1, 1),
        (0, 2, 0),
        (0, 2, 1),
    ]
    assert {item.parent for item in located[1:]} == {0}


def test_an_empty_header_cell_names_no_column() -> None:
    text = (
        "|     | How we use your data | Personal data used |\n| --- | --- | --- |\n"
        "| **Safety and security:** | To help protect you. |  |\n"
    )
    clauses = split_clauses(text)
    assert [(c.column, c.row, c.id) for c in clauses] == [
        ("How we use your data", None, "t1/head/how-we-use-your-data"),
        ("Personal data used", None, "t1/head/personal-data-used"),
        ("", "Safety and security:", "t1/safety-and-security/c1"),
        (
            "How we use your data",
            "Safety and security:",
            "t1/safety-and-security/how-we-use-your-data",
        ),
    ]


def test_a_new_row_does_not_change_the_ids_of_the_others() -> None:
    before = EU_TABLE
    after = EU_TABLE.replace(
        "| So Members", "| To enable two-factor authentication. | Phone |\n| So Members"
    )
    ids_before = {c.id for c in split_clauses(before)}
    ids_after = {c.id for c in split_clauses(after)}
    assert ids_before < ids_after
    assert len(ids_after - ids_before) == 2


def test_a_table_without_a_header_has_anonymous_columns() -> None:
    clauses = split_clauses("| | |\n| --- | --- |\n| Name | Location |\n")
    assert [(c.column, c.row, c.id) for c in clauses] == [
        ("", "Name", "t1/name/c1"),
        ("", "Name", "t1/name/c2"),
    ]


# -------------------------------------------------------------------------------------- ids


def test_repeated_ids_get_a_suffix() -> None:
    text = "## Contact Us\n\nOne.\n\n## Contact Us\n\nTwo.\n\n## Contact Us\n\nThree.\n"
    assert [c.id for c in split_clauses(text)] == [
        "contact-us",
        "contact-us/p1",
        "contact-us-2",
        "contact-us/p1-2",
        "contact-us-3",
        "contact-us/p1-3",
    ]


def test_other_blocks() -> None:
    text = "> Quoted text here.\n\n---\n\n```\ncode block\n```\n\n![](https://x.example/i.png)\n"
    clauses = split_clauses(text)
    assert [c.text for c in clauses] == [
        "Quoted text here.",
        "```\ncode block\n```",
        "![](https://x.example/i.png)",
    ]
    assert_well_formed(text, clauses)


def test_an_empty_text_has_no_clause() -> None:
    assert split_clauses("") == ()
    assert split_clauses("\n\n   \n") == ()


# ------------------------------------------------------------------------------ properties

WORD = st.sampled_from(
    [
        *("the", "data", "we", "use", "your", "profile", "LinkedIn", "Members", "consent"),
        *("e.g.", "i.e.", "U.S.", "No.", "5", "2.5", "données", "l’Union", "«", "»", "(UE)"),
        *("[settings](https://www.linkedin.com/mypreferences/d/settings/a.b)", "**Data**", "_x_"),
    ]
)
# A sentence "5." at the start of a cell or item reads as a list marker to visible_words
# (which sees the clause without its line): our extractor escapes such starts ("5\\.").
SENTENCE = (
    st.lists(WORD, min_size=1, max_size=16)
    .map(lambda ws: " ".join(ws) + ".")
    .filter(lambda s: not re.match(r"\d+\.(\s|$)", s))
)
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=12).map(" ".join)
TITLE = st.lists(WORD, min_size=1, max_size=5).map(" ".join)
HEADING = st.one_of(
    st.tuples(st.integers(1, 6), TITLE).map(lambda t: "#" * t[0] + " " + t[1]),
    TITLE.map(lambda t: f"{t}\n{'=' * max(3, len(t))}"),
    TITLE.map(lambda t: f"{t}\n{'-' * max(3, len(t))}"),
    st.sampled_from(["**1.1. Recruiter Lite**", "**You agree that you will:**"]),
)


def _list(items: list[tuple[str, list[str]]], ordered: bool) -> str:
    lines = []
    for number, (item, children) in enumerate(items, start=1):
        marker = f"{number}." if ordered else "*"
        lines.append(f"{marker}   {item}")
        lines.extend(f"    - {child}" for child in children)
    return "\n".join(lines)


LIST = st.builds(
    _list,
    st.lists(st.tuples(SENTENCE, st.lists(SENTENCE, max_size=2)), min_size=1, max_size=4),
    st.booleans(),
)
CELL = st.lists(SENTENCE, min_size=1, max_size=3).map("<br><br>".join)
TABLE = st.builds(
    lambda empty, rows: (
        (
            "|     |     |\n| --- | --- |\n| **Purpose** | **Data used** |\n"
            if empty
            else "| Purpose | Data used |\n| --- | --- |\n"
        )
        + "\n".join(f"| {a} | {b} |" for a, b in rows)
    ),
    st.booleans(),
    st.lists(st.tuples(CELL, CELL), min_size=1, max_size=4),
)
BLOCK = st.one_of(PARAGRAPH, PARAGRAPH, HEADING, LIST, TABLE, SENTENCE.map(lambda s: f"> {s}"))
DOCUMENT = st.lists(BLOCK, max_size=14).map(lambda blocks: "\n\n".join(blocks) + "\n")


@given(DOCUMENT)
@settings(max_examples=200, deadline=None)
def test_clauses_cover_every_word_in_order_with_unique_ids(text: str) -> None:
    assert_well_formed(text, split_clauses(text))


@given(PARAGRAPH)
@settings(max_examples=200, deadline=None)
def test_sentences_hold_every_word_of_the_paragraph(paragraph: str) -> None:
    sentences = split_sentences(paragraph)
    assert [w for s in sentences for w in visible_words(s)] == visible_words(paragraph)
    assert all(sentence == sentence.strip() and sentence for sentence in sentences)


@given(DOCUMENT)
@settings(max_examples=100, deadline=None)
def test_splitting_is_deterministic(text: str) -> None:
    assert split_clauses(text) == split_clauses(text)
