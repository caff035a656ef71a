"""Evidence bundles: ``tracker export`` and ``tracker verify --bundle``, run as a user runs them.

The archive is made once per module by real imports and a real ``tracker check`` against a page
on loopback; bundles are checked by the tracker and by the standard tools a lawyer has
(``unzip``, ``sha256sum -c``, the ``printf | sha256sum`` lines of ``VERIFY.md``, run in a shell).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.corpus import CORPUS, REQUIRES_CORPUS
from tests.servers import PageServer, Reply, page_bytes
from tracker.archive.bundle import read_bundle, sums_text, verify_bundle
from tracker.archive.chain import (
    ARCHIVE_COLUMNS,
    DOCUMENT_COLUMNS,
    GENESIS,
    Anchor,
    Entry,
    csv_line,
    header,
    parse_entries,
)
from tracker.archive.export import build_bundle, write_bundle
from tracker.archive.store import Archive
from tracker.models import CheckRecord, Outcome, sha256_hex
from tracker.timestamps import from_iso, from_stamp

ROOT = Path(__file__).resolve().parents[1]
DOC = "linkedin/privacy-policy"
FIRST, SECOND = "2025-01-01T00-00-00Z", "2025-04-01T00-00-00Z"
#: Files of a document folder that are generated, never records: not in a bundle.
GENERATED = {"README.md", "current.md"}


class Cli:
    """``python -m tracker`` with this checkout's code, its config, archive and database."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.config = tmp / "config"
        self.archive = tmp / "snapshots"
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "TELEGRAM_"))}
        self.env = {
            **clean,
            "PYTHONPATH": str(ROOT),
            "TRACKER_CONFIG": str(self.config),
            "TRACKER_ARCHIVE": str(self.archive),
            "TRACKER_DB": f"sqlite:///{tmp}/state.db",
        }

    def __call__(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "tracker", *args],
            env=self.env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == code, (done.stdout, done.stderr)
        return done


@dataclass(frozen=True)
class Made:
    """The archive made once for the module, and where its copy lives."""

    root: Path
    live: str  # the version recorded by a live check (request and response headers kept)

    def cli(self, tmp: Path) -> Cli:
        """A copy of the archive and its config in ``tmp``, with a Cli on it."""
        shutil.copytree(self.root, tmp, dirs_exist_ok=True)
        return Cli(tmp)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Made]:
    """Two imported versions, then a third captured by ``tracker check`` from loopback."""
    root = tmp_path_factory.mktemp("made")
    shutil.copytree(ROOT / "config" / "rules", root / "config" / "rules")
    shutil.copy(ROOT / "config" / "taxonomy.toml", root / "config" / "taxonomy.toml")
    (root / "config" / "tracker.toml").write_text(
        "[fetch]\nretries = 0\nread_timeout = 5\nhost_delay_seconds = 0\n"
        "allow_private_addresses = true\n"
    )
    cli = Cli(root)
    html = root / "html"
    html.mkdir()
    (html / f"{FIRST}.html").write_bytes(page_bytes("linkedin/privacy-policy/v1.html"))
    (html / f"{SECOND}.html").write_bytes(page_bytes("linkedin/privacy-policy/v2.html"))
    third = page_bytes("linkedin/privacy-policy/v2.html").replace(
        b"Our mission is to connect", b"Our mission is to link", 1
    )
    with PageServer() as server:
        server.route("/p", Reply(body=third, headers=(("X-Evidence", "kept"),)))
        path = cli.config / "documents" / f"{DOC}.toml"
        path.parent.mkdir(parents=True)
        path.write_text(
            f'title = "LinkedIn Privacy Policy"\nurl = "{server.url("/p")}"\n'
            'language = "en"\nrules = "linkedin-legal"\n'
        )
        cli("import", str(html), "--document", DOC)
        out = cli("check").stdout
    live = re.search(r"new version \((\S+)\)", out)
    assert live, out
    yield Made(root, live.group(1))


