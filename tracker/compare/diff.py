"""Compare two versions clause by clause: align, classify, diff words, weigh significance.

Stage: after a new version is recorded (:mod:`tracker.changes`, ``tracker diff``). Pure
functions, no I/O.

Inputs: the Markdown of two versions of one document. Output: a :class:`~tracker.models.Change`
listing the changed clauses (added, removed, modified, moved, split, merged), each with a
word-level diff and a significance, and the significance of the whole change.
:func:`change_to_dict` turns it into JSON-ready data. docs/significance.md explains the rules
for lawyers and maintainers.

How it works:

1. Both versions are cut into clauses (:func:`tracker.compare.clauses.locate_clauses`).
2. **Exact matches**, with hash maps, three times: same text (whitespace runs and invisible
   characters aside), then same visible words (links, markup and escapes aside), then same
   words up to case, punctuation, quotes, accents of long words and numbering markers. When a
   text occurs more than once, a clause with the same id wins, then one in the same section
   (and row and column), then the next in document order.
3. **Near matches of headings, header cells and first cells of rows**, among the clauses
   left: the others are judged by their section and row, so these are paired first.
   Similarity is the ratio of :class:`difflib.SequenceMatcher` over the words (lower case,
   without punctuation). The candidates of a clause are few: the clause with the same id, the
   cells of the same row (rows are paired through their first cells) and column, the unpaired
   clauses between the paired neighbours, and those sharing the most of its rarest words;
   ``real_quick_ratio`` and ``quick_ratio`` are tried first. A pair needs a ratio of at least
   :data:`SAME_CELL_RATIO` for a cell of the same row and column, :data:`SAME_ID_RATIO` for
   the same id, :data:`SAME_SECTION_RATIO` in the same section and :data:`ELSEWHERE_RATIO`
   anywhere else; the best pairs win, with a bonus for the same cell, id and section.
4. **Splits and merges**: an unpaired clause whose words make, at a ratio of at least
   :data:`GROUP_RATIO`, those of a run of adjacent unpaired clauses of the other version (each
   sharing at least half of its words with it), better than any one of them alone.
5. **Near matches of all other clauses**, as in step 3.
6. **Moves**: a pair out of the longest sequence of pairs kept in the same order, or whose
   heading (or table row or column) is paired with another one than its new heading, is
   moved; a heading kept in order under another parent only changed level. Adjacent moved
   clauses without edits are reported as one move (a moved section).
7. The rest is added or removed.

Bounds: every step is linear in the number of clauses or bounded, so that a hostile page
(100,000 clauses, one text repeated thousands of times, thousands of long unrelated clauses)
cannot stall a check. Clauses are at most :data:`tracker.compare.clauses.MAX_CLAUSE_CHARS` long;
clauses of one text are paired through indexes; steps 3 to 5 stop pairing once they have done
:data:`COMPARE_BUDGET` word comparisons (no real transition comes near it: their results are
unchanged), and the word diff has its own budget.

Significance (:func:`tracker.compare.significance.clause_significance`, per clause; the whole
change takes the highest) is described in :mod:`tracker.compare.significance`; a move to another
section, row or column is substantive, a reorder minor. Inside every modified,
moved-with-edit, split or merged clause, :func:`tracker.compare.worddiff.word_diff` gives the
inserted and deleted words.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Generic, Literal, TypeVar

from tracker.compare.clauses import LocatedClause, locate_clauses
from tracker.compare.significance import (
    clause_significance,
    loose_key,
    loose_words,
    max_significance,
    visible_key,
)
from tracker.compare.worddiff import DIFF_BUDGET, word_diff
from tracker.extract.normalise import clean_text
from tracker.models import (
    Change,
    ChangeKind,
    Clause,
    ClauseChange,
    ClauseKind,
    DiffOp,
    Significance,
)

__all__ = [
    "COMPARE_BUDGET",
    "DIFF_BUDGET",
    "ELSEWHERE_RATIO",
    "GROUP_RATIO",
    "SAME_CELL_RATIO",
    "SAME_ID_RATIO",
    "SAME_SECTION_RATIO",
    "change_to_dict",
    "clause_significance",
    "compare",
    "word_diff",
]

#: Least similarity for a cell of the same (paired) row and the same column: any.
SAME_CELL_RATIO = 0.0
#: Least similarity for two clauses with the same id.
SAME_ID_RATIO = 0.5
#: Least similarity for two clauses in the same section (and column, for cells).
SAME_SECTION_RATIO = 0.6
#: Least similarity for a clause moved elsewhere with an edit.
ELSEWHERE_RATIO = 0.8
#: Least similarity between a clause and the joined run of clauses it was split into (or
#: merged from).
GROUP_RATIO = 0.8
#: A run member must share this share of its words with the clause of a split or merge.
GROUP_CONTAINMENT = 0.5
#: Most work steps 3 to 5 may do in one comparison, in word comparisons: a similarity ratio
#: costs the product of the two clauses' lengths in words, its quick bounds their sum, a
#: look-up of the clauses sharing a word or of a run member the number of clauses or words
#: read. The 535 real transitions of the corpus need at most 404,003 (median 0): ten times
#: that leaves room for larger real pages, and bounds a replaced 10 MB page to about a second
#: of this work. Beyond it, the clauses still unpaired are reported added and removed.
COMPARE_BUDGET = 4_000_000

_BONUS = {0: 1.0, 1: 0.15, 2: 0.1, 3: 0.0}
_THRESHOLD = {0: SAME_CELL_RATIO, 1: SAME_ID_RATIO, 2: SAME_SECTION_RATIO, 3: ELSEWHERE_RATIO}
_MIN_WORDS_ELSEWHERE = 4
_RARE_WORDS = 12
_INDEX_CANDIDATES = 8
_WINDOW = 8

_HEADING, _TEXT, _CELL = 0, 1, 2
_GROUP_OF_KIND = {
    ClauseKind.HEADING: _HEADING,
    ClauseKind.PARAGRAPH: _TEXT,
    ClauseKind.SENTENCE: _TEXT,
    ClauseKind.LIST_ITEM: _TEXT,
    ClauseKind.TABLE_CELL: _CELL,
}

ParentState = Literal["same", "different", "unknown"]
T = TypeVar("T")


# ------------------------------------------------------------------------------ alignment


class _Lazy(Generic[T]):
    """A list whose items are computed on first use (most clauses never need them)."""

    __slots__ = ("_compute", "_items")

    def __init__(self, size: int, compute: Callable[[int], T]) -> None:
        self._items: list[T | None] = [None] * size
        self._compute = compute

    def __getitem__(self, index: int) -> T:
        item = self._items[index]
        if item is None:
            item = self._items[index] = self._compute(index)
        return item


class _Side:
    """One version's clauses and the keys of each, computed when first needed."""

    def __init__(self, located: tuple[LocatedClause, ...]) -> None:
        self.located = located
        texts = [item.clause.text for item in located]
        self.group = [_GROUP_OF_KIND[item.clause.kind] for item in located]
        self.strict = [
            (group, " ".join(clean_text(unicodedata.normalize("NFC", text)).split()))
            for group, text in zip(self.group, texts, strict=True)
        ]
        self.visible: _Lazy[tuple[str, ...]] = _Lazy(len(texts), lambda i: visible_key(texts[i]))
        self.loose: _Lazy[tuple[str, ...]] = _Lazy(
            len(texts), lambda i: loose_key(texts[i], self.visible[i])
        )
        self.words: _Lazy[frozenset[str]] = _Lazy(len(texts), lambda i: frozenset(self.loose[i]))

    def clause(self, index: int) -> Clause:
        return self.located[index].clause

    def __len__(self) -> int:
        return len(self.located)


