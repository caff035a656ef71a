"""The archive in git (issue 11): commits, the remote, start-up restore, failed pushes.

Real ``git`` on temporary repositories, and ``tracker`` run as a process against a loopback
page server; the remote is a local bare repository (or a path that is missing for a while, for
an unreachable one).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.servers import PageServer, Reply, page_bytes
from tests.test_cli import Cli, cli  # noqa: F401 - the fixture
from tests.writers import bare, git, subjects, variant
from tracker.archive.commit_messages import Event, checks_message, document_message
from tracker.archive.gitstore import ArchiveDivergedError, GitSettings, GitStore, redact
from tracker.archive.history import PUSH_KEY, PUSH_RETRY_SECONDS, History, PushRecord, is_empty
from tracker.archive.store import Archive
from tracker.config import load
from tracker.errors import ConfigError
from tracker.models import Outcome
from tracker.state.store import State
from tracker.timestamps import utc_now

DOC = "linkedin/privacy-policy"
V1 = "linkedin/privacy-policy/v1.html"
V2 = "linkedin/privacy-policy/v2.html"


@pytest.fixture
def tracker(cli: Cli, page_server: PageServer, tmp_path: Path) -> Cli:  # noqa: F811
    page_server.route("/p", Reply.page(V1))
    cli.document(DOC, page_server.url("/p"))
    cli.env["HOME"] = str(tmp_path / "home")  # no global git identity, as on a fresh host
    return cli


def with_remote(cli: Cli, remote: Path | str) -> Cli:  # noqa: F811
    cli.env["TRACKER_ARCHIVE_REMOTE"] = str(remote)
    return cli


def second_copy(cli: Cli, tmp: Path, name: str) -> Cli:  # noqa: F811
    """Another tracker with the same configuration and remote, its own archive and database."""
    other = Cli(cli.tmp)
    other.env = {
        **cli.env,
        "TRACKER_ARCHIVE": str(tmp / name / "snapshots"),
        "TRACKER_DB": f"sqlite:///{tmp / name / 'state.db'}",
    }
    other.archive = tmp / name / "snapshots"
    return other


# --------------------------------------------------------------------------- without a remote
def test_each_pass_commits_with_the_grammar_and_the_archive_head(
    tracker: Cli, page_server: PageServer
):
    tracker("check")
    tracker("check")
    page_server.route("/p", Reply.page(V2))
    tracker("check")
    log = subjects(tracker.archive)
    assert log == [
        f"Record new version of {DOC}",
        "Record checks: 1 document",
        f"Record first version of {DOC}",
    ]
    message = git("--git-dir", str(tracker.archive / ".git"), "log", "-1", "--format=%B")
    head = tracker("verify").stdout.splitlines()[-1].removeprefix("head: ")
    assert f"Archive-Head: {head}" in message
    assert f"Document: {DOC}" in message
    version = Archive(tracker.archive).version_stamps(DOC)[-1]
    assert f"Version: {version}" in message
    author = git("--git-dir", str(tracker.archive / ".git"), "log", "-1", "--format=%an <%ae>")
    assert author.strip() == "policy-tracker <tracker@localhost>"
    status = git("--git-dir", str(tracker.archive / ".git"), "--work-tree", str(tracker.archive),
                 "status", "--porcelain", "--ignored")  # fmt: skip
    assert status.split() == ["!!", ".lock", "!!", ".send.lock"], "only the locks are left out"


def test_an_archive_folder_without_git_gets_a_first_commit_of_its_content(tracker: Cli):
    tracker("check")
    archive = tracker.archive
    for name in (".git", ".gitignore", ".gitattributes"):
        path = archive / name
        if path.is_dir():
            import shutil

            shutil.rmtree(path)
        else:
            path.unlink()
    done = tracker("check")
    assert "put under git" in done.stderr
    assert subjects(archive) == ["Record checks: 1 document", "Start the archive's history"]
    tree = git("--git-dir", str(archive / ".git"), "ls-tree", "-r", "--name-only", "HEAD~1")
    assert any(name.startswith(f"{DOC}/checks/") for name in tree.splitlines())


def test_a_commit_of_a_document_holds_the_chain_up_to_its_own_entry(tmp_path: Path):
    """Two documents recorded in one pass: each commit's tree ends the chain at its document."""
    archive = Archive(tmp_path / "a")
    state = State("sqlite://")
    history = History(archive, GitSettings(), state, now=utc_now)
    with archive.writing():
        history.start()
        for document in ("x/one", "x/two"):
            folder = archive.folder(document)
            folder.mkdir(parents=True)
            (folder / "checks.csv").write_text(
                "checked_at,outcome\n2026-01-01T00:00:00Z,unchanged\n"
            )
            assert archive.commit(document) == 1
        from tracker.pipeline import Result

        made = history.commit_pass(
            [Result("x/one", Outcome.FIRST_RECORD, "s1"), Result("x/two", Outcome.FIRST_RECORD)]
        )
    assert made == 2
    git_dir = str(archive.root / ".git")
    first = git("--git-dir", git_dir, "show", "HEAD~1:chain.csv").splitlines()
    assert len(first) == 2 and ",x/one," in first[1]
    anchors = archive.anchors()
    message = git("--git-dir", git_dir, "log", "-1", "--skip=1", "--format=%B")
    assert f"Archive-Head: {anchors[0].hash}" in message
    assert git("--git-dir", git_dir, "show", "HEAD:chain.csv").count("\n") == 3


