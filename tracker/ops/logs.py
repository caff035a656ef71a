"""Logging: the format on standard error, the secret kept out, and one line per check.

- :func:`setup` configures the root logger once, for the command line: ``text`` (``<time>
  <LEVEL> <logger>: <message>``) or ``json`` (one object per line, keys ``time``, ``level``,
  ``logger``, ``message``, then the check's fields for a check line and ``exception`` for a
  traceback). The bot token is replaced by ``<TELEGRAM_BOT_TOKEN>`` in every formatted line,
  whatever logged it, message, fields and traceback alike.
- :func:`check_line` is the one line every check leaves, greppable and stable::

      check document=linkedin/privacy-policy outcome=inaccessible cause=http-999 version=-
      http_status=999 failures=3 duration_ms=412 detail="https://…: HTTP 999"

  (on one line), keys always in this order, ``-`` for an empty value and the detail quoted as
  JSON. :func:`log_check` logs it at INFO, WARNING for an inaccessible check or a held
  suspect capture, ERROR once a document has been inaccessible ``inaccessible_after`` checks
  in a row; in JSON the same fields are keys of the object.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from tracker.models import Outcome

log = logging.getLogger("tracker.check")

#: The formats of ``--log-format`` / ``TRACKER_LOG_FORMAT``.
FORMATS = ("text", "json")
#: The keys of a check line, in their order.
CHECK_KEYS = (
    "document",
    "outcome",
    "cause",
    "version",
    "http_status",
    "failures",
    "duration_ms",
    "detail",
)
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HIDDEN = "<TELEGRAM_BOT_TOKEN>"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (ISO 8601 UTC), level, logger, message, fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "check", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def redacting(inner: logging.Formatter, secret: str | None) -> logging.Formatter:
    """A formatter that formats with ``inner``, then hides ``secret`` anywhere in the line."""
    return _Redacting(inner, secret)


class _Redacting(logging.Formatter):
    """Formats with ``inner``, then hides a secret (the bot token) anywhere in the line."""

    def __init__(self, inner: logging.Formatter, secret: str | None) -> None:
        super().__init__()
        self.inner = inner
        self.secret = secret

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record)
        return line.replace(self.secret, _HIDDEN) if self.secret else line


def setup(level: str, fmt: str = "text", secret: str | None = None) -> None:
    """Log to standard error at ``level`` in ``fmt`` (``text`` or ``json``), hiding ``secret``."""
    inner = JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT_FORMAT)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(redacting(inner, secret))
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old.formatter, _Redacting):  # ours, from an earlier call in this process
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO, and Bot API URLs hold the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def check_fields(
    document: str,
    outcome: Outcome,
    *,
    cause: str = "",
    version: str = "",
    http_status: int | None = None,
    failures: int = 0,
    seconds: float = 0.0,
    detail: str = "",
) -> dict[str, Any]:
    """The fields of a check line, keyed as :data:`CHECK_KEYS`."""
    return {
        "document": document,
        "outcome": outcome.value,
        "cause": cause,
        "version": version,
        "http_status": http_status,
        "failures": failures,
        "duration_ms": round(seconds * 1000),
        "detail": detail.removeprefix(f"{document}: "),
    }


def check_line(fields: dict[str, Any]) -> str:
    """``check key=value …`` in :data:`CHECK_KEYS` order (``-`` empty, detail JSON-quoted)."""
    parts = ["check"]
    for key in CHECK_KEYS:
        value = fields.get(key)
        if key == "detail":
            text = json.dumps(value, ensure_ascii=False) if value else "-"
        else:
            text = "-" if value in (None, "") else str(value)
        parts.append(f"{key}={text}")
    return " ".join(parts)


def check_level(outcome: Outcome, failures: int, inaccessible_after: int) -> int:
    """INFO; WARNING for an inaccessible or suspect check; ERROR past the threshold."""
    if outcome is Outcome.INACCESSIBLE:
        return logging.ERROR if failures >= inaccessible_after else logging.WARNING
    return logging.WARNING if outcome is Outcome.SUSPECT else logging.INFO


def log_check(fields: dict[str, Any], inaccessible_after: int) -> None:
    """Log the line of one check at its level (see :func:`check_level`)."""
    level = check_level(Outcome(fields["outcome"]), int(fields["failures"]), inaccessible_after)
    log.log(level, "%s", check_line(fields), extra={"check": fields})
