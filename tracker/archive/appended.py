"""Read what was appended to a file since the last read, so an append-only file costs what it
grew, not its size.

The archive's append-only files (the checks files, the chains) are read at every check to know
where they stand. Read whole, each check costs as much as the document's history (and the
archive's chain as much as every document's history): a pass grows quadratic. Here a read
remembers where it stopped (a :class:`Mark`: the size read and the bytes just before it); the
next read returns where the complete lines written since begin and end, or the whole file
again when it was replaced, cut or rewritten before the mark (another process restored it, a
recovery cut a half-written row): whoever keeps a summary of the file then starts it again.
The lines themselves are streamed (:func:`lines`): a first read of a large file is never held
in memory at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tracker.errors import ArchiveError

#: How many bytes before the mark are compared to notice a file rewritten in place.
TAIL_BYTES = 64
#: How much of a file's end is read at a time to find its last line end.
_BLOCK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Mark:
    """Where the last read of a file stopped: its identity, size read, last bytes read."""

    device: int
    inode: int
    size: int
    tail: bytes


@dataclass(frozen=True, slots=True)
class Appended:
    """What a read found: the complete lines between ``start`` and ``end`` (the whole file
    when ``fresh``), and the mark of the next read (None for a missing file)."""

    fresh: bool
    start: int
    end: int
    mark: Mark | None


def read_appended(path: Path, mark: Mark | None) -> Appended:
    """Where the complete lines of ``path`` after ``mark`` are (all of them, ``fresh``, if the
    mark no longer holds); a missing file reads as empty and fresh. A last line without its
    line end (being written, or left by a crash) is left out: the next read gets it whole."""
    try:
        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            start = 0
            if (
                mark is not None
                and (stat.st_dev, stat.st_ino) == (mark.device, mark.inode)
                and stat.st_size >= mark.size
            ):
                before = max(0, mark.size - len(mark.tail))
                handle.seek(before)
                if handle.read(mark.size - before) == mark.tail:
                    start = mark.size
            end = _last_line_end(handle, start, stat.st_size)
            handle.seek(max(start, end - TAIL_BYTES))
            tail = handle.read(end - max(start, end - TAIL_BYTES))
    except FileNotFoundError:
        return Appended(True, 0, 0, None)
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read ({exc.strerror})") from exc
    if start and end == start and mark is not None:
        return Appended(False, start, start, mark)
    if start and mark is not None and len(tail) < TAIL_BYTES:
        tail = (mark.tail + tail)[-TAIL_BYTES:]
    return Appended(start == 0, start, end, Mark(stat.st_dev, stat.st_ino, end, tail))


def _last_line_end(handle: BinaryIO, start: int, size: int) -> int:
    """The offset just after the last ``\\n`` between ``start`` and ``size`` (``start`` if
    none), reading the file backwards from its end."""
    end = size
    while end > start:
        begin = max(start, end - _BLOCK)
        handle.seek(begin)
        cut = handle.read(end - begin).rfind(b"\n")
        if cut >= 0:
            return begin + cut + 1
        end = begin
    return start


def lines(path: Path, start: int, end: int) -> Iterator[str]:
    """The lines of ``path`` between byte offsets ``start`` and ``end``, decoded, one at a time
    (UnicodeDecodeError on bytes that are not UTF-8)."""
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            left = end - start
            while left > 0:
                line = handle.readline(left)
                if not line:
                    return
                left -= len(line)
                yield line.decode("utf-8")
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read ({exc.strerror})") from exc


__all__ = ["TAIL_BYTES", "Appended", "Mark", "lines", "read_appended"]
