"""The built site in a real headless Chromium, opened from ``file://`` as a reader would.

Links resolve as the browser reads them, nothing overflows sideways at 360 and 1,280 px, the
timeline filters work without JavaScript, page text and raw snapshots stay text, the search
finds a phrase across versions (in the fixture always, in the real EU notice history when
``../shared/corpus`` is there), and axe-core finds no serious or critical accessibility
violation. Skipped with a reason when Chromium, or for the accessibility checks axe-core
(``make install`` puts it in ``node_modules/`` with ``npm ci``), is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.corpus import CORPUS, MANIFEST
from tests.site_fixture import BLOCKED, EU, POLICY, eu_document, make_archive
from tests.test_render_browser import CHROMIUM, chromium
from tracker.archive.store import Archive
from tracker.site.build import build_site

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")

ROOT = Path(__file__).resolve().parents[1]
AXE = Path(os.environ.get("AXE_CORE_JS") or ROOT / "node_modules" / "axe-core" / "axe.min.js")
needs_axe = pytest.mark.skipif(
    not AXE.is_file(),
    reason=f"axe-core not found at {AXE} (`make install` runs `npm ci`; or set AXE_CORE_JS)",
)
V1, V2, V3 = "2025-06-10T00-32-38Z", "2025-09-18T12-34-39Z", "2025-11-04T00-35-00Z"

#: Measures the page once it is loaded (a file of the site: the pages' CSP allows no inline
#: script) and writes the figures into the DOM that --dump-dom prints.
_PROBE = """
window.addEventListener("load", function () {
  var root = document.documentElement, body = document.body;
  body.setAttribute("data-overflow", String(root.scrollWidth - root.clientWidth));
  var shown = 0;
  document.querySelectorAll("ol.timeline > li").forEach(function (li) {
    if (getComputedStyle(li).display !== "none") { shown += 1; }
  });
  body.setAttribute("data-shown", String(shown));
  var links = [];
  document.querySelectorAll("a[href], link[href], script[src]").forEach(function (el) {
    links.push(el.href || el.src);
  });
  body.setAttribute("data-links", JSON.stringify(links));
  body.setAttribute("data-title", document.title);
});
"""
_AXE_RUN = """
window.addEventListener("load", function () {
  axe.run(document).then(function (result) {
    document.body.setAttribute("data-axe", JSON.stringify(result.violations.map(function (v) {
      return {id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(function (n) {
        return n.target.join(" "); })};
    })));
  }, function (error) { document.body.setAttribute("data-axe", "error: " + error); });
});
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("site")
    archive = make_archive(tmp)
    out = tmp / "site"
    build_site(archive, out, extra_files={"feeds/all.atom": b"<feed/>"})
    (out / "__probe.js").write_text(_PROBE, encoding="utf-8")
    if AXE.is_file():
        shutil.copy(AXE, out / "__axe.js")
        (out / "__axe-run.js").write_text(_AXE_RUN, encoding="utf-8")
    return out


def probed(site: Path, page: str, *scripts: str) -> Path:
    """A copy of ``page`` beside it (same relative links) that loads ``scripts`` of the site."""
    path = site / page
    copy = path.with_name(f"{path.stem}.probe-{'-'.join(s.strip('_.js') for s in scripts)}.html")
    up = "../" * page.count("/")
    tags = "".join(f'<script src="{up}{script}"></script>' for script in scripts)
    copy.write_text(
        path.read_text(encoding="utf-8").replace("</body>", f"{tags}</body>"), encoding="utf-8"
    )
    return copy


def dom(
    tmp_path: Path, path: Path, *, width: int = 1280, query: str = "", fragment: str = ""
) -> str:
    url = path.as_uri() + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    return chromium(
        tmp_path, f"--window-size={width},900", "--virtual-time-budget=10000", "--dump-dom", url
    ).stdout


def attribute(text: str, name: str) -> str:
    found = re.search(rf'data-{name}="([^"]*)"', text)
    assert found is not None, f"the probe wrote data-{name}"
    return found.group(1).replace("&quot;", '"').replace("&amp;", "&")


PAGES = [
    "index.html",
    "changes.html",
    "fr/index.html",
    f"{EU}/index.html",
    f"{EU}/versions/{V3}.html",
    f"fr/{POLICY}/index.html",
    f"fr/{BLOCKED}/index.html",
    f"{EU}/compare/{V1}--{V3}.html",
    f"{EU}/changes/{V2}.html",
]


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("page", PAGES)
def test_pages_never_overflow_and_their_links_resolve(
    site: Path, tmp_path: Path, page: str, width: int
):
    text = dom(tmp_path, probed(site, page, "__probe.js"), width=width)
    assert int(attribute(text, "overflow")) <= 0, f"{page} is wider than {width} px"
    for link in json.loads(attribute(text, "links")):
        parts = urlsplit(link)
        if parts.scheme in ("http", "https"):
            continue
        assert parts.scheme == "file", link
        target = Path(unquote(parts.path))
        assert target.is_file(), f"{page}: {link}"
        assert site.resolve() in target.resolve().parents, f"{page}: {link} leaves the site"


