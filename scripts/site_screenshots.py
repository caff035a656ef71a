"""Screenshots of the site for docs/: the home, the EU notice's page and a search.

Imports the real corpus into a temporary archive (``benchmarks/site_corpus.py``, as
``tracker import`` does; or reads ``--archive DIR`` when one is already imported), builds the
site, and screenshots in headless Chromium, from ``file://``:

- ``docs/images/site-home.png``: the home page;
- ``docs/images/site-document.png``: the EU notice's timeline;
- ``docs/images/site-search.png``: the search for "legitimate interest".

    .venv/bin/python scripts/site_screenshots.py [--archive DIR]

The site (which quotes the corpus) stays in a temporary folder: the corpus is never copied
into the project.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    sys.path.insert(0, str(path))

from site_corpus import import_corpus  # noqa: E402 (after the sys.path set-up)

from tracker.archive.store import Archive  # noqa: E402
from tracker.site.build import build_site  # noqa: E402

EU = "linkedin/eu-regional-privacy-notice"
SHOTS = (
    ("site-home.png", "index.html", 1280, 1000),
    ("site-document.png", f"{EU}/index.html", 1280, 1250),
    ("site-search.png", "search.html?q=legitimate+interest", 1280, 1100),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--archive", type=Path, help="An archive with the corpus imported.")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium not found")
    with tempfile.TemporaryDirectory(prefix="site-shots-") as tmp:
        archive_dir = args.archive
        if archive_dir is None:
            archive_dir = Path(tmp) / "archive"
            import_corpus(archive_dir)
        site = Path(tmp) / "site"
        build_site(Archive(archive_dir), site)
        for name, page, width, height in SHOTS:
            target = ROOT / "docs" / "images" / name
            path, _, rest = page.partition("?") if "?" in page else page.partition("#")
            joiner = "?" if "?" in page else "#"
            url = (site / path).as_uri() + (joiner + rest if rest else "")
            subprocess.run(
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    f"--user-data-dir={Path(tmp) / 'profile'}",
                    f"--window-size={width},{height}",
                    "--virtual-time-budget=5000",
                    f"--screenshot={target}",
                    url,
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