@pytest.fixture
def cli(made: Made, tmp_path: Path) -> Cli:
    return made.cli(tmp_path / "work")


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zipped:
        return {info.filename: zipped.read(info) for info in zipped.infolist()}


def write_zip(path: Path, files: dict[str, bytes], *, resum: bool = False) -> Path:
    """A zip of ``files`` (SHA256SUMS recomputed first when ``resum``), as a forger makes it."""
    if resum:
        files["SHA256SUMS"] = sums_text(
            [(n, d) for n, d in files.items() if n != "SHA256SUMS"]
        ).encode()
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    return path


def manifest_of(path: Path) -> dict:
    return json.loads(members(path)["MANIFEST.json"])


# --------------------------------------------------------------------------- exporting
def test_export_of_every_version_holds_each_record_and_verifies(cli: Cli, made: Made):
    out = cli("export", DOC, "-o", "all.zip").stdout.splitlines()
    archive = Archive(cli.archive)
    assert out == [f"all.zip: {DOC}, 3 versions, 23 files", f"head: {archive.head()}"]
    bundle = cli.tmp / "all.zip"
    files = members(bundle)
    folder = archive.folder(DOC)
    kept = {
        f"{DOC}/{p.relative_to(folder).as_posix()}"
        for p in folder.rglob("*")
        if p.is_file() and p.name not in GENERATED
    }
    assert set(files) == kept | {"VERIFY.md", "MANIFEST.json", "SHA256SUMS", "chain.csv"}
    for name in kept:
        assert files[name] == (cli.archive / name).read_bytes(), f"{name}: bytes as archived"
    assert files["chain.csv"] == (cli.archive / "chain.csv").read_bytes()

    meta = json.loads(files[f"{DOC}/raw/{made.live}.json"])
    assert ["X-Evidence", "kept"] in meta["headers"], "headers as received"
    assert meta["request_headers"]["User-Agent"] and meta["requested_url"].endswith("/p")

    manifest = manifest_of(bundle)
    assert manifest["document"] == DOC
    assert manifest["title"] == "LinkedIn Privacy Policy"
    assert manifest["source_url"].endswith("/p")
    assert manifest["archive_head"] == archive.head()
    assert manifest["exported_at"] == archive.anchors()[-1].recorded_at
    assert manifest["tracker_version"]
    assert [v["timestamp"] for v in manifest["versions"]] == [FIRST, SECOND, made.live]
    entries = {entry.ref: entry for entry in archive.entries(DOC)}
    assert {r["path"] for r in manifest["records"]} == {
        n for n in kept if not n.endswith("/chain.csv") and "/checks/" not in n
    }
    for record in manifest["records"]:
        entry = entries[record["path"].removeprefix(f"{DOC}/")]
        assert (record["kind"], record["entry"], record["sha256"], record["size"]) == (
            entry.kind,
            entry.seq,
            entry.sha256,
            len(files[record["path"]]),
        )
    proof = manifest["chain_proof"]
    assert [e["seq"] for e in proof["document_chain"]["entries"]] == [
        e.seq for e in archive.entries(DOC)
    ]
    assert proof["archive_chain"]["entries"][-1]["hash"] == archive.head()

    done = cli("verify", "--bundle", "all.zip")
    assert done.stdout.startswith(f"all.zip: ok ({DOC}: 3 versions, 16 records, ")
    assert done.stdout.splitlines()[-1] == f"head: {archive.head()}"
    cli("verify", "--bundle", "all.zip", "--head", archive.head()[:16])
    wrong = cli("verify", "--bundle", "all.zip", "--head", "ab" * 32, code=1)
    assert f"chain.csv: does not pass through head {'ab' * 32}" in wrong.stdout
    assert wrong.stdout.splitlines()[-1] == f"head: {archive.head()}"


