"""The archive: write-once files, consistent state after a crash at any point."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.archive.store import Archive, write_once
from tracker.errors import ArchiveError
from tracker.models import CheckRecord, Outcome

DOC = "acme/privacy"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def meta(stamp: str, previous: str | None = None, **extra: object) -> dict[str, object]:
    return {"timestamp": stamp, "text_sha256": "ab" * 32, "previous": previous, **extra}


def test_write_once_refuses_to_overwrite(tmp_path: Path):
    path = tmp_path / "a" / "file.txt"
    write_once(path, b"one")
    with pytest.raises(ArchiveError, match="never rewritten"):
        write_once(path, b"two")
    assert path.read_bytes() == b"one"
    assert [p.name for p in path.parent.iterdir()] == ["file.txt"], "no temporary file is left"


def test_version_round_trip_and_current(tmp_path: Path):
    archive = Archive(tmp_path)
    archive.record_version(
        DOC, "2026-01-02T03-04-05Z", meta("2026-01-02T03-04-05Z"), "# Title\n\nText\n"
    )
    version = archive.latest_version(DOC)
    assert version is not None
    assert version.text == "# Title\n\nText\n"
    assert version.meta["previous"] is None
    current = (tmp_path / DOC / "current.md").read_bytes()
    assert current == archive.version_path(DOC, "2026-01-02T03-04-05Z").read_bytes()


def test_checks_csv_round_trip_with_awkward_text(tmp_path: Path):
    archive = Archive(tmp_path)
    record = CheckRecord(
        checked_at=T0,
        outcome=Outcome.INACCESSIBLE,
        cause="http-999",
        http_status=999,
        detail='a "quoted", multi\nline detail',
    )
    archive.append_check(DOC, record)
    archive.append_check(DOC, CheckRecord(checked_at=T0, outcome=Outcome.UNCHANGED))
    assert archive.checks(DOC) == [record, CheckRecord(checked_at=T0, outcome=Outcome.UNCHANGED)]
    path = tmp_path / DOC / "checks" / f"{T0.year}.csv"
    assert path.read_text().startswith("checked_at,outcome,cause,")


def test_recover_is_a_no_op_on_a_consistent_folder(tmp_path: Path):
    archive = Archive(tmp_path)
    stamp = "2026-01-02T03-04-05Z"
    archive.record_snapshot(DOC, stamp, b"<html>", {"sha256": "x"}, ".html")
    archive.record_version(DOC, stamp, meta(stamp, snapshot=f"raw/{stamp}.html"), "text\n")
    archive.append_check(
        DOC, CheckRecord(checked_at=T0, outcome=Outcome.FIRST_RECORD, version=stamp)
    )
    assert _recover(archive, DOC) == []
    assert _recover(archive, "never/seen") == []


def test_recover_after_crash_before_the_version_drops_the_orphan_snapshot(tmp_path: Path):
    archive = Archive(tmp_path)
    old = "2026-01-01T00-00-00Z"
    archive.record_version(DOC, old, meta(old), "old\n")
    archive.append_check(DOC, CheckRecord(checked_at=T0, outcome=Outcome.FIRST_RECORD, version=old))
    new = "2026-01-02T03-04-05Z"
    archive.record_snapshot(DOC, new, b"<html>", {"sha256": "x"}, ".html")  # crash here
    (tmp_path / DOC / "raw" / f".tmp-1-{new}.md").write_text("half")
    repaired = _recover(archive, DOC)
    assert any("unfinished record" in line for line in repaired)
    assert any("temporary file" in line for line in repaired)
    assert list((tmp_path / DOC / "raw").iterdir()) == []
    assert archive.version_stamps(DOC) == [old]


def test_recover_after_crash_before_the_check_row_adds_it(tmp_path: Path):
    archive = Archive(tmp_path)
    first, second = "2026-01-01T00-00-00Z", "2026-01-02T00-00-00Z"
    archive.record_version(DOC, first, meta(first, captured_at="2026-01-01T00:00:00Z"), "a\n")
    archive.append_check(
        DOC, CheckRecord(checked_at=T0, outcome=Outcome.FIRST_RECORD, version=first)
    )
    archive.record_version(
        DOC, second, meta(second, first, captured_at="2026-01-02T00:00:00Z"), "b\n"
    )
    # crash: no check row for the second version
    repaired = _recover(archive, DOC)
    assert repaired == [f"added the missing check row of version {second}"]
    last = archive.checks(DOC)[-1]
    assert (last.outcome, last.version) == (Outcome.NEW_VERSION, second)
    assert _recover(archive, DOC) == []


def test_recover_truncates_a_half_written_row_and_fixes_current(tmp_path: Path):
    archive = Archive(tmp_path)
    stamp = "2026-01-01T00-00-00Z"
    archive.record_version(DOC, stamp, meta(stamp), "a\n")
    archive.append_check(
        DOC, CheckRecord(checked_at=T0, outcome=Outcome.FIRST_RECORD, version=stamp)
    )
    with (tmp_path / DOC / "checks" / f"{T0.year}.csv").open("a") as handle:
        handle.write("2026-01-03T00:00:00Z,unch")
    (tmp_path / DOC / "current.md").write_text("stale")
    repaired = _recover(archive, DOC)
    assert f"removed a half-written row at the end of {T0.year}.csv" in repaired
    assert "rewrote current.md from the latest version" in repaired
    assert len(archive.checks(DOC)) == 1


def test_damaged_version_is_an_archive_error(tmp_path: Path):
    archive = Archive(tmp_path)
    path = archive.version_path(DOC, "2026-01-01T00-00-00Z")
    path.parent.mkdir(parents=True)
    path.write_text("no front matter")
    with pytest.raises(ArchiveError, match="unreadable version"):
        archive.latest_version(DOC)


def test_unwritable_archive_is_an_archive_error(tmp_path: Path):
    (tmp_path / "acme").write_text("a file where the document folder should be")
    with pytest.raises(ArchiveError, match="cannot write"):
        Archive(tmp_path).record_version(DOC, "2026-01-01T00-00-00Z", meta("x"), "a\n")


def _recover(archive: Archive, document: str) -> list[str]:
    """Recovery runs under the archive's lock, as every writer does."""
    with archive.writing():
        return archive.recover(document)
