"""``tracker site``: build the static site from the archive, rewriting only what changed.

:func:`site_files` (pure apart from reading the archive) produces every file of the site;
:func:`build_site` writes those whose bytes differ from what is on disk (temporary file, then
rename), leaves the others untouched, and removes the files an earlier build wrote that this
one no longer produces. The files a build wrote are listed in ``.tracker-site.json`` in the
output folder: anything else there (a ``CNAME``, a ``.git``) is never touched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tracker.archive.store import Archive
from tracker.errors import ArchiveError, ConfigError
from tracker.site.collect import SiteData, collect
from tracker.site.compare import compare_marker, compare_pairs, engine_digest, render_compare
from tracker.site.frame import CSS_PATH, stylesheet
from tracker.site.pages import changes_html, document_html, home_page, version_html
from tracker.site.paths import change_page, compare_page, raw_copy, version_markdown
from tracker.site.search import INDEX_PATH, SCRIPT_PATH, index_script, script, search_page
from tracker.site.words import LANGUAGES

#: The list of files the last build wrote, in the output folder.
MANIFEST = ".tracker-site.json"


@dataclass(frozen=True, slots=True)
class SiteReport:
    """What a build did.

    Attributes:
        written: site-relative paths of the files written (new or changed), sorted.
        unchanged: how many files already held the right bytes (left untouched).
        removed: files of an earlier build no longer produced, deleted, sorted.
    """

    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]

    @property
    def files(self) -> int:
        """How many files the site has."""
        return len(self.written) + self.unchanged


def normal_base_url(base_url: str | None) -> str | None:
    """The base URL ending with ``/``; ConfigError unless it is an http(s) URL."""
    if not base_url:
        return None
    if not base_url.startswith(("https://", "http://")) or any(c in base_url for c in "\"'<> "):
        raise ConfigError(f"--base-url {base_url!r}: expected an http(s) URL, e.g. https://x.org/")
    return base_url if base_url.endswith("/") else base_url + "/"


def pages(
    data: SiteData, *, feeds: frozenset[str], base_url: str | None
) -> Iterator[tuple[str, str]]:
    """(site path, HTML or text) of every generated file but the compare pages and the archive
    copies (see :func:`build_site`): pure."""
    yield CSS_PATH, stylesheet()
    yield SCRIPT_PATH, script()
    yield INDEX_PATH, index_script(data)
    for language in LANGUAGES:
        yield home_page(data, language, feeds=feeds, base_url=base_url)
        yield search_page(language, base_url=base_url)
        yield changes_html(data, language, base_url=base_url)
        for doc in data.documents:
            yield document_html(data, doc, language, feeds=feeds, base_url=base_url)
            compared = frozenset(older for older, _ in compare_pairs(doc))
            for index in range(len(doc.versions)):
                yield version_html(data, doc, index, language, base_url=base_url, compared=compared)


def _copies(archive: Archive, data: SiteData) -> Iterator[tuple[str, Path]]:
    """(site path, archive file) of the archive files the site serves as they are."""
    for doc in data.documents:
        folder = archive.folder(doc.id)
        for version in doc.versions:
            yield (
                version_markdown(doc.id, version.stamp),
                archive.version_path(doc.id, version.stamp),
            )
            if version.snapshot:
                yield raw_copy(doc.id, version.snapshot), folder / version.snapshot
                meta = version.snapshot.rsplit(".", 1)[0] + ".json"
                if (folder / meta).is_file():
                    yield f"{doc.id}/{meta}", folder / meta
        for stamp in sorted(doc.change_pages):
            yield change_page(doc.id, stamp), folder / "changes" / f"{stamp}.html"


def _safe(relative: str) -> str:
    """A site path that stays inside the output folder; ValueError otherwise."""
    parts = relative.split("/")
    if not relative or relative.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a site path: {relative!r}")
    return relative


#: The site's own files outside the documents' folders.
_TOP = frozenset({"index.html", "search.html", "changes.html", MANIFEST})


def _reserved(relative: str, data: SiteData) -> bool:
    """Whether a path is the site's own: a top-level page, ``assets/``, ``fr/``, or under a
    document's folder (checked before anything is written)."""
    if relative in _TOP or relative.startswith(("assets/", "fr/")):
        return True
    return any(relative.startswith(f"{doc.id}/") for doc in data.documents)


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
    tmp.write_bytes(data)
    tmp.replace(target)


