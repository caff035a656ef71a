"""One way to write SQL for both state databases: ``?`` placeholders, as :mod:`sqlite3` takes them.

The state's queries are written once, in the SQL that SQLite and PostgreSQL share (``INSERT ...
ON CONFLICT (key) DO UPDATE``, table-qualified columns in upserts, ``COUNT(*)``). For
PostgreSQL, :func:`to_postgres` rewrites them for psycopg: ``?`` becomes ``%s`` (and a literal
``%`` is doubled), and SQLite's ``INSERT OR IGNORE`` / ``INSERT OR REPLACE`` on a table of
ours become the ``ON CONFLICT`` clauses that mean the same. Quoted strings and identifiers are
left alone. Callers see one small DB-API surface, :class:`Connection`, on either side.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Protocol

#: The primary key of each table of ours, for ``INSERT OR REPLACE`` (an upsert on it).
PRIMARY_KEYS = {
    "meta": ("key",),
    "document_state": ("document",),
    "schema_migrations": ("version",),
}


class Cursor(Protocol):
    """What a statement gives back (a subset of DB-API 2.0, the same on both databases)."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the statement (summed over ``executemany``)."""

    def fetchone(self) -> Any:
        """The next row, or None."""

    def fetchall(self) -> list[Any]:
        """The remaining rows."""


class Connection(Protocol):
    """The statements a transaction runs: ``?`` placeholders on both databases."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor:
        """Run one statement."""

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        """Run one statement once for each set of parameters."""


_INSERT_OR = re.compile(
    r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE
)


def _placeholders(sql: str) -> str:
    """``?`` → ``%s`` and ``%`` → ``%%`` outside quoted strings and identifiers."""
    out: list[str] = []
    quote = ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
            out.append("%%" if char == "%" else char)
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


@lru_cache(maxsize=256)
def to_postgres(sql: str) -> str:
    """The PostgreSQL form of a statement written for SQLite (see the module's docstring).

    Raises:
        ValueError: ``INSERT OR REPLACE`` into a table whose key we do not know (a bug).
    """
    match = _INSERT_OR.match(sql)
    if match is not None and "ON CONFLICT" not in sql.upper():
        verb, table, columns = match.group(1).upper(), match.group(2), match.group(3)
        sql = f"INSERT INTO {table}({columns})" + sql[match.end() :]
        if verb == "IGNORE":
            sql = sql.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
        else:
            if table not in PRIMARY_KEYS:
                raise ValueError(f"INSERT OR REPLACE into {table}: its key is unknown")
            key = PRIMARY_KEYS[table]
            names = [name.strip() for name in columns.split(",")]
            updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name not in key)
            action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            sql = sql.rstrip().rstrip(";") + f" ON CONFLICT ({', '.join(key)}) {action}"
    return _placeholders(sql)
