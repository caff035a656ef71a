"""Golden files for the extraction tests, and the loader of their rules.

A golden case is a folder ``tests/golden/extract/<case>/`` with:

- ``input.html`` — a small page written for the test (never a copy of a corpus file), in any
  encoding: the bytes are what :func:`tracker.extract.extractor.extract` receives;
- ``rules.toml`` — an ``[extract]`` table (the schema of ``config/rules/*.toml``) and an
  optional ``[case]`` table: ``url`` (the page's URL, default ``https://www.linkedin.com/``),
  ``charset`` (as if sent in the HTTP ``Content-Type`` header) and ``rules`` (the name of a
  rule set under ``config/rules/`` to start from; the ``[extract]`` keys override it);
- ``expected.md`` — the exact expected output.

To regenerate the expected files after an intended change of the converter, run the tests
with ``UPDATE_GOLDEN=1`` in the environment::

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_extract.py

:func:`assert_golden` then rewrites each differing ``expected.md`` (and reports the test as
passed). Review the result with ``git diff tests/golden`` before committing, and bump
``EXTRACTOR_VERSION`` in :mod:`tracker.models` when the output of real pages changes.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tracker import config
from tracker.config import ExtractConfig
from tracker.models import ExtractRules

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
DEFAULT_URL = "https://www.linkedin.com/"


def updating() -> bool:
    """True when the run should rewrite golden files instead of comparing with them."""
    return os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")


def assert_golden(path: Path, actual: str) -> None:
    """Compare ``actual`` with the golden file ``path`` (or rewrite it under UPDATE_GOLDEN=1).

    Args:
        path: the expected file.
        actual: what the code produced now.

    Raises:
        AssertionError: the texts differ (with a unified diff), or the golden file is missing.
    """
    if updating():
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=str(path),
                tofile="actual",
            )
        )
        raise AssertionError(f"output differs from {path} (UPDATE_GOLDEN=1 rewrites it):\n{diff}")


def load_rule_set(name: str) -> ExtractRules:
    """The project's rule set ``config/rules/<name>.toml``, as the tracker loads it."""
    path = CONFIG_DIR / "rules" / f"{name}.toml"
    spec = config.read_rule_set(CONFIG_DIR, name, referenced_from=path)
    return config.merge_rules(None, spec.extract, path)


@dataclass(frozen=True)
class GoldenCase:
    """One folder of ``tests/golden/extract``."""

    folder: Path
    body: bytes
    rules: ExtractRules
    url: str
    charset: str | None

    @property
    def expected_path(self) -> Path:
        """Where the expected Markdown is."""
        return self.folder / "expected.md"


def load_case(folder: Path) -> GoldenCase:
    """Read a golden case folder (see the module docstring)."""
    with (folder / "rules.toml").open("rb") as handle:
        data = tomllib.load(handle)
    case = data.get("case", {})
    path = folder / "rules.toml"
    base = (
        config.read_rule_set(CONFIG_DIR, case["rules"], referenced_from=path).extract
        if "rules" in case
        else None
    )
    own = ExtractConfig.model_validate(data.get("extract", {}))
    return GoldenCase(
        folder=folder,
        body=(folder / "input.html").read_bytes(),
        rules=config.merge_rules(base, own, path),
        url=case.get("url", DEFAULT_URL),
        charset=case.get("charset"),
    )


def case_folders(kind: str) -> list[Path]:
    """The case folders under ``tests/golden/<kind>``, sorted by name."""
    root = GOLDEN_DIR / kind
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
