"""The bot's own words in English and French (pure data and lookups).

Page text is never translated: a clause is quoted in the language of its document. Only what
the tracker says around it (headings, counts, label names, links) follows a channel's
``language``.
"""

from __future__ import annotations

from datetime import date, datetime

from tracker.models import ChangeKind, Rank, Significance

LANGUAGES = ("en", "fr")

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "substantive": "Substantive change",
        "minor": "Minor change",
        "cosmetic": "Cosmetic change",
        "detected": "detected {when}",
        "effective": "effective {when}",
        "takes_effect": "Announced: takes effect {when}",
        "reminder": "In force from today, {when}",
        "reminder_of": "announced in the change detected {when}",
        "twin_same": "also in the {version} version ({when})",
        "twin_not_yet": "not yet in the {version} version",
        "twin_from": "clauses of the {version} version, changed the same way ({when})",
        "lang_en": "English",
        "lang_fr": "French",
        "full_diff": "Full diff",
        "archive_head": "archive head",
        "current_text": "Current text",
        "diff_attached": "full diff attached below",
        "more_clauses": "+{n} more changed clauses on the change page",
        "more_clauses_one": "+1 more changed clause on the change page",
        "clause_rest": "the rest of this clause on the change page",
        "clause_rest_and_more": "the rest of this clause and +{n} more changed clauses on the "
        "change page",
        "in_section": "in",
        "moved_from": "moved from",
        "continued": "continued",
        "table_row": "row",
        "document_caption": "Full change page: {title}, {old} → {new}",
        "digest_title": "Minor changes since the last digest",
        "digest_item": "{title}: {counts}",
        "inaccessible": "⚠️ {document} inaccessible for {n} checks in a row",
        "inaccessible_cause": "cause: {cause}",
        "recovered": "✅ {document} accessible again after {n} inaccessible checks",
        "delivery_failed": "⚠️ Telegram delivery to {channel} ({chat}) failed",
        "delivery_unconfirmed": "⚠️ Telegram delivery to {channel} ({chat}) not confirmed",
        "delivery_problems": "⚠️ Telegram delivery: {n} problems",
        "delivery_unconfirmed_what": "Telegram may have posted it, once or twice; it is not sent "
        "again. Check the channel: if it is missing, tracker outbox --retry {id}; "
        "if it is there, tracker outbox --cancel {id}",
        "chat_moved": "⚠️ Telegram moved {channel} from chat {old} to {new} (a supergroup): its "
        'alerts now go to {new}; set chat_id = "{new}" in config/channels/{channel}.toml',
        "outage": "⚠️ {host} inaccessible ({cause}) since {since}: {n} documents",
        "outage_reminder": "⏰ {host} still inaccessible ({cause}) since {since}: {n} documents",
        "outage_over": "✅ {host} accessible again after {duration} ({cause}): {n} documents",
        "no_clause": "no clause changed",
        "legal_basis_changed": "Legal basis changed",
        "special_category": "Special-category data",
        "purpose": "AI training or purpose",
        "control": "Opt-out, opt-in or consent control",
        "data_category": "Data category gained or lost",
        "labels": "Labels",
        "colon": ": ",
        "quote": "“{}”",
    },
    "fr": {
        "substantive": "Modification de fond",
        "minor": "Modification mineure",
        "cosmetic": "Modification de forme",
        "detected": "détectée le {when}",
        "effective": "en vigueur le {when}",
        "takes_effect": "Annoncée : entre en vigueur le {when}",
        "reminder": "En vigueur à partir d'aujourd'hui, {when}",
        "reminder_of": "annoncée dans la modification détectée le {when}",
        "twin_same": "aussi dans la version {version} ({when})",
        "twin_not_yet": "pas encore dans la version {version}",
        "twin_from": "clauses de la version {version}, modifiée de la même façon ({when})",
        "lang_en": "anglaise",
        "lang_fr": "française",
        "full_diff": "Comparaison complète",
        "archive_head": "empreinte de l'archive",
        "current_text": "Texte actuel",
        "diff_attached": "comparaison complète en pièce jointe ci-dessous",
        "more_clauses": "+{n} autres clauses modifiées sur la page de la modification",
        "more_clauses_one": "+1 autre clause modifiée sur la page de la modification",
        "clause_rest": "la suite de cette clause sur la page de la modification",
        "clause_rest_and_more": "la suite de cette clause et +{n} autres clauses modifiées sur "
        "la page de la modification",
        "in_section": "dans",
        "moved_from": "déplacée depuis",
        "continued": "suite",
        "table_row": "ligne",
        "document_caption": "Page complète de la modification : {title}, {old} → {new}",
        "digest_title": "Modifications mineures depuis le dernier résumé",
        "digest_item": "{title} : {counts}",
        "inaccessible": "⚠️ {document} inaccessible depuis {n} vérifications",
        "inaccessible_cause": "cause : {cause}",
        "recovered": "✅ {document} de nouveau accessible après {n} vérifications en échec",
        "delivery_failed": "⚠️ Échec de l'envoi Telegram vers {channel} ({chat})",
        "delivery_unconfirmed": "⚠️ Envoi Telegram vers {channel} ({chat}) non confirmé",
        "delivery_problems": "⚠️ Envoi Telegram : {n} problèmes",
        "delivery_unconfirmed_what": "Telegram l'a peut-être publié, une ou deux fois ; il "
        "n'est pas renvoyé. Vérifiez le canal : s'il manque, tracker outbox --retry {id} ; "
        "s'il y est, tracker outbox --cancel {id}",
        "chat_moved": "⚠️ Telegram a déplacé {channel} du chat {old} vers {new} (un supergroupe) : "
        'ses alertes vont désormais à {new} ; indiquez chat_id = "{new}" dans '
        "config/channels/{channel}.toml",
        "outage": "⚠️ {host} inaccessible ({cause}) depuis le {since} : {n} documents",
        "outage_reminder": "⏰ {host} toujours inaccessible ({cause}) depuis le {since} : "
        "{n} documents",
        "outage_over": "✅ {host} de nouveau accessible après {duration} ({cause}) : {n} documents",
        "no_clause": "aucune clause modifiée",
        "legal_basis_changed": "Base légale modifiée",
        "special_category": "Données sensibles (art. 9)",
        "purpose": "Entraînement d'IA ou finalité",
        "control": "Opposition, consentement ou retrait",
        "data_category": "Catégorie de données ajoutée ou retirée",
        "labels": "Étiquettes",
        "colon": "\u00a0: ",
        "quote": "«\u00a0{}\u00a0»",
    },
}

