"""The home, document and version pages, in English and French (pure: values in, HTML out).

The timeline of a document is filtered without JavaScript (ADR 0018): each filter is a link to
an empty anchor (``#only-substantive``, ``#only-l-consent``), and a rule of the page's own
style hides the other entries while that anchor is the target
(``body:has(#only-substantive:target) li:not(.substantive)``). A browser without ``:has()``
shows the whole timeline, which stays correct.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Iterable, Sequence
from html import escape

from tracker.classify.taxonomy import Group, Label
from tracker.query.changes import ChangeSummary
from tracker.site.collect import DocumentInfo, SiteData, Spell, VersionInfo
from tracker.site.compare import compare_pairs
from tracker.site.frame import Alternate, localised, page, relative
from tracker.site.paths import (
    change_page,
    compare_page,
    document_page,
    feed,
    raw_copy,
    shown_time,
    stamp_iso,
    version_markdown,
    version_page,
)
from tracker.site.text import markdown_html
from tracker.site.words import prose, word

_SIGNIFICANCE = ("substantive", "minor", "cosmetic")
_KINDS_FR = {
    "modified": "modifiée(s)",
    "added": "ajoutée(s)",
    "removed": "supprimée(s)",
    "moved": "déplacée(s)",
    "split": "scindée(s)",
    "merged": "fusionnée(s)",
}
#: How many changes the home page lists under "Recent changes".
RECENT = 15


def _class(label: str) -> str:
    """A label as a CSS class and id part (labels are ``[a-z_]``; anything else is dropped)."""
    return "l-" + re.sub(r"[^a-z0-9_-]", "", label.lower())


def _groups(labels: Iterable[str]) -> list[str]:
    """The taxonomy groups of ``labels`` (``legal_basis``...), in the taxonomy's order."""
    found = set()
    for label in labels:
        with contextlib.suppress(ValueError):
            found.add(Label(label).group)
    return [group.value for group in Group if group in found]


def _classes(change: ChangeSummary) -> list[str]:
    """The CSS classes of a change's timeline entry: significance, labels, label groups."""
    return [
        change.significance if change.significance in _SIGNIFICANCE else "none",
        *(_class(label) for label in change.touched),
        *(f"g-{group}" for group in _groups(change.touched)),
    ]


def _a(href: str, text: str, *, extra: str = "") -> str:
    return f'<a href="{escape(href, quote=True)}"{extra}>{escape(text)}</a>'


def _sig(language: str, significance: str) -> str:
    name = significance if significance in _SIGNIFICANCE else "none"
    text = word(language, name) if name != "none" else significance
    return f'<span class="sig {name}">{escape(text)}</span>'


def _counts(language: str, change: ChangeSummary) -> str:
    parts = [
        f"{n} {_KINDS_FR.get(kind, kind) if language == 'fr' else kind}"
        for kind, n in change.clauses
    ]
    return ", ".join(parts)


def _chips(change: ChangeSummary) -> str:
    gained, lost = set(change.gained), set(change.lost)
    chips = [f'<code class="chip gained">+{escape(x)}</code>' for x in change.gained]
    chips += [f'<code class="chip lost">-{escape(x)}</code>' for x in change.lost]
    chips += [
        f'<code class="chip">{escape(x)}</code>'
        for x in change.touched
        if x not in gained and x not in lost
    ]
    return "".join(chips)


def _feed_links(
    language: str, path: str, feeds: Collection[str], wanted: Sequence[tuple[str, str]]
) -> tuple[list[Alternate], str]:
    """The feeds among ``wanted`` ((feed path, title)) that the build has: alternates and a list."""
    present = [(p, t) for p, t in wanted if p in feeds]
    if not present:
        return [], ""
    items = "".join(f"<li>{_a(relative(path, p), t)}</li>" for p, t in present)
    block = f"<section><h2>{escape(word(language, 'feeds'))}</h2><ul>{items}</ul></section>"
    return [Alternate(p, t) for p, t in present], block


def _chain_block(language: str, data: SiteData) -> str:
    """The archive's chain head at this build, on the home page only (it changes with every
    record: on every page, it would rewrite the whole site after each one)."""
    if not data.archive_head:
        return ""
    return (
        f'<section><h2 id="chain">{escape(word(language, "chain_head"))}</h2>'
        f"<p><code>{escape(data.archive_head)}</code></p>"
        f'<p class="note">{prose(language, "chain_note")}</p></section>'
    )


