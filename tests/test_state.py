"""The state database: failure streaks and validators survive a restart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.errors import ConfigError
from tracker.models import Validators
from tracker.state import State, sqlite_path

T0 = datetime(2026, 1, 2, tzinfo=UTC)


def test_failure_streak_counts_and_resets_across_restarts(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/state.db"
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


def test_unknown_document_has_empty_state():
    state = State("sqlite://")
    assert state.get("x/y").failures_in_row == 0
    assert state.get("x/y").validators == Validators()


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
    with pytest.raises(ConfigError, match="is not supported; use an SQLite URL"):
        State("postgresql://localhost/tracker")


def test_a_version_1_database_gains_the_outbox_on_open(tmp_path):
    import sqlite3
    from datetime import UTC, datetime

    from tracker.outbox import Outbox, Queued
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
        assert state.read("SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
        now = datetime(2026, 1, 1, tzinfo=UTC)
        box = Outbox(state, now)
        assert box.since == now
        assert box.enqueue("k", [Queued("c", "@chan_x", Message(role="summary", html="x"))], at=now)
        assert [row.message.html for row in box.pending()] == ["x"]
    finally:
        state.close()