def test_verify_bundle_needs_no_archive_and_no_config(cli: Cli, tmp_path: Path):
    cli("export", DOC, "-o", str(tmp_path / "b.zip"))
    shutil.rmtree(cli.archive)
    shutil.rmtree(cli.config)
    done = cli("verify", "--bundle", str(tmp_path / "b.zip"))
    assert ": ok (" in done.stdout
    done = cli("verify", "--bundle", str(tmp_path / "b.zip"), "--document", DOC, code=2)
    assert "--document does not apply to --bundle" in done.stderr
    (tmp_path / "not.zip").write_text("hello")
    done = cli("verify", "--bundle", str(tmp_path / "not.zip"), code=2)
    assert "not.zip: not a zip file" in done.stderr


@pytest.mark.parametrize("wanted", [SECOND, "2025-04-01", "2025-12-31", "live"])
def test_export_of_one_version_by_stamp_or_date(cli: Cli, made: Made, wanted: str):
    if wanted == "live":
        wanted = expected = made.live
    else:
        expected = SECOND if made.live > f"{wanted}T23-59-59Z" else made.live
    cli("export", DOC, "--version", wanted, "-o", "one.zip")
    files = members(cli.tmp / "one.zip")
    manifest = manifest_of(cli.tmp / "one.zip")
    [version] = manifest["versions"]
    assert version["timestamp"] == expected
    previous = FIRST if expected == SECOND else SECOND
    assert version["previous"] == f"{DOC}/versions/{previous}.md"
    records = sorted(n.removeprefix(f"{DOC}/") for n in files if n.startswith(f"{DOC}/"))
    rules = version["rules"].removeprefix(f"{DOC}/")
    assert records == sorted(
        [
            "chain.csv",
            *Archive(cli.archive).checks_files(DOC),
            f"changes/{expected}.html",
            f"changes/{expected}.json",
            f"changes/{expected}.md",
            f"raw/{expected}.html",
            f"raw/{expected}.json",
            rules,
            f"versions/{expected}.md",
            f"versions/{previous}.md",
        ]
    )
    assert "in force at the end of" in manifest["scope"] or wanted == expected
    assert version["check"]["row"] >= 1
    cli("verify", "--bundle", "one.zip")


def test_a_date_means_the_version_in_force_at_the_end_of_that_day(cli: Cli):
    cli("export", DOC, "--version", "2025-03-31", "-o", "march.zip")
    [version] = manifest_of(cli.tmp / "march.zip")["versions"]
    assert version["timestamp"] == FIRST
    assert version["previous"] is None and version["change"] == []
    assert "the first version: no change record" in version["notes"]
    cli("export", DOC, "--version", "2025-04-01", "-o", "april.zip")
    assert manifest_of(cli.tmp / "april.zip")["versions"][0]["timestamp"] == SECOND
    cli("verify", "--bundle", "march.zip")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["linkedin/nope"], "unknown document linkedin/nope; documents in "),
        ([DOC, "--version", "2025-02-01T00-00-00Z"], f"{DOC}: no version 2025-02-01T00-00-00Z"),
        ([DOC, "--version", "2024-12-31"], f"{DOC}: no version in force on 2024-12-31"),
        ([DOC, "--version", "2025-02-30"], "--version 2025-02-30: no such day"),
        (
            [DOC, "--version", "latest"],
            "--version 'latest': expected a version stamp YYYY-MM-DDTHH-MM-SSZ or a date",
        ),
    ],
)
def test_unknown_document_or_version_is_refused_and_nothing_is_written(
    cli: Cli, args: list[str], message: str
):
    (cli.tmp / "kept.zip").write_bytes(b"an earlier bundle")
    done = cli("export", *args, "-o", "kept.zip", code=2)
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert (cli.tmp / "kept.zip").read_bytes() == b"an earlier bundle"
    assert sorted(p.name for p in cli.tmp.glob("*.zip")) == ["kept.zip"]


def test_output_in_a_missing_folder_is_refused(cli: Cli):
    done = cli("export", DOC, "-o", "nowhere/b.zip", code=2)
    assert "-o nowhere/b.zip: the folder nowhere does not exist" in done.stderr


