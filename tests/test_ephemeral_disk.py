"""The tracker on a host whose disk is wiped at every restart (issue 11), as real processes.

A local bare git repository is the archive's remote, a loopback server serves the page, and the
fake Bot API stands in for Telegram. Between two passes the archive folder and the SQLite file
are deleted while the page changes: the history must come back from the remote, the change be
found against the version before (not as a first record) and alerted once, and the alert the
first run left pending be delivered all the same, once.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram
from tests.servers import PageServer, Reply, page_bytes
from tests.test_cli import Cli, cli  # noqa: F401 - the fixture
from tests.writers import variant
from tracker.archive import Archive

DOC = "linkedin/privacy-policy"
CHANNEL = -1001234


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        server.add_channel(CHANNEL, "policy_watch_en")
        yield server


def bare_remote(tmp: Path) -> Path:
    """An empty bare repository: the archive's remote."""
    remote = tmp / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    return remote


def remote_log(remote: Path) -> list[str]:
    """The subjects of the remote's commits, newest first."""
    done = subprocess.run(
        ["git", "--git-dir", str(remote), "log", "--format=%s", "main"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def wipe(cli: Cli) -> None:  # noqa: F811
    """What a restart does to an ephemeral disk: no archive folder, no database."""
    shutil.rmtree(cli.archive)
    for suffix in ("", "-wal", "-shm"):
        (cli.tmp / f"state.db{suffix}").unlink(missing_ok=True)


@pytest.fixture
def tracker(cli: Cli, page_server: PageServer, tmp_path: Path) -> Cli:  # noqa: F811
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    cli.document(DOC, page_server.url("/p"))
    (cli.config / "channels").mkdir(parents=True)
    (cli.config / "channels" / "watch.toml").write_text(
        'chat_id = "@policy_watch_en"\ndocuments = ["linkedin/*"]\n'
    )
    with (cli.config / "tracker.toml").open("a") as handle:
        handle.write("[telegram]\npace_seconds = 0\n")
    cli.env["TRACKER_ARCHIVE_REMOTE"] = str(bare_remote(tmp_path))
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
    assert remote_log(tmp_path / "remote.git")[0] == f"Record new version of {DOC}"

    wipe(tracker)
    page_server.route("/p", Reply(body=variant(page_bytes("linkedin/privacy-policy/v2.html"), 1)))
    tracker.env["TELEGRAM_BOT_TOKEN"] = fake.token
    tracker.env["TELEGRAM_API_BASE_URL"] = fake.base_url
    third = tracker("check")
    assert f"{DOC}: new version" in third.stdout, third.stdout
    assert "first record" not in third.stdout
    assert "cloned" in third.stderr
    assert "is new but the archive has history" in third.stderr  # the WARNING
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
