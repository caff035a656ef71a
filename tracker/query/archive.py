"""The archive side of the questions (``tracker show | changes | search``, the bot's commands):
which documents a glob names, and a phrase searched in every version of them.

The logic is in the pure modules beside this one (:mod:`tracker.query.when`,
:mod:`tracker.query.phrases`); this module only reads the archive for them, so that the command
line and the bot ask the archive the same way.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from tracker.archive.store import Archive
from tracker.errors import QueryError

if TYPE_CHECKING:  # the search and its text renderers load when a search runs (issue 12)
    from tracker.query.phrases import DocumentHits, Needle


def archive_document(archive: Archive, document_id: str) -> list[str]:
    """The stamps of a document's versions; QueryError naming the archive's documents if none."""
    stamps = archive.version_stamps(document_id)
    if stamps:
        return stamps
    known = ", ".join(sorted(archive.documents())) or "none"
    raise QueryError(
        f"no version of {document_id} in {archive.root} (documents in the archive: {known})"
    )


def documents_matching(archive: Archive, pattern: str) -> list[str]:
    """The archive's documents matching a glob; QueryError naming them when none does."""
    known = sorted(archive.documents())
    chosen = [doc for doc in known if fnmatchcase(doc, pattern)]
    if not chosen:
        raise QueryError(
            f"no document matches {pattern!r} in {archive.root} "
            f"(documents: {', '.join(known) or 'none'})"
        )
    return chosen


def search_archive(
    archive: Archive, needle: Needle, pattern: str = "*", *, start: str = "", excerpts: int = 3
) -> list[DocumentHits]:
    """``needle`` in every version of the documents matching ``pattern``, one result each.

    ``start`` (a stamp): only the version in force then and those recorded after it.
    """
    from tracker.query.phrases import search

    results = []
    for document in documents_matching(archive, pattern):
        stamps = archive.version_stamps(document)
        if start:
            # the version in force at the start, and every one recorded after it
            before = [s for s in stamps if s <= start]
            stamps = stamps[max(0, len(before) - 1) :] if before else stamps
        texts = ((s, archive.read_version(document, s).text) for s in stamps)
        results.append(search(document, texts, needle, excerpts=excerpts))
    return results