def test_two_exports_of_one_state_are_byte_identical(cli: Cli):
    cli("export", DOC, "-o", "a.zip")
    cli("export", DOC, "-o", "b.zip")
    cli("export", DOC, "-o", "b.zip")  # over an existing file: replaced whole
    a, b = (cli.tmp / "a.zip").read_bytes(), (cli.tmp / "b.zip").read_bytes()
    assert a == b
    assert not list(cli.tmp.glob(".tmp-*")), "no temporary file left"
    entries = {e.ref: e for e in Archive(cli.archive).entries(DOC)}
    with zipfile.ZipFile(cli.tmp / "a.zip") as zipped:
        for info in zipped.infolist():
            ref = info.filename.removeprefix(f"{DOC}/")
            if ref in entries:
                moment = from_iso(entries[ref].recorded_at)
                assert info.date_time[:5] == (
                    moment.year,
                    moment.month,
                    moment.day,
                    moment.hour,
                    moment.minute,
                ), f"{info.filename} is dated by its chain entry, not by the export"


def test_export_refuses_an_archive_that_does_not_verify(cli: Cli):
    snapshot = cli.archive / DOC / "raw" / f"{SECOND}.html"
    snapshot.write_bytes(snapshot.read_bytes().replace(b"Privacy", b"Privacv", 1))
    done = cli("export", DOC, "-o", "b.zip", code=3)
    assert "the archive does not verify, no bundle written" in done.stderr
    assert f"{DOC}/raw/{SECOND}.html: changed since it was recorded" in done.stderr
    assert not (cli.tmp / "b.zip").exists()
    # Another version, untouched, can still be exported on its own.
    cli("export", DOC, "--version", FIRST, "-o", "b.zip")


# --------------------------------------------------------------------------- tampering
def _edit(name: str, old: bytes, new: bytes) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        assert old in files[name], name
        files[name] = files[name].replace(old, new, 1)

    return edit


def _drop(name: str) -> Callable[[dict[str, bytes]], None]:
    return lambda files: files.pop(name) and None


def _sums_digit(files: dict[str, bytes]) -> None:
    lines = files["SHA256SUMS"].decode().splitlines(keepends=True)
    first = lines[3]
    lines[3] = ("0" if first[0] != "0" else "1") + first[1:]
    files["SHA256SUMS"] = "".join(lines).encode()


def _plant(files: dict[str, bytes]) -> None:
    files[f"{DOC}/raw/2025-02-01T00-00-00Z.html"] = b"<html>a page never captured</html>"


