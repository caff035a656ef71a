"""The command line, run as a user runs it: a real ``tracker`` process against loopback pages."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import PageServer, Reply, page_bytes
from tracker.archive.store import Archive

ROOT = Path(__file__).resolve().parents[1]
DOC = "linkedin/privacy-policy"


class Cli:
    """Runs ``python -m tracker`` with its config, archive and database in a temporary folder."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.config = tmp / "config"
        self.archive = tmp / "snapshots"
        self.env = {
            **os.environ,
            # this checkout's tracker, not the one the virtualenv was installed from
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "TRACKER_CONFIG": str(self.config),
            "TRACKER_ARCHIVE": str(self.archive),
            "TRACKER_DB": f"sqlite:///{tmp}/state.db",
        }

    def document(self, doc_id: str, url: str, extra: str = "") -> None:
        path = self.config / "documents" / f"{doc_id}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'title = "Test"\nurl = "{url}"\nlanguage = "en"\nrules = "linkedin-legal"\n{extra}'
        )

    def __call__(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "tracker", *args],
            env=self.env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == code, (done.stdout, done.stderr)
        return done

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "tracker", *args],
            env=self.env,
            cwd=self.tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def make_cli(tmp_path: Path) -> Cli:
    """A :class:`Cli` with the project's rules and taxonomy, no retries and no host delay."""
    shutil.copytree(ROOT / "config" / "rules", tmp_path / "config" / "rules")
    shutil.copy(ROOT / "config" / "taxonomy.toml", tmp_path / "config" / "taxonomy.toml")
    (tmp_path / "config" / "tracker.toml").write_text(
        "[fetch]\nretries = 0\nread_timeout = 5\nhost_delay_seconds = 0\n"
        "allow_private_addresses = true\n"
    )
    return Cli(tmp_path)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    yield make_cli(tmp_path)


def test_check_prints_one_line_per_document_and_history_reads_it(cli: Cli, page_server: PageServer):
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    page_server.route("/blocked", Reply(status=999, body=page_bytes("blocked/status-999.html")))
    cli.document(DOC, page_server.url("/p"))
    cli.document("linkedin/user-agreement", page_server.url("/blocked"))
    out = cli("check").stdout.splitlines()
    assert out[0].startswith("linkedin/privacy-policy: first record (")
    assert out[1].startswith("linkedin/user-agreement: inaccessible: http-999")
    assert cli("check", "--document", DOC).stdout.startswith(f"{DOC}: unchanged (")
    cli("check", "--document", "linkedin/user-agreement", "--strict", code=1)

    history = json.loads(cli("history", DOC, "--json").stdout)
    assert history["document"] == DOC
    assert [v["technical_upgrade"] for v in history["versions"]] == [False]
    assert [c["outcome"] for c in history["checks"]] == ["first-record", "unchanged"]
    assert history["changes"] == []
    stamp = history["versions"][0]["timestamp"]
    assert (cli.archive / DOC / "versions" / f"{stamp}.md").exists()
    blocked = json.loads(cli("history", "linkedin/user-agreement", "--json").stdout)
    assert [(c["outcome"], c["cause"]) for c in blocked["checks"]] == [
        ("inaccessible", "http-999"),
        ("inaccessible", "http-999"),
    ]


def test_bad_config_names_file_and_key_and_exits_2(cli: Cli):
    cli.document(DOC, "https://example.test/p", extra='colour = "blue"\n')
    done = cli("validate", code=2)
    assert f"{cli.config / 'documents' / DOC}.toml: colour: unknown key" in done.stderr
    assert "Traceback" not in done.stderr
    done = cli("check", code=2)
    assert "colour: unknown key" in done.stderr


def test_a_locked_state_database_is_one_line_and_exit_2(cli: Cli):
    cli.document(DOC, "http://127.0.0.1:9/p")
    cli("outbox")  # creates the database
    path = cli.tmp / "state.db"
    cli.env["TRACKER_DB"] = f"sqlite:///{path}?timeout=0.5"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as a second tracker writing would
    try:
        done = cli("check", code=2)
    finally:
        holder.close()
    assert done.stderr == (
        f"error: state database sqlite:///{path}?timeout=0.5 ({path}): another process holds a "
        "write lock on it (waited 0.5 s); is a second tracker running? Let it finish or stop it, "
        "then try again (TRACKER_DB / --db sqlite:///PATH?timeout=SECONDS waits longer)\n"
    )
    assert done.stdout == ""
    assert cli("check").stdout.startswith(f"{DOC}: inaccessible"), "fine once released"


