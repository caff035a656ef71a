"""The normalise stage: each kind of noise, wording that must survive, and properties."""

# Typographic quotes and dashes are the point of several tests here (they must survive).
# ruff: noqa: RUF001

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from tracker.extract.normalise import INVISIBLE_CHARS, clean_text, normalise_markdown, normalise_url

BASE = "https://www.linkedin.com/legal/privacy-policy"
PARAMS = ("trk", "lang", "hcppcid", "_l")


def norm(text: str, *, base_url: str | None = BASE, params: tuple[str, ...] = PARAMS) -> str:
    return normalise_markdown(text, base_url=base_url, drop_query_params=params)


# ------------------------------------------------------------------------- link targets


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "https://www.linkedin.com/help/linkedin/answer/85809?trk=microsites-frontend_legal"
            "_privacy-policy&lang=en",
            "https://www.linkedin.com/help/linkedin/answer/85809",
            id="trk-and-lang",
        ),
        pytest.param(
            "https://www.linkedin.com/help/linkedin/answer/a1335211?hcppcid=search",
            "https://www.linkedin.com/help/linkedin/answer/a1335211",
            id="hcppcid",
        ),
        pytest.param(
            "https://www.linkedin.com/x?a=1&trk=t&b=2&lang=fr#part",
            "https://www.linkedin.com/x?a=1&b=2#part",
            id="other-params-and-fragment-kept",
        ),
        pytest.param(
            "https://www.linkedin.com/x?%74rk=encoded-name",
            "https://www.linkedin.com/x",
            id="encoded-name",
        ),
        pytest.param(
            "https://www.linkedin.com/x?trkEmail=1&language=en",
            "https://www.linkedin.com/x?trkEmail=1&language=en",
            id="names-match-exactly",
        ),
        pytest.param(
            "https://www.linkedin.com/help/linkedin/answer/a1342756?_l=hi_IN",
            "https://www.linkedin.com/help/linkedin/answer/a1342756",
            id="locale-param",
        ),
    ],
)
def test_tracking_parameters_are_dropped(url: str, expected: str) -> None:
    assert normalise_url(url, drop_query_params=PARAMS) == expected
    assert norm(f"[x]({url})") == f"[x]({expected})\n"


def test_parameters_are_kept_when_not_listed() -> None:
    url = "https://www.linkedin.com/x?trk=t"
    assert norm(f"[x]({url})", params=()) == f"[x]({url})\n"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "https://nam06.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.linkedin.com"
            "%2Fhelp%2Flinkedin%2Fask%2Fppq&data=05%7C02%7Cssundholm%40linkedin.com%7Cda78086e6"
            "%7C0%7C638604436264149657%7CUnknown&sdata=KFnKedvcckZE6sfyxXqL%2FjkCdzKx%3D"
            "&reserved=0",
            "https://www.linkedin.com/help/linkedin/ask/ppq",
            id="safelink",
        ),
        pytest.param(
            "https://eur02.safelinks.protection.outlook.com/?url=http%3A%2F%2Flinkedin.com%2Flegal"
            "%2Fuser-agreement%3Ftrk%3Dmail&data=04%7C01",
            "https://www.linkedin.com/legal/user-agreement",
            id="safelink-target-normalised-too",
        ),
        pytest.param(
            "https://nam06.safelinks.protection.outlook.com/?data=05%7C02",
            "https://nam06.safelinks.protection.outlook.com/?data=05%7C02",
            id="safelink-without-url-left-alone",
        ),
    ],
)
def test_safelinks_become_their_target(url: str, expected: str) -> None:
    assert normalise_url(url, drop_query_params=PARAMS) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/help/linkedin/answer/137378", "https://www.linkedin.com/help/linkedin/answer/137378"),
        ("cookie-policy", "https://www.linkedin.com/legal/cookie-policy"),
        ("#key-terms-1", "https://www.linkedin.com/legal/privacy-policy#key-terms-1"),
        ("//www.linkedin.com/legal/x", "https://www.linkedin.com/legal/x"),
        ("http://www.linkedin.com/legal/x", "https://www.linkedin.com/legal/x"),
        ("http://fr.linkedin.com/legal/x", "https://fr.linkedin.com/legal/x"),
        ("http://lnkd.in/sales-solutions-services", "https://lnkd.in/sales-solutions-services"),
        ("https://linkedin.com/legal/privacy/eu", "https://www.linkedin.com/legal/privacy/eu"),
        ("https://WWW.LinkedIn.com/Legal", "https://www.linkedin.com/Legal"),
        ("https://www.linkedin.com:443/legal", "https://www.linkedin.com/legal"),
        (
            "https://static-exp1.licdn.com/aero-v1/sc/h/abc",
            "https://static.licdn.com/aero-v1/sc/h/abc",
        ),
        ("https://media-exp2.licdn.com/dms/doc.pdf", "https://media.licdn.com/dms/doc.pdf"),
        ("http://example.com/page", "http://example.com/page"),
        ("mailto:privacy@linkedin.com", "mailto:privacy@linkedin.com"),
        ("https://x.test/a b(c)", "https://x.test/a%20b%28c%29"),
    ],
)
def test_same_link_has_one_form(url: str, expected: str) -> None:
    assert normalise_url(url, base_url=BASE) == expected