def test_search_page_does_not_overflow_with_results(site: Path, tmp_path: Path):
    for width in (360, 1280):
        page = probed(site, "search.html", "__probe.js")
        text = dom(tmp_path, page, width=width, query="q=legitimate+interest")
        assert int(attribute(text, "overflow")) <= 0
        assert "documents hold it" in text


def test_timeline_filters_without_javascript(site: Path, tmp_path: Path):
    page = probed(site, f"{EU}/index.html", "__probe.js")
    assert attribute(dom(tmp_path, page), "shown") == "3"
    # V2 (legitimate interests added) and V3 (a new section) are substantive; V1 is the first
    assert attribute(dom(tmp_path, page, fragment="only-substantive"), "shown") == "2"
    assert attribute(dom(tmp_path, page, fragment="only-l-legitimate_interests"), "shown") == "1"
    assert attribute(dom(tmp_path, page, fragment="timeline"), "shown") == "3"


def test_all_changes_filter_by_label_without_javascript(site: Path, tmp_path: Path):
    source = (site / "changes.html").read_text(encoding="utf-8")
    touching = len(re.findall(r'<li class="[^"]*\bl-legitimate_interests\b', source))
    everything = source.count("<li class=")
    assert 0 < touching < everything
    page = probed(site, "changes.html", "__probe.js")
    assert attribute(dom(tmp_path, page), "shown") == str(everything)
    shown = attribute(dom(tmp_path, page, fragment="only-l-legitimate_interests"), "shown")
    assert shown == str(touching)


def test_page_text_stays_text_in_the_browser(site: Path, tmp_path: Path):
    text = dom(tmp_path, probed(site, f"{EU}/versions/{V3}.html", "__probe.js"))
    assert '&lt;script&gt;alert("owned")&lt;/script&gt;' in text
    assert "{{ config.secret }}" in text
    assert "<script>alert" not in text


def test_raw_snapshot_is_shown_as_text_never_run(site: Path, tmp_path: Path):
    raw = site / POLICY / "raw" / "2025-01-01T06-00-00Z.html.txt"
    text = dom(tmp_path, raw)
    assert "&lt;script&gt;document.title='owned by the snapshot'&lt;/script&gt;" in text
    assert "<title>owned" not in text and "<script>document.title" not in text


def test_search_finds_a_phrase_in_every_version_holding_it(site: Path, tmp_path: Path):
    text = dom(tmp_path, site / "search.html", query="q=Legitimate%20Interests")
    assert "2 documents hold it." in text
    # the policy's fixture page added it in its second version
    assert "in 1 of 2 versions; first 2025-03-01 06:00, last 2025-03-01 06:00" in text
    assert "in 2 of 3 versions; first 2025-09-18 12:34, last 2025-11-04 00:35" in text
    assert f'href="{EU}/versions/{V3}.html"' in text
    assert "<mark>legitimate interests</mark>" in text
    french = dom(tmp_path, site / "fr" / "search.html", query="q=l%C3%A9gitimate+interests")
    assert "dans 2 versions sur 3" in french, "accents and case folded"
    assert f'href="{EU}/versions/{V3}.html"' in french


def test_search_results_keep_hostile_text_as_text(site: Path, tmp_path: Path):
    text = dom(tmp_path, site / "search.html", query="q=%3Cscript%3Ealert")
    assert "<mark>&lt;script&gt;alert</mark>" in text
    assert "<script>alert" not in text


def test_search_page_without_javascript_says_how_to_search(site: Path):
    page = (site / "search.html").read_text(encoding="utf-8")
    assert "<noscript><p>The search needs JavaScript" in page


@needs_axe
@pytest.mark.parametrize(
    "page",
    [*PAGES, "search.html", "fr/search.html", f"fr/{EU}/versions/{V1}.html"],
)
def test_no_serious_or_critical_accessibility_violation(site: Path, tmp_path: Path, page: str):
    text = dom(tmp_path, probed(site, page, "__axe.js", "__axe-run.js"), query="q=consent")
    result = attribute(text, "axe")
    assert not result.startswith("error"), result
    bad = [v for v in json.loads(result) if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{page}: {bad}"


@pytest.mark.corpus
@pytest.mark.skipif(not MANIFEST.is_file(), reason=f"corpus not found at {CORPUS}")
def test_search_finds_legitimate_interest_in_the_real_eu_notice(tmp_path: Path):
    from tests.site_fixture import TAXONOMY
    from tracker.backfill import backfill

    archive = Archive(tmp_path / "archive")
    series = CORPUS / "linkedin" / "eu-regional-privacy-notice" / "markdown" / "en_pga"
    backfill(eu_document(), archive, series, TAXONOMY)
    site = tmp_path / "site"
    build_site(archive, site)
    text = dom(tmp_path, site / "search.html", query="q=legitimate+interest")
    assert "1 documents hold it." in text
    assert "in 5 of 5 versions; first 2025-06-10 00:32, last 2026-08-22 00:48" in text
    assert "(still the latest version)" in text
    # the real text (long headings, tables, URLs) fits a phone's width
    (site / "__probe.js").write_text(_PROBE, encoding="utf-8")
    page = probed(site, f"{EU}/versions/2025-11-04T00-35-00Z.html", "__probe.js")
    assert int(attribute(dom(tmp_path, page, width=360), "overflow")) <= 0
