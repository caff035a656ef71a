"""How much the change of one clause matters: cosmetic, minor or substantive.

Stage: inside the comparison (:mod:`tracker.compare.diff`), for each changed clause; the whole
change takes the highest. Pure functions, no I/O. docs/significance.md explains the rules
for lawyers and maintainers.

Inputs: the text of a clause before and after (None when absent), and optionally the
vocabulary of both versions. Output: a :class:`~tracker.models.Significance`
(:func:`clause_significance`).

Significance: cosmetic when the visible words are the same; minor when they differ only by
case, punctuation, quote style, accents of long words, numbering, or one typo-sized word;
otherwise substantive. (A move to another section, row or column is substantive and a
reorder minor: :mod:`tracker.compare.diff` decides those.)

The keys of that comparison (:func:`visible_key`, :func:`loose_key`, :func:`loose_words`)
are also what :mod:`tracker.compare.diff` aligns clauses by.
"""

# Typographic quotes and dashes are what several patterns here are about.
# ruff: noqa: RUF001

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from difflib import SequenceMatcher

from tracker.compare.wording import visible_words
from tracker.models import Significance

__all__ = [
    "TYPO_MIN_WORDS",
    "clause_significance",
    "loose_key",
    "loose_words",
    "max_significance",
    "visible_key",
]

#: A typo fix is only recognised in a clause of at least this many words.
TYPO_MIN_WORDS = 8

_HARD_BREAK = re.compile(r"\\\n| {2,}\n")
_SEGMENT = re.compile(r"<br\s*/?>|\n", re.IGNORECASE)
_LOOSE = re.compile(r"\d+(?:[.,:/]\d+)*|[^\W\d_]+")
_MARKER = re.compile(r"^\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-z]|[ivxlc]{1,5})[.)]$", re.IGNORECASE)
# A segment that may start with a marker (cheap test before reading its words).
_MAYBE_MARKER = re.compile(r"^[\s*_>\\]*(?:\(|\d|[a-z]\\?[.)]|[ivxlc]{1,5}\\?[.)])", re.IGNORECASE)
_BARE_MARKER = re.compile(r"^\d{1,3}(?:\.\d{1,3})+$")  # "2.5 Sharing", not "2.5 million"
_NUMBER = re.compile(r"^\d+(?:\.\d+)*$")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")  # "LinkedIn's" and "LinkedIns" compare equal
_REFERENCE_WORDS = frozenset(
    (
        *("section", "sections", "article", "articles", "clause", "clauses", "paragraph"),
        *("paragraphs", "paragraphe", "paragraphes", "chapter", "chapitre", "part", "partie"),
        *("annex", "annexe", "schedule"),
    )
)
_TYPOGRAPHY = str.maketrans(
    {
        **dict.fromkeys("’‘‚‛′`´", "'"),
        **dict.fromkeys("“”„‟«»″", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
    }
)
#: Words whose replacement is never a typo fix: negations, modal verbs, quantifiers,
#: connectives and words of data-protection law (English and French; long words without
#: accents, as they are compared).
_GUARDED = frozenset(
    (
        *("not", "no", "nor", "never", "none", "neither", "nothing", "nobody", "without"),
        *("cannot", "unless", "except", "excluding", "including", "only", "all", "any"),
        *("some", "may", "must", "shall", "will", "would", "should", "could", "might", "can"),
        *("and", "or", "always", "before", "after", "within", "until", "more", "less"),
        *("ne", "pas", "plus", "jamais", "aucun", "aucune", "sans", "non", "ni", "rien", "nul"),
        *("nulle", "sauf", "seulement", "uniquement", "peut", "peuvent", "doit", "doivent"),
        *("pourra", "pourront", "devra", "devront", "tous", "toutes", "tout", "toute", "et"),
        *("ou", "où", "avant", "apres", "moins"),
        *("consent", "consents", "content", "contents", "consentement", "contenu", "contract"),
        *("contrat", "data", "date", "donnees", "sell", "sold", "vendre", "share", "shared"),
        *("partager", "store", "stored", "delete", "deleted", "retain", "retained", "lawful"),
        *("unlawful", "legal", "illegal", "legale", "licite", "public", "publique", "private"),
        *("privee", "interest", "interests", "interet", "interets", "legitimate", "legitime"),
        *("third", "tiers", "party", "parties", "minor", "minors", "mineur", "mineurs", "child"),
        *("children", "enfant", "enfants", "object", "opposer", "transfer", "transferer"),
        *("collect", "collected", "connect", "process", "processed", "traiter", "profile"),
        *("profiling", "profilage", "train", "training", "entrainer", "member", "members"),
        *("user", "users", "visitor", "visitors", "free", "paid", "fee", "fees"),
    )
)


def visible_key(text: str) -> tuple[str, ...]:
    return tuple(visible_words(_HARD_BREAK.sub("\n", text)))


@functools.lru_cache(maxsize=8192)
def _strip_accents(word: str) -> str:
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize(
        "NFC", "".join(char for char in decomposed if not unicodedata.combining(char))
    )


def _comparable(words: Iterable[str]) -> list[str]:
    """Lower-case tokens of letters or digits, apostrophes inside words dropped."""
    return _LOOSE.findall(_comparable_text(words))


def _comparable_text(words: Iterable[str]) -> str:
    """The words joined, lower-cased, quotes made plain, apostrophes inside words dropped."""
    joined = " ".join(words).translate(_TYPOGRAPHY).casefold()
    return _APOSTROPHE.sub("", joined) if "'" in joined else joined


def loose_words(text: str) -> list[str]:
    """The comparable words of a whole text, numbering kept (to count a vocabulary)."""
    words = _comparable(visible_words(_HARD_BREAK.sub("\n", text)))
    return [_strip_accents(word) if len(word) >= 4 else word for word in words]


def loose_key(text: str, visible: Sequence[str] | None = None) -> tuple[str, ...]:
    """Words up to case, punctuation, quote style, accents of long words and numbering.

    A numbering marker (``1.``, ``1.2.``, ``(a)``, ``iv)``, or ``2.5`` before a capitalised
    word) at the start of a line or of a ``<br>`` segment goes, as does the number after
    "section", "article", "clause"...

    ``visible``: the text's :func:`visible_key` when the caller has it (it is not read again).
    """
    broken = _HARD_BREAK.sub("\n", text)
    segments = _SEGMENT.split(broken)
    if any(_MAYBE_MARKER.match(segment) for segment in segments):
        words: list[str] = []
        for segment in segments:
            seen = visible_words(segment)
            if seen and (
                _MARKER.match(seen[0])
                or (_BARE_MARKER.match(seen[0]) and (len(seen) == 1 or seen[1][:1].isupper()))
            ):
                seen = seen[1:]
            words.extend(seen)
    else:  # no segment can start with a marker: one pass over the whole clause
        joined = "\n".join(segments)
        words = list(visible) if visible is not None and joined == broken else visible_words(joined)
    comparable = _comparable_text(words)
    tokens = _LOOSE.findall(comparable)
    if comparable.isascii() and _REFERENCE_WORDS.isdisjoint(tokens):
        return tuple(tokens)  # the common case: nothing to drop, no accent to strip
    kept: list[str] = []
    for token in tokens:
        if kept and kept[-1] in _REFERENCE_WORDS and _NUMBER.match(token):
            continue
        kept.append(token if len(token) < 4 or token.isascii() else _strip_accents(token))
    return tuple(kept)


def _osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein with adjacent transpositions)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def _is_typo_fix(
    old: tuple[str, ...], new: tuple[str, ...], vocabulary: Mapping[str, int] | None
) -> bool:
    if min(len(old), len(new)) < TYPO_MIN_WORDS:
        return False
    edits = [op for op in SequenceMatcher(None, old, new, False).get_opcodes() if op[0] != "equal"]
    if len(edits) != 1:
        return False
    tag, i1, i2, j1, j2 = edits[0]
    if tag != "replace" or i2 - i1 != 1 or j2 - j1 != 1:
        return False
    before, after = old[i1], new[j1]
    if not (before.isalpha() and after.isalpha()) or before[0] != after[0]:
        return False
    if before in _GUARDED or after in _GUARDED or min(len(before), len(after)) < 4:
        return False
    limit = 1 if max(len(before), len(after)) <= 7 else 2
    if _osa_distance(before, after) > limit:
        return False
    if vocabulary is None:
        return True

    def elsewhere(word: str) -> int:
        return vocabulary.get(word, 0) - old.count(word) - new.count(word)

    # A typo is a word found nowhere else: a swap between two words of the text is not one.
    return elsewhere(before) <= 0 or elsewhere(after) <= 0