class _Vocabulary(Mapping[str, int]):
    """How often each comparable word occurs in both versions, counted when first asked."""

    def __init__(self, *texts: str) -> None:
        self._texts = texts
        self._counts: Counter[str] | None = None

    def _count(self) -> Counter[str]:
        if self._counts is None:
            self._counts = Counter(word for text in self._texts for word in loose_words(text))
        return self._counts

    def __getitem__(self, word: str) -> int:
        return self._count()[word]

    def __iter__(self) -> Iterator[str]:
        return iter(self._count())

    def __len__(self) -> int:
        return len(self._count())


@dataclass(slots=True)
class _Aligner:
    old: _Side
    new: _Side
    o2n: dict[int, int] = field(default_factory=dict)
    n2o: dict[int, int] = field(default_factory=dict)
    splits: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    merges: list[tuple[tuple[int, ...], int]] = field(default_factory=list)
    grouped_old: set[int] = field(default_factory=set)
    grouped_new: set[int] = field(default_factory=set)
    _rows: dict[tuple[int, int], tuple[int, int]] | None = None
    work: int = 0
    exhausted: bool = False

    def spend(self, units: int) -> bool:
        """Count ``units`` of near-match work; False (from then on) once over the budget."""
        if self.exhausted or self.work + units > COMPARE_BUDGET:
            self.exhausted = True
            return False
        self.work += units
        return True

    def pair(self, o: int, n: int) -> None:
        self.o2n[o] = n
        self.n2o[n] = o
        self._rows = None

    def free_old(self, o: int) -> bool:
        return o not in self.o2n and o not in self.grouped_old

    def free_new(self, n: int) -> bool:
        return n not in self.n2o and n not in self.grouped_new

    # -- context ---------------------------------------------------------------------------

    def parent_state(self, o: int, n: int) -> ParentState:
        """Whether two clauses stand under the same heading (a paired one)."""
        old_parent = self.old.located[o].parent
        new_parent = self.new.located[n].parent
        if old_parent is None:
            mapped: int | None = None
        elif old_parent in self.o2n and self.new.group[self.o2n[old_parent]] == _HEADING:
            mapped = self.o2n[old_parent]
        else:
            return "unknown"  # the old heading is gone (or now a paragraph)
        if new_parent is not None and (
            new_parent not in self.n2o or self.old.group[self.n2o[new_parent]] != _HEADING
        ):
            return "unknown"  # the new heading is new (or was a paragraph)
        state: ParentState = "same" if mapped == new_parent else "different"
        old_cell, new_cell = self.old.located[o].cell, self.new.located[n].cell
        if state == "same" and old_cell is not None and new_cell is not None:
            row = self.row_map().get(old_cell[:2])
            if row is not None and row != new_cell[:2]:
                return "different"
            if not self._same_column(o, n):
                return "different"
        return state

    def _same_column(self, o: int, n: int) -> bool:
        old_clause, new_clause = self.old.clause(o), self.new.clause(n)
        if old_clause.column and new_clause.column:
            return old_clause.column == new_clause.column
        old_cell, new_cell = self.old.located[o].cell, self.new.located[n].cell
        return old_cell is not None and new_cell is not None and old_cell[2] == new_cell[2]

    def row_map(self) -> dict[tuple[int, int], tuple[int, int]]:
        """Old (table, row) → new (table, row): through paired first cells, else any cell."""
        if self._rows is not None:
            return self._rows
        rows: dict[tuple[int, int], tuple[int, int]] = {}
        weak: dict[tuple[int, int], tuple[int, int]] = {}
        for o, n in self.o2n.items():
            old_cell, new_cell = self.old.located[o].cell, self.new.located[n].cell
            if old_cell is None or new_cell is None:
                continue
            if old_cell[2] == 0 and new_cell[2] == 0:
                rows[old_cell[:2]] = new_cell[:2]
            else:
                weak.setdefault(old_cell[:2], new_cell[:2])
        taken = set(rows.values())
        for old_row, new_row in weak.items():
            if old_row not in rows and new_row not in taken:
                rows[old_row] = new_row
                taken.add(new_row)
        self._rows = rows
        return rows

    # -- exact passes ----------------------------------------------------------------------

    def exact(self, key: Callable[[_Side, int], Hashable | None]) -> None:
        olds: dict[Hashable, list[int]] = {}
        for o in range(len(self.old)):
            if self.free_old(o):
                value = key(self.old, o)
                if value is not None:
                    olds.setdefault(value, []).append(o)
        if not olds:
            return
        news: dict[Hashable, list[int]] = {}
        for n in range(len(self.new)):
            if self.free_new(n):
                value = key(self.new, n)
                if value is not None and value in olds:
                    news.setdefault(value, []).append(n)
        for value, new_list in news.items():
            self._pair_group(olds[value], new_list)

    def _pair_group(self, olds: list[int], news: list[int]) -> None:
        """Pair clauses of the same text: each new one, in order, with the first old one left
        that has the same id and kind, else the same section, row, column and kind, else the
        same kind, else any.

        Each rule indexes the old clauses by what it compares, so a text repeated thousands
        of times costs a pass, not a pass per repetition.
        """
        if len(olds) == 1 and len(news) == 1:
            self.pair(olds[0], news[0])
            return
        taken: set[int] = set()
        waiting = list(news)
        keys: tuple[Callable[[_Side, int], Hashable], ...] = (
            lambda side, i: (side.clause(i).id, side.group[i]),
            lambda side, i: (
                side.group[i],
                side.clause(i).section,
                side.clause(i).row,
                side.clause(i).column,
            ),
            lambda side, i: side.group[i],
            lambda side, i: None,
        )
        for key in keys:  # the same id, then section, row and column, then kind, then any
            queues: dict[Hashable, deque[int]] = {}
            for o in olds:  # in document order: the first one left wins
                if o not in taken:
                    queues.setdefault(key(self.old, o), deque()).append(o)
            rest: list[int] = []
            for n in waiting:
                queue = queues.get(key(self.new, n))
                if queue:
                    found = queue.popleft()
                    taken.add(found)
                    self.pair(found, n)
                else:
                    rest.append(n)
            waiting = rest

    # -- near matches ----------------------------------------------------------------------

    def fuzzy(self, wanted_old: Callable[[int], bool], wanted_new: Callable[[int], bool]) -> None:
        olds = [o for o in range(len(self.old)) if self.free_old(o) and wanted_old(o)]
        news = [n for n in range(len(self.new)) if self.free_new(n) and wanted_new(n)]
        if not olds or not news:
            return
        index: dict[str, list[int]] = {}
        for o in olds:
            for word in self.old.words[o]:
                index.setdefault(word, []).append(o)
        old_set = set(olds)
        by_id = {self.old.clause(o).id: o for o in olds}
        rows = self.row_map()
        cells_of_row: dict[tuple[int, int], list[int]] = {}
        for o in olds:
            cell = self.old.located[o].cell
            if cell is not None:
                cells_of_row.setdefault(cell[:2], []).append(o)
        new_row_to_old = {new_row: old_row for old_row, new_row in rows.items()}
        anchors_new = sorted(self.n2o)
        scored: list[tuple[float, int, int]] = []
        for n in news:
            if self.exhausted:
                break
            if not self.new.loose[n]:
                continue
            candidates: set[int] = set()
            same_id = by_id.get(self.new.clause(n).id)
            if same_id is not None:
                candidates.add(same_id)
            new_cell = self.new.located[n].cell
            if new_cell is not None and new_cell[:2] in new_row_to_old:
                candidates.update(cells_of_row.get(new_row_to_old[new_cell[:2]], ()))
            candidates.update(self._window(n, anchors_new, old_set))
            candidates.update(self._sharing_rare_words(n, index))
            for o in candidates:
                score = self._score(o, n, same_id == o)
                if score is not None:
                    scored.append((score, o, n))
        scored.sort(key=lambda item: (-item[0], item[2], item[1]))
        for _, o, n in scored:
            if self.free_old(o) and self.free_new(n):
                self.pair(o, n)

    def _window(self, n: int, anchors_new: Sequence[int], old_set: set[int]) -> list[int]:
        """Unpaired old clauses between the partners of ``n``'s paired neighbours."""
        at = bisect.bisect_left(anchors_new, n)
        low = self.n2o[anchors_new[at - 1]] if at > 0 else -1
        high = self.n2o[anchors_new[at]] if at < len(anchors_new) else len(self.old)
        if low > high:
            low, high = high, low
        found = [o for o in range(low + 1, min(high, low + 1 + _WINDOW)) if o in old_set]
        found += [o for o in range(max(low + 1, high - _WINDOW), high) if o in old_set]
        return found

    def _sharing_rare_words(self, n: int, index: dict[str, list[int]]) -> list[int]:
        words = sorted(
            (word for word in self.new.words[n] if word in index),
            key=lambda word: (len(index[word]), word),
        )[:_RARE_WORDS]
        if not self.spend(sum(len(index[word]) for word in words)):
            return []
        counts: Counter[int] = Counter()
        for word in words:
            counts.update(index[word])
        return [o for o, _ in counts.most_common(_INDEX_CANDIDATES)]

    def _score(self, o: int, n: int, same_id: bool) -> float | None:
        if self.old.group[o] != self.new.group[n] or not self.old.loose[o]:
            return None
        state = self.parent_state(o, n)
        old_cell, new_cell = self.old.located[o].cell, self.new.located[n].cell
        if (
            old_cell is not None
            and new_cell is not None
            and self.row_map().get(old_cell[:2]) == new_cell[:2]
            and self._same_column(o, n)
        ):
            tier = 0
        elif same_id:
            tier = 1
        elif state != "different" and (old_cell is None or self._same_column(o, n)):
            tier = 2
        else:
            tier = 3
            if min(len(self.old.loose[o]), len(self.new.loose[n])) < _MIN_WORDS_ELSEWHERE:
                return None
        threshold = _THRESHOLD[tier]
        old_words, new_words = self.old.loose[o], self.new.loose[n]
        if not self.spend(len(old_words) + len(new_words)):
            return None
        matcher = SequenceMatcher(None, old_words, new_words, False)
        if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
            return None
        if not self.spend(len(old_words) * len(new_words)):
            return None
        ratio = matcher.ratio()
        return ratio + _BONUS[tier] if ratio >= threshold else None

    # -- splits and merges -----------------------------------------------------------------

    def groups(self) -> None:
        paired_old = sorted(self.o2n)
        for o in range(len(self.old)):
            if self.free_old(o) and self.old.group[o] == _TEXT and self.old.loose[o]:
                run = self._best_run(self.old, o, self.new, self.o2n, paired_old, self.free_new)
                if run:
                    self.splits.append((o, run))
                    self.grouped_old.add(o)
                    self.grouped_new.update(run)
        paired_new = sorted(self.n2o)
        for n in range(len(self.new)):
            if self.free_new(n) and self.new.group[n] == _TEXT and self.new.loose[n]:
                run = self._best_run(self.new, n, self.old, self.n2o, paired_new, self.free_old)
                if run:
                    self.merges.append((run, n))
                    self.grouped_new.add(n)
                    self.grouped_old.update(run)

    def _best_run(
        self,
        side: _Side,
        index: int,
        other: _Side,
        pairs: dict[int, int],
        paired: Sequence[int],
        free: Callable[[int], bool],
    ) -> tuple[int, ...]:
        """The run of adjacent free clauses of ``other`` that ``side[index]`` became.

        ``paired`` are the keys of ``pairs``, sorted.
        """
        words = side.words[index]
        at = bisect.bisect_left(paired, index)
        low = pairs[paired[at - 1]] if at > 0 else -1
        high = pairs[paired[at]] if at < len(paired) else len(other)
        if low > high:
            low, high = high, low

        def member(position: int) -> bool:
            if not free(position) or other.group[position] != _TEXT:
                return False
            other_words = other.words[position]
            return (
                bool(other_words)
                and self.spend(len(other_words))
                and len(other_words & words) >= GROUP_CONTAINMENT * len(other_words)
            )

        best: tuple[int, ...] = ()
        best_ratio = 0.0
        position = low + 1
        while position < high and not self.exhausted:
            if not member(position):
                position += 1
                continue
            run = [position]
            while run[-1] + 1 < high and member(run[-1] + 1):
                run.append(run[-1] + 1)
            position = run[-1] + 1
            if len(run) < 2:
                continue
            mine = side.loose[index]
            size = sum(len(other.loose[member_index]) for member_index in run)
            if 2 * min(len(mine), size) < GROUP_RATIO * (len(mine) + size):
                continue  # the lengths alone keep the ratio under GROUP_RATIO
            if not self.spend(len(mine) * size):
                break
            joined = tuple(word for member_index in run for word in other.loose[member_index])
            ratio = SequenceMatcher(None, mine, joined, False).ratio()
            if ratio < GROUP_RATIO or ratio <= best_ratio:
                continue
            if not self.spend(len(mine) * size):
                break
            single = max(SequenceMatcher(None, mine, other.loose[m], False).ratio() for m in run)
            if ratio >= single + 0.05:
                best, best_ratio = tuple(run), ratio
        return best

    # -- order -----------------------------------------------------------------------------

    def in_order(self) -> set[int]:
        """Old positions of the pairs in one longest run kept in the same order."""
        olds = sorted(self.o2n)
        tails: list[int] = []  # new positions ending the best run of each length
        tail_at: list[int] = []  # index in olds of that end
        previous: list[int] = [-1] * len(olds)
        for i, o in enumerate(olds):
            n = self.o2n[o]
            at = bisect.bisect_left(tails, n)
            if at == len(tails):
                tails.append(n)
                tail_at.append(i)
            else:
                tails[at] = n
                tail_at[at] = i
            previous[i] = tail_at[at - 1] if at > 0 else -1
        kept: set[int] = set()
        i = tail_at[-1] if tail_at else -1
        while i >= 0:
            kept.add(olds[i])
            i = previous[i]
        return kept


