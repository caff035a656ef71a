"""Delivered messages leave the outbox after ``alerts.keep_delivered_days``; keys stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.notify.outbox import Outbox, Queued, Status
from tracker.render.telegram import Message
from tracker.state.store import State

T0 = datetime(2026, 1, 2, tzinfo=UTC)


def _queue(box: Outbox, key: str, at: datetime) -> list[int]:
    assert box.enqueue(
        key,
        [
            Queued("c", "@chan_x", Message(role="summary", html=f"{key} 1")),
            Queued("c", "@chan_x", Message(role="clauses", html=f"{key} 2")),
        ],
        at=at,
    )
    return [row.id for row in box.rows() if row.message.html.startswith(key)]


def test_only_old_finished_and_recorded_alerts_are_pruned(db_url: str):
    state = State(db_url)
    try:
        box = Outbox(state, T0)
        old, unrecorded, notice, waiting, recent = (
            _queue(box, "change:a:1", T0),
            _queue(box, "change:a:2", T0),
            _queue(box, "outage:host", T0),
            _queue(box, "change:a:3", T0),
            _queue(box, "change:a:4", T0 + timedelta(days=40)),
        )
        for row_id in old + unrecorded + notice + recent + waiting[:1]:
            box.mark_sent(
                row_id,
                7,
                T0 + timedelta(hours=1) if row_id not in recent else T0 + timedelta(days=40),
            )
        pruned = box.prune(T0 + timedelta(days=30), ["change:a:1", "change:a:3", "change:a:4"])
        assert pruned == 4  # change:a:1 and the notice: delivered, old, recorded (or no record)
        left = {row.message.html.split()[0] for row in box.rows()}
        assert left == {"change:a:2", "change:a:3", "change:a:4"}
        assert [r.status for r in box.rows() if r.message.html.startswith("change:a:3")] == [
            Status.SENT,
            Status.PENDING,
        ], "an alert with a message left to send keeps all of them"
        assert box.has_alert("change:a:1"), "the key stays: the alert is never queued again"
        assert not box.enqueue(
            "change:a:1", [Queued("c", "@chan_x", Message(role="summary", html="again"))], at=T0
        )
    finally:
        state.close()
