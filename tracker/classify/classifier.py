"""Tag a clause with the labels of :mod:`tracker.classify.taxonomy`, each with its evidence.

Stage: classification of changed clauses (issue 4). Pure: no I/O, no model, deterministic.
:func:`classify_clause` tags one clause; :func:`classify_change` tags both sides of every
clause of a :class:`~tracker.models.Change`, says which labels each clause gained or lost, and
ranks the clauses and the change (:func:`rank_clause`, docs/classification.md).

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
  "cannot", "without", "n't", "n'", "pas", "jamais", "aucun", "sans", "ni"... stands among
  the :data:`NEGATION_WINDOW_WORDS` words before it in the same sentence ("we do not use
  private messages" → ``messages`` negated; "nous n'utilisons pas vos messages" likewise):
  one scope for both languages. Negation after the match ("messages are not used") is not
  detected. A double negation is a rule of its own: "will not ... without your consent"
  asserts consent.
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

import bisect
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from tracker.classify.taxonomy import Group, Label, Rule, Scope, Taxonomy
from tracker.compare.worddiff import word_diff
from tracker.compare.wording import visible_words
from tracker.models import (
    Change,
    ChangeKind,
    Clause,
    ClauseChange,
    ClauseKind,
    DiffOp,
    LabelEvidence,
    Polarity,
    Rank,
    Significance,
    Source,
    TaxonomyStamp,
)

__all__ = [
    "NEGATION_WINDOW_WORDS",
    "Edits",
    "Evidence",
    "announces_update",
    "classify_change",
    "classify_clause",
    "labels",
    "language",
    "ordered",
    "rank_clause",
]

#: The evidence of one label on one clause (defined with the other records in models).
Evidence = LabelEvidence

#: How many words from a control's match an edit may stand for the control to speak for it.
CONTROL_REACH_WORDS = 4
#: How many words before a match are searched for a negation.
NEGATION_WINDOW_WORDS = 5
#: Characters of changed text (old and new sides) labelled per change, in document order. A
#: real legal page is under 140,000 characters (the largest of the corpus: 131,796), so even
#: a rewrite of one is labelled whole; a change beyond this is a replaced or
#: hostile page, whose remaining clauses are left without labels and counted
#: (``Change.unlabelled``), so that classifying stays bounded (about 2 s).
LABEL_BUDGET_CHARS = 600_000

_NEGATORS = re.compile(
    r"(?<!\w)(?:not|never|no|cannot|without|neither|nor|jamais|aucune?|sans|ni|pas)(?!\w)"
    r"|n't(?!\w)|(?<!\w)n'(?=\w)|(?<!\w)ne(?!\w)",
    re.IGNORECASE,
)
#: What completes a French "n'": a negation word, or "que" (then it means "only").
_NE_COMPLETION = re.compile(
    r"(?<!\w)((?:pas|jamais|plus|aucune?|rien|personne|guère|point|ni|nulle|que)(?!\w)|qu')",
    re.IGNORECASE,
)
_NOT_A_NEGATION = re.compile(r"(?<!\w)(?:not only|non seulement)(?!\w)", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"[.;!?](?=\s|$)")
_FULL_STOP = re.compile(r"[.!?](?=\s|$)")
_RUN = re.compile(r"\S+")
_NOT_WORD = re.compile(r"\W+")
#: A clause announcing an update of the document itself (a banner), in English or French.
_ANNOUNCEMENT = re.compile(
    r"(?<!\w)(?:we(?:'ve| have| are)?|nous (?:avons|allons))\s+(?:\w+\s+){0,2}?"
    r"(?:changed|updated|updating|modified|amended|mis à jour|modifié|mettre à jour)\s+"
    r"(?:\w+\s+){0,4}?(?:this|our|cette|notre|la présente)\s+(?:\w+\s+){0,3}?"
    r"(?:notice|policy|terms|agreement|avis|politique|conditions|basis|base)(?!\w)",
    re.IGNORECASE,
)
_FUNCTION_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ENGLISH_WORDS = frozenset(
    {
        *("the", "and", "of", "to", "you", "your", "we", "our", "is", "are", "for", "with"),
        *("this", "that", "be", "by", "or", "it", "from", "on", "as", "may", "will", "can"),
        *("when", "if", "which"),
    }
)
_FRENCH_WORDS = frozenset(
    {
        *("le", "la", "les", "des", "et", "du", "de", "vous", "votre", "vos", "nous", "nos"),
        *("est", "sont", "pour", "avec", "ce", "cette", "un", "une", "sur", "dans", "par"),
        *("ou", "qui", "que", "lorsque", "peut", "pouvons"),
    }
)
#: The start of a sentence that forbids members something, in English or French.
_PROHIBITION = re.compile(
    r"\W*(?:(?:for\s+example|for\s+instance|e\.g\.|par\s+exemple)\W+)?(?:please\s+)?"
    r"(?:do\s+not|don't|never|you\s+(?:may|must|should|can)\s*not|you\s+can't"
    r"|we\s+(?:prohibit|do\s+not\s+allow|don't\s+allow)|veuillez\s+ne\s+pas"
    r"|(?:ne|n')\s*\w+ez|vous\s+ne\s+(?:pouvez|devez)\s+pas"
    r"|nous\s+(?:interdisons|n'autorisons)|il\s+est\s+interdit)(?!\w)",
    re.IGNORECASE,
)
#: The start of a sentence that tells members how to behave ("Be courteous", "Please keep
#: ...", "Veuillez ...", "Faites preuve de ..."): a rule of conduct, like a prohibition, asserts
#: no processing. "Please note that we ...", "Veuillez noter que nous ..." announce a statement
#: of the company and are not one. A French sentence opening on a verb in -ez is an
#: imperative ("Respectez", "Soyez"); "chez" and "assez" are not verbs. What members' content
#: must or should be ("Your content should be relevant", "Le contenu que vous publiez doit
#: ...") is a rule for members as well.
_CONDUCT = re.compile(
    r"\W*(?:(?:for\s+example|for\s+instance|e\.g\.|par\s+exemple)\W+)?"
    r"(?!please\s+note|be\s+aware|keep\s+in\s+mind|veuillez\s+noter|notez|sachez|remarquez)"
    r"(?:please|be|make\s+sure|treat|respect|keep|avoid|always|refrain|respond|bring|follow"
    r"|stay|only\s+(?:bring|share|post|use|send)|faites|dites"
    # What members' content must be is a rule for members too ("Your content should be ...").
    r"|(?:the|your|any|all|le|votre|tout|vos|les)\s+(?:content|posts|contenus?|publications)"
    r"(?:\s+[\w'’-]+){0,4}?\s+(?:should|must|doit|doivent|devrait|devraient)"
    r"|(?!chez\b|assez\b)[^\W\d_]{2,}ez)(?!\w)",
    re.IGNORECASE,
)
#: A data word that names a kind of software, not data: "calendar applications", "mail and
#: messaging apps", "applications de messagerie" (a service of others, not data of the member).
_SERVICE_AFTER = re.compile(
    r"\s+(?:(?:and|or)\s+[\w-]+\s+)?(?:applications?|apps?|tools?|software|clients?|programs?)"
    r"(?!\w)",
    re.IGNORECASE,
)
_SERVICE_BEFORE = re.compile(
    r"(?<!\w)(?:applications?|apps?|outils?|logiciels?|clients?)\s+(?:de\s+|d')$", re.IGNORECASE
)
#: The start of a sentence that only points elsewhere ("Learn more about ...", "En savoir
#: plus sur ..."): a mention in passing asserts nothing (labelling rules).
_POINTER = re.compile(
    r"\W*(?:learn\s+more|find\s+out\s+more|for\s+more\s+information|read\s+more"
    r"|(?:pour\s+)?en\s+savoir\s+plus|pour\s+plus\s+d'informations)(?!\w)",
    re.IGNORECASE,
)
#: What makes a thing named in a pointer our statement: "Learn more about the inferences [we
#: make]" says they are made; "Learn more about how we use your messages" only points.
_OURS = re.compile(
    r"\s+(?:that\s+|which\s+|que\s+|qu')?(?:we|nous)\s+(?:may\s+|can\s+|pouvons\s+)?"
    r"(?:make|use|collect|share|process|draw|infer|keep|store|faisons|utilisons|collectons"
    r"|partageons|traitons|tirons|conservons|stockons|déduisons)(?!\w)",
    re.IGNORECASE,
)
#: Another party that collects or uses data on its own account, in English or French.
_OTHER_CONTROLLER = re.compile(
    r"(?<!\w)(?:providers?|partners?|third[- ]part(?:y|ies)|advertisers?|prestataires?|partenaires?"
    r"|tiers|annonceurs?)\s+(?:who|which|that|qui)\s+(?:may\s+|peu(?:t|vent)\s+)?"
    r"(?:separately|independently|also|séparément|indépendamment|également)\s+"
    r"(?:collect|process|use|collecter|traiter|utiliser)",
    re.IGNORECASE,
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
#: What a cell under a data column is read for: the data it lists, and the control sentence it
#: may hold ("you can opt out in your settings"). Its legal basis is its column's; its purpose
#: its row's ("data we share with service providers" names data, not a sharing).
_CELL_GROUPS = frozenset({Group.DATA_CATEGORY, Group.ART9, Group.CONTROL})
#: What a sentence inherits from the rest of its paragraph: the ground it is processed on.
_GROUND_GROUPS = frozenset({Group.LEGAL_BASIS, Group.ART9})
#: The labels a prohibition addressed to members denies: what it names is not processed by us.
_PROHIBITED_LABELS = frozenset(
    label
    for label in Label
    if label.group in (Group.DATA_CATEGORY, Group.ART9, Group.PURPOSE_FLAG)
    and label is not Label.MINORS
)


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


class _Negations:
    """Where the sentence breaks and words of one text stand.

    Read once per text, so that the polarity of each match costs a few look-ups instead of a
    scan of everything before it (which made a long clause quadratic: a 1.3 MB clause took
    36 s). :meth:`polarity` gives exactly what reading ``text[:start]`` would give: the
    sentence of the match up to it; negated when a negator stands among its last
    :data:`NEGATION_WINDOW_WORDS` words (one scope for English and French: "ne ... pas"
    negates through its "pas").
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [m.end() for m in _SENTENCE_BREAK.finditer(text)]
        runs = [(m.start(), m.end()) for m in _RUN.finditer(text)]
        self.run_starts = [start for start, _ in runs]
        self.run_ends = [end for _, end in runs]

    def polarity(self, start: int) -> Polarity:
        """The polarity of a match starting at ``start``."""
        text = self.text
        if start and text[start - 1] in ".;!?":  # a break just before: nothing before it
            return Polarity.ASSERTED
        last = bisect.bisect_right(self.breaks, start) - 1
        sentence = self.breaks[last] if last >= 0 else 0
        # The last words before the match (runs of non-space, the last one cut at it).
        end = bisect.bisect_left(self.run_starts, start)
        begin = max(end - NEGATION_WINDOW_WORDS, bisect.bisect_right(self.run_ends, sentence))
        words = [
            text[max(self.run_starts[i], sentence) : min(self.run_ends[i], start)]
            for i in range(begin, end)
        ]
        window = _NOT_A_NEGATION.sub(" ", " ".join(words))
        for found in _NEGATORS.finditer(window):
            if found.group(0).casefold() not in ("n'", "ne"):
                return Polarity.NEGATED
            # French "ne"/"n'" negates through what completes it, which may follow the match
            # ("ne partageons pas", "n'avons aucun"); "n'utilisons ... qu'avec" is "only
            # with", "n'importe quel" is "any".
            after = _SENTENCE_BREAK.search(text, start)
            rest = window[found.end() :] + " " + text[start : after.start() if after else None]
            completed = _NE_COMPLETION.search(rest)
            if completed is None or completed.group(1).casefold() not in ("que", "qu'"):
                return Polarity.NEGATED
        return Polarity.ASSERTED


