"""Atom feeds of the recorded changes: how journalists follow the archive without a bot.

Feeds, as paths relative to the site's root (the site keeps the archive's layout, so a change
page is at ``<platform>/<document>/changes/<stamp>.html``)::

    feeds/all.atom                          every recorded change
    feeds/substantive.atom                  substantive changes (not flip-backs), as alerts
    feeds/platform/<platform>.atom          every change of the platform's documents
    feeds/document/<document id>.atom       every change of one document
    feeds/label/<label>.atom                changes carrying the label (one feed per label seen)

A change *carries* a label as its alert does: the labels of the change record (``labels``) and
the labels it gained or lost (``gained``, ``lost``), read with
:func:`tracker.query.changes.summarise`. Label feeds leave flip-backs out, as alerts do.

Each feed holds the :data:`FEED_LENGTH` most recent changes it selects, newest first: a feed
reader only needs what is new since it last looked, and the archive keeps the rest. Each entry
links the change page (absolute under ``base_url``, or relative to the feed when there is none,
so that the site works from ``file://``), carries a one-line summary (significance, clause
counts, what the change does to the labels, the effective date when the text states one), the
first substantive clauses as its text content, and its labels and significance as categories.

Identifiers are ``tag:`` URIs (RFC 4151) made from the document id and the change's stamp,
never from the base URL: ``tag:policy-tracker,2026:linkedin/privacy-policy/changes/
2025-11-04T00-35-00Z``. A feed reader that has seen an entry does not show it again when the
site moves or is rebuilt (docs/adr/0019-feeds-and-publishing.md).

Output is deterministic: the same archive gives the same bytes (the feed's ``updated`` is its
newest entry's time, never the clock), so an incremental site build rewrites no unchanged feed.
Text is sanitised for XML: characters XML 1.0 cannot hold (control characters, lone
surrogates) become U+FFFD; markup in a clause (``<script>``, ``]]>``) is escaped as text by lxml.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tracker.archive.store import Archive
from tracker.models import Rank, Significance
from tracker.query.changes import ChangeSummary, summarise
from tracker.render import (
    RANK_WORDS,
    SECTION_SEPARATOR,
    display_text,
    headline_label,
    section_label,
)
from tracker.render.words import label_name
from tracker.timestamps import from_iso, from_stamp

#: The most recent changes a feed holds.
FEED_LENGTH = 50
#: Every id of a feed, an entry or a category scheme starts with this (RFC 4151 tag URI).
ID_PREFIX = "tag:policy-tracker,2026:"
#: Category schemes: a label of the taxonomy, a significance.
LABEL_SCHEME = ID_PREFIX + "label"
SIGNIFICANCE_SCHEME = ID_PREFIX + "significance"
#: Substantive clauses shown in an entry's content, and the characters of each excerpt.
HIGHLIGHTS = 3
EXCERPT_CHARS = 280
#: The ``updated`` of a feed that has no entry in an archive that has no change.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: A label id that can name a file (the taxonomy's ids are all of this shape).
_LABEL = re.compile(r"[a-z0-9][a-z0-9_]*")
#: Characters XML 1.0 cannot hold.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACES = re.compile(r"\s+")


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


# --------------------------------------------------------------------------- pure core
@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One recorded change as a feed shows it.

    Attributes:
        change: the record as :func:`tracker.query.changes.summarise` reads it.
        title: the document's title (its latest version's).
        recorded: when the new version was captured (UTC).
        effective: the date the new text says it takes effect, when it says one.
        rank: the change's rank (what matters most in it).
        highlights: the first substantive clauses, one line each, most important first.
    """

    change: ChangeSummary
    title: str
    recorded: datetime
    effective: date | None = None
    rank: Rank = Rank.OTHER
    highlights: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """``(stamp, document)``: the order of entries (newest first when reversed)."""
        return (self.change.timestamp, self.change.document)

    @property
    def page(self) -> str:
        """The change page, relative to the site's root."""
        return f"{self.change.document}/changes/{self.change.timestamp}.html"

    @property
    def id(self) -> str:
        """The entry's permanent id (independent of where the site is published)."""
        return f"{ID_PREFIX}{self.change.document}/changes/{self.change.timestamp}"

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels the change carries (record, gained, lost), each once, in that order."""
        return carried_labels(self.change)

    def summary(self) -> str:
        """One line: significance, clause counts, rank and label changes, effective date."""
        change = self.change
        counts = ", ".join(f"{n} {kind}" for kind, n in change.clauses) or "no clause changed"
        line = f"{change.significance}: {counts}"
        if self.rank is not Rank.OTHER:
            # the labels that make the rank, as the change page's summary line names them
            delta = [f"+{lab}" for lab in change.gained if headline_label(lab, self.rank)]
            delta += [f"-{lab}" for lab in change.lost if headline_label(lab, self.rank)]
            line += f"; {RANK_WORDS[self.rank]}" + (f" ({' '.join(delta)})" if delta else "")
        if change.flip_back_of:
            line += f" (flip-back to the version of {change.flip_back_of})"
        if self.effective is not None:
            line += f"; effective {self.effective.isoformat()}"
        return line

    def content(self) -> str:
        """The entry's text: summary, labels, the first substantive clauses, the versions."""
        lines = [self.summary()]
        if self.labels:
            lines.append("Labels: " + ", ".join(self.labels))
        if self.highlights:
            lines += ["", "What matters first:", *(f"- {line}" for line in self.highlights)]
        lines += [
            "",
            f"From version {self.change.from_version} to {self.change.to_version} (UTC).",
        ]
        return "\n".join(lines)


