"""Writers of one archive, for the crash and concurrency tests: set-up, page variants, forked
runs killed at will, and the invariants an archive must keep whatever happened to its writers.

- :class:`Workspace`: a temporary ``config/`` (the project's rules and taxonomy, one Telegram
  channel following every document, no host delay), an archive and an SQLite state file, with
  the command line to run ``tracker`` on them as a real process (:meth:`Workspace.run`) or as
  a forked child of the test process (:func:`fork_tracker`: no interpreter start-up, so a
  hundred runs killed with SIGKILL fit in a minute).
- :func:`variant`: a fixture page with one more clause, different for each ``n`` (a
  substantive change of the text, the rest of the page as it is).
- :func:`problems`: everything wrong with an archive and its outbox, as sentences (empty when
  sound): ``tracker verify``'s findings, and what verify does not look at (every version has
  its raw snapshot, its change record and exactly one recording check row, no version is
  recorded twice, no temporary file is left, every substantive change is queued exactly once).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.archive.store import Archive
from tracker.archive.verify import verify
from tracker.config import FetchConfig
from tracker.models import RECORDING_OUTCOMES
from tracker.state.store import State
from tracker.timestamps import from_iso

ROOT = Path(__file__).resolve().parents[1]

#: Outcomes of a check row that records a version (its ``version`` column is that version).
RECORDING = RECORDING_OUTCOMES

#: The pages are on 127.0.0.1: allowed where the configuration refuses private addresses by
#: default (a key that older configurations do not know, and would refuse).
_LOOPBACK = (
    "allow_private_addresses = true\n"
    if "allow_private_addresses" in FetchConfig.model_fields
    else ""
)

#: Words of the clause :func:`variant` adds, cycled by ``n`` (English, then French).
_DATA = ("messages", "location", "profile", "contacts", "search history", "posts", "device data")
_DONNEES = ("messages", "localisation", "profil", "contacts", "recherches", "publications")
_PURPOSE = ("advertising", "model training", "fraud detection", "research", "recruiting")
_FINALITE = ("la publicité", "l'entraînement de modèles", "la recherche", "le recrutement")


def variant(page: bytes, n: int, *, french: bool = False) -> bytes:
    """``page`` with one more clause, different for each ``n``, first in the legal text."""
    if french:
        clause = (
            f"<p>Mise à jour {n} : nous pouvons utiliser vos {_DONNEES[n % len(_DONNEES)]} "
            f"pour {_FINALITE[n % len(_FINALITE)]} (numéro {n * 7 + 3}).</p>"
        )
    else:
        clause = (
            f"<p>Update {n}: we may use your {_DATA[n % len(_DATA)]} for "
            f"{_PURPOSE[n % len(_PURPOSE)]} and share it with partner number {n * 7 + 3}.</p>"
        )
    marker = page.index(b"component-container")
    at = page.index(b"<h", page.index(b"</p>", marker))
    return page[:at] + clause.encode("utf-8") + page[at:]


@dataclass(frozen=True)
class Workspace:
    """A temporary tracker: configuration, archive and state database under ``tmp``."""

    tmp: Path
    state_url: str = ""
    """The state database's URL; empty: the SQLite file :attr:`db`."""

    @property
    def config(self) -> Path:
        """The ``config/`` folder."""
        return self.tmp / "config"

    @property
    def archive(self) -> Path:
        """The archive root."""
        return self.tmp / "snapshots"

    @property
    def db(self) -> Path:
        """The SQLite state file (unused with a :attr:`state_url`)."""
        return self.tmp / "state.sqlite3"

    @property
    def url(self) -> str:
        """The state database's URL, as ``--db`` takes it."""
        return self.state_url or f"sqlite:///{self.db}"

    @classmethod
    def create(cls, tmp: Path, state_url: str = "") -> Workspace:
        """Lay out ``config/`` (rules, taxonomy, settings, one channel) under ``tmp``."""
        shutil.copytree(ROOT / "config" / "rules", tmp / "config" / "rules")
        shutil.copy(ROOT / "config" / "taxonomy.toml", tmp / "config" / "taxonomy.toml")
        (tmp / "config" / "tracker.toml").write_text(
            "[fetch]\nretries = 0\nread_timeout = 10\nhost_delay_seconds = 0\n" + _LOOPBACK
        )
        (tmp / "config" / "channels").mkdir(parents=True)
        (tmp / "config" / "channels" / "watch.toml").write_text(
            'chat_id = "@policy_watch_test"\ndocuments = ["linkedin/*"]\n'
        )
        return cls(tmp, state_url)

    def document(self, doc_id: str, url: str, *, language: str = "en") -> None:
        """Track ``doc_id`` at ``url`` with the LinkedIn legal rules."""
        path = self.config / "documents" / f"{doc_id}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'title = "Test {doc_id}"\nurl = "{url}"\nlanguage = "{language}"\n'
            'rules = "linkedin-legal"\n'
        )

    def argv(self, *args: str) -> list[str]:
        """``tracker`` arguments: the global options for this workspace, then ``args``."""
        return [
            "--config",
            str(self.config),
            "--archive",
            str(self.archive),
            "--db",
            self.url,
            *args,
        ]

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """Start ``python -m tracker`` on this workspace, importing this checkout's code."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.Popen(
            [sys.executable, "-m", "tracker", *self.argv(*args)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``python -m tracker`` on this workspace to its end."""
        process = self.popen(*args)
        out, err = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)


