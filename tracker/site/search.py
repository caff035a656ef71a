"""Full-text search over every version: a static index and a small script (the site's only one).

The index holds each document's paragraphs as a reader sees them (link targets and emphasis
dropped, :func:`tracker.render.display_text`), each once with the versions that hold it (as
runs of version numbers: consecutive versions share most paragraphs, so the index stays a
fraction of the texts). It is a script (``window.TRACKER_SEARCH = {...}``), not JSON: a page
opened from ``file://`` cannot ``fetch()`` a file, but it can load a script.

The script folds case, accents, typographic quotes and dashes and white space, finds the
phrase within one paragraph, and says, per document, in how many versions it is, the first and
the last, and whether the latest still holds it (as ``tracker search`` does), with excerpts
linking to the version pages. It builds the results with ``textContent`` only: page text never
becomes markup. Without JavaScript the page says to use ``tracker search``.
"""

from __future__ import annotations

import json
import re
from html import escape
from importlib import resources
from typing import Any

from tracker.render import SECTION_SEPARATOR, display_text
from tracker.site.collect import SiteData
from tracker.site.frame import localised, page
from tracker.site.words import prose, word

INDEX_PATH = "assets/search-index.js"
SCRIPT_PATH = "assets/search.js"

_BLOCKS = re.compile(r"\n[ \t]*\n")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_SPACE = re.compile(r"\s+")


def _paragraphs(text: str) -> list[tuple[str, str]]:
    """(section, paragraph as shown) of each non-empty block of a version's Markdown."""
    headings: list[str] = []
    found = []
    for block in _BLOCKS.split(text):
        source = block.strip()
        if not source:
            continue
        level, title = 0, ""
        atx = _HEADING.match(source) if source.startswith("#") else None
        if atx is not None:
            level, title = len(atx.group(1)), atx.group(2)
        else:
            first, _, rule = source.partition("\n")
            if rule and "\n" not in rule and _SETEXT.match(rule.strip()):
                level, title = (1 if rule.strip()[0] == "=" else 2), first
        if level:
            del headings[level - 1 :]
            headings += [""] * (level - 1 - len(headings))
            headings.append(_SPACE.sub(" ", display_text(title)).strip())
        shown = headings[-1] if level else _SPACE.sub(" ", display_text(_SPACE.sub(" ", source)))
        shown = shown.strip()
        if shown:
            found.append((SECTION_SEPARATOR.join(h for h in headings if h), shown))
    return found


def _runs(numbers: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return runs


def search_index(data: SiteData) -> dict[str, Any]:
    """The index: per document, its versions and its distinct paragraphs with their versions."""
    documents = []
    for doc in data.documents:
        held: dict[tuple[str, str], list[int]] = {}
        for number, version in enumerate(doc.versions):
            for key in dict.fromkeys(_paragraphs(version.text)):
                held.setdefault(key, []).append(number)
        documents.append(
            {
                "id": doc.id,
                "title": doc.title,
                "versions": [v.stamp for v in doc.versions],
                "paragraphs": [
                    [text, section, _runs(nums)] for (section, text), nums in held.items()
                ],
            }
        )
    return {"documents": documents}


def index_script(data: SiteData) -> str:
    """``assets/search-index.js``."""
    payload = json.dumps(search_index(data), ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"window.TRACKER_SEARCH = {payload};\n"


def search_page(language: str, *, base_url: str | None = None) -> tuple[str, str]:
    """(site path, HTML) of the search page in ``language``."""
    path = localised(language, "search.html")
    texts = {
        "found": word(language, "found_in"),
        "first": word(language, "first"),
        "last": word(language, "last"),
        "gone": word(language, "gone_from"),
        "latest": word(language, "still_latest"),
        "none": word(language, "no_result"),
        "results": word(language, "results"),
    }
    attributes = " ".join(
        f'data-{key}="{escape(value, quote=True)}"' for key, value in texts.items()
    )
    body = (
        f"<h1>{escape(word(language, 'search_title'))}</h1>"
        f'<form class="search" action="search.html" method="get" role="search">'
        f'<label for="q">{escape(word(language, "search_label"))}</label>'
        f'<input id="q" name="q" type="search" required autocomplete="off">'
        f'<button type="submit">{escape(word(language, "search_button"))}</button></form>'
        f'<p class="note">{prose(language, "search_note")}</p>'
        f"<noscript><p>{prose(language, 'noscript')}</p></noscript>"
        f'<div id="results" aria-live="polite" data-pages="" {attributes}></div>'
    )
    html = page(
        language=language,
        path=path,
        title=word(language, "search"),
        body=body,
        base_url=base_url,
        scripts=(INDEX_PATH, SCRIPT_PATH),
    )
    return path, html


def script() -> str:
    """``assets/search.js`` (kept as ``search.js`` beside this module)."""
    return resources.files(__package__).joinpath("search.js").read_text(encoding="utf-8")
