"""Front matter for archived Markdown versions: a ``---`` block of ``key: value`` lines.

Values are written as JSON scalars (strings quoted, ``true``/``false``/``null``, numbers), which
is also valid YAML: GitHub renders the block as a table and any YAML or JSON reader parses it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_FENCE = "---"


def render(meta: Mapping[str, Any], body: str) -> str:
    """Prefix ``body`` with a front-matter block holding ``meta`` in the given key order."""
    lines = [_FENCE]
    for key, value in meta.items():
        if not key.replace("_", "").isalnum():
            raise ValueError(f"front-matter key {key!r} must be alphanumeric")
        lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    lines.append(_FENCE)
    return "\n".join(lines) + "\n\n" + body


def parse(text: str) -> tuple[dict[str, Any], str]:
    """Split a file written by :func:`render` into its metadata and its body.

    Raises:
        ValueError: the text does not start with a well-formed front-matter block.
    """
    if not text.startswith(_FENCE + "\n"):
        raise ValueError("no front matter")
    end = text.find("\n" + _FENCE + "\n", len(_FENCE))
    if end < 0:
        raise ValueError("front matter is not closed")
    meta: dict[str, Any] = {}
    block = text[len(_FENCE) + 1 : end]
    for line in block.split("\n") if block else []:
        key, sep, raw = line.partition(": ")
        if not sep:
            raise ValueError(f"front-matter line without 'key: value': {line!r}")
        meta[key] = json.loads(raw)
    body = text[end + len(_FENCE) + 2 :]
    if body.startswith("\n"):
        body = body[1:]
    return meta, body
