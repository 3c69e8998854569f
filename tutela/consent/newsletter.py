"""The newsletter: double opt-in, topics, one-click unsubscribe (RFC 8058) and signed headers.

* ``newsletter_subscribe`` mails a confirmation link (single use, valid 48 hours; only the token's SHA-256 is
  stored, the address is sealed until confirmation);
* ``newsletter_confirm`` records consent with its proof (channel e-mail, wording, policy version, the
  subscription page and request fingerprint) and sends a welcome mail;
* ``newsletter_unsubscribe`` withdraws consent at once, from a token (the one-click link of every mail) or
  an identifier, and puts the address on the suppression list;
* ``newsletter_headers`` gives the ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers every
  newsletter mail carries, for Tutela's own mails and for the group's newsletter tool.

Unsubscribe tokens are stateless: the person's public id, the controller and a keyed MAC, so a link in a
mail sent years ago still works, and erasing the person makes it point at nobody.

Every use case takes the caller's ``principal``. The public (the portal, a mail client) acts only through
the proof the service checks itself: the single-use confirmation token, the signed unsubscribe or
preferences link. Staff changing a subscription by identifier act for their own entity only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from tutela.accounts.permissions import PUBLIC_ROLE, acting_controller, require_subject
from tutela.accounts.principal import SYSTEM, Principal
from tutela.consent import selectors, services
from tutela.consent.links import link_mac, link_mac_ok
from tutela.consent.models import NewsletterPending, NewsletterTopic
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.crypto import decrypt, encrypt
from tutela.core.errors import FieldError, InvalidInput, NotFound, PermissionDenied, Refused
from tutela.core.mail import build_message, send_on_commit
from tutela.policy.selectors import active_policy
from tutela.subjects import identifiers
from tutela.subjects.models import DataItem, Subject

#: the policy purpose newsletters are sent for
NEWSLETTER_PURPOSE = "newsletter"
#: how long a confirmation link stays valid
CONFIRM_VALIDITY = dt.timedelta(hours=48)
LANGUAGES = ("en", "fr", "nl")
ONE_CLICK = "List-Unsubscribe=One-Click"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "confirm_subject": "Please confirm your subscription to the {org} newsletter",
        "confirm_body": (
            "Hello,\n\nSomeone (we hope you) asked to receive the {org} newsletter at this address.\n"
            "Topics: {topics}\n\nTo confirm, open this link within 48 hours:\n{link}\n\n"
            'What you agree to: "{wording}"\n\nIf you did not ask for this, ignore this message: '
            "without your confirmation you will not be subscribed.\n\n{org} - privacy: {dpo}\n"
        ),
        "welcome_subject": "You are subscribed to the {org} newsletter",
        "welcome_body": (
            "Hello,\n\nYour subscription to the {org} newsletter is confirmed.\nTopics: {topics}\n"
            "Change your topics: {preferences}\n\n"
            "You can unsubscribe at any time, in one click, from any of our newsletters or here:\n{link}\n\n"
            "{org} - privacy: {dpo}\n"
        ),
    },
    "fr": {
        "confirm_subject": "Merci de confirmer votre inscription à la newsletter de {org}",
        "confirm_body": (
            "Bonjour,\n\nQuelqu'un (vous, nous l'espérons) a demandé à recevoir la newsletter de {org} à "
            "cette adresse.\nThèmes : {topics}\n\nPour confirmer, ouvrez ce lien dans les 48 heures :\n{link}\n\n"
            "Ce que vous acceptez : « {wording} »\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce "
            "message : sans votre confirmation, vous ne serez pas inscrit.\n\n{org} - vie privée : {dpo}\n"
        ),
        "welcome_subject": "Vous êtes inscrit à la newsletter de {org}",
        "welcome_body": (
            "Bonjour,\n\nVotre inscription à la newsletter de {org} est confirmée.\nThèmes : {topics}\n"
            "Changer vos thèmes : {preferences}\n\n"
            "Vous pouvez vous désinscrire à tout moment, en un clic, depuis chacune de nos newsletters ou "
            "ici :\n{link}\n\n{org} - vie privée : {dpo}\n"
        ),
    },
    "nl": {
        "confirm_subject": "Bevestig uw inschrijving op de nieuwsbrief van {org}",
        "confirm_body": (
            "Hallo,\n\nIemand (hopelijk u) heeft gevraagd de nieuwsbrief van {org} op dit adres te "
            "ontvangen.\nOnderwerpen: {topics}\n\nOpen deze link binnen 48 uur om te bevestigen:\n{link}\n\n"
            'Waarmee u instemt: "{wording}"\n\nHeeft u dit niet gevraagd? Negeer dan dit bericht: zonder uw '
            "bevestiging wordt u niet ingeschreven.\n\n{org} - privacy: {dpo}\n"
        ),
        "welcome_subject": "U bent ingeschreven op de nieuwsbrief van {org}",
        "welcome_body": (
            "Hallo,\n\nUw inschrijving op de nieuwsbrief van {org} is bevestigd.\nOnderwerpen: {topics}\n"
            "Uw onderwerpen wijzigen: {preferences}\n\n"
            "U kunt zich op elk moment met één klik uitschrijven, vanuit elke nieuwsbrief of hier:\n{link}\n\n"
            "{org} - privacy: {dpo}\n"
        ),
    },
}
ALL_TOPICS = {"en": "all topics", "fr": "tous les thèmes", "nl": "alle onderwerpen"}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def confirm_url(token: str, language: str = "en") -> str:
    """The portal page that confirms (a GET shows a button, so link scanners cannot confirm)."""
    return f"{settings.TUTELA_BASE_URL}/{language}/newsletter/confirm/{token}/"


def preferences_url(token: str, language: str = "en") -> str:
    return f"{settings.TUTELA_BASE_URL}/{language}/newsletter/preferences/{token}/"


def unsubscribe_page_url(token: str, language: str = "en") -> str:
    return f"{settings.TUTELA_BASE_URL}/{language}/newsletter/unsubscribe/{token}/"


def unsubscribe_url(token: str) -> str:
    """The RFC 8058 one-click address (an anonymous POST unsubscribes at once)."""
    return f"{settings.TUTELA_BASE_URL}/api/v1/consent/unsubscribe/{token}"


def _mac(public_hex: str, controller: str) -> str:
    return link_mac("newsletter-unsubscribe", public_hex, controller)


def unsubscribe_token(subject: Subject, controller: str = "") -> str:
    """The one-click unsubscribe token of a person for a controller ("" = every controller)."""
    public_hex = subject.public_id.hex
    return f"{public_hex}.{controller or 'all'}.{_mac(public_hex, controller)}"


def parse_unsubscribe_token(token: str) -> tuple[str, str] | None:
    """(public id hex, controller) of a genuine token, or None."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        return None
    public_hex, ctrl, mac = parts
    controller = "" if ctrl == "all" else ctrl
    if len(public_hex) != 32 or not link_mac_ok(mac, "newsletter-unsubscribe", public_hex, controller):
        return None
    return public_hex, controller


