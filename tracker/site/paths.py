"""Where each page of a document is in the site (relative to its root; see the package)."""

from __future__ import annotations


def document_page(document: str) -> str:
    """The document's timeline."""
    return f"{document}/index.html"


def version_page(document: str, stamp: str) -> str:
    """A version as in force."""
    return f"{document}/versions/{stamp}.html"


def version_markdown(document: str, stamp: str) -> str:
    """The version's Markdown file, as archived."""
    return f"{document}/versions/{stamp}.md"


def change_page(document: str, stamp: str) -> str:
    """The archived change page: the same path as in the archive."""
    return f"{document}/changes/{stamp}.html"


def compare_page(document: str, older: str, newer: str) -> str:
    """Two versions compared."""
    return f"{document}/compare/{older}--{newer}.html"


def raw_copy(document: str, snapshot: str) -> str:
    """The raw snapshot (``raw/<stamp>.html``) as plain text: ``raw/<stamp>.html.txt``."""
    return f"{document}/{snapshot}.txt"


def feed(kind: str, name: str = "") -> str:
    """An Atom feed's path (written by the feeds module, linked from the pages)."""
    if kind in ("all", "substantive"):
        return f"feeds/{kind}.atom"
    return f"feeds/{kind}/{name}.atom"


def stamp_iso(stamp: str) -> str:
    """``2025-06-10T00-32-38Z`` as ``2025-06-10T00:32:38Z`` (sorts with ISO check times)."""
    day, _, clock = stamp.partition("T")
    return f"{day}T{clock.replace('-', ':')}" if clock else stamp


def shown_time(moment: str) -> str:
    """A stamp or ISO time as a reader reads it: ``2025-06-10 00:32 UTC``."""
    iso = stamp_iso(moment) if moment.count("-") > 2 else moment
    return iso.replace("T", " ")[:16] + " UTC"