def test_a_check_commits_only_what_it_can_have_touched_and_the_timer_the_rest(tmp_path: Path):
    """A check's commit stages its document's folder, the indexes above it and the archive's
    own files, not the whole tree (which would cost every check as much as the archive is
    large); the worker's periodic publish (no results) commits whatever else changed."""
    from tracker.pipeline import Result

    archive = Archive(tmp_path / "a")
    history = History(archive, GitSettings(), State("sqlite://"), now=utc_now)
    with archive.writing():
        history.start()
        for document in ("x/one", "y/two"):
            archive.folder(document).mkdir(parents=True)
            (archive.folder(document) / "notes.txt").write_text("first\n")
        history.commit_pass([])
        for document in ("x/one", "y/two"):
            (archive.folder(document) / "notes.txt").write_text("second\n")
        (archive.root / "x" / "README.md").write_text("index of x\n")

        assert history.commit_pass([Result("x/one", Outcome.UNCHANGED, "s1")]) == 1
        git_dir = str(archive.root / ".git")
        changed = git("--git-dir", git_dir, "show", "--name-only", "--format=", "HEAD")
        assert sorted(changed.split()) == ["x/README.md", "x/one/notes.txt"]
        assert git("-C", str(archive.root), "status", "--porcelain").split() == [
            "M",
            "y/two/notes.txt",
        ]

        assert history.commit_pass([]) == 1
    assert git("-C", str(archive.root), "status", "--porcelain") == ""


def test_messages_name_the_outcome_and_list_the_pass():
    events = [
        Event(DOC, Outcome.TECHNICAL_UPGRADE, "2026-01-01T00-00-00Z"),
        Event(DOC, Outcome.NEW_VERSION, "2026-01-01T00-00-01Z"),
    ]
    message = document_message(DOC, events, "ab" * 32)
    assert message.splitlines()[0] == f"Record new version of {DOC}"
    assert f"{DOC}: technical upgrade 2026-01-01T00-00-00Z" in message
    assert "Version: 2026-01-01T00-00-01Z" in message
    rest = checks_message(
        [Event("a/b", Outcome.UNCHANGED), Event("a/c", Outcome.INACCESSIBLE, cause="http-999")],
        "cd" * 32,
        delivered=2,
    )
    assert rest.splitlines()[0] == "Record checks: 2 documents"
    assert "a/c: inaccessible (http-999)" in rest
    assert "deliveries.csv: 2 alerts delivered" in rest
    assert checks_message([], "", delivered=1).startswith("Record deliveries: 1 alert\n")


