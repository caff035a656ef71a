"""Tag a clause with the labels of :mod:`tracker.taxonomy`, each with its evidence.

Stage: classification of changed clauses (issue 4). Pure: no I/O, no model, deterministic.
Not wired into the pipeline yet: :func:`classify_clause` is the foundation the change records,
the ranking and the display will call.

How a clause gets a label (docs: /work/shared/docs/classification.md §3.5, §5):

* **Text** (``source="text"``): the rules of scope ``text`` (EN and FR alike) are searched in
  the clause's visible words (Markdown, link targets and escapes removed; typographic
  apostrophes folded to ``'``).
* **Row** (``source="row"``): for a table cell, the first cell of its row says what the row is
  about ("To train our content-generating Generative AI systems"); the ``text`` rules are
  searched in it too, so every cell of the row inherits its purpose.
* **Heading** (``source="heading"``): the rules of scope ``heading`` are searched in each
  heading of the clause's section path (and in the clause itself when it is a heading): a
  clause under "To perform our contract with you" concerns the ``contract`` basis.
* **Column** (``source="column"``): the rules of scope ``column`` are searched in the cell's
  column header: a cell under "Legitimate interests relied on" concerns
  ``legitimate_interests``. A cell under a ``[[data_column]]`` header ("Personal data used",
  "Data we use") lists data: only data categories and Art. 9 labels are read from its text.

Precision rules:

* **Negation**: a text or row match is ``negated`` when one of "not", "never", "no",
  "cannot", "without", "n't", "ne/n' ... pas", "jamais", "aucun", "sans"... stands among the
  :data:`NEGATION_WINDOW_WORDS` words before it in the same sentence ("we do not use private
  messages" → ``messages`` negated). Negation after the match ("messages are not used") is
  not detected.
* **Suppression** (``suppressed_by`` in the file): a match that overlaps a match of another
  label is dropped: "withdraw your consent" is ``withdraw_consent``, not ``consent``;
  "parental consent" is ``minors``.
* **Context** (``unless`` in the file): a label's text matches are dropped when the clause's
  text looks like a cookie banner ("Accept all cookies"): that consent is not a legal basis.
* The basis rules of the file are strong constructions only ("with your consent",
  "necessary to perform our contract", "legitimate interests"), never the bare word.

Modality (may / will / must) and territorial scope (EU/EEA/UK/CH) are not tagged yet.
"""

# Typographic apostrophes are what _APOSTROPHES folds.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from tracker.models import Clause, ClauseKind
from tracker.taxonomy import Group, Label, Rule, Scope, Taxonomy
from tracker.wording import visible_words

__all__ = [
    "NEGATION_WINDOW_WORDS",
    "Evidence",
    "Polarity",
    "Source",
    "classify_clause",
    "labels",
]

#: How many words before a match are searched for a negation.
NEGATION_WINDOW_WORDS = 5

_NEGATORS = re.compile(
    r"(?<!\w)(?:not|never|no|cannot|without|neither|nor|jamais|aucune?|sans|ni|pas)(?!\w)"
    r"|n't(?!\w)|(?<!\w)n'(?=\w)",
    re.IGNORECASE,
)
_NOT_A_NEGATION = re.compile(r"(?<!\w)(?:not only|non seulement)(?!\w)", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"[.;!?](?=\s|$)")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_DATA_GROUPS = frozenset({Group.DATA_CATEGORY, Group.ART9})


class Polarity(StrEnum):
    """Whether the clause says the label applies or says it does not."""

    ASSERTED = "asserted"
    NEGATED = "negated"