def test_validate_lists_the_shipped_documents():
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "--config", str(ROOT / "config"), "validate"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert "is valid: 16 documents" in done.stdout
    assert "linkedin/eu-regional-privacy-notice-fr [fr]" in done.stdout


def test_unknown_document_is_a_clear_error(cli: Cli):
    cli.document(DOC, "https://example.test/p")
    done = cli("check", "--document", "linkedin/nope", code=2)
    assert "unknown document linkedin/nope; known: linkedin/privacy-policy" in done.stderr


def test_import_html_then_markdown_in_time_order_without_duplicates(cli: Cli, tmp_path: Path):
    cli.document(DOC, "https://www.linkedin.com/legal/privacy-policy")
    html = tmp_path / "html"
    html.mkdir()
    (html / "2025-01-01T00-00-00Z.html").write_bytes(page_bytes("linkedin/privacy-policy/v1.html"))
    (html / "2025-02-01T00-00-00Z.html").write_bytes(
        page_bytes("linkedin/privacy-policy/v1-noise.html")
    )
    (html / "2025-03-01T00-00-00Z.html").write_bytes(page_bytes("blocked/authwall.html"))
    (html / "2025-04-01T00-00-00Z.html").write_bytes(page_bytes("linkedin/privacy-policy/v2.html"))
    done = cli("import", str(html), "--document", DOC)
    assert (
        "imported 4 files: 1 first record, 1 unchanged, 1 inaccessible, 1 new version"
        in done.stdout
    )
    history = json.loads(cli("history", DOC, "--json").stdout)
    assert [v["timestamp"] for v in history["versions"]] == [
        "2025-01-01T00-00-00Z",
        "2025-04-01T00-00-00Z",
    ]
    assert [c["timestamp"] for c in history["checks"]] == [
        "2025-01-01T00-00-00Z",
        "2025-02-01T00-00-00Z",
        "2025-03-01T00-00-00Z",
        "2025-04-01T00-00-00Z",
    ]
    again = cli("import", str(html), "--document", DOC)
    assert "4 unchanged" in again.stdout, "re-running an import records nothing twice"
    assert len(json.loads(cli("history", DOC, "--json").stdout)["checks"]) == 4

    markdown = tmp_path / "md"
    markdown.mkdir()
    (markdown / "2025-05-01T00-00-00Z.md").write_text("# Privacy Policy\n\nOnly this.\n")
    cli("import", str(markdown), "--document", DOC)
    latest = (cli.archive / DOC / "current.md").read_text()
    assert "Open Terms Archive" in latest, "imported Markdown is attributed"
    assert '"origin": "import-markdown"' not in latest
    assert 'origin: "import-markdown"' in latest

    older = tmp_path / "older"
    older.mkdir()
    (older / "2024-01-01T00-00-00Z.md").write_text("# Old\n")
    done = cli("import", str(older), "--document", DOC, code=2)
    assert "history can only be appended" in done.stderr


def test_import_refuses_badly_named_files(cli: Cli, tmp_path: Path):
    cli.document(DOC, "https://www.linkedin.com/legal/privacy-policy")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "privacy.html").write_text("<html></html>")
    done = cli("import", str(folder), "--document", DOC, code=2)
    assert "must be a UTC time YYYY-MM-DDTHH-MM-SSZ" in done.stderr
    assert not (cli.archive / DOC).exists(), "nothing is recorded from a refused import"