def _precise(text: str, matches: list[_Match], taxonomy: Taxonomy) -> Iterator[_Match]:
    """The matches that pass the label's ``unless`` and ``suppressed_by`` rules.

    ``matches`` are sorted by start. Each label's ``unless`` patterns are searched once, and
    overlaps are found through the matches of each label sorted by start (with the greatest
    end so far), not by comparing every pair of matches.
    """
    starts: dict[Label, list[int]] = {}
    reach: dict[Label, list[int]] = {}
    for match in matches:
        label = match.rule.label
        ends = reach.setdefault(label, [])
        starts.setdefault(label, []).append(match.start)
        ends.append(max(match.end, ends[-1]) if ends else match.end)
    unless: dict[Label, bool] = {}
    for match in matches:
        label = match.rule.label
        spec = taxonomy.labels[label]
        if label not in unless:
            unless[label] = any(pattern.search(text) for pattern in spec.unless)
        if unless[label]:
            continue
        if any(
            _overlaps(starts.get(other), reach.get(other), match) for other in spec.suppressed_by
        ):
            continue
        yield match


def _overlaps(starts: list[int] | None, reach: list[int] | None, match: _Match) -> bool:
    """Whether one of the matches (starts sorted, with the greatest end so far) overlaps."""
    if not starts or not reach:
        return False
    before = bisect.bisect_left(starts, match.end)  # those starting before the match ends
    return before > 0 and reach[before - 1] > match.start


