"""Publish a built site: to a folder a web server serves, or to a branch of a git remote.

**To a folder** (:func:`publish_to_folder`): each file of the site whose bytes differ from the
published one is written to a temporary file beside it, flushed, then renamed over it, so a
reader of the folder sees the old file or the new one, never a half-written one. Files the
site no longer has are removed (first), but only those this publisher put there: the folder
keeps a list of them (:data:`MANIFEST`, written last), and anything else in it (a ``CNAME``, a
page someone added by hand) is left alone. A folder inside the archive, or holding it, is
refused: the site keeps the archive's layout and would overwrite its change pages.

**To git** (:func:`publish_to_git`): the site is copied (as above) into a working folder of
the tracker's own, whose repository is driven with :class:`tracker.archive.gitstore.GitStore`
(the same plumbing, identity, time limits and credential redaction as the archive's remote).
The remote's branch is fetched; the site's tree is committed on top of it when it differs,
and pushed, never forced. The branch holds the site and nothing else (like a ``gh-pages``
branch): a file committed to it by other hands is removed by the next publish. When someone
pushed in between, the push is refused and the next publish starts again from their commit.

Every failure is a :class:`~tracker.errors.PublishError` naming the target (credentials
redacted) and what failed; the archive is never written to.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tracker.archive.gitstore import GitSettings, GitStore, redact
from tracker.archive.store import replace_atomically
from tracker.errors import ArchiveError, GitError, PublishError

#: Written in a published folder: the files this publisher put there (and may remove).
MANIFEST = ".tracker-published.json"
#: What the git working folder's repository never commits.
_EXCLUDE = f"{MANIFEST}\n.tmp-*\n**/.tmp-*\n"
#: The default branch the site is pushed to.
DEFAULT_BRANCH = "gh-pages"


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """``[site]`` in tracker.toml: where the site is built, its public address, where it goes.

    Attributes:
        output: the folder the site is built into.
        base_url: where readers find it (absolute links in feeds, channels' default
            ``public_url``); None for a site read from disk or from any address.
        publish_dir: a folder the built site is copied to, if any.
        git: the git remote and branch the site is pushed to, if any.
        git_workdir: the tracker's own working folder for the git publication.
    """

    output: Path = Path("site")
    base_url: str | None = None
    publish_dir: Path | None = None
    git: GitSettings | None = None
    git_workdir: Path = field(default=Path(".tracker") / "site-publish")


@dataclass(frozen=True, slots=True)
class PublishReport:
    """What one publication did (paths relative to the site's root)."""

    target: str
    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    commit: str | None = None
    pushed: bool = False

    def line(self) -> str:
        """One line for the log."""
        line = (
            f"site published to {self.target}: {len(self.written)} written, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged"
        )
        if self.commit:
            line += f"; commit {self.commit[:12]}" + (" pushed" if self.pushed else "")
        return line


# --------------------------------------------------------------------------- folder
def site_files(site: Path) -> list[str]:
    """Every file of a built site, relative and sorted; PublishError for a symbolic link (a
    built site has none: it could publish a file from outside the site)."""
    if not site.is_dir():
        raise PublishError(f"{site}: no built site there (build it first)")
    files = []
    for folder, dirs, names in os.walk(site):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in names:
            path = here / name
            relative = path.relative_to(site).as_posix()
            if path.is_symlink() or not path.is_file():
                raise PublishError(f"{path}: not a regular file; a built site holds only files")
            if name.startswith(".tmp-") or relative == MANIFEST:
                continue
            files.append(relative)
    return sorted(files)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_target(site: Path, target: Path, protect: Iterable[Path] = ()) -> None:
    """PublishError when ``target`` is the site, holds it, sits in it, or overlaps a protected
    folder (the archive): publishing would overwrite or remove what must stay."""
    where = target.resolve()
    built = site.resolve()
    if _inside(where, built) or _inside(built, where):
        raise PublishError(
            f"cannot publish {site} to {target}: one folder is inside the other; "
            "publish to a separate folder"
        )
    for folder in protect:
        kept = folder.resolve()
        if _inside(where, kept) or _inside(kept, where):
            raise PublishError(
                f"cannot publish {site} to {target}: it overlaps {folder}, which the site would "
                "overwrite (the site keeps the archive's layout); publish to a separate folder"
            )


def _read_manifest(target: Path) -> set[str]:
    path = target / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()
    except (OSError, ValueError) as exc:
        raise PublishError(
            f"{path}: unreadable list of published files ({exc}); remove it to publish again "
            "(files the site no longer has will then stay in the folder)"
        ) from exc
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise PublishError(f"{path}: not a list of published files; remove it to publish again")
    return {f for f in files if _safe(f)}


def _safe(relative: str) -> bool:
    """A relative path that stays inside the folder (a manifest edited by hand cannot make the
    publisher remove files elsewhere)."""
    parts = relative.split("/")
    return bool(relative) and not relative.startswith("/") and ".." not in parts and "" not in parts


def publish_to_folder(
    site: Path, target: Path, *, protect: Sequence[Path] = (), shown: str | None = None
) -> PublishReport:
    """Make ``target`` hold the built ``site``: write what changed, remove what the site
    removed (only files this publisher wrote), each file replaced atomically.

    ``protect`` lists folders the target must not overlap (the archive). ``shown`` names the
    target in the report (default: its path).
    """
    check_target(site, target, protect)
    files = site_files(site)
    try:
        target.mkdir(parents=True, exist_ok=True)
        previous = _read_manifest(target)
        # What the site removed goes first: a folder of ours may become a file of the site.
        removed = []
        for relative in sorted(previous - set(files)):
            path = target / relative
            if path.is_file() or path.is_symlink():
                path.unlink()
                removed.append(relative)
                _prune(path.parent, target)
        written, unchanged = [], 0
        for relative in files:
            data = (site / relative).read_bytes()
            destination = target / relative
            same = destination.is_file() and not destination.is_symlink()
            if same and destination.read_bytes() == data:
                unchanged += 1
                continue
            _make_room(target, relative, previous)
            replace_atomically(destination, data)
            written.append(relative)
        manifest = {"files": files}
        text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
        replace_atomically(target / MANIFEST, text.encode("utf-8"))
    except (OSError, ArchiveError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PublishError(
            f"publishing {site} to {target}: {message}; the files written so far are whole, "
            "the next publish completes the rest"
        ) from exc
    return PublishReport(
        target=shown or str(target),
        written=tuple(written),
        removed=tuple(removed),
        unchanged=unchanged,
    )


def _make_room(target: Path, relative: str, previous: set[str]) -> None:
    """Clear the way for ``relative``: a file of ours where the site now has a folder goes;
    a folder where the site now has a file is refused unless it is empty."""
    parts = relative.split("/")
    for depth in range(1, len(parts)):
        prefix = "/".join(parts[:depth])
        path = target / prefix
        if path.is_file() or path.is_symlink():
            if prefix not in previous:
                raise PublishError(
                    f"{path}: a file not published by the tracker is where the site has a folder"
                )
            path.unlink()
    destination = target / relative
    if destination.is_dir() and not destination.is_symlink():
        try:
            destination.rmdir()
        except OSError:
            raise PublishError(
                f"{destination}: a folder that is not empty is where the site has a file"
            ) from None


def _prune(folder: Path, target: Path) -> None:
    """Remove the empty folders from ``folder`` up to (not including) ``target``."""
    while folder != target and target in folder.parents:
        with contextlib.suppress(OSError):
            folder.rmdir()
        if folder.exists():
            return
        folder = folder.parent


# --------------------------------------------------------------------------- git
def publish_to_git(
    site: Path,
    workdir: Path,
    settings: GitSettings,
    *,
    message: str = "Publish the site",
    protect: Sequence[Path] = (),
) -> PublishReport:
    """Commit the built ``site`` onto the remote's branch and push it (never forced).

    ``workdir`` is the tracker's own working folder (created on first use): a repository whose
    files are a copy of the site. ``settings`` names the remote, the branch and the identity.
    Nothing is committed or pushed when the branch already holds the site.
    """
    if not settings.remote:
        raise PublishError("no git remote to publish the site to")
    check_target(site, workdir, protect)  # before git creates anything there
    store = GitStore(workdir, settings)
    shown = f"{settings.shown_remote} ({settings.branch})"
    try:
        if not store.is_repository():
            workdir.mkdir(parents=True, exist_ok=True)
            store.run("init", "--quiet", f"--initial-branch={settings.branch}")
            exclude = workdir / ".git" / "info" / "exclude"
            exclude.parent.mkdir(parents=True, exist_ok=True)
            exclude.write_text(_EXCLUDE, encoding="utf-8")
        remote_head = store.fetch()
        if remote_head is not None:
            # The branch and the index become the remote's; the folder keeps the last copy.
            store.run("reset", "--quiet", "--mixed", remote_head)
        copied = publish_to_folder(site, workdir, protect=protect, shown=shown)
        store.stage()
        if store.has_staged():
            store.commit(message)
        commit = store.head()
        # A commit left unpushed by a failed publish is pushed now, even with nothing new.
        pushed = commit is not None and commit != remote_head
        if pushed:
            store.push()
    except GitError as exc:
        raise PublishError(
            f"publishing the site to {shown}: {redact(str(exc), settings.remote)}; the archive "
            "is untouched and the next publish tries again"
        ) from exc
    return _report(copied, commit=commit, pushed=pushed)


def _report(copied: PublishReport, *, commit: str | None, pushed: bool) -> PublishReport:
    return PublishReport(
        target=copied.target,
        written=copied.written,
        removed=copied.removed,
        unchanged=copied.unchanged,
        commit=commit,
        pushed=pushed,
    )


def publish(
    site: Path, settings: SiteSettings, *, archive: Path, message: str = "Publish the site"
) -> list[str]:
    """Publish the built site wherever ``settings`` says (folder, git, both) and never over
    ``archive``; the reports' lines (none when nothing is configured). ``message`` is the git
    commit's."""
    lines = []
    if settings.publish_dir is not None:
        lines.append(publish_to_folder(site, settings.publish_dir, protect=[archive]).line())
    if settings.git is not None:
        done = publish_to_git(
            site, settings.git_workdir, settings.git, message=message, protect=[archive]
        )
        lines.append(done.line())
    return lines
