"""The frame every page of the site shares: head, navigation, language switch, footer.

Every link is relative (:func:`relative`), so the site works from any folder of any static host
and from ``file://``. Page text is escaped by the callers; the frame escapes what it is given.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from tracker.site.words import word

#: The site's stylesheet, ``assets/site.css``.
CSS_PATH = "assets/site.css"

#: No script but ours, no plug-in, no framing of ours by others; inline styles only for the
#: per-page filter rules.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; object-src 'none'; base-uri 'none'; form-action 'self'"
)

CSS = """
* { box-sizing: border-box; }
:root { --muted: #4d5761; --line: #d0d7de; --bg2: #f6f8fa; --sub: #8c1c13; --minor: #7a5200;
        --link: #0550ae; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24;
       max-width: 72rem; margin: 0 auto; padding: 0 1rem 2rem; overflow-wrap: anywhere; }
a { color: var(--link); }
a:focus-visible, input:focus-visible, button:focus-visible { outline: 3px solid #0969da;
       outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: .5rem;
       background: #fff; padding: .25rem .5rem; }
header.site { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: baseline;
       border-bottom: 1px solid var(--line); padding: .75rem 0; margin-bottom: 1rem; }
header.site .name { font-weight: 700; margin-right: auto; color: inherit; text-decoration: none; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
.meta, .note { color: var(--muted); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       font-size: .9em; white-space: pre-wrap; overflow-wrap: anywhere; }
.scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem;
       border-top: 1px solid var(--line); }
thead th { border-top: 0; font-size: .85rem; color: var(--muted); }
.sig { font-weight: 700; }
.sig.substantive { color: var(--sub); } .sig.minor { color: var(--minor); }
.sig.cosmetic, .sig.none { color: var(--muted); font-weight: 400; }
.chip { display: inline-block; background: #eef1f4; border-radius: 4px; padding: 0 .35rem;
       margin: 0 .25rem .15rem 0; font-size: .85rem; }
.chip.gained { background: #d7f5dd; color: #0b5d1e; }
.chip.lost { background: #fde2e1; color: #8c1c13; text-decoration: line-through; }
.filters { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px;
       padding: .5rem .75rem; }
.filters a { display: inline-block; margin: .15rem .5rem .15rem 0; }
.anchor { display: block; height: 0; overflow: hidden; scroll-margin-top: 0; }
ol.timeline { list-style: none; padding: 0; margin: 1rem 0; }
ol.timeline > li { border-left: 3px solid var(--line); padding: .35rem 0 .6rem .9rem;
       margin: 0; }
ol.timeline > li.substantive { border-left-color: var(--sub); }
ol.timeline > li.minor { border-left-color: #d4a72c; }
ol.timeline > li.inaccessible { border-left-style: dashed; }
.when { font-weight: 600; }
.links a { margin-right: .75rem; }
dl.evidence { display: grid; grid-template-columns: minmax(8rem, max-content) minmax(0, 1fr);
       gap: .25rem 1rem; }
dl.evidence dt { color: var(--muted); } dl.evidence dd { margin: 0; min-width: 0; }
.text { border-top: 1px solid var(--line); margin-top: 1rem; }
.text p, .text li { max-width: 48rem; }
.text table { width: auto; }
.hit { border-top: 1px solid var(--line); padding: .5rem 0; }
.hit mark { background: #fff3b0; }
form.search { display: flex; flex-wrap: wrap; gap: .5rem; }
form.search input { font: inherit; padding: .35rem .5rem; flex: 1 1 14rem; min-width: 0; }
form.search button { font: inherit; padding: .35rem .9rem; }
footer.site { margin-top: 3rem; border-top: 1px solid var(--line); padding-top: .75rem;
       color: var(--muted); font-size: .85rem; }
@media (max-width: 40rem) {
  dl.evidence { grid-template-columns: minmax(0, 1fr); } dl.evidence dd { margin-bottom: .4rem; }
  .hide-narrow { display: none; }
}
@media print { header.site, .filters, footer.site form { display: none; } }
"""


def relative(from_page: str, to_path: str) -> str:
    """The relative link from the page at ``from_page`` to ``to_path`` (both site-relative)."""
    start = posixpath.dirname(from_page) or "."
    return posixpath.relpath(to_path, start)


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
    head_note: str = "",
) -> str:
    """A complete HTML page at site path ``path`` (``body`` is HTML, already escaped).

    ``translated``: the page exists in the other language too (the switch links to it).
    """
    link = lambda target: escape(relative(path, target), quote=True)  # noqa: E731
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
                f'<link rel="alternate" hreflang="{lang}" '
                f'href="{link(localised(lang, english))}">'
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
        f'<a href="{link(localised(language, "search.html"))}">'
        f"{escape(word(language, 'search'))}</a>{switch}</header>"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n'
        + "\n".join(head)
        + f"\n</head>\n<body>\n{nav}\n<main id=\"main\">\n{body}\n</main>\n"
        f'<footer class="site">{escape(word(language, "generated"))} {head_note}</footer>\n'
        "</body>\n</html>\n"
    )
