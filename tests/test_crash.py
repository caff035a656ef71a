"""``kill -9`` at random moments: ``tracker check`` and ``tracker import`` killed with SIGKILL
wherever they are, then run again normally; the archive must verify and keep every record.

Each command runs in a child forked from this test process, which has imported the tracker
already: a run costs its own work, not an interpreter start-up, so a hundred kills fit in a
minute or two. The kill moments are drawn by a seeded RNG uniformly over the duration of an
uninterrupted run of the same command, measured first (``CRASH_SEED`` replays a seed, which
every failure message gives; ``CRASH_RUNS`` asks for more kills). After each kill, the same
command runs to its end, then the archive is checked (:func:`tests.writers.problems`:
``tracker verify`` and more) and, for ``import``, compared with an import never interrupted.
Faults found this way have their own test below, the kill landing at the exact point.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import tracker.backfill
import tracker.cli.main
import tracker.runtime  # imported once here, not in every forked child
from tests.servers import PageServer, Reply, page_bytes
from tests.writers import Workspace, exit_code, fork_tracker, problems, variant
from tracker.archive.store import Archive
from tracker.models import sha256_hex

#: Kills per command (``CRASH_RUNS`` to search harder).
RUNS = int(os.environ.get("CRASH_RUNS") or 50)
SEED = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(2**32))
#: Runs on one archive before the next starts afresh (the archive's history grows meanwhile).
SERIES = 10

#: document id → (fixture page, language)
DOCS = {
    "linkedin/privacy-policy": ("linkedin/privacy-policy/v1.html", "en"),
    "linkedin/eu-regional-privacy-notice": ("linkedin/eu-regional-privacy-notice/v1.html", "en"),
    "linkedin/privacy-policy-fr": ("linkedin/privacy-policy-fr/v1.html", "fr"),
}


@dataclass
class Tally:
    """What the kills hit, and what was wrong after each of them."""

    seed: int
    command: str
    killed: int = 0
    finished_first: int = 0
    faults: list[str] = field(default_factory=list)

    def add(self, run: int, delay: float, status: int, found: list[str]) -> None:
        if status == -signal.SIGKILL:
            self.killed += 1
        else:
            self.finished_first += 1
        if found:
            where = f"run {run}, killed after {delay * 1000:.0f} ms (status {status})"
            self.faults.append(f"{where}:\n  " + "\n  ".join(found[:8]))

    def message(self) -> str:
        return (
            f"seed {self.seed} (CRASH_SEED={self.seed} to replay): {len(self.faults)} of {RUNS} "
            f"`tracker {self.command}` runs killed with SIGKILL left a faulty archive "
            f"({self.killed} killed mid-run, {self.finished_first} had finished)\n"
            + "\n".join(self.faults)
        )


def _run(argv: list[str], log: Path) -> float:
    """Run a forked ``tracker`` to its end; its duration in seconds (exit 0 asserted)."""
    started = time.monotonic()
    code = exit_code(fork_tracker(argv, log))
    assert code == 0, f"`tracker {' '.join(argv)}` exited with {code}: see {log}"
    return time.monotonic() - started


def _kill_then_resume(argv: list[str], log: Path, delay: float) -> tuple[int, int]:
    """Start the command, SIGKILL it after ``delay`` s, run it again: both exit statuses."""
    pid = fork_tracker(argv, log)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    status = exit_code(pid)
    return status, exit_code(fork_tracker(argv, log))


# --------------------------------------------------------------------------- check
def _serve(page_server: PageServer, n: int) -> dict[str, bytes]:
    """Every document's page becomes variant ``n``, with its ETag; returns the bodies served.

    The ETag matters: a check that sends the validators of a page it never recorded gets a
    304, and would take the old version for the page.
    """
    bodies = {}
    for doc, (fixture, language) in DOCS.items():
        bodies[doc] = variant(page_bytes(fixture), n, french=language == "fr")
        page_server.route(f"/{doc}", Reply(body=bodies[doc], etag=f'"{n}"'))
    return bodies


def _workspaces(root: Path, page_server: PageServer) -> Iterator[Workspace]:
    for number in range(RUNS + 1):
        tmp = root / f"archive-{number}"
        tmp.mkdir()
        workspace = Workspace.create(tmp)
        for doc, (_, language) in DOCS.items():
            workspace.document(doc, page_server.url(f"/{doc}"), language=language)
        yield workspace


@pytest.mark.slow
def test_check_killed_at_random_moments_leaves_a_sound_archive(
    tmp_path: Path, page_server: PageServer
):
    rng = random.Random(SEED)
    tally = Tally(SEED, "check")
    workspaces = _workspaces(tmp_path, page_server)
    log = tmp_path / "check.log"
    n = 0
    restart = True
    for run in range(RUNS):
        if restart:  # a new series, or a fault to leave behind: a new archive
            workspace = next(workspaces)
            argv = workspace.argv("check")
            n += 1
            _serve(page_server, n)
            _run(argv, log)  # the first records
            n += 1
            _serve(page_server, n)
            duration = _run(argv, log)  # an uninterrupted check that records new versions
        n += 1
        bodies = _serve(page_server, n)  # every page changed: the run has records to write
        delay = rng.uniform(0, duration)
        status, resumed = _kill_then_resume(argv, log, delay)
        found = [] if resumed == 0 else [f"the run after the kill exited with {resumed}"]
        found += problems(workspace.archive, workspace.db)
        archive = Archive(workspace.archive)
        for doc, body in bodies.items():
            latest = archive.latest_version(doc)
            if latest is None or latest.meta["raw_sha256"] != sha256_hex(body):
                found.append(f"{doc}: the page served was never recorded (change lost)")
            elif archive.checks(doc)[-1].version != latest.timestamp:
                found.append(f"{doc}: the last check row is not about the page served")
        tally.add(run, delay, status, found)
        restart = bool(found) or (run + 1) % SERIES == 0
    print(tally.message())
    assert not tally.faults, tally.message()


# --------------------------------------------------------------------------- import
IMPORT_DOC = "linkedin/privacy-policy"


def _import_folder(folder: Path) -> None:
    """Dated snapshots: versions, an unchanged one, a blocked one, a flip-back, a last one."""
    page = page_bytes(DOCS[IMPORT_DOC][0])
    files = [
        page,
        page_bytes("linkedin/privacy-policy/v1-noise.html"),  # unchanged text
        variant(page, 1),
        variant(page, 2),
        page_bytes("blocked/authwall.html"),  # inaccessible
        variant(page, 1),  # flip-back
        page_bytes("linkedin/privacy-policy/v2.html"),
        variant(page, 3),
    ]
    folder.mkdir()
    for day, body in enumerate(files, start=1):
        (folder / f"2025-01-{day:02d}T00-00-00Z.html").write_bytes(body)


def _rows(archive_dir: Path) -> list[tuple[str, ...]]:
    """The check rows (without their free-text detail) and versions of the imported document."""
    archive = Archive(archive_dir)
    rows = [
        (c.checked_at.isoformat(), c.outcome.value, c.version, c.raw_sha256, c.text_sha256)
        for c in archive.checks(IMPORT_DOC)
    ]
    versions = [(v.timestamp, v.text_sha256) for v in archive.iter_versions(IMPORT_DOC)]
    return [*rows, *versions]


@pytest.mark.slow
def test_import_killed_at_random_moments_leaves_the_same_archive(tmp_path: Path):
    rng = random.Random(SEED)
    tally = Tally(SEED, "import")
    folder = tmp_path / "dated"
    _import_folder(folder)
    log = tmp_path / "import.log"

    def workspace(name: str) -> Workspace:
        (tmp_path / name).mkdir()
        made = Workspace.create(tmp_path / name)
        made.document(IMPORT_DOC, "https://www.linkedin.com/legal/privacy-policy")
        return made

    reference = workspace("reference")
    _run(reference.argv("import", str(folder), "--document", IMPORT_DOC), log)
    assert problems(reference.archive) == []
    expected = _rows(reference.archive)
    again = workspace("timed")
    duration = _run(again.argv("import", str(folder), "--document", IMPORT_DOC), log)
    for run in range(RUNS):
        target = workspace(f"run-{run}")
        delay = rng.uniform(0, duration)
        argv = target.argv("import", str(folder), "--document", IMPORT_DOC)
        status, resumed = _kill_then_resume(argv, log, delay)
        found = [] if resumed == 0 else [f"the import after the kill exited with {resumed}"]
        found += problems(target.archive)
        rows = _rows(target.archive)
        if rows != expected:
            missing = [row for row in expected if row not in rows]
            extra = [row for row in rows if row not in expected]
            found.append(f"differs from an uninterrupted import: missing {missing}, extra {extra}")
        tally.add(run, delay, status, found)
    print(tally.message())
    assert not tally.faults, tally.message()


# --------------------------------------------------------------------------- killed at a point
def _die(*args: object, **kwargs: object) -> None:
    """SIGKILL this process: patched into a forked child, the kill lands at an exact point."""
    os.kill(os.getpid(), signal.SIGKILL)


def test_killed_while_writing_the_platform_index_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Found by the random kills: ``linkedin/.tmp-<pid>-README.md`` stayed in the archive for
    ever, since recovery only cleaned the document's own folder."""
    folder = tmp_path / "dated"
    _import_folder(folder)
    workspace = Workspace.create(tmp_path)
    workspace.document(IMPORT_DOC, "https://www.linkedin.com/legal/privacy-policy")
    argv = workspace.argv("import", str(folder), "--document", IMPORT_DOC)
    platform_index = workspace.archive / "linkedin" / "README.md"
    replace = Path.replace

    def dying_replace(self: Path, target: Path | str) -> Path:
        if Path(target) == platform_index:
            _die()
        return replace(self, target)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "replace", dying_replace)
        assert exit_code(fork_tracker(argv, tmp_path / "log")) == -signal.SIGKILL
    [left] = (workspace.archive / "linkedin").glob(".tmp-*")
    assert left.name.endswith("-README.md")
    assert exit_code(fork_tracker(argv, tmp_path / "log")) == 0
    assert problems(workspace.archive) == []
    assert platform_index.is_file()


