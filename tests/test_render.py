"""Renderers of a change: escaped, self-contained, and saying what changed."""

from __future__ import annotations

from html.parser import HTMLParser

from tracker.models import (
    Change,
    ChangeKind,
    ClauseChange,
    DiffOp,
    Significance,
)
from tracker.render import summary_line
from tracker.render.html import render_change_page
from tracker.render.markdown import render_change_markdown
from tracker.render.text import render_change_text

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'

CHANGE = Change(
    document="linkedin/eu-regional-privacy-notice",
    from_version="2025-09-18T12-34-39Z",
    to_version="2025-11-04T00-35-00Z",
    significance=Significance.SUBSTANTIVE,
    clauses=(
        ClauseChange(
            kind=ChangeKind.MODIFIED,
            section=("Legal bases", "Legitimate interests"),
            old="Your profile data and posts.",
            new="Your profile data, posts and articles.",
            diff=(
                (DiffOp.EQUAL, "Your profile data"),
                (DiffOp.DELETE, " and posts."),
                (DiffOp.INSERT, ", posts and articles."),
            ),
            significance=Significance.SUBSTANTIVE,
            column="Personal data used",
            row="To train content-generating AI models",
            labels=("legitimate_interests", "ai_training"),
        ),
        ClauseChange(
            kind=ChangeKind.ADDED,
            section=("Legal bases", "Special Category Data"),
            old=None,
            new=HOSTILE,
            diff=(),
            significance=Significance.SUBSTANTIVE,
        ),
        ClauseChange(
            kind=ChangeKind.REMOVED,
            section=("Data Retention",),
            old="We keep data for 30 days.",
            new=None,
            diff=(),
            significance=Significance.SUBSTANTIVE,
        ),
        ClauseChange(
            kind=ChangeKind.MOVED,
            section=("Your Rights",),
            old_section=("Data Controller",),
            old="You can object.",
            new="You can object.",
            diff=(),
            significance=Significance.COSMETIC,
        ),
    ),
    labels=("ai_training",),
)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def test_html_page_is_self_contained_and_escaped():
    page = render_change_page(
        CHANGE, title="LinkedIn EU notice", source_url="https://x.test/?a=1&b=2"
    )
    doc = parsed(page)
    assert "script" not in doc.tags, "page text never becomes markup"
    assert "img" not in doc.tags
    assert not any(name.startswith("on") for name, _ in doc.attrs)
    assert not {"link", "iframe", "object"} & set(doc.tags)
    assert [name for name, _ in doc.attrs if name in {"src", "srcset"}] == [], "nothing is fetched"
    style = page[page.index("<style>") : page.index("</style>")]
    assert "@import" not in style
    assert "url(" not in style
    assert HOSTILE in "".join(doc.text), "the hostile text is shown as text, whole"
    assert 'href="https://x.test/?a=1&amp;b=2"' in page


def test_html_page_shows_summary_sections_and_marks():
    page = render_change_page(CHANGE, title="LinkedIn EU notice", source_url="https://x.test")
    text = "".join(parsed(page).text)
    assert "substantive" in text
    assert "1 modified" in text and "1 added" in text and "1 removed" in text and "1 moved" in text
    assert page.index("Legal bases \u203a Legitimate interests") < page.index("Data Retention")
    assert "Your profile data<del> and posts</del>" in page
    assert "<ins>, posts and articles</ins>." in page
    assert "column: Personal data used" in page
    assert "row: To train content-generating AI models" in page
    assert "moved from: Data Controller" in page
    assert "<code>ai_training</code>" in page
    assert "@media print" in page


def test_markdown_report_marks_deletions_and_insertions():
    report = render_change_markdown(CHANGE, title="LinkedIn EU notice", source_url="https://x.test")
    assert report.startswith("# LinkedIn EU notice: change of 2025-11-04T00-35-00Z\n")
    assert "## Legal bases \u203a Legitimate interests" in report
    assert "~~and posts.~~" in report
    assert "**, posts and articles.**" in report
    assert "column *Personal data used*" in report
    assert "\\<script\\>" in report, "page text cannot inject Markdown or HTML"
    assert report.endswith("\n") and not report.endswith("\n\n")


def test_terminal_text_with_and_without_colour():
    plain = render_change_text(CHANGE, title="EU", color=False)
    assert "Your profile data[- and posts-]{+, posts and articles+}." in plain
    assert "\x1b[" not in plain
    coloured = render_change_text(CHANGE, title="EU", color=True)
    assert "\x1b[31;9m and posts\x1b[0m" in coloured
    assert "\x1b[32;4m, posts and articles\x1b[0m" in coloured


def test_summary_line_counts_kinds_and_flip_backs():
    assert summary_line(CHANGE) == "substantive: 1 modified, 1 added, 1 removed, 1 moved"
    empty = Change("d", "a", "b", Significance.COSMETIC, (), flip_back_of="2025-01-01T00-00-00Z")
    assert summary_line(empty) == (
        "cosmetic: no clause changed (flip-back to the version of 2025-01-01T00-00-00Z)"
    )


def _one_clause(old: str, new: str) -> Change:
    from tracker.compare.worddiff import word_diff

    clause = ClauseChange(
        kind=ChangeKind.MODIFIED,
        section=("S",),
        old=old,
        new=new,
        diff=word_diff(old, new),
        significance=Significance.SUBSTANTIVE,
    )
    return Change("d", "a", "b", Significance.SUBSTANTIVE, (clause,))


def test_html_page_shows_the_text_a_reader_sees_not_markdown():
    page = render_change_page(
        _one_clause(
            "**Data:**<br><br>See [our policy](https://a.test/p) now",
            "**Data:**<br><br>See [our new policy](https://b.test/p) now",
        ),
        title="T",
        source_url="https://x.test",
    )
    assert "See our <ins>new </ins>policy now" in page
    assert "https://a.test/p" not in page, "link targets are not reading matter"
    assert "**" not in page
    assert "&lt;br&gt;" not in page


def test_html_page_shows_the_markdown_when_only_a_link_target_changed():
    page = render_change_page(
        _one_clause("See [our policy](https://a.test/p).", "See [our policy](https://b.test/p)."),
        title="T",
        source_url="https://x.test",
    )
    assert "<del>https://a.test/p</del>" in page
    assert "<ins>https://b.test/p</ins>" in page
