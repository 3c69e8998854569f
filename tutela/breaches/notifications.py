"""Notification drafts (Art. 33(3) to the authority, Art. 34(2) to the people) and the sending to the people.

The people found in the register for a breach each get an e-mail in their language, sent in batches by a
background task and tracked per person; where individual contact would be a disproportionate effort (or
nobody can be reached by e-mail), a public notice is drafted instead.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count

from tutela.accounts.permissions import require_manage_breaches
from tutela.accounts.principal import Principal
from tutela.breaches import texts
from tutela.breaches.models import Breach, BreachSubject, SubjectCommunication, SubjectNotice
from tutela.core import clock
from tutela.core.audit import AuditRecord, audit_log, audit_many
from tutela.core.errors import FieldError, NotFound, Refused

BATCH_SIZE = 200


def _category_names(breach: Breach, policy: Any) -> list[str]:
    names = []
    for key in breach.data_types or []:
        cat = policy.category(key)
        names.append(f"{cat.name} ({key})" if cat and policy.categories.get(key) else key)
    return names


def _latest_assessment(breach: Breach) -> dict[str, Any] | None:
    row = breach.assessments.order_by("-at", "-id").first()
    return row.result if row else None


def authority_content(breach: Breach, policy: Any, *, phase: str, additional: str = "") -> dict[str, Any]:
    """What Art. 33(3) requires, from what the register knows now; gaps are named, to follow in phases."""
    assessment = _latest_assessment(breach)
    missing = []
    for label, value in (
        ("likely consequences", breach.likely_consequences),
        ("measures taken", breach.measures_taken),
        ("data categories", breach.data_types),
        ("number of people", breach.people_concerned),
    ):
        if value in (None, "", []):
            missing.append(label)
    controller = policy.controllers.get(breach.controller) if breach.controller else None
    return {
        "phase": phase,
        "breach": breach.pk,
        "controller": controller.name
        if controller
        else ", ".join(c.name for c in policy.controllers.values()),
        "authority": policy.authority.name,
        "nature": breach.nature or breach.description,
        "incident_type": breach.get_incident_type_display(),
        "detected_at": breach.detected_at.isoformat(),
        "aware_at": breach.aware_at.isoformat(),
        "categories_of_data": _category_names(breach, policy),
        "approximate_people": breach.people_concerned,
        "approximate_records": breach.records_concerned,
        "dpo": {"name": policy.dpo.name, "email": policy.dpo.email, "phone": policy.dpo.phone},
        "likely_consequences": breach.likely_consequences
        or (
            "; ".join(
                r
                for r in assessment["reasons"]
                if r.startswith(("Confidentiality", "Availability", "Integrity"))
            )
            if assessment
            else ""
        ),
        "measures_taken": breach.measures_taken,
        "measures_proposed": breach.measures_proposed,
        "severity": assessment["severity"] if assessment else None,
        "people_informed": bool(breach.subjects_notified_at),
        "processor_report": {"processor": breach.processor, "at": breach.processor_reported_at.isoformat()}
        if breach.processor and breach.processor_reported_at
        else None,
        "additional": additional,
        "to_follow": missing,
    }


def authority_text(content: dict[str, Any]) -> str:
    """The notification as plain text, to paste into the authority's form or send."""
    dpo = content["dpo"]
    lines = [
        f"Notification of a personal-data breach to the {content['authority']} ({content['phase'].replace('_', '-')})",
        f"Controller: {content['controller']}",
        f"Breach reference: {content['breach']}",
        f"Detected: {content['detected_at']}  Controller aware: {content['aware_at']}",
        "",
        f"(a) Nature of the breach: {content['incident_type']}. {content['nature']}",
        f"    Categories of data: {', '.join(content['categories_of_data']) or 'to follow'}",
        f"    Approximate number of people: {content['approximate_people'] if content['approximate_people'] is not None else 'to follow'}",
        f"    Approximate number of records: {content['approximate_records'] if content['approximate_records'] is not None else 'to follow'}",
        f"(b) Data protection officer: {dpo['name']}, {dpo['email']}{', ' + dpo['phone'] if dpo.get('phone') else ''}",
        f"(c) Likely consequences: {content['likely_consequences'] or 'to follow'}",
        f"(d) Measures taken: {content['measures_taken'] or 'to follow'}",
        f"    Measures proposed: {content['measures_proposed'] or 'to follow'}",
    ]
    if content.get("processor_report"):
        pr = content["processor_report"]
        lines.append(f"Reported to us by the processor {pr['processor']} at {pr['at']}.")
    if content.get("additional"):
        lines += ["", content["additional"]]
    if content["to_follow"]:
        lines += [
            "",
            "Information to follow in a later phase (Art. 33(4)): " + ", ".join(content["to_follow"]) + ".",
        ]
    return "\n".join(lines)


def people_texts(breach: Breach, policy: Any) -> dict[str, dict[str, str]]:
    facts = {
        "nature": breach.nature or breach.description,
        "categories": ", ".join(_category_names(breach, policy)),
        "consequences": breach.likely_consequences,
        "measures": "\n".join(x for x in (breach.measures_taken, breach.measures_proposed) if x),
    }
    dpo = {"name": policy.dpo.name, "email": policy.dpo.email}
    return {
        lang: texts.people_text(
            lang, organisation=policy.organisation.name, facts=facts, dpo=dpo, authority=policy.authority.name
        )
        for lang in texts.LANGUAGES
    }


