"""TDLib's ``sort_entities``, reproduced down to GCC libstdc++'s unstable ``std::sort``.

Entities are ordered by offset, then longest first, then by kind priority
(:meth:`~tracker.render.telegram_html.model._Ent.key`). Ties are possible, and TDLib keeps the first
of two tied entities, so the order the C++ introsort leaves them in is part of the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from tracker.render.telegram_html.model import _Ent

_Less: TypeAlias = Callable[[_Ent, _Ent], bool]


def _sort(entities: list[_Ent]) -> None:
    """TDLib's ``sort_entities``: keep a sorted list, else ``std::sort`` it.

    ``std::sort`` is not stable, and entities of equal rank (a link and a mention over the same
    text, two blockquotes) come out in the order GCC's introsort leaves them; TDLib's later steps
    keep the first of two such entities, so the order is reproduced, not just a valid order.
    """
    keys = [entity.key() for entity in entities]
    if all(keys[k] <= keys[k + 1] for k in range(len(keys) - 1)):
        return
    _introsort(entities, lambda a, b: a.key() < b.key())


def _introsort(items: list[_Ent], less: Callable[[_Ent, _Ent], bool]) -> None:
    """GCC libstdc++'s ``std::sort``: introsort to runs of 16, then one insertion sort."""
    if len(items) > 1:
        _introsort_loop(items, 0, len(items), 2 * (len(items).bit_length() - 1), less)
        _final_insertion_sort(items, 0, len(items), less)


def _introsort_loop(items: list[_Ent], first: int, last: int, depth: int, less: _Less) -> None:
    while last - first > 16:
        if depth == 0:
            _heap_sort(items, first, last, less)
            return
        depth -= 1
        mid = first + (last - first) // 2
        _median_to_first(items, first, first + 1, mid, last - 1, less)
        cut = _unguarded_partition(items, first + 1, last, first, less)
        _introsort_loop(items, cut, last, depth, less)
        last = cut


def _median_to_first(items: list[_Ent], result: int, a: int, b: int, c: int, less: _Less) -> None:
    if less(items[a], items[b]):
        if less(items[b], items[c]):
            pick = b
        elif less(items[a], items[c]):
            pick = c
        else:
            pick = a
    elif less(items[a], items[c]):
        pick = a
    elif less(items[b], items[c]):
        pick = c
    else:
        pick = b
    items[result], items[pick] = items[pick], items[result]


def _unguarded_partition(items: list[_Ent], first: int, last: int, pivot: int, less: _Less) -> int:
    while True:
        while less(items[first], items[pivot]):
            first += 1
        last -= 1
        while less(items[pivot], items[last]):
            last -= 1
        if first >= last:
            return first
        items[first], items[last] = items[last], items[first]
        first += 1


def _final_insertion_sort(items: list[_Ent], first: int, last: int, less: _Less) -> None:
    if last - first > 16:
        _insertion_sort(items, first, first + 16, less)
        for k in range(first + 16, last):
            _linear_insert(items, k, less)
    else:
        _insertion_sort(items, first, last, less)


def _insertion_sort(items: list[_Ent], first: int, last: int, less: _Less) -> None:
    for k in range(first + 1, last):
        if less(items[k], items[first]):
            items[first : k + 1] = [items[k], *items[first:k]]
        else:
            _linear_insert(items, k, less)


def _linear_insert(items: list[_Ent], last: int, less: _Less) -> None:
    value = items[last]
    while less(value, items[last - 1]):
        items[last] = items[last - 1]
        last -= 1
    items[last] = value


def _heap_sort(items: list[_Ent], first: int, last: int, less: _Less) -> None:
    """``std::partial_sort(first, last, last)``: make a heap, then pop it (rare deep inputs)."""
    size = last - first
    for parent in range((size - 2) // 2, -1, -1):
        _adjust_heap(items, first, parent, size, items[first + parent], less)
    while size > 1:
        size -= 1
        value = items[first + size]
        items[first + size] = items[first]
        _adjust_heap(items, first, 0, size, value, less)


def _adjust_heap(
    items: list[_Ent], base: int, hole: int, size: int, value: _Ent, less: _Less
) -> None:
    top = hole
    child = hole
    while child < (size - 1) // 2:
        child = 2 * (child + 1)
        if less(items[base + child], items[base + child - 1]):
            child -= 1
        items[base + hole] = items[base + child]
        hole = child
    if size % 2 == 0 and child == (size - 2) // 2:
        child = 2 * (child + 1)
        items[base + hole] = items[base + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(items[base + parent], value):
        items[base + hole] = items[base + parent]
        hole = parent
        parent = (hole - 1) // 2
    items[base + hole] = value