# ------------------------------------------------------------------------------- compare


@dataclass(slots=True)
class _Entry:
    kind: ChangeKind
    olds: list[int]
    news: list[int]
    edited: bool
    significance: Significance


def compare(
    old: str,
    new: str,
    *,
    document: str = "",
    from_version: str = "",
    to_version: str = "",
) -> Change:
    """Compare two versions of a document clause by clause (see the module docstring).

    Args:
        old: the Markdown of the earlier version.
        new: the Markdown of the later version.
        document: the document's id, copied into the result.
        from_version: the earlier version's timestamp, copied into the result.
        to_version: the later version's timestamp, copied into the result.

    Returns:
        The change: changed clauses in the order of the new version (removed clauses where
        they stood), and the highest significance among them (cosmetic when there is none).
    """
    aligner = _Aligner(_Side(locate_clauses(old)), _Side(locate_clauses(new)))
    _align(aligner)
    entries = _entries(aligner, _Vocabulary(old, new))
    clauses = tuple(_clause_change(aligner, entry) for entry in entries)
    return Change(
        document=document,
        from_version=from_version,
        to_version=to_version,
        significance=max_significance(c.significance for c in clauses),
        clauses=clauses,
    )


def _align(aligner: _Aligner) -> None:
    aligner.exact(lambda side, i: side.strict[i])
    aligner.exact(lambda side, i: side.visible[i])
    aligner.exact(lambda side, i: side.loose[i] or None)

    def anchor_old(o: int) -> bool:
        return _is_anchor(aligner.old.located[o])

    def anchor_new(n: int) -> bool:
        return _is_anchor(aligner.new.located[n])

    aligner.fuzzy(anchor_old, anchor_new)
    aligner.groups()
    aligner.fuzzy(lambda _o: True, lambda _n: True)


