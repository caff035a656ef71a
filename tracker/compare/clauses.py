"""Split a version's Markdown into clauses: the units the comparison aligns.

Stage: the first half of the comparison (:mod:`tracker.compare.diff` aligns the clauses of two
versions). Pure functions, no I/O.

Input: the Markdown of one version, as :mod:`tracker.extract.extractor` writes it or as Open Terms
Archive (OTA) does (ATX and setext headings, paragraphs, nested lists, GitHub pipe tables whose
cells hold ``<br><br>`` between paragraphs, links ``[text](url)``). Output: a tuple of
:class:`~tracker.models.Clause`, in document order, with ids unique within the version.

The clause model (docs/significance.md tells it for lawyers):

* **Headings** (ATX ``#`` to ``######``, setext ``===``/``---``) are clauses of kind
  ``heading`` and make the *section* path of what follows: the heading texts as a reader sees
  them, outermost first. A paragraph that is only bold text and short
  (``**1.1. Recruiter Corporate**``, ``**You agree that you will:**``) is a heading too, one
  level below the last real heading, deeper by one per number of a leading ``1.2.3``: this is
  how LinkedIn's Service Terms and developer terms mark their sections, and how the User
  Agreement introduces its lists of dos and don'ts. A heading without words opens nothing.
* **Paragraphs** are clauses of kind ``paragraph``. A paragraph longer than
  :data:`LONG_PARAGRAPH_CHARS` characters of visible text (or of more than
  :data:`MAX_CLAUSE_CHARS` characters of Markdown) that holds two sentences or more is cut into
  clauses of kind ``sentence`` (see :func:`split_sentences`).
* **List items** are clauses of kind ``list-item`` (the item's first paragraph, without its
  marker: ``1.`` or ``-`` is list markup). Nested items are clauses of their own whose id
  continues the parent item's id. More paragraphs of an item are ``paragraph`` clauses with
  ids under the item. An item that starts with a heading (OTA writes the sections of the
  privacy policy as the items of one ordered list) is only a container: its content is read as
  if it stood outside the list.
* **Table cells** are clauses of kind ``table-cell``, one per non-empty cell: a cell is the
  unit a lawyer reads ("the data used for this purpose"), and the word diff shows what changed
  inside a long one. ``column`` is the text of the column's header cell (``""`` when the header
  cell is empty) and ``row`` the text of the row's first cell. When the header row is empty
  (OTA's ``|     |     |``, our ``| | |``) and the first body row is all bold, that row is the
  header, as in the European Regional Privacy Notice ("Why and how we use your data | Data we
  use"). Header cells are clauses too, with ``row`` None.
* Block quotes are read as their content; fenced code is one paragraph; thematic breaks and
  blank lines make no clause.
* **Bounds**: a clause of more than :data:`MAX_CLAUSE_CHARS` characters (a paragraph without
  sentence ends, a giant cell: no real page has one; the longest clause of the corpus has
  2,576) is cut into pieces of :data:`PIECE_MIN_CHARS` to :data:`PIECE_MAX_CHARS` characters,
  at the first white space after the minimum (:func:`cut_long`), so an edit only changes the
  pieces around it; a heading that long is read as a paragraph, and row and column texts are
  cut at that length. Every later stage (alignment, word diff, classification, rendering) then
  works on clauses of bounded size, and a hostile page cannot make it quadratic.

Ids are slugs of the heading path joined with ``/``, then a key of the block: ``p3`` (third
paragraph of the section), ``p3/s2`` (its second sentence), ``li4`` and ``li4/li2`` (list
items, nested), ``t1/<row>/<column>`` (a cell of the section's first table: slugs of the row's
first cell and of the column header, so a new row does not renumber the others),
``t1/head/<column>`` (a header cell), ``p3/part2`` (the second piece of an overlong clause). A
repeated id gets ``-2``, ``-3``... Ordinals change when
a paragraph is inserted before; the alignment uses ids only as one hint among others.
"""