def newsletter_headers(subject_id: int, controller: str = "") -> dict[str, str]:
    """The RFC 8058 headers every newsletter mail to this person must carry."""
    subject = Subject.objects.filter(pk=subject_id).first()
    if subject is None or subject.erased_at is not None:
        raise NotFound(f"no person with id {subject_id}")
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(unsubscribe_token(subject, controller))}>",
        "List-Unsubscribe-Post": ONE_CLICK,
    }


def _texts(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["en"])


def _topic_names(keys: Sequence[str], language: str) -> str:
    if not keys:
        return ALL_TOPICS.get(language, ALL_TOPICS["en"])
    names = {t.key: t.name(language) for t in NewsletterTopic.objects.filter(key__in=list(keys))}
    return ", ".join(names.get(k, k) for k in keys)


def _context(language: str, topics: Sequence[str], link: str) -> dict[str, str]:
    policy = active_policy()
    purpose = policy.purposes.get(NEWSLETTER_PURPOSE)
    wording = purpose.consent.wording if purpose and purpose.consent else ""
    return {
        "org": policy.organisation.name,
        "dpo": policy.dpo.email,
        "topics": _topic_names(topics, language),
        "link": link,
        "wording": wording,
    }


def _on_proof(principal: Principal) -> Principal:
    """Tutela acting for a caller who proved they hold the person's mailbox (a token the service checked):
    the register writes are Tutela's own, named in the audit trail after the caller."""
    return Principal(actor=principal.actor, role=SYSTEM.role)


