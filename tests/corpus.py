"""Where the shared corpus is, and the marker that skips a test module without it.

``../shared/corpus`` beside the checkout, or ``TRACKER_CORPUS``. Tests read it in place and
never copy it into the project.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(
    os.environ.get("TRACKER_CORPUS")
    or Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
)
MANIFEST = CORPUS / "manifest.json"

#: ``pytestmark = REQUIRES_CORPUS`` in a module that reads the corpus.
REQUIRES_CORPUS = [
    pytest.mark.corpus,
    pytest.mark.skipif(
        not MANIFEST.is_file(),
        reason=f"corpus not found at {CORPUS} (set TRACKER_CORPUS to the folder of manifest.json)",
    ),
]
