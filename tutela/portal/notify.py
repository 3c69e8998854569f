"""Telling people about a substantial change of the policy (§13): who, in batches, tracked per person.

``policy_change_plan`` records one pending notice per person concerned (set-based, idempotent);
``policy_change_send`` sends the pending ones in batches over one SMTP connection per batch and marks each
row sent, without address or failed. Running it again resumes where it stopped.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from tutela.accounts.permissions import require_group_wide
from tutela.accounts.principal import Principal
from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.mail import build_message
from tutela.portal.models import PolicyChangeNotice

log = logging.getLogger(__name__)
BATCH = 200
EMAIL_CATEGORY = "user.contact.email"
LANGUAGES = ("en", "fr", "nl")


def policy_change_plan(*, version_number: int, principal: Principal) -> int:
    """One pending notice per living person with an e-mail address in use; returns how many were added.
    It reads every entity's people: Tutela itself (a worker) or a group-wide role only."""
    require_group_wide(principal, "telling everyone of a policy change")
    from tutela.subjects.models import DataItem

    now = clock.now()
    subject_ids = (
        DataItem.objects.filter(
            category=EMAIL_CATEGORY,
            status__in=(DataItem.Status.ACTIVE, DataItem.Status.RESTRICTED),
            subject__erased_at__isnull=True,
            subject__merged_into__isnull=True,
        )
        .values_list("subject_id", flat=True)
        .distinct()
    )
    with transaction.atomic():
        before = PolicyChangeNotice.objects.filter(version_number=version_number).count()
        rows = [
            PolicyChangeNotice(version_number=version_number, subject_id=s, created_at=now)
            for s in subject_ids
        ]
        PolicyChangeNotice.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        added = PolicyChangeNotice.objects.filter(version_number=version_number).count() - before
        audit_log(
            "policy.change_notice_plan",
            object_type="policy_version",
            object_id=version_number,
            payload={"people": added},
            actor=principal.actor,
        )
    return added


def _addresses(subject_ids: list[int]) -> dict[int, tuple[str, str]]:
    """subject id -> (e-mail, language), newest e-mail first; one query for the batch."""
    from tutela.subjects.models import DataItem

    out: dict[int, tuple[str, str]] = {}
    rows = (
        DataItem.objects.filter(
            subject_id__in=subject_ids,
            category=EMAIL_CATEGORY,
            status__in=(DataItem.Status.ACTIVE, DataItem.Status.RESTRICTED),
            subject__erased_at__isnull=True,
        )
        .order_by("subject_id", "-collected_at", "-id")
        .values_list("subject_id", "value", "subject__language")
    )
    for subject_id, value, language in rows:
        if subject_id not in out and value:
            out[subject_id] = (value, language if language in LANGUAGES else "en")
    return out


def policy_change_message(*, to: str, language: str, version: Any, previous: int | None) -> Any:
    base = settings.TUTELA_BASE_URL
    from tutela.policy.selectors import active_policy

    policy = active_policy()
    context = {
        "org": policy.organisation.name,
        "label": version.label,
        "effective": version.effective,
        "summary": version.change_summary,
        "policy_url": f"{base}/{language}/policy/",
        "diff_url": f"{base}/{language}/policy/diff/?a={previous}&b={version.number}" if previous else "",
        "dpo_email": policy.dpo.email,
    }
    with translation.override(language):
        subject = render_to_string("portal/mail/policy_change_subject.txt", context).strip()
        text = render_to_string("portal/mail/policy_change.txt", context)
    return build_message(
        to=[to],
        subject=subject,
        text=text,
        language=language,
        reply_to=[policy.dpo.email],
        headers={"X-Tutela-Notice": f"policy-change v{version.number}"},
    )


def policy_change_send(*, version_number: int, batch: int = BATCH, principal: Principal) -> dict[str, int]:
    """Send the pending notices of a version in batches; returns counts by outcome (a group-wide principal:
    it reads every entity's addresses)."""
    require_group_wide(principal, "telling everyone of a policy change")
    from tutela.policy.models import PolicyVersion

    version = PolicyVersion.objects.get(number=version_number)
    previous = (
        PolicyVersion.objects.filter(number__lt=version_number)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    counts = {"sent": 0, "no_address": 0, "failed": 0}
    last_id = 0
    while True:
        rows = list(
            PolicyChangeNotice.objects.filter(
                version_number=version_number, state=PolicyChangeNotice.State.PENDING, id__gt=last_id
            )
            .order_by("id")
            .values_list("id", "subject_id")[:batch]
        )
        if not rows:
            break
        last_id = rows[-1][0]
        addresses = _addresses([s for _, s in rows])
        now = clock.now()
        sent: list[int] = []
        failed: list[int] = []
        missing = [i for i, s in rows if s not in addresses]
        with get_connection() as connection:
            for notice_id, subject_id in rows:
                if subject_id not in addresses:
                    continue
                email, language = addresses[subject_id]
                message = policy_change_message(
                    to=email, language=language, version=version, previous=previous
                )
                message.connection = connection
                try:
                    message.send(fail_silently=False)
                except Exception as exc:  # one refused address must not stop the batch
                    log.warning("policy change notice %s: %s", notice_id, type(exc).__name__)
                    failed.append(notice_id)
                else:
                    sent.append(notice_id)
        with transaction.atomic():
            Notice = PolicyChangeNotice
            Notice.objects.filter(id__in=sent).update(state=Notice.State.SENT, sent_at=now, attempts=1)
            Notice.objects.filter(id__in=missing).update(state=Notice.State.NO_ADDRESS)
            Notice.objects.filter(id__in=failed).update(
                state=Notice.State.FAILED, error="smtp refused", attempts=1
            )
            audit_log(
                "policy.change_notice_batch",
                object_type="policy_version",
                object_id=version_number,
                payload={"sent": len(sent), "no_address": len(missing), "failed": len(failed)},
                actor=principal.actor,
            )
        counts["sent"] += len(sent)
        counts["no_address"] += len(missing)
        counts["failed"] += len(failed)
    return counts
