"""``tracker show | changes | search`` and ``diff`` with dates, run as a user runs them: a real
``tracker`` process on an archive filled by ``tracker import``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.servers import page_bytes
from tests.test_cli import ROOT, Cli, make_cli

DOC = "linkedin/privacy-policy"
EU = "linkedin/eu-regional-privacy-notice"

V1 = """# Privacy Policy

## Legal bases

We process your profile data on the basis of your consent, which you may withdraw at any time.

We rely on our **legitimate interests** to keep the service secure.
"""
V2 = """# Privacy Policy

## Legal bases

We process your profile data on the basis of your consent, which you may withdraw at any time.

We keep the service secure because the law requires it.
"""
V3 = """# Privacy Policy

## Legal bases

We process your profile data because it is necessary for the performance of our contract with
you.

Where we rely on Legitimate Interests, such as to train AI models on your posts, you may object.
"""


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """An archive: three Markdown versions of DOC (2023, 2024, 2025) and two of EU (HTML)."""
    cli = make_cli(tmp_path)
    cli.document(DOC, "https://www.linkedin.com/legal/privacy-policy")
    cli.document(EU, "https://www.linkedin.com/legal/privacy/eu")
    markdown = tmp_path / "md"
    markdown.mkdir()
    for stamp, text in (
        ("2023-03-01T10-00-00Z", V1),
        ("2024-06-15T08-30-00Z", V2),
        ("2025-09-18T12-34-39Z", V3),
    ):
        (markdown / f"{stamp}.md").write_text(text, encoding="utf-8")
    cli("import", str(markdown), "--document", DOC)
    html = tmp_path / "html"
    html.mkdir()
    (html / "2025-01-01T00-00-00Z.html").write_bytes(page_bytes("linkedin/privacy-policy/v1.html"))
    (html / "2025-04-01T00-00-00Z.html").write_bytes(page_bytes("linkedin/privacy-policy/v2.html"))
    cli("import", str(html), "--document", EU)
    return cli


def test_show_at_a_date_says_which_version_and_prints_its_text(cli: Cli):
    done = cli("show", DOC, "--at", "2024-12-31")
    assert done.stdout.startswith("# Privacy Policy\n")
    assert "the law requires it" in done.stdout
    head = done.stderr.splitlines()
    assert head[0] == (
        f"{DOC}: the version in force at the end of 2024-12-31 (UTC) is 2024-06-15T08-30-00Z "
        "(the next came at 2025-09-18T12-34-39Z)"
    )
    assert head[1].startswith(
        f"captured 2024-06-15T08:30:00Z (import-markdown) · {DOC}/versions/"
        "2024-06-15T08-30-00Z.md · text SHA-256 "
    )
    latest = cli("show", DOC)
    assert latest.stderr.startswith(f"{DOC}: version 2025-09-18T12-34-39Z, the latest")
    prefix = cli("show", DOC, "--at", "2024")
    assert "the only one starting with 2024" in prefix.stderr


def test_show_json(cli: Cli):
    data = json.loads(cli("show", DOC, "--at", "2025-09-18T12:34:39Z", "--json").stdout)
    assert data["version"] == "2025-09-18T12-34-39Z"
    assert data["resolved"] == "exact"
    assert data["previous_version"] == "2024-06-15T08-30-00Z"
    assert data["next_version"] is None
    assert data["captured_at"] == "2025-09-18T12:34:39Z"
    assert data["text"].startswith("# Privacy Policy")
    assert len(data["text_sha256"]) == 64
    assert set(data) == {
        "document", "asked", "version", "resolved", "moment", "previous_version",
        "next_version", "captured_at", "origin", "technical_upgrade", "source_url", "snapshot",
        "raw_sha256", "text_sha256", "path", "text",
    }  # fmt: skip
    in_force = json.loads(cli("show", EU, "--at", "2025-03-01T00:00:00+01:00", "--json").stdout)
    assert (in_force["version"], in_force["resolved"]) == ("2025-01-01T00-00-00Z", "in-force")
    assert in_force["moment"] == "2025-02-28T23-00-00Z"
    assert in_force["snapshot"] == "raw/2025-01-01T00-00-00Z.html"


def test_show_refuses_what_the_archive_cannot_answer(cli: Cli):
    done = cli("show", DOC, "--at", "2023-02-28", code=2)
    assert done.stderr == (
        f"error: {DOC}: no version in force at the end of 2023-02-28 (UTC): the first version "
        "was recorded at 2023-03-01T10-00-00Z\n"
    )
    done = cli("show", DOC, "--at", "202", code=2)
    assert "expected a date YYYY-MM-DD" in done.stderr
    done = cli("show", "linkedin/nope", code=2)
    assert (
        f"no version of linkedin/nope in {cli.archive} (documents in the archive: {EU}, {DOC})"
        in (done.stderr)
    )


def test_changes_touching_legal_basis_since_a_date(cli: Cli):
    everything = cli("changes")
    lines = everything.stdout.splitlines()
    assert len(lines) == 6 and everything.stderr == "3 changes\n"
    assert lines[0].startswith(f"2024-06-15T08-30-00Z  {DOC}  substantive  ")
    assert lines[1] == f"    {DOC}/changes/2024-06-15T08-30-00Z.html"
    since = cli("changes", "--label", "legal_basis", "--since", "2025-02-01")
    assert [line.split()[:2] for line in since.stdout.splitlines()[::2]] == [
        ["2025-04-01T00-00-00Z", EU],
        ["2025-09-18T12-34-39Z", DOC],
    ]
    assert "+contract" in since.stdout
    data = json.loads(
        cli(
            "changes", "--label", "legitimate_interests", "--document", "linkedin/*", "--json"
        ).stdout
    )
    assert data["query"] == {
        "document": "linkedin/*",
        "labels": ["legitimate_interests"],
        "significance": [],
        "since": None,
        "until": None,
    }
    assert [(c["document"], c["timestamp"]) for c in data["changes"]] == [
        (DOC, "2024-06-15T08-30-00Z"),
        (EU, "2025-04-01T00-00-00Z"),
        (DOC, "2025-09-18T12-34-39Z"),
    ]
    assert data["count"] == 3
    assert data["changes"][0]["lost"] == ["legitimate_interests"]
    assert data["changes"][0]["matched"] == ["legitimate_interests"]
    only_eu = json.loads(
        cli("changes", "--document", "*/eu-*", "--until", "2025-04-01", "--json").stdout
    )
    assert [c["timestamp"] for c in only_eu["changes"]] == ["2025-04-01T00-00-00Z"]
    assert json.loads(cli("changes", "--until", "2024-06-14", "--json").stdout)["count"] == 0
    minor = json.loads(cli("changes", "--significance", "minor", "--json").stdout)
    assert minor["changes"] == []


def test_changes_refuses_unknown_labels_significance_and_documents(cli: Cli):
    done = cli("changes", "--label", "legal-basis-x", code=2)
    assert "unknown label 'legal-basis-x'; labels: ai_training, " in done.stderr
    assert "groups (every label of the group): art9, control, data_category, legal_basis" in (
        done.stderr
    )
    assert (
        "unknown significance 'major'" in cli("changes", "--significance", "major", code=2).stderr
    )
    assert "no document matches 'x/*'" in cli("changes", "--document", "x/*", code=2).stderr
    assert "expected a date" in cli("changes", "--since", "last year", code=2).stderr


def test_search_a_phrase_across_versions(cli: Cli):
    done = cli("search", "Legitimate  interests")
    found = done.stdout.splitlines()
    assert found[0].startswith(f"{EU}: in 1 of 2 versions; first 2025-04-01"), "in id order"
    lines = found[found.index(next(line for line in found if line.startswith(DOC))) :]
    assert lines[0] == (
        f"{DOC}: in 2 of 3 versions; first 2023-03-01T10-00-00Z, last 2025-09-18T12-34-39Z "
        "(still in the latest version)"
    )
    assert lines[1] == "  present in: 2023-03-01T10-00-00Z, 2025-09-18T12-34-39Z"
    assert lines[2] == (
        "  2023-03-01T10-00-00Z [Privacy Policy \u203a Legal bases]: We rely on our legitimate "
        "interests to keep the service secure."
    )
    assert lines[3].startswith(
        "  2025-09-18T12-34-39Z [Privacy Policy \u203a Legal bases]: Where we"
    )
    assert (
        done.stderr == "'Legitimate  interests': found in 2 of 2 documents (5 versions searched)\n"
    )

    data = json.loads(cli("search", "legitimate interests", "--document", DOC, "--json").stdout)
    assert data["phrase"] == "legitimate interests"
    assert data["folded"] == "legitimate interests"
    [doc] = data["documents"]
    assert doc["first"] == "2023-03-01T10-00-00Z"
    assert doc["last"] == "2025-09-18T12-34-39Z"
    assert doc["in_latest"] is True and doc["removed_in"] is None
    assert doc["versions_searched"] == 3 and doc["versions_with_phrase"] == 2
    assert [v["version"] for v in doc["versions"]] == [doc["first"], doc["last"]]

    since = json.loads(cli("search", "withdraw", "--since", "2024-07-01", "--json").stdout)
    [_eu, doc] = sorted(since["documents"], key=lambda d: d["document"])
    assert doc["versions_searched"] == 2, "the version in force on 2024-07-01, and those after"
    assert (doc["first"], doc["last"], doc["removed_in"]) == (
        "2024-06-15T08-30-00Z",
        "2024-06-15T08-30-00Z",
        "2025-09-18T12-34-39Z",
    )
    nothing = cli("search", "vital interests", "--document", DOC)
    assert nothing.stdout == ""
    assert "found in 0 of 1 documents (3 versions searched)" in nothing.stderr


def test_diff_accepts_dates_and_prefixes_and_says_what_they_resolved_to(cli: Cli):
    done = cli("diff", DOC, "--from", "2023-12-31", "--to", "2025-09", "--format", "json")
    record = json.loads(done.stdout)
    assert (record["from"], record["to"]) == ("2023-03-01T10-00-00Z", "2025-09-18T12-34-39Z")
    assert done.stderr.splitlines() == [
        "--to 2025-09: version 2025-09-18T12-34-39Z, the only one starting with 2025-09 "
        "(still the latest)",
        "--from 2023-12-31: the version in force at the end of 2023-12-31 (UTC) is "
        "2023-03-01T10-00-00Z (the next came at 2024-06-15T08-30-00Z)",
    ]
    only_to = json.loads(cli("diff", DOC, "--to", "2025-01-01", "--format", "json").stdout)
    assert (only_to["from"], only_to["to"]) == ("2023-03-01T10-00-00Z", "2024-06-15T08-30-00Z")
    exact = cli("diff", DOC, "--to", "2024-06-15T08-30-00Z", "--format", "json")
    assert exact.stderr == "", "an exact stamp needs no message"
    same = cli("diff", DOC, "--from", "2024-06", "--to", "2024-12-01", code=2)
    assert "are the same version, 2024-06-15T08-30-00Z: nothing to compare" in same.stderr
    first = cli("diff", DOC, "--to", "2023-03", code=2)
    assert "2023-03-01T10-00-00Z is the first version; give --from" in first.stderr
    assert "expected a date" in cli("diff", DOC, "--from", "202", code=2).stderr
    ambiguous = cli("diff", EU, "--from", "2025-0", code=2)
    assert ambiguous.stderr == (
        f"error: {EU}: 2025-0 is ambiguous: 2 versions start with it (2025-01-01T00-00-00Z, "
        "2025-04-01T00-00-00Z); give more of the stamp, or a date YYYY-MM-DD for the version "
        "in force at the end of that day\n"
    )
    done = cli("diff", EU, "--to", "2024-01-01T00-00-00Z", code=2)
    assert "no version in force at 2024-01-01T00-00-00Z: the first version was recorded at" in (
        done.stderr
    )


def test_a_non_default_archive_gets_the_glossary_its_pages_link_to(cli: Cli):
    """Issue 14: with ``--archive`` elsewhere, ``linkedin/README.md`` linked to a missing
    ``../README.md``."""
    platform = (cli.archive / "linkedin" / "README.md").read_text(encoding="utf-8")
    assert "[../README.md](../README.md)" in platform
    glossary = cli.archive / "README.md"
    assert glossary.is_file(), "the link target exists"
    assert glossary.read_text(encoding="utf-8") == (ROOT / "snapshots" / "README.md").read_text(
        encoding="utf-8"
    )
    assert "## Words used here" in glossary.read_text(encoding="utf-8")
    assert f"{DOC}: ok" in cli("verify").stdout
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=cli.archive, capture_output=True, text=True
    )
    assert "README.md" not in status.stdout, "committed with the records"
    glossary.write_text("# Our own guide\n", encoding="utf-8")
    cli("import", str(cli.tmp / "md"), "--document", DOC)
    assert glossary.read_text(encoding="utf-8") == "# Our own guide\n", "never overwritten"


def test_the_packaged_glossary_is_the_projects_archive_readme():
    from tracker.archive.index import archive_guide

    assert archive_guide() == (ROOT / "snapshots" / "README.md").read_text(encoding="utf-8"), (
        "edit snapshots/README.md and tracker/archive/archive-readme.md together"
    )


def test_change_pages_name_both_versions_capture_times_and_hashes(cli: Cli):
    """The footer of a recorded change page, and of ``diff --format html``."""
    old = json.loads(cli("show", DOC, "--at", "2023-03", "--json").stdout)
    new = json.loads(cli("show", DOC, "--at", "2024-06", "--json").stdout)
    recorded = (cli.archive / DOC / "changes" / "2024-06-15T08-30-00Z.html").read_text()
    shown = cli("diff", DOC, "--to", "2024-06", "--format", "html").stdout
    for html in (recorded, shown):
        footer = html[html.index("<footer>") :]
        for version in (old, new):
            assert f"<td>{version['captured_at']}</td>" in footer
            assert f"<code>{version['text_sha256']}</code>" in footer
            assert f"<code>{version['raw_sha256']}</code>" in footer
