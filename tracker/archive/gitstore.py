"""The archive folder as a git repository: the ``git`` command, run as a subprocess.

Only plumbing lives here (init, stage, commit, fetch, fast-forward, push); what to commit and
when is decided by :mod:`tracker.archive.history`. Every command runs:

- on the archive's own repository only (``--git-dir <root>/.git --work-tree <root>``, with
  ``GIT_CEILING_DIRECTORIES`` set), never on a repository around it (the project's
  ``snapshots/`` folder sits inside the project's own repository);
- with a fixed author and committer (``[archive] author``, ``policy-tracker
  <tracker@localhost>`` by default) and without the user's or the system's git configuration,
  so that a machine with no git identity, or with hooks and signing set up, commits the same;
- without ever prompting (``GIT_TERMINAL_PROMPT=0``, ssh in batch mode) and within a time
  limit for the commands that use the network;
- with the remote's URL passed on each command line, never stored in ``.git/config``, and
  redacted (:func:`redact`) in every message: a token in ``https://user:token@host/`` never
  reaches a log, an error or a Telegram notice.

Every failure is a :class:`GitError`, an :class:`~tracker.errors.ArchiveError` naming the
command and what git said.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tracker.errors import ArchiveDivergedError, GitError

#: Seconds a command that talks to the remote may take before it is stopped.
NETWORK_TIMEOUT_SECONDS = 300.0
#: Seconds a local command may take (a commit of a large first import included).
LOCAL_TIMEOUT_SECONDS = 600.0
#: Seconds a git lock file is given to disappear (its git finishing) before it is removed.
STALE_LOCK_SECONDS = 2.0
#: The remote-tracking ref the remote's branch is fetched into.
REMOTE_REF = "refs/remotes/origin/{branch}"

#: Written at the archive's root: what git must never record (locks, temporary files).
GITIGNORE = """\
# Written by policy-tracker: working files that are not part of the record.
.lock
.send.lock
.worker.lock
.tmp-*
**/.tmp-*
"""
#: Written at the archive's root: evidence is stored byte for byte, never normalised.
GITATTRIBUTES = """\
# Written by policy-tracker: raw snapshots are kept exactly as received.
**/raw/** -text -diff linguist-generated
*.csv text eol=lf
"""

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


def redact(text: str, remote: str | None = None) -> str:
    """``text`` with the credentials of every URL replaced by ``***``.

    ``https://user:token@host/x.git`` becomes ``https://***@host/x.git``; the password of
    ``remote`` (and its user name, when the URL has a password) is also replaced wherever it
    appears on its own, as git may quote it.
    """
    text = _USERINFO.sub(r"\g<scheme>***@", text)
    if remote:
        parts = urlsplit(remote) if "://" in remote else None
        secrets = [] if parts is None else [parts.password or "", parts.username or ""]
        if parts is not None and not parts.password:
            secrets = [parts.username or ""]
        for secret in secrets:
            if len(secret) >= 4:
                text = text.replace(secret, "***")
    return text


@dataclass(frozen=True, slots=True)
class GitSettings:
    """How the archive is kept in git (``[archive]`` in tracker.toml)."""

    remote: str | None = None
    author_name: str = "policy-tracker"
    author_email: str = "tracker@localhost"
    branch: str = "main"

    @property
    def shown_remote(self) -> str:
        """The remote's URL fit for a log line (credentials redacted)."""
        return redact(self.remote or "", self.remote)


def git_available() -> bool:
    """Whether the ``git`` command is installed."""
    return shutil.which("git") is not None


class GitStore:
    """The git repository at the root of the archive."""

    def __init__(self, root: Path, settings: GitSettings) -> None:
        """Work on ``<root>/.git`` with ``settings`` (identity, remote, branch)."""
        self.root = root
        self.settings = settings

    # ----------------------------------------------------------------- running git
    def _env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("GIT_") or key in {"GIT_SSH", "GIT_SSH_COMMAND"}
        }
        env.update(
            GIT_TERMINAL_PROMPT="0",
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_CEILING_DIRECTORIES=str(self.root.absolute().parent),
            GIT_AUTHOR_NAME=self.settings.author_name,
            GIT_AUTHOR_EMAIL=self.settings.author_email,
            GIT_COMMITTER_NAME=self.settings.author_name,
            GIT_COMMITTER_EMAIL=self.settings.author_email,
            LC_ALL="C",
        )
        env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        return env

    def run(
        self,
        *args: str,
        stdin: bytes | None = None,
        network: bool = False,
        ok: Sequence[int] = (0,),
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``git <args>`` on the archive's repository; GitError unless its exit is ``ok``."""
        root = str(self.root.absolute())
        command = ["git", "--git-dir", f"{root}/.git", "--work-tree", root, *args]
        shown = redact(" ".join(["git", *args]), self.settings.remote)
        timeout = NETWORK_TIMEOUT_SECONDS if network else LOCAL_TIMEOUT_SECONDS
        try:
            done = subprocess.run(
                command,
                cwd=root if self.root.is_dir() else None,
                input=stdin,
                capture_output=True,
                env=self._env(),
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise GitError(f"{shown}: the git command is not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"{shown}: no answer after {timeout:g} s") from exc
        if done.returncode not in ok:
            said = (
                done.stderr.decode("utf-8", "replace").strip()
                or done.stdout.decode("utf-8", "replace").strip()
            )
            said = redact(" ".join(said.split()), self.settings.remote)
            raise GitError(f"{shown} failed (exit {done.returncode}): {said or 'no message'}")
        return done

    def _out(self, *args: str, network: bool = False) -> str:
        return self.run(*args, network=network).stdout.decode("utf-8", "replace").strip()

    # ----------------------------------------------------------------- local
    def is_repository(self) -> bool:
        """Whether the archive folder holds its own repository (``<root>/.git``)."""
        return (self.root / ".git").is_dir()

    def init(self) -> None:
        """Create the repository (and the folder), with its ``.gitignore`` and attributes."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.run("init", "--quiet", f"--initial-branch={self.settings.branch}")
        self.write_ignores()

    def write_ignores(self) -> None:
        """Write ``.gitignore`` and ``.gitattributes`` at the root, or add the lines they lack.

        A line added by a later release (a new working file) is appended to the file an
        earlier one wrote; lines someone added by hand stay.
        """
        for name, text in ((".gitignore", GITIGNORE), (".gitattributes", GITATTRIBUTES)):
            path = self.root / name
            if not path.exists():
                path.write_text(text, encoding="utf-8")
                continue
            present = path.read_text(encoding="utf-8")
            missing = [line for line in text.splitlines() if line not in present.splitlines()]
            if missing:
                ending = "" if present.endswith("\n") or not present else "\n"
                path.write_text(present + ending + "\n".join(missing) + "\n", encoding="utf-8")

    def clear_stale_locks(self) -> list[str]:
        """Remove git's own lock files left by a git killed half-way; returns their names.

        Only called under the archive's lock, so no git of a live tracker runs on the
        repository. A git started by a tracker that was killed (``kill -9``) may still be
        finishing, though: a lock younger than :data:`STALE_LOCK_SECONDS` is given that long
        to go away by itself before it is removed.
        """
        git_dir = self.root / ".git"
        if not git_dir.is_dir():
            return []
        locks = [git_dir / name for name in ("index.lock", "HEAD.lock", "packed-refs.lock")]
        if (git_dir / "refs").is_dir():
            locks += list((git_dir / "refs").rglob("*.lock"))
        removed = []
        for lock in locks:
            try:
                age = time.time() - lock.stat().st_mtime
            except FileNotFoundError:
                continue
            deadline = time.monotonic() + max(0.0, STALE_LOCK_SECONDS - age)
            while lock.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
                removed.append(lock.relative_to(git_dir).as_posix())
        return removed

    def head(self) -> str | None:
        """The commit at HEAD, or None before the first commit."""
        done = self.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", ok=(0, 1))
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def dirty(self) -> bool:
        """Whether anything in the folder differs from HEAD (untracked files included)."""
        return bool(self._out("status", "--porcelain", "--untracked-files=all"))

    def stage(self, paths: Sequence[str] = ()) -> None:
        """Stage every change (additions and removals) under ``paths`` (all when empty)."""
        self.run("add", "--all", "--", *(paths or ["."]))

    def stage_bytes(self, path: str, data: bytes) -> None:
        """Stage ``data`` as the content of ``path`` without touching the file on disk."""
        blob = self.run("hash-object", "-w", "--stdin", stdin=data).stdout.decode().strip()
        self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")

    def has_staged(self) -> bool:
        """Whether the index differs from HEAD."""
        return self.run("diff", "--cached", "--quiet", ok=(0, 1)).returncode == 1

    def commit(self, message: str) -> str:
        """Commit what is staged with ``message``; returns the new commit's id."""
        self.run(
            "commit",
            "--quiet",
            "--no-verify",
            "--allow-empty-message",
            "--file=-",
            stdin=message.encode("utf-8"),
        )
        return self._out("rev-parse", "HEAD")

    def count(self, revisions: str) -> int:
        """How many commits ``git rev-list`` lists for ``revisions``."""
        return int(self._out("rev-list", "--count", revisions) or 0)

    # ----------------------------------------------------------------- remote
    @property
    def remote_ref(self) -> str:
        """The local ref that holds the remote's branch as last fetched."""
        return REMOTE_REF.format(branch=self.settings.branch)

    def _remote(self) -> str:
        if not self.settings.remote:
            raise GitError("no remote is configured ([archive] remote / TRACKER_ARCHIVE_REMOTE)")
        return self.settings.remote

    def fetch(self) -> str | None:
        """Fetch the remote's branch into :attr:`remote_ref`; its commit, None if it has none."""
        remote = self._remote()
        branch = f"refs/heads/{self.settings.branch}"
        listed = self._out("ls-remote", "--heads", "--", remote, branch, network=True)
        if not listed:
            self.run("update-ref", "-d", self.remote_ref)
            return None
        commit = listed.split()[0]
        if self.known(commit):
            self.run("update-ref", self.remote_ref, commit)
            return commit
        self.run(
            "fetch", "--quiet", "--no-tags", "--", remote, f"+{branch}:{self.remote_ref}",
            network=True,
        )  # fmt: skip
        return commit

    def known(self, commit: str) -> bool:
        """Whether the repository holds ``commit``."""
        return self.run("cat-file", "-e", f"{commit}^{{commit}}", ok=(0, 1, 128)).returncode == 0

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether ``older`` is ``newer`` or one of its ancestors."""
        return self.run("merge-base", "--is-ancestor", older, newer, ok=(0, 1)).returncode == 0

    def check_out(self, commit: str) -> None:
        """Make the branch, the index and the folder ``commit``: a clone into an empty folder.

        Files the commit holds replace untracked ones of the same name (the project's
        ``snapshots/README.md``); ignored files (the lock) are left alone.
        """
        self.run("reset", "--quiet", "--hard", commit)

    def fast_forward(self, commit: str) -> None:
        """Move the branch and the folder forward to ``commit``, a descendant of HEAD.

        git refuses (GitError) rather than overwrite a file changed since HEAD: files a run
        wrote and did not commit yet are never lost.
        """
        self.run("merge", "--quiet", "--ff-only", "--no-edit", commit)

    def push(self) -> None:
        """Push HEAD to the remote's branch (never forced); then record it as fetched."""
        remote = self._remote()
        self.run(
            "push", "--quiet", "--", remote, f"HEAD:refs/heads/{self.settings.branch}",
            network=True,
        )  # fmt: skip
        self.run("update-ref", self.remote_ref, "HEAD")

    def unpushed(self) -> int:
        """Commits of HEAD that the remote's branch (as last fetched or pushed) lacks."""
        if self.head() is None:
            return 0
        has_remote = self.run("rev-parse", "--verify", "--quiet", self.remote_ref, ok=(0, 1))
        if has_remote.returncode != 0:
            return self.count("HEAD")
        return self.count(f"{self.remote_ref}..HEAD")


__all__ = [
    "GITATTRIBUTES",
    "GITIGNORE",
    "ArchiveDivergedError",
    "GitError",
    "GitSettings",
    "GitStore",
    "git_available",
    "redact",
]
