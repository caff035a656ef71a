"""The change page's layout and reading aids (issue 14): excerpts in "What matters first",
each label once, no sideways overflow, printable with page numbers, a footer with capture times
and hashes. The structure is checked here; ``test_render_browser.py`` measures it in Chromium
when installed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tracker.models import Change, ChangeKind, ClauseChange, Rank, Significance
from tracker.render.html import VersionFacts, excerpt, render_change_page

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'
LONG = "We may " + "process " * 60 + "your data."

REMOVED = ClauseChange(
    kind=ChangeKind.REMOVED,
    section=("Legal bases", "Consent"),
    old="We ask for your **consent** before using your [location](https://x.test/l).",
    new=None,
    diff=(),
    significance=Significance.SUBSTANTIVE,
    # a removed clause carries the labels of its old text, and loses them
    labels=("consent",),
    lost=("consent",),
    rank=Rank.LEGAL_BASIS,
)
ADDED = ClauseChange(
    kind=ChangeKind.ADDED,
    section=("Legal bases", "Legitimate interests"),
    old=None,
    new=HOSTILE,
    diff=(),
    significance=Significance.SUBSTANTIVE,
    labels=("legitimate_interests", "ai_training"),
    gained=("legitimate_interests",),
    rank=Rank.LEGAL_BASIS,
)
MODIFIED = ClauseChange(
    kind=ChangeKind.MODIFIED,
    section=("Data",),
    old="x",
    new=LONG,
    diff=(),
    significance=Significance.SUBSTANTIVE,
    labels=("location",),
    gained=("location",),
    rank=Rank.DATA_CATEGORY,
)
UNBROKEN = "https://www.linkedin.com/legal/" + "x" * 300
WIDE = ClauseChange(
    kind=ChangeKind.ADDED,
    section=(UNBROKEN,),
    old=None,
    new=f"See {UNBROKEN} and `{'y' * 200}`.",
    diff=(),
    significance=Significance.SUBSTANTIVE,
)
CHANGE = Change(
    document="linkedin/eu-regional-privacy-notice",
    from_version="2025-09-18T12-34-39Z",
    to_version="2025-11-04T00-35-00Z",
    significance=Significance.SUBSTANTIVE,
    clauses=(REMOVED, ADDED, MODIFIED, WIDE),
    labels=("consent", "legitimate_interests", "ai_training", "location"),
)
VERSIONS = (
    VersionFacts("2025-09-18T12-34-39Z", "2025-09-18T12:34:39Z", "a" * 64, "b" * 64),
    VersionFacts("2025-11-04T00-35-00Z", "2025-11-04T00:35:00Z", "c" * 64, None),
)


def page(**kwargs) -> str:
    return render_change_page(
        CHANGE, title="LinkedIn EU notice", source_url="https://x.test/", **kwargs
    )


class _Tree(HTMLParser):
    """Elements with their classes and ancestors, and the text inside each ``li``."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.elements: list[tuple[str, str, tuple[tuple[str, str], ...]]] = []
        self.items: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        self.elements.append((tag, classes, tuple(self.stack)))
        if tag == "li":
            self.items.append("")
        self.stack.append((tag, classes))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if any(tag == "li" for tag, _ in self.stack):
            self.items[-1] += data


def tree(html: str) -> _Tree:
    parsed = _Tree()
    parsed.feed(html)
    return parsed


def matters(html: str) -> str:
    return html[html.index('<ol class="matters">') : html.index("</ol>")]


def test_what_matters_first_shows_an_escaped_excerpt_of_each_clause():
    html = page()
    listed = matters(html)
    assert listed.count('<span class="excerpt">') == 3, "the three ranked clauses"
    assert (
        '<span class="excerpt">We ask for your consent before using your location.</span>' in listed
    ), "as a reader sees it: no Markdown marks, no link targets"
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in (
        listed
    )
    assert "<script" not in html and "<b>" not in html
    items = [item for item in tree(html).items if "legal basis changed" in item]
    assert len(items) == 2 and items[0] != items[1], "two entries of one rank now differ"


def test_excerpt_is_cut_at_a_word_with_an_ellipsis():
    short = excerpt(MODIFIED)
    assert short.endswith("\u2026") and len(short) <= 161
    assert short.startswith("We may process process")
    assert not short[:-1].endswith(" ")
    assert excerpt(REMOVED) == "We ask for your consent before using your location."


def test_each_label_is_shown_once_per_entry():
    html = page()
    removed = html[html.index('id="c0"') : html.index('id="c1"')]
    assert removed.count(">-consent<") == 1, "not `-consent -consent`"
    assert matters(html).count(">-consent<") == 1
    evidence = removed[removed.index('class="evidence"') :]
    assert evidence.count("<code>consent</code>") == 1


def test_no_sideways_overflow_by_construction():
    html = page(versions=VERSIONS)
    style = html[html.index("<style>") : html.index("</style>")]
    assert re.search(r"body \{[^}]*overflow-wrap: anywhere", style)
    assert re.search(r"pre, code \{[^}]*max-width: 100%[^}]*overflow-wrap: anywhere", style)
    assert re.search(r"\.scroll \{[^}]*overflow-x: auto", style)
    assert "grid-template-columns: minmax(0, 1fr) minmax(0, 1fr)" in style, "columns may shrink"
    assert re.search(
        r"@media \(max-width: 40rem\) \{[^@]*grid-template-columns: minmax\(0, 1fr\);", style
    )
    parsed = tree(html)
    tables = [ancestors for tag, _, ancestors in parsed.elements if tag == "table"]
    assert tables, "the footer's versions table"
    for ancestors in tables:
        assert ("div", "scroll") in ancestors, "every table scrolls inside its own box"
    assert not re.search(r"(min-)?width: *\d{3,}px", style), "no fixed width wider than a phone"
    assert "white-space: nowrap" not in style


def test_printable_with_page_numbers():
    style = page()[: page().index("</style>")]
    assert re.search(r"@page \{[^}]*@bottom-right \{[^}]*counter\(page\)", style, re.DOTALL)
    assert "counter(pages)" in style
    assert "@media print" in style
    assert "print-color-adjust: exact" in style


def test_footer_names_capture_times_and_hashes():
    html = page(versions=VERSIONS)
    footer = html[html.index("<footer>") : html.index("</footer>")]
    assert "<th>Captured (UTC)</th>" in footer
    for facts in VERSIONS:
        assert f"<code>versions/{facts.stamp}.md</code>" in footer
        assert f"<td>{facts.captured_at}</td>" in footer
        assert f"<code>{facts.text_sha256}</code>" in footer
    assert f"<code>{'b' * 64}</code>" in footer
    assert "<td>\u2014</td>" in footer, "no snapshot hash: a dash"
    plain = page()
    bare = plain[plain.index("<footer>") : plain.index("</footer>")]
    assert "<table" not in bare and "versions/2025-11-04T00-35-00Z.md" in bare
