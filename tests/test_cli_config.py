"""Configuration that used to pass ``tracker validate`` and break runs: refused by every command.

Each case is refused by ``validate`` and at the start of every command that loads the
configuration, with one line naming the file and the key, exit code 2 and no traceback. The
commands run in this process through click's runner (the real command line, without a
subprocess per case); ``tests/test_cli.py`` runs a real process against a locked database.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
DOC = "acme/privacy"
DOC_TEXT = (
    'title = "Acme"\nurl = "http://127.0.0.1:9/p"\nlanguage = "en"\nrules = "linkedin-legal"\n'
)

#: No retries and no waits, should a case be accepted and a document fetched.
FAST_FETCH = "[fetch]\nretries = 0\nhost_delay_seconds = 0\nallow_private_addresses = true\n"

#: Every command that loads the configuration, with the arguments it needs.
COMMANDS = {
    "validate": ["validate"],
    "check": ["check"],
    "run": ["run"],
    "import": ["import", "{tmp}", "--document", DOC],
    "history": ["history", DOC],
    "diff": ["diff", DOC],
    "verify": ["verify"],
    "reclassify": ["reclassify"],
    "send": ["send"],
    "outbox": ["outbox"],
}


class Setup:
    """A valid configuration in a temporary folder, to be broken one way per case."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.config = tmp / "config"
        self.documents = self.config / "documents"
        shutil.copytree(ROOT / "config" / "rules", self.config / "rules")
        shutil.copy(ROOT / "config" / "taxonomy.toml", self.config / "taxonomy.toml")
        self.write(f"documents/{DOC}.toml", DOC_TEXT)
        self.write("tracker.toml", FAST_FETCH)
        self.db = tmp / "state.db"

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.config / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def invoke(self, command: str, db_url: str | None = None) -> Result:
        args = [part.format(tmp=self.tmp) for part in COMMANDS[command]]
        return CliRunner().invoke(
            cli,
            [
                "--config",
                str(self.config),
                "--archive",
                str(self.tmp / "snapshots"),
                "--db",
                db_url or f"sqlite:///{self.db}",
                *args,
            ],
        )


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def _nested(s: Setup) -> tuple[Path, str]:
    path = s.write(f"documents/{DOC}/versions.toml", DOC_TEXT)
    return path, "document id 'acme/privacy/versions': "


def _single(s: Setup) -> tuple[Path, str]:
    path = s.write("documents/probe.toml", DOC_TEXT)
    return path, "document id 'probe': expected <platform>/<name>"


def _timezone(s: Setup) -> tuple[Path, str]:
    path = s.write("tracker.toml", FAST_FETCH + '[schedule]\ntimezone = "Mars/Olympus"\n')
    return path, "schedule.timezone: Value error, 'Mars/Olympus' is not a time zone"


def _not_utf8(s: Setup) -> tuple[Path, str]:
    path = s.write(f"documents/{DOC}.toml", DOC_TEXT.replace("Acme", "Caf\xe9").encode("latin-1"))
    return path, "not UTF-8 text: byte 0xe9 at offset 12 (line 1)"


def _never_fires(s: Setup) -> tuple[Path, str]:
    path = s.write(f"documents/{DOC}.toml", DOC_TEXT + 'schedule = "0 0 31 2 *"\n')
    return path, "schedule: Value error, '0 0 31 2 *' never fires"


def _boolean_chat(s: Setup) -> tuple[Path, str]:
    path = s.write("channels/c.toml", 'chat_id = true\ndocuments = ["acme/*"]\n')
    return path, "chat_id: Value error, true is not a chat id"


def _self_translation(s: Setup) -> tuple[Path, str]:
    path = s.write(f"documents/{DOC}.toml", DOC_TEXT + f'translation_of = "{DOC}"\n')
    return path, "translation_of: Value error, 'acme/privacy' is this document itself"


def _rules_path(s: Setup) -> tuple[Path, str]:
    path = s.write(f"documents/{DOC}.toml", DOC_TEXT.replace('"linkedin-legal"', '"../rules/x"'))
    s.write("rules/x.toml", '[extract]\nselect = ["main"]\n')
    return path, "rules: Value error, '../rules/x' is not a rule set name"


def _blank_title(s: Setup) -> tuple[Path, str]:
    path = s.write(f"documents/{DOC}.toml", DOC_TEXT.replace('"Acme"', '"  "'))
    return path, "title: Value error, the title must be one line of text"


def _no_documents(s: Setup) -> tuple[Path, str]:
    (s.documents / f"{DOC}.toml").unlink()
    return s.documents, "no document file"


CASES: dict[str, Callable[[Setup], tuple[Path, str]]] = {
    "nested-id": _nested,
    "single-segment-id": _single,
    "unknown-timezone": _timezone,
    "not-utf8": _not_utf8,
    "cron-never-fires": _never_fires,
    "boolean-chat-id": _boolean_chat,
    "translation-of-itself": _self_translation,
    "rules-path": _rules_path,
    "blank-title": _blank_title,
    "no-documents": _no_documents,
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(CASES))
def test_bad_configuration_is_refused_by_every_command(setup: Setup, case: str, command: str):
    path, expected = CASES[case](setup)
    result = setup.invoke(command)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), "an error, not a traceback"
    assert result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.rstrip("\n")], "one line"
    assert result.stderr.startswith(f"error: {path}: "), result.stderr
    assert expected in result.stderr
    assert not (setup.tmp / "snapshots").exists(), "nothing was written to the archive"


def test_the_valid_setup_passes_validate(setup: Setup):
    result = setup.invoke("validate")
    assert result.exit_code == 0, result.output
    assert "is valid: 1 documents" in result.stdout


# ------------------------------------------------------------------------- the state database
@pytest.fixture
def locked(setup: Setup) -> Iterator[sqlite3.Connection]:
    """A second connection holding a write transaction on the state database."""
    assert setup.invoke("outbox").exit_code == 0, "the database exists and is initialised"
    holder = sqlite3.connect(setup.db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.execute("ROLLBACK")
    holder.close()


@pytest.mark.parametrize("command", ["check", "run", "send", "outbox"])
def test_a_locked_database_is_one_clear_error(
    setup: Setup, locked: sqlite3.Connection, command: str
):
    url = f"sqlite:///{setup.db}?timeout=0.2"
    result = setup.invoke(command, db_url=url)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stderr == (
        f"error: state database {url} ({setup.db}): another process holds a write lock on it "
        "(waited 0.2 s); is a second tracker running? Let it finish or stop it, then try again "
        "(TRACKER_DB / --db sqlite:///PATH?timeout=SECONDS waits longer)\n"
    )


@pytest.mark.parametrize("command", ["validate", "check", "outbox"])
def test_a_file_that_is_not_a_database_is_one_clear_error(setup: Setup, command: str):
    setup.db.write_bytes(b"this is not a database, but a text file of some length" * 20)
    result = setup.invoke(command)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"error: state database sqlite:///{setup.db} ({setup.db}): ")
    assert "not an SQLite database, or damaged" in result.stderr
    assert setup.db.read_bytes().startswith(b"this is not a database"), "left as it was"


@pytest.mark.parametrize("command", ["validate", "check"])
def test_a_folder_in_place_of_the_database_is_one_clear_error(setup: Setup, command: str):
    setup.db.mkdir()
    result = setup.invoke(command)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"error: state database sqlite:///{setup.db} ({setup.db}): ")
    assert "cannot open it" in result.stderr


def test_validate_does_not_create_the_database(setup: Setup):
    assert setup.invoke("validate").exit_code == 0
    assert not setup.db.exists()