def _check_purpose(controller: str) -> str:
    policy = active_policy()
    purpose = policy.purposes.get(NEWSLETTER_PURPOSE)
    if purpose is None or purpose.legal_basis != "consent":
        raise InvalidInput(f"the policy has no consent purpose {NEWSLETTER_PURPOSE!r} for newsletters")
    if controller and controller not in purpose.controllers:
        raise InvalidInput(
            f"{controller!r} sends no newsletter",
            errors=[FieldError(f"choose one of {', '.join(purpose.controllers)}", field="controller")],
        )
    return controller


def newsletter_subscribe(
    *,
    email: str,
    topics: Sequence[str] | None = None,
    language: str = "en",
    controller: str = "",
    page: str = "",
    source: str = "",
    ip: str | None = None,
    user_agent: str | None = None,
    principal: Principal,
) -> None:
    """Start a double opt-in: mail a confirmation link to the address. The answer never says whether the
    address is known or already subscribed. Anyone may ask (nothing is recorded about a person until the
    address's owner confirms); an entity's staff only for their own entity's newsletter."""
    if principal.role != PUBLIC_ROLE:
        controller = acting_controller(principal, controller)
    controller = _check_purpose(controller)
    if language not in LANGUAGES:
        raise InvalidInput(
            f"language must be one of {', '.join(LANGUAGES)}",
            errors=[FieldError("unknown language", field="language")],
        )
    normalised = identifiers.normalise("email", email)
    chosen = services._topics(topics)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        newsletter_pending_purge(principal=principal)
        pending = NewsletterPending.objects.create(
            token_hash=_digest(token),
            email_sealed=encrypt(normalised, context="newsletter-pending"),
            lookup=identifiers.lookup_of_normalised("email", normalised),
            controller=controller,
            topics=chosen,
            language=language,
            page=(page or "")[:500],
            source=(source or "")[:20],
            request_hash=services.request_fingerprint(ip, user_agent),
            created_at=now,
            expires_at=now + CONFIRM_VALIDITY,
        )
        audit_log(
            "newsletter.subscribe",
            object_type="newsletter_pending",
            object_id=pending.pk,
            payload={"controller": controller, "topics": chosen, "language": language},
            actor=principal.actor,
        )
        texts = _texts(language)
        ctx = _context(language, chosen, confirm_url(token, language))
        send_on_commit(
            build_message(
                to=[normalised],
                subject=texts["confirm_subject"].format(**ctx),
                text=texts["confirm_body"].format(**ctx),
                language=language,
            )
        )


def newsletter_pending_purge(*, principal: Principal = SYSTEM) -> int:
    """Delete confirmation requests that expired unconfirmed (their sealed address goes with them) and used
    ones past their validity. Runs at every subscription; ``tutela newsletter purge`` runs it on demand.
    Housekeeping of Tutela's own: no person's data is read, whoever triggers it."""
    with transaction.atomic():
        deleted, _ = NewsletterPending.objects.filter(expires_at__lte=clock.now()).delete()
        if deleted:
            audit_log(
                "newsletter.purge",
                object_type="newsletter_pending",
                payload={"deleted": deleted},
                actor=principal.actor,
            )
    return deleted


def _find_or_create_subscriber(email: str, controller: str, language: str, principal: Principal) -> Subject:
    from tutela.subjects.rules import identifier_category
    from tutela.subjects.services import NewItem, subject_create

    lookup = identifiers.lookup_of_normalised("email", email)
    sid = (
        DataItem.objects.filter(lookup=lookup)
        .exclude(status=DataItem.Status.ERASED)
        .order_by("subject_id")
        .values_list("subject_id", flat=True)
        .first()
    )
    if sid is not None:
        person = Subject.objects.filter(pk=sid, erased_at__isnull=True).first()
        if person is not None:
            return person
    policy = active_policy()
    purpose = policy.purposes[NEWSLETTER_PURPOSE]
    kinds = [k for k in purpose.subject_types if policy.subject_types[k].relationship == "subscription"]
    category = identifier_category(policy, "email") or "user.contact.email"
    return subject_create(
        language=language,
        controller=controller or purpose.controllers[0],
        subject_type=kinds[0] if kinds else purpose.subject_types[0],
        source="direct",
        source_detail="newsletter subscription (double opt-in)",
        items=[
            NewItem(category=category, value=email, purposes=[NEWSLETTER_PURPOSE], provided_by_subject=True)
        ],
        principal=_on_proof(principal),
    )


