"""Every link of a built site, checked: relative targets exist, fragments name an element."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        for name in ("href", "src", "action"):
            if values.get(name) is not None:
                self.links.append(str(values[name]))


def parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def broken_links(site: Path) -> list[str]:
    """Each internal link of every page that does not resolve, as ``page: link (why)``."""
    parsed = {p: parse(p) for p in site.rglob("*.html") if "/raw/" not in p.as_posix()}
    problems = []
    for page, found in parsed.items():
        for link in found.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            if parts.scheme or parts.netloc or link.startswith("/"):
                problems.append(f"{page}: {link} (not relative)")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file():
                problems.append(f"{page.relative_to(site)}: {link} (no such file)")
                continue
            if site.resolve() not in target.parents:
                problems.append(f"{page.relative_to(site)}: {link} (outside the site)")
                continue
            fragment = parts.fragment
            if fragment and not fragment.startswith(":~:") and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if fragment not in ids:
                    problems.append(f"{page.relative_to(site)}: {link} (no #{fragment})")
    return problems
