"""The pipeline end to end: real page server, real SQLite, real files in a temporary archive."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from tests.servers import FIXED_NOW, FakeClock, PageServer, Reply, page_bytes
from tracker import config
from tracker.archive.store import Archive
from tracker.classify.taxonomy import load_taxonomy
from tracker.fetch.fetcher import HostPacer, new_session
from tracker.models import Document, FetchSettings, Outcome, sha256_hex
from tracker.pipeline import Deps, Result, check
from tracker.runtime import index_platforms
from tracker.state.store import State

#: A page with its chrome but an (almost) empty container: the document is missing.
ALMOST_EMPTY = (
    b"<html lang='en'><body><div>"
    + b"<p>LinkedIn navigation, search, jobs, learning and more links.</p>" * 10
    + b"</div><section id='component-container'><p>Loading</p></section></body></html>"
)
ROOT = Path(__file__).resolve().parents[1]
DOC = "linkedin/privacy-policy"
PATH = "/legal/privacy-policy"


@dataclass
class World:
    """A tracker wired to a page server, a fake clock and a temporary archive."""

    tmp: Path
    server: PageServer
    clock: FakeClock
    state: State

    @property
    def config_dir(self) -> Path:
        return self.tmp / "config"

    @property
    def archive(self) -> Archive:
        return Archive(self.tmp / "snapshots")

    def document(self, doc_id: str = DOC) -> Document:
        return config.load(
            self.config_dir, self.tmp / "snapshots", "sqlite://", environ={}
        ).documents[doc_id]

    def deps(self) -> Deps:
        settings = FetchSettings(
            user_agent="policy-tracker-tests/1 (+https://example.test)",
            connect_timeout=2,
            read_timeout=1,
            retries=1,
            backoff_seconds=0.01,
            allow_private_addresses=True,
        )
        return Deps(
            http=new_session(settings),
            archive=self.archive,
            state=self.state,
            fetch_settings=settings,
            pacer=HostPacer(0),
            now=self.clock.now,
            taxonomy=load_taxonomy(ROOT / "config" / "taxonomy.toml"),
            sleep=self.clock.sleep,
        )

    def serve(self, *replies: Reply) -> None:
        self.server.route(PATH, *replies)

    def check(self, doc_id: str = DOC) -> list[Result]:
        self.clock.advance(3600)
        return check(self.document(doc_id), self.deps())

    def outcomes(self, doc_id: str = DOC) -> list[tuple[Outcome, str]]:
        return [(c.outcome, c.cause) for c in self.archive.checks(doc_id)]

    def tree(self, doc_id: str = DOC) -> list[str]:
        base = self.archive.folder(doc_id)
        return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())


def write_document(
    config_dir: Path, doc_id: str, url: str, language: str = "en", extra: str = ""
) -> None:
    path = config_dir / "documents" / f"{doc_id}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'title = "Test {doc_id}"\nurl = "{url}"\nlanguage = "{language}"\n'
        f'rules = "linkedin-legal"\n{extra}',
        encoding="utf-8",
    )


@pytest.fixture
def world(tmp_path: Path, page_server: PageServer, clock: FakeClock) -> Iterator[World]:
    shutil.copytree(ROOT / "config" / "rules", tmp_path / "config" / "rules")
    shutil.copy(ROOT / "config" / "taxonomy.toml", tmp_path / "config" / "taxonomy.toml")
    (tmp_path / "config" / "tracker.toml").write_text("[fetch]\nallow_private_addresses = true\n")
    write_document(tmp_path / "config", DOC, page_server.url(PATH))
    state = State(f"sqlite:///{tmp_path}/state.db")
    yield World(tmp_path, page_server, clock, state)
    state.close()


def test_first_check_records_snapshot_version_and_check(world: World):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    [result] = world.check()
    assert result.outcome is Outcome.FIRST_RECORD
    stamp = result.version
    rules = world.document().rules.digest()
    assert world.tree() == [
        "README.md",
        "chain.csv",
        f"checks/{FIXED_NOW.year}.csv",
        "current.md",
        f"raw/{stamp}.html",
        f"raw/{stamp}.json",
        f"rules/{rules}.json",
        f"versions/{stamp}.md",
    ]
    folder = world.archive.folder(DOC)
    assert json.loads((folder / f"rules/{rules}.json").read_text()) == json.loads(
        json.dumps(world.document().rules.canonical())
    ), "the rules the version was made with are kept beside it"
    assert [(e.kind, e.ref) for e in world.archive.entries(DOC)] == [
        ("snapshot", f"raw/{stamp}.html"),
        ("snapshot-meta", f"raw/{stamp}.json"),
        ("rules", f"rules/{rules}.json"),
        ("version", f"versions/{stamp}.md"),
        ("check", f"checks/{FIXED_NOW.year}.csv#1"),
    ]
    assert (
        f"Archive head after the last record: `{world.archive.head()}`"
        in (folder / "README.md").read_text()
    )
    raw = (folder / f"raw/{stamp}.html").read_bytes()
    assert raw == page_bytes("linkedin/privacy-policy/v1.html"), (
        "the snapshot is the bytes received"
    )
    meta = json.loads((folder / f"raw/{stamp}.json").read_text())
    assert meta["sha256"] == sha256_hex(raw)
    assert meta["status"] == 200
    assert meta["final_url"] == world.server.url(PATH)
    assert ["Content-Type", "text/html; charset=utf-8"] in meta["headers"]
    version = world.archive.latest_version(DOC)
    assert version is not None
    assert version.meta["snapshot"] == f"raw/{stamp}.html"
    assert version.meta["raw_sha256"] == sha256_hex(raw)
    assert version.meta["text_sha256"] == sha256_hex(version.text)
    assert version.meta["rules_sha256"] == world.document().rules.digest()
    assert "Privacy Policy" in version.text
    assert "Sign in" not in version.text, "page chrome stays out of the text"
    assert world.outcomes() == [(Outcome.FIRST_RECORD, "")]
    assert f"versions/{stamp}.md" in (folder / "README.md").read_text()
    assert not (world.archive.root / "linkedin" / "README.md").exists(), "once per pass"
    index_platforms([world.document()], world.deps())
    platform_index = (world.archive.root / "linkedin" / "README.md").read_text()
    assert f"[privacy-policy](privacy-policy/README.md) | Test {DOC} | [{stamp}]" in platform_index


def test_noise_only_capture_is_unchanged_and_only_logged(world: World):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    world.check()
    before = world.tree()
    world.serve(Reply.page("linkedin/privacy-policy/v1-noise.html"))
    [result] = world.check()
    assert result.outcome is Outcome.UNCHANGED
    assert world.tree() == before, "no snapshot or version is stored for an unchanged capture"
    assert world.outcomes() == [(Outcome.FIRST_RECORD, ""), (Outcome.UNCHANGED, "")]


def test_text_change_records_a_new_version_linked_to_the_previous(world: World):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    [first] = world.check()
    world.serve(Reply.page("linkedin/privacy-policy/v2.html"))
    [second] = world.check()
    assert second.outcome is Outcome.NEW_VERSION
    version = world.archive.latest_version(DOC)
    assert version is not None
    assert version.meta["previous"] == first.version
    assert "generative" in version.text.lower()
    assert len(world.archive.version_stamps(DOC)) == 2
    current = (world.archive.folder(DOC) / "current.md").read_bytes()
    assert current == world.archive.version_path(DOC, second.version).read_bytes()


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        (Reply(status=999, body=page_bytes("blocked/status-999.html")), "http-999"),
        (Reply(status=403, body=b"<html><body>Forbidden</body></html>"), "http-403"),
        (Reply(status=429, body=b"<html><body>Slow down</body></html>"), "http-429"),
        (Reply.redirect("/authwall?trk=qf&sessionRedirect=x"), "auth-wall"),
        (Reply.page("blocked/authwall.html"), "auth-wall"),
        (Reply.page("blocked/consent-interstitial.html"), "consent-wall"),
        (Reply.page("blocked/app-shell.html"), "app-shell"),
        (Reply.page("blocked/captcha.html"), "captcha"),
        (Reply(body=b"%PDF-1.7", content_type="application/pdf"), "wrong-content-type"),
        (Reply.page("linkedin/help/answer-v1.html"), "selector-not-found"),
        (Reply(body=ALMOST_EMPTY), "too-little-text"),
        (
            Reply(body=page_bytes("linkedin/privacy-policy/v2.html"), truncate_to=2000),
            "truncated-body",
        ),
        (Reply(status=503, body=b"down"), "http-503"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_blocked_or_broken_capture_is_inaccessible_never_a_change(
    world: World, reply: Reply, cause: str
):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    world.check()
    world.server.route("/authwall", Reply.page("blocked/authwall.html"))
    world.serve(reply)
    [result] = world.check()
    assert (result.outcome, result.cause) == (Outcome.INACCESSIBLE, cause)
    assert len(world.archive.version_stamps(DOC)) == 1, "no version from a blocked capture"
    assert world.outcomes()[-1] == (Outcome.INACCESSIBLE, cause)
    assert world.state.get(DOC).failures_in_row == 1
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    [recovered] = world.check()
    assert recovered.outcome is Outcome.UNCHANGED
    assert recovered.recovered_after == 1
    assert world.state.get(DOC).failures_in_row == 0


def test_timeout_is_inaccessible(world: World):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html", delay_before_headers=2.5))
    [result] = world.check()
    assert (result.outcome, result.cause) == (Outcome.INACCESSIBLE, "timeout")
    assert world.archive.version_stamps(DOC) == []
    assert world.state.get(DOC).failures_in_row == 1


def test_first_check_can_be_inaccessible(world: World):
    world.serve(Reply(status=999, body=page_bytes("blocked/status-999.html")))
    [result] = world.check()
    assert result.outcome is Outcome.INACCESSIBLE
    assert world.tree() == ["README.md", "chain.csv", f"checks/{FIXED_NOW.year}.csv"]


def test_conditional_get_304_is_unchanged(world: World):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html", etag='"v1"'))
    world.check()
    [result] = world.check()
    assert result.outcome is Outcome.UNCHANGED
    assert result.http_status == 304
    assert world.server.requests_to(PATH)[-1].header("If-None-Match") == '"v1"'


def test_rule_change_is_a_technical_upgrade_of_the_same_snapshot(world: World):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    [first] = world.check()
    write_document(
        world.config_dir,
        DOC,
        world.server.url(PATH),
        extra='[extract]\nremove = ["script", "style", ".banner__image-container", "h1"]\n',
    )
    upgrade, checked = world.check()
    assert upgrade.outcome is Outcome.TECHNICAL_UPGRADE
    assert checked.outcome is Outcome.UNCHANGED, "the capture is compared with the upgraded text"
    version = world.archive.latest_version(DOC)
    assert version is not None
    assert version.technical_upgrade
    assert version.meta["snapshot"] == f"raw/{first.version}.html", "same evidence, new reading"
    assert len(list((world.archive.folder(DOC) / "raw").glob("*.html"))) == 1
    assert world.outcomes() == [
        (Outcome.FIRST_RECORD, ""),
        (Outcome.TECHNICAL_UPGRADE, ""),
        (Outcome.UNCHANGED, ""),
    ]
    [again] = world.check()
    assert again.outcome is Outcome.UNCHANGED, "an upgrade is applied once"


def test_french_document_answered_in_english_is_inaccessible(world: World):
    write_document(world.config_dir, "linkedin/privacy-policy-fr", world.server.url("/fr"), "fr")
    world.server.route("/fr", Reply.page("linkedin/privacy-policy/v1.html"))
    [result] = world.check("linkedin/privacy-policy-fr")
    assert (result.outcome, result.cause) == (Outcome.INACCESSIBLE, "wrong-language")
    world.server.route("/fr", Reply.page("linkedin/privacy-policy-fr/v1.html"))
    [result] = world.check("linkedin/privacy-policy-fr")
    assert result.outcome is Outcome.FIRST_RECORD
    assert (
        world.server.requests_to("/fr")[-1]
        .header(
            "Accept-Language",
        )
        .startswith("fr")
    )


def test_two_records_in_one_second_get_distinct_names(world: World):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    world.check()
    world.serve(Reply.page("linkedin/privacy-policy/v2.html"))
    deps = world.deps()
    [result] = check(world.document(), deps)  # same clock second as the first record
    stamps = world.archive.version_stamps(DOC)
    assert len(stamps) == 2
    assert result.version == stamps[1] > stamps[0]


class Crash(BaseException):
    """Stands for the process dying (BaseException: nothing in the tracker catches it)."""


def _crash_after(monkeypatch: pytest.MonkeyPatch, writes: int) -> None:
    """Make the process 'die' at the given archive write (1 = the first one)."""
    import tracker.archive.store as archive_module

    counter = {"n": 0}

    def wrap(real):  # type: ignore[no-untyped-def]
        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            counter["n"] += 1
            if counter["n"] == writes:
                raise Crash
            return real(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(archive_module, "write_once", wrap(archive_module.write_once))
    monkeypatch.setattr(
        archive_module, "replace_atomically", wrap(archive_module.replace_atomically)
    )
    monkeypatch.setattr(Archive, "append_check", wrap(Archive.append_check))


@pytest.mark.parametrize("crash_at", list(range(1, 10)))
def test_crash_at_any_write_leaves_a_consistent_archive(
    world: World, monkeypatch: pytest.MonkeyPatch, crash_at: int
):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    world.check()
    world.serve(Reply.page("linkedin/privacy-policy/v2.html"))
    with monkeypatch.context() as patch:
        _crash_after(patch, crash_at)
        with pytest.raises(Crash):
            world.check()
    world.check()  # the restarted worker
    archive = world.archive
    stamps = archive.version_stamps(DOC)
    assert len(stamps) == 2, "the change is recorded exactly once"
    texts = [archive.read_version(DOC, s).text for s in stamps]
    assert texts[0] != texts[1]
    for stamp in stamps:
        version = archive.read_version(DOC, stamp)
        raw = archive.read_snapshot(DOC, version.meta["snapshot"])
        assert sha256_hex(raw) == version.meta["raw_sha256"]
    raws = sorted(p.name for p in (archive.folder(DOC) / "raw").iterdir())
    assert raws == sorted(f"{s}{ext}" for s in stamps for ext in (".html", ".json"))
    assert not [p for p in archive.folder(DOC).rglob(".tmp-*")]
    versions_in_checks = [
        c.version for c in archive.checks(DOC) if c.outcome is not Outcome.UNCHANGED
    ]
    assert versions_in_checks == stamps, "every version has its check row, once"
    current = (archive.folder(DOC) / "current.md").read_bytes()
    assert current == archive.version_path(DOC, stamps[-1]).read_bytes()
    changes = sorted(p.name for p in (archive.folder(DOC) / "changes").iterdir())
    assert changes == [f"{stamps[1]}.{ext}" for ext in ("html", "json", "md")]


def test_new_version_gets_a_change_record_in_three_forms(world: World):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    [first] = world.check()
    world.serve(Reply.page("linkedin/privacy-policy/v2.html"))
    [second] = world.check()
    assert second.change is not None
    assert second.change.significance.value == "substantive"
    folder = world.archive.folder(DOC) / "changes"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{second.version}.html",
        f"{second.version}.json",
        f"{second.version}.md",
    ]
    record = json.loads((folder / f"{second.version}.json").read_text())
    assert (record["document"], record["from"], record["to"]) == (
        DOC,
        first.version,
        second.version,
    )
    assert record["significance"] == "substantive"
    # The new section asserts legitimate interests for training generative AI on profile and
    # posts, with an objection setting: a legal-basis change, ranked first.
    assert {"legitimate_interests", "opt_out", "profile", "content", "ai_training"} <= set(
        record["labels"]
    )
    assert record["rank"] == "legal_basis"
    assert record["taxonomy"]["version"] == "4"
    assert len(record["taxonomy"]["digest"]) == 64
    [training] = [c for c in record["clauses"] if "train these models" in (c["new"] or "")]
    assert "legitimate_interests" in training["gained"]
    [basis] = [e for e in training["evidence"] if e["label"] == "legitimate_interests"]
    assert basis["matched"] == "legitimate interests"
    assert (basis["polarity"], basis["source"], basis["side"]) == ("asserted", "text", "new")
    assert any("generative" in (c["new"] or "").lower() for c in record["clauses"])
    for clause in record["clauses"]:
        assert clause["kind"] in {"added", "removed", "modified", "moved", "split", "merged"}
        assert isinstance(clause["section"], list)
        assert all(op in {"equal", "insert", "delete"} for op, _ in clause["diff"])
    page = (folder / f"{second.version}.html").read_text()
    assert "<script" not in page
    assert "substantive" in page
    index = (world.archive.folder(DOC) / "README.md").read_text()
    assert f"(changes/{second.version}.html)" in index
    assert world.archive.checks(DOC)[-1].detail.startswith("substantive: ")


def test_a_page_alternating_between_variants_adds_rows_not_versions(world: World):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    [first] = world.check()
    world.serve(Reply.page("linkedin/privacy-policy/v2.html"))
    [second] = world.check()
    for _ in range(3):  # an A/B page: v1, v2, v1, v2, v1 ...
        world.serve(Reply.page("linkedin/privacy-policy/v1-noise.html"))
        [back] = world.check()
        assert back.outcome is Outcome.FLIP_BACK
        assert back.version == first.version
        assert back.change is None
        world.serve(Reply.page("linkedin/privacy-policy/v2.html"))
        [again] = world.check()
        assert again.outcome is Outcome.UNCHANGED
    assert world.archive.version_stamps(DOC) == [first.version, second.version]
    assert world.archive.change_stamps(DOC) == [second.version]
    rows = world.archive.checks(DOC)
    assert [r.outcome for r in rows].count(Outcome.FLIP_BACK) == 3
    flip = next(r for r in rows if r.outcome is Outcome.FLIP_BACK)
    assert flip.version == first.version
    assert "shows again the text of version" in flip.detail


def test_checks_spread_over_time_keep_every_row(world: World):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    for _ in range(5):
        world.check()
        world.clock.advance(timedelta(hours=12).total_seconds())
    rows = world.archive.checks(DOC)
    assert [r.outcome for r in rows] == [Outcome.FIRST_RECORD] + [Outcome.UNCHANGED] * 4
    assert all(b.checked_at > a.checked_at for a, b in pairwise(rows))


def test_an_unreachable_host_is_tried_once_per_pass(world: World):
    """A refused host is not knocked on again for its other documents in the same pass."""
    import socket

    from tracker.runtime import check_documents

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write_document(world.config_dir, "down/one", f"http://127.0.0.1:{port}/one")
    write_document(world.config_dir, "down/two", f"http://127.0.0.1:{port}/two")
    write_document(
        world.config_dir, "up/three", world.server.url(PATH).replace("127.0.0.1", "localhost")
    )
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    documents = [world.document(i) for i in ("down/one", "down/two", "up/three")]
    results = check_documents(documents, world.deps())
    assert [(r.document, r.outcome, r.cause) for r in results] == [
        ("down/one", Outcome.INACCESSIBLE, "connection-error"),
        ("down/two", Outcome.INACCESSIBLE, "connection-error"),
        ("up/three", Outcome.FIRST_RECORD, ""),
    ]
    assert "not tried" in results[1].detail
    assert world.state.get("down/two").failures_in_row == 1
    assert world.outcomes("down/two") == [(Outcome.INACCESSIBLE, "connection-error")]
    assert len(world.clock.sleeps) == 1, "only the first document was retried"


def _count_extractions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each extraction the pipeline runs (the real function still runs)."""
    import tracker.pipeline as pipeline

    calls: list[str] = []
    real = pipeline.extract

    def counting(body: bytes, rules, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(str(kwargs.get("charset")))
        return real(body, rules, **kwargs)

    monkeypatch.setattr(pipeline, "extract", counting)
    return calls


def test_the_same_bytes_are_not_extracted_again(world: World, monkeypatch: pytest.MonkeyPatch):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    [first] = world.check()
    calls = _count_extractions(monkeypatch)
    [again] = world.check()
    assert (again.outcome, again.version) == (Outcome.UNCHANGED, first.version)
    assert calls == [], "a page byte for byte the latest version's snapshot is not read again"
    world.serve(Reply.page("linkedin/privacy-policy/v1-noise.html"))
    [noise] = world.check()
    assert noise.outcome is Outcome.UNCHANGED
    assert len(calls) == 1, "other bytes are extracted"


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        (Reply(status=999, body=page_bytes("linkedin/privacy-policy/v1.html")), "http-999"),
        (
            Reply(body=page_bytes("linkedin/privacy-policy/v1.html"), content_type="text/plain"),
            "wrong-content-type",
        ),
    ],
    ids=["status-999", "content-type"],
)
def test_the_same_bytes_in_a_bad_answer_are_still_inaccessible(
    world: World, reply: Reply, cause: str
):
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    world.check()
    world.serve(reply)
    [result] = world.check()
    assert (result.outcome, result.cause) == (Outcome.INACCESSIBLE, cause)


