"""The lxml fast path of extraction gives exactly what the BeautifulSoup path gives."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracker.extract as extract_module
from tests.corpus import CORPUS, MANIFEST
from tests.goldens import case_folders, load_case, load_rule_set
from tracker.errors import ExtractError
from tracker.extract import extract
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