def clause_significance(
    old: str | None, new: str | None, *, vocabulary: Mapping[str, int] | None = None
) -> Significance:
    """How much the change of one clause from ``old`` to ``new`` matters (None: absent).

    Args:
        old: the clause's text before, or None for an added clause.
        new: the clause's text after, or None for a removed clause.
        vocabulary: counts of the comparable words of both whole versions; with it, a
            one-word edit only counts as a typo fix when one of the two words occurs nowhere
            else in the versions.

    Returns:
        ``cosmetic`` when the visible words are the same (only links, markup, white space,
        invisible characters differ), or when an added or removed clause has no visible word;
        ``minor`` when they differ only by case, punctuation, quote style, accents of words of
        four letters or more, numbering markers, or one typo-sized word edit; otherwise
        ``substantive``. See docs/significance.md.
    """
    if old is None or new is None:
        present = new if old is None else old
        return (
            Significance.SUBSTANTIVE if present and visible_key(present) else Significance.COSMETIC
        )
    if visible_key(old) == visible_key(new):
        return Significance.COSMETIC
    loose_old, loose_new = loose_key(old), loose_key(new)
    if loose_old == loose_new or _is_typo_fix(loose_old, loose_new, vocabulary):
        return Significance.MINOR
    return Significance.SUBSTANTIVE


def max_significance(values: Iterable[Significance]) -> Significance:
    return max(values, key=lambda value: value.rank, default=Significance.COSMETIC)