# Typographic quotes and dashes are what several patterns here are about.
# ruff: noqa: RUF001

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from tracker.compare.wording import visible_words
from tracker.models import Clause, ClauseKind

__all__ = [
    "LONG_PARAGRAPH_CHARS",
    "MAX_CLAUSE_CHARS",
    "PIECE_MAX_CHARS",
    "PIECE_MIN_CHARS",
    "LocatedClause",
    "cut_long",
    "locate_clauses",
    "plain_text",
    "split_clauses",
    "split_sentences",
]

#: A paragraph with more visible characters than this (and two sentences or more) is split
#: into sentence clauses.
LONG_PARAGRAPH_CHARS = 400
#: A clause longer than this (in characters of Markdown) is cut into pieces (cut_long).
MAX_CLAUSE_CHARS = 10_000
#: A piece of an overlong clause shorter than this joins the next one...
PIECE_MIN_CHARS = 300
#: ... and none is longer than this.
PIECE_MAX_CHARS = 4_000
#: A bold-only paragraph is read as a heading when its visible text is at most this long.
PSEUDO_HEADING_MAX_CHARS = 120
_SLUG_WORDS = 8
_ROW_SLUG_WORDS = 6

_HARD_BREAK = re.compile(r"\\\n| {2,}\n")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_SETEXT = re.compile(r"^ {0,3}(=+|-{2,})[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_THEMATIC = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_ITEM = re.compile(r"^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)(.*)$")
_QUOTE = re.compile(r"^ {0,3}> ?")
_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+(?:[ \t]*:?-{3,}:?[ \t]*)?$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_BOLD_ONLY = re.compile(r"^\*\*(?!\*)(?P<inner>.+?)(?<![*\s])\*\*(?P<after>:?)$")
_NUMBERING = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.?(?:\s|$)")
_LINK_SPAN = re.compile(
    r"!?\[(?:\\.|[^\[\]\\])*\]\((?:<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+\"[^\"]*\")?\)"
)
_LINK_DESTINATION = re.compile(
    r"(?<=\])\((?:<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+\"[^\"]*\")?\)"
)
_CODE_SPAN = re.compile(r"`+[^`]*`+")
_STRONG = re.compile(r"\*\*")
_SPACE = re.compile(r"\s")
_SPACE_BEFORE_WORD = re.compile(r"\s+(?=\S)")
#: cut_long cuts before about one word in this many, chosen by a hash of the characters
#: before it (not of the word alone: a small vocabulary would make the gaps irregular)...
_CUT_WORDS = 128
#: ... of this many characters.
_CUT_CONTEXT = 16
#: Where a text has no words to cut before, each character stands for one bit (from a hash
#: of the character) and a cut falls after "0" and nine "1": about one place in 1,024 in a
#: random text, found in one pass of C code.
_BITS = {
    code: "01"[zlib.crc32(chr(code).encode("utf-8", "surrogatepass")) & 1]
    for code in (*range(0x3000), *range(0x4E00, 0xA000))
}
_ANCHOR = re.compile("01{9}")
_SENTENCE_END = re.compile(r"(?:[.!?]++|…)(?:[)\"”’»\]*_]|[ \u00a0\u202f]»)*(?:\\(?=\n))?(?=\s)")
_OPENERS = "([\"“‘«*_\\'"
_ABBREVIATIONS = frozenset(
    (
        *("al", "approx", "art", "arts", "cf", "ch", "chap", "co", "corp", "dept", "dr"),
        *("env", "ex", "fig", "inc", "jr", "ltd", "mlle", "mme", "mr", "mrs", "ms"),
        *("no", "nos", "op", "p", "para", "pp", "resp", "sec", "sr", "st", "vol", "vs"),
    )
)