RAW = f"{DOC}/raw/{FIRST}.html"
VERSION = f"{DOC}/versions/{SECOND}.md"
CHAIN = f"{DOC}/chain.csv"
CHECKS = f"{DOC}/checks/{FIRST[:4]}.csv"  # the imports' year; the live check is in another
TAMPERINGS = {
    # name: (tampering, recompute SHA256SUMS, what verify must say)
    "raw bytes": (
        _edit(RAW, b"Privacy", b"Privacv"),
        False,
        [f"{RAW}: SHA-256 ", "differs from SHA256SUMS", f"{RAW}: changed since it was recorded"],
    ),
    "raw bytes and SHA256SUMS": (
        _edit(RAW, b"Privacy", b"Privacv"),
        True,
        [f"{RAW}: changed since it was recorded (SHA-256 "],
    ),
    "a version": (
        _edit(VERSION, b"Privacy", b"Privacv"),
        True,
        [f"{VERSION}: changed since it was recorded"],
    ),
    "a chain line": (
        _edit(CHAIN, b",snapshot,", b",snapshot-meta,"),
        True,
        [f"{CHAIN} entry 1 (snapshot-meta raw/{FIRST}.html): its hash does not match"],
    ),
    "a check row": (
        _edit(CHECKS, b"first-record", b"new-version"),
        True,
        [f"{CHECKS} row 1: differs from the row recorded"],
    ),
    "SHA256SUMS": (_sums_digit, False, ["chain.csv: SHA-256 ", "differs from SHA256SUMS"]),
    "a removed member": (
        _drop(RAW),
        False,
        [f"{RAW}: listed in SHA256SUMS but missing", f"{RAW}: listed in MANIFEST.json but missing"],
    ),
    "a removed member and SHA256SUMS": (
        _drop(RAW),
        True,
        [f"{RAW}: listed in MANIFEST.json but missing from the bundle"],
    ),
    "a planted member": (
        _plant,
        True,
        [f"{DOC}/raw/2025-02-01T00-00-00Z.html: not in {CHAIN} (nothing vouches for it)"],
    ),
    "the manifest's head": (
        lambda files: files.__setitem__(
            "MANIFEST.json",
            re.sub(
                rb'"archive_head": "\w+"',
                b'"archive_head": "' + b"0" * 64 + b'"',
                files["MANIFEST.json"],
            ),
        ),
        True,
        ["MANIFEST.json: archive_head 0000"],
    ),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_each_tampering_of_a_bundle_fails_verify_naming_the_file(cli: Cli, name: str):
    tamper, resum, expected = TAMPERINGS[name]
    cli("export", DOC, "-o", "b.zip")
    files = members(cli.tmp / "b.zip")
    tamper(files)
    write_zip(cli.tmp / "forged.zip", files, resum=resum)
    done = cli("verify", "--bundle", "forged.zip", code=1)
    for words in expected:
        assert words in done.stdout, done.stdout
    assert done.stdout.splitlines()[-1].startswith("head: ")


def test_a_member_twice_in_the_zip_is_a_problem(cli: Cli):
    cli("export", DOC, "-o", "b.zip")
    with zipfile.ZipFile(cli.tmp / "b.zip", "a") as zipped, pytest.warns(UserWarning):
        zipped.writestr(RAW, b"<html>another copy</html>")
    done = cli("verify", "--bundle", "b.zip", code=1)
    assert f"{RAW}: twice in the zip file" in done.stdout


def test_a_damaged_zip_member_is_named(cli: Cli):
    cli("export", DOC, "-o", "b.zip")
    data = bytearray((cli.tmp / "b.zip").read_bytes())
    with zipfile.ZipFile(cli.tmp / "b.zip") as zipped:
        info = zipped.getinfo(RAW)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    (cli.tmp / "b.zip").write_bytes(bytes(data))
    done = cli("verify", "--bundle", "b.zip", code=1)
    assert f"{RAW}: damaged in the zip file (" in done.stdout


def _rechain(entries: list[Entry], sha: dict[str, str]) -> list[Entry]:
    out: list[Entry] = []
    for entry in entries:
        prev = out[-1].hash if out else GENESIS
        digest = sha.get(entry.ref, entry.sha256)
        out.append(Entry.make(entry.seq, entry.recorded_at, entry.kind, entry.ref, digest, prev))
    return out


def _reanchor(anchors: list[Anchor], document: str, hashes: list[str]) -> list[Anchor]:
    out: list[Anchor] = []
    for a in anchors:
        head = hashes[a.document_seq - 1] if a.document == document else a.document_head
        prev = out[-1].hash if out else GENESIS
        out.append(Anchor.make(a.seq, a.recorded_at, a.document, a.document_seq, head, prev))
    return out


def test_a_rewritten_document_chain_no_longer_meets_its_anchor(cli: Cli):
    cli("export", DOC, "-o", "b.zip")
    files = members(cli.tmp / "b.zip")
    files[RAW] = files[RAW].replace(b"Privacy", b"Privacv", 1)
    entries = _rechain(
        parse_entries(files[CHAIN].decode()), {f"raw/{FIRST}.html": sha256_hex(files[RAW])}
    )
    files[CHAIN] = (header(DOCUMENT_COLUMNS) + "".join(csv_line(e.row()) for e in entries)).encode()
    write_zip(cli.tmp / "forged.zip", files, resum=True)
    done = cli("verify", "--bundle", "forged.zip", code=1)
    assert f"chain.csv entry 1: {CHAIN} no longer passes through the head recorded" in done.stdout
    assert f"{RAW}: changed since" not in done.stdout, "the forged chain vouches for the file"


def test_only_a_head_published_elsewhere_catches_a_rewrite_of_the_whole_archive(cli: Cli):
    archive = Archive(cli.archive)
    published = archive.head()
    raw = archive.folder(DOC) / "raw" / f"{FIRST}.html"
    raw.write_bytes(raw.read_bytes().replace(b"Privacy", b"Privacv", 1))
    entries = _rechain(archive.entries(DOC), {f"raw/{FIRST}.html": sha256_hex(raw.read_bytes())})
    archive.ledger_path(DOC).write_text(
        header(DOCUMENT_COLUMNS) + "".join(csv_line(e.row()) for e in entries)
    )
    anchors = _reanchor(archive.anchors(), DOC, [e.hash for e in entries])
    (cli.archive / "chain.csv").write_text(
        header(ARCHIVE_COLUMNS) + "".join(csv_line(a.row()) for a in anchors)
    )
    cli("export", DOC, "--version", FIRST, "-o", "forged.zip")
    done = cli("verify", "--bundle", "forged.zip")
    assert done.stdout.splitlines()[-1] == f"head: {anchors[-1].hash}" != f"head: {published}"
    done = cli("verify", "--bundle", "forged.zip", "--head", published, code=1)
    assert f"chain.csv: does not pass through head {published}" in done.stdout


# --------------------------------------------------------------------------- standard tools
def test_standard_tools_check_the_bundle_as_verify_md_says(cli: Cli, tmp_path: Path):
    cli("export", DOC, "-o", "b.zip")
    into = tmp_path / "unzipped"
    if shutil.which("unzip"):
        subprocess.run(["unzip", "-q", str(cli.tmp / "b.zip"), "-d", str(into)], check=True)
    else:  # pragma: no cover - unzip is on the CI image
        zipfile.ZipFile(cli.tmp / "b.zip").extractall(into)
    sums = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=into, capture_output=True, text=True, check=False
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr
    lines = sums.stdout.splitlines()
    assert len(lines) == len(members(cli.tmp / "b.zip")) - 1
    assert all(line.endswith(": OK") for line in lines)

    # The worked examples, recomputed by a real shell, give the hashes of the ledgers' lines.
    guide = (into / "VERIFY.md").read_text()
    commands = [line.strip() for line in guide.splitlines() if line.startswith("    printf ")]
    commands += [line.strip() for line in guide.splitlines() if line.startswith("    sed ")]
    assert len(commands) == 3
    outputs = [
        subprocess.run(
            ["sh", "-c", command], cwd=into, capture_output=True, text=True, check=True
        ).stdout
        for command in commands
    ]
    document_rows = list(csv.reader(io.StringIO((into / CHAIN).read_text())))
    archive_rows = list(csv.reader(io.StringIO((into / "chain.csv").read_text())))
    check_sha = next(row[4] for row in document_rows if row[3] == f"checks/{FIRST[:4]}.csv#1")
    assert outputs == [
        f"{document_rows[1][-1]}  -\n",
        f"{archive_rows[1][-1]}  -\n",
        f"{check_sha}  -\n",
    ]
    for expected in outputs:
        assert f"`{expected.strip()}`" in guide, "VERIFY.md says what the command prints"

    # A file changed after unzipping fails the standard check.
    (into / RAW).write_bytes((into / RAW).read_bytes() + b" ")
    sums = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=into, capture_output=True, text=True, check=False
    )
    assert sums.returncode == 1 and f"{RAW}: FAILED" in sums.stdout


