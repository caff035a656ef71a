"""Acceptance tests of extraction over the real LinkedIn captures of the shared corpus.

The corpus is ``../shared/corpus`` next to the project (``TRACKER_CORPUS`` overrides it); the
tests are skipped when it is absent. Each HTML file is extracted once per session.

(a) Word for word: our text of a snapshot shows exactly the words of Open Terms Archive's
    Markdown made from the same snapshot (paired through the manifest: the Markdown's
    ``derived_from_snapshots`` names the HTML's ``source_commit``). Markdown syntax and link
    targets are ignored on both sides; the words, their order and their punctuation are not.

(b) Changes: in every HTML series, two consecutive captures give a different text exactly
    when the document changed. The ground truth is :data:`REAL_CHANGES`, established by
    reading every transition (see ``docs/extraction.md``), and cross-checked against the
    manifest's ``change_vs_previous_file_in_series``.
"""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from tests.corpus import CORPUS, MANIFEST, REQUIRES_CORPUS
from tests.goldens import load_rule_set
from tracker.compare.wording import visible_words
from tracker.extract.extractor import extract
from tracker.extract.normalise import normalise_version
from tracker.models import ExtractRules

pytestmark = REQUIRES_CORPUS

#: The document's URL for each corpus folder, as in config/documents (the base of links).
DOCUMENT_URLS = {
    "cookie-policy": "https://www.linkedin.com/legal/cookie-policy",
    "eu-regional-privacy-notice": "https://www.linkedin.com/legal/privacy/eu",
    "help-center-answer-137370": "https://www.linkedin.com/help/linkedin/answer/137370",
    "help-center-answer-a1342756": "https://www.linkedin.com/help/linkedin/answer/a1342756",
    "privacy-policy": "https://www.linkedin.com/legal/privacy-policy",
    "professional-community-policies": "https://www.linkedin.com/legal/professional-community-policies",
    "service-terms": "https://www.linkedin.com/legal/l/service-terms",
    "user-agreement": "https://www.linkedin.com/legal/user-agreement",
}

#: Every LinkedIn HTML series, its number of captures, and the captures whose text really
#: changed from the previous capture of the series. Everything else is noise or template.
REAL_CHANGES: dict[str, tuple[int, dict[str, str]]] = {
    "cookie-policy/hi-IN_india": (4, {}),
    "eu-regional-privacy-notice/en_pga-reconstructed": (
        2,
        {
            "2025-11-04T00-35-00Z": "effective 3 Nov 2025: 'we updated', legitimate interests "
            "for training content-generating AI, new table rows, 16-17 year-olds, Microsoft",
        },
    ),
    # Only the "last updated 2 years ago" line changes, to "3 years ago" on 2025-05-17T16
    # (flagged main-text-changed by the manifest, whose hash includes that line).
    "help-center-answer-137370/hi-IN_india": (6, {}),
    "help-center-answer-a1342756/hi-IN_india": (6, {}),
    # No text change at all (the README says so; the manifest agrees). 2022-06-15T12 is a
    # template change: the "Termes clés" toggles lose their <h3> wrapper.
    "privacy-policy/fr-FR_france-elections": (16, {}),
    "privacy-policy/fr_cote-d-ivoire": (6, {}),
    "privacy-policy/hi-IN_india": (5, {}),
    "professional-community-policies/fr-FR_france-elections": (
        8,
        {
            "2022-07-01T18-31-10Z": "policies rewritten: new card texts ('Vos discussions sur "
            "LinkedIn doivent être bienveillantes'), sections link to help-centre answers",
            "2022-09-20T18-31-27Z": "'réellement professionnellement associé', new mission "
            "sentence, a link moves from answer 137378 to 137370",
        },
    ),
    "professional-community-policies/fr_cote-d-ivoire": (
        6,
        {
            "2023-05-30T22-31-28Z": "child-exploitation, illegal-goods and dangerous-"
            "organisations paragraphs shortened; the 'En savoir plus' link moves",
        },
    ),
    "professional-community-policies/hi-IN_india": (
        4,
        {
            "2025-06-02T00-01-25Z": "link-only change: the 'appeal' link now targets help "
            "answer a1441505 instead of 82934 (same words; the manifest says markup-only)",
        },
    ),
    "service-terms/fr-FR_france-elections": (6, {}),
    "service-terms/fr_cote-d-ivoire": (
        6,
        {
            "2023-04-06T22-31-36Z": "new version dated '1 février 2023' (was '10 novembre "
            "2022'): recruiting-agency and BPO definitions added, links updated",
        },
    ),
    "user-agreement/hi-IN_india": (4, {}),
}

