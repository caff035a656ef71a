"""``VERIFY.md``: how a lawyer or an expert checks an evidence bundle with standard tools.

Written for the bundle it is in: the worked examples use that bundle's first chain entries, as
commands a reader can paste (``printf ... | sha256sum``) to recompute a hash by hand. The
formulas are those of :mod:`tracker.archive.chain`.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from tracker.archive.bundle import ARCHIVE_CHAIN, GUIDE, MANIFEST, SUMS
from tracker.archive.chain import GENESIS, SCHEME, Anchor, Entry

_POWERSHELL = """\
```powershell
Get-Content SHA256SUMS | ForEach-Object {
  $hash, $file = $_ -split '  ', 2
  if ((Get-FileHash -Algorithm SHA256 -LiteralPath $file).Hash -eq $hash) { "${file}: OK" }
  else { "${file}: FAILED" }
}
```"""


def printf_line(*fields: str) -> str:
    """A shell command printing ``fields`` one per line, without a final line end, into
    ``sha256sum``: the hash :func:`tracker.archive.chain.digest` computes."""
    pattern = "\\n".join(["%s"] * len(fields))
    return f"printf '{pattern}' {' '.join(shlex.quote(f) for f in fields)} | sha256sum"


def render_guide(
    manifest: Mapping[str, Any], entries: Sequence[Entry], anchors: Sequence[Anchor]
) -> str:
    """The text of ``VERIFY.md`` for a bundle with this manifest and these ledgers."""
    document = str(manifest["document"])
    head = str(manifest["archive_head"])
    entry, anchor = entries[0], anchors[0]
    last = entries[-1]
    held = next(
        a for a in reversed(anchors) if a.document == document and a.document_seq == last.seq
    )
    record = next(
        (r for r in manifest["records"] if r.get("entry")), {"path": "", "sha256": "", "entry": 0}
    )
    row = next((e for e in entries if e.kind == "check" and e.ref.endswith("#1")), None)
    checks = row.ref.rpartition("#")[0] if row is not None else "checks/<year>.csv"
    parts = [
        f"# Evidence bundle: {manifest.get('title') or document}",
        "",
        f"Document `{document}` (source: {manifest.get('source_url')}), "
        f"{manifest['scope']}, as recorded by policy-tracker {manifest['tracker_version']}. "
        "All times are UTC.",
        "",
        f"The bundle was made from the archive at its head `{head}`, recorded at "
        f"{manifest['exported_at']} (`exported_at` in `{MANIFEST}`: the bundle depends only on "
        "the archive's state, so two exports of one state are the same file, byte for byte).",
        "",
        "## What is inside",
        "",
        "| File | What it is |",
        "| --- | --- |",
        f"| `{GUIDE}` | this page |",
        f"| `{MANIFEST}` | what the bundle holds: each record's path, kind, SHA-256, size and "
        "entry in the chain; the notes on each version; the chain proof |",
        f"| `{SUMS}` | the SHA-256 of every other file |",
        f"| `{ARCHIVE_CHAIN}` | the archive's hash chain: one line each time a document's chain "
        "grew, holding its head; its last hash is the *archive head* |",
        f"| `{document}/chain.csv` | the document's hash chain: one line per record, in the order "
        "they were written |",
        f"| `{document}/checks/<year>.csv` | every check of the document: time, outcome, HTTP "
        "status, hashes, version; one file per year (an archive made before the yearly files "
        "also has a closed `checks.csv`) |",
        f"| `{document}/raw/` | each snapshot exactly as the server sent it (`.html`), and the "
        "exchange (`.json`: URLs, request and response headers, fetch time, SHA-256) |",
        f"| `{document}/versions/` | the text extracted from it, with its metadata; the version "
        "before each one is included, so each change can be derived again |",
        f"| `{document}/changes/` | what changed since the version before: `.html` to read or "
        "print, `.md`, `.json` |",
        f"| `{document}/rules/` | the extraction rules the text was made with |",
        "",
        "Versions included:",
        "",
        *_versions(manifest["versions"]),
        "",
        "## 1. No file was altered since the bundle was made",
        "",
        f"Unzip the bundle (`unzip FILE.zip -d bundle`), then, in the folder that holds `{SUMS}`:",
        "",
        f"- Linux: `sha256sum -c {SUMS}`",
        f"- macOS: `shasum -a 256 -c {SUMS}`",
        "- Windows (PowerShell):",
        "",
        _POWERSHELL,
        "",
        "Every file must be reported `OK`. The next steps show that the files are the records "
        "the tracker wrote, in that order, before the archive head.",
        "",
        "## 2. Each record is the one the chain committed to",
        "",
        f"Each line of `{document}/chain.csv` names one record (`ref`: a path in the document's "
        "folder, or `checks/<year>.csv#n` for the n-th row of that checks file) and the "
        "SHA-256 it had "
        f"when it was recorded (`sha256`). For example, `sha256sum {record['path']}` prints "
        f"`{record['sha256']}`, as entry {record['entry']} of the chain says. `{MANIFEST}` "
        "lists every record with its entry.",
    ]
    if row is not None:
        parts += [
            "",
            "A row of a checks file is hashed without its line end; row 1 is the line under the "
            "header (when no cell holds a line break):",
            "",
            f"    sed -n '2p' {document}/{checks} | tr -d '\\n' | sha256sum",
            "",
            f"prints `{row.sha256}  -`, as entry {row.seq} says.",
        ]
    parts += [
        "",
        "Each line also has a `hash`, computed from its own fields and the `hash` of the line "
        "before it (`prev`; for the first line, 64 zeros). With LF a line feed, no line feed "
        "at the end, the text in UTF-8:",
        "",
        f'    hash = SHA-256("{SCHEME}" LF seq LF recorded_at LF kind LF ref LF sha256 LF prev)',
        "",
        "so changing, removing, inserting or reordering any record changes every hash after "
        f"it. Worked example, entry {entry.seq} of `{document}/chain.csv`:",
        "",
        "    "
        + printf_line(
            SCHEME, str(entry.seq), entry.recorded_at, entry.kind, entry.ref, entry.sha256, GENESIS
        ),
        "",
        f"prints `{entry.hash}  -`: the `hash` of that line, and the `prev` of the next. Do the "
        f"same for each line, up to the last one (entry {last.seq}): its `hash` is the "
        f"document's head, `{last.hash}`. The chain proof in `{MANIFEST}` lists the entries "
        "from the earliest record of this bundle to that head.",
        "",
        "## 3. The archive's chain holds the document's head",
        "",
        f"`{ARCHIVE_CHAIN}` records the head of a document's chain each time it grows "
        "(`document`, `document_seq`, `document_head`), chained the same way:",
        "",
        f'    hash = SHA-256("{SCHEME}" LF "anchor" LF seq LF recorded_at LF document LF '
        "document_seq LF document_head LF prev)",
        "",
        f"Worked example, entry {anchor.seq} of `{ARCHIVE_CHAIN}`:",
        "",
        "    "
        + printf_line(
            SCHEME,
            "anchor",
            str(anchor.seq),
            anchor.recorded_at,
            anchor.document,
            str(anchor.document_seq),
            anchor.document_head,
            GENESIS,
        ),
        "",
        f"prints `{anchor.hash}  -`. Entry {held.seq} of `{ARCHIVE_CHAIN}` holds the document's "
        f"head (`document_seq` {last.seq}, `document_head` `{last.hash}`). The last `hash` of "
        f"`{ARCHIVE_CHAIN}` is the archive head, `{head}`.",
        "",
        "## 4. Or with policy-tracker",
        "",
        "    tracker verify --bundle FILE.zip",
        "    tracker verify --bundle FILE.zip --head <an archive head published elsewhere>",
        "",
        "does all of the above without any archive, lists every problem with the file at fault "
        "(exit status 1), and prints `head: <the archive head>` last.",
        "",
        "## What the bundle proves, and what it does not",
        "",
        "- It proves **integrity and order against the head**: each file is, byte for byte, "
        "the record the tracker wrote, and the records were written in the order of the chain, "
        f"before the archive head `{head}`. Editing, removing, inserting or reordering a record, "
        "or rewriting the document's chain, breaks a hash that the steps above recompute.",
        "- It proves **nothing about who wrote the first record**, nor that the tracker's clock "
        "was right, nor that the server sent these bytes: the snapshot is what the tracker "
        "received (the encrypted exchange itself is not kept).",
        "- Whoever holds the archive could rewrite its whole history and recompute every hash. "
        "**Compare the archive head with one published elsewhere**, before the events in "
        "dispute: in a Telegram alert, on a git host, in an earlier bundle. `tracker verify "
        "--bundle FILE.zip --head HEX` checks that this bundle's chain passes through a head "
        "noted earlier.",
        "- A version *in force* on a date is the latest one the tracker had recorded by the end "
        "of that day (UTC); when a text takes effect is for the text itself to say. The labels "
        "of a change record (legal basis, data categories) are an aid to reading, not a legal "
        "qualification.",
        "",
    ]
    return "\n".join(parts)


def _versions(versions: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = []
    for item in versions:
        notes = "; ".join(item.get("notes") or [])
        lines.append(
            f"- `{item['timestamp']}` (captured {item.get('captured_at')}, "
            f"{item.get('origin')}): `{item['version']}`" + (f" ({notes})" if notes else "")
        )
    return lines
