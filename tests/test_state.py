"""The state database: failure streaks and validators survive a restart, on SQLite and on
PostgreSQL (``db_url``: each test that takes it runs once per backend, on a real server)."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.errors import ConfigError
from tracker.models import Validators
from tracker.state.migrations import SCHEMA_VERSION
from tracker.state.store import State, StateError, parse_sqlite_url, probe, sqlite_path

T0 = datetime(2026, 1, 2, tzinfo=UTC)


def test_failure_streak_counts_and_resets_across_restarts(db_url: str):
    url = db_url
    state = State(url)
    assert state.record_failure("a/b", T0, "http-999") == 1
    assert state.record_failure("a/b", T0, "auth-wall") == 2
    state.close()
    state = State(url)
    assert state.get("a/b").failures_in_row == 2
    assert state.get("a/b").last_cause == "auth-wall"
    assert state.record_success("a/b", T0, Validators(etag='"x"')) == 2
    current = state.get("a/b")
    assert (current.failures_in_row, current.validators.etag) == (0, '"x"')
    assert current.last_success_at == T0
    state.close()


def test_unknown_document_has_empty_state(db_url: str):
    state = State(db_url)
    assert state.get("x/y").failures_in_row == 0
    assert state.get("x/y").validators == Validators()
    state.close()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///.tracker/state.sqlite3", ".tracker/state.sqlite3"),
        ("sqlite:////var/lib/t.db", "/var/lib/t.db"),
        ("sqlite://", ":memory:"),
    ],
)
def test_sqlite_urls(url: str, path: str):
    assert sqlite_path(url) == path


def test_other_databases_are_refused_with_a_clear_message():
    with pytest.raises(ConfigError, match="is not supported; use an SQLite URL") as info:
        State("mysql://tracker:s3cret@localhost/tracker")
    assert "s3cret" not in str(info.value)


def test_a_version_1_database_gains_the_outbox_on_open(tmp_path):
    import sqlite3
    from datetime import UTC, datetime

    from tracker.notify.outbox import Outbox, Queued
    from tracker.render.telegram import Message

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "INSERT INTO meta VALUES ('schema_version', '1');"
            "CREATE TABLE document_state (document TEXT PRIMARY KEY, etag TEXT,"
            " last_modified TEXT, failures_in_row INTEGER NOT NULL DEFAULT 0,"
            " last_cause TEXT NOT NULL DEFAULT '', last_checked_at TEXT, last_success_at TEXT);"
            "INSERT INTO document_state(document, failures_in_row) VALUES ('a/b', 2);"
        )
    db.close()
    state = State(f"sqlite:///{path}")
    try:
        assert state.get("a/b").failures_in_row == 2, "old state kept"
        assert state.read("SELECT value FROM meta WHERE key = 'schema_version'") == [
            (str(SCHEMA_VERSION),)
        ]
        assert state.get("a/b").failing_since is None  # the column of migration 3 is there
        now = datetime(2026, 1, 1, tzinfo=UTC)
        box = Outbox(state, now)
        assert box.since == now
        assert box.enqueue("k", [Queued("c", "@chan_x", Message(role="summary", html="x"))], at=now)
        assert [row.message.html for row in box.pending()] == ["x"]
    finally:
        state.close()


# ------------------------------------------------------------ failures of the database itself
def hold_write_lock(path: Path) -> sqlite3.Connection:
    """A second connection holding a write transaction, as another tracker process would."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_write_lock_held_elsewhere_is_a_state_error_naming_the_database(tmp_path: Path):
    path = tmp_path / "state.db"
    url = f"sqlite:///{path}?timeout=0.05"
    state = State(url)
    holder = hold_write_lock(path)
    try:
        with pytest.raises(StateError) as info:
            state.record_failure("a/b", T0, "http-999")
        assert str(info.value) == (
            f"state database {url} ({path}): another process holds a write lock on it "
            "(waited 0.05 s); is a second tracker running? Let it finish or stop it, then try "
            "again (TRACKER_DB / --db sqlite:///PATH?timeout=SECONDS waits longer)"
        )
        assert isinstance(info.value.__cause__, sqlite3.OperationalError), "the cause is chained"
        assert state.get("a/b").failures_in_row == 0, "reads go on (WAL)"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert state.record_failure("a/b", T0, "http-999") == 1, "usable again once released"
    state.close()


def test_opening_a_locked_database_is_a_state_error(tmp_path: Path):
    path = tmp_path / "state.db"
    State(f"sqlite:///{path}").close()
    holder = hold_write_lock(path)
    try:
        with pytest.raises(StateError, match="another process holds a write lock on it"):
            State(f"sqlite:///{path}?timeout=0")
    finally:
        holder.close()


def test_a_file_that_is_not_a_database_is_a_state_error_and_is_left_alone(tmp_path: Path):
    path = tmp_path / "state.db"
    path.write_bytes(b"not a database " * 100)
    with pytest.raises(StateError, match=r"\): not an SQLite database, or damaged \(") as info:
        State(f"sqlite:///{path}")
    assert str(info.value).startswith(f"state database sqlite:///{path} ({path}): ")
    assert path.read_bytes() == b"not a database " * 100


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_a_read_only_database_is_a_state_error(tmp_path: Path):
    path = tmp_path / "state.db"
    state = State(f"sqlite:///{path}")
    state.close()
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(StateError, match="cannot write to it"):
            State(f"sqlite:///{path}").record_failure("a/b", T0, "x")
    finally:
        tmp_path.chmod(0o755)


def test_a_database_under_a_file_is_a_state_error(tmp_path: Path):
    (tmp_path / "plain").write_text("x")
    with pytest.raises(StateError, match=r"state\.db\): cannot create its folder \("):
        State(f"sqlite:///{tmp_path}/plain/state.db")


def test_our_own_sql_mistakes_are_not_disguised(db_url: str):
    state = State(db_url)
    with pytest.raises(Exception, match="syntax error") as info:
        state.read("SELEC 1")
    assert not isinstance(info.value, StateError)
    state.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///s.db", ("s.db", 5.0)),
        ("sqlite:///s.db?timeout=30", ("s.db", 30.0)),
        ("sqlite://?timeout=0", (":memory:", 0.0)),
    ],
)
def test_the_url_may_set_the_lock_wait(url: str, expected: tuple[str, float]):
    assert parse_sqlite_url(url) == expected


@pytest.mark.parametrize("query", ["timeout=soon", "timeout=-1", "mode=ro"])
def test_other_url_options_are_refused(query: str):
    with pytest.raises(ConfigError, match=r"is not an option; the only one is \?timeout=SECONDS"):
        parse_sqlite_url(f"sqlite:///s.db?{query}")


def test_probe_reads_without_creating_or_changing_anything(tmp_path: Path):
    path = tmp_path / "state.db"
    probe(f"sqlite:///{path}")
    assert list(tmp_path.iterdir()) == [], "a missing database is fine, and is not created"
    state = State(f"sqlite:///{path}")
    state.record_failure("a/b", T0, "x")
    state.close()
    before = path.read_bytes()
    probe(f"sqlite:///{path}")
    assert path.read_bytes() == before
    path.write_bytes(b"not a database " * 100)
    with pytest.raises(StateError, match="not an SQLite database"):
        probe(f"sqlite:///{path}")
