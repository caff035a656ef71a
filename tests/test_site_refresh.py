"""The site kept up to date: `tracker site` with its feeds, `tracker check` and `tracker run`
rebuilding and publishing it after a pass that recorded something (real processes, loopback
pages, real folders)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.servers import PageServer, Reply
from tests.test_cli import DOC, Cli, make_cli
from tracker.archive.store import Archive
from tracker.models import Outcome
from tracker.pipeline import Result
from tracker.site.publish import SiteSettings
from tracker.site.refresh import SiteJob, recorded_something


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return make_cli(tmp_path)


def _with_site(cli: Cli, extra: str = "") -> None:
    toml = cli.config / "tracker.toml"
    toml.write_text(
        toml.read_text()
        + '\n[site]\noutput = "built"\nbase_url = "https://policy.example.org/"\n'
        + extra
    )


def test_tracker_site_builds_the_feeds_too(cli: Cli, page_server: PageServer):
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    cli.document(DOC, page_server.url("/p"))
    cli("check")
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v2.html"))
    cli("check")
    out = cli("site", str(cli.tmp / "out")).stdout
    assert "files written" in out
    feed = (cli.tmp / "out" / "feeds" / "all.atom").read_text(encoding="utf-8")
    assert "<entry>" in feed and "changes/" in feed
    assert 'type="application/atom+xml"' in (cli.tmp / "out" / "index.html").read_text()


def test_tracker_site_takes_its_folder_and_address_from_the_config(
    cli: Cli, page_server: PageServer
):
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    cli.document(DOC, page_server.url("/p"))
    cli("check")
    done = cli("site", code=2)
    assert "OUTPUT_DIR" in done.stderr, "no [site]: the folder must be given"
    _with_site(cli)
    cli("site")
    assert (cli.tmp / "built" / "index.html").exists()
    assert "https://policy.example.org/" in (cli.tmp / "built" / "feeds" / "all.atom").read_text()


def test_check_rebuilds_and_publishes_the_site_only_after_a_record(
    cli: Cli, page_server: PageServer
):
    _with_site(cli, 'publish_dir = "public"\n')
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    cli.document(DOC, page_server.url("/p"))
    out = cli("check").stdout
    assert "site built:" in out.replace(f"site {Path('built')}:", "site built:"), out
    home = cli.tmp / "public" / "index.html"
    assert home.exists(), "published to the folder"
    assert (cli.tmp / "public" / DOC / "index.html").exists()
    built_at = home.stat().st_mtime_ns

    out = cli("check").stdout
    assert "files written" not in out, "an unchanged pass does not build the site"
    assert home.stat().st_mtime_ns == built_at

    page_server.route("/p", Reply.page("linkedin/privacy-policy/v2.html"))
    cli("check")
    changes = list((cli.tmp / "public" / DOC / "changes").glob("*.html"))
    assert len(changes) == 1, "the new change page is published"
    assert "<entry>" in (cli.tmp / "public" / "feeds" / "all.atom").read_text()


def test_run_rebuilds_the_site_on_its_timer(cli: Cli, page_server: PageServer):
    _with_site(cli)
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v1.html"))
    cli.document(DOC, page_server.url("/p"))
    worker = cli.popen("run")
    try:
        home = cli.tmp / "built" / "index.html"
        deadline = time.monotonic() + 90
        while not home.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.5)
        assert home.exists(), "the catch-up recorded the first version: the site is built"
        assert DOC in home.read_text(encoding="utf-8")
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err


def test_a_site_job_refreshes_once_for_many_records_and_keeps_trying_after_a_failure(
    tmp_path: Path,
):
    archive = Archive(tmp_path / "snapshots")
    (tmp_path / "snapshots").mkdir()
    output = tmp_path / "snapshots" / "site"  # inside the archive: publishing refuses it
    job = SiteJob(archive, SiteSettings(output=tmp_path / "site", publish_dir=output))
    assert job.refresh() == [], "nothing recorded: nothing to do"
    job.note([Result(DOC, Outcome.UNCHANGED)])
    assert not job.stale and not recorded_something([Result(DOC, Outcome.INACCESSIBLE)])
    job.note([Result(DOC, Outcome.NEW_VERSION, version="2025-01-01T00-00-00Z")])
    assert job.stale and job.due(), "never built: due at once"
    lines = job.refresh()
    assert lines and "not rebuilt or published" in lines[-1]
    assert job.stale, "a failed publication is tried again at the next refresh"
    job.settings = SiteSettings(output=tmp_path / "site", publish_dir=tmp_path / "public")
    assert not job.due(), "built less than a minute ago: the timer's next tick will do"
    lines = job.refresh()
    assert not job.stale and (tmp_path / "public" / "index.html").exists(), lines
    job.note([Result(DOC, Outcome.FLIP_BACK)])
    job.clock = lambda: (job.built_at or 0) + 61
    assert job.due()
