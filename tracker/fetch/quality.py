"""Is this capture the document at all? ``assess`` answers, or raises :class:`BlockedError`.

Pure: it looks at a :class:`~tracker.models.Capture` (status, headers, final URL, bytes) and
nothing else. A page that passes may still fail extraction; a page that fails here is recorded
as an *inaccessible* check, never as a change of the document.

Causes (the ``cause`` column of ``checks.csv``; :mod:`tracker.fetch.fetcher` adds its own, listed
there):

``http-<status>``
    The answer is not a success: ``http-999`` (LinkedIn's "request denied" for automated
    clients), ``http-403`` (forbidden), ``http-429`` (rate limited), any other ``http-4xx``
    (``http-404``, ``http-410`` ...), a ``http-5xx`` that got past the fetch retries, or an
    unfollowed ``http-3xx`` (including a 304 to a request that was not conditional).
``auth-wall``
    A sign-in or sign-up wall instead of the page: the final URL is a login or "authwall"
    address (``/authwall``, ``/login``, ``/uas/login``, ``/checkpoint``, ``/signup``, a
    ``sessionRedirect`` parameter), or the page is LinkedIn's 999-style script that sends the
    browser to the authwall, or a visible join/sign-in form is the only real content.
``consent-wall``
    A cookie or privacy-consent interstitial served instead of the page (Instagram's "Privacy
    Checks" dialog, a consent platform's dialog, a redirect to a ``consent.*`` host). A consent
    *banner* over the real text is not a wall: the document is still there.
``captcha``
    A CAPTCHA or "security verification" challenge page.
``app-shell``
    (Almost) no visible text: a JavaScript application shell (a root ``<div>`` and scripts)
    that a browser would fill in, or an otherwise empty page.
``empty-body``
    No bytes at all, or nothing an HTML parser can read.
``wrong-content-type``
    ``Content-Type`` is not ``text/html`` or ``application/xhtml+xml`` (or, when absent, the
    bytes do not look like HTML).
``wrong-language``
    ``<html lang>`` (or, failing that, the page's locale metadata or ``Content-Language``) has
    another primary language subtag than the document's: LinkedIn may answer the French
    document in English.

How walls are told apart from real pages: real LinkedIn legal pages carry a cookie banner
(``aria-hidden="true"`` until scripts run) and "Sign in" / "Join now" links in their header, and
help-centre pages link to ``/checkpoint/lg/login``. So the fingerprints below only count when
the marking element is *shown* (no ``aria-hidden="true"``, ``hidden`` or ``display: none`` on it
or an ancestor) **and** the page holds little text outside it and outside the page chrome
(``header``, ``nav``, ``footer``): a legal text is thousands of characters long. That text is
counted whether shown or not: collapsed sections are hidden until clicked, and a consent dialog
marks the page behind it ``aria-hidden`` although the bytes hold the whole document (the
Facebook captures of the corpus), so only a page with (almost) nothing else is a wall.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:  # lxml is imported when a page is parsed, not by every command that starts
    import lxml.html

from tracker.errors import BlockedError
from tracker.models import Capture

#: Media types that can hold the document.
HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})

#: Below this many characters of text (outside chrome, scripts and styles) a page is an app
#: shell. The shortest real LinkedIn page in the corpus (a help answer) has about 1,400.
APP_SHELL_MAX_TEXT_CHARS = 200

#: A fingerprint counts only if the page has fewer characters of text than this outside the
#: element that matched (and outside the chrome): a wall is all there is to read.
WALL_MAX_OTHER_TEXT_CHARS = 1000


@dataclass(frozen=True, slots=True)
class UrlRule:
    """A final URL (or redirect target) that is a wall: path prefix or query parameter."""

    cause: str
    path_prefix: str | None = None
    host_prefix: str | None = None
    query_param: str | None = None


#: Addresses that are never the document. Checked first to last; the first match wins, so the
#: more specific path comes before its parent.
URL_RULES: tuple[UrlRule, ...] = (
    # LinkedIn's security challenge (CAPTCHA) lives under /checkpoint/challenge/.
    UrlRule("captcha", path_prefix="/checkpoint/challenge"),
    # LinkedIn's logged-out wall: /authwall?trk=...&sessionRedirect=<the page we asked for>.
    UrlRule("auth-wall", path_prefix="/authwall"),
    # Sign-in pages: LinkedIn's /login, the legacy /uas/login and /checkpoint/lg/login.
    UrlRule("auth-wall", path_prefix="/login"),
    UrlRule("auth-wall", path_prefix="/uas/login"),
    UrlRule("auth-wall", path_prefix="/checkpoint"),
    # Sign-up pages (LinkedIn's /signup/cold-join) and Instagram's /accounts/login/.
    UrlRule("auth-wall", path_prefix="/signup"),
    UrlRule("auth-wall", path_prefix="/accounts/login"),
    # Any address carrying the page to come back to after signing in.
    UrlRule("auth-wall", query_param="sessionredirect"),
    UrlRule("auth-wall", query_param="session_redirect"),
    # Google/YouTube send cookie-less visitors in the EU to consent.google.com first.
    UrlRule("consent-wall", host_prefix="consent."),
)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Elements that mark a wall; ``text`` (if set) must match the element's text or content.

    ``what`` names the marker in the error message (``checks.csv``'s ``detail``). ``needs``:
    words of which one at least is in the page's source (lower-cased) wherever ``xpath`` can
    match; a page with none of them is not searched (each search walks the whole tree, and
    most pages have none of the words). Empty: always searched.
    """

    cause: str
    what: str
    xpath: str
    text: re.Pattern[str] | None = None
    needs: tuple[bytes, ...] = ()