def test_relative_links_stay_relative_without_a_base_url() -> None:
    assert norm("[a](/legal/x) [b](//www.linkedin.com/y)", base_url=None) == (
        "[a](/legal/x) [b](https://www.linkedin.com/y)\n"
    )


def test_link_titles_and_escaped_brackets_survive() -> None:
    text = '[a \\[b\\] c](/x "Title") and ![logo](https://media-exp1.licdn.com/l.png)'
    assert norm(text) == (
        '[a \\[b\\] c](https://www.linkedin.com/x "Title") and '
        "![logo](https://media.licdn.com/l.png)\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in this way.[](https://www.linkedin.com/help/a7152512) Next", "in this way. Next"),
        ("in this way.\ufeff[](https://www.linkedin.com/help/a7152512)", "in this way."),
        ("word [](https://x.test/) word", "word word"),
        ("a [ ](https://x.test/) b [**](https://x.test/) c", "a b c"),
        ("![](https://media.licdn.com/img.png)text", "text"),
        ("para\n\n[](https://x.test/)\n\nnext", "para\n\nnext"),
        ("- item\n  [](https://x.test/) continued", "- item\n  continued"),
    ],
)
def test_empty_links_are_removed(text: str, expected: str) -> None:
    assert norm(text) == expected + "\n"


def test_nested_empty_links_are_removed_in_one_call() -> None:
    assert norm("x [[](https://a.test/)](https://b.test/) y") == "x y\n"


# ---------------------------------------------------------------------- characters, spaces


@pytest.mark.parametrize(
    "char", list(INVISIBLE_CHARS), ids=[f"U+{ord(c):04X}" for c in INVISIBLE_CHARS]
)
def test_invisible_characters_are_removed(char: str) -> None:
    assert norm(f"Pri{char}vacy {char}Policy{char}") == "Privacy Policy\n"


@pytest.mark.parametrize("char", ["\u00a0", "\u202f", "\u2007", "\u2009", "\u3000", "\u205f"])
def test_unicode_spaces_become_spaces(char: str) -> None:
    assert norm(f"November{char}3,{char}{char}2025 :{char}fin") == "November 3, 2025 : fin\n"


def test_control_characters_are_removed_and_line_ends_unified() -> None:
    assert norm("a\x07b\r\nc\rd\u2028e\x85f") == "ab\nc\nd\ne\nf\n"


def test_whitespace_runs_trailing_spaces_and_blank_lines() -> None:
    text = "\n\n  \nTitle  \n\n\n\n\nSome   words\there.   \n\n\n- a\n  - nested   item\n\n\n"
    assert norm(text) == "Title\n\nSome words here.\n\n- a\n  - nested item\n"


def test_leading_tabs_become_four_spaces() -> None:
    assert norm("-\tdash\n\tindented") == "- dash\n    indented\n"


def test_text_is_nfc() -> None:
    assert norm("Politique de confidentialite\u0301") == "Politique de confidentialité\n"


def test_empty_and_blank_texts_give_an_empty_string() -> None:
    assert norm("") == ""
    assert norm(" \n\u200b\n\u00a0\n") == ""