def _is_anchor(located: LocatedClause) -> bool:
    """Headings, header cells and first cells: what sections and rows are judged by."""
    if located.clause.kind is ClauseKind.HEADING:
        return True
    return located.cell is not None and (located.cell[1] == 0 or located.cell[2] == 0)


def _entries(aligner: _Aligner, vocabulary: Mapping[str, int]) -> list[_Entry]:
    old, new = aligner.old, aligner.new
    kept = aligner.in_order()
    placed: list[tuple[tuple[float, int], _Entry]] = []
    for o in sorted(aligner.o2n, key=aligner.o2n.__getitem__):
        n = aligner.o2n[o]
        edited = old.strict[o] != new.strict[n]
        # A heading kept in order under another parent only changed level (markup).
        heading = old.group[o] == _HEADING
        moved_section = aligner.parent_state(o, n) == "different" and (not heading or o not in kept)
        if not edited and o in kept and not moved_section:
            continue
        old_text, new_text = old.clause(o).text, new.clause(n).text
        significance = (
            clause_significance(old_text, new_text, vocabulary=vocabulary)
            if edited
            else Significance.COSMETIC
        )
        if o not in kept or moved_section:
            move = Significance.SUBSTANTIVE if moved_section else Significance.MINOR
            significance = max_significance((significance, move))
            kind = ChangeKind.MOVED
        else:
            kind = ChangeKind.MODIFIED
        entry = _Entry(kind, [o], [n], edited, significance)
        previous = placed[-1][1] if placed else None
        if (
            previous is not None
            and kind is ChangeKind.MOVED
            and previous.kind is ChangeKind.MOVED
            and not edited
            and not previous.edited
            and previous.olds[-1] + 1 == o
            and previous.news[-1] + 1 == n
        ):
            previous.olds.append(o)
            previous.news.append(n)
            previous.significance = max_significance((previous.significance, significance))
            continue
        placed.append(((float(n), 0), entry))
    for o, run in aligner.splits:
        significance = clause_significance(
            old.clause(o).text, _joined(new, run), vocabulary=vocabulary
        )
        entry = _Entry(ChangeKind.SPLIT, [o], list(run), True, significance)
        placed.append(((float(run[0]), 0), entry))
    for run, n in aligner.merges:
        significance = clause_significance(
            _joined(old, run), new.clause(n).text, vocabulary=vocabulary
        )
        entry = _Entry(ChangeKind.MERGED, list(run), [n], True, significance)
        placed.append(((float(n), 0), entry))
    old_to_new = dict(aligner.o2n)
    for o, run in aligner.splits:
        old_to_new[o] = run[0]
    for run, n in aligner.merges:
        for o in run:
            old_to_new[o] = n
    for n in range(len(new)):
        if aligner.free_new(n):
            significance = _presence(new, n)
            placed.append(((float(n), 0), _Entry(ChangeKind.ADDED, [], [n], False, significance)))
    anchor = -1.0
    for o in range(len(old)):
        if o in old_to_new:
            anchor = float(old_to_new[o])
        elif aligner.free_old(o):
            significance = _presence(old, o)
            entry = _Entry(ChangeKind.REMOVED, [o], [], False, significance)
            placed.append(((anchor + 0.5, o), entry))
    placed.sort(key=lambda item: item[0])
    return [entry for _, entry in placed]


