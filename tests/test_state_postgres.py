"""PostgreSQL's own failures as one clear line (exit code 2), never showing the password: an
unreachable server, a refused login, a missing database, a write lock held too long, a
connection the server closed. Real servers, real refusals."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from tests.postgres_server import with_database
from tracker.cli.main import cli
from tracker.state.store import State, StateError, probe

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")
postgres = pytest.importorskip("tracker.state.postgres")

T0 = datetime(2026, 1, 2, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return int(probe_socket.getsockname()[1])  # nobody listens once it is closed


def with_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{user}@{parts.hostname}:{parts.port or 5432}").geturl()


def terminate_other_sessions(url: str) -> None:
    """End every other session on the test's database, as a server restart would; wait till gone."""
    with psycopg.connect(url, autocommit=True) as admin:
        others = (
            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        admin.execute("SELECT pg_terminate_backend(pid)" + others)
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*)" + others).fetchone() != (0,):
            assert time.monotonic() < deadline, "the sessions ended"
            time.sleep(0.02)


def test_an_unreachable_server_is_a_state_error_without_the_password():
    url = f"postgresql://tracker:s3cret@127.0.0.1:{closed_port()}/tracker"
    with pytest.raises(StateError) as info:
        State(url)
    message = str(info.value)
    assert message.startswith(
        f"state database postgresql://tracker:***@127.0.0.1:{urlsplit(url).port}/tracker: "
        "cannot connect to the server ("
    )
    assert message.endswith("is it running and reachable?")
    assert "s3cret" not in message
    assert "\n" not in message


def test_a_refused_login_and_a_missing_database_say_so(postgres_url: str):
    with pytest.raises(StateError, match="the server refused the login") as info:
        State(with_user(postgres_url, "nobody_here:s3cret"))
    assert "s3cret" not in str(info.value)
    with pytest.raises(StateError, match="the database does not exist"):
        State(with_database(postgres_url, "no_such_database"))


def test_the_command_line_exits_2_with_one_line(tmp_path):
    url = f"postgresql://tracker:s3cret@127.0.0.1:{closed_port()}/tracker"
    result = CliRunner().invoke(
        cli, ["--config", str(ROOT / "config"), "--archive", str(tmp_path / "a"),
              "--db", url, "send"],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: state database postgresql://tracker:***@127.0.0.1:")
    assert result.output.count("\n") == 1
    assert "s3cret" not in result.output


def test_validate_probes_the_server_without_writing(postgres_url: str):
    probe(postgres_url)
    with psycopg.connect(postgres_url) as db:
        tables = db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.fetchone() == (0,), "probe creates nothing"
    with pytest.raises(StateError, match="does not exist"):
        probe(with_database(postgres_url, "no_such_database"))


def test_a_write_lock_held_elsewhere_is_a_state_error_and_reads_go_on(postgres_url: str):
    state = State(f"{postgres_url}?timeout=0.2")
    with psycopg.connect(postgres_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", (postgres.LOCK_SPACE, postgres.WRITES))
        with pytest.raises(StateError) as info:
            state.record_failure("a/b", T0, "http-999")
        assert "another process holds a write lock on it (waited 0.2 s)" in str(info.value)
        assert state.get("a/b").failures_in_row == 0, "reads go on"
    assert state.record_failure("a/b", T0, "http-999") == 1, "usable again once released"
    state.close()


def test_a_connection_the_server_closed_fails_one_statement_then_reconnects(postgres_url: str):
    state = State(postgres_url)
    state.record_failure("a/b", T0, "x")
    terminate_other_sessions(postgres_url)
    with pytest.raises(StateError, match="lost the connection to the server"):
        state.record_failure("a/b", T0, "x")
    assert state.record_failure("a/b", T0, "x") == 2, "the next statement connects again"
    state.close()


def test_a_connection_idle_for_long_is_checked_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
):
    """A standby's connection may be closed by the server while it waits: never a lost check."""
    state = State(postgres_url)
    monkeypatch.setattr(postgres, "IDLE_PING_SECONDS", 0.0)
    terminate_other_sessions(postgres_url)
    assert state.record_failure("a/b", T0, "x") == 1
    state.close()
