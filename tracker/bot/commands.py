"""A message's text as a bot command, and the document a person names (pure).

``/diff@policy_tracker_bot linkedin/privacy-policy 2025-01-01 2025-12-01`` is the command
``diff`` with three arguments; the ``@bot`` suffix (Telegram adds it in groups) must name this
bot, or the command is for another bot and ignored. Documents may be named by id
(``linkedin/privacy-policy``), by the part after the platform (``privacy-policy``) or by a
unique prefix of either; :func:`find_document` says which, or why none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: The commands the bot knows, in the order ``setMyCommands`` shows them.
COMMANDS = (
    "start",
    "subscribe",
    "list",
    "pause",
    "resume",
    "unsubscribe",
    "latest",
    "diff",
    "show",
    "search",
    "language",
)

#: Commands that change a chat's subscription: an administrator's in a group.
SUBSCRIPTION_COMMANDS = frozenset({"subscribe", "pause", "resume", "unsubscribe", "language"})


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed command: its name (lower case), its words, and the text after the name."""

    name: str
    args: tuple[str, ...] = ()
    rest: str = ""


def parse(text: str, bot_username: str = "") -> Command | None:
    """The command in ``text``, or None when it is not a command (or is another bot's)."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None
    head, _, rest = stripped.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = (more + " " + rest).strip()
    name, _, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    if not name:
        return None
    rest = " ".join(rest.split())
    return Command(name.lower(), tuple(rest.split()), rest)


@dataclass(frozen=True, slots=True)
class Found:
    """The outcome of :func:`find_document`: the id, or the ids it could have meant."""

    document: str | None
    candidates: tuple[str, ...] = ()


def find_document(asked: str, documents: Mapping[str, str]) -> Found:
    """The document ``asked`` names among ``documents`` (id → title).

    An exact id wins; then an exact name after the platform; then a unique prefix of an id
    or of such a name (case-insensitive). ``Found(None, ())``: nothing matches;
    ``Found(None, candidates)``: several do.
    """
    wanted = asked.strip().lower().strip("/")
    ids = sorted(documents)
    exact = [d for d in ids if d.lower() == wanted]
    if exact:
        return Found(exact[0])
    short = [d for d in ids if d.lower().split("/", 1)[-1] == wanted]
    if len(short) == 1:
        return Found(short[0])
    prefixed = [
        d
        for d in ids
        if wanted
        and (d.lower().startswith(wanted) or d.lower().split("/", 1)[-1].startswith(wanted))
    ]
    if len(prefixed) == 1:
        return Found(prefixed[0])
    return Found(None, tuple(short or prefixed))
