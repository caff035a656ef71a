"""The messages of the archive's git commits (pure): a grammar a reader can follow.

Each subject says what the commit records; trailers give the facts a script needs::

    Record new version of linkedin/privacy-policy

    linkedin/privacy-policy: new version 2026-12-07T18-05-00Z

    Document: linkedin/privacy-policy
    Version: 2026-12-07T18-05-00Z
    Archive-Head: 3f1c…(64 hex)
    Tracker-Version: 0.1.0

Subjects (documented for lawyers in ``snapshots/README.md``):

- ``Record first version of <document>``, ``Record new version of <document>``,
  ``Apply technical upgrade to <document>``: one commit per document with a recorded version
  in a pass (its folder, its platform's index and the archive chain up to its entry);
- ``Record checks: <n> documents``: the rest of a pass (unchanged, inaccessible, flip-back and
  suspect checks, indexes), one commit;
- ``Record deliveries: <n> alerts``: the delivery ledger alone (``deliveries.csv``);
- ``Import history of <document>``, ``Relabel changes: <n> documents``: the other writing
  commands;
- ``Start the archive's history``: an existing folder put under git.

``Archive-Head`` is the last hash of the archive's ``chain.csv`` as committed (see
:mod:`tracker.archive.chain`), so a head quoted from an alert can be found in the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker import __version__
from tracker.models import Outcome

#: Outcomes whose document gets a commit of its own.
RECORDING = (Outcome.NEW_VERSION, Outcome.FIRST_RECORD, Outcome.TECHNICAL_UPGRADE)

_SUBJECTS = {
    Outcome.NEW_VERSION: "Record new version of {document}",
    Outcome.FIRST_RECORD: "Record first version of {document}",
    Outcome.TECHNICAL_UPGRADE: "Apply technical upgrade to {document}",
}


@dataclass(frozen=True, slots=True)
class Event:
    """One check's outcome, as a commit message mentions it."""

    document: str
    outcome: Outcome
    version: str = ""
    cause: str = ""

    def line(self) -> str:
        """``<document>: <outcome> [<version>] [(<cause>)]``."""
        text = f"{self.document}: {self.outcome.words}"
        text += f" {self.version}" if self.version else ""
        return text + (f" ({self.cause})" if self.cause else "")


def _message(subject: str, body: Sequence[str], trailers: Sequence[tuple[str, str]]) -> str:
    parts = [subject, ""]
    if body:
        parts += [*body, ""]
    parts += [f"{key}: {value}" for key, value in trailers if value]
    return "\n".join(parts) + "\n"


def _common(head: str) -> list[tuple[str, str]]:
    return [("Archive-Head", head or "none"), ("Tracker-Version", __version__)]


def document_message(document: str, events: Sequence[Event], head: str) -> str:
    """The commit of a document's recorded version(s) in one pass.

    The subject names the most telling outcome (a new version before a first record before a
    technical upgrade); the body lists every event of the document in the pass.
    """
    recorded = [e for e in events if e.outcome in RECORDING]
    main = min(recorded or events, key=lambda e: RECORDING.index(e.outcome))
    subject = _SUBJECTS[main.outcome].format(document=document)
    trailers = [("Document", document), ("Version", main.version), *_common(head)]
    return _message(subject, [e.line() for e in events], trailers)


def checks_message(events: Sequence[Event], head: str, delivered: int = 0) -> str:
    """The commit of the rest of a pass: checks that recorded no version, indexes, deliveries."""
    documents = sorted({e.document for e in events})
    if documents:
        subject = f"Record checks: {len(documents)} document{'s' if len(documents) > 1 else ''}"
    elif delivered:
        return deliveries_message(delivered, head)
    else:
        subject = "Update the archive's indexes"
    body = [e.line() for e in events]
    if delivered:
        body.append(f"deliveries.csv: {delivered} alerts delivered")
    return _message(subject, body, _common(head))


def deliveries_message(count: int, head: str) -> str:
    """The commit of delivery marks alone."""
    return _message(
        f"Record deliveries: {count} alert{'s' if count != 1 else ''}",
        ["deliveries.csv: alerts whose every message was delivered"],
        _common(head),
    )


def command_message(subject: str, body: Sequence[str], head: str, document: str = "") -> str:
    """The commit of another writing command (import, relabel, start)."""
    return _message(subject, body, [("Document", document), *_common(head)])


__all__ = [
    "RECORDING",
    "Event",
    "checks_message",
    "command_message",
    "deliveries_message",
    "document_message",
]