@dataclass(frozen=True, slots=True)
class LocatedClause:
    """A clause and where it stands in its version's structure (for the alignment).

    Attributes:
        clause: the clause itself.
        parent: position of the nearest heading clause above it (for a heading: of the
            heading it is nested in), or None at the top of the document.
        cell: for a table cell, ``(table, row, column)``: the table's number in the version
            and the cell's row and column in it (row 0 is the header row), all 0-based.
    """

    clause: Clause
    parent: int | None
    cell: tuple[int, int, int] | None = None


def cut_long(text: str) -> list[str]:
    """``text`` itself, or in pieces when it is longer than :data:`MAX_CLAUSE_CHARS`.

    Content-defined chunking, so that an edit changes only the piece it falls in (or two): a
    piece ends before a *cut word*, about one word in :data:`_CUT_WORDS` where a hash of the
    :data:`_CUT_CONTEXT` characters before the word says so; a piece shorter than
    :data:`PIECE_MIN_CHARS` joins the next one. A stretch longer than :data:`PIECE_MAX_CHARS`
    is cut, when it has no white space, at places chosen the same way from its characters
    (see :data:`_BITS`); what is still too long, into even pieces (at white space when there
    is some). The white space between pieces goes. No cut point depends on a count from
    the start of the text, only on the text around it.

    Args:
        text: a clause's Markdown.

    Returns:
        ``[text]``, or the pieces (stripped, none empty), in order.
    """
    if len(text) <= MAX_CLAUSE_CHARS:
        return [text]
    cuts = [
        space.start()
        for space in _SPACE_BEFORE_WORD.finditer(text)
        if _hash(text[space.end() - _CUT_CONTEXT : space.end()]) % _CUT_WORDS == 0
    ]
    pieces: list[str] = []
    for start, end in _spans(0, [*cuts, len(text)]):
        if end - start <= PIECE_MAX_CHARS:
            pieces.append(text[start:end])
            continue
        wordless = _SPACE.search(text, start, end) is None
        anchors = _anchors(text, start, end) if wordless else []
        for stretch_start, stretch_end in _spans(start, [*anchors, end]):
            pieces.extend(_hard_cut(text, stretch_start, stretch_end))
    return [piece.strip() for piece in pieces if piece.strip()]


def _spans(start: int, cuts: Sequence[int]) -> list[tuple[int, int]]:
    """The spans from ``start`` to each cut in turn; one shorter than the minimum joins the next."""
    spans: list[tuple[int, int]] = []
    for cut in cuts:
        if cut - start < PIECE_MIN_CHARS and cut < cuts[-1]:
            continue
        spans.append((start, cut))
        start = cut
    return spans


def _anchors(text: str, start: int, end: int) -> list[int]:
    """Places chosen by the characters of ``text[start:end]`` (see :data:`_BITS`)."""
    bits = text[start:end].translate(_BITS)
    return [start + match.end() for match in _ANCHOR.finditer(bits)]


def _hard_cut(text: str, start: int, end: int) -> list[str]:
    """``text[start:end]`` in pieces of at most :data:`PIECE_MAX_CHARS`, of even sizes."""
    pieces: list[str] = []
    while end - start > PIECE_MAX_CHARS:
        size = (end - start) // -(-(end - start) // PIECE_MAX_CHARS)  # pieces of even size
        space = _SPACE.search(text, start + size, start + PIECE_MAX_CHARS)
        cut = space.start() if space is not None else start + size
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:end])
    return pieces


