"""Screenshots of the Telegram messages for docs/: the real EU notice change of 2025-11-03.

Renders the post of the corpus change (2025-09-18 → 2025-11-04), headline first, for an
English channel and a French channel filtered on ``ai_training``, draws them as Telegram shows them
(:mod:`tracker.render.preview`, after TDLib-faithful parsing) and screenshots the page in
headless Chromium::

    .venv/bin/python scripts/telegram_screenshots.py [--corpus ../shared/corpus]

Writes ``docs/images/telegram-post-en.png`` and ``telegram-post-fr.png``. The HTML pages (which
quote the corpus) stay in a temporary folder: the corpus is never copied into the project.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.changes import compare_classified  # noqa: E402
from tracker.classify.taxonomy import load_taxonomy  # noqa: E402
from tracker.extract.effective_date import effective_date  # noqa: E402
from tracker.notify.channels import Channel  # noqa: E402
from tracker.render.preview import Bubble, render_preview  # noqa: E402
from tracker.render.telegram import PostContext, render_post  # noqa: E402

OLD, NEW = "2025-09-18T12-34-39Z", "2025-11-04T00-35-00Z"
CHANNELS = (
    Channel(
        "telegram-post-en",
        "@linkedin_policy_watch",
        ("linkedin/*",),
        public_url="https://policy-tracker.example.org/snapshots/",
    ),
    Channel(
        "telegram-post-fr",
        "@veille_linkedin_ia",
        ("linkedin/*",),
        labels=("ai_training",),
        language="fr",
    ),
)


def chromium_screenshot(page: Path, png: Path, height: int) -> None:
    """Screenshot ``page`` at 600 px wide in headless Chromium (as the tests start it)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size=600,{height}",
                f"--screenshot={png}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--height", type=int, default=2600)
    args = parser.parse_args()
    folder = args.corpus / "linkedin" / "eu-regional-privacy-notice" / "markdown" / "en_pga"
    old = (folder / f"{OLD}.md").read_text(encoding="utf-8")
    new = (folder / f"{NEW}.md").read_text(encoding="utf-8")
    change = compare_classified(
        old,
        new,
        document="linkedin/eu-regional-privacy-notice",
        from_version=OLD,
        to_version=NEW,
        taxonomy=load_taxonomy(ROOT / "config" / "taxonomy.toml"),
    )
    context = PostContext(
        title="LinkedIn European Regional Privacy Notice",
        source_url="https://www.linkedin.com/legal/privacy/eu",
        detected_at=datetime(2025, 11, 4, 0, 35, tzinfo=UTC),
        change_page=f"linkedin/eu-regional-privacy-notice/changes/{NEW}.html",
        effective=effective_date(new),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    pages = Path(tempfile.mkdtemp(prefix="telegram-preview-"))
    for channel in CHANNELS:
        messages = render_post(change, context, channel, max_clauses=5)
        label = f"{channel.chat_id} ({channel.language}"
        label += f", labels: {', '.join(channel.labels)})" if channel.labels else ")"
        page = pages / f"{channel.name}.html"
        page.write_text(
            render_preview(channel.name, [Bubble(label, m) for m in messages]), encoding="utf-8"
        )
        chromium_screenshot(page, args.out / f"{channel.name}.png", args.height)
        print(f"{channel.name}: {len(messages)} messages -> {args.out / channel.name}.png")


if __name__ == "__main__":
    main()
