"""The exception tree of the tracker, and the policy for each branch.

::

    TrackerError
    ├── ConfigError             a file under config/ is invalid (file, key, expected): fatal
    ├── FetchError              operational: an *inaccessible* check, tried again next run
    │   ├── TransientFetchError timeout, reset, 5xx, truncated body: retried with backoff
    │   └── BlockedError        999/403/429, sign-in or auth wall, consent interstitial, app shell,
    │                           oversized or non-HTML answer — never retried within a pass
    ├── ExtractError            operational: recorded as *inaccessible*; a human should look
    │   ├── SelectorNotFoundError   the page's structure changed: no ``select`` rule matched
    │   └── EmptyContentError       the selection holds (almost) no text
    │   (other causes: too-deeply-nested, parse-truncated: the parser lost part of the page)
    ├── ArchiveError            fatal to the document's check, integrity first (see below)
    │   └── GitError            a git command on the archive failed (command, git's words)
    │       └── ArchiveDivergedError  the archive and its remote diverged: refused, nothing lost
    ├── BackfillError           a backfill folder is unusable (bad file name, unknown document)
    ├── PublishError            the built site could not be published (folder or git remote):
    │                           the archive is untouched; published again at the next pass
    ├── QueryError              a question asked of the archive names nothing in it (a date before
    │                           the first version, an ambiguous prefix, an unknown label): exit 2
    └── StateError              the state database cannot be used (locked, read-only, unreachable
        │                       server, refused login...): one line naming it, exit code 2
        └── SchemaTooNew        its schema was migrated by a newer release

Policy: stages raise; only :mod:`tracker.pipeline` decides what a failure means (an outcome, a
retry, an abort); only :mod:`tracker.cli.main` turns errors into exit codes and human messages.
Stages never catch programmer errors (``TypeError``, ``KeyError`` ...). One document's failure
never stops the others: :func:`tracker.runtime.check_documents` and the scheduler's worker
catch *any* exception of one document's check, log it at ERROR with its traceback and record
it as an inaccessible check (:func:`tracker.pipeline.record_error`: cause ``internal-error``,
or ``archive-error`` for an :class:`ArchiveError`), then go on with the next document.
``tracker check`` still exits 3 after its pass when an archive error occurred; ``tracker run``
keeps checking. Every error carries a
``cause`` (a short, stable, kebab-case word recorded in ``checks.csv``) and chains the exception
it translates (``raise ... from exc``): ``requests`` errors never leak above
:mod:`tracker.fetch.fetcher`.

Telegram delivery has no branch here: python-telegram-bot's ``TelegramError`` tree never leaves
:mod:`tracker.notify.delivery`, which turns each error into an outbox status (sent, retried later,
failed for the message or for the whole chat) by the policy written in its docstring. A failed alert
is data to act on (``tracker outbox``), not an exception.
"""

from __future__ import annotations


class TrackerError(Exception):
    """Base class of every error the tracker raises on purpose."""

    cause: str = "error"

    def __init__(self, message: str, *, cause: str | None = None) -> None:
        super().__init__(message)
        if cause is not None:
            self.cause = cause


class ConfigError(TrackerError):
    """A configuration file is missing, unreadable or invalid."""

    cause = "bad-config"


class FetchError(TrackerError):
    """A capture could not be made or is not the document."""

    cause = "fetch-failed"


class TransientFetchError(FetchError):
    """A failure that may go away by itself: worth a retry with backoff."""

    cause = "network-error"


class BlockedError(FetchError):
    """The server answered, but not with the document (anti-bot answer, wall, shell)."""

    cause = "blocked"


class ExtractError(TrackerError):
    """The document's text could not be extracted with its rules."""

    cause = "extract-failed"


class SelectorNotFoundError(ExtractError):
    """None of the ``select`` rules matched: the page's structure changed or it is not the page."""

    cause = "selector-not-found"


class EmptyContentError(ExtractError):
    """The selection matched but holds too little text to be the document."""

    cause = "too-little-text"


class ArchiveError(TrackerError):
    """The archive could not be read or written consistently. Fatal to the run."""

    cause = "archive-error"


class GitError(ArchiveError):
    """A git command failed: the message names it and what git said (credentials redacted).

    A failed *push* is not raised past :mod:`tracker.archive.history`: the commits stay, the push is
    retried at the next pass, and the maintainers are told after repeated failures.
    """

    cause = "git-error"


class ArchiveDivergedError(GitError):
    """The archive and its remote both have commits the other lacks: nothing is discarded."""

    cause = "archive-diverged"


class BackfillError(TrackerError):
    """A folder given to ``tracker import`` cannot be imported."""

    cause = "bad-import"


class PublishError(TrackerError):
    """The site could not be published to its folder or git remote (the message names the
    target, credentials redacted, and what failed). Nothing of the archive is touched; every
    published file is whole (old or new), and the next publish starts again from the site."""

    cause = "publish-failed"


class QueryError(TrackerError):
    """A question asked of the archive (``show``, ``changes``, ``search``, ``diff``) cannot be
    answered as asked: the message names what was asked and what exists."""

    cause = "bad-query"


class StateError(TrackerError):
    """The state database cannot be used: locked, read-only, not a database, unreachable."""

    cause = "state-error"
