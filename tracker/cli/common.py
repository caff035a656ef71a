"""What every command of the command line shares: exit codes, options' context, error handling.

Exit codes: 0 success; 1 a document was inaccessible (with ``--strict``), ``verify`` found a
mismatch, or Telegram alerts failed; 2 bad configuration or input, or a state database that
cannot be used (:class:`~tracker.state.store.StateError`: locked by another process, read-only, not
a database); 3 archive failure; 4 the archive is locked by another process and ``--wait`` ran out
(nothing was done).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from tracker import config
from tracker.archive.lock import LockTimeout
from tracker.errors import ArchiveError, BackfillError, ConfigError, TrackerError

EXIT_INACCESSIBLE = 1
EXIT_USAGE = 2
EXIT_ARCHIVE = 3
EXIT_BUSY = 4

#: Seconds a one-off command waits for the archive's lock by default (``--wait``).
DEFAULT_LOCK_WAIT = 600.0


class Context:
    """The global options, for the commands (settings are loaded when a command needs them)."""

    def __init__(
        self,
        config_dir: Path | None,
        archive_dir: Path | None,
        db: str | None,
        wait: float | None = None,
    ) -> None:
        self.config_dir = config_dir
        self.archive_dir = archive_dir
        self.db = db
        #: ``--wait``: seconds to wait for the archive's lock (None: the command's default)
        self.wait = wait

    def lock_wait(self, default: float | None = DEFAULT_LOCK_WAIT) -> float | None:
        """How long this command waits for another process's lock on the archive."""
        return default if self.wait is None else self.wait

    def settings(self) -> config.Settings:
        """Load the configuration (ConfigError names the file and key at fault)."""
        return config.load(self.config_dir, self.archive_dir, self.db)


@contextmanager
def errors() -> Iterator[None]:
    """Turn the tracker's errors into one clear message and an exit code."""
    try:
        yield
    except (ConfigError, BackfillError) as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(EXIT_USAGE)
    except LockTimeout as exc:
        click.secho(f"busy: {exc}", fg="red", err=True)
        sys.exit(EXIT_BUSY)
    except ArchiveError as exc:
        click.secho(f"archive error (run stopped, nothing half-written): {exc}", fg="red", err=True)
        sys.exit(EXIT_ARCHIVE)
    except TrackerError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(EXIT_USAGE)