def carried_labels(change: ChangeSummary) -> tuple[str, ...]:
    """The labels a change carries, as its alert shows them: the record's, gained, lost."""
    return tuple(dict.fromkeys((*change.labels, *change.gained, *change.lost)))


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed: where it goes, what it is called, which changes it selects (any order)."""

    path: str
    title: str
    subtitle: str
    changes: tuple[ChangeSummary, ...]

    def latest(self, length: int) -> list[ChangeSummary]:
        """The ``length`` most recent changes, newest first (ties broken by document id)."""
        ordered = sorted(self.changes, key=lambda c: (c.timestamp, c.document), reverse=True)
        return ordered[:length]


def plan_feeds(
    changes: Sequence[ChangeSummary], titles: Mapping[str, str] | None = None
) -> list[Feed]:
    """Every feed of the site and the changes each selects, sorted by path.

    ``all`` and ``substantive`` always exist (possibly empty: a subscriber's link never
    breaks); a platform, document or label feed exists once it has a change. ``titles`` maps
    document ids to their titles (a document feed is named by its title when known).
    """
    titles = titles or {}
    by_platform: dict[str, list[ChangeSummary]] = {}
    by_document: dict[str, list[ChangeSummary]] = {}
    by_label: dict[str, list[ChangeSummary]] = {}
    for change in changes:
        by_platform.setdefault(change.document.split("/", 1)[0], []).append(change)
        by_document.setdefault(change.document, []).append(change)
        if change.flip_back_of:
            continue
        for label in carried_labels(change):
            if _LABEL.fullmatch(label):
                by_label.setdefault(label, []).append(change)
    substantive = [
        c
        for c in changes
        if c.significance == Significance.SUBSTANTIVE.value and not c.flip_back_of
    ]
    feeds = [
        Feed("feeds/all.atom", "Every recorded change", "All documents, all changes.", (*changes,)),
        Feed(
            "feeds/substantive.atom",
            "Substantive changes",
            "Changes of meaning in every document (what the alerts post).",
            tuple(substantive),
        ),
    ]
    for platform, chosen in by_platform.items():
        feeds.append(
            Feed(
                f"feeds/platform/{platform}.atom",
                f"{platform}: every change",
                f"Every recorded change of {platform}'s documents.",
                tuple(chosen),
            )
        )
    for document, chosen in by_document.items():
        feeds.append(
            Feed(
                f"feeds/document/{document}.atom",
                f"{titles.get(document, document)}: every change",
                f"Every recorded change of {document}.",
                tuple(chosen),
            )
        )
    for label, chosen in by_label.items():
        feeds.append(
            Feed(
                f"feeds/label/{label}.atom",
                f"Changes carrying {label_name('en', label)} ({label})",
                f"Changes whose clauses carry, gain or lose the label {label}.",
                tuple(chosen),
            )
        )
    return sorted(feeds, key=lambda feed: feed.path)


def link(base_url: str | None, feed_path: str, target: str) -> str:
    """The URL of ``target`` (relative to the site's root) as written in the feed at
    ``feed_path``: under ``base_url``, or relative to the feed's folder without one."""
    if base_url:
        return base_url.rstrip("/") + "/" + target
    return posixpath.relpath(target, posixpath.dirname(feed_path))


def render_feed(
    feed: Feed,
    entries: Sequence[FeedEntry],
    *,
    base_url: str | None,
    length: int = FEED_LENGTH,
    empty_updated: datetime = EPOCH,
) -> bytes:
    """The Atom document of ``feed`` with ``entries`` (newest first), as UTF-8 bytes.

    ``length`` is the bound the entries were chosen with (the subtitle says it);
    ``empty_updated`` dates a feed without entries (the newest change of the archive, so the
    bytes do not depend on the clock).
    """
    from feedgen.feed import FeedGenerator

    generator = FeedGenerator()
    generator.id(ID_PREFIX + feed.path.removesuffix(".atom"))
    generator.title(xml_text(feed.title))
    generator.subtitle(xml_text(f"{feed.subtitle} {_bound(length)}"))
    generator.author({"name": "policy-tracker"})
    generator.generator("policy-tracker")
    generator.link(
        href=link(base_url, feed.path, feed.path), rel="self", type="application/atom+xml"
    )
    generator.link(href=link(base_url, feed.path, "index.html"), rel="alternate", type="text/html")
    generator.updated(max((e.recorded for e in entries), default=empty_updated))
    for entry in entries:
        item = generator.add_entry(order="append")
        item.id(entry.id)
        item.title(xml_text(_entry_title(entry)))
        item.updated(entry.recorded)
        item.published(entry.recorded)
        item.link(href=link(base_url, feed.path, entry.page), rel="alternate", type="text/html")
        item.summary(xml_text(entry.summary()))
        item.content(xml_text(entry.content()), type="text")
        for label in entry.labels:
            item.category(
                term=xml_text(label), scheme=LABEL_SCHEME, label=xml_text(label_name("en", label))
            )
        item.category(term=xml_text(entry.change.significance), scheme=SIGNIFICANCE_SCHEME)
    data: bytes = generator.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


def _bound(length: int) -> str:
    return f"The {length} most recent; the archive keeps every change."


def _entry_title(entry: FeedEntry) -> str:
    what = (
        RANK_WORDS[entry.rank]
        if entry.rank is not Rank.OTHER
        else f"{entry.change.significance} change"
    )
    return f"{entry.title}: {what} ({entry.change.timestamp[:10]})"


def highlights(record: Mapping[str, Any], count: int = HIGHLIGHTS) -> tuple[str, ...]:
    """The first ``count`` substantive clauses of a change record, highest rank first, as
    ``<kind>, <section path>: "<excerpt>" (+gained -lost)`` lines of plain text."""
    clauses = [
        clause
        for clause in record.get("clauses") or ()
        if clause.get("significance") == Significance.SUBSTANTIVE.value
    ]
    clauses.sort(key=lambda clause: -rank_of(clause.get("rank")))  # stable: page order kept
    lines = []
    for clause in clauses[:count]:
        where = section_label(tuple(str(part) for part in clause.get("section") or ()))
        text = _SPACES.sub(" ", display_text(str(clause.get("new") or clause.get("old") or "")))
        text = text.strip()
        row = _SPACES.sub(" ", display_text(str(clause.get("row") or ""))).strip()
        if row and not text.startswith(row):  # a row's first cell is its name
            where += SECTION_SEPARATOR + row
        if len(text) > EXCERPT_CHARS:
            text = text[: EXCERPT_CHARS - 1].rstrip() + "\u2026"
        delta = [f"+{label}" for label in clause.get("gained") or ()]
        delta += [f"-{label}" for label in clause.get("lost") or ()]
        kind = str(clause.get("kind", "changed"))
        line = f"{kind}, {where}: \u201c{text}\u201d"
        lines.append(line + (f" ({' '.join(delta)})" if delta else ""))
    return tuple(lines)


def rank_of(name: object) -> Rank:
    """The rank a record names (``legal_basis``...); OTHER for none or an unknown name."""
    return Rank.__members__.get(str(name or "other").upper(), Rank.OTHER)


# --------------------------------------------------------------------------- archive shell
def change_records(archive: Archive) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every change record of the archive: ``(document, stamp, record)``, by document."""
    for document in sorted(archive.documents()):
        for stamp in archive.change_stamps(document):
            yield document, stamp, archive.read_change(document, stamp)


class _Reader:
    """Reads what entries need beyond the record (title, capture time, effective date) once."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.titles: dict[str, str] = {}
        self.stamps: dict[str, set[str]] = {}

    def title(self, document: str) -> str:
        if document not in self.titles:
            latest = self.archive.latest_version(document)
            meta = latest.meta if latest is not None else {}
            self.titles[document] = str(meta.get("title") or document)
        return self.titles[document]

    def entry(self, change: ChangeSummary, record: Mapping[str, Any]) -> FeedEntry:
        recorded = from_stamp(change.timestamp)
        effective = None
        if change.document not in self.stamps:
            self.stamps[change.document] = set(self.archive.version_stamps(change.document))
        if change.to_version in self.stamps[change.document]:
            from tracker.extract.effective_date import effective_date

            version = self.archive.read_version(change.document, change.to_version)
            captured = version.meta.get("captured_at")
            if captured:
                recorded = from_iso(str(captured))
            effective = effective_date(version.text)
        return FeedEntry(
            change=change,
            title=self.title(change.document),
            recorded=recorded,
            effective=effective,
            rank=rank_of(record.get("rank")),
            highlights=highlights(record),
        )


def feed_files(
    archive: Archive, *, base_url: str | None, length: int = FEED_LENGTH
) -> dict[str, bytes]:
    """Every feed of the archive: path relative to the site's root → Atom bytes.

    Reads the change records once; reads a version (capture time, effective date) only for
    the changes some feed shows. ``base_url`` (``https://example.org/policy``) makes links
    absolute; without it they are relative to each feed, for a site opened from disk.
    """
    records: dict[tuple[str, str], dict[str, Any]] = {}
    changes = []
    for document, stamp, record in change_records(archive):
        records[(stamp, document)] = record
        changes.append(summarise(document, stamp, record))
    reader = _Reader(archive)
    feeds = plan_feeds(changes, {c.document: reader.title(c.document) for c in changes})
    shown = {(c.timestamp, c.document): c for feed in feeds for c in feed.latest(length)}
    entries = {key: reader.entry(change, records[key]) for key, change in sorted(shown.items())}
    newest = max((e.recorded for e in entries.values()), default=EPOCH)
    return {
        feed.path: render_feed(
            feed,
            [entries[(c.timestamp, c.document)] for c in feed.latest(length)],
            base_url=base_url,
            length=length,
            empty_updated=newest,
        )
        for feed in feeds
    }
