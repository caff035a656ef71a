"""The site's pure pieces: Markdown as escaped HTML, relative links, an empty archive."""

from __future__ import annotations

from pathlib import Path

from tracker.archive.store import Archive
from tracker.render import SECTION_SEPARATOR
from tracker.site.build import build_site
from tracker.site.collect import spells
from tracker.site.frame import relative
from tracker.site.search import _paragraphs
from tracker.site.text import markdown_html


def test_markdown_blocks_become_headings_lists_tables_and_paragraphs():
    html = markdown_html(
        "Title\n=====\n\n## Legal bases\n\n- one\n- two\n  continued\n\n"
        "| Purpose | Basis |\n| --- | --- |\n| Ads | Consent |\n\n> quoted\n\n"
        "A [link](https://x.test/) and **bold**.",
        top=2,
    )
    assert '<h2 id="s1">Title</h2>' in html
    assert '<h3 id="s2">Legal bases</h3>' in html
    assert "<ul><li>one</li><li>two<br>continued</li></ul>" in html
    assert "<tr><th>Purpose</th><th>Basis</th></tr><tr><td>Ads</td><td>Consent</td></tr>" in html
    assert "<blockquote><p>quoted</p></blockquote>" in html
    assert "<p>A link and bold.</p>" in html, "link targets and emphasis marks dropped"


def test_markdown_text_is_always_escaped():
    html = markdown_html('# <script>alert(1)</script>\n\n</a> {{ x }} <img src=x onerror="y">')
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;/a&gt; {{ x }} &lt;img src=x onerror=&quot;y&quot;&gt;" in html


def test_relative_links_are_relative_and_encoded():
    assert relative("index.html", "linkedin/a/index.html") == "linkedin/a/index.html"
    assert relative("fr/linkedin/a/index.html", "linkedin/a/changes/x.html") == (
        "../../../linkedin/a/changes/x.html"
    )
    assert relative("linkedin/a/versions/x.html", "index.html") == "../../../index.html"
    assert relative("index.html", "odd doc/#1/index.html") == "odd%20doc/%231/index.html"


def test_inaccessible_checks_group_into_spells():
    checks = [
        ("2025-01-01T00:00:00Z", False, ""),
        ("2025-01-02T00:00:00Z", True, "http-999"),
        ("2025-01-03T00:00:00Z", True, "auth-wall"),
        ("2025-01-04T00:00:00Z", False, ""),
        ("2025-01-05T00:00:00Z", True, "http-999"),
    ]
    found = spells(checks)
    assert [(s.start[:10], s.end[:10], s.checks, s.causes) for s in found] == [
        ("2025-01-02", "2025-01-03", 2, ("http-999", "auth-wall")),
        ("2025-01-05", "2025-01-05", 1, ("http-999",)),
    ]


def test_search_paragraphs_carry_their_section():
    text = "# Policy\n\nIntro.\n\n## Legal bases\n\nWe rely on **consent**.\n"
    inside = f"Policy{SECTION_SEPARATOR}Legal bases"
    assert _paragraphs(text) == [
        ("Policy", "Policy"),
        ("Policy", "Intro."),
        (inside, "Legal bases"),
        (inside, "We rely on consent."),
    ]


def test_an_empty_archive_builds_a_site_that_says_so(tmp_path: Path):
    report = build_site(Archive(tmp_path / "archive"), tmp_path / "site")
    assert "index.html" in report.written and "search.html" in report.written
    assert "<tbody></tbody>" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
