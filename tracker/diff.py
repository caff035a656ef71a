"""Compare two versions clause by clause: align, classify, diff words, weigh significance.

Stage: after a new version is recorded (:mod:`tracker.changes`, ``tracker diff``). Pure
functions, no I/O.

Inputs: the Markdown of two versions of one document. Output: a :class:`~tracker.models.Change`
listing the changed clauses (added, removed, modified, moved, split, merged), each with a
word-level diff and a significance, and the significance of the whole change.
:func:`change_to_dict` turns it into JSON-ready data. docs/significance.md explains the rules
for lawyers and maintainers.

How it works:

1. Both versions are cut into clauses (:func:`tracker.clauses.locate_clauses`).
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

Significance (:func:`clause_significance`, per clause; the whole change takes the highest):
cosmetic when the visible words are the same; minor when they differ only by case,
punctuation, quote style, accents of long words, numbering, or one typo-sized word; otherwise
substantive. A move to another section, row or column is substantive; a reorder is minor.

Inside every modified, moved-with-edit, split or merged clause, :func:`word_diff` gives the
inserted and deleted words (diff-match-patch over word tokens, with semantic cleanup).
"""

# Typographic quotes and dashes are what several patterns here are about.
# ruff: noqa: RUF001

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Generic, Literal, TypeVar

from diff_match_patch import diff_match_patch

from tracker.clauses import LocatedClause, locate_clauses
from tracker.models import (
    Change,
    ChangeKind,
    Clause,
    ClauseChange,
    ClauseKind,
    DiffOp,
    Significance,
)
from tracker.normalise import clean_text
from tracker.wording import visible_words