class Source(StrEnum):
    """Where the evidence was found."""

    TEXT = "text"
    ROW = "row"
    HEADING = "heading"
    COLUMN = "column"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a clause carries a label.

    Attributes:
        label: the label.
        rule_id: the id of the rule in ``config/taxonomy.toml`` that matched.
        matched: the text the rule matched, as the reader sees it.
        polarity: ``asserted``, or ``negated`` when a negation precedes the match.
        source: ``text`` (the clause), ``row`` (the first cell of its table row),
            ``heading`` (a heading of its section) or ``column`` (its column header).
        lang: the language of the rule (``en`` or ``fr``).
    """

    label: Label
    rule_id: str
    matched: str
    polarity: Polarity
    source: Source
    lang: str = "en"


@dataclass(frozen=True, slots=True)
class _Match:
    rule: Rule
    start: int
    end: int
    text: str


def _plain(markdown: str) -> str:
    return " ".join(visible_words(markdown)).translate(_APOSTROPHES)


def _matches(text: str, rules: Iterable[Rule]) -> list[_Match]:
    return [
        _Match(rule, m.start(), m.end(), m.group(0))
        for rule in rules
        for m in rule.regex.finditer(text)
        if m.end() > m.start()
    ]


def _polarity(text: str, start: int) -> Polarity:
    before = text[:start]
    breaks = list(_SENTENCE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    window = " ".join(before.split()[-NEGATION_WINDOW_WORDS:])
    window = _NOT_A_NEGATION.sub(" ", window)
    return Polarity.NEGATED if _NEGATORS.search(window) else Polarity.ASSERTED


def _precise(text: str, matches: list[_Match], taxonomy: Taxonomy) -> Iterator[_Match]:
    """The matches that pass the label's ``unless`` and ``suppressed_by`` rules."""
    for match in matches:
        spec = taxonomy.labels[match.rule.label]
        if any(pattern.search(text) for pattern in spec.unless):
            continue
        if any(
            other.rule.label in spec.suppressed_by
            and other.start < match.end
            and match.start < other.end
            for other in matches
        ):
            continue
        yield match


def _from_text(
    text: str, source: Source, taxonomy: Taxonomy, groups: frozenset[Group] | None
) -> Iterator[Evidence]:
    rules = taxonomy.rules_for(Scope.TEXT)
    if groups is not None:
        rules = tuple(rule for rule in rules if rule.label.group in groups)
    found = sorted(_matches(text, rules), key=lambda m: (m.start, m.end))
    for match in _precise(text, found, taxonomy):
        yield _evidence(match, text, source)


def _from_structure(texts: Iterable[str], scope: Scope, taxonomy: Taxonomy) -> Iterator[Evidence]:
    source = Source.HEADING if scope is Scope.HEADING else Source.COLUMN
    rules = taxonomy.rules_for(scope)
    for text in texts:
        for match in _matches(text, rules):
            yield _evidence(match, text, source)


def _evidence(match: _Match, text: str, source: Source) -> Evidence:
    """A match as evidence: its label, rule, words, polarity in ``text`` and source."""
    return Evidence(
        match.rule.label,
        match.rule.id,
        match.text,
        _polarity(text, match.start),
        source,
        match.rule.lang,
    )


def classify_clause(clause: Clause, taxonomy: Taxonomy) -> tuple[Evidence, ...]:
    """Every piece of evidence for a label on ``clause``, text first, then row, headings, column.

    Identical evidence (same label, rule, source, polarity and matched words) appears once.
    """
    text = _plain(clause.text)
    column = _plain(clause.column) if clause.column else ""
    in_data_column = bool(column) and any(
        regex.search(column) for _, regex in taxonomy.data_columns
    )
    evidence: list[Evidence] = list(
        _from_text(text, Source.TEXT, taxonomy, _DATA_GROUPS if in_data_column else None)
    )
    if clause.row is not None:
        row = _plain(clause.row)
        if row and row != text:
            evidence.extend(_from_text(row, Source.ROW, taxonomy, None))
    headings = [_plain(heading) for heading in reversed(clause.section)]  # innermost first
    if clause.kind is ClauseKind.HEADING:
        headings.insert(0, text)
    evidence.extend(_from_structure(headings, Scope.HEADING, taxonomy))
    if column:
        evidence.extend(_from_structure([column], Scope.COLUMN, taxonomy))

    seen: set[tuple[Label, str, Source, Polarity, str]] = set()
    unique: list[Evidence] = []
    for item in evidence:
        key = (item.label, item.rule_id, item.source, item.polarity, item.matched.casefold())
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return tuple(unique)


def labels(evidence: Iterable[Evidence]) -> frozenset[Label]:
    """The labels asserted by at least one piece of evidence (negated-only labels are out)."""
    return frozenset(item.label for item in evidence if item.polarity is Polarity.ASSERTED)
