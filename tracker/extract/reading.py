"""What of a page's bytes the tracker reads: a digest that ignores the rest.

Pages carry values that change at every request without changing the document: LinkedIn's
legal pages put a call-tree id, a browser id and a page instance in ``data-*`` attributes,
its help pages number their collapsible sections with the time of the request
(``aria-controls="section-1746635539134-32"``), and asset addresses change with each
deployment (``<link rel="stylesheet" href="…/sc/h/bnsgbc8…">``). Two answers that differ only
there are read the same: same verdict of the block-page assessment, same extracted text.

:func:`reading_digest` hashes the bytes with the values of the attributes that nothing reads
left out, so that the pipeline can take such an answer for the latest version without parsing
it (:func:`tracker.pipeline._known_text`). Everything else is hashed as it is: all text, all
comments, the whole of ``<script>``, ``<style>`` and other raw-text elements, every attribute
in :data:`READ_ATTRIBUTES` (what the extraction, its converters and the block-page assessment
look at; ``tests/test_reading.py`` checks the list against their code) and every attribute a
rule's selector names.

The tokenizer is one regular expression, so the digest costs a few milliseconds where a parse
and an extraction cost tens. It is conservative where the markup is odd: a tag it cannot read
(an unquoted ``<`` in a value, an unclosed quote) is hashed as it is, which only means the
page is parsed. It is never used on its own: the raw bytes, the rules' digest and the headers
that decide the reading are compared too.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Iterable

#: Changes when what the digest leaves out changes: digests stored by an older release are then
#: computed again (:func:`tracker.pipeline._snapshot_reading`).
READING_VERSION = 1

#: Attributes whose values the tracker reads, by name (lower case): the Markdown converters
#: (links, hidden elements, list starts, table spans), the block-page assessment (forms,
#: frames, roles, styles, classes, meta refresh and locale, page language) and the
#: extractor's charset sniffing. ``id`` is apart: only the ids that a selector or a
#: block-page fingerprint names are read (:func:`reading_bytes`).
READ_ATTRIBUTES = frozenset(
    {
        "action",
        "aria-hidden",
        "charset",
        "class",
        "colspan",
        "content",
        "hidden",
        "href",
        "http-equiv",
        "lang",
        "name",
        "property",
        "role",
        "rowspan",
        "src",
        "start",
        "style",
        "type",
        "xml:lang",
    }
)

#: Elements whose content is raw text (not markup) for an HTML parser: hashed whole.
_RAW_TEXT = (
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"noscript",
    b"iframe",
    b"noembed",
    b"noframes",
    b"plaintext",
)
_VALUE_KEPT = rb"""(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+)"""
#: A left-out value: quoted without ``<`` (a quote left open would swallow markup), or bare.
_VALUE_LEFT_OUT = rb"""(?:"[^"<]*"|'[^'<]*'|[^\s"'=<>`]+)"""
_SELECTOR_ATTRIBUTE = re.compile(r"\[\s*([^\s~|^$*!=\]]+)")
_SELECTOR_ID = re.compile(r"#([^\s.#\[\]:>+~,()]+)")


def _alternatives(words: Iterable[str]) -> bytes:
    return rb"|".join(re.escape(w.encode()) for w in sorted(words, key=len, reverse=True))


