"""Telegram messages: content, escaping, and splitting under Telegram's limits after parsing.

Every message is parsed with ``tracker.render.telegram_html`` (our port of TDLib's parser, checked
against TDLib itself in tests/test_telegram_html.py) and measured as Telegram measures it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.changes import compare_classified
from tracker.classify.taxonomy import Taxonomy
from tracker.compare.worddiff import word_diff
from tracker.models import Change, ChangeKind, ClauseChange, Significance
from tracker.notify.channels import Channel
from tracker.render.telegram import (
    CONTEXT_CHARS,
    MAX_CLAUSE_MESSAGES,
    Message,
    PostContext,
    digest_line,
    in_context,
    render_digest,
    render_post,
)
from tracker.render.telegram_html import parse_html
from tracker.render.telegram_limits import CAPTION_LIMIT, ENTITY_BUDGET, TEXT_LIMIT, measure

OLD = """# Regional Privacy Notice

_[Effective June 1, 2025](https://example.test/updates)_

## How we use your data

We use your profile and your posts to provide the Services, on the basis of the contract.

We keep your data while your account is open.

## Security

We keep your account safe.
"""

NEW = """# Regional Privacy Notice

_[Effective November 3, 2025](https://example.test/updates)_

## How we use your data

We use your profile and your posts to provide the Services, on the basis of the contract.

We rely on our legitimate interests to use your profile and posts to train generative AI \
models. You can opt out in your settings.

We keep your data while your account is open, and for 30 days after.

## Security
"""

CONTEXT = PostContext(
    title="Acme Regional Privacy Notice",
    source_url="https://acme.test/legal/privacy/eu?a=1&b=2",
    detected_at=datetime(2025, 11, 4, 0, 35, tzinfo=UTC),
    change_page="acme/notice/changes/2025-11-04T00-35-00Z.html",
    effective=date(2025, 11, 3),
)
EN = Channel("en", "@acme_watch", ("acme/*",), public_url="https://arch.example.org/s/")
FR = Channel("fr", "-1001234567890", ("acme/*",), language="fr")


def make_change(taxonomy: Taxonomy, old: str = OLD, new: str = NEW) -> Change:
    return compare_classified(
        old,
        new,
        document="acme/notice",
        from_version="2025-09-18T12-34-39Z",
        to_version="2025-11-04T00-35-00Z",
        taxonomy=taxonomy,
    )


def check_limits(message: Message) -> str:
    """Parse like TDLib, assert every limit, return the text a reader sees."""
    size = measure(message.html)
    limit = CAPTION_LIMIT if message.attachment else TEXT_LIMIT
    assert 0 < size.length <= limit
    assert size.entities <= ENTITY_BUDGET
    assert size.raw_bytes <= 32_768
    return parse_html(message.html).text


# ------------------------------------------------------------------------------ a post
def test_post_shape_summary_clauses_document(taxonomy: Taxonomy):
    messages = render_post(make_change(taxonomy), CONTEXT, EN)
    roles = [m.role for m in messages]
    assert roles == ["summary", "clauses", "document"]
    summary, clauses, document = messages
    assert not summary.reply_to_summary and not summary.silent
    assert clauses.reply_to_summary and clauses.silent
    assert document.reply_to_summary and document.silent
    assert document.attachment == CONTEXT.change_page
    assert document.filename == "acme-notice-2025-11-04T00-35-00Z.html"
    assert (
        summary.preview_url
        == "https://arch.example.org/s/acme/notice/changes/2025-11-04T00-35-00Z.html"
    )
    for message in messages:
        check_limits(message)


def test_summary_says_what_changed_and_links(taxonomy: Taxonomy):
    summary = render_post(make_change(taxonomy), CONTEXT, EN)[0]
    text = parse_html(summary.html).text
    assert "Acme Regional Privacy Notice" in text
    assert "Substantive change" in text
    assert "detected 4 Nov 2025, 00:35 UTC" in text
    assert "effective 3 Nov 2025" in text
    assert re.search(r"✏️ \d+ modified", text)
    assert "➕ 1 added" in text
    assert "➖ 1 removed" in text
    assert "Legal basis changed: +legitimate interests" in text
    assert "#legitimate_interests" in text
    assert "#ai_training" in text
    links = {e.url for e in parse_html(summary.html).entities if e.type == "text_link"}
    assert links == {
        "https://arch.example.org/s/acme/notice/changes/2025-11-04T00-35-00Z.html",
        "https://acme.test/legal/privacy/eu?a=1&b=2",
    }


def test_clauses_ranked_marked_and_labelled(taxonomy: Taxonomy):
    clauses = render_post(make_change(taxonomy), CONTEXT, EN)[1]
    parsed = parse_html(clauses.html)
    text = parsed.text
    # The legal-basis clause comes first.
    first = text.index("legitimate interests to use your profile")
    assert first < text.index("30 days")
    assert "➕ How we use your data" in text or "➕" in text.splitlines()[0]
    assert "🏷 +legitimate interests: “legitimate interests”" in text
    assert "AI training" in text
    kinds = {e.type for e in parsed.entities}
    assert {"underline", "strikethrough", "expandable_blockquote", "bold"} <= kinds
    # Insertions are underlined after a ➕, deletions struck through after a ➖.
    underlined = [text_of(parsed, e) for e in parsed.entities if e.type == "underline"]
    assert any("30 days after" in u for u in underlined)
    struck = [text_of(parsed, e) for e in parsed.entities if e.type == "strikethrough"]
    assert any("We keep your account safe." in s for s in struck)


def text_of(parsed: object, entity: object) -> str:
    text = parsed.text  # type: ignore[attr-defined]
    encoded = text.encode("utf-16-le")
    start, length = entity.offset, entity.length  # type: ignore[attr-defined]
    return encoded[start * 2 : (start + length) * 2].decode("utf-16-le")


def test_french_channel_uses_french_words_and_keeps_page_text(taxonomy: Taxonomy):
    summary, clauses, document = render_post(make_change(taxonomy), CONTEXT, FR)
    text = parse_html(summary.html).text
    assert "Modification de fond" in text
    assert "détectée le 4 nov. 2025 à 00:35 UTC" in text
    assert "en vigueur le 3 nov. 2025" in text
    assert "Base légale modifiée\u00a0: +intérêts légitimes" in text
    assert "comparaison complète en pièce jointe" in text, "no public_url: the file is the diff"
    assert summary.preview_url is None
    assert "legitimate interests to use your profile" in parse_html(clauses.html).text
    assert "Page complète de la modification" in parse_html(document.html).text


def test_label_filter_puts_the_wanted_clauses_first(taxonomy: Taxonomy):
    old = OLD.replace("We keep your account safe.", "We keep your account safe.\n\nWe use cookies.")
    new = NEW.replace("## Security\n", "## Security\n\nWe use cookies and your location.\n")
    channel = Channel("f", "@acme_watch", ("acme/*",), labels=("location",))
    clauses = render_post(make_change(taxonomy, old, new), CONTEXT, channel)[1]
    text = parse_html(clauses.html).text
    assert text.index("location") < text.index("legitimate interests to use")


# ------------------------------------------------------------------------------ escaping
NASTY = "A <b>bold</b> claim & \"quotes\" 'single' &nbsp; &amp; <p> a < b > c 🧑‍💻 𝔘 مرحبا"


def test_page_text_is_escaped_and_survives_parsing(taxonomy: Taxonomy):
    old = OLD.replace("We keep your account safe.", f"We keep your account safe. {NASTY}")
    new = NEW + f"\n{NASTY} and your profile.\n"
    change = make_change(taxonomy, old, new)
    context = PostContext(
        title='Acme <"Notice"> & co',
        source_url='https://acme.test/?q="x"&r=<y>',
        detected_at=CONTEXT.detected_at,
        change_page=CONTEXT.change_page,
    )
    messages = render_post(change, context, EN, max_clauses=10)
    seen = "\n".join(check_limits(m) for m in messages)
    assert NASTY in seen, "page text reaches the reader unchanged"
    assert 'Acme <"Notice"> & co' in seen
    summary = parse_html(messages[0].html)
    urls = {e.url for e in summary.entities if e.type == "text_link"}
    assert 'https://acme.test/?q="x"&r=<y>' in urls


# ------------------------------------------------------------------------------ splitting
def long_policy(n: int, words: int, marker: str = "clause") -> str:
    body = "\n\n".join(
        f"Paragraph {i} {marker}: " + " ".join(f"word{i}x{j}" for j in range(words))
        for i in range(n)
    )
    return f"# Policy\n\n## Section\n\nIntro.\n\n{body}\n"


def test_many_clauses_are_packed_split_between_clauses_and_numbered(taxonomy: Taxonomy):
    change = make_change(taxonomy, "# Policy\n\n## Section\n\nIntro.\n", long_policy(30, 60))
    messages = render_post(change, CONTEXT, EN, max_clauses=30)
    replies = [m for m in messages if m.role == "clauses"]
    assert len(replies) >= 3
    texts = [check_limits(m) for m in replies]
    for position, text in enumerate(texts, 1):
        assert text.startswith(f"({position}/{len(replies)})")
    joined = "\n".join(texts)
    for i in range(30):  # nothing lost, each clause whole in one message
        whole = f"Paragraph {i} clause: " + " ".join(f"word{i}x{j}" for j in range(60))
        assert sum(whole in t for t in texts) == 1, i
    assert "more changed clause" not in joined


def test_clauses_beyond_the_cap_are_counted_and_linked(taxonomy: Taxonomy):
    change = make_change(taxonomy, "# Policy\n\n## Section\n\nIntro.\n", long_policy(7, 5))
    messages = render_post(change, CONTEXT, EN, max_clauses=2)
    replies = [m for m in messages if m.role == "clauses"]
    last = parse_html(replies[-1].html)
    assert "+5 more changed clauses on the change page" in last.text
    assert any(e.type == "text_link" for e in last.entities)
    shown = sum(f"Paragraph {i} clause" in check_limits(m) for m in replies for i in range(7))
    assert shown == 2


def test_a_clause_longer_than_a_message_is_split_between_words(taxonomy: Taxonomy):
    # About 9,000 characters: longer than a message, shorter than the clause cap of
    # tracker.compare.clauses (MAX_CLAUSE_CHARS), above which a clause is cut before it gets here.
    change = make_change(taxonomy, "# Policy\n\n## Section\n\nIntro.\n", long_policy(1, 900))
    replies = [m for m in render_post(change, CONTEXT, EN) if m.role == "clauses"]
    assert len(replies) >= 2
    texts = [check_limits(m) for m in replies]
    assert "(continued)" in texts[1]
    words = [w for t in texts for w in re.findall(r"word0x\d+", t)]
    assert words == [f"word0x{j}" for j in range(900)], "every word once, in order"


def giant_clause_change(edit: tuple[str, str]) -> tuple[Change, str]:
    """A 100,000-character clause with a 2-word edit in the middle, as a change record holds it
    (rendering gets clauses of any size: no bound upstream is assumed)."""
    sentences = [
        f"Sentence {i} says that we process the data of members to provide the Services."
        for i in range(1300)
    ]
    old = " ".join(sentences)[:100_000]
    middle = old.index("Sentence 650 ")
    edited = old[middle:].replace(edit[0], edit[1], 1)
    new = old[:middle] + edited
    assert len(old) == 100_000
    clause = ClauseChange(
        kind=ChangeKind.MODIFIED,
        section=("Policy", "How we use your data"),
        old=old,
        new=new,
        diff=word_diff(old, new),
        significance=Significance.SUBSTANTIVE,
    )
    change = Change(
        document="acme/notice",
        from_version="2025-09-18T12-34-39Z",
        to_version="2025-11-04T00-35-00Z",
        significance=Significance.SUBSTANTIVE,
        clauses=(clause,),
    )
    return change, edited.split(". ", 1)[0] + "."


def test_a_two_word_edit_in_a_giant_clause_is_shown_in_context_in_three_messages():
    change, _sentence = giant_clause_change(
        ("we process the data of members", "we sell the data of visitors")
    )
    messages = render_post(change, CONTEXT, EN)
    assert [m.role for m in messages] == ["summary", "clauses", "document"]  # was 34 messages
    text = check_limits(messages[1])
    assert (
        "Sentence 650 says that we ➖process➕sell the data of ➖members➕visitors to provide the "
        "Services." in text
    ), "the edit, marked, in its whole sentence"
    assert "Sentence 649 says" in text and "Sentence 651 says" in text
    assert "Sentence 1 says" not in text and "Sentence 1200 says" not in text
    assert text.count("…") == 2, "what is left out is marked, before and after"
    assert len(text) < 2 * CONTEXT_CHARS + 400


def test_edits_far_apart_keep_their_own_context_and_the_gap_is_marked():
    sentences = [f"Rule {i} applies to every member." for i in range(400)]
    old = " ".join(sentences)
    new = old.replace("Rule 100 applies", "Rule 100 never applies").replace(
        "Rule 300 applies to every member.", "Rule 300 applies to no member."
    )
    ops = in_context(word_diff(old, new))
    shown = "".join(text for _op, text in ops)
    assert shown.startswith("… ") and shown.endswith(" …")
    assert shown.count("…") == 3, "before, between and after"
    assert "Rule 99 applies" in shown and "Rule 101 applies" in shown
    assert "Rule 299 applies" in shown and "Rule 301 applies" in shown
    assert "Rule 200 applies" not in shown
    assert len(shown) < 4 * CONTEXT_CHARS + 100
    assert in_context(word_diff(old[:500], new[:500])) == list(word_diff(old[:500], new[:500]))


def test_an_alert_takes_at_most_a_few_messages_and_links_what_it_leaves_out():
    long_text = " ".join(f"Added sentence {i} about the data we process." for i in range(2000))
    clauses = tuple(
        ClauseChange(
            kind=ChangeKind.ADDED,
            section=("Policy", f"Section {n}"),
            old=None,
            new=f"{n} {long_text}",
            diff=(),
            significance=Significance.SUBSTANTIVE,
        )
        for n in range(3)
    )
    change = Change(
        document="acme/notice",
        from_version="2025-09-18T12-34-39Z",
        to_version="2025-11-04T00-35-00Z",
        significance=Significance.SUBSTANTIVE,
        clauses=clauses,
    )
    replies = [m for m in render_post(change, CONTEXT, EN) if m.role == "clauses"]
    assert len(replies) == MAX_CLAUSE_MESSAGES
    last = parse_html(replies[-1].html)
    assert "the rest of this clause and +2 more changed clauses on the change page" in last.text
    assert any(e.type == "text_link" for e in last.entities)
    for message in replies:
        check_limits(message)


def test_many_small_edits_stay_under_the_entity_budget(taxonomy: Taxonomy):
    old_words = " ".join(f"alpha{j}" for j in range(400))
    new_words = " ".join(f"alpha{j}" if j % 2 else f"beta{j}" for j in range(400))
    change = make_change(taxonomy, f"# P\n\n## S\n\n{old_words}\n", f"# P\n\n## S\n\n{new_words}\n")
    replies = [m for m in render_post(change, CONTEXT, EN) if m.role == "clauses"]
    assert len(replies) >= 3, "400 edits need several messages of at most 90 entities"
    for message in replies:
        check_limits(message)


CLAUSE_TEXT = (
    st.lists(
        st.sampled_from(
            [*"abc <>&\"'; é𝔘\u200f\u00a0*_[]()\\#", "🧑‍💻", "&nbsp;", "<br>", "word "]
        ),
        min_size=1,
        max_size=120,
    )
    .map("".join)
    .filter(lambda t: t.strip() != "")
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=st.lists(CLAUSE_TEXT, min_size=1, max_size=4), new=st.lists(CLAUSE_TEXT, max_size=4))
def test_any_page_text_gives_messages_telegram_accepts(
    taxonomy: Taxonomy, old: list[str], new: list[str]
):
    def doc(parts: list[str]) -> str:
        return (
            "# T\n\n## S\n\n" + "\n\n".join(f"Clause {i} {p}" for i, p in enumerate(parts)) + "\n"
        )

    change = make_change(taxonomy, doc(old), doc(new))
    if change.significance is Significance.COSMETIC or not change.clauses:
        return
    for message in render_post(change, CONTEXT, EN, max_clauses=10):
        check_limits(message)


# ------------------------------------------------------------------------------ digest
def test_digest_gathers_lines_and_splits_when_long(taxonomy: Taxonomy):
    change = make_change(taxonomy)
    line = digest_line(change, CONTEXT, EN)
    assert line.role == "digest-item"
    messages = render_digest([line.html] * 60, EN)
    assert len(messages) >= 2
    texts = [check_limits(m) for m in messages]
    assert texts[0].startswith("🗂 Minor changes since the last digest")
    assert sum(t.count("Acme Regional Privacy Notice") for t in texts) == 60


def test_a_minor_change_for_a_channel_that_wants_them(taxonomy: Taxonomy):
    old = "# P\n\n## S\n\nWe use your data. To do that we ask you.\n"
    new = "# P\n\n## S\n\nWe use your data; to do that we ask you.\n"
    change = make_change(taxonomy, old, new)
    assert change.significance is Significance.MINOR
    channel = Channel("m", "@minor_watch", ("acme/*",), min_significance=Significance.MINOR)
    summary, clauses, _document = render_post(change, CONTEXT, channel)
    assert "Minor change" in parse_html(summary.html).text
    expected = "✏️ P \u203a S\nWe use your data➖. To➕; to do that we ask you."
    assert parse_html(clauses.html).text == expected