#: Transitions the manifest flags ``main-text-changed`` that are not changes of the document.
MANIFEST_FLAGS_THAT_ARE_NOISE = {
    "help-center-answer-137370/hi-IN_india/2025-05-17T16-01-36Z": "relative date 2 -> 3 years",
    "help-center-answer-a1342756/hi-IN_india/2025-05-17T16-01-34Z": "relative date 2 -> 3 years",
}
#: Real changes the manifest does not flag (its hash covers the words, not link targets).
REAL_CHANGES_THE_MANIFEST_MISSES = {
    "professional-community-policies/hi-IN_india/2025-06-02T00-01-25Z",
}


@functools.cache
def manifest() -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = json.loads(MANIFEST.read_text(encoding="utf-8"))["files"]
    return files


def rules_for(document: str) -> ExtractRules:
    """The rule set that fits the document: help-centre answers or legal pages."""
    return load_rule_set(
        "linkedin-help" if document.startswith("help-center-answer") else "linkedin-legal"
    )


@functools.cache
def extracted(relative_path: str) -> str:
    """Our text of one corpus HTML file (``linkedin/<document>/html/<series>/<ts>.html``)."""
    document = relative_path.split("/")[1]
    body = (CORPUS / relative_path).read_bytes()
    return extract(body, rules_for(document), url=DOCUMENT_URLS[document])


def html_series() -> dict[str, list[str]]:
    """``document/series`` -> the relative paths of its HTML captures, in time order."""
    series: dict[str, list[str]] = {}
    for entry in manifest():
        if entry["platform"] == "linkedin" and entry["kind"] == "snapshot-html":
            key = f"{entry['document']}/{entry['series']}"
            series.setdefault(key, []).append(entry["path"])
    return {key: sorted(paths) for key, paths in sorted(series.items())}


def _stamp(path: str) -> str:
    return Path(path).stem


# ------------------------------------------------------------------- (a) word for word


def first_difference(ours: list[str], theirs: list[str], context: int = 12) -> str:
    """A readable window around the first place where two word sequences differ."""
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag != "equal":
            return (
                f"first difference at word {a1} ({tag}):\n"
                f"  ours: ... {' '.join(ours[max(a1 - context, 0) : a2 + context])} ...\n"
                f"  OTA:  ... {' '.join(theirs[max(b1 - context, 0) : b2 + context])} ..."
            )
    return "no difference"


def ota_pairs() -> list[tuple[str, str]]:
    """(HTML path, OTA Markdown path) for every Markdown version made from a corpus HTML file."""
    html_by_commit = {
        e["source_commit"]: e["path"]
        for e in manifest()
        if e["platform"] == "linkedin" and e["kind"] == "snapshot-html"
    }
    pairs = []
    for entry in manifest():
        if entry["platform"] != "linkedin" or entry["kind"] != "version-markdown":
            continue
        for url in entry.get("derived_from_snapshots") or []:
            commit = url.rstrip("/").rsplit("/", 1)[-1]
            if commit in html_by_commit:
                pairs.append((html_by_commit[commit], entry["path"]))
    return sorted(pairs)


def _pair_id(pair: tuple[str, str]) -> str:
    html, markdown = pair
    return f"{html.split('/')[1]}/{_stamp(html)}~{_stamp(markdown)}"


PAIRS = ota_pairs() if MANIFEST.is_file() else []


def test_the_eu_notice_pairs_are_among_the_word_for_word_cases() -> None:
    eu = [html for html, _ in PAIRS if "/eu-regional-privacy-notice/" in html]
    assert [_stamp(html) for html in eu] == ["2025-09-18T12-34-39Z", "2025-11-04T00-35-00Z"]


