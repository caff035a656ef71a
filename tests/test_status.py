"""``tracker status``: per document, the outbox, the remote; exit 1 when a maintainer is needed.

Real ``tracker check`` runs on loopback pages fill the archive and the state database; the
outbox and the push keys are written through the tracker's own classes (as ``send`` and the
push would). A lost database is answered from the tail of ``checks.csv``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.servers import PageServer, Reply, page_bytes
from tests.test_cli import Cli, make_cli
from tracker.archive.store import Archive
from tracker.notify.outbox import Outbox, Queued
from tracker.ops.status import read_last_checks
from tracker.render.telegram import render_notice
from tracker.state.store import State
from tracker.timestamps import from_iso, utc_now

OK, BLOCKED = "linkedin/privacy-policy", "linkedin/user-agreement"


@pytest.fixture
def cli(tmp_path: Path, page_server: PageServer) -> Cli:
    tracker = make_cli(tmp_path)
    with (tracker.config / "tracker.toml").open("a") as settings:
        settings.write("[alerts]\ninaccessible_after = 2\n")
    page_server.route("/ok", Reply.page("linkedin/privacy-policy/v1.html"))
    page_server.route("/no", Reply(status=999, body=page_bytes("blocked/status-999.html")))
    tracker.document(OK, page_server.url("/ok"))
    tracker.document(BLOCKED, page_server.url("/no"), extra='schedule = "0 6 * * 1"\n')
    return tracker


def status_json(cli: Cli, code: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cli("status", "--json", code=code).stdout)
    return data


def test_status_names_the_failing_document_since_when_and_why(cli: Cli, page_server: PageServer):
    cli("check")
    assert cli("status").stdout.rstrip().endswith("all well"), "one failure: not yet a problem"
    cli("check")
    done = cli("status", code=1)
    lines = done.stdout.splitlines()
    header, ok, blocked = lines[0], lines[1], lines[2]
    assert header.split()[:3] == ["DOCUMENT", "LAST", "CHECK"]
    assert ok.startswith(OK) and blocked.startswith(f"{BLOCKED} !")
    assert header.index("OUTCOME") == ok.index("unchanged") == blocked.index("inaccessible")
    assert "remote: not configured" in lines
    assert "outbox: empty" in lines
    assert lines[-1].startswith(f"  {BLOCKED}: inaccessible 2 checks in a row since ")
    assert lines[-1].endswith("(http-999)")

    data = status_json(cli, 1)
    assert data["schema"] == 1 and data["needs_attention"] is True
    docs = {d["document"]: d for d in data["documents"]}
    checks = Archive(cli.archive).checks(BLOCKED)
    failing = docs[BLOCKED]["failing"]
    since = checks[0].checked_at.isoformat().replace("+00:00", "Z")
    assert failing == {"since": since, "cause": "http-999", "count": 2}
    assert docs[BLOCKED]["last_check"]["outcome"] == "inaccessible"
    assert docs[BLOCKED]["last_success_at"] is None and docs[BLOCKED]["latest_version"] is None
    assert from_iso(docs[BLOCKED]["next_run"]).strftime("%a %H:%M") == "Mon 06:00"
    assert docs[OK]["failing"] is None and docs[OK]["source"] == "state"
    assert docs[OK]["latest_version"] == Archive(cli.archive).version_stamps(OK)[-1]
    assert docs[OK]["last_check"] == {
        "at": docs[OK]["last_success_at"],
        "outcome": "unchanged",
        "cause": "",
    }
    assert data["remote"] == {
        "configured": False,
        "url": "",
        "last_attempt": None,
        "last_success": None,
        "failures": 0,
        "last_error": "",
    }

    page_server.route("/no", Reply.page("linkedin/privacy-policy/v1.html"))
    cli("check")
    data = status_json(cli, 0)
    assert data["problems"] == [] and data["needs_attention"] is False


def test_a_lost_database_is_answered_from_the_tail_of_checks_csv(cli: Cli):
    for _ in range(3):
        cli("check")
    expected = status_json(cli, 1)["documents"]
    (cli.tmp / "state.db").unlink()
    data = status_json(cli, 1)
    for before, after in zip(expected, data["documents"], strict=True):
        assert after["source"] == "checks.csv"
        assert {**after, "source": "state"} == before


def test_failed_or_stuck_messages_and_failed_pushes_need_a_maintainer(cli: Cli):
    cli("check")  # one failure: not a problem by itself
    state = State(f"sqlite:///{cli.tmp}/state.db")
    try:
        outbox = Outbox(state, utc_now())
        earlier = utc_now() - timedelta(hours=2)
        for n, channel in enumerate(("watch", "watch", "fr")):
            outbox.enqueue(
                f"test:{n}", [Queued(channel, "-1001", render_notice(f"m{n}"))], at=earlier
            )
        assert status_json(cli, 1)["problems"] == [
            "outbox fr: 1 messages pending since " + earlier.isoformat().replace("+00:00", "Z"),
            "outbox watch: 2 messages pending since " + earlier.isoformat().replace("+00:00", "Z"),
        ]
        fr = next(row.id for row in outbox.pending() if row.channel == "fr")
        outbox.mark_failed([fr], "Forbidden: bot is not a member")
        outbox.cancel([row.id for row in outbox.pending()])
        data = status_json(cli, 1)
        assert data["outbox"] == [
            {
                "channel": "fr",
                "pending": 0,
                "held": 0,
                "failed": 1,
                "oldest_pending_at": None,
                "stuck": False,
            }
        ]
        outbox.cancel([fr])
        assert status_json(cli, 0)["outbox"] == []
        assert status_json(cli, 0)["remote"] == {
            "configured": False,
            "url": "",
            "last_attempt": None,
            "last_success": None,
            "failures": 0,
            "last_error": "",
        }
        with (cli.config / "tracker.toml").open("a") as settings:
            settings.write('[archive]\nremote = "https://bot:s3cret@git.example.org/a.git"\n')
        # What tracker.archive.history keeps after two failed pushes (its own format, read back).
        state.set_meta(
            "archive_push",
            json.dumps(
                {
                    "last_attempt": "2026-12-07T06:00:00Z",
                    "last_success": "2026-12-06T06:00:00Z",
                    "failures": 2,
                    "first_failure": "2026-12-07T05:00:00Z",
                    "last_error": "remote rejected",
                }
            ),
        )
        data = status_json(cli, 1)
        assert data["remote"]["configured"] is True and data["remote"]["failures"] == 2
        assert data["remote"]["url"] == "https://***@git.example.org/a.git"
        assert data["problems"] == ["remote: 2 failed pushes in a row (remote rejected)"]
        text = cli("status", code=1).stdout
        assert "remote https://***@git.example.org/a.git: last push 2026-12-07 06:00Z" in text
        assert "s3cret" not in text
    finally:
        state.close()


def test_the_tail_is_read_back_only_as_far_as_needed(tmp_path: Path):
    path = tmp_path / "checks.csv"
    rows = ["checked_at,outcome,cause,http_status,raw_sha256,text_sha256,version,url,detail"]
    rows.append("2026-01-01T00:00:00Z,unchanged,,200,,,v,u,")
    for n in range(5000):
        rows.append(f'2026-01-02T00:00:{n % 60:02}Z,inaccessible,http-999,999,,,,u,"a\nb {n}"')
    path.write_text("\n".join(rows) + "\n")
    last = read_last_checks(path, stop_at_success=False)
    assert last[-1] == ("2026-01-02T00:00:19Z", "inaccessible", "http-999")  # 4999 % 60
    assert len(last) < 500, "only the end of the file is read"
    back = read_last_checks(path, stop_at_success=True)
    assert back[0] == ("2026-01-01T00:00:00Z", "unchanged", "")
    assert len(back) == 5001