def _presence(side: _Side, index: int) -> Significance:
    """The significance of an added or removed clause, from the words the alignment has.

    The same as :func:`~tracker.compare.significance.clause_significance` with one side None.
    """
    return Significance.SUBSTANTIVE if side.visible[index] else Significance.COSMETIC


def _joined(side: _Side, run: Sequence[int]) -> str:
    return "\n\n".join(side.clause(i).text for i in run)


def _clause_change(aligner: _Aligner, entry: _Entry) -> ClauseChange:
    olds = [aligner.old.clause(o) for o in entry.olds]
    news = [aligner.new.clause(n) for n in entry.news]
    old_text = "\n\n".join(c.text for c in olds) if olds else None
    new_text = "\n\n".join(c.text for c in news) if news else None
    first = news[0] if news else olds[0]
    diff: tuple[tuple[DiffOp, str], ...] = ()
    if entry.edited and old_text is not None and new_text is not None:
        diff = word_diff(old_text, new_text)
    cells = news or olds
    column = first.column if all(c.column == first.column for c in cells) else None
    row = first.row if all(c.row == first.row for c in cells) else None
    return ClauseChange(
        kind=entry.kind,
        section=first.section,
        old=old_text,
        new=new_text,
        diff=diff,
        significance=entry.significance,
        old_ids=tuple(c.id for c in olds),
        new_ids=tuple(c.id for c in news),
        old_section=olds[0].section if entry.kind is ChangeKind.MOVED else None,
        column=column,
        row=row,
    )