def test_the_same_bytes_under_another_charset_are_read_again(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    doc, path = "linkedin/privacy-policy-fr", "/fr"
    write_document(world.config_dir, doc, world.server.url(path), "fr")
    body = page_bytes("linkedin/privacy-policy-fr/v1.html")
    world.server.route(path, Reply(body=body, content_type="text/html; charset=utf-8"))
    [first] = world.check(doc)
    assert first.outcome is Outcome.FIRST_RECORD
    calls = _count_extractions(monkeypatch)
    world.server.route(path, Reply(body=body, content_type="text/html; charset=windows-1252"))
    [second] = world.check(doc)
    assert calls == ["windows-1252"], "a charset the snapshot was not read with: read again"
    assert second.outcome is not Outcome.UNCHANGED, "the bytes now decode to other characters"


def _with(body: bytes, old: bytes, new: bytes) -> bytes:
    assert old in body, old
    return body.replace(old, new, 1)


def test_per_request_ids_alone_are_not_extracted_again(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    """LinkedIn's answers differ at each request in attributes nothing reads (its call-tree id
    and page instance in ``data-*``, stylesheet addresses): read as the latest version."""
    body = page_bytes("linkedin/privacy-policy/v1.html")
    world.serve(Reply(body=body))
    [first] = world.check()
    calls = _count_extractions(monkeypatch)
    noisy = _with(body, b'data-call-tree-id="AAZ4q0Tn1mEJxR2vX8cKzw=="', b'data-call-tree-id="x"')
    noisy = _with(noisy, b"static-exp1.licdn.com/aero-v1/sc/h/59o746", b"static-exp2.licdn.com/x/")
    assert noisy != body
    world.serve(Reply(body=noisy))
    [again] = world.check()
    assert (again.outcome, again.version) == (Outcome.UNCHANGED, first.version)
    assert calls == [], "only unread attributes differ: the page is not parsed"
    assert world.archive.checks(DOC)[-1].raw_sha256 == sha256_hex(noisy), "the bytes received"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # the words of the document
        (b"<p>", b"<p>New words. "),
        # the container the rules select, renamed: nothing selected any more
        (b'id="component-container"', b'id="component-box"'),
        # a link target (read wherever it is)
        (b'href="https://www.linkedin.com/legal/user-agreement', b'href="https://example.test/x'),
        # an element hidden from readers
        (b"<p>", b"<p hidden>"),
    ],
    ids=["text", "selected-id", "link", "hidden"],
)
def test_what_is_read_is_extracted_again(
    world: World, monkeypatch: pytest.MonkeyPatch, old: bytes, new: bytes
):
    body = page_bytes("linkedin/privacy-policy/v1.html")
    world.serve(Reply(body=body))
    world.check()
    calls = _count_extractions(monkeypatch)
    world.serve(Reply(body=_with(body, old, new)))
    world.check()
    assert len(calls) == 1, "a difference in what is read: the page is parsed again"