class Edits:
    """Where the changed words of one side of a modified clause stand in its visible text.

    ``spans`` are the deleted (old side) or inserted (new side) words, as ``(start, end)``
    offsets in the clause's visible text (:func:`_plain`); ``points`` the places where words
    of the other side were inserted or deleted (zero width on this side). A data-category
    match speaks for the change only when it overlaps a span: one phrase added to a list of
    data names one category, not every category of the list. A control speaks for it when an
    edit stands within :data:`CONTROL_REACH_WORDS` words of it ("you can opt out [at any
    time]"), not anywhere in a long sentence it only conditions ("subject to your settings,
    ..."). A legal basis, Art. 9 or a purpose speaks for it when its match stands in a
    sentence that holds an edit: "we rely on legitimate interests" is what an edit of its
    sentence is about.
    """

    __slots__ = ("points", "spans")

    def __init__(self, spans: Iterable[tuple[int, int]], points: Iterable[int]) -> None:
        self.spans = tuple(spans)
        self.points = tuple(points)

    def covers(self, match: _Match, text: str) -> bool:
        """Whether ``match`` (in ``text``) speaks for the change."""
        group = match.rule.label.group
        if group is Group.DATA_CATEGORY:
            return self._touches(match.start, match.end)
        if group is Group.CONTROL:
            first, last = _near(text, match.start, match.end, CONTROL_REACH_WORDS)
        else:
            first, last = _sentence(text, match.start, match.end)
        return self._touches(first, last) or any(first <= point <= last for point in self.points)

    def _touches(self, first: int, last: int) -> bool:
        return any(start < last and end > first for start, end in self.spans)