def _same(target: Path, data: bytes) -> bool:
    try:
        if target.stat().st_size != len(data):
            return False
        return target.read_bytes() == data
    except FileNotFoundError:
        return False


def _marked(target: Path, marker: bytes) -> bool:
    """Whether the file's second line is ``marker`` (a compare page rendered from the same
    texts by the same code)."""
    try:
        with target.open("rb") as handle:
            handle.readline()
            return handle.readline().rstrip(b"\n") == marker
    except FileNotFoundError:
        return False


def _previous(output: Path) -> set[str]:
    try:
        listed = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{output / MANIFEST}: unreadable list of the site's files ({exc})"
        ) from exc
    return {str(p) for p in listed.get("files", [])}


def build_site(
    archive: Archive,
    output: Path,
    *,
    base_url: str | None = None,
    extra_files: Mapping[str, bytes] = {},
) -> SiteReport:
    """Build the site of ``archive`` into ``output``; only changed files are rewritten.

    ``extra_files`` (site path → bytes, e.g. the Atom feeds) are written by the same rule and
    linked from the pages when they are feeds. ConfigError for an output folder inside the
    archive or a bad base URL; ArchiveError when the archive cannot be read.
    """
    base = normal_base_url(base_url)
    root = archive.root.resolve()
    out = output.resolve()
    if out == root or root in out.parents:
        raise ConfigError(f"{output}: the site cannot be built inside the archive ({archive.root})")
    data = collect(archive)
    extras = {_safe(p): bytes(b) for p, b in extra_files.items()}
    for relative in extras:
        if _reserved(relative, data):
            raise ConfigError(f"extra file {relative} would replace a file of the site")
    feeds = frozenset(p for p in extras if p.startswith("feeds/") and p.endswith(".atom"))
    previous = _previous(out)
    written: list[str] = []
    produced: set[str] = set()
    unchanged = 0

    def put(relative: str, content: bytes) -> None:
        nonlocal unchanged
        if relative in produced:
            raise ValueError(f"two files of the site at {relative}")
        produced.add(relative)
        target = out / relative
        if _same(target, content):
            unchanged += 1
        else:
            _write(target, content)
            written.append(relative)

    for relative, text in pages(data, feeds=feeds, base_url=base):
        put(_safe(relative), text.encode("utf-8"))
    engine = engine_digest()
    for doc in data.documents:
        for older, newer in compare_pairs(doc):
            relative = compare_page(doc.id, older, newer)
            marker = compare_marker(doc, older, newer, engine).encode("utf-8")
            if _marked(out / relative, marker) and relative in previous:
                produced.add(relative)
                unchanged += 1
                continue
            put(relative, render_compare(doc, older, newer, engine).encode("utf-8"))
    for relative, source in _copies(archive, data):
        try:
            content = source.read_bytes()
        except OSError as exc:
            raise ArchiveError(f"cannot read {source}: {exc.strerror or exc}") from exc
        put(_safe(relative), content)
    for relative, content in sorted(extras.items()):
        put(relative, content)
    removed = sorted(previous - produced)
    for relative in removed:
        _remove(out, relative)
    listing = json.dumps({"files": sorted(produced)}, indent=0).encode("utf-8")
    if not _same(out / MANIFEST, listing):
        _write(out / MANIFEST, listing)
    return SiteReport(tuple(sorted(written)), unchanged, tuple(removed))


def _remove(out: Path, relative: str) -> None:
    """Delete a file of an earlier build, and the folders it leaves empty."""
    target = out / _safe(relative)
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != out and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
