"""TDLib's HTML parse mode in Python: what the Bot API makes of ``parse_mode="HTML"``.

Pure: strings in, :class:`Parsed` (text plus entities) out, or :class:`HtmlParseError` with
TDLib's exact message. No I/O. The Bot API server does not parse HTML itself: it hands the text
to TDLib, in two steps that this package reproduces one function each.

1. :func:`parse_text_entities`: TDLib's ``parse_html`` (what the synchronous request
   ``parseTextEntities`` with ``textParseModeHTML`` returns). It decodes the allowed tags and
   character references, and fails the *whole* text on the first problem with a message such as
   ``Unsupported start tag "br" at byte offset 4`` (offsets are UTF-8 byte offsets into the raw
   text). It does **not** trim: ``"  <b> x </b>  "`` stays ``"   x   "``.
2. :func:`fix_formatted_text`: TDLib's ``fix_formatted_text``, run when the message is sent.
   It replaces control characters by spaces, drops ``\\r`` and a few invisible characters,
   merges, splits and drops entities that may not nest that way, and trims leading and
   trailing spaces and newlines (the left trim stops at the first entity). Whitespace-only text
   becomes empty; the Bot API then answers ``text must be non-empty`` for a message (a caption
   may be empty).

:func:`parse_html` runs both: its :attr:`Parsed.length` (code points) is what TDLib compares
with 4096 (message) or 1024 (caption). Entity offsets and lengths are UTF-16 code units.

Rules, as TDLib 1.8.69 applies them (checked against the ``tdjson`` wheel):

* Tags, case-insensitive: ``b strong i em u ins s strike del tg-spoiler a code pre blockquote
  tg-emoji tg-time span`` (``span`` only with ``class="tg-spoiler"``). Any other name, or a bare
  ``<``, fails: ``Unsupported start tag "p" at byte offset 0``.
* Character references: ``&lt; &gt; &amp; &quot;`` (case-sensitive, ``;`` optional) and numeric
  ones (``&#65;``, ``&#x41;``, ``&#X41;``: 1 to 0x10FFFE, at most 9 characters before the
  optional ``;``). Every other ``&...`` stays literally in the text (``&nbsp;`` renders as
  ``&nbsp;``); a reference to a surrogate fails the text.
* Attributes: quoted values have references decoded; unquoted values are a "name token"
  (letters, digits, ``.``, ``-``) lowercased, so ``href=HTTP://X`` fails. Attribute names are
  case-sensitive; unknown attributes are ignored; for a repeated attribute the last one wins.
* ``<a href>`` must be a valid http(s), ``tg:``, ``ton:`` or ``tonsite:`` link (normalised like
  TDLib does: ``example.com`` becomes ``http://example.com/``), otherwise the entity is silently
  dropped; without ``href`` the link text is the URL; ``tg://user?id=N`` is a text mention.
* ``<pre><code class="language-x">`` is one ``pre`` entity with a language; bold, italic,
  underline, strikethrough and spoiler inside ``pre``/``code``/``tg-time`` are dropped, a link
  inside ``code`` (or ``code`` inside a link) loses the inner entity, and blockquotes do not nest.
"""

from __future__ import annotations

from tracker.render.telegram_html.fix import fix_formatted_text
from tracker.render.telegram_html.model import Entity, HtmlParseError, Parsed, utf16_len
from tracker.render.telegram_html.parse import parse_text_entities

__all__ = [
    "Entity",
    "HtmlParseError",
    "Parsed",
    "fix_formatted_text",
    "parse_html",
    "parse_text_entities",
    "utf16_len",
]


def parse_html(text: str) -> Parsed:
    """Parse ``text`` as the Bot API does for ``parse_mode="HTML"``, trimming included.

    Raises:
        HtmlParseError: TDLib rejected the markup (the message is TDLib's).
        UnicodeEncodeError: ``text`` holds a lone surrogate (it cannot travel as UTF-8).
    """
    return fix_formatted_text(parse_text_entities(text))
