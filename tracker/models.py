"""Frozen values passed between the pipeline's stages (the nouns of the archive).

- :class:`Document` — one tracked legal text and its extraction rules (from ``config/``).
- :class:`Capture` — one fetch: bytes, status, headers, URLs, time. The *snapshot* is its bytes.
- :class:`Version` — the normalised Markdown extracted from a snapshot; what gets compared.
- :class:`CheckRecord` — one line of ``checks.csv``: what happened at one check.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum

#: Bumped whenever extraction or normalisation output changes for the same input and rules.
#: Part of every rules digest, so an engine change is recorded as a technical upgrade.
EXTRACTOR_VERSION = "2"


def sha256_hex(data: bytes | str) -> str:
    """Return the hex SHA-256 of bytes, or of a string encoded as UTF-8."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class ExtractRules:
    """How to turn a page into the document's text.

    Attributes:
        select: CSS selectors whose matches, in document order, make up the text. The first
            selector that matches anything wins when ``select_first`` is true; otherwise all
            matches of all selectors are kept.
        remove: CSS selectors removed from the page before selection.
        drop_query_params: query parameters stripped from every link (tracking noise).
        min_text_chars: below this many characters of text the page is "almost empty".
        select_first: use the first selector that matches instead of all of them.
        ignore_text: interface texts that are not the document's words (toggle labels, CMS
            placeholders), dropped where they stand alone on a line; mostly for Markdown
            imported from archives whose extraction kept them.
    """

    select: tuple[str, ...]
    remove: tuple[str, ...] = ()
    drop_query_params: tuple[str, ...] = ()
    min_text_chars: int = 200
    select_first: bool = False
    ignore_text: tuple[str, ...] = ()

    @property
    def selectors(self) -> tuple[str, ...]:
        """Every selector the page is read with: ``select``, then ``remove``."""
        return (*self.select, *self.remove)

    def canonical(self) -> dict[str, object]:
        """The rules and the extractor version as data (what :meth:`digest` hashes)."""
        return {
            "extractor": EXTRACTOR_VERSION,
            "select": list(self.select),
            "remove": list(self.remove),
            "drop_query_params": list(self.drop_query_params),
            "min_text_chars": self.min_text_chars,
            "select_first": self.select_first,
            **({"ignore_text": list(self.ignore_text)} if self.ignore_text else {}),
        }

    def digest(self) -> str:
        """Hash of the rules and the extractor version: changes when the output may change."""
        return sha256_hex(json.dumps(self.canonical(), sort_keys=True))[:16]


