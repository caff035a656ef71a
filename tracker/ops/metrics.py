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

The functions below are the only writers; :func:`exposition` renders the registry.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from tracker.models import RECORDING_OUTCOMES, Outcome

REGISTRY = CollectorRegistry(auto_describe=True)


CHECKS = Counter(
    "tracker_checks",
    "Checks of a document, by outcome and cause.",
    ("outcome", "cause"),
    registry=REGISTRY,
)
VERSIONS = Counter(
    "tracker_versions_recorded",
    "Versions written to the archive, by outcome.",
    ("outcome",),
    registry=REGISTRY,
)
ALERTS_SENT = Counter(
    "tracker_alerts_sent", "Telegram messages Telegram accepted.", registry=REGISTRY
)
ALERTS_FAILED = Counter(
    "tracker_alerts_failed", "Telegram messages that failed for good.", registry=REGISTRY
)
PUSH_FAILURES = Counter(
    "tracker_push_failures", "Failed pushes of the archive to its remote.", registry=REGISTRY
)
CHECK_SECONDS = Histogram(
    "tracker_check_duration_seconds",
    "Duration of one document's check (fetch, extract, compare, record).",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
LAST_CHECK = Gauge(
    "tracker_last_check_timestamp_seconds",
    "When the last check of this process ended (Unix time).",
    registry=REGISTRY,
)

#: The content type of :func:`exposition`.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def count_check(outcome: Outcome, cause: str, seconds: float, ended_at: float) -> None:
    """Count one check: its outcome, the version it wrote, its duration, when it ended."""
    CHECKS.labels(outcome=outcome.value, cause=cause).inc()
    if outcome in RECORDING_OUTCOMES:
        VERSIONS.labels(outcome=outcome.value).inc()
    CHECK_SECONDS.observe(seconds)
    LAST_CHECK.set(ended_at)


def count_alerts(sent: int, failed: int) -> None:
    """Count the messages of one drain of the outbox."""
    ALERTS_SENT.inc(sent)
    ALERTS_FAILED.inc(failed)


def count_push_failure() -> None:
    """Count one failed push of the archive to its remote."""
    PUSH_FAILURES.inc()


def exposition() -> bytes:
    """The registry in the Prometheus text format."""
    return generate_latest(REGISTRY)