# --------------------------------------------------------------------------- notes
def test_a_version_recorded_before_rules_were_kept_says_so(tmp_path: Path):
    archive = Archive(tmp_path / "snapshots")
    doc = "linkedin/user-agreement"
    with archive.writing():
        for stamp, text, snapshot in (
            ("2024-01-01T00-00-00Z", "# Terms\n\nOld.\n", True),
            ("2024-02-01T00-00-00Z", "# Terms\n\nNew.\n", False),
        ):
            meta = {
                "document": doc,
                "title": "User Agreement",
                "timestamp": stamp,
                "captured_at": f"{stamp[:10]}T00:00:00Z",
                "source_url": "https://www.linkedin.com/legal/user-agreement",
                "text_sha256": sha256_hex(text),
                "previous": None if snapshot else "2024-01-01T00-00-00Z",
            }
            if snapshot:
                body = b"<html><p>Old.</p></html>"
                path = archive.record_snapshot(
                    doc, stamp, body, {"sha256": sha256_hex(body)}, ".html"
                )
                meta |= {
                    "snapshot": path,
                    "raw_sha256": sha256_hex(body),
                    "rules_sha256": "0123456789abcdef",
                }
            archive.record_version(doc, stamp, meta, text)
            archive.append_check(
                doc,
                CheckRecord(
                    checked_at=from_stamp(stamp),
                    outcome=Outcome.FIRST_RECORD if snapshot else Outcome.NEW_VERSION,
                    text_sha256=sha256_hex(text),
                    version=stamp,
                ),
            )
            archive.commit(doc)
    bundle = build_bundle(archive, doc)
    write_bundle(bundle, tmp_path / "b.zip")
    found, damaged = read_bundle(tmp_path / "b.zip")
    report = verify_bundle(found, damaged=damaged)
    assert report.ok, report.problems
    old, new = manifest_of(tmp_path / "b.zip")["versions"]
    assert old["rules"] is None
    assert (
        "rules/0123456789abcdef.json is not in the archive: this version was recorded before the "
        "archive kept extraction rules" in " ".join(old["notes"])
    )
    assert new["snapshot"] is None
    assert any(n.startswith("no snapshot: the text was imported as Markdown") for n in new["notes"])


