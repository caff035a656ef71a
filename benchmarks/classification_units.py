"""The changed clauses of the corpus that the classification is evaluated on.

A *unit* is one changed clause (not cosmetic) of a consecutive pair of versions of a series of
``../shared/corpus``, with the context of each of its sides (headings, column header, first cell
of the row). Units are keyed by a hash of the document and the two texts, so the same change
seen in two series (OTA's ``en_contrib`` and ``en_pga`` record the same policy) is one unit, and
the hand labels of ``eval/classification.toml`` hold no corpus text (only keys and labels).

``python benchmarks/classification_units.py --dump FILE`` writes the units as JSON lines for
labelling (outside the project: the texts are the corpus's).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.significance import (  # noqa: E402 (after the sys.path set-up)
    CORPUS,
    document_for,
    read_normalised,
    require_corpus,
)

if TYPE_CHECKING:
    from tracker.models import Clause, Document

#: Markdown series (English): every consecutive pair.
MARKDOWN_SERIES = (
    "linkedin/privacy-policy/markdown/en_contrib",
    "linkedin/privacy-policy/markdown/en_pga",
    "linkedin/eu-regional-privacy-notice/markdown/en_pga",
    "linkedin/privacy-policy-plus-eu-notice/markdown/en_vlopses-ie",
    "linkedin/privacy-policy-plus-eu-notice/markdown/en_user-rights",
    # Never used to tune the rules: the held-out document type (issue 13).
    "linkedin/cookie-policy/markdown/en_contrib",
)

#: French HTML pairs ``(document, old capture, new capture)``, extracted with the project's
#: rules. The French privacy policy did not change within either series; its 2022 text (last
#: capture of ``fr-FR_france-elections``) and its 2023 text (first of ``fr_cote-d-ivoire``) are
#: two versions of the same French page, fetched by two OTA instances.
FRENCH_PAIRS = (
    (
        "privacy-policy-fr",
        "linkedin/privacy-policy/html/fr-FR_france-elections/2022-09-28T12-40-53Z.html",
        "linkedin/privacy-policy/html/fr_cote-d-ivoire/2023-03-14T11-31-20Z.html",
    ),
    (
        "professional-community-policies-fr",
        "linkedin/professional-community-policies/html/fr-FR_france-elections/2022-05-20T12-31-09Z.html",
        "linkedin/professional-community-policies/html/fr-FR_france-elections/2022-07-01T18-31-10Z.html",
    ),
    (
        "professional-community-policies-fr",
        "linkedin/professional-community-policies/html/fr-FR_france-elections/2022-09-20T15-22-36Z.html",
        "linkedin/professional-community-policies/html/fr-FR_france-elections/2022-09-20T18-31-27Z.html",
    ),
    (
        "professional-community-policies-fr",
        "linkedin/professional-community-policies/html/fr_cote-d-ivoire/2023-05-30T16-31-46Z.html",
        "linkedin/professional-community-policies/html/fr_cote-d-ivoire/2023-05-30T22-31-28Z.html",
    ),
)


@dataclass(frozen=True)
class Side:
    """One side (old or new) of a changed clause, with its context."""

    text: str
    section: tuple[str, ...]
    kind: str
    column: str | None
    row: str | None


@dataclass(frozen=True)
class Unit:
    """A changed clause of the corpus: where it comes from, and its two sides."""

    key: str
    document: str
    lang: str
    source: str
    old_version: str
    new_version: str
    change: str
    significance: str
    old: Side | None
    new: Side | None


def unit_key(old: str | None, new: str | None) -> str:
    """12 hex digits identifying a change of one clause (its two texts)."""
    blob = json.dumps([old, new], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def _side(clauses: dict[str, Clause], ids: tuple[str, ...]) -> Side | None:
    found = [clauses[i] for i in ids if i in clauses]
    if not found:
        return None
    first = found[0]
    return Side(
        text="\n\n".join(c.text for c in found),
        section=first.section,
        kind=first.kind.value,
        column=first.column if all(c.column == first.column for c in found) else None,
        row=first.row if all(c.row == first.row for c in found) else None,
    )


def _pair_units(
    document: Document, source: str, old_name: str, new_name: str, old: str, new: str
) -> Iterator[Unit]:
    from tracker.compare.clauses import split_clauses
    from tracker.compare.diff import compare

    change = compare(old, new, document=document.id, from_version=old_name, to_version=new_name)
    old_clauses = {c.id: c for c in split_clauses(old)}
    new_clauses = {c.id: c for c in split_clauses(new)}
    for clause in change.clauses:
        if clause.significance.value == "cosmetic":
            continue
        yield Unit(
            key=unit_key(clause.old, clause.new),
            document=document.id,
            lang=document.language,
            source=source,
            old_version=old_name,
            new_version=new_name,
            change=clause.kind.value,
            significance=clause.significance.value,
            old=_side(old_clauses, clause.old_ids),
            new=_side(new_clauses, clause.new_ids),
        )


@cache
def _french_document(name: str) -> Document:
    from tracker.config import load_documents

    return load_documents(ROOT / "config")[f"linkedin/{name}"]


def extract_french(relative: str, name: str) -> str:
    """Our extraction of a French corpus HTML capture."""
    from tracker.extract.extractor import extract

    document = _french_document(name)
    return extract((CORPUS / relative).read_bytes(), document.rules, url=document.url)


def pairs(corpus: Path = CORPUS) -> Iterator[tuple[Document, str, str, str, str, str]]:
    """Every consecutive pair of versions of the series: ``(document, source, old name, new
    name, old text, new text)``, in series order (what :func:`units` is made of)."""
    for series in MARKDOWN_SERIES:
        folder = corpus / series
        document = document_for(series.split("/")[1])
        files = sorted(folder.glob("*.md"))
        for old_path, new_path in pairwise(files):
            old = read_normalised(old_path, document)
            new = read_normalised(new_path, document)
            yield document, series, old_path.stem, new_path.stem, old, new
    for name, old_rel, new_rel in FRENCH_PAIRS:
        document = _french_document(name)
        old = extract_french(old_rel, name)
        new = extract_french(new_rel, name)
        source = old_rel.rsplit("/", 2)[0]
        yield document, source, Path(old_rel).stem, Path(new_rel).stem, old, new


def units(corpus: Path = CORPUS) -> list[Unit]:
    """Every distinct non-cosmetic changed clause of the series, in series order."""
    found: dict[str, Unit] = {}
    for document, source, old_name, new_name, old, new in pairs(corpus):
        for unit in _pair_units(document, source, old_name, new_name, old, new):
            found.setdefault(unit.key, unit)
    return list(found.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, required=True, help="JSON-lines file to write")
    args = parser.parse_args()
    require_corpus()
    with args.dump.open("w", encoding="utf-8") as handle:
        for unit in units():
            handle.write(json.dumps(asdict(unit), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
