"""Keeping a long-running worker's resident memory from creeping (glibc's allocator).

A worker that runs for months parses a page a minute with lxml on several threads. With glibc,
each thread that allocates gets an arena of its own (up to eight per core), and freed memory
stays in them: the process's resident set creeps up for an hour or more before it levels off,
though nothing is kept (``benchmarks/scale.py --run-hour``). Two remedies, both from glibc's
own interface and both harmless where they do not apply (another C library, another system):

- :func:`limit_arenas`, at start: at most two arenas (``M_ARENA_MAX``, as the environment
  variable ``MALLOC_ARENA_MAX=2`` would, but without asking every deployment to set it);
- :func:`trim`, on the worker's periodic timer: ``malloc_trim(0)`` hands the free pages of every
  arena back to the system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache

log = logging.getLogger(__name__)

#: ``mallopt``'s parameter for the number of arenas (glibc's ``malloc.h``).
M_ARENA_MAX = -8
ARENAS = 2


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not hasattr(libc, "mallopt") or not hasattr(libc, "malloc_trim"):
        return None  # not glibc
    return libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Limit glibc's malloc to ``arenas`` arenas; True if it took effect."""
    libc = _libc()
    if libc is None:
        return False
    done = bool(libc.mallopt(M_ARENA_MAX, arenas))
    log.debug("malloc arenas limited to %d: %s", arenas, done)
    return done


def trim() -> bool:
    """Give the allocator's free memory back to the system; True if some was released."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(0))
