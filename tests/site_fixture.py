"""A small archive for the site tests, imported as ``tracker import`` does (written by us).

Three documents: an EU notice in Markdown (three versions: consent only, then legitimate
interests added, then a version whose text holds ``<script>``, ``</a>`` and ``{{ }}``), and
a privacy policy imported from HTML pages (our fixture pages), with a sign-in wall between two
captures (an inaccessible spell) and a raw snapshot carrying a script, and a French user
agreement never captured (a sign-in wall each time).
"""

from __future__ import annotations

from pathlib import Path

from tests.goldens import load_rule_set
from tracker.archive.store import Archive
from tracker.backfill import backfill
from tracker.classify.taxonomy import load_taxonomy
from tracker.models import Document

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "tests" / "fixtures" / "pages"
TAXONOMY = load_taxonomy(ROOT / "config" / "taxonomy.toml")

EU = "linkedin/eu-regional-privacy-notice"
POLICY = "linkedin/privacy-policy"
BLOCKED = "linkedin/user-agreement-fr"
HOSTILE = '<script>alert("owned")</script> and </a> and {{ config.secret }}'

_HEAD = "European Regional Privacy Notice\n================================\n\n"
_CONSENT = (
    "## Legal bases\n\n"
    "We ask for your consent before we use your data for personalised advertising.\n\n"
    "## Your rights\n\nYou can object to processing and ask for a copy of your data.\n"
)
_INTEREST = (
    "## Legal bases\n\n"
    "We ask for your consent before we use your data for personalised advertising.\n\n"
    "We rely on our legitimate interests to train content-generating AI models with your "
    "posts and profile data; you can opt out in your settings.\n\n"
    "## Your rights\n\nYou can object to processing and ask for a copy of your data.\n"
)
EU_TEXTS = {
    "2025-06-10T00-32-38Z": _HEAD + _CONSENT,
    "2025-09-18T12-34-39Z": _HEAD + _INTEREST,
    "2025-11-04T00-35-00Z": _HEAD + _INTEREST + f"\n## Notes\n\nSee {HOSTILE} for details.\n",
}
#: A fourth version, for the incremental rebuild.
EU_NEXT = (
    "2026-08-22T00-48-36Z",
    _HEAD + _INTEREST.replace("opt out", "opt out at any time") + f"\n## Notes\n\n{HOSTILE}\n",
)
RAW_SCRIPT = b"<script>document.title='owned by the snapshot'</script>"


def eu_document() -> Document:
    return Document(
        id=EU,
        title="LinkedIn European Regional Privacy Notice",
        url="https://www.linkedin.com/legal/privacy/eu",
        language="en",
        rules=load_rule_set("linkedin-legal"),
    )


def policy_document() -> Document:
    return Document(
        id=POLICY,
        title="LinkedIn Privacy Policy",
        url="https://www.linkedin.com/legal/privacy-policy",
        language="en",
        rules=load_rule_set("linkedin-legal"),
    )


def blocked_document() -> Document:
    return Document(
        id=BLOCKED,
        title="LinkedIn Conditions générales d'utilisation",
        url="https://www.linkedin.com/legal/user-agreement?_l=fr_FR",
        language="fr",
        rules=load_rule_set("linkedin-legal"),
    )


def make_archive(tmp: Path) -> Archive:
    """The archive at ``tmp/archive`` (source files under ``tmp/import``)."""
    eu = tmp / "import" / "eu"
    eu.mkdir(parents=True)
    for stamp, text in EU_TEXTS.items():
        (eu / f"{stamp}.md").write_text(text, encoding="utf-8")
    policy = tmp / "import" / "policy"
    policy.mkdir(parents=True)
    v1 = (PAGES / "linkedin" / "privacy-policy" / "v1.html").read_bytes()
    v2 = (PAGES / "linkedin" / "privacy-policy" / "v2.html").read_bytes()
    (policy / "2025-01-01T06-00-00Z.html").write_bytes(
        v1.replace(b"</head>", RAW_SCRIPT + b"</head>")
    )
    (policy / "2025-02-01T06-00-00Z.html").write_bytes(
        (PAGES / "blocked" / "authwall.html").read_bytes()
    )
    (policy / "2025-02-02T06-00-00Z.html").write_bytes(
        (PAGES / "blocked" / "authwall.html").read_bytes()
    )
    (policy / "2025-03-01T06-00-00Z.html").write_bytes(v2)
    blocked = tmp / "import" / "blocked"
    blocked.mkdir(parents=True)
    for stamp in ("2025-04-01T06-00-00Z", "2025-04-02T06-00-00Z"):
        (blocked / f"{stamp}.html").write_bytes((PAGES / "blocked" / "authwall.html").read_bytes())
    archive = Archive(tmp / "archive")
    backfill(eu_document(), archive, eu, TAXONOMY)
    backfill(policy_document(), archive, policy, TAXONOMY)
    backfill(blocked_document(), archive, blocked, TAXONOMY)
    return archive


def add_eu_version(tmp: Path, archive: Archive) -> str:
    """Import the fourth EU version; returns its stamp."""
    stamp, text = EU_NEXT
    (tmp / "import" / "eu" / f"{stamp}.md").write_text(text, encoding="utf-8")
    backfill(eu_document(), archive, tmp / "import" / "eu", TAXONOMY)
    return stamp
