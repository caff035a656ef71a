"""The change page in a real headless Chromium: no script at all, text kept as text, printable.

Skipped with a reason when Chromium is not installed (``.ci/run`` installs Debian's package).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_render import CHANGE, HOSTILE
from tracker.render.html import render_change_page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "change.html"
    path.write_text(
        render_change_page(CHANGE, title="LinkedIn EU notice", source_url="https://x.test/"),
        encoding="utf-8",
    )
    return path


def test_page_renders_without_javascript_and_shows_hostile_text_as_text(tmp_path: Path, page: Path):
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    assert "<script" not in dom
    assert "<img" not in dom
    assert "&lt;script&gt;alert" in dom, "page text stays text after the browser parsed it"
    assert "<del>" in dom and "<ins>" in dom
    assert HOSTILE.split()[0] not in dom.replace("&lt;", "")


def test_page_prints_to_pdf(tmp_path: Path, page: Path):
    pdf = tmp_path / "change.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 5_000
