"""State: the operational database (SQLite or PostgreSQL), not the record.

No re-exports: import the module itself (e.g. ``from tracker.state.store import ...``).

Modules:

- ``store``: operational state: what the tracker needs between runs but lawyers do not.
- ``migrations``: the database's schema, as numbered migrations for both databases.
- ``sql``: one way to write SQL for both databases: ``?`` placeholders.
- ``postgres``: the state database in PostgreSQL, through psycopg 3 (imported only when used).
- ``url``: ``TRACKER_DB`` / ``--db``: which database, parsed once, shown without secrets.
"""
