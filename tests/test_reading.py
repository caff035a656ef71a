"""The reading digest: what of a page the tracker reads (tracker.extract.reading)."""

from __future__ import annotations

import ast
import random
import re
import tomllib
from itertools import pairwise
from pathlib import Path
from typing import cast

import pytest

from tests.corpus import CORPUS
from tests.servers import page_bytes
from tracker.errors import ExtractError
from tracker.extract.extractor import extract
from tracker.extract.reading import READ_ATTRIBUTES, reading_bytes, reading_digest
from tracker.models import ExtractRules

ROOT = Path(__file__).resolve().parents[1]
SELECTORS = ("#component-container", ".banner__image-container", ".callout > svg")
PAGE = (
    b"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    b'<meta name="tracking-id" content="AbC=="><link rel="stylesheet" href="/sc/h/1a2b">'
    b"<title>Privacy</title></head>"
    b'<body data-call-tree-id="AAY0" class="base"><div id="section-1746635539134-32">'
    b'<section id="component-container" data-page-instance="urn:li:1">'
    b'<h2 aria-controls="section-17466">1. Data</h2>'
    b'<p class="t-16" title="a > b">We collect <a href="/legal/x?trk=1">your data</a>.</p>'
    b"<!-- a comment --><script nonce='n1'>var a = '<div data-x=1>';</script>"
    b"</section></div></body></html>"
)


def digest(body: bytes, selectors: tuple[str, ...] = SELECTORS) -> str | None:
    return reading_digest(body, selectors)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'data-call-tree-id="AAY0"', b'data-call-tree-id="ZZZZ"'),
        (b'data-page-instance="urn:li:1"', b"data-page-instance='urn:li:2'"),
        (b'aria-controls="section-17466"', b"aria-controls=section-99"),
        (b'id="section-1746635539134-32"', b'id="section-1746799300236-88"'),
        (b'title="a > b"', b'title="c > d"'),
        (b'href="/sc/h/1a2b"', b'href="/sc/h/9z8y"'),
        (b'content="AbC=="', b'content="XyZ=="'),
    ],
    ids=["data", "data-quoted", "aria", "generated-id", "title", "stylesheet", "other-meta"],
)
def test_values_nothing_reads_are_left_out(old: bytes, new: bytes):
    assert old in PAGE
    assert digest(PAGE.replace(old, new)) == digest(PAGE)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"We collect", b"We gather"),  # text
        (b"1. Data", b"1. Donn\xc3\xa9es"),  # a heading
        (b'href="/legal/x?trk=1"', b'href="/legal/y?trk=1"'),  # a link target
        (b'class="t-16"', b'class="t-17"'),  # classes: selectors and fingerprints test them
        (b'id="component-container"', b'id="other"'),  # the id the rules select
        (b"<p class", b"<p hidden class"),  # an element hidden from readers
        (b"<p class", b'<p aria-hidden="true" class'),
        (b"<p class", b'<p style="display:none" class'),
        (b"lang='en'", b"lang='fr'"),  # the page's language
        (b"charset='utf-8'", b"charset='latin-1'"),  # how the bytes decode
        (b"a comment", b"another comment"),  # comments are hashed whole
        (b"nonce='n1'", b"nonce='n2'"),  # and raw-text elements with their tags
        (b"<div data-x=1>", b"<div data-x=2>"),  # markup inside a script is its text
        (b"<title>Privacy", b"<title>Sign in"),
    ],
    ids=[
        "text",
        "heading",
        "link",
        "class",
        "selected-id",
        "hidden",
        "aria-hidden",
        "style",
        "lang",
        "charset",
        "comment",
        "script-tag",
        "script-text",
        "title",
    ],
)
def test_what_is_read_is_kept(old: bytes, new: bytes):
    assert old in PAGE
    assert digest(PAGE.replace(old, new)) != digest(PAGE)


@pytest.mark.parametrize("name", sorted(READ_ATTRIBUTES))
def test_every_read_attribute_is_kept(name: str):
    page = b'<html><body><div %s="one">Text</div></body></html>' % name.encode()
    assert digest(page) != digest(page.replace(b'"one"', b'"two"'))


def test_ids_named_by_fingerprints_and_selectors_are_kept():
    wall = b'<html><body><form id="%s"><input></form><p>Text</p></body></html>'
    assert digest(wall % b"challenge-form") != digest(wall % b"login-form")
    assert digest(wall % b"abc", ("#abc",)) != digest(wall % b"abd", ("#abc",))
    assert digest(wall % b"abc", ("div",)) == digest(wall % b"abd", ("div",))


def test_attributes_named_by_selectors_are_kept():
    page = b'<html><body><div data-role="legal">Text</div></body></html>'
    other = page.replace(b'"legal"', b'"chrome"')
    assert digest(page, ("#x",)) == digest(other, ("#x",))
    assert digest(page, ("[data-role=legal]",)) != digest(other, ("[data-role=legal]",))
    assert digest(page, ("div[id^=sec]",)) == digest(other, ("div[id^=sec]",))


def test_pseudo_classes_turn_the_digest_off():
    assert reading_bytes(PAGE, ("section:lang(en)",)) is None
    assert reading_bytes(PAGE, ("a[href='https://x']",)) is not None, "':' inside a value"