# ---------------------------------------------------------------------------------------- home
def home_page(
    data: SiteData, language: str, *, feeds: Collection[str] = (), base_url: str | None = None
) -> tuple[str, str]:
    """(site path, HTML) of the home page: every document with its latest change."""
    path = localised(language, "index.html")
    rows = []
    for doc in data.documents:
        latest = doc.latest_change
        if not doc.versions:
            change = f'<span class="note">{escape(_never(language, doc))}</span>'
        elif latest is None:
            change = f'<span class="note">{escape(word(language, "no_change"))}</span>'
        else:
            when = _a(
                relative(path, change_page(doc.id, latest.timestamp)), shown_time(latest.timestamp)
            )
            change = (
                f"{when} {_sig(language, latest.significance)}<br>"
                f'<span class="note">{escape(_counts(language, latest))}</span> {_chips(latest)}'
            )
        newest = doc.versions[-1].stamp if doc.versions else ""
        version = (
            _a(
                relative(path, localised(language, version_page(doc.id, newest))),
                shown_time(newest),
            )
            if newest
            else "—"
        )
        rows.append(
            "<tr>"
            f"<td>{_a(relative(path, localised(language, document_page(doc.id))), doc.title)}"
            f'<br><code class="note">{escape(doc.id)}</code></td>'
            f'<td class="hide-narrow">{len(doc.versions)}</td>'
            f'<td class="nowrap">{version}</td>'
            f"<td>{change}</td></tr>"
        )
    table = (
        '<div class="scroll"><table class="documents"><thead><tr>'
        f"<th>{escape(word(language, 'document'))}</th>"
        f'<th class="hide-narrow">{escape(word(language, "versions"))}</th>'
        f"<th>{escape(word(language, 'latest_version'))}</th>"
        f"<th>{escape(word(language, 'latest_change'))}</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
    recent = sorted(
        ((c.timestamp, doc, c) for doc in data.documents for c in doc.changes.values()),
        key=lambda item: (item[0], item[1].id),
        reverse=True,
    )[:RECENT]
    recent_items = "".join(
        f"<li>{_a(relative(path, change_page(doc.id, c.timestamp)), shown_time(c.timestamp))} "
        f"{escape(doc.title)} {_sig(language, c.significance)} {_chips(c)}</li>"
        for _, doc, c in recent
    )
    wanted = [
        (feed("all"), word(language, "feed_all")),
        (feed("substantive"), word(language, "feed_substantive")),
    ]
    platforms = sorted({doc.platform for doc in data.documents})
    wanted += [(feed("platform", p), f"{word(language, 'feed_platform')}: {p}") for p in platforms]
    wanted += [
        (p, f"{word(language, 'feed_label')}: {p.rsplit('/', 1)[-1].removesuffix('.atom')}")
        for p in sorted(feeds)
        if p.startswith("feeds/label/")
    ]
    alternates, feed_block = _feed_links(language, path, feeds, wanted)
    body = (
        f"<h1>{escape(word(language, 'site'))}</h1>"
        f'<p class="note">{escape(word(language, "intro"))}</p>'
        f"<h2>{escape(word(language, 'documents'))}</h2>{table}"
        + (
            f"<h2>{escape(word(language, 'recent'))}</h2><ul>{recent_items}</ul>"
            + (
                f'<p class="note">{escape(word(language, "changes_en"))}</p>'
                if language == "fr"
                else ""
            )
            if recent_items
            else ""
        )
        + feed_block
        + _chain_block(language, data)
    )
    html = page(
        language=language,
        path=path,
        title=word(language, "home"),
        body=body,
        base_url=base_url,
        alternates=alternates,
    )
    return path, html


# ------------------------------------------------------------------------------------ document
def _never(language: str, doc: DocumentInfo) -> str:
    """What the home page says of a document never captured: its inaccessible checks."""
    checks = sum(spell.checks for spell in doc.spells)
    causes = ", ".join(dict.fromkeys(c for spell in doc.spells for c in spell.causes))
    return (
        f"{word(language, 'no_version')}: {word(language, 'inaccessible')} "
        f"({checks} {word(language, 'checks')}{': ' + causes if causes else ''})"
    )


def _latest_line(language: str, path: str, doc: DocumentInfo) -> str:
    if not doc.versions:
        return f"<p>{escape(_never(language, doc))}</p>"
    latest = doc.versions[-1].stamp
    link = _a(relative(path, localised(language, version_page(doc.id, latest))), shown_time(latest))
    return (
        f"<p>{escape(word(language, 'latest_version'))}: {link}"
        f" · {len(doc.versions)} {escape(word(language, 'versions').lower())}</p>"
    )


def _version_entry(
    language: str, path: str, doc: DocumentInfo, index: int, compared: frozenset[str]
) -> str:
    version = doc.versions[index]
    change = doc.changes.get(version.stamp)
    classes = ["version"]
    if index == 0:
        what = word(language, "first_record")
    elif version.technical_upgrade:
        what = word(language, "technical_upgrade")
    else:
        what = word(language, "new_version")
    if version.flip_back_of:
        what += f" ({word(language, 'flip_back')} {version.flip_back_of})"
    detail = ""
    links = [
        _a(
            relative(path, localised(language, version_page(doc.id, version.stamp))),
            word(language, "read_version"),
        )
    ]
    if change is not None:
        classes += _classes(change)
        counted = escape(_counts(language, change))
        detail = f" · {_sig(language, change.significance)} · {counted} {_chips(change)}"
        if version.stamp in doc.change_pages:
            links.append(
                _a(
                    relative(path, change_page(doc.id, version.stamp)),
                    word(language, "change_page"),
                )
            )
    if version.stamp in compared:
        links.append(
            _a(
                relative(path, compare_page(doc.id, version.stamp, doc.versions[-1].stamp)),
                word(language, "compare_latest"),
            )
        )
    when = escape(shown_time(version.stamp))
    return (
        f'<li class="{" ".join(classes)}"><span class="when">{when}</span> · '
        f'{escape(what)}{detail}<br><span class="links">{" ".join(links)}</span></li>'
    )


def _spell_entry(language: str, spell: Spell) -> str:
    span = (
        escape(shown_time(spell.start))
        if spell.start == spell.end
        else f"{escape(shown_time(spell.start))} → {escape(shown_time(spell.end))}"
    )
    causes = ", ".join(spell.causes)
    return (
        f'<li class="inaccessible"><span class="when">{span}</span> · '
        f"{escape(word(language, 'inaccessible'))} "
        f"({spell.checks} {escape(word(language, 'checks'))}"
        f"{': ' + escape(causes) if causes else ''})</li>"
    )


def _filters(language: str, changes: Collection[ChangeSummary]) -> tuple[str, str, str]:
    """(filter bar, anchors, style) of a timeline of ``changes``."""
    levels = [s for s in _SIGNIFICANCE if any(c.significance == s for c in changes)]
    labels = sorted({label for c in changes for label in c.touched})
    targets = [(f"only-{s}", s, word(language, s)) for s in levels]
    groups = [(f"only-g-{g}", f"g-{g}", g) for g in _groups(labels)]
    targets += groups
    targets += [(f"only-{_class(label)}", _class(label), label) for label in labels]
    if not targets:
        return "", "", ""
    anchors = "".join(f'<span class="anchor" id="{t}"></span>' for t, _, _ in targets)
    style = "\n".join(
        f"body:has(#{t}:target) ol.timeline > li:not(.{cls}) {{ display: none; }}\n"
        f'body:has(#{t}:target) .filters a[href="#{t}"] {{ font-weight: 700; }}'
        for t, cls, _ in targets
    )
    sig_links = " ".join(_a(f"#{t}", text) for t, cls, text in targets if cls in _SIGNIFICANCE)
    group_links = " ".join(f'<a href="#{t}"><code>{escape(g)}</code></a>' for t, _, g in groups)
    label_links = " ".join(
        f'<a href="#{t}"><code>{escape(text)}</code></a>'
        for t, cls, text in targets
        if cls not in _SIGNIFICANCE and not cls.startswith("g-")
    )
    bar = (
        f'<nav class="filters" aria-label="{escape(word(language, "filter"), quote=True)}">'
        f"<p><strong>{escape(word(language, 'filter'))}</strong> · "
        f'<a href="#timeline">{escape(word(language, "show_all"))}</a></p>'
        + (f"<p>{escape(word(language, 'significance'))}: {sig_links}</p>" if sig_links else "")
        + (f"<p>{escape(word(language, 'groups'))}: {group_links}</p>" if group_links else "")
        + (f"<p>{escape(word(language, 'labels'))}: {label_links}</p>" if label_links else "")
        + f'<p class="note">{escape(word(language, "filter_note"))}</p></nav>'
    )
    return bar, anchors, style


def document_html(
    data: SiteData,
    doc: DocumentInfo,
    language: str,
    *,
    feeds: Collection[str] = (),
    base_url: str | None = None,
) -> tuple[str, str]:
    """(site path, HTML) of a document's page: its timeline, filters, compare links, feeds."""
    path = localised(language, document_page(doc.id))
    pairs = compare_pairs(doc)
    compared = frozenset(older for older, _ in pairs)
    entries = [
        (stamp_iso(v.stamp), _version_entry(language, path, doc, i, compared))
        for i, v in enumerate(doc.versions)
    ]
    entries += [(spell.start, _spell_entry(language, spell)) for spell in doc.spells]
    entries.sort(key=lambda e: e[0], reverse=True)
    bar, anchors, style = _filters(language, list(doc.changes.values()))
    wanted = [(feed("document", doc.id), word(language, "feed_document"))]
    alternates, feed_block = _feed_links(language, path, feeds, wanted)
    compare_items = "".join(
        "<li>"
        + _a(
            relative(path, compare_page(doc.id, older, newer)),
            f"{shown_time(older)} → {shown_time(newer)}",
        )
        + "</li>"
        for older, newer in reversed(pairs)
    )
    compare_block = (
        f"<h2>{escape(word(language, 'compare'))}</h2>"
        f'<p class="note">{prose(language, "compare_note", doc=doc.id)}</p>'
        + (f"<ul>{compare_items}</ul>" if compare_items else "")
        if len(doc.versions) > 1
        else ""
    )
    source = (
        _a(doc.source_url, doc.source_url, extra=' rel="noopener noreferrer nofollow"')
        if doc.source_url.startswith(("https://", "http://"))
        else escape(doc.source_url)
    )
    body = (
        f"<h1>{escape(doc.title)}</h1>"
        f'<p class="meta"><code>{escape(doc.id)}</code> · '
        f"{escape(word(language, 'source'))}: {source}</p>"
        + _latest_line(language, path, doc)
        + (
            f'<p class="note">{escape(word(language, "changes_en"))}</p>'
            if language == "fr"
            else ""
        )
        + f'<h2 id="timeline">{escape(word(language, "timeline"))}</h2>{bar}{anchors}'
        f'<ol class="timeline">{"".join(html for _, html in entries)}</ol>'
        f"{compare_block}{feed_block}"
    )
    html = page(
        language=language,
        path=path,
        title=doc.title,
        body=body,
        base_url=base_url,
        alternates=alternates,
        style=style,
    )
    return path, html


# --------------------------------------------------------------------------------- all changes
def changes_html(data: SiteData, language: str, *, base_url: str | None = None) -> tuple[str, str]:
    """(site path, HTML) of every document's changes, newest first, filterable like a
    document's timeline (``tracker changes`` as a page)."""
    path = localised(language, "changes.html")
    found = sorted(
        ((c, doc) for doc in data.documents for c in doc.changes.values()),
        key=lambda item: (item[0].timestamp, item[1].id),
        reverse=True,
    )
    items = []
    for change, doc in found:
        classes = _classes(change)
        links = [
            _a(
                relative(path, localised(language, version_page(doc.id, change.timestamp))),
                word(language, "read_version"),
            )
        ]
        if change.timestamp in doc.change_pages:
            links.append(
                _a(
                    relative(path, change_page(doc.id, change.timestamp)),
                    word(language, "change_page"),
                )
            )
        document = _a(relative(path, localised(language, document_page(doc.id))), doc.title)
        items.append(
            f'<li class="{" ".join(classes)}"><span class="when">'
            f"{escape(shown_time(change.timestamp))}</span> · {document} · "
            f"{_sig(language, change.significance)} · {escape(_counts(language, change))} "
            f'{_chips(change)}<br><span class="links">{" ".join(links)}</span></li>'
        )
    bar, anchors, style = _filters(language, [c for c, _ in found])
    body = (
        f"<h1>{escape(word(language, 'all_changes'))}</h1>"
        f'<p class="note">{prose(language, "all_changes_note")}</p>'
        + (
            f'<p class="note">{escape(word(language, "changes_en"))}</p>'
            if language == "fr"
            else ""
        )
        + f'<h2 id="timeline">{escape(word(language, "timeline"))}</h2>{bar}{anchors}'
        f'<ol class="timeline">{"".join(items)}</ol>'
    )
    html = page(
        language=language,
        path=path,
        title=word(language, "all_changes"),
        body=body,
        base_url=base_url,
        style=style,
    )
    return path, html


# ------------------------------------------------------------------------------------- version
def _evidence(
    language: str, path: str, doc: DocumentInfo, version: VersionInfo, data: SiteData
) -> str:
    def row(key: str, value: str) -> str:
        return f"<dt>{escape(word(language, key))}</dt><dd>{value}</dd>"

    def code(value: str) -> str:
        return f"<code>{escape(value)}</code>" if value else "—"

    rows = [
        row("captured", escape(version.captured_at)),
        row("origin", escape(version.origin or "—")),
        row("source_url", code(version.source_url)),
    ]
    if version.final_url and version.final_url != version.source_url:
        rows.append(row("final_url", code(version.final_url)))
    if version.http_status:
        rows.append(row("http_status", escape(version.http_status)))
    rows += [
        row("text_sha256", code(version.text_sha256)),
        row("raw_sha256", code(version.raw_sha256)),
    ]
    if version.rules_sha256:
        rows.append(row("rules_sha256", code(version.rules_sha256)))
    if version.snapshot:
        raw = _a(relative(path, raw_copy(doc.id, version.snapshot)), version.snapshot)
        meta = version.snapshot.rsplit(".", 1)[0] + ".json"
        rows.append(
            row(
                "raw_snapshot",
                f'{raw} <span class="note">({escape(word(language, "raw_note"))})</span>'
                f"<br>{_a(relative(path, f'{doc.id}/{meta}'), word(language, 'raw_meta'))}",
            )
        )
    rows.append(
        row(
            "markdown",
            _a(
                relative(path, version_markdown(doc.id, version.stamp)),
                f"versions/{version.stamp}.md",
            ),
        )
    )
    if version.chain is not None:
        entry = version.chain
        rows.append(
            row(
                "chain_entry",
                f"#{entry.seq} · {escape(entry.recorded_at)} · <code>{escape(entry.hash)}</code>",
            )
        )
    if data.archive_head:
        home = relative(path, localised(language, "index.html")) + "#chain"
        rows.append(row("chain_head", _a(home, word(language, "chain_head_where"))))
    return (
        f'<h2 id="evidence">{escape(word(language, "evidence"))}</h2>'
        f'<dl class="evidence">{"".join(rows)}</dl>'
    )


def version_html(
    data: SiteData,
    doc: DocumentInfo,
    index: int,
    language: str,
    *,
    base_url: str | None = None,
    compared: frozenset[str] = frozenset(),
) -> tuple[str, str]:
    """(site path, HTML) of one version as in force, with its evidence."""
    version = doc.versions[index]
    path = localised(language, version_page(doc.id, version.stamp))
    following = doc.versions[index + 1] if index + 1 < len(doc.versions) else None
    force = (
        f"{word(language, 'in_force')} {word(language, 'in_force_from')} "
        f"{shown_time(version.stamp)} "
        + (
            f"{word(language, 'until')} {shown_time(following.stamp)}"
            if following
            else f"({word(language, 'still_latest')})"
        )
    )
    nav = []
    if index > 0:
        before = doc.versions[index - 1].stamp
        nav.append(
            f"{escape(word(language, 'previous'))}: "
            + _a(
                relative(path, localised(language, version_page(doc.id, before))),
                shown_time(before),
            )
        )
    if following:
        nav.append(
            f"{escape(word(language, 'next'))}: "
            + _a(
                relative(path, localised(language, version_page(doc.id, following.stamp))),
                shown_time(following.stamp),
            )
        )
    links = []
    if version.stamp in doc.change_pages:
        links.append(
            _a(relative(path, change_page(doc.id, version.stamp)), word(language, "change_page"))
        )
    if version.stamp in compared:
        links.append(
            _a(
                relative(path, compare_page(doc.id, version.stamp, doc.versions[-1].stamp)),
                word(language, "compare_latest"),
            )
        )
    home = _a(relative(path, localised(language, document_page(doc.id))), doc.title)
    body = (
        f'<p class="meta">{home}'
        f" · <code>{escape(doc.id)}</code></p>"
        f"<h1>{escape(doc.title)}: "
        f"{escape(word(language, 'version').lower())} {escape(version.stamp)}</h1>"
        f"<p><strong>{escape(force)}</strong></p>"
        + (f'<p class="links">{" · ".join(nav)}</p>' if nav else "")
        + (f'<p class="links">{" ".join(links)}</p>' if links else "")
        + _evidence(language, path, doc, version, data)
        + f'<section class="text"{_lang(doc)}><h2>{escape(word(language, "text"))}</h2>'
        f'<p class="note" lang="{language}">{escape(word(language, "text_note"))}</p>'
        f"{markdown_html(version.text, top=3)}</section>"
    )
    html = page(
        language=language,
        path=path,
        title=f"{doc.title} {version.stamp}",
        body=body,
        base_url=base_url,
    )
    return path, html


def _lang(doc: DocumentInfo) -> str:
    """The ``lang`` attribute of the page's own text (its language, from its front matter)."""
    ok = re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", doc.language)
    return f' lang="{doc.language}"' if ok else ""