_KINDS = {
    "en": {
        ChangeKind.MODIFIED: ("modified", "modified"),
        ChangeKind.ADDED: ("added", "added"),
        ChangeKind.REMOVED: ("removed", "removed"),
        ChangeKind.MOVED: ("moved", "moved"),
        ChangeKind.SPLIT: ("split", "split"),
        ChangeKind.MERGED: ("merged", "merged"),
    },
    "fr": {
        ChangeKind.MODIFIED: ("modifiée", "modifiées"),
        ChangeKind.ADDED: ("ajoutée", "ajoutées"),
        ChangeKind.REMOVED: ("supprimée", "supprimées"),
        ChangeKind.MOVED: ("déplacée", "déplacées"),
        ChangeKind.SPLIT: ("scindée", "scindées"),
        ChangeKind.MERGED: ("fusionnée", "fusionnées"),
    },
}

#: Markers that survive notification previews and screen readers (formatting does not).
KIND_MARKS = {
    ChangeKind.MODIFIED: "✏️",
    ChangeKind.ADDED: "➕",
    ChangeKind.REMOVED: "➖",
    ChangeKind.MOVED: "↕️",
    ChangeKind.SPLIT: "✂️",
    ChangeKind.MERGED: "🔗",
}

_RANKS = {
    Rank.LEGAL_BASIS: "legal_basis_changed",
    Rank.SPECIAL_CATEGORY: "special_category",
    Rank.PURPOSE: "purpose",
    Rank.CONTROL: "control",
    Rank.DATA_CATEGORY: "data_category",
}

