"""``TRACKER_DB`` / ``--db``: which state database, parsed once and shown without its secrets.

Two kinds of URL, in SQLAlchemy's form so that configurations read the same everywhere:

- ``sqlite:///relative.db``, ``sqlite:////absolute.db``, ``sqlite://`` (memory), the default;
  one option, ``?timeout=SECONDS``: how long to wait for another process's write lock (5).
- ``postgresql://user:password@host:port/database`` (also ``postgres://`` and
  ``postgresql+psycopg://``); ``?timeout=SECONDS`` is ours, as for SQLite, and every other
  query parameter goes to libpq as it is (``sslmode``, ``connect_timeout``...).

The password (in the URL or as a ``password`` parameter) never appears in a message: every
message names the database by :attr:`StateUrl.shown`, where it is replaced by ``***``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tracker.errors import ConfigError

#: Seconds a command waits for another process's write lock before giving up (``?timeout=``).
DEFAULT_BUSY_TIMEOUT = 5.0

#: Seconds to wait for a PostgreSQL server to answer a connection, unless the URL says.
DEFAULT_CONNECT_TIMEOUT = 10

SQLITE_SCHEMES = frozenset({"sqlite", "sqlite+pysqlite"})
POSTGRES_SCHEMES = frozenset({"postgresql", "postgres", "postgresql+psycopg"})

Dialect = Literal["sqlite", "postgresql"]


@dataclass(frozen=True, slots=True)
class StateUrl:
    """A parsed ``TRACKER_DB``.

    Attributes:
        dialect: ``sqlite`` or ``postgresql``.
        timeout: seconds to wait for another process's write lock.
        path: the SQLite file (``:memory:`` for memory); empty for PostgreSQL.
        conninfo: the libpq URI (with its credentials, never shown); empty for SQLite.
        shown: the URL as given, its password replaced by ``***``: for every message.
    """

    dialect: Dialect
    timeout: float
    path: str = ""
    conninfo: str = ""
    shown: str = ""

    @property
    def password(self) -> str:
        """The password in the URL, or '' (to scrub it from driver messages)."""
        if self.dialect != "postgresql":
            return ""
        parts = urlsplit(self.conninfo)
        found = parts.password or ""
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == "password":
                found = value
        return found


def _timeout(url: str, value: str) -> float:
    try:
        timeout = float(value)
        if not 0 <= timeout <= 86_400:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"TRACKER_DB / --db: {url}: timeout={value!r} is not a number of seconds "
            "(0 to 86400), the wait for another process's write lock"
        ) from None
    return timeout


def _parse_sqlite(url: str) -> StateUrl:
    rest = url.partition("://")[2]
    rest, _, query = rest.partition("?")
    timeout = DEFAULT_BUSY_TIMEOUT
    for key, value in parse_qsl(query, keep_blank_values=True):
        try:
            if key != "timeout":
                raise ConfigError(key)
            timeout = _timeout(url, value)
        except ConfigError:
            raise ConfigError(
                f"TRACKER_DB / --db: {url!r}: {key}={value!r} is not an option; the only one is "
                "?timeout=SECONDS (0 to 86400), the wait for another process's write lock"
            ) from None
    if rest in {"", "/", "/:memory:"}:
        return StateUrl("sqlite", timeout, path=":memory:", shown=url)
    if not rest.startswith("/"):
        raise ConfigError(f"TRACKER_DB / --db: {url!r}: expected sqlite:///<path>")
    return StateUrl("sqlite", timeout, path=rest[1:], shown=url)


def _redact(parts_netloc: str, password: str | None) -> str:
    if password is None:
        return parts_netloc
    user, _, host = parts_netloc.rpartition("@")
    name = user.partition(":")[0]
    return f"{name}:***@{host}"


def _parse_postgres(url: str) -> StateUrl:
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (parsing it is the check)
    except ValueError:
        raise ConfigError(f"TRACKER_DB / --db: {_shown(url)}: the port is not a number") from None
    if not parts.path.strip("/"):
        raise ConfigError(
            f"TRACKER_DB / --db: {_shown(url)}: name the database, as in "
            "postgresql://user@host:5432/tracker"
        )
    timeout = DEFAULT_BUSY_TIMEOUT
    libpq: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "timeout":
            timeout = _timeout(_shown(url), value)
        else:
            libpq.append((key, value))
    if not any(key == "connect_timeout" for key, _ in libpq):
        libpq.append(("connect_timeout", str(DEFAULT_CONNECT_TIMEOUT)))
    conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(libpq), ""))
    return StateUrl("postgresql", timeout, conninfo=conninfo, shown=_shown(url))


def _shown(url: str) -> str:
    """``url`` with its password (in the authority or the query) replaced by ``***``."""
    parts = urlsplit(url)
    query = "&".join(
        f"{key}={'***' if 'password' in key else value}"
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit(
        (parts.scheme, _redact(parts.netloc, parts.password), parts.path, query, parts.fragment)
    )


def parse_state_url(url: str) -> StateUrl:
    """Parse ``TRACKER_DB``; ConfigError (without the password) if it is not one we support."""
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme in SQLITE_SCHEMES:
        return _parse_sqlite(url)
    if scheme in POSTGRES_SCHEMES:
        return _parse_postgres(url)
    raise ConfigError(
        f"TRACKER_DB / --db: {_shown(url)!r} is not supported; use an SQLite URL such as "
        "sqlite:///.tracker/state.sqlite3 or a PostgreSQL URL such as "
        "postgresql://user@host:5432/tracker"
    )
