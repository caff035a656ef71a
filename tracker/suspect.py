"""Is a capture too damaged to record on one fetch's word? (pure)

A partial outage that drops half the page's paragraphs, or a body cut short with no
``Content-Length`` to tell, extracts cleanly into a shorter text: recorded as is, it would be a
"substantive change" with hundreds of removed clauses, alerted to every channel. Such a capture
is *suspect*: the pipeline holds it, fetches the page again, and records it only when the second
fetch gives the same text (see :mod:`tracker.pipeline`).

Two signs, each configurable under ``[suspect]`` in ``config/tracker.toml``:

- ``unterminated``: an HTML body with no closing ``</html>`` (the end of the page never came);
- ``shrunk``: the text lost more than ``clause_loss`` of the latest version's clauses, or of its
  characters, at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLOSING_HTML = re.compile(rb"</html\s*>", re.IGNORECASE)
#: Below this many clauses the latest version is too short to judge a loss by.
MIN_CLAUSES = 8


@dataclass(frozen=True, slots=True)
class SuspectSettings:
    """``[suspect]`` in tracker.toml.

    Attributes:
        clause_loss: a capture losing more than this share (0-1) of the latest version's
            clauses or characters is held; 1 turns the check off.
        unterminated_html: hold an HTML capture without ``</html>``.
        confirm: fetch a held capture again and record it only if the second fetch agrees;
            false records suspect captures at once (with the suspicion in ``checks.csv``).
    """

    clause_loss: float = 0.4
    unterminated_html: bool = True
    confirm: bool = True


@dataclass(frozen=True, slots=True)
class Suspicion:
    """Why a capture is held: ``cause`` for ``checks.csv``, ``detail`` for people."""

    cause: str
    detail: str


def suspicion(
    body: bytes,
    media_type: str,
    text: str,
    previous_text: str | None,
    settings: SuspectSettings,
) -> Suspicion | None:
    """The reason to hold this capture, or None when nothing looks wrong."""
    html = media_type in {"text/html", "application/xhtml+xml", ""}
    if settings.unterminated_html and html and body and not _CLOSING_HTML.search(body):
        return Suspicion(
            "suspect-unterminated",
            f"the HTML ends without </html> after {len(body):,} bytes (cut short?)",
        )
    if previous_text is None or settings.clause_loss >= 1:
        return None
    from tracker.compare.clauses import split_clauses  # only when a version differs: a light start

    before = len(split_clauses(previous_text))
    if before < MIN_CLAUSES:
        return None
    after = len(split_clauses(text))
    clause_loss = 1 - after / before
    char_loss = 1 - len(text) / max(1, len(previous_text))
    loss = max(clause_loss, char_loss)
    if loss > settings.clause_loss:
        return Suspicion(
            "suspect-shrunk",
            f"{before} → {after} clauses, {len(previous_text):,} → {len(text):,} characters "
            f"({loss:.0%} lost at once; the limit is {settings.clause_loss:.0%})",
        )
    return None