def breach_notify_subjects(
    *, principal: Principal, breach_id: int, public_notice: bool = False
) -> SubjectCommunication:
    """Tell the people (Art. 34): an e-mail to each person found in the register, or a public notice."""
    require_manage_breaches(principal)
    from tutela.policy.selectors import active_policy

    policy = active_policy()
    with transaction.atomic():
        breach = Breach.objects.select_for_update().filter(pk=breach_id).first()
        if breach is None:
            raise NotFound(f"no breach {breach_id}", errors=[FieldError("no such breach", field="id")])
        if breach.notify_subjects is None:
            raise Refused("assess the breach first: the duty to tell the people is not known")
        people = list(
            BreachSubject.objects.filter(breach=breach, subject__erased_at__isnull=True).values_list(
                "subject_id", "subject__language"
            )
        )
        channel = SubjectCommunication.Channel.EMAIL
        if public_notice or not people:
            channel = SubjectCommunication.Channel.PUBLIC_NOTICE
        comm = SubjectCommunication.objects.create(
            breach=breach,
            channel=channel,
            at=clock.now(),
            texts=people_texts(breach, policy),
            total=len(people) if channel == SubjectCommunication.Channel.EMAIL else 0,
            actor=principal.actor,
        )
        if channel == SubjectCommunication.Channel.EMAIL:
            SubjectNotice.objects.bulk_create(
                [
                    SubjectNotice(
                        communication=comm, subject_id=sid, language=lang if lang in texts.LANGUAGES else "en"
                    )
                    for sid, lang in people
                ],
                batch_size=1000,
            )
            transaction.on_commit(lambda: _enqueue(comm.pk))
        breach.subjects_notified_at = comm.at
        breach.save(update_fields=["subjects_notified_at"])
        breach.events.create(
            at=comm.at,
            kind="subjects_notified",
            text=f"People told by {'e-mail' if channel == 'email' else 'public notice'} ({comm.total} people).",
            actor=principal.actor,
        )
        audit_log(
            "breach.notify_subjects",
            object_type="breach",
            object_id=breach.pk,
            payload={"channel": channel, "people": comm.total},
            actor=principal.actor,
        )
    return comm


def breach_notices_retry(*, principal: Principal, breach_id: int) -> SubjectCommunication:
    """Send again the e-mails of the latest communication that failed (a mail server down, a full mailbox)."""
    require_manage_breaches(principal)
    with transaction.atomic():
        comm = (
            SubjectCommunication.objects.select_for_update()
            .filter(breach_id=breach_id, channel=SubjectCommunication.Channel.EMAIL)
            .order_by("-at", "-id")
            .first()
        )
        if comm is None:
            raise NotFound(
                "no e-mail communication for this breach", errors=[FieldError("none sent", field="id")]
            )
        count = SubjectNotice.objects.filter(communication=comm, state=SubjectNotice.State.FAILED).update(
            state=SubjectNotice.State.PENDING, error=""
        )
        audit_log(
            "breach.notices_retry",
            object_type="breach",
            object_id=breach_id,
            payload={"notices": count},
            actor=principal.actor,
        )
        transaction.on_commit(lambda: _enqueue(comm.pk))
    return comm


def _enqueue(communication_id: int) -> None:
    from tutela.breaches.tasks import send_subject_notices

    send_subject_notices.enqueue(communication_id)


def send_pending_notices(
    communication_id: int, *, principal: Principal, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Send the pending notices of a communication, batch by batch; each person's state is recorded (the
    worker passes its own principal: it reads the people's addresses)."""
    require_manage_breaches(principal)
    from django.core.mail import get_connection

    from tutela.core.mail import build_message
    from tutela.subjects.models import DataItem

    comm = SubjectCommunication.objects.get(pk=communication_id)
    while True:
        batch = list(
            SubjectNotice.objects.filter(communication=comm, state=SubjectNotice.State.PENDING).order_by(
                "id"
            )[:batch_size]
        )
        if not batch:
            break
        emails: dict[int, str] = {}
        for sid, value in (
            DataItem.objects.filter(
                subject_id__in=[n.subject_id for n in batch], category="user.contact.email", status="active"
            )
            .order_by("subject_id", "-updated_at")
            .values_list("subject_id", "value")
        ):
            emails.setdefault(sid, value)
        now = clock.now()
        connection: Any = get_connection()
        down = ""
        try:
            connection.open()
        except Exception as exc:  # the mail server is down: the whole batch failed, to retry later
            down = str(exc)[:300] or type(exc).__name__
            connection = None
        for notice in batch:
            address = emails.get(notice.subject_id)
            if not address:
                notice.state = SubjectNotice.State.NO_ADDRESS
                continue
            if connection is None:
                notice.state, notice.error = SubjectNotice.State.FAILED, down
                continue
            text = comm.texts.get(notice.language) or comm.texts["en"]
            message = build_message(
                to=[address], subject=text["subject"], text=text["body"], language=notice.language
            )
            message.connection = connection
            try:
                message.send(fail_silently=False)
                notice.state, notice.sent_at = SubjectNotice.State.SENT, now
            except Exception as exc:  # one bad address must not stop the others
                notice.state, notice.error = SubjectNotice.State.FAILED, str(exc)[:300]
        if connection is not None:
            connection.close()
        with transaction.atomic():
            SubjectNotice.objects.bulk_update(batch, ["state", "sent_at", "error"])
            audit_many(
                [
                    AuditRecord(
                        "breach.notice",
                        "breach",
                        comm.breach_id,
                        subject_id=n.subject_id,
                        payload={"state": n.state, "language": n.language},
                        actor=principal.actor,
                    )
                    for n in batch
                ]
            )
    counts = dict(
        SubjectNotice.objects.filter(communication=comm)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    audit_log(
        "breach.notices_sent",
        object_type="breach",
        object_id=comm.breach_id,
        payload=counts,
        actor=principal.actor,
    )
    return {state: counts.get(state, 0) for state in SubjectNotice.State.values}