@pytest.mark.parametrize("pair", PAIRS, ids=[_pair_id(pair) for pair in PAIRS])
def test_text_matches_open_terms_archive_word_for_word(pair: tuple[str, str]) -> None:
    html, markdown = pair
    document = html.split("/")[1]
    theirs_md = normalise_version(
        (CORPUS / markdown).read_text(encoding="utf-8"),
        rules_for(document),
        base_url=DOCUMENT_URLS[document],
    )
    ours, theirs = visible_words(extracted(html)), visible_words(theirs_md)
    assert len(ours) > 1000
    assert ours == theirs, first_difference(ours, theirs)


def test_visible_words_ignore_syntax_and_targets_only() -> None:
    ours = (
        "# Title\n\n- **[Privacy Policy](https://a.test/x)**, 1\\. item\n\n"
        "| a | b |\n| --- | --- |\n"
    )
    theirs = "Title\n=====\n\n*   [**Privacy Policy**](https://b.test/y), 1\\. item\n\n|a|b|\n"
    assert (
        visible_words(ours)
        == visible_words(theirs)
        == ["Title", "Privacy", "Policy,", "1.", "item", "a", "b"]
    )
    assert visible_words("one two") != visible_words("one, two")


# ------------------------------------------------------------------------- (b) changes


def test_every_linkedin_html_series_has_a_ground_truth() -> None:
    found = {key: len(paths) for key, paths in html_series().items()}
    expected = {key: count for key, (count, _) in REAL_CHANGES.items()}
    assert found == expected


def test_each_series_holds_one_source() -> None:
    by_series: dict[str, set[tuple[str, str]]] = {}
    for entry in manifest():
        if entry["platform"] == "linkedin" and entry["kind"] == "snapshot-html":
            key = f"{entry['document']}/{entry['series']}"
            source = (entry["source_repository"], entry["source_path"])
            by_series.setdefault(key, set()).add(source)
    mixed = {key: sources for key, sources in by_series.items() if len(sources) != 1}
    assert not mixed


def test_ground_truth_agrees_with_the_manifest_where_it_can() -> None:
    flagged = {
        f"{e['document']}/{e['series']}/{_stamp(e['path'])}"
        for e in manifest()
        if e["platform"] == "linkedin"
        and e["kind"] == "snapshot-html"
        and e["change_vs_previous_file_in_series"] == "main-text-changed"
    }
    real = {f"{key}/{stamp}" for key, (_, changes) in REAL_CHANGES.items() for stamp in changes}
    assert flagged - set(MANIFEST_FLAGS_THAT_ARE_NOISE) == real - REAL_CHANGES_THE_MANIFEST_MISSES
    assert set(MANIFEST_FLAGS_THAT_ARE_NOISE) <= flagged


SERIES = sorted(REAL_CHANGES)


@pytest.mark.parametrize("key", SERIES)
def test_text_changes_exactly_when_the_document_changed(key: str) -> None:
    paths = html_series().get(key)
    if not paths:
        pytest.fail(f"series {key} is not in the corpus")
    _, expected = REAL_CHANGES[key]
    texts = [extracted(path) for path in paths]
    changed = [
        _stamp(path)
        for previous, path, text in zip(texts, paths[1:], texts[1:], strict=False)
        if text != previous
    ]
    if changed != sorted(expected):
        report = []
        for stamp in sorted(set(changed) ^ set(expected)):
            index = [_stamp(p) for p in paths].index(stamp)
            diff = difflib.unified_diff(
                texts[index - 1].splitlines(), texts[index].splitlines(), lineterm="", n=0
            )
            lines = [line[:160] for line in list(diff)[2:10]]
            kind = "unexpected change" if stamp in changed else "missed change"
            report.append(f"{kind} at {stamp}:\n    " + "\n    ".join(lines or ["(no diff)"]))
        pytest.fail(
            f"{key}: changed at {changed}, expected {sorted(expected)}\n" + "\n".join(report)
        )