def test_output_ends_with_exactly_one_newline() -> None:
    assert norm("text") == "text\n"
    assert norm("text\n\n\n") == "text\n"


# -------------------------------------------------------------------------- relative dates


@pytest.mark.parametrize(
    "text",
    [
        "Last updated: 2 years ago",
        "last updated 2 years ago",
        "Last updated: 11 months ago.",
        "Updated 3 days ago",
        "Last updated a year ago",
        "Last updated an hour ago",
        "Last updated today",
        "*Last updated: 2 years ago*",
        "_Last updated 1 month ago_",
        "**Last updated: 5 weeks ago**",
        "Dernière mise à jour : il y a 3 ans",
        "Dernière mise à jour\u00a0: il y a 3\u00a0ans",
        "mis à jour il y a 3 ans",
        "Mise à jour il y a un an",
        "Dernière mise à jour : il y a 2 mois",
        "Dernière mise à jour : il y a une semaine",
        "Dernière mise à jour : aujourd’hui",
        "पिछला अपडेट: 2 साल पहले",
        "पिछला अपडेट: 3 महीने पहले",
    ],
)
def test_relative_dates_are_removed(text: str) -> None:
    assert norm(f"# Title\n\n{text}\n\nBody text.") == "# Title\n\nBody text.\n"


def test_relative_date_inside_a_line_leaves_the_rest() -> None:
    assert norm("Help article · Last updated 2 years ago · 3 min read") == (
        "Help article · · 3 min read\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Last updated: November 3, 2025",
        "Dernière mise à jour : 3 novembre 2025",
        "We updated this notice on November 3, 2025.",
        "Data that is 2 years old is deleted.",
        "Outdated 2 years ago",
        "We keep records updated for 2 years after closure.",
        "Les données sont mises à jour chaque mois.",
    ],
)
def test_absolute_dates_and_ordinary_wording_stay(text: str) -> None:
    assert norm(text) == text + "\n"


# ------------------------------------------------------------------------------- wording


@pytest.mark.parametrize(
    "text",
    [
        "LinkedIn’s Privacy Policy",
        "LinkedIn's Privacy Policy",
        'the “Notice” and the "Notice"',
        "« LinkedIn » — and – dashes - hyphens…",
        "1\\. Data We Collect",
        "**Bold** and _italic_ and `code`",
        "| a | b |\n| --- | --- |\n| c \\| d | e<br><br>f |",
    ],
)
def test_wording_and_markup_are_not_touched(text: str) -> None:
    assert norm(text) == text + "\n"


def test_open_terms_archive_markdown() -> None:
    ota = (
        "LinkedIn European Regional Privacy Notice\n"
        "=========================================\n\n"
        "You can opt out in your **[settings](https://www.linkedin.com/mypreferences/d/settings"
        "/data-for-ai-improvement)** if you\u2019d prefer.\ufeff[](https://www.linkedin.com/help"
        "/linkedin/answer/a7152512)\n\n"
        "with you.  \n\n"
        "|     |     |\n| --- | --- |\n"
        "| Data | [publishers](https://www.linkedin.com/help/linkedin/answer/85809?trk=microsites-"
        "frontend_legal_privacy-policy&lang=en) and [login](https://www.linkedin.com/help/linkedin"
        "/answer/a1335211?hcppcid=search) |\n\n"
        "*   Item\u00a0one\n    *   Nested\u200b item\n"
    )
    assert norm(ota, base_url="https://www.linkedin.com/legal/privacy/eu") == (
        "LinkedIn European Regional Privacy Notice\n"
        "=========================================\n\n"
        "You can opt out in your **[settings](https://www.linkedin.com/mypreferences/d/settings"
        "/data-for-ai-improvement)** if you\u2019d prefer.\n\n"
        "with you.\n\n"
        "| | |\n| --- | --- |\n"
        "| Data | [publishers](https://www.linkedin.com/help/linkedin/answer/85809) and "
        "[login](https://www.linkedin.com/help/linkedin/answer/a1335211) |\n\n"
        "* Item one\n    * Nested item\n"
    )


def test_clean_text_keeps_newlines_and_tabs() -> None:
    assert clean_text("a\tb\nc\u00a0d\u200be") == "a\tb\nc de"


# ---------------------------------------------------------------------------- properties

