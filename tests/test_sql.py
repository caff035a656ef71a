"""Queries written once for both databases, and ``TRACKER_DB`` URLs shown without secrets."""

from __future__ import annotations

import pytest

from tracker.errors import ConfigError
from tracker.state.sql import to_postgres
from tracker.state.url import parse_state_url


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = %s AND c = %s"),
        ("SELECT '?', \"a?\" FROM t WHERE x LIKE '%y' AND z = ?",
         "SELECT '?', \"a?\" FROM t WHERE x LIKE '%%y' AND z = %s"),
        ("SELECT 100 % 7", "SELECT 100 %% 7"),
        ("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
         "INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT DO NOTHING"),
        ("INSERT OR REPLACE INTO meta(key, value) VALUES ('k', ?)",
         "INSERT INTO meta(key, value) VALUES ('k', %s)"
         " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"),
        ("insert or replace into document_state(document, etag) values (?, ?);",
         "INSERT INTO document_state(document, etag) values (%s, %s)"
         " ON CONFLICT (document) DO UPDATE SET etag = EXCLUDED.etag"),
    ],
)  # fmt: skip
def test_sqlite_statements_are_rewritten_for_psycopg(sqlite: str, postgres: str):
    assert to_postgres(sqlite) == postgres


def test_replacing_into_a_table_of_unknown_key_is_a_bug_not_a_guess():
    with pytest.raises(ValueError, match="its key is unknown"):
        to_postgres("INSERT OR REPLACE INTO outbox(id, status) VALUES (?, ?)")


@pytest.mark.parametrize(
    ("url", "shown", "conninfo"),
    [
        ("postgresql://tracker:s3cret@db.example:5433/policy?sslmode=require",
         "postgresql://tracker:***@db.example:5433/policy?sslmode=require",
         "postgresql://tracker:s3cret@db.example:5433/policy?sslmode=require&connect_timeout=10"),
        ("postgres://tracker@db/policy?timeout=30&password=s3cret&connect_timeout=3",
         "postgres://tracker@db/policy?timeout=30&password=***&connect_timeout=3",
         "postgresql://tracker@db/policy?password=s3cret&connect_timeout=3"),
        ("postgresql+psycopg://db/policy", "postgresql+psycopg://db/policy",
         "postgresql://db/policy?connect_timeout=10"),
    ],
)  # fmt: skip
def test_postgres_urls_keep_their_options_and_hide_their_password(
    url: str, shown: str, conninfo: str
):
    parsed = parse_state_url(url)
    assert (parsed.dialect, parsed.shown, parsed.conninfo) == ("postgresql", shown, conninfo)
    assert parsed.password in {"s3cret", ""}
    assert "s3cret" not in parsed.shown


def test_the_lock_wait_of_a_postgres_url():
    assert parse_state_url("postgresql://db/x").timeout == 5.0
    assert parse_state_url("postgresql://db/x?timeout=0.5").timeout == 0.5


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u:s3cret@db/", "name the database"),
        ("postgresql://u:s3cret@db:port/x", "the port is not a number"),
        ("postgresql://u:s3cret@db/x?timeout=soon", "is not a number of seconds"),
        ("mysql://u:s3cret@db/x", "is not supported"),
    ],
)
def test_bad_urls_are_refused_without_their_password(url: str, message: str):
    with pytest.raises(ConfigError, match=message) as info:
        parse_state_url(url)
    assert "s3cret" not in str(info.value)
