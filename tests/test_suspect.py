"""Broken pages are held, fetched again, and never alerted as changes on one fetch's word.

A partial outage (half the paragraphs gone) and a body cut short with no ``Content-Length`` and
no ``</html>`` are served over loopback to the real pipeline; the held capture is a ``suspect``
row of ``checks.csv`` and nothing is recorded unless a second fetch agrees.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.servers import Reply, page_bytes
from tests.test_pipeline import DOC, PATH, World, world  # noqa: F401 - the fixture
from tracker.models import Outcome
from tracker.suspect import SuspectSettings, suspicion

V1 = "linkedin/privacy-policy/v1.html"
V2 = "linkedin/privacy-policy/v2.html"


def _half_of_the_paragraphs(body: bytes) -> bytes:
    """The page of a partial outage: the headings, paragraphs and list items of its second half
    are missing, while the markup around them (and ``</html>``) is there."""
    middle = body.find(b"<h2", len(body) * 6 // 10)
    tail = re.sub(rb"<(p|li|h[1-6])\b[^>]*>.*?</\1>", b"", body[middle:], flags=re.S)
    return body[:middle] + tail


def _cut(body: bytes, keep: float = 0.6) -> bytes:
    """A close-delimited body cut short: no ``</html>``, nothing to say it is incomplete."""
    return body[: int(len(body) * keep)]


def test_a_partial_outage_is_held_and_not_recorded_when_the_page_comes_back(world: World):  # noqa: F811
    world.serve(Reply.page(V1))
    [first] = world.check()
    world.serve(Reply(body=_half_of_the_paragraphs(page_bytes(V1))), Reply.page(V1))
    [result] = world.check()
    assert result.outcome is Outcome.UNCHANGED
    assert world.archive.version_stamps(DOC) == [first.version]
    rows = world.archive.checks(DOC)
    assert [(r.outcome, r.cause) for r in rows[-2:]] == [
        (Outcome.SUSPECT, "suspect-shrunk"),
        (Outcome.UNCHANGED, ""),
    ]
    assert "fetching again to confirm" in rows[-2].detail
    assert len(world.server.requests_to(PATH)) == 3, "the suspect capture was fetched again"


def test_a_truncated_body_without_content_length_is_held(world: World):  # noqa: F811
    world.serve(Reply.page(V1))
    world.check()
    cut = _cut(page_bytes(V2))
    world.serve(Reply(body=cut, headers=(("Connection", "close"),)), Reply.page(V1))
    [result] = world.check()
    assert result.outcome is Outcome.UNCHANGED
    assert len(world.archive.version_stamps(DOC)) == 1
    held = [r for r in world.archive.checks(DOC) if r.outcome is Outcome.SUSPECT]
    assert [r.cause for r in held] == ["suspect-unterminated"]


def test_a_loss_confirmed_by_a_second_fetch_is_recorded(world: World):  # noqa: F811
    world.serve(Reply.page(V1))
    world.check()
    shrunk = _half_of_the_paragraphs(page_bytes(V1))
    world.serve(Reply(body=shrunk))
    [result] = world.check()
    assert result.outcome is Outcome.NEW_VERSION
    row = world.archive.checks(DOC)[-1]
    assert row.outcome is Outcome.NEW_VERSION
    assert row.detail.startswith("confirmed by a second fetch: suspect-shrunk")


def test_two_suspect_captures_that_disagree_record_nothing(world: World):  # noqa: F811
    world.serve(Reply.page(V1))
    world.check()
    world.serve(Reply(body=_cut(page_bytes(V1), 0.5)), Reply(body=_cut(page_bytes(V1), 0.7)))
    [result] = world.check()
    assert result.outcome is Outcome.SUSPECT
    assert len(world.archive.version_stamps(DOC)) == 1
    outcomes = [r.outcome for r in world.archive.checks(DOC)]
    assert outcomes == [Outcome.FIRST_RECORD, Outcome.SUSPECT, Outcome.SUSPECT]


def test_a_normal_change_is_not_suspect(world: World):  # noqa: F811
    world.serve(Reply.page(V1))
    world.check()
    world.serve(Reply.page(V2))
    [result] = world.check()
    assert result.outcome is Outcome.NEW_VERSION
    assert Outcome.SUSPECT not in [r.outcome for r in world.archive.checks(DOC)]
    assert len(world.server.requests_to(PATH)) == 2


def test_the_rule_itself() -> None:
    text = "\n\n".join(f"Paragraph {i} says something about your data." for i in range(20))
    settings = SuspectSettings()
    html = b"<html><body>x</body></html>"
    assert suspicion(html, "text/html", text, text, settings) is None
    assert suspicion(html[:-7], "text/html", text, None, settings) is not None
    half = "\n\n".join(text.split("\n\n")[:10])
    held = suspicion(html, "text/html", half, text, settings)
    assert held is not None
    assert held.cause == "suspect-shrunk"
    assert suspicion(html, "text/html", half, text, SuspectSettings(clause_loss=1)) is None
    assert (
        suspicion(html[:-7], "text/html", text, None, SuspectSettings(unterminated_html=False))
        is None
    )


def test_the_settings_come_from_tracker_toml(tmp_path: Path) -> None:
    from tests.test_config import write
    from tracker import config

    shutil.copytree(Path(__file__).resolve().parents[1] / "config", tmp_path / "config")
    write(tmp_path / "config" / "tracker.toml", "[suspect]\nclause_loss = 0.25\nconfirm = false\n")
    settings = config.load(tmp_path / "config", environ={})
    assert settings.suspect == SuspectSettings(clause_loss=0.25, confirm=False)