def newsletter_confirm(
    *, token: str, ip: str | None = None, user_agent: str | None = None, principal: Principal
) -> dict[str, Any]:
    """Confirm a subscription from its link: records consent with proof. A link works once, for 48 hours.
    The token is the proof (whoever holds it received the mail): any principal may present it."""
    with transaction.atomic():
        pending = (
            NewsletterPending.objects.select_for_update().filter(token_hash=_digest(token or "")).first()
        )
        if pending is None:
            raise NotFound("this confirmation link is not valid")
        if pending.used_at is not None:
            raise Refused("this confirmation link was already used")
        now = clock.now()
        if now >= pending.expires_at:
            raise Refused("this confirmation link has expired (48 hours): please subscribe again")
        email = decrypt(pending.email_sealed, context="newsletter-pending")
        person = _find_or_create_subscriber(email, pending.controller, pending.language, principal)
        confirm_print = services.request_fingerprint(ip, user_agent)
        evidence = (
            f"double opt-in: requested {pending.created_at:%Y-%m-%d %H:%M:%S} UTC"
            f"{' through the ' + pending.source if pending.source else ''}"
            f"{' on ' + pending.page if pending.page else ''}; confirmed {now:%Y-%m-%d %H:%M:%S} UTC through the "
            f"link mailed to the address{'; confirmation request ' + confirm_print if confirm_print else ''}"
        )
        event = services._give(
            subject_id=person.pk,
            purpose=NEWSLETTER_PURPOSE,
            controller=pending.controller,
            channel="email",
            evidence=evidence,
            page=pending.page,
            ip=None,
            user_agent=None,
            request_hash=pending.request_hash,
            topics=pending.topics,
            actor=principal.actor,
        )
        pending.used_at = now
        pending.email_sealed = ""
        pending.save(update_fields=["used_at", "email_sealed"])
        language = pending.language
        texts = _texts(language)
        token_out = unsubscribe_token(person, pending.controller)
        ctx = _context(language, pending.topics, unsubscribe_page_url(token_out, language))
        ctx["preferences"] = preferences_url(token_out, language)
        send_on_commit(
            build_message(
                to=[email],
                subject=texts["welcome_subject"].format(**ctx),
                text=texts["welcome_body"].format(**ctx),
                headers=newsletter_headers(person.pk, pending.controller),
                language=language,
            )
        )
    return {"subscribed": True, "topics": list(event.topics), "language": language}


def newsletter_unsubscribe(
    *,
    token: str | None = None,
    identifier: str | None = None,
    controller: str = "",
    channel: str = "email",
    ip: str | None = None,
    user_agent: str | None = None,
    principal: Principal,
) -> dict[str, Any]:
    """Stop the newsletter at once (idempotent). From a token the answer is the same whoever it names.

    A token is its own proof (anyone holding the link may use it). By identifier, the public may stop the
    newsletter for an address (the same answer whether it is known or not: stopping mail harms nobody);
    an entity's staff only for their own entity and for people in their scope (others' addresses go on
    their entity's suppression list only)."""
    if (token is None) == (identifier is None):
        raise InvalidInput("give either a token or an identifier")
    subject_id: int | None = None
    loose: list[tuple[str, str]] = []
    if token is not None:
        parsed = parse_unsubscribe_token(token)
        if parsed is None:
            raise NotFound("this unsubscribe link is not valid")
        public_hex, controller = parsed
        subject_id = (
            Subject.objects.filter(public_id=public_hex, erased_at__isnull=True)
            .values_list("id", flat=True)
            .first()
        )
    else:
        if principal.role != PUBLIC_ROLE:
            controller = acting_controller(principal, controller)
        controller = _check_purpose(controller)
        subject_id, loose = selectors.resolve(identifier or "")
        if subject_id is not None and principal.role != PUBLIC_ROLE and not principal.is_group_wide:
            try:
                require_subject(principal, subject_id)
            except NotFound:
                subject_id = None  # someone only the other entity holds: their address, suppressed
                loose = loose or []
    with transaction.atomic():
        if subject_id is not None:
            try:
                services._withdraw(
                    subject_id=subject_id,
                    purpose=NEWSLETTER_PURPOSE,
                    controller=controller,
                    channel=channel,
                    evidence="one-click unsubscribe" if token is not None else "unsubscribe",
                    page="",
                    ip=ip,
                    user_agent=user_agent,
                    actor=principal.actor,
                )
            except Refused:  # nothing to withdraw: still make sure the address is suppressed
                services._suppress(
                    lookups=selectors.subject_lookups(subject_id),
                    purpose=NEWSLETTER_PURPOSE,
                    controller=controller,
                    reason="unsubscribe",
                    subject_id=subject_id,
                    actor=principal.actor,
                )
        elif loose:
            services._suppress(
                lookups=loose,
                purpose=NEWSLETTER_PURPOSE,
                controller=controller,
                reason="unsubscribe",
                subject_id=None,
                actor=principal.actor,
            )
    return {"unsubscribed": True}


