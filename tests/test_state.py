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
