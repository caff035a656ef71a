"""The site's Atom feeds (:mod:`tracker.site.feeds`), on archives filled by ``tracker import``.

Every feed is checked against RFC 4287's RELAX NG schema (``tests/atom.rng``, Appendix B of the
RFC, with lxml) and the RFC's rules that the schema cannot state, then read with feedparser as
a subscriber's reader would: entries, links, ids and categories as intended. Hostile text stays
text. The last test reads the real EU notice history (skipped without ``../shared/corpus``).
"""

from __future__ import annotations

import json
import posixpath
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from tests.corpus import CORPUS, MANIFEST
from tests.test_cli_queries import V1, V2  # the same two versions
from tracker.archive.store import Archive
from tracker.backfill import backfill
from tracker.classify.taxonomy import load_taxonomy
from tracker.models import Document, ExtractRules
from tracker.site.feeds import FEED_LENGTH, ID_PREFIX, LABEL_SCHEME, feed_files, xml_text

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "config" / "taxonomy.toml")
SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).with_name("atom.rng"))))
ATOM = "{http://www.w3.org/2005/Atom}"

POLICY = "linkedin/privacy-policy"
TERMS = "example/terms"
HOSTILE = "Terms <script>alert('t')</script> ]]> & co"

V3 = """# Privacy Policy

_Effective November 3, 2025_

## Legal bases

We process your profile data on the basis of your consent, which you may withdraw at any time.

We keep the service secure because the law requires it.

Where we rely on Legitimate Interests, such as to train AI models on your posts, you may object.
"""
T1 = """# Terms

## Your content

You own what you post.
"""
T2 = """# Terms

## Your content

You own what you post. We may show it <script>alert('x')</script> ]]> to partners \x01\x0b.
"""


def _document(doc_id: str, title: str) -> Document:
    return Document(
        id=doc_id,
        title=title,
        url=f"https://{doc_id.split('/')[0]}.test/{doc_id.split('/')[1]}",
        language="en",
        rules=ExtractRules(select=("main",)),
    )


