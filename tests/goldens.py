"""Golden files for the extraction tests, and the loader of their rules.

A golden case is a folder ``tests/golden/extract/<case>/`` with:

- ``input.html`` — a small page written for the test (never a copy of a corpus file), in any
  encoding: the bytes are what :func:`tracker.extract.extract` receives;
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
from typing import Any

from tracker.config import ExtractConfig, RuleSetFile
from tracker.models import ExtractRules

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
RULES_DIR = Path(__file__).resolve().parents[1] / "config" / "rules"
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


def rules_from_config(config: ExtractConfig, base: ExtractRules | None = None) -> ExtractRules:
    """ExtractRules from an ``[extract]`` table, on top of ``base`` when given."""
    merged: dict[str, Any] = {}
    if base is not None:
        merged = {
            "select": list(base.select),
            "remove": list(base.remove),
            "drop_query_params": list(base.drop_query_params),
            "min_text_chars": base.min_text_chars,
            "select_first": base.select_first,
        }
    merged.update(config.model_dump(exclude_none=True))
    return ExtractRules(
        select=tuple(merged["select"]),
        remove=tuple(merged.get("remove", ())),
        drop_query_params=tuple(merged.get("drop_query_params", ())),
        min_text_chars=merged.get("min_text_chars", 200),
        select_first=merged.get("select_first", False),
    )


def load_rule_set(name: str) -> ExtractRules:
    """The project's rule set ``config/rules/<name>.toml``."""
    with (RULES_DIR / f"{name}.toml").open("rb") as handle:
        spec = RuleSetFile.model_validate(tomllib.load(handle))
    return rules_from_config(spec.extract)


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
    base = load_rule_set(case["rules"]) if "rules" in case else None
    config = ExtractConfig.model_validate(data.get("extract", {}))
    return GoldenCase(
        folder=folder,
        body=(folder / "input.html").read_bytes(),
        rules=rules_from_config(config, base),
        url=case.get("url", DEFAULT_URL),
        charset=case.get("charset"),
    )


def case_folders(kind: str) -> list[Path]:
    """The case folders under ``tests/golden/<kind>``, sorted by name."""
    root = GOLDEN_DIR / kind
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
