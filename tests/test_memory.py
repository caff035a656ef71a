"""The worker's allocator settings (tracker.ops.memory): they reach glibc where it is the C
library. Whether they keep the resident set flat over an hour is measured by
``make bench-hour``, not here."""

from __future__ import annotations

import ctypes.util
import platform

import pytest

from tracker.ops import memory

GLIBC = platform.libc_ver()[0] == "glibc" and ctypes.util.find_library("c") is not None


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt and malloc_trim only")
def test_the_arena_limit_and_the_trim_reach_glibc() -> None:
    assert memory.limit_arenas() is True
    junk = [bytearray(4096) for _ in range(20000)]
    del junk
    assert isinstance(memory.trim(), bool)


def test_without_glibc_both_do_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_libc", lambda: None)
    assert memory.limit_arenas() is False
    assert memory.trim() is False
