"""Log lines: one per check in a stable form, at the README's levels, as JSON on request.

Real ``tracker check`` processes on loopback pages; what they write on standard error is read
back as text lines and as JSON objects.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path

import pytest

from tests.servers import PageServer, Reply, page_bytes
from tests.test_cli import Cli, make_cli
from tracker.ops import logs

OK, BLOCKED = "linkedin/privacy-policy", "linkedin/user-agreement"
LINE = re.compile(
    r"^check document=(\S+) outcome=(\S+) cause=(\S+) version=(\S+) http_status=(\S+) "
    r"failures=(\d+) duration_ms=(\d+) detail=(-|\".*\")$"
)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return make_cli(tmp_path)


def two_documents(cli: Cli, page_server: PageServer) -> None:
    page_server.route("/ok", Reply.page("linkedin/privacy-policy/v1.html"))
    page_server.route("/no", Reply(status=999, body=page_bytes("blocked/status-999.html")))
    cli.document(OK, page_server.url("/ok"))
    cli.document(BLOCKED, page_server.url("/no"))


def test_one_greppable_line_per_check_at_the_readme_levels(cli: Cli, page_server: PageServer):
    two_documents(cli, page_server)
    quiet = cli("check").stderr  # the default level is warning
    lines = [line for line in quiet.splitlines() if " check document=" in line]
    assert len(lines) == 1, quiet
    assert " WARNING tracker.check: check document=linkedin/user-agreement " in lines[0]

    cli("check")
    done = cli("--log-level", "info", "check")
    found = {}
    for line in done.stderr.splitlines():
        _, _, message = line.partition(" tracker.check: ")
        if message:
            match = LINE.match(message)
            assert match, message
            found[match[1]] = (line.split()[2], match)
    assert set(found) == {OK, BLOCKED}
    level, match = found[OK]
    assert (level, match[2], match[3], match[8]) == ("INFO", "unchanged", "-", "-")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", match[4])
    level, match = found[BLOCKED]
    assert (level, match[2], match[3], match[5], match[6]) == (
        "ERROR",
        "inaccessible",
        "http-999",
        "999",
        "3",
    ), "an error once inaccessible inaccessible_after (3) times in a row"
    assert "HTTP 999" in json.loads(match[8])


def test_json_logs_hold_the_check_fields_and_never_the_token(cli: Cli, page_server: PageServer):
    two_documents(cli, page_server)
    token = "123456:SECRET-token-value"
    cli.env["TRACKER_LOG_FORMAT"] = "json"
    cli.env["TELEGRAM_BOT_TOKEN"] = token
    cli.env["TELEGRAM_API_BASE_URL"] = page_server.url("/bot")  # nothing is sent: no channel
    done = cli("--log-level", "debug", "check")
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert records and len(records) == len(done.stderr.splitlines()), done.stderr
    checks = {r["document"]: r for r in records if r["logger"] == "tracker.check"}
    assert set(checks) == {OK, BLOCKED}
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record)
    blocked = checks[BLOCKED]
    assert blocked["level"] == "WARNING"
    assert (blocked["outcome"], blocked["cause"], blocked["http_status"]) == (
        "inaccessible",
        "http-999",
        999,
    )
    assert blocked["failures"] == 1 and isinstance(blocked["duration_ms"], int)
    assert checks[OK]["outcome"] == "first-record" and checks[OK]["version"]
    assert token not in done.stderr and token.split(":")[1] not in done.stderr


def test_the_token_is_hidden_in_messages_fields_and_tracebacks():
    token = "123456:SECRET-token-value"
    formatter = logs.redacting(logs.JsonFormatter(), token)
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{token}/sendMessage failed")
    except RuntimeError:
        record = logging.LogRecord(
            "tracker.notify.delivery",
            logging.ERROR,
            __file__,
            1,
            "url %s",
            (f"/bot{token}/",),
            True,
        )
        record.exc_info = sys.exc_info()
    record.check = {"detail": f"bot{token}"}
    line = formatter.format(record)
    assert token not in line
    data = json.loads(line)
    assert data["message"] == "url /bot<TELEGRAM_BOT_TOKEN>/"
    assert data["detail"] == "bot<TELEGRAM_BOT_TOKEN>"
    assert "bot<TELEGRAM_BOT_TOKEN>/sendMessage" in data["exception"]