def test_run_catches_up_at_start_and_stops_cleanly_on_sigterm(cli: Cli, page_server: PageServer):
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    cli.document(DOC, page_server.url("/p"), extra='schedule = "0 0 1 1 *"\n')
    worker = cli.popen("--log-level", "info", "run")
    try:
        checks = cli.archive / DOC / "checks"
        deadline = time.monotonic() + 30
        while not any(checks.glob("*.csv")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any(checks.glob("*.csv")), "a never-checked document is checked at start-up"
        time.sleep(0.3)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert f"{DOC}: first record" in out
    assert "received SIGTERM" in err
    assert "worker stopped" in err
    assert len(page_server.requests_to("/p")) == 1, "caught up once, then waits for its cron"


def test_run_after_a_recent_check_waits_for_the_cron(cli: Cli, page_server: PageServer):
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    cli.document(DOC, page_server.url("/p"), extra='schedule = "0 0 1 1 *"\n')
    cli("check")
    worker = cli.popen("run")
    time.sleep(2.0)
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert len(page_server.requests_to("/p")) == 1, "no catch-up: the cron has not fired since"


def test_diff_between_any_two_versions(cli: Cli, tmp_path: Path):
    cli.document(DOC, "https://www.linkedin.com/legal/privacy-policy")
    html = tmp_path / "html"
    html.mkdir()
    (html / "2025-01-01T00-00-00Z.html").write_bytes(page_bytes("linkedin/privacy-policy/v1.html"))
    (html / "2025-04-01T00-00-00Z.html").write_bytes(page_bytes("linkedin/privacy-policy/v2.html"))
    cli("import", str(html), "--document", DOC)
    record = json.loads(cli("diff", DOC, "--format", "json").stdout)
    assert (record["from"], record["to"]) == ("2025-01-01T00-00-00Z", "2025-04-01T00-00-00Z")
    assert record["significance"] == "substantive"
    text = cli("diff", DOC).stdout
    assert "{+" in text and "\x1b[" not in text, "plain wdiff-style marks when not a terminal"
    coloured = cli("diff", DOC, "--color").stdout
    assert "\x1b[32;4m" in coloured
    page = cli(
        "diff",
        DOC,
        "--from",
        "2025-01-01T00-00-00Z",
        "--to",
        "2025-04-01T00-00-00Z",
        "--format",
        "html",
    ).stdout
    assert page.startswith("<!DOCTYPE html>")
    assert "## " in cli("diff", DOC, "--format", "md").stdout
    history = json.loads(cli("history", DOC, "--json").stdout)
    assert [c["timestamp"] for c in history["changes"]] == ["2025-04-01T00-00-00Z"]
    assert history["changes"][0]["significance"] == "substantive"
    done = cli("diff", DOC, "--to", "2024-01-01T00-00-00Z", code=2)
    assert "no version in force at 2024-01-01T00-00-00Z" in done.stderr


def test_verify_finds_a_tampered_snapshot_and_a_missing_change(cli: Cli, tmp_path: Path):
    cli.document(DOC, "https://www.linkedin.com/legal/privacy-policy")
    html = tmp_path / "html"
    html.mkdir()
    (html / "2025-01-01T00-00-00Z.html").write_bytes(page_bytes("linkedin/privacy-policy/v1.html"))
    (html / "2025-04-01T00-00-00Z.html").write_bytes(page_bytes("linkedin/privacy-policy/v2.html"))
    cli("import", str(html), "--document", DOC)
    done = cli("verify")
    assert f"{DOC}: ok (2 versions, 2 snapshots, 1 change records, " in done.stdout
    assert done.stdout.splitlines()[-1] == f"head: {Archive(cli.archive).head()}"
    snapshot = cli.archive / DOC / "raw" / "2025-01-01T00-00-00Z.html"
    snapshot.write_bytes(snapshot.read_bytes().replace(b"Privacy", b"Privacv", 1))
    (cli.archive / DOC / "changes" / "2025-04-01T00-00-00Z.json").unlink()
    done = cli("verify", "--document", DOC, code=1)
    assert "raw/2025-01-01T00-00-00Z.html: changed since it was recorded" in done.stdout
    assert "raw/2025-01-01T00-00-00Z.html: SHA-256 " in done.stdout
    assert "differs from versions/2025-01-01T00-00-00Z.md" in done.stdout
    assert (
        "raw/2025-01-01T00-00-00Z.html: SHA-256 differs from raw/2025-01-01T00-00-00Z.json"
        in done.stdout
    )
    assert "changes/2025-04-01T00-00-00Z.json: missing (recorded in chain.csv" in done.stdout
    assert "versions/2025-04-01T00-00-00Z.md: no change record in changes/" in done.stdout