def _pattern(read: frozenset[str], ids: frozenset[str]) -> re.Pattern[bytes]:
    """The tokenizer, for :meth:`re.Pattern.split`: what it keeps is in its groups, what it
    leaves out is matched outside them (a value after its attribute's name, the attributes of
    a tag after its name). Split keeps the loop in C: a 282 KB page is about 40,000 tokens."""
    raw = rb"|".join(rb"<" + name + rb"\b.*?(?:</" + name + rb"\s*>|\Z)" for name in _RAW_TEXT)
    # `id`: read whole when a selector tests it as an attribute, else only the ids named
    named = _alternatives(ids or {"\0"})
    kept_id = (
        rb"\s+id\s*=\s*" + _VALUE_KEPT
        if "id" in read
        else rb"\s+id\s*=\s*(?:\"(?:"
        + named
        + rb")\"|'(?:"
        + named
        + rb")'|(?:"
        + named
        + rb")(?=[\s/>]))"
    )
    read_attribute = rb"\s+(?:" + _alternatives(read) + rb")\s*=\s*" + _VALUE_KEPT
    return re.compile(
        rb"(>[^<]*"  # a tag's end and the text after it (the commonest token first)
        rb"|</[a-zA-Z][^<>]*>[^<]*"  # an end tag and the text after it
        rb"|<!--.*?(?:-->|\Z)"  # a comment
        rb"|"
        + raw  # a raw-text element, tags and all
        + rb"|<meta\b[^<>]*(?:http-equiv|charset|locale)[^<>]*)"  # a <meta> that is read
        # the attributes of <link> (stylesheets, icons, alternates) and of the other <meta>
        rb"|(<link|<meta)\b[^<>]*"
        # a start tag whose attributes are all read (or have no value), and the text after it
        rb"|(<[a-zA-Z][^\s/>]*(?:" + read_attribute + rb"|\s+[^\s\"'>/=<]+(?!\s*=))*\s*/?>[^<]*"
        rb"|<[a-zA-Z][^\s/>]*"  # else its name, then its attributes one by one
        rb"|\A[^<]+"  # text before the first tag
        rb"|" + read_attribute + rb"|" + kept_id + rb")"
        # the value of any other attribute
        rb"|(\s+[^\s\"'>/=<]+\s*=)\s*" + _VALUE_LEFT_OUT + rb"|(\s+"
        rb"|[^\s\"'>/=<]+"  # a name without a value
        rb"|[\s\S])",  # anything else, one byte at a time
        re.IGNORECASE | re.DOTALL,
    )


@functools.lru_cache(maxsize=32)
def _compiled(attributes: frozenset[str], ids: frozenset[str]) -> re.Pattern[bytes]:
    return _pattern(READ_ATTRIBUTES | attributes, ids)


def selector_attributes(selectors: Iterable[str]) -> frozenset[str] | None:
    """The attribute names the selectors test, or None if they use pseudo-classes.

    A pseudo-class (``:lang()``, ``:checked``, ``:link``…) may read attributes it does not
    name: with one, no value is left out of the digest.
    """
    names: set[str] = set()
    for selector in selectors:
        bare = re.sub(r"\[[^\]]*\]", "", selector)  # attribute tests may hold ':' in values
        if ":" in bare:
            return None
        names.update(name.lower() for name in _SELECTOR_ATTRIBUTE.findall(selector))
    return frozenset(names)


def reading_bytes(body: bytes, selectors: Iterable[str] = ()) -> bytes | None:
    """``body`` with the values of unread attributes left out; None when none can be."""
    selectors = tuple(selectors)
    attributes = selector_attributes(selectors)
    if attributes is None:
        return None
    ids = frozenset(_SELECTOR_ID.findall(" ".join(selectors))) | _fingerprint_ids()
    return b"".join(filter(None, _compiled(attributes, ids).split(body)))


@functools.cache
def _fingerprint_ids() -> frozenset[str]:
    """The ids the block-page fingerprints test (``@id='…'`` in their XPath)."""
    from tracker.fetch.quality import FINGERPRINTS

    return frozenset(
        name for f in FINGERPRINTS for name in re.findall(r"@id\s*=\s*'([^']+)'", f.xpath)
    )


def reading_digest(body: bytes, selectors: Iterable[str] = ()) -> str | None:
    """The SHA-256 of :func:`reading_bytes`, or None when the selectors forbid it.

    The last few digests are remembered by the SHA-256 of the bytes: a concurrent pass
    computes a page's digest in its fetching thread (:func:`tracker.runtime`), while the
    recording thread waits on the disk, and the recording finds it done.
    """
    selectors = tuple(selectors)
    key = (hashlib.sha256(body).digest(), selectors)
    with _RECENT_LOCK:
        if key in _RECENT:
            return _RECENT[key]
    kept = reading_bytes(body, selectors)
    digest = None if kept is None else hashlib.sha256(kept).hexdigest()
    with _RECENT_LOCK:
        _RECENT[key] = digest
        while len(_RECENT) > _RECENT_SIZE:
            del _RECENT[next(iter(_RECENT))]
    return digest


_RECENT_SIZE = 64
_RECENT: dict[tuple[bytes, tuple[str, ...]], str | None] = {}
_RECENT_LOCK = threading.Lock()