# ---------------------------------------------------------------------------- serialising


def change_to_dict(change: Change) -> dict[str, object]:
    """A :class:`~tracker.models.Change` as JSON-ready data (the ``changes/<ts>.json`` shape).

    Args:
        change: the change to serialise.

    Returns:
        ``{"document", "from", "to", "significance", "clauses", "labels", "gained", "lost",
        "rank", "taxonomy", "flip_back_of"}``; each clause is ``{"kind", "section",
        "old_section", "old", "new", "diff", "significance", "column", "row", "old_ids",
        "new_ids", "labels", "gained", "lost", "rank", "context", "evidence"}`` with tuples as
        lists (``labels``: what the change is about; ``context``: the clause as it reads),
        enums as their values, the diff as ``[op, text]`` pairs, each piece of evidence as
        ``{"label", "rule", "matched", "polarity", "source", "lang", "side", "changed"}`` and
        ``taxonomy`` as ``{"version", "digest"}`` (``rank`` and ``taxonomy`` are None for an
        unclassified change). ``unlabelled``, the count of clauses left without labels
        (over the labelling budget), is there only when it is not zero.
    """
    return {
        "document": change.document,
        "from": change.from_version,
        "to": change.to_version,
        "significance": change.significance.value,
        "clauses": [
            {
                "kind": clause.kind.value,
                "section": list(clause.section),
                "old_section": None if clause.old_section is None else list(clause.old_section),
                "old": clause.old,
                "new": clause.new,
                "diff": [[op.value, text] for op, text in clause.diff],
                "significance": clause.significance.value,
                "column": clause.column,
                "row": clause.row,
                "old_ids": list(clause.old_ids),
                "new_ids": list(clause.new_ids),
                "labels": list(clause.labels),
                "gained": list(clause.gained),
                "lost": list(clause.lost),
                "rank": None if clause.rank is None else clause.rank.id,
                "context": list(clause.context),
                "evidence": [
                    {
                        "label": item.label,
                        "rule": item.rule_id,
                        "matched": item.matched,
                        "polarity": item.polarity.value,
                        "source": item.source.value,
                        "lang": item.lang,
                        "side": item.side,
                        "changed": item.changed,
                    }
                    for item in clause.evidence
                ],
            }
            for clause in change.clauses
        ],
        "labels": list(change.labels),
        "gained": list(change.gained),
        "lost": list(change.lost),
        "rank": None if change.rank is None else change.rank.id,
        "taxonomy": None
        if change.taxonomy is None
        else {"version": change.taxonomy.version, "digest": change.taxonomy.digest},
        "flip_back_of": change.flip_back_of,
    } | ({"unlabelled": change.unlabelled} if change.unlabelled else {})
