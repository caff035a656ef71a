"""Where an imported file came from, recorded with the version it makes.

A version imported from a git checkout (an Open Terms Archive versions or snapshots repository,
say) keeps the repository's address, the commit that last touched the file and its path in the
repository, so anyone can fetch the same bytes from the source and compare. A file from a plain
folder keeps its name; its SHA-256 is recorded beside it either way.

Asks the ``git`` command (read-only: ``rev-parse``, ``config``, ``log``, ``status``); without
git, or outside a repository, only the name is kept.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: Seconds any one git command may take before the provenance falls back to the file name.
GIT_TIMEOUT_SECONDS = 30


def _git(folder: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(
            [git, "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _without_credentials(url: str) -> str:
    """A remote's address without any ``user:token@`` (never written to the archive)."""
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url


def provenance_of(folder: Path) -> Callable[[Path], dict[str, Any]]:
    """A function giving the provenance of each file of ``folder`` (one git look-up per file)."""
    top = _git(folder, "rev-parse", "--show-toplevel")
    if not top:
        return lambda path: {"file": path.name}
    root = Path(top)
    remote = _without_credentials(_git(root, "config", "--get", "remote.origin.url") or str(root))

    def of(path: Path) -> dict[str, Any]:
        relative = path.resolve().relative_to(root.resolve()).as_posix()
        commit = _git(root, "log", "-1", "--format=%H", "--", relative)
        if not commit:  # not tracked by the repository: only its name is known
            return {"file": path.name}
        found: dict[str, Any] = {
            "file": path.name,
            "repository": remote,
            "commit": commit,
            "path": relative,
        }
        if _git(root, "status", "--porcelain", "--", relative):
            found["modified_since_commit"] = True
        return found

    return of
