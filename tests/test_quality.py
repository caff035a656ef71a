"""assess: walls, shells and block answers are told apart from the document, real pages pass."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.corpus import CORPUS, MANIFEST
from tests.servers import FIXED_NOW, PAGES, page_bytes
from tracker.errors import BlockedError
from tracker.fetch.quality import assess, wall_for_url
from tracker.models import Capture

URL = "https://www.linkedin.com/legal/privacy-policy"
V1 = "linkedin/privacy-policy/v1.html"
LEGAL_PAGES = [
    (V1, "en"),
    ("linkedin/privacy-policy/v2.html", "en"),
    ("linkedin/privacy-policy/v1-noise.html", "en"),
    ("linkedin/eu-regional-privacy-notice/v1.html", "en"),
    ("linkedin/help/answer-v1.html", "en"),
    ("linkedin/privacy-policy-fr/v1.html", "fr"),
]


def capture_of(
    body: bytes,
    *,
    status: int = 200,
    content_type: str | None = "text/html; charset=utf-8",
    final_url: str = URL,
    headers: tuple[tuple[str, str], ...] = (),
    not_modified: bool = False,
) -> Capture:
    type_header = (("Content-Type", content_type),) if content_type is not None else ()
    return Capture(
        document_id="linkedin/privacy-policy",
        requested_url=URL,
        final_url=final_url,
        status=status,
        headers=type_header + headers,
        body=body,
        fetched_at=FIXED_NOW,
        not_modified=not_modified,
    )


def cause_of(capture: Capture, expected_language: str | None = None) -> str | None:
    """The cause ``assess`` raises, or None if the capture passes."""
    try:
        assess(capture, expected_language=expected_language)
    except BlockedError as exc:
        return exc.cause
    return None


def html(body: str, *, head: str = "", lang: str = "en") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{head}</head><body>{body}</body></html>'.encode()
    )


# --------------------------------------------------------------------------- real pages
@pytest.mark.parametrize(("page", "language"), LEGAL_PAGES, ids=[p for p, _ in LEGAL_PAGES])
def test_legal_fixture_pages_pass(page: str, language: str) -> None:
    assert cause_of(capture_of(page_bytes(page)), expected_language=language) is None


def test_header_sign_in_links_and_a_hidden_cookie_banner_do_not_make_a_wall() -> None:
    page = page_bytes(V1)
    assert b">\n                Sign in\n" in page and b"Join now" in page
    assert b'aria-hidden="true" severity="NOTICE" type="COOKIE_CONSENT"' in page
    assert cause_of(capture_of(page)) is None


def test_a_help_answer_linking_to_the_login_checkpoint_passes() -> None:
    page = page_bytes("linkedin/help/answer-v1.html")
    assert b"/checkpoint/lg/login?session_redirect=" in page
    assert cause_of(capture_of(page)) is None


def test_a_shown_cookie_dialog_over_the_whole_text_is_not_a_wall() -> None:
    page = page_bytes(V1).replace(
        b'aria-hidden="true" severity="NOTICE"', b'role="dialog" severity="NOTICE"'
    )
    assert cause_of(capture_of(page)) is None


def test_a_hidden_sign_in_modal_on_a_real_page_is_not_a_wall_but_shown_alone_it_is() -> None:
    modal = (
        '<section class="authwall-join-form" {}><h2>Join LinkedIn</h2>'
        '<form class="join-form" action="https://www.linkedin.com/signup/cold-join">'
        '<input type="password" name="password"><button>Agree &amp; Join</button></form></section>'
    )
    hidden = page_bytes(V1).replace(b"</main>", modal.format("hidden").encode() + b"</main>")
    assert cause_of(capture_of(hidden)) is None
    assert cause_of(capture_of(html(modal.format("")))) == "auth-wall"


# --------------------------------------------------------------------------- blocked pages
@pytest.mark.parametrize(
    ("page", "cause"),
    [
        ("blocked/status-999.html", "auth-wall"),  # LinkedIn's 999 body, here with a 200
        ("blocked/authwall.html", "auth-wall"),
        ("blocked/consent-interstitial.html", "consent-wall"),
        ("blocked/app-shell.html", "app-shell"),
        ("blocked/captcha.html", "captcha"),
    ],
)
def test_blocked_fixture_pages_get_their_cause(page: str, cause: str) -> None:
    assert cause_of(capture_of(page_bytes(page))) == cause


@pytest.mark.parametrize("status", [999, 403, 429, 404, 410, 500, 503, 301, 304])
def test_an_unsuccessful_status_is_named_by_its_code_whatever_the_body(status: int) -> None:
    assert cause_of(capture_of(page_bytes(V1), status=status)) == f"http-{status}"


def test_a_304_to_a_conditional_request_passes_with_its_empty_body() -> None:
    assert cause_of(capture_of(b"", status=304, not_modified=True)) is None


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("https://www.linkedin.com/authwall?trk=bf&sessionRedirect=https%3A%2F%2Fx", "auth-wall"),
        ("https://www.linkedin.com/login?session_redirect=%2Flegal%2Fprivacy", "auth-wall"),
        ("https://www.linkedin.com/uas/login?trk=guest_homepage", "auth-wall"),
        ("https://www.linkedin.com/checkpoint/lg/login?trk=x", "auth-wall"),
        ("https://www.linkedin.com/signup/cold-join?trk=x", "auth-wall"),
        ("https://www.linkedin.com/legal/privacy-policy?sessionRedirect=x", "auth-wall"),
        ("https://www.instagram.com/accounts/login/?next=%2Flegal%2F", "auth-wall"),
        ("https://www.linkedin.com/checkpoint/challenge/AgF3x?ut=2", "captcha"),
        ("https://consent.google.com/ml?continue=https://policies.google.com", "consent-wall"),
    ],
)
def test_a_final_url_on_a_wall_is_blocked_whatever_the_body(url: str, cause: str) -> None:
    assert wall_for_url(url) == cause
    assert cause_of(capture_of(page_bytes(V1), final_url=url)) == cause


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/legal/privacy-policy?_l=fr_FR",
        "https://www.linkedin.com/legal/privacy/eu",
        "https://fr.linkedin.com/legal/l/service-terms",
        "https://www.linkedin.com/help/linkedin/answer/a1337770?_l=hi_IN",
        "https://www.linkedin.com/legal/loginfo",  # a path segment, not a prefix of letters
    ],
)
def test_document_addresses_are_not_walls(url: str) -> None:
    assert wall_for_url(url) is None


# --------------------------------------------------------------------------- types & shapes
@pytest.mark.parametrize(
    "content_type", ["application/pdf", "application/json", "image/png", "text/plain"]
)
def test_a_non_html_content_type_is_refused(content_type: str) -> None:
    assert cause_of(capture_of(page_bytes(V1), content_type=content_type)) == "wrong-content-type"


@pytest.mark.parametrize("content_type", ["text/html", "application/xhtml+xml; charset=utf-8"])
def test_html_and_xhtml_are_accepted(content_type: str) -> None:
    assert cause_of(capture_of(page_bytes(V1), content_type=content_type)) is None


def test_without_a_content_type_the_bytes_must_look_like_html() -> None:
    assert cause_of(capture_of(page_bytes(V1), content_type=None)) is None
    assert cause_of(capture_of(b'{"error": "denied"}', content_type=None)) == "wrong-content-type"


@pytest.mark.parametrize("body", [b"", b"  \n\t"])
def test_an_empty_body_is_reported_as_such(body: bytes) -> None:
    assert cause_of(capture_of(body)) == "empty-body"


def test_a_login_form_as_the_main_content_is_an_auth_wall() -> None:
    form = '<main><h1>Sign in</h1><form action="/session"><input type="password"></form></main>'
    assert cause_of(capture_of(html(form))) == "auth-wall"


def test_a_browser_check_page_is_a_captcha() -> None:
    page = html(
        "<p>Checking your browser before accessing the site.</p>",
        head="<title>Just a moment...</title>",
    )
    assert cause_of(capture_of(page)) == "captcha"


def test_a_meta_refresh_to_the_authwall_is_an_auth_wall() -> None:
    head = '<meta http-equiv="Refresh" content="0; url=https://www.linkedin.com/authwall?trk=bf">'
    assert cause_of(capture_of(html("", head=head))) == "auth-wall"


# --------------------------------------------------------------------------- language
def test_english_served_for_the_french_document_is_the_wrong_language() -> None:
    assert cause_of(capture_of(page_bytes(V1)), expected_language="fr") == "wrong-language"


def test_language_subtags_are_compared_by_their_primary_part() -> None:
    page = page_bytes("linkedin/privacy-policy-fr/v1.html")
    assert cause_of(capture_of(page), expected_language="fr-FR") is None
    assert cause_of(capture_of(page), expected_language="fr_CA") is None


def test_without_html_lang_the_locale_meta_then_content_language_decide() -> None:
    text = "<p>" + "Texte de la politique. " * 20 + "</p>"
    with_meta = html(text, head='<meta name="locale" content="fr_FR">', lang="").replace(
        b' lang=""', b""
    )
    assert cause_of(capture_of(with_meta), expected_language="en") == "wrong-language"
    bare = html(text, lang="").replace(b' lang=""', b"")
    spoken = capture_of(bare, headers=(("Content-Language", "fr"),))
    assert cause_of(spoken, expected_language="en") == "wrong-language"
    assert cause_of(capture_of(bare), expected_language="en") is None  # nothing declared


# --------------------------------------------------------------------------- the corpus
_ENTRIES: list[dict[str, Any]] = (
    [e for e in json.loads(MANIFEST.read_text("utf-8"))["files"] if e["kind"] == "snapshot-html"]
    if MANIFEST.is_file()
    else []
)
#: Where OTA fetched the pages that carry no URL in the manifest.
_USUAL_URLS = {
    "other-platforms/twitter": "https://twitter.com/fr/privacy",
    "other-platforms/youtube": "https://policies.google.com/privacy?hl=fr",
    "other-platforms/facebook": "https://fr-fr.facebook.com/policy.php",
    "other-platforms/instagram": "https://help.instagram.com/519522125107875",
}
#: LinkedIn answered the India instance in English for this document (``<html lang="en">``).
_SERVED_IN_ENGLISH = {("professional-community-policies", "hi-IN_india")}


def corpus_cases(keep: Any) -> list[Any]:
    """Manifest entries as test parameters, or one skipped case saying why there are none."""
    if not _ENTRIES:
        reason = f"corpus not found at {CORPUS} (set TRACKER_CORPUS to its folder)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-corpus")]
    return [pytest.param(e, id=e["path"]) for e in _ENTRIES if keep(e)]


def corpus_capture(entry: dict[str, Any]) -> Capture:
    url = (
        entry.get("fetched_url")
        or entry.get("canonical_url")
        or _USUAL_URLS.get(entry["platform"], f"https://www.linkedin.com/legal/{entry['document']}")
    )
    return Capture(
        document_id=f"{entry['platform']}/{entry['document']}",
        requested_url=url,
        final_url=url,
        status=200,
        headers=(("Content-Type", "text/html"),),
        body=(CORPUS / entry["path"]).read_bytes(),
        fetched_at=FIXED_NOW,
    )


def expected_negative_cause(entry: dict[str, Any]) -> str:
    note = entry.get("note", "")
    if "interstitial" in note:
        return "consent-wall"
    if "application shell" in note:
        return "app-shell"
    raise AssertionError(f"add the expected cause of this negative case: {note}")


@pytest.mark.corpus
@pytest.mark.parametrize("entry", corpus_cases(lambda e: e.get("negative_case")))
def test_corpus_negative_cases_are_flagged_with_their_cause(entry: dict[str, Any]) -> None:
    assert cause_of(corpus_capture(entry)) == expected_negative_cause(entry)


@pytest.mark.corpus
@pytest.mark.parametrize("entry", corpus_cases(lambda e: e["platform"] == "linkedin"))
def test_every_linkedin_capture_in_the_corpus_passes(entry: dict[str, Any]) -> None:
    assert cause_of(corpus_capture(entry)) is None


@pytest.mark.corpus
@pytest.mark.parametrize("entry", corpus_cases(lambda e: e["platform"] == "linkedin"))
def test_linkedin_captures_are_in_the_language_of_their_series_or_flagged(
    entry: dict[str, Any],
) -> None:
    language = entry["locale"].replace("_", "-").split("-")[0]
    expected = (
        "wrong-language" if (entry["document"], entry["series"]) in _SERVED_IN_ENGLISH else None
    )
    assert cause_of(corpus_capture(entry), expected_language=language) == expected


@pytest.mark.corpus
@pytest.mark.parametrize(
    "entry",
    corpus_cases(lambda e: e["platform"] != "linkedin" and not e.get("negative_case")),
)
def test_other_platforms_pages_holding_the_policy_pass_even_under_a_consent_banner(
    entry: dict[str, Any],
) -> None:
    # The early-2022 Facebook captures show a cookie dialog (and, once, mark the page behind
    # it aria-hidden) but their bytes hold the whole policy: that is the document, not a wall.
    assert cause_of(corpus_capture(entry)) is None


# --------------------------------------------------------------------------- the words filter
def _every_page() -> list[bytes]:
    """The fixture pages, written here, and the corpus's HTML if it is there."""
    pages = [p.read_bytes() for p in sorted(PAGES.glob("**/*.html"))]
    if CORPUS.is_dir():
        pages += [p.read_bytes() for p in sorted(CORPUS.glob("**/*.html"))]
    return pages