def test_odd_markup_is_kept_as_it_is():
    """A quote left open would make the rest of the page an attribute value: kept."""
    page = b'<html><body><div data-x="open><p>Words of the document</p></body></html>'
    assert b"Words of the document" in (reading_bytes(page) or b"")
    assert digest(page) != digest(page.replace(b"Words", b"Other words"))


def test_random_edits_of_text_always_change_the_digest():
    """Any byte changed in a text node of a real-structure page changes the digest."""
    body = page_bytes("linkedin/privacy-policy/v1.html")
    text_spans = [m.span(1) for m in re.finditer(rb">([^<]{20,})<", body)]
    assert len(text_spans) > 20
    rng = random.Random(12)
    base = digest(body)
    for _ in range(300):
        start, end = rng.choice(text_spans)
        at = rng.randrange(start, end)
        changed = body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]
        assert digest(changed) != base, body[max(0, at - 30) : at + 30]


_READERS = (
    "tracker/extract/extractor.py",
    "tracker/extract/markdown_lxml.py",
    "tracker/extract/markdown_writer.py",
    "tracker/extract/markdown_blocks.py",
    "tracker/extract/normalise.py",
    "tracker/fetch/quality.py",
)


def _attribute_names_read(source: str) -> set[str]:
    """Names in ``x.get("name")``, ``has_attr("name")``, ``"name" in x.attrib``, helpers
    named ``*attr*`` and XPath ``@name`` of a module: the attributes its code reads (a name
    held in a variable escapes it; the list's own test above covers those it holds)."""
    names: set[str] = set()

    def strings(nodes: list[ast.expr]) -> set[str]:
        return {n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)}

    for node in ast.walk(ast.parse(source)):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr in {"get", "has_attr"}:
            names |= strings(cast(ast.Call, node).args[:1])
        if isinstance(func, ast.Name) and func.id.endswith("_attr"):  # _int_attr(el, "start")
            names |= strings(cast(ast.Call, node).args)
        if isinstance(node, ast.Compare) and any(
            isinstance(c, ast.Attribute) and c.attr == "attrib" for c in node.comparators
        ):
            names |= strings([node.left])
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.update(re.findall(r"@([a-zA-Z][\w:-]*)", node.value))
    return names


def test_every_attribute_the_readers_read_is_kept():
    """The list in tracker.extract.reading follows the code that reads pages: an attribute
    read there and left out of the digest would let a change pass for an unchanged page."""
    read: set[str] = set()
    for module in _READERS:
        read |= _attribute_names_read((ROOT / module).read_text(encoding="utf-8"))
    # `.get(...)` also reads dictionaries and mappings: the names that are not attributes
    not_attributes = {name for name in read if not re.fullmatch(r"[a-z][a-z:-]*", name)}
    attributes = {n.lower() for n in read - not_attributes}
    attributes = {n.split("}")[-1] for n in attributes}
    mappings = {"month", "content-type", "charset"} & attributes  # dict keys, headers
    missing = attributes - READ_ATTRIBUTES - {"id"} - mappings
    assert not missing, f"read by the tracker but left out of the reading digest: {missing}"
    assert {"href", "hidden", "aria-hidden", "colspan", "style", "action"} <= attributes


def _rules(name: str) -> ExtractRules:
    with (ROOT / "config" / "rules" / f"{name}.toml").open("rb") as file:
        data = tomllib.load(file)["extract"]
    return ExtractRules(
        select=tuple(data["select"]),
        remove=tuple(data.get("remove", ())),
        drop_query_params=tuple(data.get("drop_query_params", ())),
        min_text_chars=int(data.get("min_text_chars", 200)),
        select_first=bool(data.get("select_first", False)),
        ignore_text=tuple(data.get("ignore_text", ())),
    )


def _text(body: bytes, rules: ExtractRules) -> str:
    try:
        return extract(body, rules, url="https://www.linkedin.com/legal/privacy-policy")
    except ExtractError as exc:
        return f"error: {type(exc).__name__}"


@pytest.mark.skipif(not CORPUS.exists(), reason=f"corpus not found at {CORPUS}")
def test_captures_that_read_alike_extract_alike_on_the_corpus():
    """Every pair of consecutive real captures: the same reading digest means the same text.
    (At the time of writing, 37 of the 60 pairs with the same text and other bytes read
    alike, and none of the 6 pairs whose text changed.)"""
    legal, help_ = _rules("linkedin-legal"), _rules("linkedin-help")
    alike = same_text = 0
    for series in sorted(CORPUS.glob("*/*/html/*/")):
        rules = help_ if "help-center" in str(series) else legal
        selectors = rules.selectors
        files = sorted(series.glob("*.html"))
        for a, b in pairwise(files):
            old, new = a.read_bytes(), b.read_bytes()
            if old == new:
                continue
            texts_equal = _text(old, rules) == _text(new, rules)
            same_text += texts_equal
            if reading_digest(old, selectors) == reading_digest(new, selectors):
                alike += 1
                assert texts_equal, f"{a.name} → {b.name} in {series}: read alike, texts differ"
    assert same_text and alike, "the corpus has pairs that differ only in unread values"
