"""Frozen values passed between the pipeline's stages (the nouns of the archive).

- :class:`Document` — one tracked legal text and its extraction rules (from ``config/``).
- :class:`Capture` — one fetch: bytes, status, headers, URLs, time. The *snapshot* is its bytes.
- :class:`Version` — the normalised Markdown extracted from a snapshot; what gets compared.
- :class:`CheckRecord` — one line of ``checks.csv``: what happened at one check.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

#: Bumped whenever extraction or normalisation output changes for the same input and rules.
#: Part of every rules digest, so an engine change is recorded as a technical upgrade.
EXTRACTOR_VERSION = "1"


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
    """

    select: tuple[str, ...]
    remove: tuple[str, ...] = ()
    drop_query_params: tuple[str, ...] = ()
    min_text_chars: int = 200
    select_first: bool = False

    def digest(self) -> str:
        """Hash of the rules and the extractor version: changes when the output may change."""
        canonical = json.dumps(
            {
                "extractor": EXTRACTOR_VERSION,
                "select": self.select,
                "remove": self.remove,
                "drop_query_params": self.drop_query_params,
                "min_text_chars": self.min_text_chars,
                "select_first": self.select_first,
            },
            sort_keys=True,
        )
        return sha256_hex(canonical)[:16]


@dataclass(frozen=True, slots=True)
class Document:
    """One tracked legal text.

    ``id`` is the path of its TOML file under ``config/documents/`` without the suffix, e.g.
    ``linkedin/privacy-policy``; it is also its folder in the archive.
    """

    id: str
    title: str
    url: str
    language: str
    rules: ExtractRules
    schedule: str | None = None
    accept_language: str | None = None
    translation_of: str | None = None

    @property
    def host(self) -> str:
        """The host the document is fetched from (politeness is per host)."""
        from urllib.parse import urlsplit

        return urlsplit(self.url).hostname or ""


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Network behaviour shared by every fetch (from ``config/tracker.toml``)."""

    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 2
    backoff_seconds: float = 2.0
    max_bytes: int = 10 * 1024 * 1024
    host_delay_seconds: float = 5.0


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
