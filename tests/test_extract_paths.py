"""The lxml fast path of extraction gives exactly what the BeautifulSoup path gives."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracker.extract.extractor as extract_module
from tests.corpus import CORPUS, MANIFEST
from tests.goldens import case_folders, load_case, load_rule_set
from tracker.errors import ExtractError
from tracker.extract.extractor import decode_html, extract
from tracker.extract.markdown_lxml import convert_lxml_elements
from tracker.extract.markdown_writer import parse_html
from tracker.models import ExtractRules


def both_paths(
    body: bytes, rules: ExtractRules, url: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    fast = extract(body, rules, url=url)
    with monkeypatch.context() as patch:
        patch.setattr(extract_module, "_preselect", lambda html, rules: None)
        slow = extract(body, rules, url=url)
    return fast, slow


@pytest.mark.parametrize("folder", case_folders("extract"), ids=lambda p: p.name)
def test_fast_and_full_paths_agree_on_golden_pages(folder: Path, monkeypatch: pytest.MonkeyPatch):
    case = load_case(folder)
    try:
        fast, slow = both_paths(case.body, case.rules, case.url, monkeypatch)
    except ExtractError:
        pytest.skip("an error case: covered by the extraction tests")
    assert fast == slow


def _corpus_pages() -> list[Path]:
    if not MANIFEST.is_file():
        return []
    return sorted((CORPUS / "linkedin").glob("*/html/*/*.html"))


@pytest.mark.corpus
@pytest.mark.skipif(not MANIFEST.is_file(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("page", _corpus_pages(), ids=lambda p: "/".join(p.parts[-4:]))
def test_fast_and_full_paths_agree_on_every_real_page(page: Path, monkeypatch: pytest.MonkeyPatch):
    name = page.parts[-4]
    rules = load_rule_set("linkedin-help" if name.startswith("help-center") else "linkedin-legal")
    fast, slow = both_paths(
        page.read_bytes(), rules, "https://www.linkedin.com/legal/x", monkeypatch
    )
    assert fast == slow


def test_selectors_cssselect_cannot_translate_take_the_full_path():
    rules = ExtractRules(select=('main:-soup-contains("Title")',), min_text_chars=0)
    html = "<html><body><main><h1>Title</h1><p>Text</p></main></body></html>"
    assert extract_module._preselect(html, rules) is None
    assert "Text" in extract(html.encode(), rules, url="https://x.test/")


def test_context_bound_elements_take_the_full_path():
    rules = ExtractRules(select=("tr",), min_text_chars=0)
    html = "<html><body><table><tr><td>A</td></tr></table></body></html>"
    assert extract_module._preselect(html, rules) is None


def both_converters(body: bytes, rules: ExtractRules, url: str) -> tuple[tuple[str, int], ...]:
    """The raw Markdown and text length of the lxml converter and of the BeautifulSoup one."""
    html = extract_module._EMPTY_P_RUN.sub("<p></p>", decode_html(body))
    roots = extract_module._preselect(html, rules)
    if not roots:
        pytest.skip("not a page for the fast path")
    lxml_result = convert_lxml_elements(roots, url)
    soup = parse_html(html)
    try:
        soup_result = extract_module._extract_from(soup, rules, url)
    finally:
        soup.decompose()
    return lxml_result, soup_result


@pytest.mark.parametrize("folder", case_folders("extract"), ids=lambda p: p.name)
def test_both_converters_agree_on_golden_pages(folder: Path):
    case = load_case(folder)
    try:
        lxml_result, soup_result = both_converters(case.body, case.rules, case.url)
    except ExtractError:
        pytest.skip("an error case: covered by the extraction tests")
    assert lxml_result == soup_result


@pytest.mark.corpus
@pytest.mark.skipif(not MANIFEST.is_file(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("page", _corpus_pages(), ids=lambda p: "/".join(p.parts[-4:]))
def test_both_converters_agree_on_every_real_page(page: Path):
    name = page.parts[-4]
    rules = load_rule_set("linkedin-help" if name.startswith("help-center") else "linkedin-legal")
    lxml_result, soup_result = both_converters(
        page.read_bytes(), rules, "https://www.linkedin.com/legal/x"
    )
    assert lxml_result == soup_result


TRICKY = {
    "comments": "<p>a<!-- c --><b>x</b><!-- c --><b>y</b>z<?pi x?>w</p>",
    "ruby": "<p><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby> text</p>",
    "scripts": "<p>a<script>var x = 1;</script><style>p{}</style>b<template>t</template></p>",
    "code": "<p><code>a <span>b<script>s</script><svg><text>t</text></svg></span></code></p>",
    "pre": "<pre>\n  one\n\n    <b>two</b> <svg>x</svg>\n   \n</pre><pre>   </pre>",
    "hidden": "<div hidden>kept</div><div hidden><svg>x</svg> </div><p aria-hidden='TRUE'>s</p>",
    "links": "<p><a href='/a'>one</a><a href='/a'> two</a><a href='javascript:x'>j</a></p>",
    "lists": "<ol start='3'>x<li>a<ul><li>b</li></ul></li><!--c--><li hidden></li><li>c</li></ol>",
    "table": "<table><caption>Cap</caption><tr><th>a<th colspan=2>b<tr><td>c|d<td>e</table>",
    "blocks": "<span>in <div>block</div> line</span><blockquote><p>q</p></blockquote><hr>",
    "headings": "<h2>Title <em>x</em></h2><h3></h3><table><tr><td><h4>h</h4><hr></table>",
    "spaces": "<p> a \t\n b&nbsp;c\u200b</p>\n\n<p>\n</p>x<br><br>y<br>z",
}


@pytest.mark.parametrize("name", TRICKY)
def test_both_converters_agree_on_tricky_markup(name: str, monkeypatch: pytest.MonkeyPatch):
    rules = ExtractRules(select=("main", "aside"), remove=("nav",), min_text_chars=0)
    html = f"<html><body><nav>n</nav><main>{TRICKY[name]}</main><aside>s</aside></body></html>"
    lxml_result, soup_result = both_converters(html.encode(), rules, "https://x.test/d")
    assert lxml_result == soup_result
    fast, slow = both_paths(html.encode(), rules, "https://x.test/d", monkeypatch)
    assert fast == slow