def _import(archive: Archive, folder: Path, document: Document, versions: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stamp, text in versions.items():
        (folder / f"{stamp}.md").write_text(text, encoding="utf-8")
    backfill(document, archive, folder, TAXONOMY)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    """Two documents of two platforms: three versions of POLICY, two of TERMS (hostile text)."""
    archive = Archive(tmp_path / "snapshots")
    _import(
        archive,
        tmp_path / "policy",
        _document(POLICY, "Privacy Policy"),
        {"2023-03-01T10-00-00Z": V1, "2024-06-15T08-30-00Z": V2, "2025-11-04T00-35-00Z": V3},
    )
    _import(
        archive,
        tmp_path / "terms",
        _document(TERMS, HOSTILE),
        {"2024-01-01T00-00-00Z": T1, "2024-07-01T12-00-00Z": T2},
    )
    return archive


def rfc4287_problems(data: bytes) -> list[str]:
    """What is wrong with an Atom feed: the schema's findings, then the RFC's other rules
    (Appendix B's Schematron rules and section 4's MUSTs the schema cannot express)."""
    document = etree.fromstring(data)
    if not SCHEMA.validate(document):
        return [str(error) for error in SCHEMA.error_log]
    problems = []
    entries = document.findall(f"{ATOM}entry")
    if document.find(f"{ATOM}author") is None and not all(
        e.find(f"{ATOM}author") is not None for e in entries
    ):
        problems.append("a feed without author has an entry without author (4.1.1)")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    if len(set(ids)) != len(ids):
        problems.append("two entries share an id")
    for element in [document, *entries]:
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in element.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        if len(set(alternates)) != len(alternates):
            problems.append(f"two alternate links of the same type in {element.tag}")
    for entry in entries:
        content = entry.find(f"{ATOM}content")
        has_alternate = any(
            link.get("rel", "alternate") == "alternate" for link in entry.findall(f"{ATOM}link")
        )
        if content is None and not has_alternate:
            problems.append("an entry without content has no alternate link (4.1.2)")
        if content is not None and content.get("src") and entry.find(f"{ATOM}summary") is None:
            problems.append("an entry with out-of-line content has no summary (4.1.2)")
    return problems


# --------------------------------------------------------------------------- the schema itself
def test_the_schema_refuses_what_rfc4287_refuses():
    """The checker can fail: a feed without id, a date that is not a date, a link without href."""
    valid = feed_files(Archive(Path("/nonexistent")), base_url=None)["feeds/all.atom"]
    assert rfc4287_problems(valid) == []
    broken = {
        "no id": valid.replace(b"<id>", b"<!--").replace(b"</id>", b"-->"),
        "bad date": valid.replace(b"1970-01-01T00:00:00+00:00", b"yesterday"),
        "link without href": valid.replace(b'<link href="all.atom"', b"<link"),
    }
    for what, data in broken.items():
        assert rfc4287_problems(data), what


# --------------------------------------------------------------------------- feeds of an archive
def test_one_feed_per_platform_document_and_label_present(archive: Archive):
    files = feed_files(archive, base_url=None)
    assert {"feeds/all.atom", "feeds/substantive.atom"} <= set(files)
    assert {p for p in files if p.startswith("feeds/platform/")} == {
        "feeds/platform/example.atom",
        "feeds/platform/linkedin.atom",
    }
    assert {p for p in files if p.startswith("feeds/document/")} == {
        f"feeds/document/{POLICY}.atom",
        f"feeds/document/{TERMS}.atom",
    }
    labels = {p.removeprefix("feeds/label/").removesuffix(".atom") for p in files}
    assert {"legitimate_interests", "ai_training"} <= labels
    for path, data in files.items():
        assert rfc4287_problems(data) == [], path


def test_entries_read_as_intended_by_a_feed_reader(archive: Archive):
    files = feed_files(archive, base_url="https://news.example/policy/")
    read = feedparser.parse(files["feeds/all.atom"])
    assert not read.bozo, read.get("bozo_exception")
    assert read.feed.id == ID_PREFIX + "feeds/all"
    assert read.feed.links[0].href == "https://news.example/policy/feeds/all.atom"
    stamps = [e.id.rsplit("/", 1)[1] for e in read.entries]
    assert stamps == ["2025-11-04T00-35-00Z", "2024-07-01T12-00-00Z", "2024-06-15T08-30-00Z"]
    newest = read.entries[0]
    assert newest.id == f"{ID_PREFIX}{POLICY}/changes/2025-11-04T00-35-00Z"
    assert newest.link == (
        f"https://news.example/policy/{POLICY}/changes/2025-11-04T00-35-00Z.html"
    )
    assert newest.title.startswith("Privacy Policy: ")
    assert newest.updated_parsed[:6] == (2025, 11, 4, 0, 35, 0)
    assert "effective 2025-11-03" in newest.summary
    terms = {(t.term, t.scheme) for t in newest.tags}
    assert ("legitimate_interests", LABEL_SCHEME) in terms
    assert ("ai_training", LABEL_SCHEME) in terms
    assert ("substantive", ID_PREFIX + "significance") in terms
    assert "Where we rely on Legitimate Interests" in newest.content[0].value
    names = {t.term: t.label for t in newest.tags}
    assert names["ai_training"] == "AI training"
    assert read.feed.updated_parsed[:6] == (2025, 11, 4, 0, 35, 0), "its newest entry's time"


def test_label_feeds_hold_the_changes_that_carry_gain_or_lose_the_label(archive: Archive):
    files = feed_files(archive, base_url=None)

    def stamps(path: str) -> list[str]:
        return [e.id.rsplit("/", 1)[1] for e in feedparser.parse(files[path]).entries]

    # V1 -> V2 loses legitimate interests; V2 -> V3 gains it again, with AI training.
    assert stamps("feeds/label/legitimate_interests.atom") == [
        "2025-11-04T00-35-00Z",
        "2024-06-15T08-30-00Z",
    ]
    assert stamps("feeds/label/ai_training.atom") == ["2025-11-04T00-35-00Z"]
    title = feedparser.parse(files["feeds/label/ai_training.atom"]).feed.title
    assert title == "Changes carrying AI training (ai_training)"
    assert stamps(f"feeds/document/{TERMS}.atom") == ["2024-07-01T12-00-00Z"]
    assert stamps("feeds/platform/linkedin.atom") == [
        "2025-11-04T00-35-00Z",
        "2024-06-15T08-30-00Z",
    ]
    lost = feedparser.parse(files["feeds/label/legitimate_interests.atom"]).entries[1]
    assert "-legitimate_interests" in lost.summary


def test_ids_do_not_depend_on_the_base_url_and_relative_links_resolve(archive: Archive):
    here = feed_files(archive, base_url=None)
    there = feed_files(archive, base_url="https://a.example")
    elsewhere = feed_files(archive, base_url="http://b.example/sub/dir")
    assert here.keys() == there.keys() == elsewhere.keys()
    for path in here:
        ids = [[e.id for e in feedparser.parse(f[path]).entries] for f in (here, there, elsewhere)]
        assert ids[0] == ids[1] == ids[2], path
        assert feedparser.parse(there[path]).feed.id == feedparser.parse(here[path]).feed.id
        # Without a base URL, links are relative to the feed: they resolve in the site's layout,
        # which is the archive's (its change pages are where the site puts them).
        for link in etree.fromstring(here[path]).iter(f"{ATOM}link"):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), link.get("href")))
            if target.endswith(".html") and target != "index.html":
                assert (archive.root / target).is_file(), (path, target)
            elif target.endswith(".atom"):
                assert target == path, "rel=self names the feed itself"
    link = feedparser.parse(elsewhere["feeds/all.atom"]).entries[0].link
    assert link.startswith("http://b.example/sub/dir/linkedin/privacy-policy/changes/")


