"""Announced versus effective (issue 15): a change that announces a later date says so, and a
reminder goes out on that day through the outbox, once, even across restarts (an injected
clock; the outbox in SQLite, then in PostgreSQL; the fake Bot API on 127.0.0.1).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.corpus import CORPUS, MANIFEST
from tests.fake_telegram import FakeTelegram
from tests.servers import Reply, page_bytes
from tests.test_alerts import V1, V2, World
from tests.test_alerts import world as world  # the fixture, re-exported
from tests.test_telegram_delivery import A, drain, settings_for
from tests.test_telegram_delivery import fake as fake  # the fixture, re-exported
from tracker.extract.effective_date import announced_date
from tracker.notify.alerts import takes_effect
from tracker.notify.delivery import plain_text
from tracker.notify.outbox import Status

DOC = "linkedin/privacy-policy"
BANNER = (
    b"<p>On December 1, 2025, we are updating this Privacy Policy to describe how we use your "
    b"data to train generative AI. You can opt out any time in your settings.</p>"
)


def announcing_page() -> bytes:
    """V2 with a banner announcing an update on 1 December 2025 (captured on 4 November)."""
    page = page_bytes(V2)
    marker = b"<h2>Your Privacy Matters</h2>"
    assert marker in page
    return page.replace(marker, BANNER + marker, 1)


def test_announced_dates_in_english_and_french():
    assert announced_date("On November 3, 2025, we are updating this notice.") == date(2025, 11, 3)
    assert announced_date("We will update our terms on January 5, 2026.") == date(2026, 1, 5)
    assert announced_date("À compter du 3 novembre 2025, nous mettrons à jour cet avis.") == date(
        2025, 11, 3
    )
    assert announced_date("On November 3, 2025, we updated this notice.") is None, "past"
    assert announced_date("Effective November 3, 2025") is None, "a statement, no announcement"
    captured = datetime(2025, 11, 4, 6, 30, tzinfo=UTC)
    assert takes_effect("On November 3, 2025, we are updating this notice.", captured) is None
    assert takes_effect("Effective December 2, 2025\n\nText.", captured) == date(2025, 12, 2)


def test_an_announced_change_says_so_and_its_reminder_goes_out_on_the_day_once(
    world: World, fake: FakeTelegram
):
    settings = settings_for(fake)
    world.check(Reply.page(V1))
    [result] = world.check(Reply(body=announcing_page()))
    rows = world.outbox.rows()
    summary = next(r for r in rows if r.channel == "a-en" and r.message.role == "summary")
    assert "⏳ Announced: takes effect 1 Dec 2025" in plain_text(summary.message.html)
    french = next(r for r in rows if r.channel == "b-fr" and r.message.role == "summary")
    assert "Annoncée : entre en vigueur le 1 déc. 2025" in plain_text(french.message.html)
    reminders = [r for r in rows if r.message.role == "reminder"]
    assert {r.alert_key for r in reminders} == {f"reminder:{DOC}:2025-12-01"}
    assert {r.status for r in reminders} == {Status.HELD}
    assert {r.not_before for r in reminders} == {datetime(2025, 12, 1, 7, 0, tzinfo=UTC)}

    # The post goes out now; the reminder waits (and blocks nothing behind it).
    drain(world, settings)
    before = len(fake.messages(A))
    assert before >= 3
    assert not any("In force from today" in (m.text or "") for m in fake.messages(A))
    world.clock.sleep(
        (datetime(2025, 12, 1, 6, 59, tzinfo=UTC) - world.clock.now()).total_seconds()
    )
    drain(world, settings)
    assert len(fake.messages(A)) == before, "not before its time"
    assert world.alerts().compose_digests() == 0, "a reminder is no digest line"

    # Its time comes: a restarted worker (new objects, same database) sends it, once.
    world.clock.sleep(120)
    drain(world, settings)
    drain(world, settings)
    sent = [m for m in fake.messages(A) if "In force from today" in (m.text or "")]
    assert len(sent) == 1
    text = sent[0].text or ""
    assert "⏰ In force from today, 1 Dec 2025" in text
    assert "LinkedIn Privacy Policy" in text and "announced in the change detected" in text
    assert world.alerts().release_reminders() == 0
    assert {r.status for r in world.outbox.rows() if r.message.role == "reminder"} == {Status.SENT}
    # Checked again with the same banner: no second reminder for the same day.
    world.check(Reply(body=announcing_page()))
    assert len([r for r in world.outbox.rows() if r.message.role == "reminder"]) == len(
        [r for r in rows if r.message.role == "reminder"]
    )
    assert result.version


@pytest.mark.corpus
@pytest.mark.skipif(not MANIFEST.is_file(), reason=f"corpus not found at {CORPUS}")
def test_the_real_announcement_of_2025_09_18_takes_effect_on_3_november():
    folder = CORPUS / "linkedin" / "eu-regional-privacy-notice" / "markdown" / "en_pga"
    announcing = (folder / "2025-09-18T12-34-39Z.md").read_text(encoding="utf-8")
    in_force = (folder / "2025-11-04T00-35-00Z.md").read_text(encoding="utf-8")
    assert announced_date(announcing) == date(2025, 11, 3)
    captured = datetime(2025, 9, 18, 12, 34, tzinfo=UTC)
    assert takes_effect(announcing, captured) == date(2025, 11, 3), "not February 27, 2025"
    assert takes_effect(in_force, datetime(2025, 11, 4, 0, 35, tzinfo=UTC)) is None
