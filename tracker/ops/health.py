"""``tracker run --health-port``: ``GET /healthz`` and ``GET /metrics`` on a small HTTP server.

- ``/healthz`` answers **200** while the scheduler runs and its last check ended recently (or,
  before its first check, it started recently), **503** otherwise, with a JSON body::

      {"status": "ok", "scheduler_running": true, "started_at": "…", "last_pass_at": "…",
       "last_pass_age_seconds": 12.5, "max_age_seconds": 86400.0, "documents": 16,
       "version": "…"}

  ``status`` is ``ok``, ``stale`` (the last check is older than ``max_age_seconds``) or
  ``stopped`` (the scheduler is not running, or is stopping). ``max_age_seconds`` is
  ``--health-max-age``, by default :func:`default_max_age`: twice the longest wait between two
  runs of the most often checked document, plus the jitter.
- ``/metrics``: :mod:`tracker.ops.metrics` in the Prometheus text format.

A ``ThreadingHTTPServer`` from the standard library, bound to 127.0.0.1 unless
``--health-host`` says otherwise, in a daemon thread beside the scheduler: it only reads.
:func:`assess` decides (pure); :class:`HealthServer` serves.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any

from tracker import __version__
from tracker.cron import cron_trigger
from tracker.ops import metrics

log = logging.getLogger(__name__)

#: :func:`default_max_age` is never below this (seconds).
MIN_MAX_AGE_SECONDS = 300.0
#: Fire times of a cron looked at to find its longest wait.
_FIRES = 8


@dataclass(frozen=True, slots=True)
class HealthOptions:
    """``--health-host``, ``--health-port`` (0: no server) and ``--health-max-age`` (None:
    :func:`default_max_age`)."""

    host: str = "127.0.0.1"
    port: int = 0
    max_age_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Health:
    """The answer of ``/healthz`` (its JSON body is this, field by field)."""

    status: str
    scheduler_running: bool
    started_at: str | None
    last_pass_at: str | None
    last_pass_age_seconds: float | None
    max_age_seconds: float
    documents: int
    version: str = __version__

    @property
    def ok(self) -> bool:
        """Whether the answer is 200: checking on time, or standing by for the active worker."""
        return self.status in {"ok", "standby"}


def assess(
    *,
    running: bool,
    started_at: datetime | None,
    last_pass_at: datetime | None,
    now: datetime,
    max_age_seconds: float,
    documents: int,
    standby: bool = False,
) -> Health:
    """Whether the worker is healthy: running, and its last check (or start) recent enough.

    ``standby``: another worker holds the worker lock and this one waits to take over
    (healthy: it does what it should).
    """
    since = last_pass_at or started_at
    age = (now - since).total_seconds() if since is not None else None
    if standby:
        status = "standby"
    elif not running:
        status = "stopped"
    elif age is None or age > max_age_seconds:
        status = "stale"
    else:
        status = "ok"
    return Health(
        status=status,
        scheduler_running=running,
        started_at=started_at.isoformat() if started_at else None,
        last_pass_at=last_pass_at.isoformat() if last_pass_at else None,
        last_pass_age_seconds=round(age, 3) if age is not None else None,
        max_age_seconds=max_age_seconds,
        documents=documents,
    )


def longest_wait(expression: str, timezone: str, after: datetime) -> float:
    """The longest wait (seconds) between two of the next fire times of a cron expression."""
    trigger = cron_trigger(expression, timezone)
    fires: list[datetime] = []
    moment = after
    for _ in range(_FIRES):
        fire: datetime | None = trigger.get_next_fire_time(None, moment)
        if fire is None:
            break
        fires.append(fire)
        moment = fire + timedelta(seconds=1)
    gaps = [(b - a).total_seconds() for a, b in pairwise(fires)]
    return max(gaps) if gaps else float("inf")


def default_max_age(
    expressions: Iterable[str], timezone: str, jitter_seconds: int, now: datetime
) -> float:
    """Twice the longest wait of the most often checked document, plus the jitter (≥ 5 min)."""
    waits = [longest_wait(expression, timezone, now) for expression in set(expressions)]
    shortest = min(waits, default=float("inf"))
    if shortest == float("inf"):
        return float("inf")
    return max(MIN_MAX_AGE_SECONDS, 2 * shortest + jitter_seconds)


class HealthServer:
    """``/healthz`` and ``/metrics`` on ``host:port`` (port 0: a free one), in a daemon thread."""

    def __init__(self, host: str, port: int, probe: Callable[[], Health]) -> None:
        """Bind the server (OSError if the address is taken); ``probe`` answers ``/healthz``."""
        self.probe = probe
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        metrics.enable()  # /metrics counts from now on
        self._httpd.daemon_threads = True
        self._httpd.health = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="health",
            daemon=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        """The host and port it listens on."""
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()
        host, port = self.address
        log.warning("health: http://%s:%d/healthz and /metrics", host, port)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    server_version = f"policy-tracker/{__version__}"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health: " + format, *args)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            health: Health = self.server.health.probe()  # type: ignore[attr-defined]
            body = json.dumps(asdict(health), sort_keys=True).encode()
            self._answer(200 if health.ok else 503, "application/json", body)
        elif path == "/metrics":
            self._answer(200, metrics.CONTENT_TYPE, metrics.exposition())
        else:
            self._answer(404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n")

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