def newsletter_sign(*, email: str, controller: str = "", principal: Principal) -> dict[str, Any]:
    """Headers for a newsletter mail the group's own tool sends, after checking the person may get it.
    An entity's staff and integrations sign for their own entity's newsletter only."""
    from tutela.accounts.permissions import controller_scope, require_write
    from tutela.consent.checks import purpose_check

    require_write(principal)
    scope = controller_scope(principal)
    if scope is not None:
        if not scope or (controller and controller != scope):
            raise PermissionDenied(f"you act for {scope or 'no entity'} and may not sign for {controller}")
        controller = scope
    controller = _check_purpose(controller)
    subject_id, _ = selectors.resolve(email)
    decision = purpose_check(identifier=email, purpose=NEWSLETTER_PURPOSE, controller=controller or None)
    if not decision.allowed or subject_id is None:
        return {"allowed": False, "reasons": decision.reasons, "headers": {}}
    return {
        "allowed": True,
        "reasons": decision.reasons,
        "headers": newsletter_headers(subject_id, controller),
    }


def _subject_of_token(token: str) -> tuple[int, str]:
    parsed = parse_unsubscribe_token(token)
    subject_id = None
    if parsed is not None:
        subject_id = (
            Subject.objects.filter(public_id=parsed[0], erased_at__isnull=True)
            .values_list("id", flat=True)
            .first()
        )
    if parsed is None or subject_id is None:
        raise NotFound("this link is not valid")
    return subject_id, parsed[1]


def newsletter_preferences(*, token: str) -> list[str]:
    """The topics of the subscription a preferences link designates (empty: every topic)."""
    subject_id, controller = _subject_of_token(token)
    current = selectors.current_consent(subject_id, NEWSLETTER_PURPOSE, controller or None)
    if current is None or current["state"] != "given":
        raise NotFound("this subscription has ended")
    return list(current["topics"])


def newsletter_preferences_set(
    *,
    topics: Sequence[str],
    token: str | None = None,
    subject_id: int | None = None,
    controller: str = "",
    channel: str = "portal",
    principal: Principal,
) -> dict[str, Any]:
    """Change the topics of a running subscription (a new ledger event with the chosen topics).

    With a token (the signed preferences link) anyone holding it may; by subject id only staff who may
    record consent for that person and entity."""
    if token is not None:
        subject_id, controller = _subject_of_token(token)
    elif subject_id is not None:
        controller = acting_controller(principal, controller)
        if not principal.is_group_wide:
            require_subject(principal, subject_id)
    if subject_id is None:
        raise InvalidInput("give a token or a subject id")
    controller = _check_purpose(controller)
    current = selectors.current_consent(subject_id, NEWSLETTER_PURPOSE, controller or None)
    if current is None or current["state"] != "given":
        raise Refused("the person is not subscribed to the newsletter: subscribe first (double opt-in)")
    event = services._give(
        subject_id=subject_id,
        purpose=NEWSLETTER_PURPOSE,
        controller=controller,
        channel=channel,
        evidence="topics changed",
        page="",
        ip=None,
        user_agent=None,
        request_hash=None,
        topics=topics,
        actor=principal.actor,
    )
    return {"topics": list(event.topics)}


def newsletter_topics(language: str | None = None) -> list[tuple[str, str]]:
    """(key, name) of the topics on offer, named in ``language`` (default: the active language)."""
    if language is None:
        from django.utils import translation

        language = (translation.get_language() or "en")[:2]
    return [(t.key, t.name(language)) for t in NewsletterTopic.objects.filter(active=True)]
