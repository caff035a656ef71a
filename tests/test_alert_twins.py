"""Twins (issue 15): a French channel gets the French twin's clauses when the French document
changed the same way, and every post says whether the other language changed too (real
pages from tests/fixtures, the real pipeline and outbox, SQLite then PostgreSQL).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.servers import Reply, page_bytes
from tests.test_alerts import V1, V2, World, channel_file
from tests.test_alerts import world as world  # the fixture, re-exported
from tracker.changes import compare_classified
from tracker.classify.taxonomy import Taxonomy
from tracker.models import Change, Document, ExtractRules
from tracker.notify.delivery import plain_text
from tracker.notify.twins import TWIN_WINDOW, TwinChange, aligned, linked, twins
from tracker.pipeline import Result, check

EN_DOC, FR_DOC = "linkedin/privacy-policy", "linkedin/privacy-policy-fr"
FR_PATH = "/legal/privacy-policy-fr"
FR_V1 = "linkedin/privacy-policy-fr/v1.html"


def french_before() -> bytes:
    """The French page before its generative-AI section (2.2) was added."""
    page = page_bytes(FR_V1)
    cut = re.sub(rb"<h3>2\.2 Fonctionnalit.*?</p>", b"", page, count=1, flags=re.DOTALL)
    assert cut != page
    return cut


@pytest.fixture
def twin_world(world: World) -> World:
    """The world of test_alerts with the French privacy policy (a twin) and a French channel
    that follows only the English document."""
    path = world.config_dir / "documents" / f"{FR_DOC}.toml"
    path.write_text(
        'title = "LinkedIn — Politique de confidentialité"\n'
        f'url = "{world.server.url(FR_PATH)}"\nlanguage = "fr"\nrules = "linkedin-legal"\n'
        f'translation_of = "{EN_DOC}"\n'
    )
    channel_file(
        world.config_dir, "c-fr", f'chat_id = "-1003"\ndocuments = ["{EN_DOC}"]\nlanguage = "fr"\n'
    )
    return world


def check_french(world: World, body: bytes) -> list[Result]:
    world.server.route(FR_PATH, Reply(body=body))
    world.clock.advance(3600)
    return check(world.document(FR_DOC), world.deps())


def summary_of(world: World, channel: str, key: str) -> str:
    rows = [r for r in world.outbox.rows() if r.channel == channel and r.alert_key == key]
    assert rows, f"{channel} has nothing for {key}"
    return "\n".join(plain_text(r.message.html) for r in rows if r.message.role != "document")


def test_only_one_language_changed_and_the_post_says_so(twin_world: World):
    world = twin_world
    world.check(Reply.page(V1))
    check_french(world, page_bytes(FR_V1))
    [result] = world.check(Reply.page(V2))
    key = f"change:{EN_DOC}:{result.version}"
    french = summary_of(world, "c-fr", key)
    assert "🌐 pas encore dans la version française" in french
    assert "we rely on our legitimate interests" in french, "the English clauses, as they are"
    english = summary_of(world, "a-en", key)
    assert "🌐 not yet in the French version" in english


def test_a_french_channel_gets_the_french_twins_clauses_when_it_changed_the_same_way(
    twin_world: World,
):
    world = twin_world
    world.check(Reply.page(V1))
    check_french(world, french_before())
    [fr_result] = check_french(world, page_bytes(FR_V1))  # the French one changes first
    [result] = world.check(Reply.page(V2))  # the English one an hour later
    key = f"change:{EN_DOC}:{result.version}"

    french = summary_of(world, "c-fr", key)
    assert "LinkedIn — Politique de confidentialité" in french
    assert "nous nous fondons sur nos intérêts légitimes" in french, "the French clauses"
    assert "we rely on our legitimate interests" not in french
    assert "🌐 clauses de la version française, modifiée de la même façon" in french
    assert french.splitlines()[0].startswith("📣 LinkedIn s'appuie désormais sur")
    document = next(
        r
        for r in world.outbox.rows()
        if r.channel == "c-fr" and r.alert_key == key and r.message.role == "document"
    )
    assert document.message.attachment == f"{FR_DOC}/changes/{fr_result.version}.html"

    english = summary_of(world, "a-en", key)
    assert "🌐 also in the French version" in english
    assert "we rely on our legitimate interests" in english

    # b-fr follows the French document too: it had the change in French, not twice.
    fr_key = f"change:{FR_DOC}:{fr_result.version}"
    assert summary_of(world, "b-fr", fr_key)
    assert not [r for r in world.outbox.rows() if r.channel == "b-fr" and r.alert_key == key]


# ------------------------------------------------------------------------------ the rules
OLD = "# Policy\n\n## Use\n\nWe keep your account safe.\n"
NEW_EN = OLD + "\nWe rely on our legitimate interests to train artificial intelligence models.\n"
NEW_FR = (
    "# Politique\n\n## Utilisation\n\nNous protégeons votre compte.\n\nNous nous fondons sur "
    "nos intérêts légitimes pour entraîner des modèles d'intelligence artificielle.\n"
)
NEW_OTHER = OLD + "\nWe collect your precise location.\n"


def test_pairing_window_and_alignment(taxonomy: Taxonomy):
    def change(old: str, new: str, doc: str) -> Change:
        return compare_classified(
            old, new, document=doc, from_version="a", to_version="b", taxonomy=taxonomy
        )

    rules = ExtractRules(select=("main",))
    en = Document(EN_DOC, "EN", "https://x.test/en", "en", rules)
    fr = Document(FR_DOC, "FR", "https://x.test/fr", "fr", rules, translation_of=EN_DOC)
    other = Document("linkedin/user-agreement", "UA", "https://x.test/ua", "en", rules)
    assert twins(en, [en, fr, other]) == [fr]
    assert twins(fr, [en, fr, other]) == [en]
    assert twins(other, [en, fr, other]) == []

    english = change(OLD, NEW_EN, EN_DOC)
    french = change(NEW_FR.split("\n\nNous nous")[0] + "\n", NEW_FR, FR_DOC)
    unrelated = change(OLD, NEW_OTHER, FR_DOC)
    assert aligned(english, french)
    assert not aligned(english, unrelated)
    at = datetime(2025, 11, 4, tzinfo=UTC)
    near = TwinChange(fr, "s1", at + timedelta(days=2), french)
    far = TwinChange(fr, "s2", at - TWIN_WINDOW - timedelta(hours=1), french)
    assert linked(english, at, [far, near]) is near
    assert linked(english, at, [far]) is None
    assert linked(english, at, [TwinChange(fr, "s3", at, unrelated)]) is None
