"""Shared fixtures: a page server on loopback, a fixed clock, and two autouse guards.

- ``no_network`` (autouse): any socket connection to an address other than loopback raises
  :class:`NetworkBlocked`; no test ever talks to LinkedIn or Telegram.
- ``clean_environ`` (autouse): ``TRACKER_*`` and ``TELEGRAM_*`` variables are removed, so the
  developer's own settings never leak into a test.
- ``db_url``: a state database URL, once SQLite (a file under ``tmp_path``) and once PostgreSQL
  (a fresh database on a real server, see :mod:`tests.postgres_server`; skipped, with the
  reason, where no server can be found or started). ``postgres_url``: the PostgreSQL one only.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.postgres_server import Server, find_server, stop
from tests.servers import FIXED_NOW, FakeClock, PageServer
from tracker.classify.taxonomy import Taxonomy, load_taxonomy

#: Read before ``clean_environ`` removes it: a server the PostgreSQL tests may use.
TEST_POSTGRES = os.environ.get("TRACKER_TEST_POSTGRES")

#: The project's taxonomy file, whatever the working directory.
TAXONOMY_PATH = Path(__file__).resolve().parents[1] / "config" / "taxonomy.toml"


class NetworkBlocked(RuntimeError):
    """A test tried to reach a non-loopback address (not an OSError, so nothing retries it)."""


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like stay on this machine
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection that would leave this machine."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback(address):
            self.close()
            raise NetworkBlocked(f"test tried to connect to {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_loopback(address):
            self.close()
            raise NetworkBlocked(f"test tried to connect to {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the tracker's and Telegram's environment variables for the test."""
    for name in list(os.environ):
        if name.startswith(("TRACKER_", "TELEGRAM_")):
            monkeypatch.delenv(name)


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    """A :class:`~tests.servers.PageServer` on 127.0.0.1, fresh for each test."""
    with PageServer() as server:
        yield server


@pytest.fixture
def fixed_now() -> datetime:
    """The moment tests pretend it is (aware UTC)."""
    return FIXED_NOW


@pytest.fixture
def now(fixed_now: datetime) -> Callable[[], datetime]:
    """A ``now()`` that always returns ``fixed_now``."""
    return lambda: fixed_now


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock: ``clock.now``, ``clock.monotonic`` and ``clock.sleep`` (recorded, instant)."""
    return FakeClock()


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    """The project's label taxonomy (config/taxonomy.toml), loaded once."""
    return load_taxonomy(TAXONOMY_PATH)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[Server | None, str]]:
    """A PostgreSQL server for the session, and why there is none when there is none."""
    server, why = find_server(TEST_POSTGRES)
    yield server, why
    if server is not None:
        stop(server)


@pytest.fixture
def postgres_url(postgres_server: tuple[Server | None, str]) -> Iterator[str]:
    """A fresh PostgreSQL database for this test (dropped after it); skips without a server."""
    server, why = postgres_server
    if server is None:
        pytest.skip(f"no PostgreSQL server: {why}")
    with server.database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The state database URL of the test, once for each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/state.db"
    url: str = request.getfixturevalue("postgres_url")
    return url