def _hash(text: str) -> int:
    """A hash that is the same in every process (``hash()`` of a str is salted)."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def split_clauses(markdown: str) -> tuple[Clause, ...]:
    """Split a version's Markdown into clauses with stable ids (see the module docstring).

    Args:
        markdown: the text of one version.

    Returns:
        The clauses in document order; ``position`` is the index in this tuple and ids are
        unique.
    """
    return tuple(located.clause for located in locate_clauses(markdown))


@functools.lru_cache(maxsize=4)  # pure; a comparison, then its classification, split both
def locate_clauses(markdown: str) -> tuple[LocatedClause, ...]:
    """Like :func:`split_clauses`, with each clause's parent heading and table coordinates.

    Args:
        markdown: the text of one version.

    Returns:
        One :class:`LocatedClause` per clause, in document order.
    """
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    builder = _Builder()
    builder.blocks(lines, None)
    return builder.finish()


def plain_text(markdown: str) -> str:
    """The visible words of a Markdown fragment joined by single spaces (what a reader sees).

    Hard line breaks (a backslash or two spaces before the newline) count as spaces.
    """
    return " ".join(visible_words(_HARD_BREAK.sub("\n", markdown)))


def split_sentences(text: str) -> list[str]:
    """Cut a paragraph's Markdown into sentences.

    A sentence ends with ``.``, ``!``, ``?`` or ``…`` (with any closing quotes, brackets or
    emphasis markers, a French ``»`` after its space, a hard line break) followed by white
    space and a capital letter (after any opening quote, bracket or emphasis marker). Not an
    end: an abbreviation (``e.g.``, ``i.e.``, ``U.S.``, ``No.``, ``Inc.``, ``art.``...; any
    word with an inner dot; a single letter, as in initials or ``M. Dupont``), a period before
    a digit or a lower-case letter (decimals, ``No. 5``), a period inside a link (its text or
    its URL) or inside inline code, and a period inside an unclosed ``**`` span.

    Args:
        text: one paragraph (it may hold hard line breaks).

    Returns:
        The sentences, stripped, in order; ``[text.strip()]`` when there is nothing to cut.
        Every cut is at white space (a hard break's backslash goes with it), so the sentences
        hold all the words of ``text``.
    """
    masked = _LINK_DESTINATION.sub(lambda m: ")" * len(m.group(0)), text)
    # inside[i]: position i is strictly inside a link or a code span (one pass, not one
    # scan of the spans per sentence end: a paragraph may hold thousands of both)
    inside = bytearray(len(text) + 1)
    for span in (*_LINK_SPAN.finditer(text), *_CODE_SPAN.finditer(masked)):
        inside[span.start() + 1 : span.end()] = b"\x01" * max(0, span.end() - span.start() - 1)
    # ends of the "**" that str.count(masked, "**", 0, end) would count, for any end
    strong_ends = [m.end() for m in _STRONG.finditer(masked)]
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(masked):
        end = match.end()
        if inside[end]:
            continue
        if not _starts_sentence(masked, end) or _is_abbreviation(masked, match.start()):
            continue
        if bisect.bisect_right(strong_ends, end) % 2:
            continue
        piece = text[start:end].strip()
        if piece.endswith("\\"):  # a hard break after the sentence: markup between two
            piece = piece[:-1].rstrip()
        if piece:
            sentences.append(piece)
            start = end
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences or [text.strip()]


def _starts_sentence(text: str, end: int) -> bool:
    index = end
    while index < len(text) and text[index].isspace():
        index += 1
    while index < len(text) and text[index] in _OPENERS:
        index += 1
    return index < len(text) and text[index].isupper()


def _is_abbreviation(text: str, punct: int) -> bool:
    if text[punct] != ".":
        return False
    begin = punct
    while begin > 0 and not text[begin - 1].isspace():
        begin -= 1
    word = text[begin:punct].lstrip(_OPENERS)
    if not word:
        return False
    if "." in word or (len(word) == 1 and word.isalpha()):
        return True
    return word.casefold() in _ABBREVIATIONS


def _slug(text: str, max_words: int = _SLUG_WORDS) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = re.findall(r"[^\W_]+", bare)
    return "-".join(words[:max_words])


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_table_start(lines: Sequence[str], index: int) -> bool:
    return (
        "|" in lines[index]
        and index + 1 < len(lines)
        and _TABLE_DELIMITER.match(lines[index + 1]) is not None
    )


def _starts_block(lines: Sequence[str], index: int) -> bool:
    """True when line ``index`` cannot continue a paragraph (it opens another block)."""
    line = lines[index]
    return bool(
        _ATX.match(line)
        or _FENCE.match(line)
        or _QUOTE.match(line)
        or _THEMATIC.match(line)
        or _LIST_ITEM.match(line)
        or _is_table_start(lines, index)
    )


def _cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip() for cell in _CELL_SPLIT.split(body)]


def _all_bold(cells: Sequence[str]) -> bool:
    filled = [cell for cell in cells if plain_text(cell)]
    return bool(filled) and all(_BOLD_ONLY.match(cell) for cell in filled)


@dataclass(slots=True)
class _Item:
    """A list item being read: its id is given when first needed."""

    parent: _Item | None
    id: str | None = None
    opened: bool = False
    paragraphs: int = 0
    children: int = 0


@dataclass(slots=True)
class _Heading:
    level: int
    title: str
    slug: str
    pseudo: bool
    position: int


@dataclass(slots=True)
class _Pending:
    id: str
    kind: ClauseKind
    text: str
    parent: int | None
    section: tuple[str, ...]
    column: str | None = None
    row: str | None = None
    cell: tuple[int, int, int] | None = None


@dataclass(slots=True)
class _Builder:
    """Reads blocks line by line and collects clauses, keeping the heading path and counters."""

    clauses: list[_Pending] = field(default_factory=list)
    stack: list[_Heading] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    tables: int = 0

    # -- state -----------------------------------------------------------------------------

    def _section(self) -> tuple[str, ...]:
        return tuple(heading.title for heading in self.stack)

    def _prefix(self) -> str:
        return "".join(heading.slug + "/" for heading in self.stack)

    def _parent(self) -> int | None:
        return self.stack[-1].position if self.stack else None

    def _count(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    def _add(self, clause: _Pending) -> None:
        pieces = cut_long(clause.text)
        if len(pieces) == 1:
            self.clauses.append(clause)
            return
        for number, piece in enumerate(pieces, start=1):
            self.clauses.append(replace(clause, id=f"{clause.id}/part{number}", text=piece))

    def _item_id(self, item: _Item) -> str:
        if item.id is None:
            if item.parent is None:
                item.id = f"{self._prefix()}li{self._count('li')}"
            else:
                parent_id = self._item_id(item.parent)
                item.parent.children += 1
                item.id = f"{parent_id}/li{item.parent.children}"
        return item.id

    # -- blocks ----------------------------------------------------------------------------

    def heading(self, level: int, text: str, *, pseudo: bool = False) -> None:
        if len(text) > MAX_CLAUSE_CHARS:  # no title is that long: its words are a paragraph
            self._plain_paragraph(text.strip(), None)
            return
        title = plain_text(text)
        if not title:
            return
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        parent = self._parent()
        section = self._section()
        slug = _slug(title) or "h"
        heading_id = self._prefix() + slug
        self._add(_Pending(heading_id, ClauseKind.HEADING, text.strip(), parent, section))
        self.stack.append(_Heading(level, title, slug, pseudo, len(self.clauses) - 1))
        self.counters = {}

    def paragraph(self, lines: Sequence[str], item: _Item | None) -> None:
        text = "\n".join(line.strip() for line in lines).strip()
        if not text:
            return
        pseudo = item is None and text.startswith("**") and "\n" not in text
        if pseudo and self._pseudo_heading(text):
            return
        self._plain_paragraph(text, item)  # even without words: markup is text too

    def _plain_paragraph(self, text: str, item: _Item | None) -> None:
        parent, section = self._parent(), self._section()
        if item is not None:
            item_id = self._item_id(item)
            if not item.opened:
                item.opened = True
                self._add(_Pending(item_id, ClauseKind.LIST_ITEM, text, parent, section))
            else:
                item.paragraphs += 1
                paragraph_id = f"{item_id}/p{item.paragraphs + 1}"
                self._add(_Pending(paragraph_id, ClauseKind.PARAGRAPH, text, parent, section))
            return
        paragraph_id = f"{self._prefix()}p{self._count('p')}"
        long = len(text) > MAX_CLAUSE_CHARS or (  # without reading the words of a huge one
            len(text) > LONG_PARAGRAPH_CHARS and len(plain_text(text)) > LONG_PARAGRAPH_CHARS
        )
        sentences = split_sentences(text) if long else [text]
        if len(sentences) < 2:
            self._add(_Pending(paragraph_id, ClauseKind.PARAGRAPH, text, parent, section))
            return
        for number, sentence in enumerate(sentences, start=1):
            sentence_id = f"{paragraph_id}/s{number}"
            self._add(_Pending(sentence_id, ClauseKind.SENTENCE, sentence, parent, section))

    def _pseudo_heading(self, text: str) -> bool:
        match = _BOLD_ONLY.match(text)
        if match is None:
            return False
        inner = match.group("inner")
        title = plain_text(inner)
        if (
            "**" in inner
            or "](" in inner
            or inner.lstrip("\\").startswith(("[", "("))
            or not title
            or len(title) > PSEUDO_HEADING_MAX_CHARS
        ):
            return False
        base = next((h.level for h in reversed(self.stack) if not h.pseudo), 0)
        numbering = _NUMBERING.match(title)
        depth = numbering.group(1).count(".") + 1 if numbering else 1
        self.heading(base + depth, text, pseudo=True)
        return True

    def table(self, rows: Sequence[Sequence[str]]) -> None:
        header = list(rows[0])
        body = [list(row) for row in rows[1:]]
        if not any(plain_text(cell) for cell in header) and body and _all_bold(body[0]):
            header = body.pop(0)
        table_number = self.tables
        self.tables += 1
        table_id = f"{self._prefix()}t{self._count('t')}"
        parent, section = self._parent(), self._section()
        columns = [plain_text(cell)[:MAX_CLAUSE_CHARS] for cell in header]
        width = max(len(header), *(len(row) for row in body)) if body else len(header)
        columns += [""] * (width - len(columns))
        column_slugs = [_slug(name) or f"c{index + 1}" for index, name in enumerate(columns)]
        for column, cell in enumerate(header):
            if cell:
                self._add(
                    _Pending(
                        f"{table_id}/head/{column_slugs[column]}",
                        ClauseKind.TABLE_CELL,
                        cell,
                        parent,
                        section,
                        column=columns[column],
                        cell=(table_number, 0, column),
                    )
                )
        for row_number, row in enumerate(body, start=1):
            key = plain_text(row[0])[:MAX_CLAUSE_CHARS] if row else ""
            row_slug = _slug(key, _ROW_SLUG_WORDS) or f"r{row_number}"
            for column, cell in enumerate(row):
                if not cell:
                    continue
                self._add(
                    _Pending(
                        f"{table_id}/{row_slug}/{column_slugs[column]}",
                        ClauseKind.TABLE_CELL,
                        cell,
                        parent,
                        section,
                        column=columns[column],
                        row=key,
                        cell=(table_number, row_number, column),
                    )
                )

    # -- the line reader -------------------------------------------------------------------

    def blocks(self, lines: Sequence[str], item: _Item | None, *, in_item: bool = False) -> None:
        """Read ``lines`` (already without the indentation of an enclosing list item).

        In an item (``in_item``), a first line that is only a list marker (``* 5.``) is text,
        not an empty nested item.
        """
        index = 0
        count = len(lines)
        while index < count:
            line = lines[index]
            if _is_blank(line):
                index += 1
                continue
            if (fence := _FENCE.match(line)) is not None:
                index = self._fenced(lines, index, fence.group(1), item)
                continue
            if (atx := _ATX.match(line)) is not None:
                self.heading(len(atx.group(1)), atx.group(2) or "")
                item = None  # an item that holds a heading is only a container
                index += 1
                continue
            if _is_table_start(lines, index):
                index = self._table(lines, index)
                continue
            if _THEMATIC.match(line):
                index += 1
                continue
            marker = _LIST_ITEM.match(line)
            if marker is not None and (index or not in_item or marker.group(4).strip()):
                index = self._list(lines, index, item)
                continue
            if _QUOTE.match(line):
                index = self._quote(lines, index, item)
                continue
            index, container = self._paragraph_or_setext(lines, index, item)
            if container:
                item = None

    def _fenced(self, lines: Sequence[str], index: int, fence: str, item: _Item | None) -> int:
        end = index + 1
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                end += 1
                break
            end += 1
        self._plain_paragraph("\n".join(lines[index:end]).strip(), item)
        return end

    def _table(self, lines: Sequence[str], index: int) -> int:
        rows = [_cells(lines[index])]
        end = index + 2
        while end < len(lines) and not _is_blank(lines[end]) and "|" in lines[end]:
            rows.append(_cells(lines[end]))
            end += 1
        self.table(rows)
        return end

    def _quote(self, lines: Sequence[str], index: int, item: _Item | None) -> int:
        inner: list[str] = []
        end = index
        while end < len(lines) and not _is_blank(lines[end]):
            quote = _QUOTE.match(lines[end])
            if quote is None and _starts_block(lines, end):
                break
            inner.append(lines[end][quote.end() :] if quote else lines[end])
            end += 1
        self.blocks(inner, item)
        return end

    def _paragraph_or_setext(
        self, lines: Sequence[str], index: int, item: _Item | None
    ) -> tuple[int, bool]:
        """Read a paragraph (or a setext heading); True when a heading was read."""
        collected = [lines[index]]
        end = index + 1
        while end < len(lines) and not _is_blank(lines[end]):
            setext = _SETEXT.match(lines[end])
            if setext is not None:
                title = " ".join(line.strip() for line in collected)
                self.heading(1 if setext.group(1)[0] == "=" else 2, title)
                return end + 1, True
            if _starts_block(lines, end):
                break
            collected.append(lines[end])
            end += 1
        self.paragraph(collected, item)
        return end, False

    def _list(self, lines: Sequence[str], index: int, parent: _Item | None) -> int:
        count = len(lines)
        while index < count:
            match = _LIST_ITEM.match(lines[index])
            if match is None or _THEMATIC.match(lines[index]):  # "- - -" ends the list
                break
            width = len(match.group(1)) + len(match.group(2))
            spaces, rest = match.group(3), match.group(4)
            if not rest.strip():
                content_indent = width + 1
            elif len(spaces) > 4:
                content_indent = width + 1
                rest = spaces[1:] + rest
            else:
                content_indent = width + len(spaces)
            content = [rest]
            index += 1
            previous_blank = False
            while index < count:
                line = lines[index]
                if _is_blank(line):
                    content.append("")
                    previous_blank = True
                    index += 1
                    continue
                if _indent(line) >= content_indent:
                    content.append(line[content_indent:])
                elif not previous_blank and not _starts_block(lines, index):
                    content.append(line.strip())  # lazy continuation of a paragraph
                else:
                    break
                previous_blank = False
                index += 1
            self.blocks(content, _Item(parent), in_item=True)
            if index < count and _LIST_ITEM.match(lines[index]) is None:
                break
        return index

    # -- result ----------------------------------------------------------------------------

    def finish(self) -> tuple[LocatedClause, ...]:
        seen: dict[str, int] = {}
        taken = {pending.id for pending in self.clauses}
        located: list[LocatedClause] = []
        for position, pending in enumerate(self.clauses):
            clause_id = pending.id
            if clause_id in seen:
                number = seen[clause_id]
                while f"{pending.id}-{number}" in taken:
                    number += 1
                seen[clause_id] = number + 1
                clause_id = f"{pending.id}-{number}"
                taken.add(clause_id)
            else:
                seen[clause_id] = 2
            clause = Clause(
                id=clause_id,
                kind=pending.kind,
                section=pending.section,
                text=pending.text,
                position=position,
                column=pending.column,
                row=pending.row,
            )
            located.append(LocatedClause(clause, pending.parent, pending.cell))
        return tuple(located)