def _class(name: str) -> str:
    """XPath test for a whole class name (not a substring of another class)."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_I = re.IGNORECASE

#: What walls look like. Order matters only for the cause reported when several match.
FINGERPRINTS: tuple[Fingerprint, ...] = (
    # LinkedIn's HTTP 999 body, sometimes served with 200: a script-only page that sends the
    # browser to /authwall?...&sessionRedirect=<page>. No text, so the gate always holds.
    Fingerprint(
        "auth-wall",
        "a script that redirects to LinkedIn's authwall",
        "//script",
        re.compile(r"/authwall\b.*sessionRedirect", _I | re.S),
        needs=(b"authwall",),
    ),
    # The same without scripts.
    Fingerprint(
        "auth-wall",
        "a meta refresh to a sign-in address",
        "//meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh']",
        re.compile(r"/(authwall|login|uas/login|checkpoint|signup)\b", _I),
        needs=(b"refresh",),
    ),
    # The authwall's "Join LinkedIn" form (class join-form, posting to /signup/cold-join).
    Fingerprint(
        "auth-wall",
        "a sign-up form",
        f"//form[{_class('join-form')} or contains(@action, '/signup/')]",
        needs=(b"join-form", b"/signup/"),
    ),
    # The authwall's containers, whichever of its two forms is shown.
    Fingerprint(
        "auth-wall",
        "LinkedIn's authwall form",
        f"//*[{_class('authwall-join-form')} or {_class('authwall-sign-in-form')}]",
        needs=(b"authwall-",),
    ),
    # LinkedIn's sign-in forms post to /uas/login-submit or /checkpoint/lg/login-submit.
    Fingerprint(
        "auth-wall",
        "a sign-in form",
        "//form[contains(@action, 'login-submit')]",
        needs=(b"login-submit",),
    ),
    # Any form with a password field, as the main content.
    Fingerprint(
        "auth-wall", "a login form", "//form[.//input[@type='password']]", needs=(b"password",)
    ),
    # reCAPTCHA and hCaptcha widgets.
    Fingerprint(
        "captcha",
        "a CAPTCHA widget",
        f"//*[{_class('g-recaptcha')} or {_class('h-captcha')}]",
        needs=(b"g-recaptcha", b"h-captcha"),
    ),
    # Cloudflare's Turnstile widget and its "checking your browser" form.
    Fingerprint(
        "captcha",
        "a browser challenge",
        f"//*[{_class('cf-turnstile')} or @id='challenge-form']",
        needs=(b"cf-turnstile", b"challenge-form"),
    ),
    # Challenge frames; LinkedIn's challenge page embeds its puzzle as iframe#captcha-internal.
    Fingerprint(
        "captcha",
        "a CAPTCHA frame",
        "//iframe[@id='captcha-internal' or contains(@src, 'recaptcha')"
        " or contains(@src, 'hcaptcha.com') or contains(@src, 'arkoselabs')"
        " or contains(@src, 'challenges.cloudflare.com')]",
        needs=(b"captcha-internal", b"recaptcha", b"hcaptcha.com", b"arkoselabs", b"challenges."),
    ),
    # LinkedIn's challenge form (form#captcha-challenge posting to /checkpoint/challenge/...).
    Fingerprint(
        "captcha",
        "a challenge form",
        "//form[@id='captcha-challenge' or contains(@action, '/challenge')]",
        needs=(b"captcha-challenge", b"/challenge"),
    ),
    # Challenge titles: LinkedIn "Security Verification", Cloudflare "Just a moment...".
    Fingerprint(
        "captcha",
        "a security-check title",
        "//title",
        re.compile(
            r"security (verification|check)|captcha|are you a (human|robot)|just a moment", _I
        ),
    ),
    # Instagram's consent interstitial is titled "Privacy Checks • Instagram".
    Fingerprint(
        "consent-wall",
        'Instagram\'s "Privacy Checks" interstitial',
        "//title",
        re.compile(r"^\s*privacy checks\b", _I),
    ),
    # A modal about cookies or consent (Instagram "Accept cookies from Instagram in this
    # browser?", Facebook "Autoriser l'utilisation des cookies de Facebook ...").
    Fingerprint(
        "consent-wall",
        "a cookie-consent dialog",
        "//*[@role='dialog' or @role='alertdialog']",
        re.compile(r"cookie|consent|privacy checks", _I),
        needs=(b"dialog",),
    ),
    # Consent-management platforms' roots: OneTrust, Didomi, Cookiebot, Usercentrics,
    # Quantcast, Google Funding Choices.
    Fingerprint(
        "consent-wall",
        "a consent-management dialog",
        "//*[@id='onetrust-consent-sdk' or @id='didomi-host' or @id='CybotCookiebotDialog'"
        f" or @id='usercentrics-root' or @id='qc-cmp2-container' or {_class('fc-consent-root')}]",
        needs=(
            b"onetrust-consent-sdk",
            b"didomi-host",
            b"cybotcookiebotdialog",
            b"usercentrics-root",
            b"qc-cmp2-container",
            b"fc-consent-root",
        ),
    ),
)

#: Elements whose content is not text a reader is given (code, styles, option lists, frames).
_NON_TEXT_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "select", "iframe", "head", "title"}
)
#: Page chrome: present on walls and documents alike, so it does not count as content.
_CHROME_TAGS = frozenset({"header", "nav", "footer"})
_CHROME_ROLES = frozenset({"banner", "navigation", "contentinfo"})
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", _I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", _I)
_LOOKS_LIKE_HTML = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", _I | re.S
)


def assess(capture: Capture, *, expected_language: str | None = None) -> None:
    """Raise :class:`BlockedError` unless ``capture`` holds the document.

    A 304 answer (``not_modified``) passes: there is nothing new to judge.

    Args:
        capture: the answer to judge.
        expected_language: the document's language (e.g. ``"fr"``); when given, a page whose
            declared language has another primary subtag is ``wrong-language``.

    Raises:
        BlockedError: with one of the causes listed in the module docstring.
    """
    if capture.not_modified:
        return
    assess_answer(capture)
    assess_page(capture, expected_language=expected_language)


def assess_answer(capture: Capture) -> None:
    """The checks of :func:`assess` that need no parsing: status, address, body, media type.

    Enough on its own for a body that is byte for byte the page of an accepted version (the
    parsed checks would give the same answer on the same bytes).
    """
    if capture.not_modified:
        return
    where = f"{capture.document_id}: {capture.final_url}"
    if not 200 <= capture.status < 300:
        raise BlockedError(f"{where}: HTTP {capture.status}", cause=f"http-{capture.status}")
    url_cause = wall_for_url(capture.final_url)
    if url_cause is not None:
        raise BlockedError(f"{where}: the final address is a {url_cause}", cause=url_cause)
    if not capture.body.strip():
        raise BlockedError(f"{where}: empty body", cause="empty-body")
    media_type = capture.media_type
    if media_type not in HTML_MEDIA_TYPES and (
        media_type or not _LOOKS_LIKE_HTML.match(capture.body)
    ):
        raise BlockedError(
            f"{where}: Content-Type {media_type or '(none)'!r} is not HTML",
            cause="wrong-content-type",
        )


def assess_page(capture: Capture, *, expected_language: str | None = None) -> None:
    """The checks of :func:`assess` on the parsed page: walls, app shells, language."""
    if capture.not_modified:
        return
    where = f"{capture.document_id}: {capture.final_url}"
    root = _parse(capture.body, capture.charset)
    if root is None:
        raise BlockedError(f"{where}: no HTML could be parsed", cause="empty-body")
    wall = _find_wall(root, capture.body.lower())
    if wall is not None:
        raise BlockedError(f"{where}: {wall[1]}", cause=wall[0])
    if not _has_text(root, APP_SHELL_MAX_TEXT_CHARS):
        text_chars = len(_page_text(root))
        raise BlockedError(
            f"{where}: only {text_chars} characters of text (an empty app shell?)",
            cause="app-shell",
        )
    if expected_language:
        found = page_language(root, capture)
        if found is not None and _primary(found) != _primary(expected_language):
            raise BlockedError(
                f"{where}: page language {found!r}, expected {expected_language!r}",
                cause="wrong-language",
            )


def wall_for_url(url: str) -> str | None:
    """The cause if ``url`` is a sign-in, challenge or consent address (see ``URL_RULES``)."""
    parts = urlsplit(url)
    path = parts.path.lower()
    host = (parts.hostname or "").lower()
    params = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    for rule in URL_RULES:
        if rule.path_prefix is not None and (
            path == rule.path_prefix or path.startswith(rule.path_prefix + "/")
        ):
            return rule.cause
        if rule.host_prefix is not None and host.startswith(rule.host_prefix):
            return rule.cause
        if rule.query_param is not None and rule.query_param in params:
            return rule.cause
    return None


def page_language(root: lxml.html.HtmlElement, capture: Capture | None = None) -> str | None:
    """The page's declared language: ``<html lang>``, then locale metadata, then the header."""
    for attribute in ("lang", "{http://www.w3.org/XML/1998/namespace}lang", "xml:lang"):
        value = (root.get(attribute) or "").strip()
        if value:
            return value
    for meta in root.iter("meta"):
        if (meta.get("name") or meta.get("property") or "").lower() in {"locale", "og:locale"}:
            value = (meta.get("content") or "").strip()
            if value:
                return value
    if capture is not None:
        header = (capture.header("content-language") or "").split(",")[0].strip()
        if header:
            return header
    return None