def test_the_words_filter_never_changes_what_a_fingerprint_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fingerprint is skipped when the page lacks all its ``needs``: on every page at hand,
    and on each kind of wall written here, the walls found are those of a search of every
    fingerprint."""
    import dataclasses

    import tracker.fetch.quality as quality

    walls = [
        html('<form class="join-form" action="/signup/cold-join"><input name="x"></form>'),
        html('<div class="authwall-sign-in-form"><p>Sign in</p></div>'),
        html('<form action="/uas/login-submit"><input type="text"></form>'),
        html('<div class="g-recaptcha"></div>'),
        html('<div class="cf-turnstile"></div>'),
        html('<iframe src="https://challenges.cloudflare.com/x"></iframe>'),
        html('<form id="captcha-challenge" action="/checkpoint/challenge/x"></form>'),
        html('<div role="alertdialog"><p>Accept cookies?</p></div>'),
        html('<div id="CybotCookiebotDialog"><p>We use cookies</p></div>'),
        html("<script>location='/authwall?trk=x&sessionRedirect=y'</script>"),
    ]
    pages = _every_page() + walls
    unfiltered = tuple(dataclasses.replace(f, needs=()) for f in quality.FINGERPRINTS)
    found = []
    for body in pages:
        root = quality._parse(body, None)
        if root is not None:
            found.append(quality._find_wall(root, body.lower()))
    monkeypatch.setattr(quality, "FINGERPRINTS", unfiltered)
    expected = []
    for body in pages:
        root = quality._parse(body, None)
        if root is not None:
            expected.append(quality._find_wall(root, body.lower()))
    assert found == expected
    assert sum(wall is not None for wall in found[-len(walls) :]) == len(walls)


@pytest.mark.parametrize("chars", [0, 1, 199, 200, 201, 5000])
def test_the_early_text_count_agrees_with_the_whole_text(chars: int) -> None:
    import tracker.fetch.quality as quality

    for body in [*_every_page()[:20], html("<p>" + "a b " * 60 + "</p>"), html("")]:
        root = quality._parse(body, None)
        assert root is not None
        assert quality._has_text(root, chars) == (len(quality._page_text(root)) >= chars)
