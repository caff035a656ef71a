"""The site's interface in English and French (page text is the archive's, never translated)."""

from __future__ import annotations

import re
from html import escape

LANGUAGES = ("en", "fr")

_WORDS: dict[str, tuple[str, str]] = {
    # key: (English, French)
    "site": ("Policy tracker: the reading room", "Policy tracker : la salle de lecture"),
    "home": ("All documents", "Tous les documents"),
    "search": ("Search", "Recherche"),
    "all_changes": ("All changes", "Toutes les modifications"),
    "all_changes_note": (
        "Every recorded change of every document, newest first. On the command line: "
        "`tracker changes --label legal_basis --since 2023`.",
        "Toutes les modifications enregistrées de tous les documents, les plus récentes "
        "d'abord. En ligne de commande : `tracker changes --label legal_basis --since 2023`.",
    ),
    "language": ("Français", "English"),
    "intro": (
        "Every tracked legal page, each version as it was in force, and what changed between "
        "them, with the evidence to cite. All times are UTC.",
        "Chaque page juridique suivie, chaque version telle qu'elle était en vigueur, et ce qui "
        "a changé entre elles, avec les preuves à citer. Toutes les heures sont en UTC.",
    ),
    "document": ("Document", "Document"),
    "documents": ("Documents", "Documents"),
    "versions": ("Versions", "Versions"),
    "version": ("Version", "Version"),
    "latest_version": ("Latest version", "Dernière version"),
    "latest_change": ("Latest change", "Dernière modification"),
    "no_change": ("no change recorded", "aucune modification enregistrée"),
    "no_version": ("no version captured yet", "aucune version capturée pour l'instant"),
    "significance": ("Significance", "Importance"),
    "substantive": ("substantive", "substantielle"),
    "minor": ("minor", "mineure"),
    "cosmetic": ("cosmetic", "cosmétique"),
    "labels": ("Labels", "Étiquettes"),
    "groups": ("Label groups", "Groupes d'étiquettes"),
    "feeds": ("Atom feeds", "Flux Atom"),
    "feed_all": ("every change", "toutes les modifications"),
    "feed_substantive": ("substantive changes only", "modifications substantielles seulement"),
    "feed_document": ("this document's changes", "les modifications de ce document"),
    "feed_platform": ("platform", "plateforme"),
    "feed_label": ("label", "étiquette"),
    "timeline": ("Timeline", "Chronologie"),
    "filter": ("Show only", "Afficher seulement"),
    "show_all": ("everything", "tout"),
    "filter_note": (
        "Filters are links: one at a time, no JavaScript needed.",
        "Les filtres sont des liens : un à la fois, sans JavaScript.",
    ),
    "first_record": ("first record", "premier enregistrement"),
    "technical_upgrade": (
        "technical upgrade (our extraction rules changed, not the page)",
        "mise à niveau technique (nos règles d'extraction ont changé, pas la page)",
    ),
    "new_version": ("new version", "nouvelle version"),
    "flip_back": ("flip-back to", "retour à la variante"),
    "inaccessible": ("inaccessible", "inaccessible"),
    "inaccessible_spell": ("Inaccessible", "Inaccessible"),
    "checks": ("checks", "vérifications"),
    "from": ("from", "du"),
    "to": ("to", "au"),
    "change_page": ("what changed", "ce qui a changé"),
    "compare_latest": ("compare with the latest", "comparer avec la dernière"),
    "read_version": ("read this version", "lire cette version"),
    "source": ("Source", "Source"),
    "in_force": ("In force", "En vigueur"),
    "in_force_from": ("from", "à partir du"),
    "until": ("until", "jusqu'au"),
    "still_latest": ("still the latest version", "toujours la dernière version"),
    "previous": ("Previous version", "Version précédente"),
    "next": ("Next version", "Version suivante"),
    "evidence": ("Evidence", "Preuves"),
    "captured": ("Captured (UTC)", "Capturée (UTC)"),
    "origin": ("Origin", "Origine"),
    "source_url": ("Source URL", "URL source"),
    "final_url": ("Final URL", "URL finale"),
    "http_status": ("HTTP status", "Statut HTTP"),
    "text_sha256": ("Text SHA-256", "SHA-256 du texte"),
    "raw_sha256": ("Snapshot SHA-256", "SHA-256 de la capture"),
    "rules_sha256": ("Extraction rules SHA-256", "SHA-256 des règles d'extraction"),
    "raw_snapshot": ("Raw snapshot", "Capture brute"),
    "raw_note": (
        "the bytes exactly as received, served as plain text (never as a page)",
        "les octets tels que reçus, servis en texte brut (jamais comme une page)",
    ),
    "raw_meta": ("its headers and metadata (JSON)", "ses en-têtes et métadonnées (JSON)"),
    "markdown": ("Markdown as archived", "Markdown tel qu'archivé"),
    "chain_entry": ("Hash-chain entry", "Entrée de la chaîne de hachage"),
    "chain_head": ("Archive chain head", "Tête de la chaîne de l'archive"),
    "chain_head_where": (
        "on the home page (it changes with every record)",
        "sur la page d'accueil (elle change à chaque enregistrement)",
    ),
    "chain_note": (
        "Check with `tracker verify --head <archive head>`: it fails unless the archive's "
        "chain still passes through this head.",
        "À vérifier avec `tracker verify --head <tête de l'archive>` : la commande échoue si "
        "la chaîne de l'archive ne passe plus par cette tête.",
    ),
    "text": ("Text", "Texte"),
    "text_note": (
        "The text as extracted and archived; link targets and emphasis are in the Markdown.",
        "Le texte tel qu'extrait et archivé ; les cibles des liens et l'emphase sont dans le "
        "Markdown.",
    ),
    "compare": ("Compare versions", "Comparer des versions"),
    "compare_note": (
        "Each version against the one before is its change page; each version against the "
        "latest is pre-rendered below. For any other pair: `tracker diff {doc} --from A --to B "
        "--format html`.",
        "Chaque version face à la précédente : sa page de modification ; chaque version face à "
        "la dernière : ci-dessous. Pour toute autre paire : `tracker diff {doc} --from A --to B "
        "--format html`.",
    ),
    "with_previous": ("with the previous", "avec la précédente"),
    "with_latest": ("with the latest", "avec la dernière"),
    "search_title": ("Search every version", "Rechercher dans toutes les versions"),
    "search_label": ("Phrase", "Expression"),
    "search_button": ("Search", "Rechercher"),
    "search_note": (
        "Case- and accent-insensitive, within one paragraph, in every version of every "
        "document. The command line does the same: `tracker search PHRASE`.",
        "Sans distinction de casse ni d'accents, dans un même paragraphe, dans toutes les "
        "versions de tous les documents. En ligne de commande : `tracker search EXPRESSION`.",
    ),
    "noscript": (
        "The search needs JavaScript; everything else on this site works without it. Without "
        "it, use `tracker search PHRASE`.",
        "La recherche nécessite JavaScript ; tout le reste du site fonctionne sans. Sinon : "
        "`tracker search EXPRESSION`.",
    ),
    "found_in": ("in {n} of {m} versions", "dans {n} versions sur {m}"),
    "first": ("first", "première"),
    "last": ("last", "dernière"),
    "gone_from": ("gone from", "absente depuis"),
    "no_result": ("Found nowhere.", "Introuvable."),
    "results": ("{n} documents hold it.", "{n} documents la contiennent."),
    "generated": ("Generated by policy-tracker.", "Généré par policy-tracker."),
    "recent": ("Recent changes", "Modifications récentes"),
    "when": ("When (UTC)", "Quand (UTC)"),
    "what": ("What", "Quoi"),
    "links": ("Links", "Liens"),
    "skip": ("Skip to the content", "Aller au contenu"),
    "none": ("none", "aucune"),
    "changes_en": (
        "(change and compare pages are in English)",
        "(les pages de modification et de comparaison sont en anglais)",
    ),
}


def word(language: str, key: str, **values: object) -> str:
    """The interface text ``key`` in ``language`` ("en" or "fr"), with ``{name}`` filled in."""
    english, french = _WORDS[key]
    text = french if language == "fr" else english
    return text.format(**values) if values else text


def prose(language: str, key: str, **values: object) -> str:
    """The interface text as HTML: escaped, with its `commands` in ``<code>``."""
    escaped = escape(word(language, key, **values))
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
