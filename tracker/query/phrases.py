"""A phrase searched in every version of a document: where it is, and since when.

The search reads each version's text once, paragraph by paragraph, as a reader sees it (link
targets and emphasis marks dropped, :func:`tracker.render.display_text`), and compares folded
forms: case-insensitive (``casefold``), whitespace collapsed, typographic quotes and dashes as
their plain forms, and, when asked, accent-insensitive (``intérêt`` finds ``interet``). A
phrase is found within one paragraph, never across two.

For each document it returns the versions holding the phrase, the first and the last, the runs
of consecutive versions that hold it (a phrase dropped and brought back makes two), whether the
latest version still holds it, and short excerpts with their section.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tracker.errors import QueryError
from tracker.render import SECTION_SEPARATOR, display_text

_BLOCKS = re.compile(r"\n[ \t]*\n")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)$")
_SPACE = re.compile(r"\s+")
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
    }
)
#: Characters shown on each side of a match in an excerpt.
EXCERPT_CHARS = 90


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str, *, accents: bool = False) -> str:
    """The form phrases are compared in (``accents``: accent-insensitive too)."""
    folded = _SPACE.sub(" ", text.translate(_PLAIN)).strip().casefold()
    return _strip_accents(folded) if accents else unicodedata.normalize("NFC", folded)


@dataclass(frozen=True, slots=True)
class Needle:
    """A phrase to search for, folded once."""

    phrase: str
    folded: str
    accents: bool = False

    @property
    def words(self) -> tuple[str, ...]:
        """The phrase's words, each of which a paragraph holding it holds (a quick test)."""
        return tuple(self.folded.split(" "))

    @property
    def plain_marks(self) -> bool:
        """Whether the phrase holds a quote or a dash (typographic ones are read as those)."""
        return any(mark in self.folded for mark in "'\"-")

    @classmethod
    def of(cls, phrase: str, *, accents: bool = False) -> Needle:
        """The needle for ``phrase``; QueryError when it holds no word."""
        folded = fold(phrase, accents=accents)
        if not folded:
            raise QueryError("search: give a phrase of at least one character")
        return cls(phrase, folded, accents)


@dataclass(frozen=True, slots=True)
class Hit:
    """One paragraph of a version holding the phrase."""

    section: str
    excerpt: str


@dataclass(frozen=True, slots=True)
class VersionHits:
    """The paragraphs of one version holding the phrase (the first few, and how many)."""

    version: str
    paragraphs: int
    hits: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class DocumentHits:
    """Where a phrase is in one document's versions.

    Attributes:
        document: the document id.
        searched: the stamps of every version searched, oldest first.
        found: the versions holding the phrase, oldest first.
    """

    document: str
    searched: tuple[str, ...]
    found: tuple[VersionHits, ...]

    @property
    def first(self) -> str:
        """The first version holding the phrase ("" if none)."""
        return self.found[0].version if self.found else ""

    @property
    def last(self) -> str:
        """The last version holding the phrase ("" if none)."""
        return self.found[-1].version if self.found else ""

    @property
    def in_latest(self) -> bool:
        """Whether the latest version searched holds the phrase."""
        return bool(self.found) and bool(self.searched) and self.last == self.searched[-1]

    @property
    def removed_in(self) -> str:
        """The version after the last one holding it ("" while the latest holds it)."""
        if not self.found or self.in_latest:
            return ""
        return self.searched[self.searched.index(self.last) + 1]

    @property
    def spans(self) -> tuple[tuple[str, str], ...]:
        """Runs of consecutive versions holding the phrase, as (first, last) stamps."""
        holding = {hits.version for hits in self.found}
        runs: list[tuple[str, str]] = []
        start = previous = ""
        for stamp in self.searched:
            if stamp in holding:
                start = start or stamp
                previous = stamp
            elif start:
                runs.append((start, previous))
                start = ""
        if start:
            runs.append((start, previous))
        return tuple(runs)

    def to_dict(self) -> dict[str, Any]:
        """The stable ``--json`` form (documented in the README)."""
        return {
            "document": self.document,
            "versions_searched": len(self.searched),
            "versions_with_phrase": len(self.found),
            "first": self.first or None,
            "last": self.last or None,
            "in_latest": self.in_latest,
            "removed_in": self.removed_in or None,
            "spans": [{"first": a, "last": b} for a, b in self.spans],
            "versions": [
                {
                    "version": hits.version,
                    "paragraphs": hits.paragraphs,
                    "excerpts": [{"section": h.section, "text": h.excerpt} for h in hits.hits],
                }
                for hits in self.found
            ],
        }


