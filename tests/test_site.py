"""``tracker site``: the pages, the URL scheme, escaping, raw snapshots as text, incremental
builds (bytes compared, stale files removed), feeds linked, and every link resolving.

The archive is imported from our own pages (:mod:`tests.site_fixture`); the browser checks are
in ``test_site_browser.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.site_fixture import (
    BLOCKED,
    EU,
    POLICY,
    RAW_SCRIPT,
    add_eu_version,
    make_archive,
)
from tests.site_links import broken_links
from tests.test_cli import make_cli
from tracker.archive.store import Archive
from tracker.errors import ConfigError
from tracker.site.build import MANIFEST, build_site
from tracker.site.words import _WORDS

V1, V2, V3 = "2025-06-10T00-32-38Z", "2025-09-18T12-34-39Z", "2025-11-04T00-35-00Z"


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return make_archive(tmp_path)


def read(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def test_site_has_the_pages_at_the_promised_paths(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    report = build_site(archive, site)
    expected = [
        "index.html",
        "fr/index.html",
        "search.html",
        "fr/search.html",
        "changes.html",
        "fr/changes.html",
        "assets/site.css",
        "assets/search.js",
        "assets/search-index.js",
        f"{EU}/index.html",
        f"fr/{EU}/index.html",
        f"{EU}/versions/{V1}.html",
        f"fr/{EU}/versions/{V1}.html",
        f"{EU}/versions/{V1}.md",
        f"{EU}/changes/{V2}.html",
        f"{EU}/changes/{V3}.html",
        f"{EU}/compare/{V1}--{V3}.html",
        f"{EU}/raw/{V1}.md.txt",
        f"{EU}/raw/{V1}.json",
        f"{POLICY}/raw/2025-01-01T06-00-00Z.html.txt",
    ]
    for path in expected:
        assert path in report.written, path
    # the pair before the latest is the latest's change page, not a second compare page
    assert f"{EU}/compare/{V2}--{V3}.html" not in report.written
    assert not [p for p in report.written if p.endswith(".html") and "/raw/" in p]
    assert report.unchanged == 0 and report.removed == ()
    assert json.loads(read(site, MANIFEST))["files"] == sorted(report.written)


def test_change_pages_are_the_archived_pages_byte_for_byte(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    build_site(archive, site)
    archived = archive.folder(EU) / "changes" / f"{V2}.html"
    assert (site / EU / "changes" / f"{V2}.html").read_bytes() == archived.read_bytes()


def test_home_lists_every_document_with_its_latest_change(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    build_site(archive, site)
    home = read(site, "index.html")
    assert "LinkedIn European Regional Privacy Notice" in home
    assert "LinkedIn Privacy Policy" in home
    assert f'href="{EU}/changes/{V3}.html"' in home
    assert '<html lang="en">' in home
    french = read(site, "fr/index.html")
    assert '<html lang="fr">' in french and "Tous les documents" in french
    assert f'href="../{EU}/changes/{V3}.html"' in french, "change pages are shared"
    assert f'href="{EU}/index.html"' in french


def test_document_timeline_has_versions_changes_spells_and_filters(
    archive: Archive, tmp_path: Path
):
    site = tmp_path / "site"
    build_site(archive, site)
    page = read(site, f"{EU}/index.html")
    assert page.count('<li class="version') == 3
    assert 'class="version substantive' in page
    assert 'id="only-substantive"' in page and 'href="#only-substantive"' in page
    assert 'id="only-l-legitimate_interests"' in page
    assert "body:has(#only-l-legitimate_interests:target)" in page
    assert "li:not(.l-legitimate_interests)" in page
    policy = read(site, f"{POLICY}/index.html")
    assert 'class="inaccessible"' in policy
    assert "(2 checks: auth-wall)" in policy


def test_a_document_never_captured_is_listed_with_its_inaccessible_checks(
    archive: Archive, tmp_path: Path
):
    site = tmp_path / "site"
    build_site(archive, site)
    home = read(site, "index.html")
    assert f'href="{BLOCKED}/index.html"' in home
    assert "no version captured yet: inaccessible (2 checks: auth-wall)" in home
    page = read(site, f"{BLOCKED}/index.html")
    assert 'class="inaccessible"' in page and "Compare versions" not in page
    assert not (site / BLOCKED / "versions").exists()


def test_all_changes_page_lists_every_change_newest_first(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    build_site(archive, site)
    page = read(site, "changes.html")
    stamps = re.findall(r'<span class="when">([^<]+)</span>', page)
    assert stamps == ["2025-11-04 00:35 UTC", "2025-09-18 12:34 UTC", "2025-03-01 06:00 UTC"]
    assert f'href="{EU}/changes/{V2}.html"' in page and f'href="{POLICY}/index.html"' in page
    assert "body:has(#only-l-legitimate_interests:target)" in page
    assert 'href="#only-g-legal_basis"' in page and "li:not(.g-legal_basis)" in page
    entries = re.findall(r'<li class="([^"]*)"', page)
    assert any("g-legal_basis" in e.split() for e in entries)
    assert ["g-legal_basis" in e.split() for e in entries] == [
        "l-legitimate_interests" in e.split() or "l-consent" in e.split() for e in entries
    ]
    assert 'href="changes.html"' in read(site, "index.html"), "in every page's header"
    assert "Toutes les modifications" in read(site, "fr/changes.html")


def test_version_page_shows_text_and_evidence(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    build_site(archive, site)
    version = archive.read_version(EU, V2)
    page = read(site, f"{EU}/versions/{V2}.html")
    assert "legitimate interests to train content-generating AI models" in page
    assert version.text_sha256 in page
    assert str(version.meta["raw_sha256"]) in page
    entry = next(e for e in archive.entries(EU) if e.ref == f"versions/{V2}.md")
    assert entry.hash in page, "the version's hash-chain entry"
    assert 'href="../../../index.html#chain"' in page, "the archive's chain head"
    assert archive.head() in read(site, "index.html")
    assert archive.head() not in page, "it changes with every record: on the home page only"
    assert f'href="../raw/{V2}.md.txt"' in page
    assert f"until {V3[:10]}" in page
    assert f'href="../changes/{V2}.html"' in page
    assert f'href="../compare/{V2}--{V3}.html"' not in page
    first = read(site, f"{EU}/versions/{V1}.html")
    assert f'href="../compare/{V1}--{V3}.html"' in first


def test_page_text_stays_text(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    build_site(archive, site)
    for path in (f"{EU}/versions/{V3}.html", f"fr/{EU}/versions/{V3}.html"):
        page = read(site, path)
        assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in page
        assert "&lt;/a&gt;" in page and "{{ config.secret }}" in page
        assert "<script>alert" not in page
    for page in site.rglob("*.html"):
        if "/raw/" not in page.as_posix():
            assert "<script>alert" not in page.read_text(encoding="utf-8"), page


def test_raw_snapshots_are_copied_as_plain_text_with_their_hash(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    build_site(archive, site)
    stamp = "2025-01-01T06-00-00Z"
    copy = site / POLICY / "raw" / f"{stamp}.html.txt"
    assert RAW_SCRIPT in copy.read_bytes(), "the bytes as received"
    version = archive.read_version(POLICY, stamp)
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == version.meta["raw_sha256"]
    assert not list(site.rglob("raw/*.html")), "a raw snapshot is never served as a page"


def test_every_internal_link_resolves(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    build_site(archive, site, extra_files={"feeds/all.atom": b"<feed/>"})
    assert broken_links(site) == []


def test_rebuild_rewrites_nothing_when_nothing_changed(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    first = build_site(archive, site)
    again = build_site(archive, site)
    assert again.written == () and again.removed == ()
    assert again.unchanged == len(first.written)


def test_one_new_version_rewrites_only_the_pages_it_changes(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    build_site(archive, site)
    policy_files = {p: p.stat().st_mtime_ns for p in (site / POLICY).rglob("*")}
    new = add_eu_version(tmp_path, archive)
    report = build_site(archive, site)
    written = set(report.written)
    assert {
        f"{EU}/versions/{new}.html",
        f"{EU}/changes/{new}.html",
        f"{EU}/index.html",
        f"{EU}/versions/{V3}.html",  # its "until" and "next" now name the new version
        "index.html",
        "assets/search-index.js",
        f"{EU}/compare/{V1}--{new}.html",
    } <= written
    others = (POLICY, f"fr/{POLICY}", BLOCKED, f"fr/{BLOCKED}")
    assert not [p for p in written if p.startswith(others)]
    assert {p: p.stat().st_mtime_ns for p in (site / POLICY).rglob("*")} == policy_files
    assert f"{EU}/changes/{V2}.html" not in written
    assert "search.html" not in written and "assets/site.css" not in written
    assert "changes.html" in written
    # the comparisons with the old latest are gone
    assert set(report.removed) == {f"{EU}/compare/{V1}--{V3}.html"}
    assert not (site / EU / "compare" / f"{V1}--{V3}.html").exists()
    assert report.unchanged > len(written)


def test_files_not_written_by_a_build_are_left_alone(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "CNAME").write_text("tracker.example.org\n")
    build_site(archive, site, extra_files={"feeds/old.atom": b"<feed/>"})
    report = build_site(archive, site)
    assert report.removed == ("feeds/old.atom",)
    assert not (site / "feeds").exists(), "emptied folders go too"
    assert (site / "CNAME").read_text() == "tracker.example.org\n"


def test_feeds_are_written_and_linked_when_given(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    feeds = {
        "feeds/all.atom": b"<feed>all</feed>",
        "feeds/substantive.atom": b"<feed>s</feed>",
        f"feeds/document/{EU}.atom": b"<feed>eu</feed>",
        "feeds/label/ai_training.atom": b"<feed>ai</feed>",
    }
    report = build_site(archive, site, extra_files=feeds)
    assert set(feeds) <= set(report.written)
    home = read(site, "index.html")
    assert '<link rel="alternate" type="application/atom+xml"' in home
    assert 'href="feeds/all.atom"' in home and 'href="feeds/label/ai_training.atom"' in home
    assert "feeds/platform/linkedin.atom" not in home, "only feeds that exist"
    page = read(site, f"{EU}/index.html")
    assert f'href="../../feeds/document/{EU}.atom"' in page
    assert "feeds/document" not in read(site, f"{POLICY}/index.html")
    again = build_site(archive, site, extra_files=feeds)
    assert again.written == ()


def test_bad_output_and_base_url_are_refused(archive: Archive, tmp_path: Path):
    with pytest.raises(ConfigError, match="inside the archive"):
        build_site(archive, archive.root / "site")
    with pytest.raises(ConfigError, match="base-url"):
        build_site(archive, tmp_path / "site", base_url="javascript:alert(1)")
    with pytest.raises(ValueError, match="not a site path"):
        build_site(archive, tmp_path / "site", extra_files={"../x.atom": b""})
    for clash in ("index.html", f"{EU}/index.html", "assets/site.css"):
        with pytest.raises(ConfigError, match="would replace a file of the site"):
            build_site(archive, tmp_path / "clash", extra_files={clash: b"x"})
        assert not (tmp_path / "clash").exists(), "refused before anything is written"


def test_base_url_gives_canonical_links_only(archive: Archive, tmp_path: Path):
    site = tmp_path / "site"
    build_site(archive, site, base_url="https://tracker.example.org/site")
    page = read(site, f"{EU}/index.html")
    assert f'<link rel="canonical" href="https://tracker.example.org/site/{EU}/index.html">' in page
    assert broken_links(site) == []


def test_every_interface_text_is_in_both_languages():
    for key, (english, french) in _WORDS.items():
        assert english.strip() and french.strip(), key
        assert english.count("{") == french.count("{"), key


def test_tracker_site_command(tmp_path: Path):
    cli = make_cli(tmp_path / "cli")
    cli.document(EU, "https://www.linkedin.com/legal/privacy/eu")
    make_archive(tmp_path / "data")
    (tmp_path / "data" / "archive").rename(cli.archive)
    done = cli("site", str(tmp_path / "out"))
    assert "files written, 0 unchanged, 0 removed" in done.stdout
    assert (tmp_path / "out" / "index.html").is_file()
    again = cli("site", str(tmp_path / "out"))
    assert " 0 files written" in again.stdout
    cli("site", str(tmp_path / "out"), "--base-url", "ftp://x", code=2)


def test_compare_page_compares_with_the_latest_and_is_kept_until_its_texts_change(
    archive: Archive, tmp_path: Path
):
    site = tmp_path / "site"
    build_site(archive, site)
    path = site / EU / "compare" / f"{V1}--{V3}.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>\n<!-- tracker-site compare ")
    assert f"{V1} compared with {V3}" in page
    assert "<ins>" in page, "the clauses V2 added"
    # kept without comparing again while its marker names the same texts and code...
    path.write_text(page.replace("compared with", "COMPARED WITH"), encoding="utf-8")
    assert f"{EU}/compare/{V1}--{V3}.html" not in build_site(archive, site).written
    # ...and rendered again when it does not
    lines = page.split("\n")
    path.write_text("\n".join([lines[0], "<!-- other -->", *lines[2:]]), encoding="utf-8")
    assert f"{EU}/compare/{V1}--{V3}.html" in build_site(archive, site).written
    assert path.read_text(encoding="utf-8") == page


def test_a_tampered_change_record_cannot_inject_markup(archive: Archive, tmp_path: Path):
    record = archive.folder(EU) / "changes" / f"{V2}.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    data["significance"] = '"><script>alert(1)</script>'
    data["labels"] = ['x"><img src=x onerror=alert(1)>']
    record.chmod(0o644)
    record.write_text(json.dumps(data), encoding="utf-8")
    site = tmp_path / "site"
    build_site(archive, site)
    for path in ("index.html", "changes.html", f"{EU}/index.html"):
        page = read(site, path)
        assert "<script>alert(1)" not in page and "<img src=x" not in page, path


def test_every_feed_entry_links_a_page_of_the_built_site(archive: Archive, tmp_path: Path):
    """The real feeds in a real build: each entry's link (relative to its feed without a base
    URL, under the base URL with one) is a file of the site."""
    from lxml import etree

    from tracker.site.refresh import build_with_feeds

    for base_url in (None, "https://policy.example.org/watch/"):
        site = tmp_path / f"site-{bool(base_url)}"
        build_with_feeds(archive, site, base_url=base_url)
        feeds = sorted(site.glob("feeds/**/*.atom"))
        assert feeds, "the build has feeds"
        links = 0
        for feed in feeds:
            root = etree.parse(str(feed)).getroot()
            for link in root.iterfind("{http://www.w3.org/2005/Atom}entry/{*}link"):
                href = link.get("href") or ""
                if base_url:
                    assert href.startswith(base_url), href
                    target = site / href.removeprefix(base_url)
                else:
                    target = (feed.parent / href).resolve()
                assert target.is_file(), f"{feed.relative_to(site)}: {href}"
                links += 1
        assert links, "the feeds have entries"
