"""The ``/subscribe`` inline keyboards, and what pressing a button does (pure).

Three screens: documents (platforms and single documents to tick), topics (label groups and
labels to tick) and significance, then "Subscribe". Each button carries short callback data
(Telegram allows 64 bytes): ``p:<platform>``, ``d:<n>`` (the n-th document of the catalogue),
``l:<topic>``, ``s:<significance>``, ``go:<screen>`` and ``ok``. Every press edits the same
message: :func:`press` gives the new subscription and the screen to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from tracker.bot.subscription import Subscription
from tracker.bot.texts import GROUP_NAMES, say
from tracker.models import Significance
from tracker.render.telegram import esc
from tracker.render.words import label_name, significance_word

#: The topics offered, groups first (see :data:`tracker.bot.texts.GROUP_NAMES`).
TOPICS = (
    "legal_basis",
    "ai_training",
    "art9",
    "control",
    "third_party_sharing",
    "international_transfer",
    "automated_decisions_profiling",
)

SCREENS = ("docs", "labels", "sig")

_TICK, _EMPTY = "✅ ", "▫️ "


@dataclass(frozen=True, slots=True)
class Button:
    """An inline keyboard button: its text and its callback data."""

    text: str
    data: str


@dataclass(frozen=True, slots=True)
class Screen:
    """A message of the subscription flow: HTML text and keyboard rows (empty when finished)."""

    text: str
    rows: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Catalog:
    """What can be followed: the configured documents (id → title)."""

    documents: Mapping[str, str]

    @property
    def ids(self) -> list[str]:
        """Document ids in a stable order (callback data refers to their positions)."""
        return sorted(self.documents)

    @property
    def platforms(self) -> list[str]:
        """The platforms (the first part of document ids)."""
        return sorted({doc.split("/", 1)[0] for doc in self.documents if "/" in doc})


def topic_name(language: str, topic: str) -> str:
    """A topic's name for readers."""
    names = GROUP_NAMES.get(topic)
    if names is not None:
        return names[0 if language == "en" else 1]
    return label_name(language, topic)


def describe(subscription: Subscription, catalog: Catalog) -> str:
    """The subscription in a few lines of HTML (``/list``, and after subscribing)."""
    lang = subscription.language
    documents = ", ".join(
        esc(_document_name(choice, catalog, lang)) for choice in subscription.documents
    ) or say(lang, "all_documents")
    labels = ", ".join(esc(topic_name(lang, t)) for t in subscription.labels) or say(
        lang, "all_topics"
    )
    return say(
        lang,
        "summary",
        documents=documents,
        labels=labels,
        significance=esc(significance_word(lang, subscription.min_significance)),
        paused=say(lang, "paused_mark") if subscription.paused else "",
    )


def _document_name(choice: str, catalog: Catalog, language: str) -> str:
    if choice.endswith("/*"):
        return say(language, "platform", name=choice[:-2])
    return catalog.documents.get(choice, choice)


def screen(subscription: Subscription, name: str, catalog: Catalog) -> Screen:
    """The screen ``name`` (``docs``, ``labels``, ``sig``) for the subscription as it stands."""
    lang = subscription.language
    rows: list[tuple[Button, ...]]
    if name == "labels":
        rows = [
            (Button(_mark(t in subscription.labels) + topic_name(lang, t), f"l:{t}"),)
            for t in TOPICS
        ]
        rows.append((Button(say(lang, "back"), "go:docs"), Button(say(lang, "next"), "go:sig")))
        return Screen(say(lang, "pick_labels"), tuple(rows))
    if name == "sig":
        level = subscription.min_significance
        rows = [
            (
                Button(
                    _mark(level is Significance.SUBSTANTIVE) + say(lang, "substantive_only"),
                    "s:substantive",
                ),
            ),
            (Button(_mark(level is Significance.MINOR) + say(lang, "minor_too"), "s:minor"),),
            (Button(say(lang, "back"), "go:labels"), Button(say(lang, "done"), "ok")),
        ]
        return Screen(say(lang, "pick_significance"), tuple(rows))
    rows = [
        (
            Button(
                _mark(f"{p}/*" in subscription.documents) + say(lang, "platform", name=p), "p:" + p
            ),
        )
        for p in catalog.platforms
    ]
    for position, doc in enumerate(catalog.ids):
        title = catalog.documents[doc] or doc
        rows.append((Button(_mark(doc in subscription.documents) + title[:60], f"d:{position}"),))
    rows.append((Button(say(lang, "next"), "go:labels"),))
    return Screen(say(lang, "pick_documents"), tuple(rows))


def _mark(ticked: bool) -> str:
    return _TICK if ticked else _EMPTY


@dataclass(frozen=True, slots=True)
class Press:
    """What a button press did: the new subscription, the screen to show, whether it is done."""

    subscription: Subscription
    screen: Screen
    finished: bool = False


def press(subscription: Subscription, data: str, catalog: Catalog) -> Press | None:
    """The effect of the button ``data``; None for data this flow does not know (a stale one)."""
    kind, _, value = data.partition(":")
    ids = catalog.ids
    if kind == "p" and value in catalog.platforms:
        changed = subscription.toggled("documents", f"{value}/*")
        return Press(changed, screen(changed, "docs", catalog))
    if kind == "d" and value.isdigit() and int(value) < len(ids):
        changed = subscription.toggled("documents", ids[int(value)])
        return Press(changed, screen(changed, "docs", catalog))
    if kind == "l" and value in TOPICS:
        changed = subscription.toggled("labels", value)
        return Press(changed, screen(changed, "labels", catalog))
    if kind == "s" and value in (Significance.SUBSTANTIVE.value, Significance.MINOR.value):
        changed = replace(subscription, min_significance=Significance(value))
        return Press(changed, screen(changed, "sig", catalog))
    if kind == "go" and value in SCREENS:
        return Press(subscription, screen(subscription, value, catalog))
    if kind == "ok":
        changed = replace(subscription, active=True, paused=False)
        text = say(changed.language, "subscribed", summary=describe(changed, catalog))
        return Press(changed, Screen(text), finished=True)
    return None
