"""Checks files per year, the closed ``checks.csv`` of older archives, and the archive's
append-only files followed rather than re-read."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.servers import FakeClock, PageServer, Reply
from tests.test_pipeline import DOC, World, write_document
from tracker.archive.appended import lines, read_appended
from tracker.archive.store import Archive
from tracker.archive.verify import verify
from tracker.models import CheckRecord, Outcome, sha256_hex
from tracker.timestamps import to_iso, to_stamp

ROOT = Path(__file__).resolve().parents[1]
NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)


def _world(tmp_path: Path, page_server: PageServer, start: datetime) -> World:
    import shutil

    from tracker.state.store import State

    shutil.copytree(ROOT / "config" / "rules", tmp_path / "config" / "rules")
    (tmp_path / "config" / "tracker.toml").write_text("[fetch]\nallow_private_addresses = true\n")
    write_document(tmp_path / "config", DOC, page_server.url("/legal/privacy-policy"))
    return World(tmp_path, page_server, FakeClock(start), State(f"sqlite:///{tmp_path}/s.db"))


def _problems(archive: Archive) -> list[str]:
    result = verify(archive)
    return [p for r in result.reports for p in r.problems] + list(result.problems)


def test_checks_across_new_year_go_to_two_files_and_verify(tmp_path: Path, page_server: PageServer):
    world = _world(tmp_path, page_server, NEW_YEAR - timedelta(hours=2))
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    world.check()  # 2025-12-31T23:00
    world.check()  # 2026-01-01T00:00
    world.check()
    archive = world.archive
    assert archive.checks_files(DOC) == ["checks/2025.csv", "checks/2026.csv"]
    assert [len(archive.check_lines(DOC, name)) for name in archive.checks_files(DOC)] == [1, 2]
    refs = [e.ref for e in archive.entries(DOC) if e.kind == "check"]
    assert refs == ["checks/2025.csv#1", "checks/2026.csv#1", "checks/2026.csv#2"]
    assert _problems(archive) == []
    assert [c.outcome for c in archive.checks(DOC)] == [
        Outcome.FIRST_RECORD,
        Outcome.UNCHANGED,
        Outcome.UNCHANGED,
    ]
    assert archive.last_check(DOC) == archive.checks(DOC)[-1]  # read from the end only
    (archive.folder(DOC) / "checks" / "2026.csv").write_text(
        (archive.folder(DOC) / "checks" / "2026.csv").read_text().splitlines()[0] + "\n"
    )  # a latest file with its header only: the latest check is last year's
    assert archive.last_check(DOC) == archive.checks(DOC)[-1]
    assert archive.last_check(DOC).outcome is Outcome.FIRST_RECORD  # type: ignore[union-attr]
    index = (archive.folder(DOC) / "README.md").read_text()
    assert "3 checks from 2025-12-31T23:00:00Z to 2026-01-01T01:00:00Z" in index
    assert "Latest 3:" in index, "the latest checks are read from the end of both years' files"
    assert "| 2025-12-31T23:00:00Z | first-record |" in index
    world.state.close()


def test_an_edited_row_of_a_past_year_is_caught(tmp_path: Path, page_server: PageServer):
    world = _world(tmp_path, page_server, NEW_YEAR - timedelta(hours=2))
    world.serve(Reply.page("linkedin/privacy-policy/v1.html"))
    world.check()
    world.check()
    path = world.archive.folder(DOC) / "checks" / "2025.csv"
    rows = list(csv.reader(io.StringIO(path.read_text())))
    rows[1][4] = "0" * 64  # the raw_sha256 of the first record
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue())
    problems = _problems(world.archive)
    wanted = "checks/2025.csv row 1: differs from the row recorded"
    assert any(p.startswith(wanted) for p in problems)
    world.state.close()


def test_a_row_restored_for_an_old_version_never_reopens_a_closed_year(tmp_path: Path):
    archive = Archive(tmp_path)
    archive.append_check(DOC, CheckRecord(checked_at=NEW_YEAR, outcome=Outcome.UNCHANGED))
    old = CheckRecord(checked_at=NEW_YEAR - timedelta(days=3), outcome=Outcome.NEW_VERSION)
    archive.append_check(DOC, old)
    assert archive.checks_files(DOC) == ["checks/2026.csv"]
    assert archive.checks(DOC)[-1] == old


def _legacy_archive(root: Path) -> Archive:
    """An archive as made before the yearly files: one version, its row in ``checks.csv``."""
    archive = Archive(root)
    moment = datetime(2025, 6, 1, 12, tzinfo=UTC)
    stamp = to_stamp(moment)
    text = "# Privacy\n\nWe keep your data.\n"
    meta = {
        "document": DOC,
        "timestamp": stamp,
        "captured_at": to_iso(moment),
        "text_sha256": sha256_hex(text),
        "previous": None,
    }
    folder = archive.folder(DOC)
    with archive.writing():
        archive.record_version(DOC, stamp, meta, text)
        (folder / "checks.csv").write_text(
            "checked_at,outcome,cause,http_status,raw_sha256,text_sha256,version,url,detail\n"
            f"{to_iso(moment)},first-record,,200,,{sha256_hex(text)},{stamp},https://x.test/,\n"
            f"{to_iso(moment + timedelta(hours=1))},unchanged,,200,,,{stamp},https://x.test/,\n"
        )
        assert archive.commit(DOC) == 3
    assert [e.ref for e in archive.entries(DOC) if e.kind == "check"] == [
        "checks.csv#1",
        "checks.csv#2",
    ]
    return archive


def test_the_old_single_checks_file_still_verifies_and_is_closed(tmp_path: Path):
    archive = _legacy_archive(tmp_path)
    assert _problems(archive) == []
    later = datetime(2026, 2, 1, tzinfo=UTC)
    with archive.writing():
        archive.append_check(DOC, CheckRecord(checked_at=later, outcome=Outcome.UNCHANGED))
        archive.commit(DOC)
    assert archive.checks_files(DOC) == ["checks.csv", "checks/2026.csv"]
    assert len(archive.check_lines(DOC, "checks.csv")) == 2, "the old file takes no new row"
    assert [c.checked_at for c in archive.checks(DOC)][-1] == later
    assert _problems(Archive(tmp_path)) == []


def test_a_row_added_to_the_closed_checks_file_is_caught(tmp_path: Path):
    archive = _legacy_archive(tmp_path)
    with (archive.folder(DOC) / "checks.csv").open("a") as handle:
        handle.write("2025-06-02T00:00:00Z,unchanged,,200,,,,https://x.test/,\n")
    assert "checks.csv rows 3-3 are not in the chain" in " ".join(_problems(Archive(tmp_path)))


def test_two_archive_objects_writing_in_turn_keep_one_chain(tmp_path: Path):
    """Each follows what the other appended (as ``tracker check`` beside ``tracker run``)."""
    first, second = Archive(tmp_path), Archive(tmp_path)
    for n in range(6):
        archive = (first, second)[n % 2]
        at = NEW_YEAR + timedelta(minutes=n)
        with archive.writing():
            archive.append_check(DOC, CheckRecord(checked_at=at, outcome=Outcome.UNCHANGED))
            assert archive.commit(DOC) == 1
        assert archive.head() == Archive(tmp_path).head()
    assert [e.seq for e in first.entries(DOC)] == [1, 2, 3, 4, 5, 6]
    assert first.checks_summary(DOC).count == 6
    assert _problems(Archive(tmp_path)) == []


def test_a_file_rewritten_in_place_is_read_again_whole(tmp_path: Path):
    path = tmp_path / "ledger.csv"
    path.write_bytes(b"header\nrow one\n")
    first = read_appended(path, None)
    assert first.fresh
    assert list(lines(path, first.start, first.end)) == ["header\n", "row one\n"]
    with path.open("ab") as handle:
        handle.write(b"row two\nrow thr")  # the last row is still being written
    appended = read_appended(path, first.mark)
    assert not appended.fresh
    assert list(lines(path, appended.start, appended.end)) == ["row two\n"]
    assert read_appended(path, appended.mark).end == appended.end, "nothing new, nothing read"
    path.write_bytes(b"header\nrow 1ne\nrow two\nrow three\n")  # same start length, edited
    again = read_appended(path, appended.mark)
    assert again.fresh
    assert "".join(lines(path, again.start, again.end)) == "header\nrow 1ne\nrow two\nrow three\n"
