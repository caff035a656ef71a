"""Acceptance over the real corpus: ``tracker import`` of each real HTML series.

A new version is recorded exactly when the policy text changed (the hand-checked list in
``test_corpus_extract.REAL_CHANGES``), never for per-request ids, A/B chrome, asset URLs or
relative dates; the Instagram negative cases are inaccessible. Reads ``../shared/corpus`` in
place (or ``TRACKER_CORPUS``) and skips with a reason when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.corpus import CORPUS, MANIFEST, REQUIRES_CORPUS
from tests.test_corpus_extract import DOCUMENT_URLS, REAL_CHANGES, rules_for
from tracker.archive.store import Archive
from tracker.backfill import backfill
from tracker.classify.taxonomy import load_taxonomy
from tracker.compare.wording import same_words
from tracker.models import Document, ExtractRules, Outcome

TAXONOMY = load_taxonomy(Path(__file__).resolve().parents[1] / "config" / "taxonomy.toml")

pytestmark = REQUIRES_CORPUS

#: The language each series is served in (its <html lang>): the document we would track.
SERIES_LANGUAGE = {
    "fr-FR_france-elections": "fr",
    "fr_cote-d-ivoire": "fr",
    "hi-IN_india": "hi",
    "en_pga-reconstructed": "en",
}
#: The India instance received English for this page (the quality tests flag it for "hi").
SERVED_IN_ENGLISH = {"professional-community-policies/hi-IN_india"}


def document_for(series_key: str) -> Document:
    name, series = series_key.split("/")
    language = "en" if series_key in SERVED_IN_ENGLISH else SERIES_LANGUAGE[series]
    return Document(
        id=f"linkedin/{name}",
        title=name,
        url=DOCUMENT_URLS[name],
        language=language,
        rules=rules_for(name),
    )


@pytest.mark.parametrize("series_key", sorted(REAL_CHANGES))
def test_import_records_a_version_exactly_when_the_text_changed(series_key: str, tmp_path: Path):
    count, changes = REAL_CHANGES[series_key]
    name, series = series_key.split("/")
    folder = CORPUS / "linkedin" / name / "html" / series
    document = document_for(series_key)
    archive = Archive(tmp_path)
    results = backfill(document, archive, folder, TAXONOMY)
    assert len(results) == count
    assert [r.outcome for r in results if r.outcome is Outcome.INACCESSIBLE] == []
    first = sorted(folder.glob("*.html"))[0].stem
    assert archive.version_stamps(document.id) == sorted([first, *changes])
    checks = archive.checks(document.id)
    assert len(checks) == count, "every capture is logged, changed or not"
    snapshots = sorted(p.name for p in (tmp_path / document.id / "raw").glob("*.html"))
    assert snapshots == [f"{s}.html" for s in archive.version_stamps(document.id)]


def test_instagram_negative_cases_are_inaccessible(tmp_path: Path):
    folder = CORPUS / "other-platforms" / "instagram" / "privacy-policy" / "html"
    [series] = [p for p in folder.iterdir() if p.is_dir()]
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))["files"]
    negatives = {
        Path(f["path"]).stem
        for f in manifest
        if f.get("negative_case") and f["path"].startswith("other-platforms/instagram/")
    }
    assert len(negatives) == 2
    document = Document(
        id="instagram/privacy-policy",
        title="Instagram privacy policy",
        url="https://privacycenter.instagram.com/policy",
        language="fr",
        rules=ExtractRules(select=("body",), min_text_chars=200),
    )
    results = backfill(document, Archive(tmp_path), series, TAXONOMY)
    stamps = sorted(p.stem for p in series.glob("*.html"))
    by_stamp = dict(zip(stamps, results, strict=True))
    for stamp, result in by_stamp.items():
        if stamp in negatives:
            assert result.outcome is Outcome.INACCESSIBLE, stamp
            assert result.cause in {"consent-wall", "app-shell"}
        else:
            assert result.outcome is not Outcome.INACCESSIBLE, (stamp, result.detail)
    causes = sorted(by_stamp[s].cause for s in negatives)
    assert causes == ["app-shell", "consent-wall"]


def test_markdown_history_imports_with_attribution(tmp_path: Path):
    folder = CORPUS / "linkedin" / "eu-regional-privacy-notice" / "markdown" / "en_pga"
    document = Document(
        id="linkedin/eu-regional-privacy-notice",
        title="EU notice",
        url=DOCUMENT_URLS["eu-regional-privacy-notice"],
        language="en",
        rules=rules_for("eu-regional-privacy-notice"),
    )
    archive = Archive(tmp_path)
    results = backfill(
        document, archive, folder, TAXONOMY, attribution="Open Terms Archive (ODC-BY 1.0)"
    )
    assert len(results) == len(list(folder.glob("*.md")))
    versions = list(archive.iter_versions(document.id))
    assert versions[0].meta["origin"] == "import-markdown"
    assert versions[0].meta["attribution"] == "Open Terms Archive (ODC-BY 1.0)"
    stamps = [v.timestamp for v in versions]
    assert "2025-11-04T00-35-00Z" in stamps, "the generative-AI change is a version"
    latest = versions[-1].text
    assert "\u200b" not in latest
    assert "\ufeff" not in latest
    assert "hcppcid" not in latest
    assert "trk=" not in latest


def test_live_html_after_markdown_history_is_a_technical_upgrade_when_words_match(tmp_path: Path):
    """OTA's Markdown and our extraction of the same day's page differ only in formatting."""
    name = "eu-regional-privacy-notice"
    document = Document(
        id=f"linkedin/{name}",
        title="EU notice",
        url=DOCUMENT_URLS[name],
        language="en",
        rules=rules_for(name),
    )
    markdown = tmp_path / "md"
    markdown.mkdir()
    source = CORPUS / "linkedin" / name / "markdown" / "en_pga" / "2025-09-18T12-34-39Z.md"
    (markdown / "2025-09-18T12-34-39Z.md").write_bytes(source.read_bytes())
    html = tmp_path / "html"
    html.mkdir()
    page = (
        CORPUS / "linkedin" / name / "html" / "en_pga-reconstructed" / "2025-11-04T00-35-00Z.html"
    )
    earlier = (
        CORPUS / "linkedin" / name / "html" / "en_pga-reconstructed" / "2025-09-18T12-34-39Z.html"
    )
    (html / "2025-10-01T00-00-00Z.html").write_bytes(earlier.read_bytes())
    (html / "2025-11-04T00-35-00Z.html").write_bytes(page.read_bytes())
    archive = Archive(tmp_path / "archive")
    backfill(document, archive, markdown, TAXONOMY)
    upgrade, change = backfill(document, archive, html, TAXONOMY)
    assert upgrade.outcome is Outcome.TECHNICAL_UPGRADE
    assert change.outcome is Outcome.NEW_VERSION
    versions = list(archive.iter_versions(document.id))
    assert same_words(versions[0].text, versions[1].text)
    assert not same_words(versions[1].text, versions[2].text)
