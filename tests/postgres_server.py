"""A real PostgreSQL server for the tests, found or started here, and a fresh database per test.

:func:`find_server` tries, in order, and returns the first that answers (or the reasons why
none did, for the skip message):

1. ``TRACKER_TEST_POSTGRES`` (a URL of a database the tests may create databases from);
2. ``postgresql://postgres@127.0.0.1:5432/test`` (the development and CI machines' server);
3. Debian's cluster, started with ``pg_ctlcluster --skip-systemctl-redirect <version> main
   start`` when it is installed but down (then 2 again);
4. a private server: ``initdb`` (trust authentication, as the ``postgres`` user when we are
   root: initdb refuses root) into a temporary folder and ``pg_ctl start`` on a free loopback
   port, stopped at the end of the session.

:class:`Server` creates one database per test (``CREATE DATABASE``, dropped with ``FORCE``
after it), so tests never see each other's rows nor advisory locks.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _answers(url: str) -> str:
    """'' if a server answers at ``url``, else why not (one line)."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return " ".join(str(exc).split())
    return ""


def with_database(url: str, name: str) -> str:
    """``url`` naming the database ``name`` instead."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@dataclass
class Server:
    """A reachable server: ``admin_url`` may create and drop databases."""

    admin_url: str
    stop: list[list[str]] = field(default_factory=list)

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A new, empty database for one test; its URL. Dropped afterwards."""
        import psycopg

        name = f"tracker_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield with_database(self.admin_url, name)
        finally:
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _debian_cluster() -> list[str] | None:
    """The command that starts Debian's main cluster, if one is installed."""
    versions = (
        sorted(Path("/etc/postgresql").glob("*/main")) if Path("/etc/postgresql").is_dir() else []
    )
    if not versions or shutil.which("pg_ctlcluster") is None:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].parent.name, "main", "start"]


def _binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` (on the PATH, or Debian's newest)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _private_server(reasons: list[str]) -> Server | None:
    """initdb + pg_ctl into a temporary folder; None (with the reason) if it cannot be done."""
    binaries = _binaries()
    if binaries is None:
        reasons.append("no initdb/pg_ctl found (install Debian's postgresql package)")
        return None
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            reasons.append("running as root and there is no postgres user to run initdb as")
            return None
        run_as = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
    if run_as:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    log = folder / "server.log"
    try:
        subprocess.run(
            [*run_as, str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port}"
            f" -c unix_socket_directories={folder} -c fsync=off"
        )
        subprocess.run(
            [*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
             "-o", options, "start"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        reasons.append(f"could not start a private server: {exc} {detail.decode(errors='replace')}")
        return None
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    stop = [*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
    return Server(url, stop=[stop, ["rm", "-rf", str(folder)]])


def find_server(environ_url: str | None) -> tuple[Server | None, str]:
    """A server to test against, or None and why none could be found or started."""
    reasons: list[str] = []
    for url in [environ_url] if environ_url else [DEFAULT_URL]:
        why = _answers(url)
        if not why:
            return Server(url), ""
        reasons.append(f"{url}: {why}")
    if environ_url:  # the one asked for: do not start another behind the user's back
        return None, "; ".join(reasons)
    start = _debian_cluster()
    if start is not None:
        subprocess.run(start, capture_output=True, timeout=120, check=False)
        if not _answers(DEFAULT_URL):
            return Server(DEFAULT_URL, stop=[]), ""
        reasons.append("the Debian cluster did not answer as postgres@127.0.0.1:5432 after start")
    server = _private_server(reasons)
    if server is not None:
        why = _answers(server.admin_url)
        if not why:
            return server, ""
        reasons.append(f"the private server did not answer: {why}")
        stop(server)
    return None, "; ".join(reasons)


def stop(server: Server) -> None:
    """Stop a server this module started (a found one is left running)."""
    for command in server.stop:
        subprocess.run(command, capture_output=True, timeout=60, check=False)