# --------------------------------------------------------------------------- real corpus
@pytest.mark.parametrize(
    "series",
    [pytest.param("eu-regional-privacy-notice/en_pga-reconstructed", marks=REQUIRES_CORPUS)],
)
def test_bundle_of_a_real_linkedin_series(series: str, tmp_path: Path):
    from tests.test_corpus_import import TAXONOMY, document_for
    from tracker.backfill import backfill

    document = document_for(series)
    name, part = series.split("/")
    archive = Archive(tmp_path / "snapshots")
    backfill(document, archive, CORPUS / "linkedin" / name / "html" / part, TAXONOMY)
    stamps = archive.version_stamps(document.id)
    assert len(stamps) == 2, "the real change of 3 November 2025"
    write_bundle(build_bundle(archive, document.id), tmp_path / "all.zip")
    write_bundle(build_bundle(archive, document.id, stamps[1][:10]), tmp_path / "one.zip")
    for path in (tmp_path / "all.zip", tmp_path / "one.zip"):
        found, damaged = read_bundle(path)
        report = verify_bundle(found, head=archive.head(), damaged=damaged)
        assert report.ok, report.problems
        into = tmp_path / path.stem
        zipfile.ZipFile(path).extractall(into)
        sums = subprocess.run(
            ["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=into, capture_output=True, check=False
        )
        assert sums.returncode == 0, sums.stdout
    [version] = manifest_of(tmp_path / "one.zip")["versions"]
    assert version["timestamp"] == stamps[1]
    assert len(version["change"]) == 3 and version["previous"]
    raw = (archive.folder(document.id) / "raw" / f"{stamps[1]}.html").read_bytes()
    assert members(tmp_path / "one.zip")[f"{document.id}/raw/{stamps[1]}.html"] == raw
