"""Document ids: their shape, and where their folders go in the archive (pure).

A document's id is the path of its file under ``config/documents/`` without ``.toml``, and the
path of its folder in the archive (``snapshots/<id>/``). So that this folder never lands inside
another document's folder, nor on a name the archive uses for itself, an id:

- is ``<platform>/<name>`` (``linkedin/privacy-policy``) or ``<platform>/<group>/<name>``
  (``linkedin/help/terms-updates``: the shipped help-centre answers sit in a group): the
  platform folder holds its own README, and one level of grouping is all the shipped
  configuration needs;
- has segments of lower-case letters, digits, ``-``, ``.`` and ``_``, each starting with a letter
  or a digit;
- uses none of the archive's own names (:data:`ARCHIVE_NAMES`) as a segment;
- is not the folder of another document (``linkedin/help`` cannot be a document while
  ``linkedin/help/terms-updates`` is one: its ``versions/`` would mix with the other's folder).
"""

from __future__ import annotations

import re
from collections.abc import Collection

#: Files and folders the archive writes inside a document's folder, at its top or beside a
#: platform's documents (compared in lower case: ``readme.md`` is ``README.md`` on macOS).
ARCHIVE_NAMES = frozenset(
    {
        "versions",
        "raw",
        "changes",
        "rules",
        "readme.md",
        "checks.csv",
        "checks",
        "chain.csv",
        "current.md",
    }
)

#: An id has this many segments at least (``<platform>/<name>``) and at most (with a group).
MIN_SEGMENTS, MAX_SEGMENTS = 2, 3

SHAPE = "<platform>/<name> (e.g. linkedin/privacy-policy) or <platform>/<group>/<name>"

_SEGMENT = re.compile(r"[a-z0-9][a-z0-9._-]*")


def id_problem(doc_id: str) -> str | None:
    """What is wrong with the shape of ``doc_id``, in words, or None when nothing is."""
    segments = doc_id.split("/")
    if not all(_SEGMENT.fullmatch(segment) for segment in segments):
        return "use lower-case letters, digits, '-', '.' and '_' only"
    if not MIN_SEGMENTS <= len(segments) <= MAX_SEGMENTS:
        where = (
            "put the file in a folder named for its platform"
            if len(segments) < MIN_SEGMENTS
            else "use at most one group folder below the platform's"
        )
        return f"expected {SHAPE}: {where}"
    for segment in segments:
        if segment in ARCHIVE_NAMES:
            names = ", ".join(sorted(ARCHIVE_NAMES))
            return (
                f"{segment!r} is a name the archive uses for its own files ({names}); "
                "rename the file or folder"
            )
    return None


def enclosing(doc_id: str, ids: Collection[str]) -> str | None:
    """The id among ``ids`` whose archive folder would contain the folder of ``doc_id``."""
    segments = doc_id.split("/")
    for end in range(1, len(segments)):
        parent = "/".join(segments[:end])
        if parent in ids:
            return parent
    return None
