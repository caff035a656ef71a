"""Read what was appended to a file since the last read, so an append-only file costs what it
grew, not its size.

The archive's append-only files (``checks.csv``, the chains) are read at every check to know
where they stand. Read whole, each check costs as much as the document's history (and the
archive's chain as much as every document's history): a pass grows quadratic. Here a read
remembers where it stopped (a :class:`Mark`: the size read and the bytes just before it); the
next read returns only the complete lines written since, or the whole file again when it was
replaced, cut or rewritten before the mark (another process restored it, a recovery cut a
half-written row): whoever keeps a summary of the file then starts it again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tracker.errors import ArchiveError

#: How many bytes before the mark are compared to notice a file rewritten in place.
TAIL_BYTES = 64


@dataclass(frozen=True, slots=True)
class Mark:
    """Where the last read of a file stopped: its identity, size read, last bytes read."""

    device: int
    inode: int
    size: int
    tail: bytes


@dataclass(frozen=True, slots=True)
class Appended:
    """What a read found: whole file (``fresh``) or only what follows the mark."""

    fresh: bool
    data: bytes
    mark: Mark | None


def read_appended(path: Path, mark: Mark | None) -> Appended:
    """The complete lines of ``path`` after ``mark`` (or all of them, ``fresh``, if the mark no
    longer holds); a missing file reads as empty and fresh. A last line without its line end
    (being written, or left by a crash) is not returned: the next read gets it whole."""
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
            handle.seek(start)
            data = handle.read(stat.st_size - start)
    except FileNotFoundError:
        return Appended(True, b"", None)
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read ({exc.strerror})") from exc
    data = data[: data.rfind(b"\n") + 1]
    end = start + len(data)
    if start and not data:
        return Appended(False, b"", mark)
    previous = mark.tail if start and mark is not None else b""
    tail = (previous + data)[-TAIL_BYTES:]
    return Appended(start == 0, data, Mark(stat.st_dev, stat.st_ino, end, tail))


__all__ = ["TAIL_BYTES", "Appended", "Mark", "read_appended"]
