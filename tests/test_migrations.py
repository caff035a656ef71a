"""The schema's migrations: a database of today's release upgrades in place without loss, two
processes starting on a fresh database apply each migration once, and a database migrated by a
newer release is refused (on SQLite and on PostgreSQL, ``db_url``)."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.notify.outbox import Outbox, Queued, Status
from tracker.render.telegram import Message
from tracker.state.migrations import MIGRATIONS, SCHEMA_VERSION, SchemaTooNew
from tracker.state.store import State, StateError

T0 = datetime(2026, 1, 2, tzinfo=UTC)

#: What the release before migrations wrote (tracker/state/store.py's _SCHEMA, SCHEMA_VERSION = 2),
#: with a row in every table: the file an operator upgrading has on disk.
RELEASE_0_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS document_state (
    document        TEXT PRIMARY KEY,
    etag            TEXT,
    last_modified   TEXT,
    failures_in_row INTEGER NOT NULL DEFAULT 0,
    last_cause      TEXT NOT NULL DEFAULT '',
    last_checked_at TEXT,
    last_success_at TEXT
);
CREATE TABLE IF NOT EXISTS alerts (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    document     TEXT NOT NULL DEFAULT '',
    version      TEXT NOT NULL DEFAULT '',
    significance TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY,
    alert_id    INTEGER NOT NULL REFERENCES alerts(id),
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    role        TEXT NOT NULL,
    method      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL,
    not_before  TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    message_id  INTEGER,
    sent_at     TEXT,
    shown_at    TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_status ON outbox(status, chat_id, id);
INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', '2');
INSERT INTO meta VALUES ('outbox_since', '2025-12-01T00:00:00+00:00');
INSERT INTO document_state VALUES
    ('linkedin/privacy-policy', '"etag-1"', 'Mon, 01 Dec 2025 00:00:00 GMT', 3, 'http-999',
     '2025-12-02T00:00:00+00:00', '2025-12-01T00:00:00+00:00');
INSERT INTO alerts VALUES (7, 'change:linkedin/privacy-policy:2025-12-01T06-00-00Z',
    'linkedin/privacy-policy', '2025-12-01T06-00-00Z', 'substantive', '2025-12-01T06:00:01+00:00');
INSERT INTO outbox VALUES
    (41, 7, 'watch', '@policy_watch', 0, 'summary', 'sendMessage',
     '{"role": "summary", "html": "<b>sent</b>"}', 'sent', NULL, 1, '', 9001,
     '2025-12-01T06:00:02+00:00', NULL, '2025-12-01T06:00:01+00:00'),
    (42, 7, 'watch', '@policy_watch', 1, 'clauses', 'sendMessage',
     '{"role": "clauses", "html": "waiting"}', 'pending', NULL, 2, 'timed out', NULL, NULL,
     NULL, '2025-12-01T06:00:01+00:00');
"""


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        tables = ("meta", "document_state", "alerts", "outbox")
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}  # noqa: S608


def test_a_database_of_the_release_before_migrations_upgrades_without_loss(tmp_path: Path):
    path = tmp_path / "state.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(RELEASE_0_SCHEMA)
    db.close()
    before = _dump(path)

    state = State(f"sqlite:///{path}")
    try:
        assert state.read("SELECT version, name FROM schema_migrations ORDER BY version") == [
            (m.version, m.name) for m in MIGRATIONS
        ]
        current = state.get("linkedin/privacy-policy")
        assert (current.failures_in_row, current.validators.etag) == (3, '"etag-1"')
        box = Outbox(state, T0)
        assert box.since == datetime(2025, 12, 1, tzinfo=UTC), "the outbox's start is kept"
        assert [(r.id, r.status, r.message_id) for r in box.rows()] == [
            (41, Status.SENT, 9001),
            (42, Status.PENDING, None),
        ]
        assert box.enqueue("k", [Queued("watch", "@policy_watch", Message("summary", "x"))], at=T0)
        assert box.rows()[-1].id == 43, "new rows follow the old ones"
    finally:
        state.close()
    after = _dump(path)
    for table, rows in before.items():
        width = len(rows[0]) if rows else 0  # later migrations may add columns at the end
        kept = {row[:width] for row in after[table]}
        lost = {row for row in rows if row[0] != "schema_version"} - kept  # that one moves on
        assert not lost, f"{table}: rows lost or changed: {lost}"
    assert ("schema_version", str(SCHEMA_VERSION)) in after["meta"]


def test_a_version_1_database_gains_the_outbox(tmp_path: Path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(RELEASE_0_SCHEMA.split("CREATE TABLE IF NOT EXISTS alerts")[0])
        db.execute("INSERT INTO document_state(document, failures_in_row) VALUES ('a/b', 2)")
    db.close()
    state = State(f"sqlite:///{path}")
    try:
        assert state.get("a/b").failures_in_row == 2
        box = Outbox(state, T0)
        assert box.enqueue("k", [Queued("c", "@chan_x", Message("summary", "x"))], at=T0)
    finally:
        state.close()


def test_migrations_are_recorded_once_and_not_run_again(db_url: str):
    State(db_url).close()
    state = State(db_url)
    try:
        rows = state.read("SELECT version FROM schema_migrations ORDER BY version")
        assert rows == [(m.version,) for m in MIGRATIONS]
        assert state.read("SELECT value FROM meta WHERE key = 'schema_version'") == [
            (str(SCHEMA_VERSION),)
        ]
    finally:
        state.close()


def test_processes_starting_together_on_a_fresh_database_all_open_it(db_url: str):
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def open_it() -> None:
        start.wait()
        try:
            State(db_url).close()
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    state = State(db_url)
    try:
        assert state.read("SELECT COUNT(*) FROM schema_migrations") == [(len(MIGRATIONS),)]
    finally:
        state.close()


def test_a_database_migrated_by_a_newer_release_is_refused(db_url: str):
    state = State(db_url)
    with state.transaction() as db:
        db.execute(
            "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
            (SCHEMA_VERSION + 1, "from the future", "2030-01-01T00:00:00+00:00"),
        )
    state.close()
    with pytest.raises(SchemaTooNew, match="was written by a newer tracker") as info:
        State(db_url)
    assert isinstance(info.value, StateError)
    assert str(info.value).startswith("state database ")


def test_meta_takes_plain_sqlite_upserts_on_both_databases(db_url: str):
    """Other modules store small values in ``meta`` with SQLite's words; PostgreSQL too."""
    state = State(db_url)
    try:
        with state.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", ("push", "a"))
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", ("push", "b"))
            db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", ("push", "c"))
        assert state.read("SELECT value FROM meta WHERE key = ?", ("push",)) == [("b",)]
        assert state.meta("push", "d") == "b"
        assert state.read("SELECT key FROM meta WHERE key LIKE 'pu%'") == [("push",)]
        assert state.read("SELECT '100%', 7 % 3") == [("100%", 1)]
    finally:
        state.close()
