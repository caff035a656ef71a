"""Twins: the same document in two languages, and whether a change reached both (pure rules,
with one reading shell over the archive).

Pairing rule: two documents are twins when one's configuration names the other as
``translation_of`` and their languages differ (LinkedIn's ``privacy-policy`` and
``privacy-policy-fr``: same platform and page kind, another language). A change of one is
*linked* to a change of the other when they were detected within :data:`TWIN_WINDOW` of each
other and their labels align: the labels the first one's headline names (or, without a
headline, its gained and lost labels) meet the labels the other is about; two changes with no
such label align when neither has one. Docs: docs/adr/0021-alerts-tell-the-story-first.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.models import Change, Document, Significance
from tracker.render import headline_labels

#: The longest time between the two languages' changes that are one change.
TWIN_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class TwinChange:
    """A change of the twin document: its document, stamp, detection time and the change."""

    document: Document
    stamp: str
    detected: datetime
    change: Change


def twins(document: Document, documents: Sequence[Document]) -> list[Document]:
    """The documents paired with ``document`` (``translation_of`` either way, another language)."""
    return [
        other
        for other in documents
        if other.id != document.id
        and other.language != document.language
        and (other.translation_of == document.id or document.translation_of == other.id)
    ]


def aligned(change: Change, other: Change) -> bool:
    """Whether ``other`` changed the same way as ``change`` (labels, see the module)."""
    if other.significance is Significance.COSMETIC:
        return False
    gained, lost = headline_labels(change)
    named = {*gained, *lost} or {*change.gained, *change.lost}
    about = {*other.labels, *other.lost}
    if not named:
        return not ({*other.gained, *other.lost})
    return bool(named & about)


def linked(
    change: Change, detected: datetime, candidates: Sequence[TwinChange]
) -> TwinChange | None:
    """The twin's change closest in time to ``change`` within the window, if one aligns."""
    near = [c for c in candidates if abs(c.detected - detected) <= TWIN_WINDOW]
    near = [c for c in near if aligned(change, c.change)]
    return min(near, key=lambda c: abs(c.detected - detected)) if near else None
