"""Import the real corpus (``../shared/corpus``, read in place) into an archive, as
``tracker import`` does, for the site benchmark and the site screenshots.

Every LinkedIn series becomes one document: the largest English Markdown series of a document
keeps its plain id (``linkedin/privacy-policy``), every other series gets the series in its id
(``linkedin/privacy-policy--fr-fr-france-elections``), since series of one document differ in
language or source and must not be compared with each other.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from tracker import config
from tracker.archive.store import Archive
from tracker.backfill import backfill
from tracker.classify.taxonomy import load_taxonomy
from tracker.models import Document, ExtractRules

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "config"
CORPUS = Path(os.environ.get("TRACKER_CORPUS") or ROOT.parent / "shared" / "corpus")
_HOST = "https://www.linkedin.com"
_URLS = {
    "cookie-policy": "/legal/cookie-policy",
    "eu-regional-privacy-notice": "/legal/privacy/eu",
    "help-center-answer-137370": "/help/linkedin/answer/137370",
    "help-center-answer-a1342756": "/help/linkedin/answer/a1342756",
    "privacy-policy": "/legal/privacy-policy",
    "professional-community-policies": "/legal/professional-community-policies",
    "service-terms": "/legal/l/service-terms",
    "user-agreement": "/legal/user-agreement",
}


def rules_for(name: str) -> ExtractRules:
    """The project's rule set for a corpus document (help-centre answers or legal pages)."""
    rule_set = "linkedin-help" if name.startswith("help-center-answer") else "linkedin-legal"
    path = CONFIG_DIR / "rules" / f"{rule_set}.toml"
    spec = config.read_rule_set(CONFIG_DIR, rule_set, referenced_from=path)
    return config.merge_rules(None, spec.extract, path)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _title(name: str) -> str:
    """The document's title in ``config/documents/linkedin/<name>.toml``, if it is tracked."""
    path = CONFIG_DIR / "documents" / "linkedin" / f"{name}.toml"
    if path.is_file():
        return str(tomllib.loads(path.read_text(encoding="utf-8"))["title"])
    return "LinkedIn " + name.replace("-", " ").capitalize()


def series() -> list[tuple[str, str, Path]]:
    """(document id, title, folder) of every LinkedIn series of the corpus."""
    found: list[tuple[str, str, Path]] = []
    for document in sorted((CORPUS / "linkedin").iterdir()):
        folders = sorted(p for kind in ("markdown", "html") for p in (document / kind).glob("*"))
        folders = [p for p in folders if p.is_dir() and any(p.iterdir())]
        english = [p for p in folders if p.parent.name == "markdown" and p.name.startswith("en")]
        main = max(english, key=lambda p: len(list(p.iterdir())), default=None)
        title = _title(document.name)
        for folder in folders:
            kind = folder.parent.name
            if folder == main:
                found.append((f"linkedin/{document.name}", title, folder))
            else:
                found.append(
                    (
                        f"linkedin/{document.name}--{_slug(kind[:2] + '-' + folder.name)}",
                        f"{title} ({folder.name}, {kind})",
                        folder,
                    )
                )
    return found


def import_corpus(root: Path) -> int:
    """Import every series into the archive at ``root``; returns the number of files read."""
    taxonomy = load_taxonomy(CONFIG_DIR / "taxonomy.toml")
    archive = Archive(root)
    files = 0
    for doc_id, title, folder in series():
        name = folder.parents[1].name
        document = Document(
            id=doc_id,
            title=title,
            url=_HOST + _URLS.get(name, f"/legal/{name}"),
            language="fr" if folder.name.startswith("fr") else "en",
            rules=rules_for(name),
        )
        files += len(backfill(document, archive, folder, taxonomy))
    return files
