"""Word-level diff of two texts: the inserted and deleted words of a changed clause.

Stage: inside the comparison (:mod:`tracker.compare.diff`), for every modified, moved-with-edit,
split or merged clause; also the renderers (:mod:`tracker.render`), to diff a clause again.
Pure functions, no I/O.

Inputs: two texts (the clause before and after). Output: ``(op, text)`` pairs
(:class:`~tracker.models.DiffOp`), from diff-match-patch over word tokens, with semantic
cleanup; see :func:`word_diff`.
"""

# Typographic quotes and dashes are what several patterns here are about.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from diff_match_patch import diff_match_patch

from tracker.models import DiffOp

__all__ = ["DIFF_BUDGET", "word_diff"]

_TOKEN = re.compile(
    r"https?://[^\s()<>\[\]]+|<br\s*/?>|[^\W_]+(?:['’][^\W_]+)*|\s+|.", re.DOTALL | re.IGNORECASE
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