def _near(text: str, start: int, end: int, words: int) -> tuple[int, int]:
    """``text[start:end]`` widened by ``words`` words each side, within its sentence."""
    first, last = _sentence(text, start, end)
    before = [m.start() for m in _RUN.finditer(text, first, start)]
    after = [m.end() for m in _RUN.finditer(text, end, last)]
    return (
        before[-words] if len(before) >= words else first,
        after[words - 1] if len(after) >= words else last,
    )


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence (or list item) holding ``text[start:end]``."""
    return _start_of(text, start, _break_ends(text, _SENTENCE_BREAK)), _end_of(text, end)


def _end_of(text: str, end: int) -> int:
    after = _SENTENCE_BREAK.search(text, end)
    return after.end() if after else len(text)


@functools.lru_cache(maxsize=32)
def _break_ends(text: str, pattern: re.Pattern[str]) -> tuple[int, ...]:
    """Where each break of ``pattern`` in ``text`` ends, read once per text.

    A clause is asked for the sentence of each of its matches: scanning it from the start
    each time made a long clause quadratic.
    """
    return tuple(m.end() for m in pattern.finditer(text))


def _start_of(text: str, start: int, ends: tuple[int, ...]) -> int:
    """Where the sentence holding ``start`` begins, given the ends of the breaks of ``text``."""
    if start and text[start - 1] in ".;!?":  # a break just before: nothing of it before
        return start
    index = bisect.bisect_right(ends, start) - 1
    return ends[index] if index >= 0 else 0


def language(text: str) -> str | None:
    """``en`` or ``fr`` when the words of ``text`` say so clearly, else None (both apply).

    Counts the common function words of each language; one side must have at least two and
    twice as many as the other. A rule of the other language never reads a clause whose
    language is known: "articles" or "photo" in French text is no English trigger.
    """
    english = french = 0
    for word in _FUNCTION_WORD.findall(text.casefold()):
        if word in _ENGLISH_WORDS:
            english += 1
        elif word in _FRENCH_WORDS:
            french += 1
    if english >= 2 and english >= 2 * french:
        return "en"
    if french >= 2 and french >= 2 * english:
        return "fr"
    return None


def _in_language(rules: tuple[Rule, ...], lang: str | None) -> tuple[Rule, ...]:
    return rules if lang is None else tuple(rule for rule in rules if rule.lang == lang)


def _from_text(
    text: str,
    source: Source,
    taxonomy: Taxonomy,
    groups: frozenset[Group] | None,
    edits: Edits | None = None,
    lang: str | None = None,
) -> Iterator[Evidence]:
    rules = _in_language(taxonomy.rules_for(Scope.TEXT), lang)
    if groups is not None:
        rules = tuple(rule for rule in rules if rule.label.group in groups)
    found = sorted(_matches(text, rules), key=lambda m: (m.start, m.end))
    negations = _Negations(text) if found else None
    for match in _precise(text, found, taxonomy):
        label = match.rule.label
        if label.group is Group.DATA_CATEGORY and _names_software(text, match):
            continue
        if match.rule.requires is not None and not _sentence_holds(
            match.rule.requires, text, match, negations or _Negations(text)
        ):
            continue
        changed = edits is None or edits.covers(match, text)
        item = _evidence(match, negations or _Negations(text), source, changed)
        if item.polarity is Polarity.NEGATED and (
            # A limit on a control ("you cannot opt out of ...", "this does not opt you out")
            # is about the control; a rule protecting children is about minors.
            label.group is Group.CONTROL or (label is Label.MINORS and _prohibition(text, match))
        ):
            item = replace(item, polarity=Polarity.ASSERTED)
        if (label in _PROHIBITED_LABELS and _prohibition(text, match)) or (
            _starts(_POINTER, text, match) and not _OURS.match(text, match.end)
        ):
            item = replace(item, polarity=Polarity.NEGATED)
        elif match.rule.label.group is Group.LEGAL_BASIS and _other_controller(text, match):
            continue
        yield item


def _other_controller(text: str, match: _Match) -> bool:
    """Whether a basis stands in a sentence about another party's own collection.

    "A payments provider who may separately collect information (e.g., to comply with legal
    obligations)" states the provider's ground, not the company's.
    """
    first, _ = _sentence(text, match.start, match.end)
    return bool(_OTHER_CONTROLLER.search(text, first, match.start))


def _prohibition(text: str, match: _Match) -> bool:
    """Whether ``match`` stands in a prohibition addressed to members ("Don't share ...").

    A sentence that only points elsewhere ("Learn more about ...") is denied likewise, every
    label of it (:data:`_POINTER`).

    A rule of conduct for members ("Do not post others' personal data", "Ne partagez pas de
    contenu ...", "Nous interdisons ...") says what members must not do: it asserts no
    processing by the company, so the data, Art. 9 and purpose labels it names are denied.
    """
    if _starts(_PROHIBITION, text, match) or _starts(_CONDUCT, text, match):
        return True
    # A list of what members may not do ("You may not: copy ...; sell ...; share ..."): its
    # items after the first are sentences of their own, forbidden all the same.
    first = _full_sentence_start(text, match.start)
    return bool(
        (_PROHIBITION.match(text, first) or _CONDUCT.match(text, first))
        and ":" in text[first : match.start]
    )


def _sentence_holds(
    pattern: re.Pattern[str], text: str, match: _Match, negations: _Negations
) -> bool:
    """Whether the sentence holding ``match`` asserts ``pattern`` (a rule's ``requires``).

    A denied gate does not open: "advertisers never see your data" shares nothing.
    """
    first, last = _sentence(text, match.start, match.end)
    return any(
        negations.polarity(found.start()) is Polarity.ASSERTED
        for found in pattern.finditer(text, first, last)
    )


def _full_sentence_start(text: str, start: int) -> int:
    """Where the sentence holding ``start`` begins, list items (``;``) not counted apart."""
    if start and text[start - 1] in ".!?":
        return start
    ends = _break_ends(text, _FULL_STOP)
    index = bisect.bisect_right(ends, start) - 1
    return ends[index] if index >= 0 else 0


def _names_software(text: str, match: _Match) -> bool:
    """Whether a data word names software ("calendar applications", "outils de messagerie")."""
    return bool(
        _SERVICE_AFTER.match(text, match.end)
        or _SERVICE_BEFORE.search(text, max(0, match.start - 20), match.start)
    )


def _starts(pattern: re.Pattern[str], text: str, match: _Match) -> bool:
    """Whether the sentence holding ``match`` starts with ``pattern``."""
    first, _ = _sentence(text, match.start, match.end)
    return bool(pattern.match(text, first))


def _from_structure(texts: Iterable[str], scope: Scope, taxonomy: Taxonomy) -> Iterator[Evidence]:
    source = Source.HEADING if scope is Scope.HEADING else Source.COLUMN
    rules = taxonomy.rules_for(scope)
    for text in texts:
        found = _matches(text, _in_language(rules, language(text)))
        negations = _Negations(text) if found else None
        for match in found:
            yield _evidence(match, negations or _Negations(text), source)


def _evidence(
    match: _Match, negations: _Negations, source: Source, changed: bool = True
) -> Evidence:
    """A match as evidence: its label, rule, words, polarity in its text and source."""
    return Evidence(
        match.rule.label.value,
        match.rule.id,
        match.text,
        negations.polarity(match.start),
        source,
        match.rule.lang,
        changed=changed,
    )


def classify_clause(
    clause: Clause, taxonomy: Taxonomy, edits: Edits | None = None, paragraph: str = ""
) -> tuple[Evidence, ...]:
    """Every piece of evidence for a label on ``clause``, text first, then row, headings, column.

    Identical evidence (same label, rule, source, polarity and matched words) appears once.
    With ``edits`` (the changed words of a modified clause), text evidence away from them has
    ``changed`` False: it describes the clause, not the change. ``paragraph`` is the Markdown
    of the other sentences of the long paragraph a sentence clause was cut from: the legal
    bases and Art. 9 labels they state are the sentence's too (``source="paragraph"``), as
    context (``changed`` False: they describe the clause, not a change of it).
    """
    text = _plain(clause.text)
    column = _plain(clause.column) if clause.column else ""
    in_data_column = bool(column) and any(
        regex.search(column) for _, regex in taxonomy.data_columns
    )
    row = _plain(clause.row) if clause.row is not None else ""
    headings = [_plain(heading) for heading in reversed(clause.section)]  # innermost first
    groups = _CELL_GROUPS if in_data_column else None
    evidence: list[Evidence] = list(
        _from_text(text, Source.TEXT, taxonomy, groups, edits, language(text))
    )
    if row and row != text:
        evidence.extend(_from_text(row, Source.ROW, taxonomy, None, lang=language(row)))
    if paragraph:
        rest = _plain(paragraph)
        evidence.extend(
            # What the paragraph rests on describes the sentence (its labels as it reads), not
            # a change of it: a "learn more" link added to a paragraph about legal bases is no
            # change of basis.
            replace(item, changed=False)
            for item in _from_text(
                rest, Source.PARAGRAPH, taxonomy, _GROUND_GROUPS, None, language(rest)
            )
        )
    if clause.kind is ClauseKind.HEADING:
        headings.insert(0, text)
    evidence.extend(_from_structure(headings, Scope.HEADING, taxonomy))
    if column:
        evidence.extend(_from_structure([column], Scope.COLUMN, taxonomy))

    return _unique(evidence)


def _unique(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Evidence once each: same label, rule, source, polarity and matched words (any case)."""
    seen: dict[tuple[str, str, Source, Polarity, str], int] = {}
    unique: list[Evidence] = []
    for item in evidence:
        key = (item.label, item.rule_id, item.source, item.polarity, item.matched.casefold())
        if key not in seen:
            seen[key] = len(unique)
            unique.append(item)
        elif item.changed and not unique[seen[key]].changed:  # the changed one speaks
            unique[seen[key]] = item
    return tuple(unique)


def labels(evidence: Iterable[Evidence]) -> frozenset[Label]:
    """The labels asserted by at least one piece of evidence (negated-only labels are out)."""
    return frozenset(Label(item.label) for item in evidence if item.polarity is Polarity.ASSERTED)


# --------------------------------------------------------------------------- changes
_ORDER = {label.value: index for index, label in enumerate(Label)}


def ordered(ids: Iterable[str]) -> tuple[str, ...]:
    """Label ids once each, in the taxonomy's order (legal bases first, then Art. 9...)."""
    return tuple(sorted(set(ids), key=lambda value: (_ORDER.get(value, len(_ORDER)), value)))


def rank_clause(
    old: frozenset[Label] | None, new: frozenset[Label] | None, significance: Significance
) -> Rank:
    """How much a changed clause matters, from the labels of its two sides.

    A label is *touched* when the clause gains or loses it (every label of an added or removed
    clause is). A substantive change also *carries* the labels both sides keep: rewording a
    clause about AI training is about AI training. From the top: a legal basis touched; Art. 9
    touched or carried; AI training touched or carried, or another purpose flag touched; a
    control touched or carried; a data category touched; otherwise ``OTHER``. A cosmetic
    change is always ``OTHER``.
    """
    before = old or frozenset()
    after = new or frozenset()
    return _rank(before ^ after, before & after, significance)


def _rank(touched: frozenset[Label], carried: frozenset[Label], significance: Significance) -> Rank:
    """:func:`rank_clause` from the labels touched and those carried by the change."""
    if significance is Significance.COSMETIC:
        return Rank.OTHER
    relevant = touched | (carried if significance is Significance.SUBSTANTIVE else touched)
    touched_groups = {label.group for label in touched}
    if Group.LEGAL_BASIS in touched_groups:
        return Rank.LEGAL_BASIS
    if Label.SPECIAL_CATEGORY in relevant:
        return Rank.SPECIAL_CATEGORY
    if Label.AI_TRAINING in relevant or Group.PURPOSE_FLAG in touched_groups:
        return Rank.PURPOSE
    if any(label.group is Group.CONTROL for label in relevant):
        return Rank.CONTROL
    if Group.DATA_CATEGORY in touched_groups:
        return Rank.DATA_CATEGORY
    return Rank.OTHER


def _side_clauses(
    ids: tuple[str, ...],
    index: Mapping[str, Clause],
    text: str | None,
    section: tuple[str, ...],
    clause: ClauseChange,
) -> list[Clause]:
    """The clauses of one side of a change (by id), or one made from the record's text."""
    found = [index[i] for i in ids if i in index]
    if found or text is None:
        return found
    return [Clause("", ClauseKind.PARAGRAPH, section, text, 0, clause.column, clause.row)]


def _edits(old: list[Clause], new: list[Clause]) -> tuple[list[Edits], list[Edits]]:
    """The changed words of each clause of both sides (word diff of their visible texts).

    A side of several clauses (a split or a merge) is diffed as one text, its clauses joined
    by line breaks; each clause gets the edits that fall in it. Typography alone is no edit
    (:func:`_wording_edits`).
    """
    old_texts = [_plain(c.text) for c in old]
    new_texts = [_plain(c.text) for c in new]
    old_spans: list[tuple[int, int]] = []
    new_spans: list[tuple[int, int]] = []
    old_points: list[int] = []
    new_points: list[int] = []
    at_old = at_new = 0
    for op, text, other in _wording_edits(word_diff("\n".join(old_texts), "\n".join(new_texts))):
        if op is DiffOp.EQUAL:
            at_old += len(text)
            at_new += len(other)
        elif op is DiffOp.DELETE:
            old_spans.append((at_old, at_old + len(text)))
            new_points.append(at_new)
            at_old += len(text)
        else:
            new_spans.append((at_new, at_new + len(text)))
            old_points.append(at_old)
            at_new += len(text)
    return (
        _per_clause(old_texts, old_spans, old_points),
        _per_clause(new_texts, new_spans, new_points),
    )


def _typography(text: str) -> str:
    """``text`` without what typography changes: quotes, apostrophes, spacing, capitals."""
    return _NOT_WORD.sub("", text).casefold()


def _wording_edits(
    diff: Iterable[tuple[DiffOp, str]],
) -> Iterator[tuple[DiffOp, str, str]]:
    """The diff as ``(op, text, text on the new side)``, typography-only edits made equal.

    A deletion and an insertion side by side that differ only in quotes, apostrophes,
    capitals or spacing (a curly or a straight apostrophe, "affiliates" / "Affiliates") are
    no change of words; nor is an edit of punctuation or white space alone. Equal runs carry
    both sides' texts (their lengths may differ).
    """
    pending: list[tuple[DiffOp, str]] = []

    def flush() -> Iterator[tuple[DiffOp, str, str]]:
        deleted = "".join(t for op, t in pending if op is DiffOp.DELETE)
        inserted = "".join(t for op, t in pending if op is DiffOp.INSERT)
        pending.clear()
        if _typography(deleted) == _typography(inserted):
            yield DiffOp.EQUAL, deleted, inserted
            return
        if deleted:
            yield DiffOp.DELETE, deleted, ""
        if inserted:
            yield DiffOp.INSERT, inserted, ""

    for op, text in diff:
        if op is DiffOp.EQUAL:
            yield from flush()
            yield op, text, text
        else:
            pending.append((op, text))
    yield from flush()


def _per_clause(texts: list[str], spans: list[tuple[int, int]], points: list[int]) -> list[Edits]:
    """The edits of a joined text, cut into those of each of its parts (offsets shifted)."""
    found = []
    offset = 0
    for text in texts:
        end = offset + len(text)
        found.append(
            Edits(
                (
                    (max(a, offset) - offset, min(b, end) - offset)
                    for a, b in spans
                    if a < end and b > offset
                ),
                (p - offset for p in points if offset <= p <= end),
            )
        )
        offset = end + 1
    return found


def _side_evidence(
    clauses: list[Clause],
    side: str,
    taxonomy: Taxonomy,
    edits: list[Edits] | None,
    paragraphs: Mapping[str, str],
) -> tuple[Evidence, ...]:
    """The evidence of a side (one clause, or the group of a split or merge), once each."""
    return _unique(
        replace(item, side=side)
        for index, clause in enumerate(clauses)
        for item in classify_clause(
            clause,
            taxonomy,
            None if edits is None else edits[index],
            paragraphs.get(clause.id, ""),
        )
    )


def _paragraphs(clauses: Iterable[Clause]) -> dict[str, str]:
    """For each sentence clause, the Markdown of the other sentences of its paragraph.

    A sentence clause's id is its paragraph's id and its place (``p3/s2``).
    """
    groups: dict[tuple[tuple[str, ...], str], list[Clause]] = {}
    for clause in clauses:
        if clause.kind is ClauseKind.SENTENCE and "/" in clause.id:
            groups.setdefault((clause.section, clause.id.rsplit("/", 1)[0]), []).append(clause)
    return {
        clause.id: "\n\n".join(other.text for other in group if other is not clause)
        for group in groups.values()
        for clause in group
    }


def _classified(
    clause: ClauseChange,
    old_index: Mapping[str, Clause],
    new_index: Mapping[str, Clause],
    taxonomy: Taxonomy,
    paragraphs: tuple[Mapping[str, str], Mapping[str, str]] = ({}, {}),
) -> ClauseChange:
    old_section = clause.old_section or clause.section
    old_side = _side_clauses(clause.old_ids, old_index, clause.old, old_section, clause)
    new_side = _side_clauses(clause.new_ids, new_index, clause.new, clause.section, clause)
    old_edits = new_edits = None
    wordless = False
    if clause.old is not None and clause.new is not None:
        old_edits, new_edits = _edits(old_side, new_side)
        # Only typography changed (and the clause did not move): the change is about nothing.
        wordless = clause.kind is not ChangeKind.MOVED and not any(
            e.spans or e.points for e in (*old_edits, *new_edits)
        )
    old_evidence = (
        _side_evidence(old_side, "old", taxonomy, old_edits, paragraphs[0])
        if clause.old is not None
        else None
    )
    new_evidence = (
        _side_evidence(new_side, "new", taxonomy, new_edits, paragraphs[1])
        if clause.new is not None
        else None
    )
    before = None if old_evidence is None else labels(old_evidence)
    after = None if new_evidence is None else labels(new_evidence)
    changed_old = labels(e for e in old_evidence or () if e.changed and not wordless)
    changed_new = labels(e for e in new_evidence or () if e.changed and not wordless)
    gained = ((after or frozenset()) - (before or frozenset())) & changed_new
    lost = ((before or frozenset()) - (after or frozenset())) & changed_old
    about = (changed_old | changed_new) - lost
    current = after if after is not None else before or frozenset()
    if new_evidence is None:
        evidence = old_evidence or ()
    else:
        shown = {label.value for label in (about | lost) - changed_new}
        kept_old = tuple(e for e in old_evidence or () if e.changed and e.label in shown)
        evidence = new_evidence + kept_old
    return replace(
        clause,
        labels=ordered(about),
        gained=ordered(gained),
        lost=ordered(lost),
        evidence=evidence,
        rank=_rank(gained | lost, about, clause.significance),
        context=ordered(current),
    )


def _still_stated(
    label: str, clause: ClauseChange, new_clauses: Iterable[Clause], taxonomy: Taxonomy
) -> bool:
    """Whether the newer version still makes the statement that gave a clause a lost label.

    Each sentence of the old text holding a text match of ``label`` is looked for, word for
    word (any case), in the clauses of the newer version: when every one of them still stands
    in a clause that carries ``label``, only a banner or a duplicate was dropped.
    """
    phrases = {
        e.matched.casefold()
        for e in clause.evidence
        if e.label == label
        and e.side == "old"
        and e.source is Source.TEXT
        and e.polarity is Polarity.ASSERTED
    }
    old = _plain(clause.old or "").casefold()
    sentences = {
        old[first:last].strip()
        for phrase in phrases
        for found in re.finditer(re.escape(phrase), old)
        for first, last in [_sentence(old, found.start(), found.end())]
    }
    if not sentences:
        return False
    texts = [(c, _plain(c.text).casefold()) for c in new_clauses]
    return all(
        any(
            sentence in text and Label(label) in labels(classify_clause(c, taxonomy))
            for c, text in texts
        )
        for sentence in sentences
    )


def classify_change(
    change: Change,
    old_clauses: Iterable[Clause],
    new_clauses: Iterable[Clause],
    taxonomy: Taxonomy,
) -> Change:
    """``change`` with every clause tagged, ranked, and the change-level labels and rank.

    Args:
        change: the comparison of two versions (:func:`tracker.compare.diff.compare`).
        old_clauses: the clauses of the older version
        (:func:`tracker.compare.clauses.split_clauses`),
            looked up by the ids the change names, for their headings, columns and rows.
        new_clauses: the clauses of the newer version.
        taxonomy: the rules.

    Returns:
        The change with, on every clause, ``labels`` (what the change of the clause is about:
        the labels of its changed words, and of its headings, column and row), ``gained``,
        ``lost``, ``context`` (the labels of the clause as it now reads; of its old text when
        removed), ``evidence`` and ``rank``. The change's ``labels`` are the union over its
        substantive clauses, ``gained`` and ``lost`` the labels gained (lost) by one of them
        and lost (gained) by none, its ``rank`` their highest, and ``taxonomy`` names the
        rules used. A label a clause lost is not lost when the newer version still states it
        in the same words elsewhere (a dropped banner or duplicate sentence).
    """
    old_index = {clause.id: clause for clause in old_clauses}
    new_list = list(new_clauses)
    new_index = {clause.id: clause for clause in new_list}
    clauses, unlabelled = _within_budget(change.clauses, old_index, new_index, taxonomy)
    clauses = _paired(tuple(_standing(clause, new_list, taxonomy) for clause in clauses))
    substantive = [c for c in clauses if c.significance is Significance.SUBSTANTIVE]
    gained = {label for c in substantive for label in c.gained}
    lost = {label for c in substantive for label in c.lost}
    return replace(
        change,
        clauses=clauses,
        labels=ordered(label for c in substantive for label in (*c.labels, *c.lost)),
        gained=ordered(gained - lost),
        lost=ordered(lost - gained),
        rank=max((c.rank or Rank.OTHER for c in substantive), default=Rank.OTHER),
        taxonomy=TaxonomyStamp(taxonomy.version, taxonomy.digest),
        unlabelled=unlabelled,
    )


def announces_update(markdown: str) -> bool:
    """Whether a clause announces an update of the document itself ("we have updated this
    notice...", "nous avons mis à jour cette politique"): a banner summing up a change."""
    return bool(_ANNOUNCEMENT.search(_plain(markdown)))


def _paired(clauses: tuple[ClauseChange, ...]) -> tuple[ClauseChange, ...]:
    """Removed and added clauses side by side in one section, read as one clause rewritten.

    The comparison pairs a removed and an added sentence only when their words are alike; a
    sentence rewritten in other words comes out removed and added. Read apart, a basis both
    state shows lost on one and gained on the other; read as the old and new side of one
    clause, only what one side has and the other has not is lost or gained.
    """
    result = list(clauses)
    index = 0
    while index < len(result) - 1:
        first, second = result[index], result[index + 1]
        kinds = {first.kind, second.kind}
        if kinds != {ChangeKind.REMOVED, ChangeKind.ADDED} or first.section != second.section:
            index += 1
            continue
        removed, added = (first, second) if first.kind is ChangeKind.REMOVED else (second, first)
        old = frozenset(Label(label) for label in (*removed.labels, *removed.lost))
        new = frozenset(Label(label) for label in added.labels)
        lost = frozenset(Label(label) for label in removed.lost) - new
        gained = frozenset(Label(label) for label in added.gained) - old
        fixed = {
            id(removed): replace(
                removed,
                labels=ordered(old - lost),
                lost=ordered(lost),
                rank=_rank(lost, old, removed.significance),
            ),
            id(added): replace(
                added, gained=ordered(gained), rank=_rank(gained, new, added.significance)
            ),
        }
        result[index], result[index + 1] = fixed[id(first)], fixed[id(second)]
        index += 2
    return tuple(result)


def _standing(clause: ClauseChange, new_clauses: list[Clause], taxonomy: Taxonomy) -> ClauseChange:
    """``clause`` with the lost labels the newer version still states kept, not lost.

    Two cases: the same sentence stands elsewhere (a duplicate was dropped), or the removed
    clause only announced an update of the document ("we have updated this notice and now
    ask for your consent..."): taking the banner down withdraws nothing it announced.
    """
    if not clause.lost:
        return clause
    banner = clause.kind is ChangeKind.REMOVED and announces_update(clause.old or "")
    standing = {
        label
        for label in clause.lost
        if banner or _still_stated(label, clause, new_clauses, taxonomy)
    }
    if not standing:
        return clause
    lost = tuple(label for label in clause.lost if label not in standing)
    touched = frozenset(Label(label) for label in (*clause.gained, *lost))
    # Still what the clause is about (it said so), but not lost: shown without a minus.
    about = frozenset(Label(label) for label in (*clause.labels, *standing))
    return replace(
        clause,
        labels=ordered(about),
        lost=lost,
        rank=_rank(touched, about, clause.significance),
    )


def _within_budget(
    changed: Iterable[ClauseChange],
    old_index: Mapping[str, Clause],
    new_index: Mapping[str, Clause],
    taxonomy: Taxonomy,
) -> tuple[tuple[ClauseChange, ...], int]:
    """Each clause classified, in document order, until :data:`LABEL_BUDGET_CHARS` is spent.

    The rules cost time in proportion to the text they read (about 2 s a megabyte): the
    clauses past the budget are left without labels, and counted.
    """
    clauses: list[ClauseChange] = []
    spent = unlabelled = 0
    paragraphs = (_paragraphs(old_index.values()), _paragraphs(new_index.values()))
    for clause in changed:
        spent += len(clause.old or "") + len(clause.new or "")
        if spent > LABEL_BUDGET_CHARS:
            clauses.append(clause)
            unlabelled += 1
        else:
            clauses.append(_classified(clause, old_index, new_index, taxonomy, paragraphs))
    return tuple(clauses), unlabelled
