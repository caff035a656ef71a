"""Change records filtered as a reader asks: by document glob, label, significance and dates.

``tracker changes --label legal_basis --since 2023-01-01`` lists every recorded change whose
clauses gained, lost or kept a legal-basis label from 2023 on. Labels are the taxonomy's ids
(``consent``, ``legitimate_interests``...) or its groups (``legal_basis``, ``art9``,
``control``, ``data_category``, ``purpose_flag``: every label of the group); ``-`` and ``_``
are the same. A change *touches* a label when the record or one of its clauses carries it,
gains it or loses it in a substantive clause (the record's own ``labels``, ``gained`` and
``lost``, and its substantive clauses'): a cosmetic or minor edit does not touch a label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

from tracker.errors import QueryError
from tracker.models import Significance


@dataclass(frozen=True, slots=True)
class ChangeFilter:
    """What a reader asks for; an empty field asks for everything.

    Attributes:
        document: a glob over document ids (``linkedin/*``; ``*`` crosses ``/``).
        labels: label ids; a change must touch at least one.
        significance: significance names; a change must have one of them.
        since: a stamp: changes recorded at or after it.
        until: a stamp: changes recorded at or before it.
    """

    document: str = "*"
    labels: frozenset[str] = frozenset()
    significance: frozenset[str] = frozenset()
    since: str = ""
    until: str = ""

    def wants_document(self, document: str) -> bool:
        """Whether the document's changes are asked for (before reading any of them)."""
        return fnmatchcase(document, self.document)

    def wants_stamp(self, stamp: str) -> bool:
        """Whether a change recorded at ``stamp`` is within the dates asked for."""
        return (not self.since or stamp >= self.since) and (not self.until or stamp <= self.until)


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    """One recorded change as ``tracker changes`` lists it."""

    document: str
    timestamp: str
    from_version: str
    to_version: str
    significance: str
    labels: tuple[str, ...]
    gained: tuple[str, ...]
    lost: tuple[str, ...]
    #: every label the change touches (record and clauses: kept, gained or lost), sorted
    touched: tuple[str, ...]
    #: the labels asked for that it touches
    matched: tuple[str, ...] = ()
    #: clauses of each kind, in order of appearance
    clauses: tuple[tuple[str, int], ...] = ()
    flip_back_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stable ``--json`` form (documented in the README)."""
        return {
            "document": self.document,
            "timestamp": self.timestamp,
            "from": self.from_version,
            "to": self.to_version,
            "significance": self.significance,
            "labels": list(self.labels),
            "gained": list(self.gained),
            "lost": list(self.lost),
            "touched": list(self.touched),
            "matched": list(self.matched),
            "clauses": dict(self.clauses),
            "flip_back_of": self.flip_back_of,
            "record": f"{self.document}/changes/{self.timestamp}.json",
            "page": f"{self.document}/changes/{self.timestamp}.html",
        }


def label_choice(asked: Sequence[str], groups: Mapping[str, str]) -> frozenset[str]:
    """The label ids ``asked`` names: labels and groups of ``groups`` (label → group).

    QueryError naming the valid labels and groups for anything else.
    """
    chosen: set[str] = set()
    for word in asked:
        name = word.strip().lower().replace("-", "_")
        if name in groups:
            chosen.add(name)
            continue
        members = {label for label, group in groups.items() if group == name}
        if not members:
            valid_groups = ", ".join(sorted(set(groups.values())))
            raise QueryError(
                f"unknown label {word!r}; labels: {', '.join(sorted(groups))}; "
                f"groups (every label of the group): {valid_groups}"
            )
        chosen |= members
    return frozenset(chosen)


def significance_choice(asked: Sequence[str]) -> frozenset[str]:
    """The significance names ``asked`` (QueryError naming the valid ones otherwise)."""
    valid = [level.value for level in Significance]
    for word in asked:
        if word.strip().lower() not in valid:
            raise QueryError(f"unknown significance {word!r}; one of: {', '.join(valid)}")
    return frozenset(word.strip().lower() for word in asked)


def touched_labels(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Every label a change record touches, as its classification counts them: the labels of
    its substantive clauses, kept, gained or lost (a cosmetic or minor edit of a clause about
    consent does not touch consent)."""
    found = {str(label) for key in ("labels", "gained", "lost") for label in record.get(key) or ()}
    for clause in record.get("clauses", ()):
        if clause.get("significance") == Significance.SUBSTANTIVE.value:
            for key in ("labels", "gained", "lost"):
                found.update(str(label) for label in clause.get(key) or ())
    return tuple(sorted(found))


def summarise(document: str, stamp: str, record: Mapping[str, Any]) -> ChangeSummary:
    """A change record as a :class:`ChangeSummary` (nothing matched yet)."""
    kinds: dict[str, int] = {}
    for clause in record.get("clauses", ()):
        kinds[str(clause["kind"])] = kinds.get(str(clause["kind"]), 0) + 1
    return ChangeSummary(
        document=document,
        timestamp=stamp,
        from_version=str(record.get("from", "")),
        to_version=str(record.get("to", stamp)),
        significance=str(record.get("significance", "")),
        labels=tuple(record.get("labels") or ()),
        gained=tuple(record.get("gained") or ()),
        lost=tuple(record.get("lost") or ()),
        touched=touched_labels(record),
        clauses=tuple(kinds.items()),
        flip_back_of=record.get("flip_back_of"),
    )


def select(
    records: Iterable[tuple[str, str, Mapping[str, Any]]], wanted: ChangeFilter
) -> list[ChangeSummary]:
    """The changes ``wanted`` asks for among ``(document, stamp, record)``, oldest first."""
    chosen = []
    for document, stamp, record in records:
        if not (wanted.wants_document(document) and wanted.wants_stamp(stamp)):
            continue
        summary = summarise(document, stamp, record)
        if wanted.significance and summary.significance not in wanted.significance:
            continue
        matched = tuple(label for label in summary.touched if label in wanted.labels)
        if wanted.labels and not matched:
            continue
        chosen.append(replace(summary, matched=matched))
    return sorted(chosen, key=lambda s: (s.timestamp, s.document))
