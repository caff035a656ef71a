"""Every word the bot says in chats, in English and French (pure).

:func:`say` fills a phrase with values that are already escaped for Telegram's HTML parse mode
(the caller escapes page and user text with :func:`tracker.render.telegram.esc`). Label names
and significance words come from :mod:`tracker.render.words`, as in alerts.
"""

from __future__ import annotations

_EN: dict[str, str] = {
    "start": (
        "👋 <b>Policy tracker</b> watches the legal pages of online platforms, archives every "
        "version as evidence and tells you, clause by clause, what changed: legal bases, data "
        "used, AI training, your controls.\n\n"
        "<b>Documents tracked</b>\n{documents}\n\n"
        "<b>Commands</b>\n"
        "/subscribe — choose documents, topics and significance\n"
        "/list — your subscription\n"
        "/pause, /resume — stop and restart alerts\n"
        "/unsubscribe — stop for good\n"
        "/latest [document] — the last change\n"
        "/diff document [date] [date] — what changed between two dates\n"
        "/show document [date] — the text in force on a date, as a file\n"
        "/search phrase — where a phrase appears\n"
        "/language — Français"
    ),
    "pick_documents": (
        "<b>1/3 · Documents</b>\nTick the platforms or documents to follow "
        "(none ticked: all of them), then press Next."
    ),
    "pick_labels": (
        "<b>2/3 · Topics</b>\nOnly changes touching one of these (none ticked: every change)."
    ),
    "pick_significance": "<b>3/3 · Significance</b>\nFrom which level do you want an alert?",
    "next": "Next →",
    "back": "← Back",
    "done": "✅ Subscribe",
    "all_documents": "every document",
    "all_topics": "every topic",
    "platform": "{name}: every document",
    "substantive_only": "Substantive changes only",
    "minor_too": "Minor changes too",
    "subscribed": "✅ Subscribed.\n{summary}\n\n/pause to pause, /unsubscribe to stop.",
    "summary": (
        "<b>Documents</b>: {documents}\n<b>Topics</b>: {labels}\n<b>From</b>: {significance}"
        "{paused}"
    ),
    "paused_mark": "\n⏸ <b>Paused</b> (/resume)",
    "not_subscribed": "You are not subscribed. /subscribe to start.",
    "unsubscribed": "🔕 Unsubscribed: no more alerts. /subscribe to come back.",
    "paused": "⏸ Paused: no alerts until /resume.",
    "resumed": "▶️ Resumed: new changes will reach you again.",
    "already_paused": "Already paused. /resume to get alerts again.",
    "not_paused": "Alerts are not paused.",
    "language_set": "🇬🇧 I will speak English here.",
    "group_admins_only": ("Only an administrator of this group can change its subscription."),
    "group_check_failed": "I could not check this group's administrators; try again later.",
    "unknown_document": "No document matches “{asked}”. Documents: {documents}",
    "ambiguous_document": "“{asked}” matches several documents: {documents}",
    "usage_diff": "Usage: /diff document [date] [date] (dates as YYYY-MM-DD)",
    "usage_show": "Usage: /show document [date] (date as YYYY-MM-DD)",
    "usage_search": "Usage: /search phrase",
    "bad_date": "{detail}",
    "no_change": "No change recorded for {documents} yet.",
    "no_change_any": "No change recorded yet.",
    "no_difference": "{title}: the text is the same on {old} and {new}.",
    "diff_head": "<b>{title}</b>: from the version of {old} to the version of {new}",
    "show_caption": "{title}: the version in force on {asked} (captured {captured})",
    "show_caption_latest": "{title}: the latest version (captured {captured})",
    "search_none": "“{phrase}” appears in no version of any document.",
    "search_found": (
        "<b>{title}</b>: in {found} of {searched} versions; first {first}, last {last} ({state})"
    ),
    "search_still": "still in the latest version",
    "search_gone": "gone from {removed} on",
    "unknown_command": "I do not know that command. /start lists what I can do.",
    "not_private": "Ask me that in a private chat.",
    "busy": "Something went wrong on my side; try again in a minute.",
}