def find(text: str, needle: Needle, *, version: str, excerpts: int = 3) -> VersionHits | None:
    """The paragraphs of one version's Markdown holding ``needle`` (None if none does)."""
    if not _has_words(text, needle):
        return None  # a word of the phrase is nowhere: no paragraph to read one by one
    headings: list[str] = []
    hits: list[Hit] = []
    count = 0
    for block in _BLOCKS.split(text):
        source = block.strip()
        title = _heading(source)
        if title is not None:
            level, source = title
            del headings[level - 1 :]
            headings += [""] * (level - 1 - len(headings))
            headings.append(display_text(source).strip())
        if not _has_words(source, needle):
            continue
        shown = _SPACE.sub(" ", display_text(_SPACE.sub(" ", source)).translate(_PLAIN)).strip()
        folded = fold(shown, accents=needle.accents)
        if needle.folded not in folded:
            continue
        count += 1
        if len(hits) < excerpts:
            section = SECTION_SEPARATOR.join(h for h in headings if h)
            hits.append(Hit(section, _excerpt(shown, needle)))
    return VersionHits(version, count, tuple(hits)) if count else None


def _has_words(text: str, needle: Needle) -> bool:
    """Whether ``text`` holds every word of the phrase: a quick test before the exact one."""
    # typographic quotes and dashes matter only to a phrase holding their plain forms
    loose = (text.translate(_PLAIN) if needle.plain_marks else text).casefold()
    loose = _strip_accents(loose) if needle.accents else unicodedata.normalize("NFC", loose)
    return all(word in loose for word in needle.words)


def _heading(block: str) -> tuple[int, str] | None:
    """(level, text) of a block that is a heading: ``## Title`` or a setext ``Title`` / ``===``."""
    if block.startswith("#"):
        found = _HEADING.match(block)
        return None if found is None else (len(found.group(1)), found.group(2))
    title, _, rule = block.partition("\n")
    if rule and "\n" not in rule and _SETEXT.match(rule.strip()):
        return (1 if rule.strip()[0] == "=" else 2), title.strip()
    return None


def _excerpt(shown: str, needle: Needle) -> str:
    """About :data:`EXCERPT_CHARS` characters each side of the first match, cut at spaces."""
    folded_chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(shown):
        for part in fold(char, accents=needle.accents) if not char.isspace() else " ":
            folded_chars.append(part)
            origin.append(index)
    at = "".join(folded_chars).find(needle.folded)
    if at < 0:  # a composed character across the phrase's edge: show the paragraph's start
        start, end = 0, min(len(shown), 2 * EXCERPT_CHARS)
    else:
        start = origin[at]
        end = origin[min(at + len(needle.folded), len(origin)) - 1] + 1
        start, end = max(0, start - EXCERPT_CHARS), min(len(shown), end + EXCERPT_CHARS)
    if start > 0:
        space = shown.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    if end < len(shown):
        space = shown.rfind(" ", end - 20, end)
        end = space if space > 0 else end
    return ("…" if start > 0 else "") + shown[start:end].strip() + ("…" if end < len(shown) else "")


def search(
    document: str, versions: Iterable[tuple[str, str]], needle: Needle, *, excerpts: int = 3
) -> DocumentHits:
    """Search every ``(stamp, markdown)`` of a document, oldest first, each read once."""
    searched: list[str] = []
    found: list[VersionHits] = []
    for stamp, text in versions:
        searched.append(stamp)
        hits = find(text, needle, version=stamp, excerpts=excerpts)
        if hits is not None:
            found.append(hits)
    return DocumentHits(document, tuple(searched), tuple(found))