_PIECES = st.one_of(
    st.text(
        alphabet=st.sampled_from(
            list("abcdeé E ’'\"«»—-.,;:!?()[]*_#>|\\`0123456789\n\t  ")
            + list(INVISIBLE_CHARS)
            + ["\u00a0", "\u202f", "\u3000", "\r", "\u2028", "\u0301", "\x07", "\x00"]
        ),
        max_size=30,
    ),
    st.sampled_from(
        [
            "[text](https://www.linkedin.com/x?trk=a&lang=en)",
            "[](https://www.linkedin.com/help/a7152512)",
            "[ ](/relative)",
            "[rel](/help/linkedin/answer/1?hcppcid=search)",
            "[frag](#part)",
            "[safe](https://nam06.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww."
            "linkedin.com%2Fx%3Ftrk%3Dq&data=05%7C02)",
            "![](https://media-exp1.licdn.com/i.png)",
            "[http](http://linkedin.com/legal)",
            "Last updated: 2 years ago",
            "_Last updated 3 months ago_",
            "Dernière mise à jour : il y a 3 ans",
            "mis à jour il y a un an.",
            "पिछला अपडेट: 2 साल पहले",
            "[",
            "](",
            ")",
            "updated ",
            " ago",
            "\n\n\n",
            "    ",
            "- ",
            "1. ",
        ]
    ),
)
_MARKDOWNISH = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(_MARKDOWNISH, st.sampled_from([None, BASE, "https://www.linkedin.com/legal/x?_l=fr_FR"]))
@example("x [[](https://a.test/)](https://b.test/) y", BASE)
@example("updated 2 updated 3 years ago years ago", None)
@example("[a]updated 2 years ago(/x)", BASE)
def test_normalising_is_idempotent(text: str, base_url: str | None) -> None:
    once = norm(text, base_url=base_url)
    assert norm(once, base_url=base_url) == once


@settings(max_examples=300, deadline=None)
@given(_MARKDOWNISH)
def test_no_invisible_character_survives(text: str) -> None:
    out = norm(text)
    assert not set(out) & set(INVISIBLE_CHARS)
    assert "\u00a0" not in out and "\r" not in out and "\x00" not in out


@settings(max_examples=300, deadline=None)
@given(_MARKDOWNISH)
def test_output_shape(text: str) -> None:
    out = norm(text)
    assert out == "" or (out.endswith("\n") and not out.endswith("\n\n"))
    assert not out.startswith("\n")
    assert "\n\n\n" not in out
    assert not re.search(r"[ \t]$", out, re.MULTILINE)
    assert unicodedata.is_normalized("NFC", out)


_PLAIN = st.text(
    alphabet=st.sampled_from([*"abcdeéàç’'\"«»—.,;:!? \n\t", "\u00a0", "\u200b", "\ufeff"]),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(_PLAIN)
def test_plain_wording_is_never_changed(text: str) -> None:
    assume("updated" not in text.lower() and "jour" not in text.lower())
    assert norm(text).split() == clean_text(text).split()


# --------------------------------------------------------------------------- ignore_text
IGNORED = ("Key Terms", "ENTER A SUMMARY")


def test_interface_labels_alone_on_a_line_are_dropped():
    from tracker.extract.normalise import drop_ignored

    text = "Intro\n\nKey Terms\n\n    Key Terms\n    \nA **Key Terms** clause.\n\n## Key Terms\n"
    kept = "Intro\n\n\n    \nA **Key Terms** clause.\n\n## Key Terms\n"
    assert drop_ignored(text, IGNORED) == kept


def test_an_empty_table_carrying_a_placeholder_is_dropped():
    from tracker.extract.normalise import drop_ignored

    text = "Before\n|     |     |\n| --- | --- |ENTER A SUMMARY\n\nAfter\n"
    assert drop_ignored(text, IGNORED) == "Before\n\nAfter\n"
    table = "|     |     |\n| --- | --- |\n| a | b |\n"
    assert drop_ignored(table, IGNORED) == table, "a real table with an empty header stays"


def test_nothing_is_dropped_without_rules():
    from tracker.extract.normalise import drop_ignored

    assert drop_ignored("Key Terms\n", ()) == "Key Terms\n"
