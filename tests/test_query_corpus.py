"""Acceptance over the real corpus: the questions of issue 14 on the real EU notice history.

``tracker import`` of Open Terms Archive's Markdown versions of LinkedIn's European Regional
Privacy Notice (``../shared/corpus``, read in place), then ``show --at 2025-10-01``, ``search
"legitimate interest"``, ``changes --label legal_basis --since 2023`` and ``diff`` between
dates, as a lawyer types them. Skips with a reason when the corpus is absent.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.corpus import CORPUS, REQUIRES_CORPUS
from tests.test_cli import ROOT, Cli, make_cli

pytestmark = REQUIRES_CORPUS

EU = "linkedin/eu-regional-privacy-notice"
SERIES = CORPUS / "linkedin" / "eu-regional-privacy-notice" / "markdown" / "en_pga"


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = make_cli(tmp_path_factory.mktemp("eu"))
    target = cli.config / "documents" / f"{EU}.toml"
    target.parent.mkdir(parents=True)
    shutil.copy(ROOT / "config" / "documents" / f"{EU}.toml", target)
    done = cli("import", str(SERIES), "--document", EU)
    assert "imported 6 files" in done.stdout
    return cli


def test_show_the_notice_in_force_on_2025_10_01(cli: Cli):
    data = json.loads(cli("show", EU, "--at", "2025-10-01", "--json").stdout)
    assert data["version"] == "2025-09-18T12-34-39Z"
    assert data["resolved"] == "in-force"
    assert data["next_version"] == "2025-11-04T00-35-00Z"
    assert data["captured_at"] == "2025-09-18T12:34:39Z"
    assert "Legitimate Interests" in data["text"]
    text = cli("show", EU, "--at", "2025-10-01")
    assert text.stdout == data["text"] + ("" if data["text"].endswith("\n") else "\n")
    assert "is 2025-09-18T12-34-39Z (the next came at 2025-11-04T00-35-00Z)" in text.stderr


def test_search_legitimate_interest(cli: Cli):
    data = json.loads(cli("search", "legitimate interest", "--json").stdout)
    [doc] = data["documents"]
    assert doc["versions_searched"] == 5, "6 files, one unchanged"
    assert doc["first"] == "2025-06-10T00-32-38Z"
    assert doc["last"] == "2026-08-22T00-48-36Z"
    assert doc["in_latest"] is True
    excerpts = [e["text"] for v in doc["versions"] for e in v["excerpts"]]
    assert any("legitimate interests" in e.lower() for e in excerpts)
    assert cli("search", "legitimate interest").stdout.startswith(
        f"{EU}: in 5 of 5 versions; first 2025-06-10T00-32-38Z, last 2026-08-22T00-48-36Z"
    )


def test_changes_touching_legal_basis_since_2023(cli: Cli):
    data = json.loads(cli("changes", "--label", "legal_basis", "--since", "2023", "--json").stdout)
    by_stamp = {c["timestamp"]: c for c in data["changes"]}
    ai_change = by_stamp["2025-09-18T12-34-39Z"]
    assert "legitimate_interests" in ai_change["gained"]
    assert "consent" not in ai_change["lost"], "a removed banner while consent still stands"
    assert all(c["significance"] == "substantive" for c in data["changes"])


def test_diff_between_two_dates(cli: Cli):
    done = cli("diff", EU, "--from", "2025-07-01", "--to", "2025-10-01", "--format", "json")
    record = json.loads(done.stdout)
    assert (record["from"], record["to"]) == ("2025-06-10T00-32-38Z", "2025-09-18T12-34-39Z")
    assert "--from 2025-07-01: the version in force at the end of 2025-07-01 (UTC)" in done.stderr