def test_the_latest_snapshot_is_read_once_for_its_reading_digest(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    """Its digest is kept in the state database: later checks (each `tracker check` a new
    process) read one row, not the snapshot; a new version's snapshot is read anew."""
    body = page_bytes("linkedin/privacy-policy/v1.html")
    world.serve(Reply(body=body))
    world.check()
    reads: list[str] = []
    real = Archive.read_snapshot

    def counting(self: Archive, document: str, relative: str) -> bytes:
        reads.append(relative)
        return real(self, document, relative)

    monkeypatch.setattr(Archive, "read_snapshot", counting)
    for n in range(3):
        noisy = _with(
            body, b'data-call-tree-id="AAZ4q0Tn1mEJxR2vX8cKzw=="', f'data-x="{n}"'.encode()
        )
        world.serve(Reply(body=noisy))
        [result] = world.check()
        assert result.outcome is Outcome.UNCHANGED
    assert len(reads) == 1, reads
    assert world.state.get_meta(f"reading:{DOC}")
    world.serve(Reply.page("linkedin/privacy-policy/v2.html"))
    [changed] = world.check()
    assert changed.outcome is Outcome.NEW_VERSION
    world.serve(Reply(body=page_bytes("linkedin/privacy-policy/v2.html") + b"<!-- -->"))
    world.check()
    assert len(reads) == 2 and reads[-1] != reads[0], "the new latest snapshot is read"