def _primary(tag: str) -> str:
    return re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]


def _parse(body: bytes, charset: str | None) -> lxml.html.HtmlElement | None:
    import lxml.etree
    import lxml.html

    encoding = charset or _sniff_charset(body) or "utf-8"
    for candidate in (encoding, "utf-8"):
        try:
            parser = lxml.html.HTMLParser(encoding=candidate)
            return lxml.html.document_fromstring(body, parser=parser)
        except LookupError:
            continue
        except (lxml.etree.ParserError, ValueError):
            return None
    return None


def _sniff_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def _find_wall(root: lxml.html.HtmlElement, source: bytes) -> tuple[str, str] | None:
    import lxml.html

    """The first fingerprint with a shown match and little other text: (cause, detail).

    ``source``: the page's bytes, lower-cased, for the fingerprints' ``needs``.
    """
    for fingerprint in FINGERPRINTS:
        if fingerprint.needs and not any(word in source for word in fingerprint.needs):
            continue
        for element in root.xpath(fingerprint.xpath):
            if not isinstance(element, lxml.html.HtmlElement) or _hidden(element):
                continue
            if fingerprint.text is not None:
                content = element.text_content() + " " + (element.get("content") or "")
                if not fingerprint.text.search(content):
                    continue
            other = len(_page_text(root, skip=element))
            if other < WALL_MAX_OTHER_TEXT_CHARS:
                return fingerprint.cause, (
                    f"{fingerprint.what} and only {other} characters of other text"
                )
    return None