@dataclass(frozen=True, slots=True)
class Document:
    """One tracked legal text.

    ``id`` is the path of its TOML file under ``config/documents/`` without the suffix, e.g.
    ``linkedin/privacy-policy``; it is also its folder in the archive. ``redirect_hosts`` are
    the hosts, besides the URL's own, that a redirect may lead to (lower case).
    """

    id: str
    title: str
    url: str
    language: str
    rules: ExtractRules
    schedule: str | None = None
    accept_language: str | None = None
    translation_of: str | None = None
    redirect_hosts: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        """The host the document is fetched from (politeness is per host)."""
        from urllib.parse import urlsplit

        return urlsplit(self.url).hostname or ""


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Network behaviour shared by every fetch (from ``config/tracker.toml``).

    ``read_timeout`` bounds the silence between two bytes; ``deadline_seconds`` bounds a whole
    fetch (every attempt, redirect and backoff wait). ``allow_private_addresses`` lets the
    tracker fetch from private, loopback, link-local ... addresses (tests and tools serving
    pages on 127.0.0.1 set it).
    """

    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 2
    backoff_seconds: float = 2.0
    max_bytes: int = 10 * 1024 * 1024
    host_delay_seconds: float = 5.0
    deadline_seconds: float = 120.0
    allow_private_addresses: bool = False
    #: documents of different hosts fetched at the same time in a pass (1: one at a time)
    concurrency: int = 16


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """How alerts reach Telegram (``[telegram]`` in tracker.toml plus the environment).

    ``token`` is None when ``TELEGRAM_BOT_TOKEN`` is unset: alerts are then printed to the
    console and kept pending. It is excluded from ``repr`` so that it never reaches a log.
    """

    token: str | None = field(default=None, repr=False)
    base_url: str = "https://api.telegram.org/bot"
    maintainers_chat_id: str | None = None
    pace_seconds: float = 3.0
    max_clauses: int = 5
    retries: int = 3
    backoff_seconds: float = 2.0
    max_retry_after: float = 300.0
    read_timeout: float = 30.0
    global_per_second: int = 25
    per_chat_per_minute: int = 20


@dataclass(frozen=True, slots=True)
class BotSettings:
    """The subscriber bot (``[bot]`` in tracker.toml; the token is the one of ``[telegram]``).

    ``public_url``: the base URL of the published archive, for links in subscribers' alerts
    (as a channel's ``public_url``). ``max_clauses``: clause excerpts per change in their
    alerts. ``webhook_secret`` comes from the environment (``TELEGRAM_WEBHOOK_SECRET``).
    """

    public_url: str | None = None
    max_clauses: int = 3
    webhook_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Validators:
    """Conditional-GET validators remembered from the last successful capture."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Capture:
    """One answer from the server, kept whole: the snapshot is ``body``.

    ``not_modified`` is true for a 304 answer to a conditional GET: then ``body`` is empty and
    the last snapshot still stands.
    """

    document_id: str
    requested_url: str
    final_url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: datetime
    redirects: tuple[str, ...] = ()
    not_modified: bool = False

    @property
    def sha256(self) -> str:
        """SHA-256 of the raw bytes as received."""
        return sha256_hex(self.body)

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def media_type(self) -> str:
        """The media type of ``Content-Type`` without parameters, lower-cased ('' if absent)."""
        raw = self.header("content-type") or ""
        return raw.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset parameter of ``Content-Type``, if any."""
        raw = self.header("content-type") or ""
        for part in raw.split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'").lower()
        return None


class Outcome(StrEnum):
    """What one check of one document ended as (the ``outcome`` column of ``checks.csv``)."""

    FIRST_RECORD = "first-record"
    UNCHANGED = "unchanged"
    NEW_VERSION = "new-version"
    TECHNICAL_UPGRADE = "technical-upgrade"
    INACCESSIBLE = "inaccessible"
    #: the page came back to the text of a recent version (an A/B variant): a row, no version
    FLIP_BACK = "flip-back"
    #: a capture held as too damaged to record on one fetch (see :mod:`tracker.suspect`)
    SUSPECT = "suspect"

    @property
    def words(self) -> str:
        """The outcome as people read it: ``new version``, ``suspect capture held``..."""
        return _OUTCOME_WORDS[self]


#: The outcomes whose check wrote a version (the row a version was recorded with).
RECORDING_OUTCOMES = frozenset(
    {Outcome.FIRST_RECORD, Outcome.NEW_VERSION, Outcome.TECHNICAL_UPGRADE}
)

_OUTCOME_WORDS = {
    Outcome.FIRST_RECORD: "first record",
    Outcome.UNCHANGED: "unchanged",
    Outcome.NEW_VERSION: "new version",
    Outcome.TECHNICAL_UPGRADE: "technical upgrade",
    Outcome.INACCESSIBLE: "inaccessible",
    Outcome.FLIP_BACK: "flip-back",
    Outcome.SUSPECT: "suspect capture held",
}


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """One row of a document's ``checks.csv``."""

    checked_at: datetime
    outcome: Outcome
    cause: str = ""
    http_status: int | None = None
    raw_sha256: str = ""
    text_sha256: str = ""
    version: str = ""
    url: str = ""
    detail: str = ""


# --------------------------------------------------------------------------- clauses and changes
class ClauseKind(StrEnum):
    """What a clause is in the structure of a version."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    SENTENCE = "sentence"
    LIST_ITEM = "list-item"
    TABLE_CELL = "table-cell"


@dataclass(frozen=True, slots=True)
class Clause:
    """A fragment of a version with a stable id: what the comparison aligns.

    Attributes:
        id: stable within a version and across versions when the structure is unchanged, e.g.
            ``legal-bases/to-perform-our-contract/table-1/r3/data-we-use`` (heading path slugs,
            then the position or key of the block).
        kind: heading, paragraph, sentence (of a long paragraph), list item or table cell.
        section: the heading path above the clause, outermost first (heading texts as shown).
        text: the clause's Markdown (for a table cell: the cell's content only).
        column: for a table cell, its column header (e.g. ``"Personal data used"``).
        row: for a table cell, the text of the first cell of its row (what the row is about).
        position: order of the clause in the version (0-based).
    """

    id: str
    kind: ClauseKind
    section: tuple[str, ...]
    text: str
    position: int
    column: str | None = None
    row: str | None = None


class ChangeKind(StrEnum):
    """How a clause changed between two versions."""

    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    MOVED = "moved"
    SPLIT = "split"
    MERGED = "merged"


class Significance(StrEnum):
    """How much a change matters to a reader (see docs/significance.md).

    ``substantive``: wording a reader could care about changed (alerted); ``minor``: typo,
    punctuation, capitalisation, renumbering (archived, digest); ``cosmetic``: only links,
    markup, whitespace or invisible characters (archived, never alerted).
    """

    COSMETIC = "cosmetic"
    MINOR = "minor"
    SUBSTANTIVE = "substantive"

    @property
    def rank(self) -> int:
        """0 for cosmetic, 1 for minor, 2 for substantive (for max() and filters)."""
        return ("cosmetic", "minor", "substantive").index(self.value)


class DiffOp(StrEnum):
    """One operation of a word-level diff."""

    EQUAL = "equal"
    INSERT = "insert"
    DELETE = "delete"


class Polarity(StrEnum):
    """Whether a clause says a label applies or says it does not."""

    ASSERTED = "asserted"
    NEGATED = "negated"


class Source(StrEnum):
    """Where the evidence for a label was found."""

    TEXT = "text"
    ROW = "row"
    HEADING = "heading"
    COLUMN = "column"
    #: The other sentences of the long paragraph a sentence clause was cut from: the legal
    #: basis or Art. 9 label they state holds for the whole paragraph.
    PARAGRAPH = "paragraph"


@dataclass(frozen=True, slots=True)
class LabelEvidence:
    """Why a clause carries a label (see :mod:`tracker.classify.classifier`).

    Attributes:
        label: the label id (``consent``, ``ai_training``...).
        rule_id: the id of the rule in ``config/taxonomy.toml`` that matched.
        matched: the text the rule matched, as the reader sees it.
        polarity: ``asserted``, or ``negated`` when a negation precedes the match.
        source: ``text`` (the clause), ``row`` (the first cell of its table row),
            ``heading`` (a heading of its section), ``column`` (its column header) or
            ``paragraph`` (the other sentences of the paragraph a sentence clause was cut from).
        lang: the language of the rule (``en`` or ``fr``).
        side: ``old`` or ``new``: which text of a changed clause it was found in.
        changed: whether it speaks for the change: a text or row match that overlaps the
            changed words of a modified clause (or, for a label that is not a data category,
            stands in the sentence holding an edit), any match of an added or removed
            clause, and every heading and column match. Evidence with ``changed`` False
            only describes the clause as it reads (``ClauseChange.context``).
    """

    label: str
    rule_id: str
    matched: str
    polarity: Polarity
    source: Source
    lang: str = "en"
    side: str = "new"
    changed: bool = True


class Rank(IntEnum):
    """How much a changed clause matters to a lawyer, highest first (docs/classification.md).

    ``LEGAL_BASIS``: a legal basis gained or lost; ``SPECIAL_CATEGORY``: touches Art. 9 data;
    ``PURPOSE``: touches AI training, or gains or loses a purpose flag; ``CONTROL``: touches an
    opt-out, opt-in or consent withdrawal; ``DATA_CATEGORY``: gains or loses a data category;
    ``OTHER``: anything else.
    """

    OTHER = 0
    DATA_CATEGORY = 1
    CONTROL = 2
    PURPOSE = 3
    SPECIAL_CATEGORY = 4
    LEGAL_BASIS = 5

    @property
    def id(self) -> str:
        """The name used in records and alerts (``legal_basis``...)."""
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class TaxonomyStamp:
    """Which taxonomy classified a change: its ``version`` and the digest of its rules."""

    version: str
    digest: str


@dataclass(frozen=True, slots=True)
class ClauseChange:
    """One changed clause (or group of clauses, for splits and merges).

    ``old``/``new`` are the clause texts before and after (None when added/removed; for a
    split or merge, the texts of the group joined by a blank line). ``diff`` is the word-level
    diff from old to new (empty for added/removed). ``section`` is where the clause stands in
    the new version (the old one for a removal); ``old_section`` differs from it for a move.
    """

    kind: ChangeKind
    section: tuple[str, ...]
    old: str | None
    new: str | None
    diff: tuple[tuple[DiffOp, str], ...]
    significance: Significance
    old_ids: tuple[str, ...] = ()
    new_ids: tuple[str, ...] = ()
    old_section: tuple[str, ...] | None = None
    column: str | None = None
    row: str | None = None
    labels: tuple[str, ...] = ()
    gained: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    evidence: tuple[LabelEvidence, ...] = ()
    rank: Rank | None = None
    #: The labels of the clause as it now reads (of its old text when removed): context for
    #: readers. ``labels`` are what the change is about: the labels of its changed words, with
    #: those of its headings, column and row (docs/adr/0015-change-labels-from-changed-words.md).
    context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    """The difference between two versions of one document, clause by clause."""

    document: str
    from_version: str
    to_version: str
    significance: Significance
    clauses: tuple[ClauseChange, ...]
    labels: tuple[str, ...] = ()
    flip_back_of: str | None = None
    gained: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    rank: Rank | None = None
    taxonomy: TaxonomyStamp | None = None
    #: Clauses left without labels because the change is larger than the labelling budget
    #: (:data:`tracker.classify.classifier.LABEL_BUDGET_CHARS`): only a replaced or hostile page has
    #: any.
    unlabelled: int = 0
