"""The tracker on a host whose disk is wiped at every restart (issue 11), as real processes.

A local bare git repository is the archive's remote, a loopback server serves the page, and the
fake Bot API stands in for Telegram. Between two passes the archive folder and the SQLite file
are deleted (with PostgreSQL, which lives on another host, only the folder) while the page
changes: the history must come back from the remote, the change be found against the version
before (not as a first record) and alerted once, and the alert the first run left pending be
delivered all the same, once.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram
from tests.servers import PageServer, Reply, page_bytes
from tests.test_cli import Cli, cli  # noqa: F401 - the fixture
from tests.test_failover import Worker, stop, wait_until
from tests.writers import bare, subjects, variant
from tracker.archive.store import Archive

DOC = "linkedin/privacy-policy"
CHANNEL = -1001234


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        server.add_channel(CHANNEL, "policy_watch_en")
        yield server


def wipe(cli: Cli) -> None:  # noqa: F811
    """What a restart does to an ephemeral disk: no archive folder, no SQLite database."""
    shutil.rmtree(cli.archive)
    for suffix in ("", "-wal", "-shm"):
        (cli.tmp / f"state.db{suffix}").unlink(missing_ok=True)


def follow(cli: Cli) -> None:  # noqa: F811
    """The channel of the fake Telegram follows every LinkedIn document."""
    (cli.config / "channels").mkdir(parents=True)
    (cli.config / "channels" / "watch.toml").write_text(
        'chat_id = "@policy_watch_en"\ndocuments = ["linkedin/*"]\n'
    )


def on_sqlite(cli: Cli) -> bool:  # noqa: F811
    return cli.env["TRACKER_DB"].startswith("sqlite:")


@pytest.fixture
def tracker(cli: Cli, page_server: PageServer, tmp_path: Path, db_url: str) -> Cli:  # noqa: F811
    """The tracker with a git remote, on SQLite (its file on the wiped disk) or PostgreSQL."""
    cli.env["TRACKER_DB"] = db_url
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    cli.document(DOC, page_server.url("/p"))
    follow(cli)
    with (cli.config / "tracker.toml").open("a") as handle:
        handle.write("[telegram]\npace_seconds = 0\n")
    cli.env["TRACKER_ARCHIVE_REMOTE"] = str(bare(tmp_path / "remote.git"))
    return cli


def test_a_wiped_disk_loses_no_history_and_no_alert(
    tracker: Cli, page_server: PageServer, fake: FakeTelegram, tmp_path: Path
):
    first = tracker("check").stdout
    assert f"{DOC}: first record" in first
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v2.html"))
    second = tracker("check").stdout  # no token yet: the alert is printed and kept pending
    assert f"{DOC}: new version" in second
    assert "no TELEGRAM_BOT_TOKEN" in second
    before = Archive(tracker.archive).version_stamps(DOC)
    assert len(before) == 2
    assert subjects(tmp_path / "remote.git")[0] == f"Record new version of {DOC}"

    wipe(tracker)
    page_server.route("/p", Reply(body=variant(page_bytes("linkedin/privacy-policy/v2.html"), 1)))
    tracker.env["TELEGRAM_BOT_TOKEN"] = fake.token
    tracker.env["TELEGRAM_API_BASE_URL"] = fake.base_url
    third = tracker("check")
    assert f"{DOC}: new version" in third.stdout, third.stdout
    assert "first record" not in third.stdout
    assert "cloned" in third.stderr
    # The WARNING when the database was lost too (PostgreSQL kept it: nothing to say).
    assert ("is new but the archive has history" in third.stderr) is on_sqlite(tracker)
    after = Archive(tracker.archive).version_stamps(DOC)
    assert after[:2] == before, "the history came back from the remote"
    assert len(after) == 3
    record = Archive(tracker.archive).read_version(DOC, after[2])
    assert record.meta["previous"] == before[1], "compared with the version before the wipe"
    assert tracker("verify").stdout.splitlines()[-1].startswith("head: ")

    sent = fake.messages(CHANNEL)
    pages = [m.document_name for m in sent if m.document_name]
    assert sorted(pages) == sorted(
        f"linkedin-privacy-policy-{stamp}.html" for stamp in after[1:]
    ), pages
    assert "6 sent" in third.stdout

    wipe(tracker)  # a second restart: nothing is sent twice
    page_server.route("/p", Reply(body=variant(page_bytes("linkedin/privacy-policy/v2.html"), 1)))
    fourth = tracker("check")
    assert f"{DOC}: unchanged" in fourth.stdout
    assert len(fake.messages(CHANNEL)) == len(sent)
    assert tracker("verify").returncode == 0


def test_the_worker_on_a_wiped_disk_loses_no_history_and_no_alert(
    cli: Cli,  # noqa: F811
    page_server: PageServer,
    fake: FakeTelegram,
    tmp_path: Path,
):
    """The same with ``tracker run``: killed by the restart, started again on an empty disk.

    The history starts with a snapshot imported as of 31 December (so the worker finds the
    document due at once); the cron fires every minute, so after the wipe the worker checks
    again at the next minute, against the history it cloned back.
    """
    tracker = cli
    remote = bare(tmp_path / "remote.git")
    tracker.env["TRACKER_ARCHIVE_REMOTE"] = str(remote)
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v2.html"))
    tracker.document(DOC, page_server.url("/p"))
    follow(tracker)
    with (tracker.config / "tracker.toml").open("a") as handle:
        handle.write('[telegram]\npace_seconds = 0\n[schedule]\ncron = "* * * * *"\n')
        handle.write("jitter_seconds = 0\n")
    imported = tmp_path / "import"
    imported.mkdir()
    (imported / "2025-12-31T00-00-00Z.html").write_bytes(
        page_bytes("linkedin/privacy-policy/v1.html")
    )
    tracker("import", str(imported), "--document", DOC)

    first = start_worker(tracker)
    try:
        wait_until(lambda: f"{DOC}: new version" in first.said(), "the first run's change", 60)
        wait_until(lambda: f"Record new version of {DOC}" in subjects(remote), "its push", 30)
    finally:
        assert stop(first) == 0, first.log()
    before = Archive(tracker.archive).version_stamps(DOC)
    assert len(before) == 2
    assert "no TELEGRAM_BOT_TOKEN" in first.said(), "its alert is left pending"

    wipe(tracker)
    page_server.route("/p", Reply(body=variant(page_bytes("linkedin/privacy-policy/v2.html"), 1)))
    tracker.env["TELEGRAM_BOT_TOKEN"] = fake.token
    tracker.env["TELEGRAM_API_BASE_URL"] = fake.base_url
    second = start_worker(tracker)
    try:
        wait_until(
            lambda: len([m for m in fake.messages(CHANNEL) if m.document_name]) >= 2,
            "both alerts delivered (the pending one, then the new change's)",
            90,
        )
        time.sleep(1.0)  # anything sent twice would come now
    finally:
        assert stop(second) == 0, second.log()
    assert "cloned" in second.log()
    # Queued again at start-up, not at the document's next check (which may be hours away).
    assert f"{DOC}: the alerts of {before[1]} queued again" in second.log()
    after = Archive(tracker.archive).version_stamps(DOC)
    assert after[:2] == before and len(after) == 3, "history back, one new version"
    assert Archive(tracker.archive).read_version(DOC, after[2]).meta["previous"] == before[1]
    pages = [m.document_name for m in fake.messages(CHANNEL) if m.document_name]
    assert sorted(pages) == [f"linkedin-privacy-policy-{stamp}.html" for stamp in after[1:]]
    assert tracker("verify").returncode == 0


_started = 0


def start_worker(tracker: Cli) -> Worker:
    """``tracker run`` on the test's configuration, its output in files."""
    global _started
    _started += 1
    out, err = tracker.tmp / f"worker-{_started}.out", tracker.tmp / f"worker-{_started}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tracker", "--log-level", "info", "run"],
            env=tracker.env,
            cwd=tracker.tmp,
            stdout=stdout,
            stderr=stderr,
        )
    return Worker(f"worker-{_started}", process, out, err)
