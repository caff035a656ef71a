"""Imported versions keep where they came from: repository, commit and path, or name and hash."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TAXONOMY_PATH
from tests.servers import page_bytes
from tracker.archive.provenance import provenance_of
from tracker.archive.store import Archive
from tracker.backfill import backfill
from tracker.classify.taxonomy import load_taxonomy
from tracker.models import Document, ExtractRules, sha256_hex

DOC = Document(
    id="linkedin/privacy-policy",
    title="Privacy Policy",
    url="https://www.linkedin.com/legal/privacy-policy",
    language="en",
    rules=ExtractRules(select=("#component-container",), min_text_chars=200),
)
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@needs_git
def test_a_version_imported_from_a_git_checkout_names_repository_commit_and_path(tmp_path: Path):
    repo = tmp_path / "versions-repo"
    folder = repo / "LinkedIn" / "Privacy Policy"
    folder.mkdir(parents=True)
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.test")
    _git(repo, "config", "user.name", "Test")
    _git(repo, "remote", "add", "origin", "https://user:secret@example.test/ota/versions.git")
    (folder / "2025-01-01T00-00-00Z.html").write_bytes(
        page_bytes("linkedin/privacy-policy/v1.html")
    )
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "First record")
    first = _git(repo, "rev-parse", "HEAD")
    (folder / "2025-03-01T00-00-00Z.html").write_bytes(
        page_bytes("linkedin/privacy-policy/v2.html")
    )
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "Record new changes")
    second = _git(repo, "rev-parse", "HEAD")
    archive = Archive(tmp_path / "snapshots")
    backfill(DOC, archive, folder, load_taxonomy(TAXONOMY_PATH))
    versions = list(archive.iter_versions(DOC.id))
    assert [v.meta["provenance"]["commit"] for v in versions] == [first, second]
    origin = versions[1].meta["provenance"]
    assert origin["repository"] == "https://example.test/ota/versions.git", "no credentials kept"
    assert origin["path"] == "LinkedIn/Privacy Policy/2025-03-01T00-00-00Z.html"
    assert origin["sha256"] == sha256_hex(page_bytes("linkedin/privacy-policy/v2.html"))
    raw_meta = json.loads(
        (archive.folder(DOC.id) / "raw" / f"{versions[1].timestamp}.json").read_text()
    )
    assert raw_meta["provenance"] == origin


def test_a_plain_folder_gives_the_file_name_and_hash(tmp_path: Path):
    folder = tmp_path / "plain"
    folder.mkdir()
    body = page_bytes("linkedin/privacy-policy/v1.html")
    (folder / "2025-01-01T00-00-00Z.html").write_bytes(body)
    archive = Archive(tmp_path / "snapshots")
    backfill(DOC, archive, folder, load_taxonomy(TAXONOMY_PATH))
    [version] = archive.iter_versions(DOC.id)
    assert version.meta["provenance"] == {
        "file": "2025-01-01T00-00-00Z.html",
        "sha256": sha256_hex(body),
    }
    assert provenance_of(folder)(folder / "2025-01-01T00-00-00Z.html") == {
        "file": "2025-01-01T00-00-00Z.html"
    }