def test_a_check_killed_before_its_record_keeps_no_validators_of_the_page(
    tmp_path: Path, page_server: PageServer, monkeypatch: pytest.MonkeyPatch
):
    """Found by the random kills: the page's ETag was saved before the page was recorded, so
    the next check sent it, got a 304 and took the old version for the page: a change lost."""
    doc = "linkedin/privacy-policy"
    workspace = Workspace.create(tmp_path)
    workspace.document(doc, page_server.url(f"/{doc}"))
    argv = workspace.argv("check")
    log = tmp_path / "log"
    page = page_bytes(DOCS[doc][0])
    page_server.route(f"/{doc}", Reply(body=page, etag='"1"'))
    assert exit_code(fork_tracker(argv, log)) == 0
    page_server.route(f"/{doc}", Reply(body=variant(page, 1), etag='"2"'))
    with monkeypatch.context() as patch:
        patch.setattr(Archive, "record_snapshot", _die)
        assert exit_code(fork_tracker(argv, log)) == -signal.SIGKILL
    assert exit_code(fork_tracker(argv, log)) == 0
    assert page_server.requests_to(f"/{doc}")[-1].header("If-None-Match") == '"1"'
    latest = Archive(workspace.archive).latest_version(doc)
    assert latest is not None
    assert latest.meta["raw_sha256"] == sha256_hex(variant(page, 1)), "the change is recorded"
    assert problems(workspace.archive, workspace.db) == []


def test_the_forked_runs_use_this_checkout():
    """The children run the code under test (this worktree), not an installed copy."""
    root = Path(__file__).resolve().parents[1]
    assert Path(tracker.cli.main.__file__).resolve().is_relative_to(root)
    assert Path(tracker.backfill.__file__).resolve().is_relative_to(root)