# --------------------------------------------------------------------------- the remote
def test_an_empty_folder_is_cloned_from_the_remote(tmp_path: Path):
    remote = bare(tmp_path / "remote.git")
    source = Archive(tmp_path / "source")
    settings = GitSettings(remote=str(remote))
    history = History(source, settings, State("sqlite://"), now=utc_now)
    with source.writing():
        history.start()
        (source.root / "x").mkdir()
        (source.root / "x" / "checks.csv").write_text("checked_at\n")
        history.commit_pass([])
        assert history.push() == f"archive: pushed 1 commits to {remote}"
    target = Archive(tmp_path / "target")
    target.root.mkdir()
    (target.root / "README.md").write_text("the project's own README\n")
    assert is_empty(target), "a folder with only the project's README.md holds no history"
    with target.writing():
        done = History(target, settings, State("sqlite://"), now=utc_now).start()
    assert done == [f"cloned 1 commits from {remote}"]
    assert (target.root / "x" / "checks.csv").read_text() == "checked_at\n"
    assert GitStore(target.root, settings).head() == GitStore(source.root, settings).head()


def test_an_archive_behind_its_remote_is_fast_forwarded_before_checking(
    tracker: Cli, page_server: PageServer, tmp_path: Path
):
    remote = bare(tmp_path / "remote.git")
    first = with_remote(tracker, remote)
    first("check")
    other = second_copy(first, tmp_path, "other")
    other("check")  # cloned, then one more check pushed
    assert subjects(remote)[0] == "Record checks: 1 document"
    page_server.route("/p", Reply.page(V2))
    done = first("check")
    assert "fast-forwarded 1 commits" in done.stderr
    assert f"{DOC}: new version" in done.stdout
    assert subjects(remote) == subjects(first.archive)
    assert len(Archive(first.archive).checks(DOC)) == 3


def test_a_diverged_archive_is_refused_and_keeps_its_commits(
    tracker: Cli, page_server: PageServer, tmp_path: Path
):
    remote = bare(tmp_path / "remote.git")
    first = with_remote(tracker, remote)
    first("check")
    other = second_copy(first, tmp_path, "other")
    other("check")  # pushes a commit the first archive lacks
    store = GitStore(first.archive, GitSettings())
    (first.archive / "note.txt").write_text("a local commit\n")
    store.stage()
    store.commit("A local commit\n")
    local = store.head()
    done = first("check", code=3)
    assert "have diverged" in done.stderr
    assert "nothing is ever discarded" in done.stderr
    assert store.head() == local
    assert "checked" not in done.stdout and done.stdout == ""


def test_a_failed_push_is_retried_reported_once_and_its_recovery_too(
    tracker: Cli, page_server: PageServer, tmp_path: Path
):
    remote = bare(tmp_path / "remote.git")
    with (tracker.config / "tracker.toml").open("a") as handle:
        handle.write(
            "[alerts]\ninactive = 0\n".replace("inactive = 0\n", "inaccessible_after = 2\n")
        )
        handle.write('[telegram]\nmaintainers_chat_id = "-1009999"\n')
    with_remote(tracker, remote)("check")
    away = tmp_path / "away.git"
    remote.rename(away)  # the remote is gone: pushes fail, checks go on
    outputs = []
    for n in range(3):
        page_server.route("/p", Reply(body=variant(page_bytes(V1), n)))
        outputs.append(tracker("check"))
    assert "cannot reach" in outputs[0].stderr
    assert all("push to" in o.stdout and "failed" in o.stdout for o in outputs)
    assert "3 in a row" in outputs[2].stdout
    local = subjects(tracker.archive)
    assert len(local) == 4, "every pass committed, nothing was lost"
    away.rename(remote)
    done = tracker("check")
    assert "archive: pushed" in done.stdout
    assert subjects(remote) == subjects(tracker.archive)
    assert subjects(remote)[1:] == local
    keys = alert_keys(tracker)
    failed = [k for k in keys if k.startswith("archive-push-failed:")]
    recovered = [k for k in keys if k.startswith("archive-push-recovered:")]
    assert len(failed) == 1 and len(recovered) == 1
    record = PushRecord.parse(State(f"sqlite:///{tracker.tmp}/state.db").get_meta(PUSH_KEY))
    assert record.failures == 0 and record.last_success == record.last_attempt