_FR: dict[str, str] = {
    "start": (
        "👋 <b>Policy tracker</b> surveille les pages juridiques des plateformes en ligne, "
        "archive chaque version comme preuve et vous dit, clause par clause, ce qui a changé : "
        "bases légales, données utilisées, entraînement d'IA, vos moyens de contrôle.\n\n"
        "<b>Documents suivis</b>\n{documents}\n\n"
        "<b>Commandes</b>\n"
        "/subscribe — choisir documents, sujets et importance\n"
        "/list — votre abonnement\n"
        "/pause, /resume — suspendre et reprendre les alertes\n"
        "/unsubscribe — arrêter pour de bon\n"
        "/latest [document] — la dernière modification\n"
        "/diff document [date] [date] — ce qui a changé entre deux dates\n"
        "/show document [date] — le texte en vigueur à une date, en fichier\n"
        "/search expression — où une expression apparaît\n"
        "/language — English"
    ),
    "pick_documents": (
        "<b>1/3 · Documents</b>\nCochez les plateformes ou documents à suivre "
        "(aucun coché : tous), puis Suivant."
    ),
    "pick_labels": (
        "<b>2/3 · Sujets</b>\nSeulement les modifications qui touchent l'un d'eux "
        "(aucun coché : toutes)."
    ),
    "pick_significance": (
        "<b>3/3 · Importance</b>\nÀ partir de quel niveau voulez-vous une alerte ?"
    ),
    "next": "Suivant →",
    "back": "← Retour",
    "done": "✅ M'abonner",
    "all_documents": "tous les documents",
    "all_topics": "tous les sujets",
    "platform": "{name} : tous les documents",
    "substantive_only": "Modifications de fond seulement",
    "minor_too": "Modifications mineures aussi",
    "subscribed": "✅ Abonné.\n{summary}\n\n/pause pour suspendre, /unsubscribe pour arrêter.",
    "summary": (
        "<b>Documents</b> : {documents}\n<b>Sujets</b> : {labels}\n<b>À partir de</b> : "
        "{significance}{paused}"
    ),
    "paused_mark": "\n⏸ <b>Suspendu</b> (/resume)",
    "not_subscribed": "Vous n'êtes pas abonné. /subscribe pour commencer.",
    "unsubscribed": "🔕 Désabonné : plus d'alertes. /subscribe pour revenir.",
    "paused": "⏸ Suspendu : plus d'alertes jusqu'à /resume.",
    "resumed": "▶️ Repris : les nouvelles modifications vous parviendront à nouveau.",
    "already_paused": "Déjà suspendu. /resume pour recevoir à nouveau les alertes.",
    "not_paused": "Les alertes ne sont pas suspendues.",
    "language_set": "🇫🇷 Je parlerai français ici.",
    "group_admins_only": "Seul un administrateur de ce groupe peut modifier son abonnement.",
    "group_check_failed": (
        "Je n'ai pas pu vérifier les administrateurs de ce groupe ; réessayez plus tard."
    ),
    "unknown_document": "Aucun document ne correspond à « {asked} ». Documents : {documents}",
    "ambiguous_document": "« {asked} » correspond à plusieurs documents : {documents}",
    "usage_diff": "Usage : /diff document [date] [date] (dates au format AAAA-MM-JJ)",
    "usage_show": "Usage : /show document [date] (date au format AAAA-MM-JJ)",
    "usage_search": "Usage : /search expression",
    "bad_date": "{detail}",
    "no_change": "Aucune modification enregistrée pour {documents} pour l'instant.",
    "no_change_any": "Aucune modification enregistrée pour l'instant.",
    "no_difference": "{title} : le texte est le même le {old} et le {new}.",
    "diff_head": "<b>{title}</b> : de la version du {old} à celle du {new}",
    "show_caption": "{title} : la version en vigueur le {asked} (capturée le {captured})",
    "show_caption_latest": "{title} : la dernière version (capturée le {captured})",
    "search_none": "« {phrase} » n'apparaît dans aucune version d'aucun document.",
    "search_found": (
        "<b>{title}</b> : dans {found} versions sur {searched} ; première {first}, "
        "dernière {last} ({state})"
    ),
    "search_still": "toujours dans la dernière version",
    "search_gone": "absente à partir de {removed}",
    "unknown_command": "Je ne connais pas cette commande. /start dit ce que je sais faire.",
    "not_private": "Demandez-moi cela en conversation privée.",
    "busy": "Un problème de mon côté ; réessayez dans une minute.",
}

#: Names of the label groups offered in ``/subscribe`` (labels use :func:`label_name`).
GROUP_NAMES: dict[str, tuple[str, str]] = {
    "legal_basis": ("Legal basis changes", "Changements de base légale"),
    "art9": ("Sensitive data (Art. 9)", "Données sensibles (art. 9)"),
    "control": ("Your controls (opt-out, consent)", "Vos contrôles (opposition, consentement)"),
}

_PHRASES = {"en": _EN, "fr": _FR}


def say(language: str, key: str, **values: object) -> str:
    """The phrase ``key`` in ``language`` (English if unknown) with ``values`` filled in."""
    phrases = _PHRASES.get(language, _EN)
    return phrases[key].format(**values)


def keys() -> dict[str, set[str]]:
    """The phrase keys of each language (a test checks they are the same)."""
    return {language: set(phrases) for language, phrases in _PHRASES.items()}