def test_the_same_archive_gives_the_same_bytes_and_a_new_change_touches_only_its_feeds(
    archive: Archive, tmp_path: Path
):
    before = feed_files(archive, base_url="https://a.example")
    assert feed_files(archive, base_url="https://a.example") == before
    _import(
        archive,
        tmp_path / "terms",
        _document(TERMS, HOSTILE),
        {"2024-09-01T00-00-00Z": T2.replace("You own", "You keep owning")},
    )
    after = feed_files(archive, base_url="https://a.example")
    changed = {path for path in after if after[path] != before.get(path)}
    new = feedparser.parse(after[f"feeds/document/{TERMS}.atom"]).entries[0]
    assert new.id.endswith("/2024-09-01T00-00-00Z")
    substantive = {"feeds/substantive.atom"} if new.summary.startswith("substantive") else set()
    assert changed == {
        "feeds/all.atom",
        "feeds/platform/example.atom",
        f"feeds/document/{TERMS}.atom",
        *substantive,
    }
    assert after[f"feeds/document/{POLICY}.atom"] == before[f"feeds/document/{POLICY}.atom"]
    assert after["feeds/label/ai_training.atom"] == before["feeds/label/ai_training.atom"]


def test_a_feed_holds_the_newest_changes_only(archive: Archive):
    files = feed_files(archive, base_url=None, length=2)
    read = feedparser.parse(files["feeds/all.atom"])
    assert read.feed.subtitle.endswith("The 2 most recent; the archive keeps every change.")
    entries = read.entries
    assert [e.id.rsplit("/", 1)[1] for e in entries] == [
        "2025-11-04T00-35-00Z",
        "2024-07-01T12-00-00Z",
    ]
    assert FEED_LENGTH == 50


def test_hostile_text_stays_text(archive: Archive):
    files = feed_files(archive, base_url=None)
    data = files[f"feeds/document/{TERMS}.atom"]
    assert rfc4287_problems(data) == []
    tree = etree.fromstring(data)
    assert not list(tree.iter("script", "{http://www.w3.org/1999/xhtml}script"))
    read = feedparser.parse(data)
    assert read.feed.title == f"{HOSTILE}: every change"
    entry = read.entries[0]
    assert entry.title.startswith(HOSTILE + ": ")
    content = tree.find(f"{ATOM}entry/{ATOM}content")
    assert content is not None and content.get("type") == "text"
    assert "<script>alert('x')</script> ]]>" in (content.text or "")