def alert_keys(cli: Cli) -> list[str]:  # noqa: F811
    db = sqlite3.connect(cli.tmp / "state.db")
    try:
        return [row[0] for row in db.execute("SELECT key FROM alerts ORDER BY id")]
    finally:
        db.close()


def test_an_unreachable_remote_at_start_refuses_an_empty_archive(tracker: Cli, tmp_path: Path):
    with_remote(tracker, tmp_path / "missing.git")
    done = tracker("check", code=3)
    assert "cannot restore the archive" in done.stderr
    assert "nothing was checked" in done.stderr
    assert not (tracker.archive / DOC).exists()


def test_remote_credentials_never_reach_the_output_or_the_disk(
    tracker: Cli, page_server: PageServer
):
    secret = "s3cr3t-t0ken-value"
    url = page_server.url("/archive.git").replace("http://", f"http://bot:{secret}@")
    with_remote(tracker, url)
    refused = tracker("--log-level", "debug", "check", code=3)
    assert secret not in refused.stdout + refused.stderr
    assert "http://***@127.0.0.1" in refused.stderr
    del tracker.env["TRACKER_ARCHIVE_REMOTE"]
    tracker("check")  # a local history first; then the remote fails at every push
    with_remote(tracker, url)
    done = tracker("--log-level", "debug", "check")
    assert "push to http://***@127.0.0.1" in done.stdout
    assert secret not in done.stdout + done.stderr
    for path in tracker.archive.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert secret.encode() not in (tracker.tmp / "state.db").read_bytes()


def test_redact_hides_the_credentials_of_any_url():
    remote = "https://bot:tok3n-abc@git.example.org/archive.git"
    said = f"fatal: unable to access '{remote}/': tok3n-abc rejected"
    assert redact(said, remote) == (
        "fatal: unable to access 'https://***@git.example.org/archive.git/': *** rejected"
    )


# --------------------------------------------------------------------------- configuration
def test_an_archive_given_as_a_url_is_refused(tracker: Cli):
    done = tracker("--archive", "s3://bucket/policies", "check", code=2)
    assert "--archive / TRACKER_ARCHIVE" in done.stderr
    assert "looks like a URL" in done.stderr
    assert "TRACKER_ARCHIVE_REMOTE" in done.stderr
    tracker.env["TRACKER_ARCHIVE"] = "https://example.org/archive"
    assert "looks like a URL" in tracker("check", code=2).stderr
    assert not (tracker.tmp / "s3:").exists() and not (tracker.tmp / "https:").exists()


