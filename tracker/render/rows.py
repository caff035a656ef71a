"""Changed clauses as a reader counts them: a table row is one unit, not one per cell (pure).

A notice's table (purpose, data used, legal basis) is split into one clause per cell, each
with the ``row`` it stands in. A reader sees a row added, not four cells: alerts show the cells
of one row together and count rows (docs/adr/0021-alerts-tell-the-story-first.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tracker.models import Change, ChangeKind, ClauseChange, Rank, Significance
from tracker.render import KIND_ORDER, display_text, lead_order


@dataclass(frozen=True, slots=True)
class Unit:
    """One clause, or the changed cells of one table row, in document order.

    ``row`` is the row's name (its first cell, as the page shows it) for a table row, ``""``
    for a clause outside a table.
    """

    clauses: tuple[ClauseChange, ...]
    row: str = ""

    @property
    def first(self) -> ClauseChange:
        """The unit's first clause (a row: its first changed cell)."""
        return self.clauses[0]

    @property
    def kind(self) -> ChangeKind:
        """The cells' kind when they agree (a row added whole), ``modified`` otherwise."""
        kinds = {c.kind for c in self.clauses}
        return kinds.pop() if len(kinds) == 1 else ChangeKind.MODIFIED

    @property
    def significance(self) -> Significance:
        """The highest significance of its clauses."""
        order = (Significance.COSMETIC, Significance.MINOR, Significance.SUBSTANTIVE)
        return max((c.significance for c in self.clauses), key=order.index)

    @property
    def rank(self) -> Rank | None:
        """The highest rank of its clauses (None when none is ranked)."""
        ranks = [c.rank for c in self.clauses if c.rank is not None]
        return max(ranks) if ranks else None

    def labels(self) -> set[str]:
        """Every label its clauses are about, gained, lost or kept."""
        return {label for c in self.clauses for label in (*c.labels, *c.lost)}

    def touched(self) -> set[str]:
        """The labels its clauses gain or lose."""
        return {label for c in self.clauses for label in (*c.gained, *c.lost)}

    def lead_order(self) -> tuple[int, bool, tuple[int, ...]]:
        """:func:`tracker.render.lead_order` of its leading clause."""
        return min(lead_order(c) for c in self.clauses)

    def head_cell(self, clause: ClauseChange) -> bool:
        """Whether ``clause`` is the row's name cell (shown as the row's heading, not again)."""
        text = " ".join(display_text(clause.new or clause.old or "").split())
        return bool(self.row) and text == " ".join(self.row.split())


def _row_name(clause: ClauseChange) -> str:
    return display_text(clause.row or "").strip()


def units(change: Change) -> list[Unit]:
    """The change's clauses as units, in document order: the cells of a row together.

    Cells belong to one row when they stand in the same section under the same row name;
    a table cell is a clause with a ``row``.
    """
    found: dict[tuple[tuple[str, ...], str], list[ClauseChange]] = {}
    order: list[tuple[tuple[str, ...], str] | int] = []
    singles: list[ClauseChange] = []
    for clause in change.clauses:
        name = _row_name(clause)
        if not name:
            order.append(len(singles))
            singles.append(clause)
            continue
        key = (clause.section, name)
        if key not in found:
            found[key] = []
            order.append(key)
        found[key].append(clause)
    result = []
    for item in order:
        if isinstance(item, int):
            result.append(Unit((singles[item],)))
        else:
            result.append(Unit(tuple(found[item]), row=item[1]))
    return result


def unit_counts(change: Change) -> dict[ChangeKind, int]:
    """How many units changed in each way (a row once), in :data:`KIND_ORDER`, zeros left out."""
    counted = Counter(unit.kind for unit in units(change))
    return {kind: counted[kind] for kind in KIND_ORDER if counted[kind]}
