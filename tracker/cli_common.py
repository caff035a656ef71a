"""What every command of the command line shares: exit codes, options' context, error handling.

Exit codes: 0 success; 1 a document was inaccessible (with ``--strict``), ``verify`` found a
mismatch, or Telegram alerts failed; 2 bad configuration or input, or a state database that
cannot be used (:class:`~tracker.state.StateError`: locked by another process, read-only, not a
database); 3 archive failure.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from tracker import config
from tracker.errors import ArchiveError, BackfillError, ConfigError, TrackerError

EXIT_INACCESSIBLE = 1
EXIT_USAGE = 2
EXIT_ARCHIVE = 3


class Context:
    """The global options, for the commands (settings are loaded when a command needs them)."""

    def __init__(self, config_dir: Path | None, archive_dir: Path | None, db: str | None) -> None:
        self.config_dir = config_dir
        self.archive_dir = archive_dir
        self.db = db

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
    except ArchiveError as exc:
        click.secho(f"archive error (run stopped, nothing half-written): {exc}", fg="red", err=True)
        sys.exit(EXIT_ARCHIVE)
    except TrackerError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(EXIT_USAGE)
