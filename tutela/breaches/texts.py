"""Words of the breach messages: the DPO alert, the authority notification, the message to the people.

The message to the people (Art. 34(2)) is in clear and plain language in English, French and Dutch: what
happened, what it may mean for them, what the group did and will do, what they can do, whom to contact.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "fr", "nl")

SUBJECT_LINE = {
    "en": "Important: a security incident concerning your personal data",
    "fr": "Important : un incident de sécurité concernant vos données personnelles",
    "nl": "Belangrijk: een beveiligingsincident met uw persoonsgegevens",
}

BODY = {
    "en": """Dear Sir or Madam,

We are writing to tell you about a security incident at {organisation} that concerns your personal data.

What happened
{nature}

Which of your data are concerned
{categories}

What this may mean for you
{consequences}

What we have done and will do
{measures}

What you can do
{advice}

If you have questions, please contact our data protection officer, {dpo_name}, at {dpo_email}. You also have
the right to lodge a complaint with the {authority}.

We sincerely regret this incident.
{organisation}
""",
    "fr": """Madame, Monsieur,

Nous vous informons d'un incident de sécurité survenu chez {organisation} et qui concerne vos données
personnelles.

Ce qui s'est passé
{nature}

Les données vous concernant
{categories}

Ce que cela peut signifier pour vous
{consequences}

Ce que nous avons fait et ferons
{measures}

Ce que vous pouvez faire
{advice}

Pour toute question, vous pouvez contacter notre délégué à la protection des données, {dpo_name}, à
l'adresse {dpo_email}. Vous avez aussi le droit d'introduire une plainte auprès de l'{authority}.

Nous regrettons sincèrement cet incident.
{organisation}
""",
    "nl": """Geachte mevrouw, geachte heer,

Wij laten u weten dat er bij {organisation} een beveiligingsincident is gebeurd dat uw persoonsgegevens
betreft.

Wat er gebeurd is
{nature}

Welke gegevens over u het betreft
{categories}

Wat dit voor u kan betekenen
{consequences}

Wat wij gedaan hebben en nog zullen doen
{measures}

Wat u zelf kunt doen
{advice}

Met vragen kunt u terecht bij onze functionaris voor gegevensbescherming, {dpo_name}, via {dpo_email}.
U hebt ook het recht een klacht in te dienen bij de {authority}.

Wij betreuren dit incident oprecht.
{organisation}
""",
}

ADVICE = {
    "en": "Be careful with e-mails, letters or calls that use your data or ask for more of it; never give a "
    "password or bank code. Change your password where you used the same one. Watch your bank statements "
    "and tell your bank at once about anything you do not recognise.",
    "fr": "Méfiez-vous des e-mails, lettres ou appels qui utilisent vos données ou en demandent davantage ; ne "
    "communiquez jamais un mot de passe ni un code bancaire. Changez votre mot de passe là où vous utilisiez "
    "le même. Surveillez vos extraits bancaires et signalez aussitôt à votre banque toute opération inconnue.",
    "nl": "Wees voorzichtig met e-mails, brieven of telefoontjes die uw gegevens gebruiken of om meer gegevens "
    "vragen; geef nooit een wachtwoord of bankcode door. Wijzig uw wachtwoord waar u hetzelfde gebruikte. "
    "Controleer uw rekeninguittreksels en meld alles wat u niet herkent meteen aan uw bank.",
}

NOT_YET = {
    "en": "We are still investigating and will inform you if we learn more.",
    "fr": "Notre enquête se poursuit et nous vous informerons si nous en apprenons davantage.",
    "nl": "Ons onderzoek loopt nog en wij laten het u weten als wij meer te weten komen.",
}

PUBLIC_TITLE = {
    "en": "Public notice of a personal-data breach",
    "fr": "Avis public d'une violation de données personnelles",
    "nl": "Openbare kennisgeving van een inbreuk op persoonsgegevens",
}


def people_text(
    language: str, *, organisation: str, facts: dict[str, Any], dpo: dict[str, str], authority: str
) -> dict[str, str]:
    """Subject line and body for one language. ``facts`` holds nature, categories, consequences, measures."""
    lang = language if language in LANGUAGES else "en"
    nature = facts.get("nature") or NOT_YET[lang]
    return {
        "subject": SUBJECT_LINE[lang],
        "body": BODY[lang].format(
            organisation=organisation,
            nature=nature,
            categories=facts.get("categories") or NOT_YET[lang],
            consequences=facts.get("consequences") or NOT_YET[lang],
            measures=facts.get("measures") or NOT_YET[lang],
            advice=ADVICE[lang],
            dpo_name=dpo.get("name", ""),
            dpo_email=dpo.get("email", ""),
            authority=authority,
        ),
    }


def dpo_alert(*, marker: str, breach: Any) -> tuple[str, str]:
    """Subject and body of the mail that alerts the DPO to a new report."""
    subject = f"[{marker}] Breach report #{breach.pk}: {breach.summary}"
    lines = [
        f"A possible personal-data breach was reported at {breach.reported_at:%Y-%m-%d %H:%M %Z}.",
        "",
        f"Urgency: {breach.urgency}",
        f"Type of incident: {breach.get_incident_type_display()}",
        f"People concerned (estimate): {breach.people_concerned if breach.people_concerned is not None else 'unknown'}",
        f"Detected at: {breach.detected_at:%Y-%m-%d %H:%M %Z}",
        f"Controller: {breach.controller or 'not stated'}",
        "",
        "Reported by:",
        f"  {breach.reporter_name}",
        f"  {breach.reporter_address}",
        f"  {breach.reporter_email or '(no e-mail)'}",
        f"  {breach.reporter_phone}",
    ]
    if breach.processor:
        lines.append(
            f"Reported by the processor {breach.processor} at {breach.processor_reported_at:%Y-%m-%d %H:%M %Z}"
        )
    lines += ["", "Description:", breach.description, ""]
    lines.append("The investigation should start within 24 hours; the authority is due within 72 hours.")
    lines.append(f"See: tutela breach show {breach.pk}")
    return subject, "\n".join(lines)
