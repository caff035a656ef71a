"""The frame every page of the site shares: head, navigation, language switch, footer.

Every link is relative (:func:`relative`), so the site works from any folder of any static host
and from ``file://``. Page text is escaped by the callers; the frame escapes what it is given.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources
from urllib.parse import quote

from tracker.site.words import word

#: The site's stylesheet, ``assets/site.css``.
CSS_PATH = "assets/site.css"

#: No script but ours, no plug-in, no framing of ours by others; inline styles only for the
#: per-page filter rules.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; object-src 'none'; base-uri 'none'; form-action 'self'"
)


def stylesheet() -> str:
    """``assets/site.css`` (kept as ``site.css`` beside this module)."""
    return resources.files(__package__).joinpath("site.css").read_text(encoding="utf-8")


def relative(from_page: str, to_path: str) -> str:
    """The relative link from the page at ``from_page`` to ``to_path`` (both site-relative),
    percent-encoded (a ``#``, ``?`` or space in a path stays part of the path)."""
    start = posixpath.dirname(from_page) or "."
    return quote(posixpath.relpath(to_path, start), safe="/")


def localised(language: str, path: str) -> str:
    """The site path of ``path``'s page in ``language`` (French pages live under ``fr/``)."""
    return f"fr/{path}" if language == "fr" else path


def unlocalised(path: str) -> str:
    """The English path of a page path (strips ``fr/``)."""
    return path[3:] if path.startswith("fr/") else path


@dataclass(frozen=True, slots=True)
class Alternate:
    """A ``<link rel="alternate">`` of a page (an Atom feed)."""

    path: str
    title: str
    type: str = "application/atom+xml"


def page(
    *,
    language: str,
    path: str,
    title: str,
    body: str,
    base_url: str | None = None,
    alternates: Sequence[Alternate] = (),
    style: str = "",
    scripts: Sequence[str] = (),
    translated: bool = True,
) -> str:
    """A complete HTML page at site path ``path`` (``body`` is HTML, already escaped).

    ``translated``: the page exists in the other language too (the switch links to it).
    """

    def link(target: str) -> str:
        return escape(relative(path, target), quote=True)

    other = "en" if language == "fr" else "fr"
    english = unlocalised(path)
    switch = (
        f'<a href="{link(localised(other, english))}" lang="{other}" '
        f'hreflang="{other}">{escape(word(language, "language"))}</a>'
        if translated
        else ""
    )
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{escape(title)} · {escape(word(language, 'site'))}</title>",
        f'<link rel="stylesheet" href="{link(CSS_PATH)}">',
    ]
    if base_url:
        head.append(f'<link rel="canonical" href="{escape(base_url + path, quote=True)}">')
    if translated:
        for lang in ("en", "fr"):
            head.append(
                f'<link rel="alternate" hreflang="{lang}" href="{link(localised(lang, english))}">'
            )
    head += [
        f'<link rel="alternate" type="{escape(a.type, quote=True)}" '
        f'title="{escape(a.title, quote=True)}" href="{link(a.path)}">'
        for a in alternates
    ]
    if style:
        head.append(f"<style>{style}</style>")
    head += [f'<script src="{link(s)}" defer></script>' for s in scripts]
    nav = (
        f'<a class="skip" href="#main">{escape(word(language, "skip"))}</a>'
        f'<header class="site"><a class="name" href="{link(localised(language, "index.html"))}">'
        f"{escape(word(language, 'site'))}</a>"
        f'<a href="{link(localised(language, "index.html"))}">{escape(word(language, "home"))}</a>'
        f'<a href="{link(localised(language, "changes.html"))}">'
        f"{escape(word(language, 'all_changes'))}</a>"
        f'<a href="{link(localised(language, "search.html"))}">'
        f"{escape(word(language, 'search'))}</a>{switch}</header>"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n'
        + "\n".join(head)
        + f'\n</head>\n<body>\n{nav}\n<main id="main">\n{body}\n</main>\n'
        f'<footer class="site">{escape(word(language, "generated"))}</footer>\n'
        "</body>\n</html>\n"
    )