def _hidden(element: lxml.html.HtmlElement) -> bool:
    node: lxml.html.HtmlElement | None = element
    while node is not None:
        if node.get("aria-hidden", "").lower() == "true" or node.get("hidden") is not None:
            return True
        if _DISPLAY_NONE.search(node.get("style", "")):
            return True
        node = node.getparent()
    return False


def _page_text(root: lxml.html.HtmlElement, skip: lxml.html.HtmlElement | None = None) -> str:
    """The body's text, shown or not, without chrome, scripts, styles and ``skip``."""
    return " ".join("".join(_text_parts(root, skip)).split())


def _has_text(root: lxml.html.HtmlElement, chars: int) -> bool:
    """Whether :func:`_page_text` has ``chars`` characters or more, read only as far as needed.

    Its characters other than white space are a lower bound of its length: most pages reach
    ``chars`` of them in their first paragraphs, and the rest of the tree is not walked.
    """
    seen = 0
    for part in _text_parts(root, None):
        seen += len("".join(part.split()))
        if seen >= chars:
            return True
    return len(_page_text(root)) >= chars


def _text_parts(root: lxml.html.HtmlElement, skip: lxml.html.HtmlElement | None) -> Iterator[str]:
    body = root.find("body")
    if body is None:
        body = root

    def walk(element: lxml.html.HtmlElement) -> Iterator[str]:
        if element is not skip and _readable(element):
            if element.text:
                yield element.text
            for child in element:
                yield from walk(child)
        if element.tail and element is not body:
            yield element.tail

    return walk(body)


def _readable(element: lxml.html.HtmlElement) -> bool:
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return False
    if tag.lower() in _NON_TEXT_TAGS or tag.lower() in _CHROME_TAGS:
        return False
    return (element.get("role") or "").lower() not in _CHROME_ROLES
