"""The process's metrics, in the Prometheus text format (``/metrics`` of ``--health-port``).

One registry of our own (:data:`REGISTRY`, not ``prometheus_client``'s global one, so nothing
else registers into it). Every count is for this process since it started:

- ``tracker_checks_total{outcome,cause}``: checks by outcome (``unchanged``,
  ``new-version``, ``inaccessible``...) and cause (empty unless inaccessible or suspect);
- ``tracker_versions_recorded_total{outcome}``: versions written (first record, new version,
  technical upgrade);
- ``tracker_alerts_sent_total``, ``tracker_alerts_failed_total``: Telegram messages delivered,
  and failed for good;
- ``tracker_push_failures_total``: failed pushes of the archive to its remote
  (:func:`count_push_failure`, for the code that pushes);
- ``tracker_check_duration_seconds``: a histogram of the duration of one document's check;
- ``tracker_last_check_timestamp_seconds``: when the last check ended (Unix time).

The functions below are the only writers; :func:`exposition` renders the registry. Nothing is
counted, and ``prometheus_client`` is not even imported, until :func:`enable` (called when the
health server is set up): a process that serves no ``/metrics`` (``tracker check``, ``tracker
run`` without ``--health-port``) pays nothing for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.models import RECORDING_OUTCOMES, Outcome

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: The content type of :func:`exposition`.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

CHECK_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


@dataclass(frozen=True)
class _Instruments:
    registry: CollectorRegistry
    checks: Counter
    versions: Counter
    alerts_sent: Counter
    alerts_failed: Counter
    push_failures: Counter
    check_seconds: Histogram
    last_check: Gauge


_active: list[_Instruments] = []


def enable() -> None:
    """Start counting (once per process; later calls change nothing)."""
    if _active:
        return
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    registry = CollectorRegistry(auto_describe=True)
    _active.append(
        _Instruments(
            registry=registry,
            checks=Counter(
                "tracker_checks",
                "Checks of a document, by outcome and cause.",
                ("outcome", "cause"),
                registry=registry,
            ),
            versions=Counter(
                "tracker_versions_recorded",
                "Versions written to the archive, by outcome.",
                ("outcome",),
                registry=registry,
            ),
            alerts_sent=Counter(
                "tracker_alerts_sent", "Telegram messages Telegram accepted.", registry=registry
            ),
            alerts_failed=Counter(
                "tracker_alerts_failed",
                "Telegram messages that failed for good.",
                registry=registry,
            ),
            push_failures=Counter(
                "tracker_push_failures",
                "Failed pushes of the archive to its remote.",
                registry=registry,
            ),
            check_seconds=Histogram(
                "tracker_check_duration_seconds",
                "Duration of one document's check (fetch, extract, compare, record).",
                buckets=CHECK_BUCKETS,
                registry=registry,
            ),
            last_check=Gauge(
                "tracker_last_check_timestamp_seconds",
                "When the last check of this process ended (Unix time).",
                registry=registry,
            ),
        )
    )


def count_check(outcome: Outcome, cause: str, seconds: float, ended_at: float) -> None:
    """Count one check: its outcome, the version it wrote, its duration, when it ended."""
    for instruments in _active:
        instruments.checks.labels(outcome=outcome.value, cause=cause).inc()
        if outcome in RECORDING_OUTCOMES:
            instruments.versions.labels(outcome=outcome.value).inc()
        instruments.check_seconds.observe(seconds)
        instruments.last_check.set(ended_at)


def count_alerts(sent: int, failed: int) -> None:
    """Count the messages of one drain of the outbox."""
    for instruments in _active:
        instruments.alerts_sent.inc(sent)
        instruments.alerts_failed.inc(failed)


def count_push_failure() -> None:
    """Count one failed push of the archive to its remote."""
    for instruments in _active:
        instruments.push_failures.inc()


def exposition() -> bytes:
    """The registry in the Prometheus text format (empty before :func:`enable`)."""
    if not _active:
        return b""
    from prometheus_client import generate_latest

    return generate_latest(_active[0].registry)