def test_characters_xml_cannot_hold_become_replacement_characters(tmp_path: Path):
    """A record holding control characters and a lone surrogate (imported text is normalised
    before it gets here; a record written by an older release or by hand may not be)."""
    archive = Archive(tmp_path)
    archive.record_version("example/terms", "2024-01-01T00-00-00Z", {"title": "T\x07"}, "x\n")
    record = {
        "document": "example/terms",
        "from": "2023-12-01T00-00-00Z",
        "to": "2024-01-01T00-00-00Z",
        "significance": "substantive",
        "rank": "other",
        "labels": ["consent", "../../etc/passwd"],
        "gained": [],
        "lost": [],
        "clauses": [
            {
                "kind": "added",
                "significance": "substantive",
                "section": ["Bell\x07", "Null\x00"],
                "new": "Escape \x1b[31m red \ud800 ]]> <b>bold</b>",
                "gained": ["consent"],
                "lost": [],
            }
        ],
    }
    archive.record_change(
        "example/terms", "2024-01-01T00-00-00Z", {"json": json.dumps(record) + "\n"}
    )
    archive.commit("example/terms")  # its chain makes it a document of the archive
    files = feed_files(archive, base_url=None)
    assert "feeds/label/consent.atom" in files
    assert not [p for p in files if "passwd" in p], "a label that cannot name a file is left out"
    for path, data in files.items():
        assert rfc4287_problems(data) == [], path
    content = feedparser.parse(files["feeds/all.atom"]).entries[0].content[0].value
    assert "Escape \ufffd[31m red \ufffd ]]> <b>bold</b>" in content
    assert "Bell\ufffd \u203a Null\ufffd" in content
    assert xml_text("a\x00b\tc\ud800") == "a\ufffdb\tc\ufffd"


def test_an_archive_without_changes_still_has_its_two_main_feeds():
    files = feed_files(Archive(Path("/nonexistent")), base_url="https://a.example")
    assert sorted(files) == ["feeds/all.atom", "feeds/substantive.atom"]
    read = feedparser.parse(files["feeds/all.atom"])
    assert read.entries == []
    assert datetime(*read.feed.updated_parsed[:6], tzinfo=UTC) == datetime(1970, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- the real history
@pytest.mark.corpus
@pytest.mark.skipif(
    not MANIFEST.is_file(),
    reason=f"corpus not found at {CORPUS} (set TRACKER_CORPUS to the folder of manifest.json)",
)
def test_the_ai_training_feed_has_the_eu_notice_change_effective_2025_11_03(tmp_path: Path):
    eu = "linkedin/eu-regional-privacy-notice"
    archive = Archive(tmp_path)
    series = CORPUS / "linkedin" / "eu-regional-privacy-notice" / "markdown" / "en_pga"
    backfill(_document(eu, "LinkedIn European Regional Privacy Notice"), archive, series, TAXONOMY)
    files = feed_files(archive, base_url="https://tracker.example")
    for path, data in files.items():
        assert rfc4287_problems(data) == [], path
    read = feedparser.parse(files["feeds/label/ai_training.atom"])
    by_stamp = {e.id.rsplit("/", 1)[1]: e for e in read.entries}
    november = by_stamp["2025-11-04T00-35-00Z"]
    assert "effective 2025-11-03" in november.summary
    assert november.summary.startswith("substantive: ")
    assert november.link == f"https://tracker.example/{eu}/changes/2025-11-04T00-35-00Z.html"
    assert "ai_training" in {t.term for t in november.tags}
    assert "2025-09-18T12-34-39Z" in by_stamp, "the change that first named AI training"
    cosmetic = "2025-08-01T00-34-40Z"

    def stamps(path: str) -> set[str]:
        return {e.id.rsplit("/", 1)[1] for e in feedparser.parse(files[path]).entries}

    assert cosmetic in stamps("feeds/all.atom")
    assert cosmetic not in stamps("feeds/substantive.atom")