def test_the_remote_comes_from_the_file_and_the_environment_wins(tmp_path: Path):
    config = tmp_path / "config"
    (config / "documents" / "x").mkdir(parents=True)
    (config / "documents" / "x" / "y.toml").write_text(
        'title = "T"\nurl = "https://example.org/"\nlanguage = "en"\n[extract]\nselect = ["main"]\n'
    )
    (config / "tracker.toml").write_text(
        '[archive]\nremote = "git@example.org:legal/archive.git"\nauthor = "Watch <w@x.org>"\n'
    )
    settings = load(config, environ={})
    assert settings.git.remote == "git@example.org:legal/archive.git"
    assert (settings.git.author_name, settings.git.author_email) == ("Watch", "w@x.org")
    assert load(config, environ={"TRACKER_ARCHIVE_REMOTE": "/srv/a.git"}).git.remote == (
        "/srv/a.git"
    )
    (config / "tracker.toml").write_text('[archive]\nremote = "--upload-pack=evil"\n')
    with pytest.raises(ConfigError, match=r"tracker.toml: archive.remote: .*cannot start with"):
        load(config, environ={})
    (config / "tracker.toml").write_text('[archive]\nauthor = "nobody"\n')
    with pytest.raises(ConfigError, match=r"archive.author: .*Name <email>"):
        load(config, environ={})
    (config / "tracker.toml").write_text("")
    with pytest.raises(ConfigError, match="TRACKER_ARCHIVE_REMOTE: "):
        load(config, environ={"TRACKER_ARCHIVE_REMOTE": "-x"})


def test_the_diverged_error_is_an_archive_error():
    from tracker.errors import ArchiveError

    assert issubclass(ArchiveDivergedError, ArchiveError)


# --------------------------------------------------------------------------- tracker run
def test_the_worker_pushes_after_its_checks(tracker: Cli, tmp_path: Path):
    remote = bare(tmp_path / "remote.git")
    with_remote(tracker, remote)
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker", "run"],
        env=tracker.env,
        cwd=tracker.tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        pushed: list[str] = []
        while time.monotonic() < deadline and not pushed:
            time.sleep(0.3)
            try:
                pushed = subjects(remote)
            except subprocess.CalledProcessError:
                continue  # nothing pushed yet
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    # The platforms' index page is written after the batch of checks: its own commit may follow.
    assert pushed[-1] == f"Record first version of {DOC}", (out, err)
    assert set(pushed[:-1]) <= {"Update the archive's indexes"}, (out, err)
    assert process.returncode == 0


def test_the_worker_retries_a_failed_push_on_its_timer_not_more_often(tmp_path: Path):
    clock = [utc_now()]
    archive = Archive(tmp_path / "a")
    remote = tmp_path / "remote.git"
    history = History(archive, GitSettings(remote=str(remote)), State("sqlite://"),
                      now=lambda: clock[0])  # fmt: skip
    with archive.writing():
        History(archive, GitSettings(), history.state, now=utc_now).start()  # a local history
        (archive.root / "x.txt").write_text("x\n")
        history.commit_pass([])
        assert history.push(periodic=True) is None, "nothing failed yet: the timer does not push"
        failed = history.push()
        assert failed is not None and "failed (1 in a row" in failed
        clock[0] += timedelta(seconds=60)
        assert history.push(periodic=True) is None, "too soon after the failure"
        bare(remote)
        clock[0] += timedelta(seconds=PUSH_RETRY_SECONDS)
        assert history.push(periodic=True) == f"archive: pushed 1 commits to {remote}"
        assert history.push(periodic=True) is None
    assert subjects(remote) == subjects(archive.root)


def test_a_git_killed_half_way_does_not_wedge_the_archive(tracker: Cli, page_server: PageServer):
    tracker("check")
    lock = tracker.archive / ".git" / "index.lock"
    lock.write_text("")
    os.utime(lock, (time.time() - 3600, time.time() - 3600))
    tracker("check")
    assert not lock.exists()
    assert subjects(tracker.archive)[0] == "Record checks: 1 document"


def test_the_ignore_file_of_an_earlier_release_gains_the_lines_it_lacks(tmp_path: Path):
    from tracker.archive.gitstore import GITIGNORE

    (tmp_path / ".gitignore").write_text("# mine\n.lock\nnotes.txt", encoding="utf-8")
    GitStore(tmp_path, GitSettings()).write_ignores()
    lines = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["# mine", ".lock", "notes.txt"], "what was there stays"
    assert ".worker.lock" in lines  # the worker lock of `tracker run` (failover) stays out
    assert all(line in lines for line in GITIGNORE.splitlines())
    assert lines.count(".lock") == 1
