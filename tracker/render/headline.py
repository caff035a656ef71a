"""The story of a change in one sentence, from its labels and its top clause (pure).

No prose is generated beyond what the change record supports: the sentence is a fixed template
per combination of labels (docs/adr/0021-alerts-tell-the-story-first.md), filled with

- the platform, the first word of the document's title when it names the platform of the
  document id (``LinkedIn`` for ``linkedin/...``);
- the *lead* label: the first of the change's headline labels
  (:func:`tracker.render.headline_labels`) in :func:`tracker.render.label_order`, gained or
  lost;
- the *purpose* that goes with a lead legal basis or Art. 9: the purpose label carried by the
  most units (clauses, or table rows) that gain or lose the lead label;
- the *top unit*: among those units, the one carrying most of the lead, the purpose and a
  control label, then the one whose row names the purpose, then the first;
- "generative" when the purpose is AI training and a matched word says so;
- "on your data" after a basis or Art. 9 used to train AI, when the top unit names data
  categories;
- the opt-out (or withdrawal) clause when a control label is gained with it, and the link the
  changed text gives in the sentence where that control was matched.

The top unit is the alert's first reply: the reader sees the words the sentence stands on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.classify.taxonomy import Group, Label
from tracker.models import Change, ClauseChange, Polarity, Significance
from tracker.render import display_text, headline_labels, label_order
from tracker.render.rows import Unit, units

_GROUPS = {label.value: label.group for label in Label}
_CONTROLS = ("opt_out", "withdraw_consent", "opt_in")
#: Controls that add "; you can opt out" to a sentence led by another label.
_SUFFIX_CONTROLS = ("opt_out", "withdraw_consent")
_GENERATIVE = re.compile(r"g[ée]n[ée]rati(?:ve|f)", re.IGNORECASE)
_LINK = re.compile(r"\[((?:\\.|[^\[\]\\])*)\]\((https?://[^\s()]+)\)")
_SETTINGS = re.compile(r"setting|param[èe]tre|r[ée]glage", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+|<br\s*/?>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Story:
    """What the headline sentence says, each part from the change record.

    Attributes:
        lead: the label the sentence is about.
        gained: whether the change gains it (False: loses it).
        purpose: the purpose label that goes with a lead basis or Art. 9, if any.
        generative: the AI-training words matched say "generative".
        data: the top unit names data categories.
        control: the control label the sentence ends with (``opt_out``...), if any.
        link: the URL the changed text gives where that control is stated, if any.
        settings: that link's text names settings ("settings", "paramètres").
        unit: the top unit (the first reply).
        named: the labels the headline names (the summary's hashtags).
    """

    lead: str
    gained: bool
    purpose: str | None
    generative: bool
    data: bool
    control: str | None
    link: str | None
    settings: bool
    unit: Unit
    named: tuple[str, ...]


def _group(label: str) -> Group | None:
    return _GROUPS.get(label)


def _is_purpose(label: str) -> bool:
    return label == Label.AI_TRAINING or _group(label) is Group.PURPOSE_FLAG


def _row_evidence(unit: Unit, label: str) -> bool:
    """Whether the unit's row (or heading) names ``label``: the row is about it."""
    return any(
        e.label == label and e.source.value in ("row", "heading")
        for clause in unit.clauses
        for e in clause.evidence
    )


def story(change: Change) -> Story | None:
    """The story of ``change``, or None when no headline label stands out (rank ``other``)."""
    gained, lost = headline_labels(change)
    if not gained and not lost:
        return None
    lead = sorted([*gained, *lost], key=label_order)[0]
    is_gained = lead in gained
    every = [u for u in units(change) if u.significance is Significance.SUBSTANTIVE]
    every = every or [u for u in units(change) if u.significance is not Significance.COSMETIC]
    carriers = [u for u in every if lead in u.touched()] or [u for u in every if lead in u.labels()]
    if not carriers:
        return None
    purpose = None
    if not _is_purpose(lead) and _group(lead) in (Group.LEGAL_BASIS, Group.ART9):
        support: dict[str, int] = {}
        for unit in carriers:
            for label in unit.labels():
                if _is_purpose(label):
                    support[label] = support.get(label, 0) + 1
        if support:
            purpose = min(support, key=lambda label: (-support[label], label_order(label)))
    controls = [c for c in _CONTROLS if c in gained and c != lead]
    wanted = {lead, *(() if purpose is None else (purpose,)), *controls}
    position = {id(u): k for k, u in enumerate(carriers)}
    top = min(
        carriers,
        key=lambda u: (
            -len(wanted & u.labels()),
            not (purpose and _row_evidence(u, purpose)),
            position[id(u)],
        ),
    )
    if purpose is not None and purpose not in top.labels():
        purpose = None
    if not controls and _group(lead) is not Group.CONTROL:
        controls = [c for c in _CONTROLS if c in {x for cl in top.clauses for x in cl.gained}]
    control = lead if _group(lead) is Group.CONTROL else (controls[0] if controls else None)
    if control is not None and control != lead and control not in _SUFFIX_CONTROLS:
        control = None
    link = None
    if control in _SUFFIX_CONTROLS and (is_gained or control != lead):
        link = control_link(change, control, first=top)
    settings = link is not None and bool(_SETTINGS.search(link[1]))
    generative = purpose == Label.AI_TRAINING or lead == Label.AI_TRAINING
    generative = generative and any(
        e.label == Label.AI_TRAINING and _GENERATIVE.search(e.matched)
        for clause in top.clauses
        for e in clause.evidence
    )
    data = any(_group(label) is Group.DATA_CATEGORY for label in top.labels())
    named = [lead, *(() if purpose is None else (purpose,))]
    named += [c for c in (control,) if c is not None]
    named += [label for label in (*gained, *lost) if label not in named]
    if _group(lead) is Group.DATA_CATEGORY:
        named = [label for label in named if _group(label) is Group.DATA_CATEGORY][:3]
    return Story(
        lead=lead,
        gained=is_gained,
        purpose=purpose,
        generative=generative,
        data=data,
        control=control,
        link=None if link is None else link[0],
        settings=settings,
        unit=top,
        named=tuple(sorted(dict.fromkeys(named), key=label_order)),
    )


def control_link(
    change: Change, control: str, *, first: Unit | None = None
) -> tuple[str, str] | None:
    """The link (URL, text) a changed clause gives in the sentence stating ``control`` (an
    opt-out), if any.

    The top unit's clauses are read first, then every changed clause in document order.
    """
    clauses: list[ClauseChange] = [*(first.clauses if first else ()), *change.clauses]
    for clause in clauses:
        if clause.new is None:
            continue
        matched = [
            e.matched.casefold()
            for e in clause.evidence
            if e.label == control and e.side == "new" and e.polarity is Polarity.ASSERTED
        ]
        if not matched:
            continue
        for sentence in _SENTENCE.split(clause.new):
            shown = display_text(sentence).casefold()
            if any(m in shown for m in matched):
                found = _LINK.search(sentence)
                if found is not None:
                    return found.group(2), display_text(found.group(1))
    return None


# --------------------------------------------------------------------------- the sentence
_BASES = {
    "en": {
        "consent": "consent",
        "contract": "the contract",
        "legal_obligation": "a legal obligation",
        "vital_interests": "vital interests",
        "public_task": "a public task",
        "legitimate_interests": "legitimate interests",
    },
    "fr": {
        "consent": "le consentement",
        "contract": "le contrat",
        "legal_obligation": "une obligation légale",
        "vital_interests": "les intérêts vitaux",
        "public_task": "une mission d'intérêt public",
        "legitimate_interests": "ses intérêts légitimes",
    },
}

_PURPOSES = {
    "en": {
        "ai_training": "train {generative}AI",
        "automated_decisions_profiling": "make automated decisions and build profiles",
        "third_party_sharing": "share data with third parties",
        "international_transfer": "transfer data abroad",
        "retention": "keep data",
        "minors": "process data of minors",
    },
    "fr": {
        "ai_training": "entraîner l'IA{generative}",
        "automated_decisions_profiling": (
            "prendre des décisions automatisées et établir des profils"
        ),
        "third_party_sharing": "partager des données avec des tiers",
        "international_transfer": "transférer des données à l'étranger",
        "retention": "conserver des données",
        "minors": "traiter des données de mineurs",
    },
}

#: What a purpose is called when it leads the sentence ("LinkedIn now mentions …").
_NOUNS = {
    "en": {
        "automated_decisions_profiling": "automated decisions and profiling",
        "third_party_sharing": "sharing data with third parties",
        "international_transfer": "transfers of data abroad",
        "retention": "how long data is kept",
        "minors": "minors",
    },
    "fr": {
        "automated_decisions_profiling": "les décisions automatisées et le profilage",
        "third_party_sharing": "le partage de données avec des tiers",
        "international_transfer": "les transferts de données à l'étranger",
        "retention": "la durée de conservation des données",
        "minors": "les mineurs",
    },
}

_TEMPLATES = {
    "en": {
        ("basis", True): "{who} now relies on {basis}",
        ("basis", False): "{who} no longer relies on {basis}",
        ("art9", True): "{who} now says it may process special-category data (Art. 9)",
        ("art9", False): "{who} no longer mentions special-category data (Art. 9)",
        ("ai", True): "{who} now uses your data to {purpose}",
        ("ai", False): "{who} no longer mentions using your data to {purpose}",
        ("purpose", True): "{who} now mentions {noun}",
        ("purpose", False): "{who} no longer mentions {noun}",
        ("opt_out", True): "You can now opt out",
        ("opt_out", False): "{who} no longer mentions an opt-out",
        ("opt_in", True): "{who} now asks for your agreement first (opt-in)",
        ("opt_in", False): "{who} no longer mentions asking for your agreement first (opt-in)",
        ("withdraw_consent", True): "You can now withdraw your consent",
        ("withdraw_consent", False): "{who} no longer mentions withdrawing consent",
        ("data", True): "{who} now names {data} among the data it uses",
        ("data", False): "{who} no longer names {data} among the data it uses",
    },
    "fr": {
        ("basis", True): "{who} s'appuie désormais sur {basis}",
        ("basis", False): "{who} ne s'appuie plus sur {basis}",
        ("art9", True): "{who} indique désormais pouvoir traiter des données sensibles (art. 9)",
        ("art9", False): "{who} ne mentionne plus les données sensibles (art. 9)",
        ("ai", True): "{who} utilise désormais vos données pour {purpose}",
        ("ai", False): "{who} ne mentionne plus l'usage de vos données pour {purpose}",
        ("purpose", True): "{who} mentionne désormais {noun}",
        ("purpose", False): "{who} ne mentionne plus {noun}",
        ("opt_out", True): "Vous pouvez désormais vous y opposer (opt-out)",
        ("opt_out", False): "{who} ne mentionne plus de droit d'opposition (opt-out)",
        ("opt_in", True): "{who} demande désormais votre accord préalable (opt-in)",
        ("opt_in", False): "{who} ne mentionne plus d'accord préalable (opt-in)",
        ("withdraw_consent", True): "Vous pouvez désormais retirer votre consentement",
        ("withdraw_consent", False): "{who} ne mentionne plus le retrait du consentement",
        ("data", True): "{who} cite désormais {data} parmi les données utilisées",
        ("data", False): "{who} ne cite plus {data} parmi les données utilisées",
    },
}

_PARTS = {
    "en": {
        "to": " to {purpose}",
        "on_data": " on your data",
        "generative": "generative ",
        "suffix_opt_out": "; you can opt out",
        "suffix_withdraw_consent": "; you can withdraw your consent",
        "in_settings": " in your {settings}",
        "settings": "settings",
        "verb_opt_out": "opt out",
        "verb_withdraw_consent": "withdraw your consent",
        "and": " and ",
    },
    "fr": {
        "to": " pour {purpose}",
        "on_data": " avec vos données",
        "generative": " générative",
        "suffix_opt_out": "\u00a0; vous pouvez vous y opposer",
        "suffix_withdraw_consent": "\u00a0; vous pouvez retirer votre consentement",
        "in_settings": " dans vos {settings}",
        "settings": "paramètres",
        "verb_opt_out": "vous y opposer",
        "verb_withdraw_consent": "retirer votre consentement",
        "and": " et ",
    },
}


@dataclass(frozen=True, slots=True)
class Sentence:
    """The headline as plain text, and where its link goes: on the last occurrence of the
    words ``linked`` ("settings", or the control's verb when the link is not to settings)."""

    text: str
    link: str | None = None
    linked: str = ""


def platform(document: str, title: str) -> str:
    """``LinkedIn`` for ``linkedin/...`` titled "LinkedIn Privacy Policy" (the title's word)."""
    name = document.split("/", 1)[0]
    first = title.split()[0] if title.split() else ""
    return first if first.casefold() == name.casefold() else name.capitalize()


def _template(story: Story) -> tuple[str, bool]:
    group = _group(story.lead)
    if group is Group.LEGAL_BASIS:
        return ("basis", story.gained)
    if group is Group.ART9:
        return ("art9", story.gained)
    if group is Group.CONTROL:
        return (story.lead, story.gained)
    if group is Group.DATA_CATEGORY:
        return ("data", story.gained)
    if story.lead == Label.AI_TRAINING:
        return ("ai", story.gained)
    return ("purpose", story.gained)


def sentence(story: Story, language: str, *, who: str) -> Sentence:
    """The headline in ``language``: the template of the story's labels, filled from it."""
    from tracker.render.words import label_name

    words = _PARTS[language]
    key = _template(story)
    generative = words["generative"] if story.generative else ""
    purpose_label = story.lead if key[0] in ("ai", "purpose") else story.purpose
    purpose = (
        _PURPOSES[language].get(purpose_label, label_name(language, purpose_label))
        if purpose_label
        else ""
    ).format(generative=generative)
    data_names = [label_name(language, label) for label in story.named]
    data = (
        words["and"].join([", ".join(data_names[:-1]), data_names[-1]])
        if len(data_names) > 1
        else "".join(data_names)
    )
    noun = _NOUNS[language].get(story.lead, label_name(language, story.lead))
    text = _TEMPLATES[language][key].format(
        who=who, basis=_BASES[language].get(story.lead, ""), purpose=purpose, data=data, noun=noun
    )
    if key[0] in ("basis", "art9") and story.purpose:
        text += words["to"].format(purpose=purpose)
    if key[0] in ("basis", "art9") and story.purpose == Label.AI_TRAINING and story.data:
        text += words["on_data"]
    if story.control and story.control != story.lead and story.gained:
        text += words[f"suffix_{story.control}"]
    linked = ""
    if story.link and story.control and (story.gained or story.control != story.lead):
        if story.settings:
            linked = words["settings"]
            text += words["in_settings"].format(settings=linked)
        else:
            linked = words[f"verb_{story.control}"]
    return Sentence(text=text, link=story.link if linked else None, linked=linked)
