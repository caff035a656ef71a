"""The change page in a real headless Chromium: no script at all, text kept as text, printable.

Skipped with a reason when Chromium is not installed (``.ci/run`` installs Debian's package).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
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


def test_telegram_preview_shows_the_post_as_telegram_would(tmp_path: Path):
    from datetime import UTC, datetime

    from tracker.notify.channels import Channel
    from tracker.render.preview import Bubble, render_preview
    from tracker.render.telegram import PostContext, render_post

    context = PostContext(
        title="LinkedIn EU notice",
        source_url="https://x.test/",
        detected_at=datetime(2025, 11, 4, tzinfo=UTC),
        change_page="linkedin/eu/changes/x.html",
    )
    channel = Channel("en", "@watch_en", ("*",))
    bubbles = [Bubble("en", m) for m in render_post(CHANGE, context, channel)]
    path = tmp_path / "preview.html"
    path.write_text(render_preview("preview", bubbles), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", path.as_uri()).stdout
    assert "Telegram would refuse" not in dom
    assert "LinkedIn EU notice" in dom
    assert "<s>" in dom or "<u>" in dom
    assert "<script" not in dom, "hostile page text stays text"
    png = tmp_path / "preview.png"
    chromium(tmp_path, "--window-size=600,900", f"--screenshot={png}", path.as_uri())
    assert png.read_bytes().startswith(b"\x89PNG")


#: Measured in the page itself: how far the document is wider than the window (0: no overflow).
_PROBE = (
    "<script>document.body.setAttribute('data-overflow', String("
    "document.documentElement.scrollWidth - document.documentElement.clientWidth))</script>"
)


@pytest.mark.parametrize("width", [360, 768, 1280, 1920])
def test_change_page_never_overflows_sideways(tmp_path: Path, width: int):
    """Issue 14: the page overflowed at 1,280 px. Long URLs, code and hashes, a wide table."""
    from tests.test_render_layout import CHANGE as WIDE_CHANGE
    from tests.test_render_layout import VERSIONS

    html = render_change_page(
        WIDE_CHANGE, title="LinkedIn EU notice", source_url="https://x.test/", versions=VERSIONS
    )
    path = tmp_path / "wide.html"
    path.write_text(html.replace("</body>", f"{_PROBE}</body>"), encoding="utf-8")
    dom = chromium(tmp_path, f"--window-size={width},900", "--dump-dom", path.as_uri()).stdout
    found = re.search(r'data-overflow="(-?\d+)"', dom)
    assert found is not None, "the probe ran"
    assert int(found.group(1)) <= 0, f"{found.group(1)} px wider than a {width} px window"


def test_long_change_prints_on_several_numbered_pages(tmp_path: Path):
    """Page numbers come from ``@page { @bottom-right }``: printed without Chromium's own
    header and footer, a long change still spans several pages (their numbers are drawn by the
    page margin box; reading them back would need a PDF text extractor)."""
    from tests.test_render_layout import CHANGE as WIDE_CHANGE
    from tests.test_render_layout import VERSIONS

    long = replace(WIDE_CHANGE, clauses=WIDE_CHANGE.clauses * 15)
    path = tmp_path / "long.html"
    path.write_text(
        render_change_page(long, title="T", source_url="https://x.test/", versions=VERSIONS),
        encoding="utf-8",
    )
    pdf = tmp_path / "long.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", path.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) > 1
