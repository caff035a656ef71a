"""The tamper matrix: each way of altering the record must make ``tracker verify`` fail.

A clean archive is built by real imports (the project's own fixture pages; and, when the shared
corpus is present, a real LinkedIn history), then copied, altered one way, and verified. Every
alteration must be reported, by a problem that names the record at fault; the clean copy must
pass. A full rewrite that recomputes every hash passes a plain ``verify`` by construction, and
must fail ``verify --head`` with a head noted before it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TAXONOMY_PATH
from tests.corpus import CORPUS, MANIFEST
from tests.servers import page_bytes
from tracker.archive.store import Archive
from tracker.archive.verify import verify
from tracker.backfill import backfill
from tracker.classify.taxonomy import load_taxonomy
from tracker.extract import frontmatter
from tracker.models import Document, ExtractRules, sha256_hex

TAXONOMY = load_taxonomy(TAXONOMY_PATH)
RULES = ExtractRules(
    select=("#component-container",),
    remove=(".banner__image-container",),
    min_text_chars=200,
)
FIXTURE_DOC = Document(
    id="linkedin/privacy-policy",
    title="Privacy Policy",
    url="https://www.linkedin.com/legal/privacy-policy",
    language="en",
    rules=RULES,
)


@dataclass(frozen=True)
class History:
    """A clean archive and the document it holds."""

    root: Path
    document: str

    def copy(self, to: Path) -> Archive:
        shutil.copytree(self.root, to)
        return Archive(to)


def _fixture_history(tmp: Path) -> History:
    pages = tmp / "pages"
    pages.mkdir()
    v1 = page_bytes("linkedin/privacy-policy/v1.html")
    v2 = page_bytes("linkedin/privacy-policy/v2.html")
    head, _, tail = v2.rpartition(b"</p>")  # the last paragraph of the policy gains a sentence
    v3 = head + b" We may also share your data with our partners for research.</p>" + tail
    for stamp, body in (
        ("2025-01-01T00-00-00Z", v1),
        ("2025-02-01T00-00-00Z", v1),
        ("2025-03-01T00-00-00Z", v2),
        ("2025-03-15T00-00-00Z", v2),
        ("2025-04-01T00-00-00Z", v3),
        ("2025-05-01T00-00-00Z", v3),
    ):
        (pages / f"{stamp}.html").write_bytes(body)
    root = tmp / "clean"
    backfill(FIXTURE_DOC, Archive(root), pages, TAXONOMY)
    return History(root, FIXTURE_DOC.id)


def _corpus_history(tmp: Path) -> History:
    from tests.test_corpus_import import document_for

    key = "professional-community-policies/fr-FR_france-elections"
    name, series = key.split("/")
    document = document_for(key)
    root = tmp / "clean"
    backfill(document, Archive(root), CORPUS / "linkedin" / name / "html" / series, TAXONOMY)
    return History(root, document.id)


@pytest.fixture(scope="module", params=["fixtures", "corpus"])
def history(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> History:
    tmp = tmp_path_factory.mktemp(f"history-{request.param}")
    if request.param == "corpus":
        if not MANIFEST.is_file():
            pytest.skip(f"corpus not found at {CORPUS} (set TRACKER_CORPUS)")
        made = _corpus_history(tmp)
    else:
        made = _fixture_history(tmp)
    archive = Archive(made.root)
    assert len(archive.version_stamps(made.document)) >= 3, "the history needs a middle version"
    return made


# --------------------------------------------------------------------------- tampering helpers
def _stamps(archive: Archive, doc: str) -> list[str]:
    return archive.version_stamps(doc)


def _rewrite_version(archive: Archive, doc: str, stamp: str, edit: Callable[[dict, str], str]):
    path = archive.version_path(doc, stamp)
    meta, text = frontmatter.parse(path.read_text(encoding="utf-8"))
    text = edit(meta, text)
    path.write_text(frontmatter.render(meta, text), encoding="utf-8")
    return meta


def _edit_text_and_hash(archive: Archive, doc: str) -> str:
    stamp = _stamps(archive, doc)[1]

    def edit(meta: dict, text: str) -> str:
        new = text.replace(" ", "  ", 1) + "\nWe may also sell your data.\n"
        meta["text_sha256"] = sha256_hex(new)
        return new

    _rewrite_version(archive, doc, stamp, edit)
    return f"versions/{stamp}.md: changed since it was recorded"


def _edit_text_alone(archive: Archive, doc: str) -> str:
    stamp = _stamps(archive, doc)[1]
    _rewrite_version(archive, doc, stamp, lambda _meta, text: text + "\nextra\n")
    return f"versions/{stamp}.md"


def _edit_raw_and_all_hashes(archive: Archive, doc: str) -> str:
    stamp = _stamps(archive, doc)[0]
    folder = archive.folder(doc)
    raw = folder / "raw" / f"{stamp}.html"
    body = raw.read_bytes().replace(b"LinkedIn", b"LinkedOut", 1) + b"<!-- edited -->"
    raw.write_bytes(body)
    digest = sha256_hex(body)
    meta_path = raw.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta["sha256"] = digest
    meta["size"] = len(body)
    meta_path.write_text(json.dumps(meta, indent=2))

    def edit(version_meta: dict, text: str) -> str:
        version_meta["raw_sha256"] = digest
        return text

    _rewrite_version(archive, doc, stamp, edit)
    return f"raw/{stamp}.html: changed since it was recorded"


def _edit_raw_alone(archive: Archive, doc: str) -> str:
    stamp = _stamps(archive, doc)[0]
    raw = archive.folder(doc) / "raw" / f"{stamp}.html"
    raw.write_bytes(raw.read_bytes() + b" ")
    return f"raw/{stamp}.html"


def _swap_versions(archive: Archive, doc: str) -> str:
    a, b = _stamps(archive, doc)[1:3]
    pa, pb = archive.version_path(doc, a), archive.version_path(doc, b)
    da, db = pa.read_bytes(), pb.read_bytes()
    pa.write_bytes(db)
    pb.write_bytes(da)
    return f"versions/{a}.md"


def _downgrade_change(archive: Archive, doc: str) -> str:
    stamp = archive.change_stamps(doc)[-1]
    path = archive.folder(doc) / "changes" / f"{stamp}.json"
    record = json.loads(path.read_text())
    record["significance"] = "cosmetic"
    record["labels"] = []
    record["gained"] = []
    record["lost"] = []
    for clause in record.get("clauses", []):
        clause["significance"] = "cosmetic"
        clause["labels"] = []
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return f"changes/{stamp}.json: changed since it was recorded"


def _delete_change_pages(archive: Archive, doc: str) -> str:
    pages = sorted((archive.folder(doc) / "changes").glob("*.html"))
    for page in pages:
        page.unlink()
    return f"changes/{pages[0].name}: missing"


def _delete_change_record(archive: Archive, doc: str) -> str:
    stamp = archive.change_stamps(doc)[0]
    (archive.folder(doc) / "changes" / f"{stamp}.json").unlink()
    return f"changes/{stamp}.json: missing"


def _longest_checks_file(archive: Archive, doc: str) -> str:
    """The checks file (``checks/<year>.csv``) with the most rows."""
    return max(archive.checks_files(doc), key=lambda name: len(archive.check_lines(doc, name)))


def _delete_check_rows(archive: Archive, doc: str) -> str:
    name = _longest_checks_file(archive, doc)
    path = archive.folder(doc) / name
    lines = path.read_text().splitlines(keepends=True)
    del lines[2]  # the second data row
    path.write_text("".join(lines))
    return f"{name} row 2"


def _edit_check_row(archive: Archive, doc: str) -> str:
    name = archive.checks_files(doc)[-1]
    path = archive.folder(doc) / name
    rows = list(csv.reader(io.StringIO(path.read_text())))
    rows[-1][1] = "unchanged" if rows[-1][1] != "unchanged" else "inaccessible"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue())
    return f"{name} row {len(rows) - 1}"


def _delete_version_with_files(archive: Archive, doc: str, position: int) -> str:
    stamp = _stamps(archive, doc)[position]
    folder = archive.folder(doc)
    for path in [*folder.glob(f"*/{stamp}.*")]:
        path.unlink()
    if position == -1:  # make the deletion look tidy: current.md is the previous version
        previous = _stamps(archive, doc)[-1]
        (folder / "current.md").write_bytes(archive.version_path(doc, previous).read_bytes())
    return f"versions/{stamp}.md: missing"


def _backdate(archive: Archive, doc: str) -> str:
    stamp = _stamps(archive, doc)[1]

    def edit(meta: dict, text: str) -> str:
        meta["captured_at"] = "2020-01-01T00:00:00Z"
        return text

    _rewrite_version(archive, doc, stamp, edit)
    return f"versions/{stamp}.md"


def _edit_current(archive: Archive, doc: str) -> str:
    current = archive.folder(doc) / "current.md"
    current.write_text(current.read_text().replace("LinkedIn", "LinkedOut", 1) + "\n")
    return "current.md: differs from the latest version"


def _forge_version(archive: Archive, doc: str) -> str:
    latest = archive.latest_version(doc)
    assert latest is not None
    stamp = "2030-01-01T00-00-00Z"
    folder = archive.folder(doc)
    text = latest.text + "\nWe now sell your data to anyone.\n"
    body = b"<html><body>forged</body></html>"
    (folder / "raw" / f"{stamp}.html").write_bytes(body)
    (folder / "raw" / f"{stamp}.json").write_text(json.dumps({"sha256": sha256_hex(body)}))
    meta = dict(latest.meta)
    meta.update(
        timestamp=stamp,
        captured_at="2030-01-01T00:00:00Z",
        snapshot=f"raw/{stamp}.html",
        raw_sha256=sha256_hex(body),
        text_sha256=sha256_hex(text),
        previous=latest.timestamp,
    )
    content = frontmatter.render(meta, text)
    archive.version_path(doc, stamp).write_text(content)
    (folder / "current.md").write_text(content)
    for suffix in ("json", "md", "html"):
        (folder / "changes" / f"{stamp}.{suffix}").write_text(
            json.dumps({"from": latest.timestamp, "to": stamp}) if suffix == "json" else "forged"
        )
    with (folder / archive.checks_files(doc)[-1]).open("a") as handle:
        handle.write(f"2030-01-01T00:00:00Z,new-version,,200,,,{stamp},{FIXTURE_DOC.url},\n")
    return f"versions/{stamp}.md: not in the chain"


def _plant_orphan(archive: Archive, doc: str) -> str:
    planted = archive.folder(doc) / "raw" / "2001-01-01T00-00-00Z.html"
    planted.write_bytes(b"<html>planted</html>")
    return f"raw/{planted.name}: not in the chain"


def _edit_chain_line(archive: Archive, doc: str) -> str:
    path = archive.ledger_path(doc)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    rows[2][4] = "0" * 64  # the second entry's record hash
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue())
    return "chain.csv entry 2"


def _truncate_chain(archive: Archive, doc: str) -> str:
    path = archive.ledger_path(doc)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-3]))
    return "not in the chain"


def _drop_archive_anchor(archive: Archive, doc: str) -> str:
    path = archive.root / "chain.csv"
    lines = path.read_text().splitlines(keepends=True)
    del lines[1]
    path.write_text("".join(lines))
    return "archive chain.csv entry"


def _edit_rules(archive: Archive, doc: str) -> str:
    [rules] = sorted((archive.folder(doc) / "rules").glob("*.json"))
    rules.write_text(rules.read_text().replace("#component-container", "body"))
    return f"rules/{rules.name}: changed since it was recorded"


TAMPERINGS: dict[str, Callable[[Archive, str], str]] = {
    "version text edited with its text_sha256": _edit_text_and_hash,
    "version text edited alone": _edit_text_alone,
    "raw snapshot edited with all its hashes": _edit_raw_and_all_hashes,
    "raw snapshot edited alone": _edit_raw_alone,
    "two versions swapped": _swap_versions,
    "change record downgraded to cosmetic, labels dropped": _downgrade_change,
    "change pages deleted": _delete_change_pages,
    "change record deleted": _delete_change_record,
    "rows deleted from a checks file": _delete_check_rows,
    "a check row's outcome edited": _edit_check_row,
    "a middle version deleted with its files": lambda a, d: _delete_version_with_files(a, d, 1),
    "the latest version deleted with its files": lambda a, d: _delete_version_with_files(a, d, -1),
    "captured_at backdated": _backdate,
    "current.md edited": _edit_current,
    "a forged version with a check row and a change record": _forge_version,
    "an orphan raw file planted": _plant_orphan,
    "a chain line edited": _edit_chain_line,
    "the chain's last entries cut": _truncate_chain,
    "an archive chain entry removed": _drop_archive_anchor,
    "the extraction rules edited": _edit_rules,
}


def test_the_clean_history_verifies(history: History, tmp_path: Path) -> None:
    archive = history.copy(tmp_path / "copy")
    result = verify(archive)
    assert result.ok, [p for r in result.reports for p in r.problems] + result.problems
    assert result.head == archive.head()
    assert len(result.head) == 64


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_each_tampering_fails_verify_naming_the_record(
    history: History, tmp_path: Path, name: str
) -> None:
    archive = history.copy(tmp_path / "copy")
    expected = TAMPERINGS[name](archive, history.document)
    result = verify(archive)
    problems = [p for r in result.reports for p in r.problems] + result.problems
    assert not result.ok, f"{name}: not caught"
    assert any(expected in problem for problem in problems), (name, expected, problems)


def test_a_full_rewrite_is_caught_by_an_earlier_head(history: History, tmp_path: Path) -> None:
    archive = history.copy(tmp_path / "copy")
    noted = archive.head()
    doc = history.document
    _edit_text_and_hash(archive, doc)
    # The forger recomputes every hash: the chains are started over the altered records.
    archive.ledger_path(doc).unlink()
    (archive.root / "chain.csv").unlink()
    with archive.writing():
        archive.commit(doc)
    rewritten = verify(archive)
    assert rewritten.ok, "a consistent rewrite passes a plain verify: only a noted head shows it"
    assert rewritten.head != noted
    caught = verify(archive, head=noted)
    assert not caught.ok
    assert any("does not pass through head" in p for p in caught.problems)
    honest = verify(history.copy(tmp_path / "honest"), head=noted[:20])
    assert honest.ok, "an untouched archive passes through its own head (a 20-digit prefix)"


def test_an_earlier_head_stays_valid_as_the_archive_grows(tmp_path: Path) -> None:
    made = _fixture_history(tmp_path)
    archive = Archive(made.root)
    heads = [a.hash for a in archive.anchors()]
    assert len(set(heads)) == len(heads) > 3, "each record moved the head"
    for head in heads:
        assert verify(archive, head=head).ok
    result = verify(archive, head="f" * 64)
    assert not result.ok
