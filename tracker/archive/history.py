"""The archive's git history: restored at start-up, committed after each pass, pushed.

- **Start-up** (:meth:`History.start`, under the archive's lock, before anything is checked):
  a folder that is not yet a repository is put under git, its existing content in a first
  commit. With a remote, a missing or empty folder (nothing but the project's ``README.md``,
  the lock and git's own files) is cloned from it; a repository behind it is fast-forwarded;
  one that diverged from it is refused (:class:`~tracker.archive.gitstore.ArchiveDivergedError`),
  nothing discarded. A remote that cannot be reached stops the start only when there is no
  local history to check against (a silent "first record" is what this prevents).
- **Commits** (:meth:`History.commit_pass`): one per document with a recorded version, then one
  for the rest of the pass, with the grammar of :mod:`tracker.archive.commit_messages`.
- **Pushes** (:meth:`History.push`): never forced. A failed push keeps every local commit and
  is tried again at the next pass; its outcome is kept in the state database (``meta`` key
  ``archive_push``); the maintainers hear of it once after ``inaccessible_after`` failures in
  a row, and once when a push goes through again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tracker.archive.commit_messages import (
    RECORDING,
    Event,
    checks_message,
    command_message,
    document_message,
)
from tracker.archive.gitstore import ArchiveDivergedError, GitError, GitSettings, GitStore
from tracker.archive.lock import archive_lock_path, send_lock_path, worker_lock_path
from tracker.archive.store import Archive
from tracker.ops import metrics
from tracker.state.store import State
from tracker.timestamps import from_iso, to_iso

if TYPE_CHECKING:
    from tracker.notify.alerts import Alerts
    from tracker.pipeline import Result

log = logging.getLogger(__name__)

#: Up to this many documents in a pass, its last commit stages their paths only; beyond, the
#: whole archive (one walk of the tree costs less than matching thousands of paths).
TARGETED_STAGING_MAX = 64

#: The ``meta`` key of the state database that holds the last push's outcome.
PUSH_KEY = "archive_push"
#: ``tracker run`` tries a failed push again at most this often, besides after each check.
PUSH_RETRY_SECONDS = 300
#: Entries of a folder that do not make it a history worth keeping (it counts as empty).
EMPTY_FOLDER_NAMES = frozenset({"README.md", ".git", ".gitignore", ".gitattributes"})


@dataclass(frozen=True, slots=True)
class PushRecord:
    """The outcome of the pushes so far, as kept in the state database."""

    last_attempt: str = ""
    last_success: str = ""
    failures: int = 0
    first_failure: str = ""
    last_error: str = ""

    @classmethod
    def parse(cls, text: str | None) -> PushRecord:
        """Read the JSON kept under :data:`PUSH_KEY` (an empty record if none or damaged)."""
        try:
            data = json.loads(text or "{}")
            return cls(**{key: data[key] for key in cls.__slots__ if key in data})
        except (ValueError, TypeError):
            return cls()


def is_empty(archive: Archive) -> bool:
    """True when the folder holds no history: missing, or only README.md, locks and git files."""
    if not archive.root.is_dir():
        return True
    ignored = EMPTY_FOLDER_NAMES | {
        archive_lock_path(archive.root).name,
        send_lock_path(archive.root).name,
        worker_lock_path(archive.root).name,
    }
    return all(
        path.name in ignored or path.name.startswith(".tmp-") for path in archive.root.iterdir()
    )


class History:
    """The git side of one archive, for one process."""

    def __init__(
        self,
        archive: Archive,
        settings: GitSettings,
        state: State,
        *,
        now: Callable[[], datetime],
        alerts: Alerts | None = None,
        notify_after: int = 3,
    ) -> None:
        """Keep ``archive`` in git with ``settings``; push outcomes go to ``state``."""
        self.archive = archive
        self.settings = settings
        self.store = GitStore(archive.root, settings)
        self.state = state
        self.now = now
        self.alerts = alerts
        self.notify_after = notify_after
        self.delivered = 0
        """Delivery marks appended since the last commit (they name the commit)."""

    # ----------------------------------------------------------------- start-up
    def start(self) -> list[str]:
        """Put the folder under git, restore it from the remote; returns what was done.

        Must be called under the archive's lock.

        Raises:
            ArchiveDivergedError: the archive and its remote have diverged.
            GitError: git failed, or the remote cannot be reached while there is no local
                history to check against.
        """
        done: list[str] = []
        fresh = not self.store.is_repository() or self.store.head() is None
        if fresh and self.settings.remote and is_empty(self.archive):
            self.store.init()  # again after a clone that was interrupted: harmless
            done += self._clone()
        elif not self.store.is_repository():
            had_content = not is_empty(self.archive)
            self.store.init()
            if had_content:
                self._commit_all("Start the archive's history", ["existing files put under git"])
                done.append(f"{self.archive.root}: put under git, its files in a first commit")
                log.warning("%s", done[-1])
        self.store.clear_stale_locks()
        self.store.write_ignores()
        if self.settings.remote and self.store.head() is not None:
            done += self._follow()
        return done

    def _clone(self) -> list[str]:
        """Fill an empty folder (a fresh repository) from the remote's history, if it has one."""
        remote = self.settings.shown_remote
        try:
            upstream = self.store.fetch()
        except GitError as exc:
            raise GitError(
                f"cannot restore the archive {self.archive.root} from {remote}: {exc}; "
                "nothing was checked (a check now would record a first version over a "
                "history that exists)"
            ) from exc
        if upstream is None:
            return [f"remote {remote} has no history yet: it gets this archive's at the next push"]
        self.store.check_out(upstream)
        count = self.store.count("HEAD")
        log.warning("archive: cloned %d commits from %s into %s", count, remote, self.archive.root)
        return [f"cloned {count} commits from {remote}"]

    def _follow(self) -> list[str]:
        """Fast-forward to the remote, or refuse when the two histories diverged."""
        remote = self.settings.shown_remote
        local = self.store.head() or ""
        try:
            upstream = self.store.fetch()
        except GitError as exc:
            log.warning(
                "archive: cannot reach %s (%s); going on with the local history", remote, exc
            )
            return [f"remote {remote} unreachable: checking against the local history"]
        if upstream is None or upstream == local or self.store.is_ancestor(upstream, local):
            return []
        if self.store.is_ancestor(local, upstream):
            behind = self.store.count(f"{local}..{upstream}")
            self.store.fast_forward(upstream)
            log.warning("archive: fast-forwarded %d commits from %s", behind, remote)
            return [f"fast-forwarded {behind} commits from {remote}"]
        raise ArchiveDivergedError(
            f"the archive {self.archive.root} and its remote {remote} have diverged (local "
            f"{local[:12]}, remote {upstream[:12]}): each holds commits the other lacks, and "
            "nothing is ever discarded. Compare them with git and keep one history (e.g. move "
            "this folder aside to start again from the remote's), then run again"
        )

    # ----------------------------------------------------------------- commits
    def _commit_all(self, subject: str, body: Sequence[str], document: str = "") -> str | None:
        self.store.write_ignores()
        self.store.stage()
        if not self.store.has_staged():
            return None
        return self.store.commit(command_message(subject, body, self.archive.head(), document))

    def commit_command(self, subject: str, body: Sequence[str], document: str = "") -> str | None:
        """Commit everything after another writing command (import, relabel), under the lock."""
        self.store.clear_stale_locks()
        if not self.store.is_repository():
            self.store.init()
        return self._commit_all(subject, body, document)

    def commit_pass(self, results: Sequence[Result]) -> int:
        """Commit a pass's records, under the lock; returns how many commits were made.

        A document with a recorded version gets a commit of its own: its folder, the index of
        its platform, and the archive chain up to its last entry (so that the commit's
        ``Archive-Head`` is the head its tree holds). Everything else goes in one last commit:
        with ``results``, the files they can have touched (their documents' folders, the
        indexes above them, the archive's own files), so that a check costs the same with 10
        documents as with 3,000; without (the worker's periodic publish), or for more than
        :data:`TARGETED_STAGING_MAX` documents (a whole pass), the whole archive.
        """
        self.store.clear_stale_locks()
        if not self.store.is_repository():
            self.store.init()
        self.store.write_ignores()
        events: dict[str, list[Event]] = {}
        for result in results:
            events.setdefault(result.document, []).append(
                Event(result.document, result.outcome, result.version, result.cause)
            )
        made = 0
        rest: list[Event] = []
        for document, items in events.items():
            if not any(e.outcome in RECORDING for e in items):
                rest += items
                continue
            paths = [document, *self._indexes_above(document)]
            if self.store.head() is None:  # the first commit also holds the archive's own files
                paths += self._own_files()
            self.store.stage(paths)
            head = self._stage_chain_up_to(document)
            if self.store.has_staged():
                self.store.commit(document_message(document, items, head))
                made += 1
        if 0 < len(events) <= TARGETED_STAGING_MAX:
            folders = [d for d in events if (self.archive.root / d).exists()]
            indexes = sorted({path for d in events for path in self._indexes_above(d)})
            chain = ["chain.csv"] if (self.archive.root / "chain.csv").is_file() else []
            self.store.stage([*folders, *indexes, *self._own_files(), *chain])
        else:
            self.store.stage()
        if self.store.has_staged():
            self.store.commit(checks_message(rest, self.archive.head(), self.delivered))
            made += 1
        self.delivered = 0
        return made

    def _own_files(self) -> list[str]:
        """The archive's files of its own, at its root, that exist."""
        return [
            name
            for name in (".gitignore", ".gitattributes", "README.md", "deliveries.csv")
            if (self.archive.root / name).is_file()
        ]

    def _indexes_above(self, document: str) -> list[str]:
        """The index pages (``README.md``) of the folders above a document's, that exist."""
        folder = self.archive.folder(document).relative_to(self.archive.root)
        return [
            f"{parent.as_posix()}/README.md"
            for parent in list(folder.parents)[:-1]
            if (self.archive.root / parent / "README.md").is_file()
        ]

    def _stage_chain_up_to(self, document: str) -> str:
        """Stage the archive's ``chain.csv`` up to the document's last entry; that entry's hash."""
        path = self.archive.root / "chain.csv"
        anchors = self.archive.anchors()
        mine = [a for a in anchors if a.document == document]
        if not mine or not path.is_file():
            self.store.stage(["chain.csv"] if path.is_file() else [])
            return self.archive.head()
        lines = path.read_bytes().splitlines(keepends=True)
        self.store.stage_bytes("chain.csv", b"".join(lines[: mine[-1].seq + 1]))
        return mine[-1].hash

    # ----------------------------------------------------------------- pushes
    def push_record(self) -> PushRecord:
        """The outcome of the pushes so far."""
        return PushRecord.parse(self.state.get_meta(PUSH_KEY))

    def push(self, *, periodic: bool = False) -> str | None:
        """Push the local commits the remote lacks, under the lock; a line for people, or None.

        ``periodic``: a retry from ``tracker run``'s timer, made only after a failure and at
        most every :data:`PUSH_RETRY_SECONDS`.
        """
        if not self.settings.remote or not self.store.is_repository():
            return None
        record = self.push_record()
        if periodic:
            if not record.failures:
                return None
            if record.last_attempt and self.now() - from_iso(record.last_attempt) < timedelta(
                seconds=PUSH_RETRY_SECONDS
            ):
                return None
        waiting = self.store.unpushed()
        if not waiting and not record.failures:
            return None
        remote = self.settings.shown_remote
        at = to_iso(self.now())
        try:
            self.store.push()
        except GitError as exc:
            metrics.count_push_failure()
            failures = record.failures + 1
            record = replace(
                record,
                last_attempt=at,
                failures=failures,
                first_failure=record.first_failure or at,
                last_error=str(exc),
            )
            self._keep(record)
            log.warning("archive: push to %s failed (%d in a row): %s", remote, failures, exc)
            if failures == self.notify_after and self.alerts is not None:
                self.alerts.notify_maintainers(
                    f"archive-push-failed:{record.first_failure}",
                    f"⚠️ the archive could not be pushed to {remote} {failures} times in a row "
                    "(local commits are kept and pushed again at each pass)",
                    [str(exc)[:500]],
                )
            return (
                f"archive: push to {remote} failed ({failures} in a row; {waiting} local "
                f"commits kept, tried again next pass): {exc}"
            )
        if record.failures >= self.notify_after and self.alerts is not None:
            self.alerts.notify_maintainers(
                f"archive-push-recovered:{record.first_failure}",
                f"✅ the archive was pushed to {remote} again, after {record.failures} failed "
                "pushes",
            )
        self._keep(PushRecord(last_attempt=at, last_success=at))
        return f"archive: pushed {waiting} commits to {remote}"

    def _keep(self, record: PushRecord) -> None:
        self.state.set_meta(PUSH_KEY, json.dumps(asdict(record), sort_keys=True))


__all__ = ["EMPTY_FOLDER_NAMES", "PUSH_KEY", "History", "PushRecord", "is_empty"]