# --------------------------------------------------------------------------- forked runs
def fork_tracker(argv: list[str], log: Path) -> int:
    """Run ``tracker <argv>`` in a forked child of this (pre-imported) process; its pid.

    The child's standard output and error go to ``log``; its exit status is the command's
    exit code (70 if the command raised). It never returns into the caller: ``os._exit``.
    """
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        logging.root.handlers.clear()  # pytest's capture handlers: log to the file instead
        sys.argv = ["tracker", *argv]
        from tracker.cli.main import main

        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def exit_code(pid: int) -> int:
    """Wait for a forked child; its exit code, or minus the signal that killed it."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


# --------------------------------------------------------------------------- invariants
def problems(archive_dir: Path, db: Path | str | None = None) -> list[str]:
    """Everything wrong with the archive (and the outbox in ``db``: an SQLite file or a state
    database URL), one sentence each."""
    archive = Archive(archive_dir)
    found: list[str] = []
    result = verify(archive)
    found += [f"verify: {p}" for p in result.problems]
    for report in result.reports:
        found += [f"verify: {report.document}: {p}" for p in report.problems]
    found += [
        f"temporary file left: {path.relative_to(archive_dir)}"
        for path in archive_dir.rglob(".tmp-*")
    ]
    for document in archive.documents():
        found += _document_problems(archive, document)
    if db is not None and (isinstance(db, str) or db.exists()):
        found += _outbox_problems(archive, db)
    return found


def _document_problems(archive: Archive, document: str) -> list[str]:
    found: list[str] = []
    folder = archive.folder(document)
    checks = archive.checks(document)
    rows = Counter(c.version for c in checks if c.outcome in RECORDING)
    changes = set(archive.change_stamps(document))
    previous_text = None
    for version in archive.iter_versions(document):
        where = f"{document}: version {version.timestamp}"
        if version.snapshot and not (folder / version.snapshot).is_file():
            found.append(f"{where}: its raw snapshot {version.snapshot} is missing")
        if rows[version.timestamp] != 1:
            found.append(f"{where}: {rows[version.timestamp]} recording rows in checks.csv")
        if previous_text is not None and not version.technical_upgrade:
            if version.timestamp not in changes:
                found.append(f"{where}: no change record")
            if version.text_sha256 == previous_text:
                found.append(f"{where}: recorded twice (same text as the version before)")
        previous_text = version.text_sha256
    stamps = set(archive.version_stamps(document))
    for stamp in rows:
        if stamp not in stamps:
            found.append(f"{document}: checks.csv records version {stamp}, which is missing")
    return found


def _read(db: Path | str, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query on an SQLite file (opened as it is) or a state database URL."""
    if isinstance(db, str):
        state = State(db)
        try:
            return state.read(sql)
        finally:
            state.close()
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return connection.execute(sql).fetchall()


def _outbox_problems(archive: Archive, db: Path | str) -> list[str]:
    """Every substantive change captured since the outbox began is queued exactly once."""
    since_rows = _read(db, "SELECT value FROM meta WHERE key = 'outbox_since'")
    alerts = _read(db, "SELECT id, key, document, version FROM alerts WHERE key LIKE 'change:%'")
    messages = _read(db, "SELECT alert_id, channel, position FROM outbox")
    if not since_rows:
        return []
    since = from_iso(since_rows[0][0])
    found: list[str] = []
    per_version = Counter((document, version) for _, _, document, version in alerts)
    found += [f"{d}: version {v} has {n} alerts" for (d, v), n in per_version.items() if n > 1]
    slots = Counter(messages)
    found += [f"outbox message {slot} queued {n} times" for slot, n in slots.items() if n > 1]
    with_messages = {alert_id for alert_id, _, _ in messages}
    expected = set()
    for document in archive.documents():
        for stamp in archive.change_stamps(document):
            record = archive.read_change(document, stamp)
            meta = archive.read_version(document, stamp).meta
            if (
                record.get("significance") != "substantive"
                or record.get("flip_back_of")
                or meta.get("origin", "capture") != "capture"
                or from_iso(str(meta["captured_at"])) < since
            ):
                continue
            expected.add((document, stamp))
    queued = {(document, version) for _, _, document, version in alerts}
    found += [f"{d}: substantive change {s} never queued" for d, s in sorted(expected - queued)]
    found += [
        f"alert {key}: queued with no message"
        for alert_id, key, document, version in alerts
        if (document, version) in expected and alert_id not in with_messages
    ]
    return found


# --------------------------------------------------------------------------- git remotes
def git(*args: str, cwd: Path | None = None) -> str:
    """Run git as a person would (on a repository of the test), its output."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=env
    )
    return done.stdout


def bare(path: Path) -> Path:
    """An empty bare repository at ``path``: an archive's remote."""
    git("init", "--quiet", "--bare", str(path))
    return path


def subjects(repo: Path) -> list[str]:
    """Commit subjects of a repository (a bare one or an archive folder), newest first."""
    where = ["--git-dir", str(repo if repo.suffix == ".git" else repo / ".git")]
    return git(*where, "log", "--format=%s", "main").splitlines()