_LABELS = {
    "consent": ("consent", "consentement"),
    "contract": ("contract", "contrat"),
    "legal_obligation": ("legal obligation", "obligation légale"),
    "vital_interests": ("vital interests", "intérêts vitaux"),
    "public_task": ("public task", "mission d'intérêt public"),
    "legitimate_interests": ("legitimate interests", "intérêts légitimes"),
    "special_category": ("special-category data (Art. 9)", "données sensibles (art. 9)"),
    "opt_out": ("opt-out", "opposition (opt-out)"),
    "opt_in": ("opt-in", "accord préalable (opt-in)"),
    "withdraw_consent": ("withdrawal of consent", "retrait du consentement"),
    "profile": ("profile", "profil"),
    "contact_identity": ("contacts and identity", "coordonnées et identité"),
    "content": ("posts and content", "publications et contenus"),
    "messages": ("messages", "messages"),
    "location": ("location", "localisation"),
    "device_technical": ("device and technical data", "appareil et données techniques"),
    "usage_activity": ("usage and activity", "utilisation et activité"),
    "financial": ("financial data", "données financières"),
    "employment_salary": ("employment and salary", "emploi et salaire"),
    "demographic_inference": ("demographics and inferences", "démographie et inférences"),
    "biometric_identity_verification": (
        "biometrics and identity verification",
        "biométrie et vérification d'identité",
    ),
    "ai_training": ("AI training", "entraînement d'IA"),
    "automated_decisions_profiling": (
        "automated decisions and profiling",
        "décisions automatisées et profilage",
    ),
    "third_party_sharing": ("sharing with third parties", "partage avec des tiers"),
    "international_transfer": ("international transfers", "transferts internationaux"),
    "retention": ("retention", "conservation"),
    "minors": ("minors", "mineurs"),
}

_EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_FR_MONTHS = [
    *("janv.", "févr.", "mars", "avr.", "mai", "juin"),
    *("juil.", "août", "sept.", "oct.", "nov.", "déc."),
]


def word(language: str, key: str, **values: object) -> str:
    """The phrase ``key`` in ``language`` with ``values`` filled in."""
    return _WORDS[language][key].format(**values)


def colon(language: str) -> str:
    """``": "`` in English, ``" : "`` (with a no-break space) in French."""
    return _WORDS[language]["colon"]


def quoted(language: str, text: str) -> str:
    """“text” in English, « text » in French."""
    return _WORDS[language]["quote"].format(text)


def kind_word(language: str, kind: ChangeKind, count: int) -> str:
    """``3 modified`` / ``3 modifiées``."""
    singular, plural = _KINDS[language][kind]
    return f"{count} {singular if count == 1 else plural}"


def significance_word(language: str, significance: Significance) -> str:
    """``Substantive change`` / ``Modification de fond``."""
    return _WORDS[language][significance.value]


def rank_word(language: str, rank: Rank) -> str | None:
    """What a change of this rank touches, or None for ``other``."""
    key = _RANKS.get(rank)
    return None if key is None else _WORDS[language][key]


def label_name(language: str, label: str) -> str:
    """A label's name for readers (its id, with ``_`` as spaces, if unknown)."""
    names = _LABELS.get(label)
    if names is None:
        return label.replace("_", " ")
    return names[LANGUAGES.index(language)]


def day(language: str, when: date) -> str:
    """``3 Nov 2025`` / ``3 nov. 2025``."""
    months = _EN_MONTHS if language == "en" else _FR_MONTHS
    return f"{when.day} {months[when.month - 1]} {when.year}"


def moment(language: str, when: datetime) -> str:
    """``4 Nov 2025, 00:35 UTC`` / ``4 nov. 2025 à 00:35 UTC`` (``when`` is UTC)."""
    joiner = ", " if language == "en" else " à "
    return f"{day(language, when.date())}{joiner}{when:%H:%M} UTC"