__all__ = [
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
#: A typo fix is only recognised in a clause of at least this many words.
TYPO_MIN_WORDS = 8

_BONUS = {0: 1.0, 1: 0.15, 2: 0.1, 3: 0.0}
_THRESHOLD = {0: SAME_CELL_RATIO, 1: SAME_ID_RATIO, 2: SAME_SECTION_RATIO, 3: ELSEWHERE_RATIO}
_MIN_WORDS_ELSEWHERE = 4
_RARE_WORDS = 12
_INDEX_CANDIDATES = 8
_WINDOW = 8

_HARD_BREAK = re.compile(r"\\\n| {2,}\n")
_SEGMENT = re.compile(r"<br\s*/?>|\n", re.IGNORECASE)
_TOKEN = re.compile(
    r"https?://[^\s()<>\[\]]+|<br\s*/?>|[^\W_]+(?:['’][^\W_]+)*|\s+|.", re.DOTALL | re.IGNORECASE
)
_LOOSE = re.compile(r"\d+(?:[.,:/]\d+)*|[^\W\d_]+")
_MARKER = re.compile(r"^\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-z]|[ivxlc]{1,5})[.)]$", re.IGNORECASE)
# A segment that may start with a marker (cheap test before reading its words).
_MAYBE_MARKER = re.compile(r"^[\s*_>\\]*(?:\(|\d|[a-z]\\?[.)]|[ivxlc]{1,5}\\?[.)])", re.IGNORECASE)
_BARE_MARKER = re.compile(r"^\d{1,3}(?:\.\d{1,3})+$")  # "2.5 Sharing", not "2.5 million"
_NUMBER = re.compile(r"^\d+(?:\.\d+)*$")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")  # "LinkedIn's" and "LinkedIns" compare equal
_REFERENCE_WORDS = frozenset(
    (
        *("section", "sections", "article", "articles", "clause", "clauses", "paragraph"),
        *("paragraphs", "paragraphe", "paragraphes", "chapter", "chapitre", "part", "partie"),
        *("annex", "annexe", "schedule"),
    )
)
_TYPOGRAPHY = str.maketrans(
    {
        **dict.fromkeys("’‘‚‛′`´", "'"),
        **dict.fromkeys("“”„‟«»″", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
    }
)
#: Words whose replacement is never a typo fix: negations, modal verbs, quantifiers,
#: connectives and words of data-protection law (English and French; long words without
#: accents, as they are compared).
_GUARDED = frozenset(
    (
        *("not", "no", "nor", "never", "none", "neither", "nothing", "nobody", "without"),
        *("cannot", "unless", "except", "excluding", "including", "only", "all", "any"),
        *("some", "may", "must", "shall", "will", "would", "should", "could", "might", "can"),
        *("and", "or", "always", "before", "after", "within", "until", "more", "less"),
        *("ne", "pas", "plus", "jamais", "aucun", "aucune", "sans", "non", "ni", "rien", "nul"),
        *("nulle", "sauf", "seulement", "uniquement", "peut", "peuvent", "doit", "doivent"),
        *("pourra", "pourront", "devra", "devront", "tous", "toutes", "tout", "toute", "et"),
        *("ou", "où", "avant", "apres", "moins"),
        *("consent", "consents", "content", "contents", "consentement", "contenu", "contract"),
        *("contrat", "data", "date", "donnees", "sell", "sold", "vendre", "share", "shared"),
        *("partager", "store", "stored", "delete", "deleted", "retain", "retained", "lawful"),
        *("unlawful", "legal", "illegal", "legale", "licite", "public", "publique", "private"),
        *("privee", "interest", "interests", "interet", "interets", "legitimate", "legitime"),
        *("third", "tiers", "party", "parties", "minor", "minors", "mineur", "mineurs", "child"),
        *("children", "enfant", "enfants", "object", "opposer", "transfer", "transferer"),
        *("collect", "collected", "connect", "process", "processed", "traiter", "profile"),
        *("profiling", "profilage", "train", "training", "entrainer", "member", "members"),
        *("user", "users", "visitor", "visitors", "free", "paid", "fee", "fees"),
    )
)
_PRIVATE_USE = 0xE000
_PRIVATE_USE_SIZE = 0x1900
_SUPPLEMENTARY_PRIVATE_USE = 0xF0000

#: Most work a word diff may do at once: tokens times a lower bound of the edit distance
#: (about 0.2 s of diff-match-patch in pure Python).
DIFF_BUDGET = 1_000_000
_CHUNK_ENDS = frozenset({".", "!", "?", ";"})
_DMP = diff_match_patch()
_DMP.Diff_Timeout = 0  # no clock: the result must not depend on load (DIFF_BUDGET bounds it)
_DMP_OPS = {0: DiffOp.EQUAL, 1: DiffOp.INSERT, -1: DiffOp.DELETE}

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


# ----------------------------------------------------------------------------- word diff


def word_diff(old: str, new: str) -> tuple[tuple[DiffOp, str], ...]:
    """The word-level diff from ``old`` to ``new``.

    Words (letters and digits, with inner apostrophes), runs of white space, URLs, ``<br>``
    and each other character are tokens; each distinct token becomes one character, so that
    diff-match-patch compares tokens, not characters (as its ``linesToChars`` does for lines),
    and an edit never starts or ends inside a word. A semantic cleanup (diff-match-patch's,
    over tokens weighed by their length in characters) then folds each equality no longer
    than the edits on both of its sides into them, so a lawyer reads whole changed phrases
    rather than scattered words.

    The work is bounded without a clock, so the result never depends on the machine's load:
    when a lower bound of the edit distance makes the token diff cost more than
    :data:`DIFF_BUDGET`, sentence-sized chunks are compared first, then the words of each
    replaced run of chunks (within the same budget; beyond it, the run is shown replaced).

    Args:
        old: the text before.
        new: the text after.

    Returns:
        ``(op, text)`` pairs; the texts of ``equal`` and ``delete`` ops concatenate to
        ``old``, those of ``equal`` and ``insert`` ops to ``new``. Adjacent ops differ.
    """
    if old == new:
        return ((DiffOp.EQUAL, old),) if old else ()
    diffs = _token_diff(_TOKEN.findall(old), _TOKEN.findall(new))
    return tuple(
        (_DMP_OPS[code], "".join(parts)) for code, parts in _cleanup_semantic(_merge(diffs))
    )


class _Encoder:
    """Distinct strings to single characters, as diff-match-patch's ``linesToChars`` does."""

    def __init__(self) -> None:
        self._chars: dict[str, str] = {}
        self._items: list[str] = []

    def encode(self, items: Iterable[str]) -> str:
        out = []
        for item in items:
            char = self._chars.get(item)
            if char is None:
                number = len(self._items)
                char = chr(
                    _PRIVATE_USE + number
                    if number < _PRIVATE_USE_SIZE
                    else _SUPPLEMENTARY_PRIVATE_USE + number - _PRIVATE_USE_SIZE
                )
                self._chars[item] = char
                self._items.append(item)
            out.append(char)
        return "".join(out)

    def decode(self, chars: str) -> list[str]:
        return [self._items[_token_number(char)] for char in chars]


def _dmp(old: Sequence[str], new: Sequence[str]) -> list[tuple[int, list[str]]]:
    encoder = _Encoder()
    encoded_old, encoded_new = encoder.encode(old), encoder.encode(new)
    return [
        (int(code), encoder.decode(str(chars)))
        for code, chars in _DMP.diff_main(encoded_old, encoded_new, False)
    ]


def _cost(old: Sequence[str], new: Sequence[str]) -> int:
    """Length times a lower bound of the edit distance: the work of diff-match-patch."""
    common = sum((Counter(old) & Counter(new)).values())
    return (len(old) + len(new)) * (len(old) + len(new) - 2 * common)


def _chunks(tokens: Sequence[str]) -> list[tuple[str, ...]]:
    """Tokens cut after each sentence end, ``<br>`` and line break."""
    chunks: list[tuple[str, ...]] = []
    start = 0
    for index, token in enumerate(tokens):
        if token in _CHUNK_ENDS or token.startswith("<") or "\n" in token:
            chunks.append(tuple(tokens[start : index + 1]))
            start = index + 1
    if start < len(tokens):
        chunks.append(tuple(tokens[start:]))
    return chunks


def _token_diff(old: list[str], new: list[str]) -> list[tuple[int, list[str]]]:
    if _cost(old, new) <= DIFF_BUDGET:
        return _dmp(old, new)
    old_chunks, new_chunks = _chunks(old), _chunks(new)
    tokens_of = {"".join(chunk): list(chunk) for chunk in (*old_chunks, *new_chunks)}
    coarse = _dmp(["".join(c) for c in old_chunks], ["".join(c) for c in new_chunks])
    diffs: list[tuple[int, list[str]]] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted and inserted and _cost(deleted, inserted) <= DIFF_BUDGET:
            diffs.extend(_dmp(deleted, inserted))
        else:
            diffs.extend(((-1, list(deleted)), (1, list(inserted))))
        deleted.clear()
        inserted.clear()

    for code, chunks in coarse:
        tokens = [token for chunk in chunks for token in tokens_of[chunk]]
        if code == 0:
            flush()
            diffs.append((0, tokens))
        elif code < 0:
            deleted.extend(tokens)
        else:
            inserted.extend(tokens)
    flush()
    return diffs


def _chars(parts: Sequence[str]) -> int:
    return sum(len(part) for part in parts)


def _merge(diffs: Sequence[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """Join adjacent ops; move tokens common to a deletion and an insertion into equalities.

    The token-level counterpart of diff-match-patch's ``diff_cleanupMerge``: deletions come
    before insertions, and no op is empty.
    """
    merged: list[tuple[int, list[str]]] = []

    def append(code: int, parts: list[str]) -> None:
        if not parts:
            return
        if merged and merged[-1][0] == code:
            merged[-1] = (code, merged[-1][1] + parts)
        else:
            merged.append((code, parts))

    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        prefix = 0
        while prefix < min(len(deleted), len(inserted)) and deleted[prefix] == inserted[prefix]:
            prefix += 1
        suffix = 0
        while (
            suffix < min(len(deleted), len(inserted)) - prefix
            and deleted[-1 - suffix] == inserted[-1 - suffix]
        ):
            suffix += 1
        append(0, deleted[:prefix])
        append(-1, deleted[prefix : len(deleted) - suffix])
        append(1, inserted[prefix : len(inserted) - suffix])
        append(0, deleted[len(deleted) - suffix :])

    for code, parts in diffs:
        if code == 0:
            flush()
            deleted, inserted = [], []
            append(0, list(parts))
        elif code < 0:
            deleted = deleted + list(parts)
        else:
            inserted = inserted + list(parts)
    flush()
    return merged


def _cleanup_semantic(diffs: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """Fold each equality no longer than the edits on both of its sides into them.

    diff-match-patch's ``diff_cleanupSemantic`` (its first stage) over tokens, with tokens
    weighed by their length in characters: ``partageons`` between the insertions ``ne`` and
    ``pas`` stays, ``and`` between two rewritten clauses goes. Edits never start or end inside
    a token, unlike with the character-level cleanup.
    """
    equalities: list[int] = []
    last: list[str] = []
    before_inserted = before_deleted = after_inserted = after_deleted = 0
    changed = False
    pointer = 0
    while pointer < len(diffs):
        code, parts = diffs[pointer]
        if code == 0:
            equalities.append(pointer)
            before_inserted, before_deleted = after_inserted, after_deleted
            after_inserted = after_deleted = 0
            last = parts
        else:
            if code > 0:
                after_inserted += _chars(parts)
            else:
                after_deleted += _chars(parts)
            size = _chars(last)
            if (
                last
                and size <= max(before_inserted, before_deleted)
                and size <= max(after_inserted, after_deleted)
            ):
                at = equalities.pop()
                diffs.insert(at, (-1, list(last)))
                diffs[at + 1] = (1, diffs[at + 1][1])
                if equalities:
                    equalities.pop()
                pointer = equalities[-1] if equalities else -1
                before_inserted = before_deleted = after_inserted = after_deleted = 0
                last = []
                changed = True
        pointer += 1
    return _merge(diffs) if changed else diffs


def _token_number(char: str) -> int:
    code = ord(char)
    if code >= _SUPPLEMENTARY_PRIVATE_USE:
        return code - _SUPPLEMENTARY_PRIVATE_USE + _PRIVATE_USE_SIZE
    return code - _PRIVATE_USE


# ---------------------------------------------------------------------------- significance


def _visible(text: str) -> tuple[str, ...]:
    return tuple(visible_words(_HARD_BREAK.sub("\n", text)))


@functools.lru_cache(maxsize=8192)
def _strip_accents(word: str) -> str:
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize(
        "NFC", "".join(char for char in decomposed if not unicodedata.combining(char))
    )


def _comparable(words: Iterable[str]) -> list[str]:
    """Lower-case tokens of letters or digits, apostrophes inside words dropped."""
    joined = _APOSTROPHE.sub("", " ".join(words).translate(_TYPOGRAPHY).casefold())
    return _LOOSE.findall(joined)


def _loose_words(text: str) -> list[str]:
    """The comparable words of a whole text, numbering kept (to count a vocabulary)."""
    words = _comparable(visible_words(_HARD_BREAK.sub("\n", text)))
    return [_strip_accents(word) if len(word) >= 4 else word for word in words]


def _loose(text: str) -> tuple[str, ...]:
    """Words up to case, punctuation, quote style, accents of long words and numbering.

    A numbering marker (``1.``, ``1.2.``, ``(a)``, ``iv)``, or ``2.5`` before a capitalised
    word) at the start of a line or of a ``<br>`` segment goes, as does the number after
    "section", "article", "clause"...
    """
    segments = _SEGMENT.split(_HARD_BREAK.sub("\n", text))
    if any(_MAYBE_MARKER.match(segment) for segment in segments):
        words: list[str] = []
        for segment in segments:
            seen = visible_words(segment)
            if seen and (
                _MARKER.match(seen[0])
                or (_BARE_MARKER.match(seen[0]) and (len(seen) == 1 or seen[1][:1].isupper()))
            ):
                seen = seen[1:]
            words.extend(seen)
    else:  # no segment can start with a marker: one pass over the whole clause
        words = visible_words("\n".join(segments))
    kept: list[str] = []
    for token in _comparable(words):
        if kept and _NUMBER.match(token) and kept[-1] in _REFERENCE_WORDS:
            continue
        kept.append(_strip_accents(token) if len(token) >= 4 else token)
    return tuple(kept)


def _osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein with adjacent transpositions)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def _is_typo_fix(
    old: tuple[str, ...], new: tuple[str, ...], vocabulary: Mapping[str, int] | None
) -> bool:
    if min(len(old), len(new)) < TYPO_MIN_WORDS:
        return False
    edits = [op for op in SequenceMatcher(None, old, new, False).get_opcodes() if op[0] != "equal"]
    if len(edits) != 1:
        return False
    tag, i1, i2, j1, j2 = edits[0]
    if tag != "replace" or i2 - i1 != 1 or j2 - j1 != 1:
        return False
    before, after = old[i1], new[j1]
    if not (before.isalpha() and after.isalpha()) or before[0] != after[0]:
        return False
    if before in _GUARDED or after in _GUARDED or min(len(before), len(after)) < 4:
        return False
    limit = 1 if max(len(before), len(after)) <= 7 else 2
    if _osa_distance(before, after) > limit:
        return False
    if vocabulary is None:
        return True

    def elsewhere(word: str) -> int:
        return vocabulary.get(word, 0) - old.count(word) - new.count(word)

    # A typo is a word found nowhere else: a swap between two words of the text is not one.
    return elsewhere(before) <= 0 or elsewhere(after) <= 0


def clause_significance(
    old: str | None, new: str | None, *, vocabulary: Mapping[str, int] | None = None
) -> Significance:
    """How much the change of one clause from ``old`` to ``new`` matters (None: absent).

    Args:
        old: the clause's text before, or None for an added clause.
        new: the clause's text after, or None for a removed clause.
        vocabulary: counts of the comparable words of both whole versions; with it, a
            one-word edit only counts as a typo fix when one of the two words occurs nowhere
            else in the versions.

    Returns:
        ``cosmetic`` when the visible words are the same (only links, markup, white space,
        invisible characters differ), or when an added or removed clause has no visible word;
        ``minor`` when they differ only by case, punctuation, quote style, accents of words of
        four letters or more, numbering markers, or one typo-sized word edit; otherwise
        ``substantive``. See docs/significance.md.
    """
    if old is None or new is None:
        present = new if old is None else old
        return Significance.SUBSTANTIVE if present and _visible(present) else Significance.COSMETIC
    if _visible(old) == _visible(new):
        return Significance.COSMETIC
    loose_old, loose_new = _loose(old), _loose(new)
    if loose_old == loose_new or _is_typo_fix(loose_old, loose_new, vocabulary):
        return Significance.MINOR
    return Significance.SUBSTANTIVE


def _max_significance(values: Iterable[Significance]) -> Significance:
    return max(values, key=lambda value: value.rank, default=Significance.COSMETIC)


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
        self.visible: _Lazy[tuple[str, ...]] = _Lazy(len(texts), lambda i: _visible(texts[i]))
        self.loose: _Lazy[tuple[str, ...]] = _Lazy(len(texts), lambda i: _loose(texts[i]))
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
            self._counts = Counter(word for text in self._texts for word in _loose_words(text))
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
        news: dict[Hashable, list[int]] = {}
        for n in range(len(self.new)):
            if self.free_new(n):
                value = key(self.new, n)
                if value is not None and value in olds:
                    news.setdefault(value, []).append(n)
        for value, new_list in news.items():
            self._pair_group(olds[value], new_list)

    def _pair_group(self, olds: list[int], news: list[int]) -> None:
        if len(olds) == 1 and len(news) == 1:
            self.pair(olds[0], news[0])
            return
        left = list(olds)
        waiting = list(news)
        rules: tuple[Callable[[Clause, Clause, bool], bool], ...] = (
            lambda old, new, same_group: old.id == new.id and same_group,
            lambda old, new, same_group: (
                same_group
                and old.section == new.section
                and old.row == new.row
                and old.column == new.column
            ),
            lambda old, new, same_group: same_group,
            lambda old, new, same_group: True,
        )
        for rule in rules:  # the same id, then section, row and column, then kind, then any
            rest: list[int] = []
            for n in waiting:
                new_clause = self.new.clause(n)
                found = next(
                    (
                        o
                        for o in left
                        if rule(
                            self.old.clause(o), new_clause, self.old.group[o] == self.new.group[n]
                        )
                    ),
                    None,
                )
                if found is None:
                    rest.append(n)
                else:
                    left.remove(found)
                    self.pair(found, n)
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
        matcher = SequenceMatcher(None, self.old.loose[o], self.new.loose[n], False)
        if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
            return None
        ratio = matcher.ratio()
        return ratio + _BONUS[tier] if ratio >= threshold else None

    # -- splits and merges -----------------------------------------------------------------

    def groups(self) -> None:
        for o in range(len(self.old)):
            if self.free_old(o) and self.old.group[o] == _TEXT and self.old.loose[o]:
                run = self._best_run(self.old, o, self.new, self.o2n, self.free_new)
                if run:
                    self.splits.append((o, run))
                    self.grouped_old.add(o)
                    self.grouped_new.update(run)
        for n in range(len(self.new)):
            if self.free_new(n) and self.new.group[n] == _TEXT and self.new.loose[n]:
                run = self._best_run(self.new, n, self.old, self.n2o, self.free_old)
                if run:
                    self.merges.append((run, n))
                    self.grouped_new.add(n)
                    self.grouped_old.update(run)

    @staticmethod
    def _best_run(
        side: _Side,
        index: int,
        other: _Side,
        pairs: dict[int, int],
        free: Callable[[int], bool],
    ) -> tuple[int, ...]:
        """The run of adjacent free clauses of ``other`` that ``side[index]`` became."""
        words = side.words[index]
        paired = sorted(pairs)
        at = bisect.bisect_left(paired, index)
        low = pairs[paired[at - 1]] if at > 0 else -1
        high = pairs[paired[at]] if at < len(paired) else len(other)
        if low > high:
            low, high = high, low

        def member(position: int) -> bool:
            other_words = other.words[position]
            return (
                free(position)
                and other.group[position] == _TEXT
                and bool(other_words)
                and len(other_words & words) >= GROUP_CONTAINMENT * len(other_words)
            )

        best: tuple[int, ...] = ()
        best_ratio = 0.0
        position = low + 1
        while position < high:
            if not member(position):
                position += 1
                continue
            run = [position]
            while run[-1] + 1 < high and member(run[-1] + 1):
                run.append(run[-1] + 1)
            position = run[-1] + 1
            if len(run) < 2:
                continue
            joined = tuple(word for member_index in run for word in other.loose[member_index])
            ratio = SequenceMatcher(None, side.loose[index], joined, False).ratio()
            single = max(
                SequenceMatcher(None, side.loose[index], other.loose[m], False).ratio() for m in run
            )
            if ratio >= GROUP_RATIO and ratio >= single + 0.05 and ratio > best_ratio:
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
        significance=_max_significance(c.significance for c in clauses),
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
            significance = _max_significance((significance, move))
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
            previous.significance = _max_significance((previous.significance, significance))
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
            significance = clause_significance(None, new.clause(n).text)
            placed.append(((float(n), 0), _Entry(ChangeKind.ADDED, [], [n], False, significance)))
    anchor = -1.0
    for o in range(len(old)):
        if o in old_to_new:
            anchor = float(old_to_new[o])
        elif aligner.free_old(o):
            significance = clause_significance(old.clause(o).text, None)
            entry = _Entry(ChangeKind.REMOVED, [o], [], False, significance)
            placed.append(((anchor + 0.5, o), entry))
    placed.sort(key=lambda item: item[0])
    return [entry for _, entry in placed]


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
        ``{"document", "from", "to", "significance", "clauses", "labels", "flip_back_of"}``;
        each clause is ``{"kind", "section", "old_section", "old", "new", "diff",
        "significance", "column", "row", "old_ids", "new_ids", "labels"}`` with tuples as
        lists, enums as their values and the diff as ``[op, text]`` pairs.
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
            }
            for clause in change.clauses
        ],
        "labels": list(change.labels),
        "flip_back_of": change.flip_back_of,
    }
