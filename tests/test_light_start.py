"""A light start (issue 12): a check of an unchanged page loads only what it uses.

The taxonomy is read when a change is first classified; lxml, BeautifulSoup, soupsieve, the
comparison, the renderers and Telegram's HTML parser are imported only when a page or a
change needs them, APScheduler's cron parser only when a cron is read, the metrics library
only when ``/metrics`` is served, the status module only by ``tracker status``; selectors are
checked without soupsieve when cssselect can translate them.
Speed is measured in ``benchmarks/start.py``, not here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import FakeClock, PageServer, Reply
from tests.test_hostile import make_deps, write_config
from tests.writers import Workspace
from tracker import config
from tracker.classify.taxonomy import lazy_taxonomy
from tracker.config import selector_problem
from tracker.errors import ConfigError
from tracker.models import Outcome
from tracker.runtime import check_documents
from tracker.state.store import State

ROOT = Path(__file__).resolve().parents[1]
PAGE = "linkedin/privacy-policy/v1.html"


def test_the_taxonomy_is_read_only_when_a_change_is_classified(
    tmp_path: Path, page_server: PageServer, clock: FakeClock
) -> None:
    write_config(tmp_path / "config", page_server)
    settings = config.load(tmp_path / "config", tmp_path / "snapshots", "sqlite://", environ={})
    documents = list(settings.documents.values())
    state = State(f"sqlite:///{tmp_path}/state.db")
    try:
        missing = lazy_taxonomy(tmp_path / "no-such-taxonomy.toml")
        deps = dataclasses.replace(make_deps(settings, state, clock.now), taxonomy=missing)

        first = check_documents(documents, deps)
        clock.advance(3600)
        again = check_documents(documents, deps)

        assert {r.outcome for r in first} == {Outcome.FIRST_RECORD}
        assert {r.outcome for r in again} == {Outcome.UNCHANGED}
        page_server.route("/legal/privacy-policy", Reply.page("linkedin/privacy-policy/v2.html"))
        clock.advance(3600)
        with pytest.raises(ConfigError, match="no-such-taxonomy"):
            check_documents(documents, deps)  # a wrong taxonomy stops the command (exit 2)
    finally:
        state.close()


_PROBE = """
import json, sys
from tracker.cli.main import cli
try:
    cli(sys.argv[1:], standalone_mode=False)
finally:
    heavy = ("bs4", "soupsieve", "tracker.compare.diff", "tracker.classify.classifier",
             "tracker.render.html", "tracker.render.telegram_html", "diff_match_patch",
             "prometheus_client", "tracker.ops.status", "lxml.html", "lxml.etree",
             "apscheduler.triggers.cron")
    print(json.dumps(sorted(name for name in heavy if name in sys.modules)))
"""


def _imported(workspace: Workspace) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *workspace.argv("check")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    imported: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return imported


def test_a_check_of_an_unchanged_page_imports_no_parser_comparison_or_renderer(
    tmp_path: Path, page_server: PageServer
) -> None:
    workspace = Workspace.create(tmp_path)
    workspace.document("linkedin/privacy-policy", page_server.route("/p", Reply.page(PAGE)))

    _imported(workspace)  # the first record
    assert _imported(workspace) == []
    page_server.route("/p", Reply.page("linkedin/privacy-policy/v2.html"))
    assert {"tracker.compare.diff", "tracker.classify.classifier"} <= set(_imported(workspace))


@pytest.mark.parametrize(
    ("selector", "valid"),
    [
        ("#component-container", True),
        ("div.legal > section, main article", True),
        ("section:has(> h2)", True),  # beyond cssselect: soupsieve decides
        ("div[[", False),
        ("p::text", False),  # cssselect parses it but cannot translate it; soupsieve refuses
        ("", False),
    ],
)
def test_selectors_are_checked_by_cssselect_then_soupsieve(selector: str, valid: bool) -> None:
    assert (selector_problem(selector) == "") is valid
