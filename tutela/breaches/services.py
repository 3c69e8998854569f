"""Every change to the breach register: one service per use case, audited in the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tutela.accounts.permissions import require_manage_breaches, require_report_breach
from tutela.accounts.principal import Principal
from tutela.breaches import clocks
from tutela.breaches.assessment import RULES_VERSION, assess, validate_facts
from tutela.breaches.facts import policy_keys
from tutela.breaches.models import (
    AuthorityNotification,
    Breach,
    BreachAssessment,
    BreachEvent,
    BreachSubject,
    IncidentType,
    RecommendedChange,
)
from tutela.core import clock
from tutela.core.audit import AuditRecord, audit_log, audit_many
from tutela.core.errors import FieldError, InvalidInput, NotFound, Refused

REGISTER_FIELDS = (
    "main_cause",
    "contributing_factors",
    "responses",
    "recommendations",
    "lessons_learned",
    "likely_consequences",
    "measures_taken",
    "measures_proposed",
    "no_notification_reason",
)


def _policy() -> Any:
    from tutela.policy.selectors import active_policy

    return active_policy()


def _get(breach_id: int, *, lock: bool = False) -> Breach:
    qs = Breach.objects.select_for_update() if lock else Breach.objects
    try:
        return qs.get(pk=breach_id)
    except (Breach.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"no breach {breach_id}", errors=[FieldError("no such breach", field="id")]) from None


def _event(breach: Breach, kind: str, text: str, at: dt.datetime | None = None, *, actor: str) -> BreachEvent:
    return BreachEvent.objects.create(breach=breach, at=at or clock.now(), kind=kind, text=text, actor=actor)


def _aware(value: dt.datetime | None, field: str, errors: list[FieldError]) -> dt.datetime | None:
    if value is None:
        return None
    value = clock.as_aware(value)
    if value > clock.now() + dt.timedelta(minutes=5):
        errors.append(FieldError("is in the future", field=field))
    return value


@dataclass(frozen=True)
class Reporter:
    name: str
    address: str
    phone: str
    email: str = ""


def breach_report(
    *,
    principal: Principal,
    reporter: Reporter,
    incident_type: str,
    description: str,
    people_concerned: int | None,
    detected_at: dt.datetime | None = None,
    aware_at: dt.datetime | None = None,
    summary: str = "",
    controller: str = "",
    processor: str = "",
    processor_reported_at: dt.datetime | None = None,
    facts: dict[str, Any] | None = None,
) -> Breach:
    """Record a report of a possible breach (§12.1), marked high urgency; the DPO is e-mailed on commit.

    ``facts`` (breach-facts schema), when the reporter already knows them, are assessed at once.
    """
    require_report_breach(principal)
    errors: list[FieldError] = []
    if facts is not None:
        errors += [
            FieldError(m, field=f"facts.{f}")
            for f, m in validate_facts(facts, extra_keys=frozenset(_policy().categories))
        ]
    for name, value in (("reporter.name", reporter.name), ("reporter.address", reporter.address)):
        if not (value or "").strip():
            errors.append(FieldError("is required", field=name))
    if not (reporter.phone or "").strip():
        errors.append(FieldError("is required (a telephone number to call back)", field="reporter.phone"))
    if reporter.email:
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(reporter.email, check_deliverability=False)
        except EmailNotValidError as exc:
            errors.append(FieldError(str(exc), field="reporter.email"))
    if incident_type not in IncidentType.values:
        errors.append(FieldError(f"must be one of {', '.join(IncidentType.values)}", field="incident_type"))
    if len((description or "").strip()) < 10:
        errors.append(FieldError("a complete and detailed description is required", field="description"))
    if people_concerned is not None and (not isinstance(people_concerned, int) or people_concerned < 0):
        errors.append(FieldError("must be a whole number, 0 or more", field="people_concerned"))
    if controller:
        controllers = _policy().controllers
        if controller not in controllers:
            errors.append(
                FieldError(f"unknown controller (one of {', '.join(controllers)})", field="controller")
            )
    now = clock.now()
    detected = _aware(detected_at, "detected_at", errors)
    aware = _aware(aware_at, "aware_at", errors)
    processor_at = _aware(processor_reported_at, "processor_reported_at", errors)
    if processor and processor_at is None:
        processor_at = now
    if processor_at and not processor:
        errors.append(FieldError("give the processor's name with the time of its report", field="processor"))
    if errors:
        raise InvalidInput("the breach report is incomplete or invalid", errors=errors)
    detected = detected or now
    # The controller is aware when its staff identifies the incident or a processor tells it (Art. 33(2)).
    aware = aware or min(d for d in (detected, processor_at or detected) if d)
    summary = (summary or description.strip().splitlines()[0])[:300]
    with transaction.atomic():
        breach = Breach.objects.create(
            controller=controller,
            summary=summary,
            incident_type=incident_type,
            description=description.strip(),
            people_concerned=people_concerned,
            urgency="high",
            reporter_name=reporter.name.strip(),
            reporter_address=reporter.address.strip(),
            reporter_email=(reporter.email or "").strip(),
            reporter_phone=reporter.phone.strip(),
            processor=processor,
            processor_reported_at=processor_at,
            detected_at=detected,
            aware_at=aware,
            reported_at=now,
            created_by=principal.actor,
        )
        _event(breach, "detected", "The incident was detected.", detected, actor=principal.actor)
        if processor:
            _event(
                breach,
                "processor_report",
                f"The processor {processor} reported the breach (Art. 33(2)).",
                processor_at,
                actor=principal.actor,
            )
        _event(
            breach,
            "reported",
            f"Reported to the DPO by {breach.reporter_name}; high urgency.",
            now,
            actor=principal.actor,
        )
        audit_log(
            "breach.report",
            object_type="breach",
            object_id=breach.pk,
            payload={
                "incident_type": incident_type,
                "people_concerned": people_concerned,
                "processor": bool(processor),
            },
            actor=principal.actor,
        )
        _alert_dpo(breach)
        if facts is not None:
            breach_assess(principal=principal, breach_id=breach.pk, facts=facts)
            breach.refresh_from_db()
    return breach


def _alert_dpo(breach: Breach) -> None:
    from tutela.breaches.texts import dpo_alert
    from tutela.core.mail import build_message, send_on_commit

    policy = _policy()
    to = list(dict.fromkeys([policy.breach.report_to, policy.dpo.email]))
    subject, body = dpo_alert(marker=policy.breach.urgency_marker, breach=breach)
    send_on_commit(
        build_message(
            to=to,
            subject=subject,
            text=body,
            headers={"Importance": "high", "X-Priority": "1 (Highest)", "Priority": "urgent"},
        )
    )


def breach_start_investigation(
    *, principal: Principal, breach_id: int, at: dt.datetime | None = None
) -> Breach:
    require_manage_breaches(principal)
    with transaction.atomic():
        breach = _get(breach_id, lock=True)
        if breach.investigation_started_at:
            raise Refused(
                "the investigation has already started", errors=[FieldError("already started", field="id")]
            )
        when = clock.as_aware(at) if at else clock.now()
        breach.investigation_started_at = when
        breach.status = Breach.Status.INVESTIGATING
        breach.save(update_fields=["investigation_started_at", "status"])
        hours = _policy().breach.investigation_hours
        from tutela.breaches.selectors import identified_at

        late = clocks.due_after(identified_at(breach), hours) < when
        _event(
            breach,
            "investigation_started",
            "Investigation started" + (f" (later than {hours} hours)" if late else "."),
            when,
            actor=principal.actor,
        )
        audit_log(
            "breach.investigate",
            object_type="breach",
            object_id=breach.pk,
            payload={"late": late},
            actor=principal.actor,
        )
    return breach


def breach_record_investigation(
    *,
    principal: Principal,
    breach_id: int,
    nature: str | None = None,
    data_types: list[str] | None = None,
    personal_data_affected: bool | None = None,
    is_personal_data_breach: bool | None = None,
    people_concerned: int | None = None,
    records_concerned: int | None = None,
    identifiers: list[str] | None = None,
) -> dict[str, Any]:
    """Record what the investigation found (§12.2); people named by identifiers are linked to the register."""
    require_manage_breaches(principal)
    from tutela.breaches.taxonomy import known_keys

    errors: list[FieldError] = []
    extra = frozenset(_policy().categories)
    for i, key in enumerate(data_types or []):
        if key not in known_keys() and key not in extra:
            errors.append(FieldError(f"unknown data category {key!r}", field=f"data_types[{i}]"))
    for name, value in (("people_concerned", people_concerned), ("records_concerned", records_concerned)):
        if value is not None and value < 0:
            errors.append(FieldError("must be 0 or more", field=name))
    if errors:
        raise InvalidInput("invalid investigation record", errors=errors)
    found: list[int] = []
    unknown = 0
    if identifiers:
        from tutela.subjects.selectors import resolve_identifier  # the register, imported when needed

        for raw in identifiers:
            subject = resolve_identifier(raw)
            if subject is None:
                unknown += 1
            else:
                found.append(subject.pk)
    with transaction.atomic():
        breach = _get(breach_id, lock=True)
        fields: list[str] = []
        updates: tuple[tuple[str, Any], ...] = (
            ("nature", nature),
            ("data_types", data_types),
            ("personal_data_affected", personal_data_affected),
            ("is_personal_data_breach", is_personal_data_breach),
            ("people_concerned", people_concerned),
            ("records_concerned", records_concerned),
        )
        for name, value in updates:
            if value is not None:
                setattr(breach, name, value)
                fields.append(name)
        if breach.investigation_started_at is None:
            breach.investigation_started_at = clock.now()
            breach.status = Breach.Status.INVESTIGATING
            fields += ["investigation_started_at", "status"]
        if is_personal_data_breach is False or personal_data_affected is False:
            # not a personal-data breach: nothing to notify, and the register says why (§12.3, Art. 33(5))
            breach.notify_authority = breach.notify_subjects = False
            if not breach.no_notification_reason:
                breach.no_notification_reason = (
                    "The investigation found no personal data affected: this is not a personal-data breach."
                    if personal_data_affected is False
                    else "The investigation found that this is not a personal-data breach."
                )
            fields += ["notify_authority", "notify_subjects", "no_notification_reason"]
        existing = set(
            BreachSubject.objects.filter(breach=breach, subject_id__in=found).values_list(
                "subject_id", flat=True
            )
        )
        new_ids = [s for s in dict.fromkeys(found) if s not in existing]
        BreachSubject.objects.bulk_create([BreachSubject(breach=breach, subject_id=s) for s in new_ids])
        audit_many(
            [
                AuditRecord("breach.subject_linked", "breach", breach.pk, subject_id=s, actor=principal.actor)
                for s in new_ids
            ]
        )
        breach.subjects_found = BreachSubject.objects.filter(breach=breach).count()
        fields.append("subjects_found")
        breach.save(update_fields=list(dict.fromkeys(fields)))
        _event(breach, "investigation", "Investigation findings recorded.", actor=principal.actor)
        audit_log(
            "breach.investigation",
            object_type="breach",
            object_id=breach.pk,
            payload={"fields": sorted(set(fields)), "linked": len(found), "not_found": unknown},
            actor=principal.actor,
        )
    return {
        "breach": breach.pk,
        "linked": len(set(found)),
        "not_found": unknown,
        "subjects_found": breach.subjects_found,
    }


def breach_assess(*, principal: Principal, breach_id: int, facts: dict[str, Any]) -> BreachAssessment:
    """Run the risk assessment on the facts and keep facts, result and rules version with the breach."""
    require_manage_breaches(principal)
    extra, special = policy_keys()
    problems = validate_facts(facts, extra_keys=extra)
    if problems:
        raise InvalidInput("invalid breach facts", errors=[FieldError(m, field=f) for f, m in problems])
    result = assess(facts, special=special)
    with transaction.atomic():
        breach = _get(breach_id, lock=True)
        row = BreachAssessment.objects.create(
            breach=breach,
            at=clock.now(),
            facts=facts,
            result={
                **result.as_json(),
                "risk": result.risk,
                "public_communication": result.public_communication,
            },
            rules_version=RULES_VERSION,
            actor=principal.actor,
        )
        breach.notify_authority = result.notify_authority
        breach.notify_subjects = result.notify_subjects
        breach.severity = result.severity
        breach.data_types = breach.data_types or list(facts["data_categories"])
        if breach.people_concerned is None:
            breach.people_concerned = facts["subjects_affected"]
        if breach.is_personal_data_breach is None:
            breach.is_personal_data_breach = True
            breach.personal_data_affected = True
        if not result.notify_authority and not breach.no_notification_reason:
            breach.no_notification_reason = next(
                (r for r in result.reasons if "unlikely to result in a risk" in r), result.reasons[-1]
            )
        if breach.status in (Breach.Status.REPORTED, Breach.Status.INVESTIGATING):
            breach.status = Breach.Status.ASSESSED
        if breach.investigation_started_at is None:
            breach.investigation_started_at = row.at
        breach.save()
        _event(
            breach,
            "assessed",
            f"Risk assessed: {result.severity.replace('_', ' ')} (score {result.score}); authority "
            f"{'to be notified' if result.notify_authority else 'not to be notified'}; people "
            f"{'to be told' if result.notify_subjects else 'not to be told'}.",
            actor=principal.actor,
        )
        audit_log(
            "breach.assess",
            object_type="breach",
            object_id=breach.pk,
            payload={"severity": result.severity, "score": result.score, "rules": RULES_VERSION},
            actor=principal.actor,
        )
    return row


def breach_update_register(*, principal: Principal, breach_id: int, **values: str) -> Breach:
    """Fill the register fields of §12.3 (cause, factors, responses, recommendations, lessons …)."""
    require_manage_breaches(principal)
    unknown = [k for k in values if k not in REGISTER_FIELDS]
    if unknown:
        raise InvalidInput(
            "unknown register field", errors=[FieldError("unknown field", field=k) for k in unknown]
        )
    with transaction.atomic():
        breach = _get(breach_id, lock=True)
        changed = [k for k, v in values.items() if v is not None]
        for k in changed:
            setattr(breach, k, values[k])
        breach.save(update_fields=changed or None)
        audit_log(
            "breach.register",
            object_type="breach",
            object_id=breach.pk,
            payload={"fields": changed},
            actor=principal.actor,
        )
    return breach


def breach_add_event(
    *, principal: Principal, breach_id: int, text: str, at: dt.datetime | None = None, kind: str = "note"
) -> BreachEvent:
    require_manage_breaches(principal)
    if not (text or "").strip():
        raise InvalidInput("empty event", errors=[FieldError("is required", field="text")])
    with transaction.atomic():
        breach = _get(breach_id)
        event = _event(breach, kind, text.strip(), clock.as_aware(at) if at else None, actor=principal.actor)
        audit_log(
            "breach.event",
            object_type="breach",
            object_id=breach.pk,
            payload={"kind": kind},
            actor=principal.actor,
        )
    return event


def breach_add_change(
    *, principal: Principal, breach_id: int, description: str, owner: str = ""
) -> RecommendedChange:
    require_manage_breaches(principal)
    if not (description or "").strip():
        raise InvalidInput("empty change", errors=[FieldError("is required", field="description")])
    with transaction.atomic():
        breach = _get(breach_id)
        now = clock.now()
        change = RecommendedChange.objects.create(
            breach=breach, description=description.strip(), owner=owner, created_at=now, updated_at=now
        )
        audit_log(
            "breach.change.add",
            object_type="breach",
            object_id=breach.pk,
            payload={"change": change.pk},
            actor=principal.actor,
        )
    return change


def breach_change_update(*, principal: Principal, change_id: int, state: str) -> RecommendedChange:
    require_manage_breaches(principal)
    if state not in RecommendedChange.State.values:
        raise InvalidInput(
            "bad state",
            errors=[FieldError(f"one of {', '.join(RecommendedChange.State.values)}", field="state")],
        )
    with transaction.atomic():
        change = RecommendedChange.objects.select_for_update().filter(pk=change_id).first()
        if change is None:
            raise NotFound(f"no recommended change {change_id}")
        change.state = state
        change.updated_at = clock.now()
        change.implemented_at = change.updated_at if state == RecommendedChange.State.IMPLEMENTED else None
        change.save()
        audit_log(
            "breach.change.update",
            object_type="breach",
            object_id=change.breach_id,
            payload={"change": change.pk, "state": state},
            actor=principal.actor,
        )
    return change


def breach_dpo_review(*, principal: Principal, breach_id: int, text: str, close: bool = False) -> Breach:
    """The DPO's review of the follow-up given to the breach (§12.3); may close it."""
    require_manage_breaches(principal)
    if not (text or "").strip():
        raise InvalidInput("empty review", errors=[FieldError("is required", field="text")])
    with transaction.atomic():
        breach = _get(breach_id, lock=True)
        if close and breach.notify_authority is None:
            raise Refused(
                "assess the breach before closing it", errors=[FieldError("not assessed", field="id")]
            )
        if close and breach.notify_authority and breach.authority_notified_at is None:
            raise Refused("the authority must be notified before the breach is closed")
        if close and not breach.notify_authority and not breach.no_notification_reason:
            raise Refused("record why the authority was not notified before closing")
        if close and breach.notify_subjects and breach.subjects_notified_at is None:
            raise Refused("the people concerned must be told before the breach is closed")
        breach.dpo_review = text.strip()
        breach.dpo_reviewed_at = clock.now()
        breach.dpo_reviewed_by = principal.actor
        if close:
            breach.status = Breach.Status.CLOSED
            breach.closed_at = breach.dpo_reviewed_at
        breach.save()
        _event(
            breach,
            "dpo_review",
            "DPO follow-up review recorded" + ("; breach closed." if close else "."),
            actor=principal.actor,
        )
        audit_log(
            "breach.review",
            object_type="breach",
            object_id=breach.pk,
            payload={"closed": close},
            actor=principal.actor,
        )
    return breach


def breach_notify_authority(
    *,
    principal: Principal,
    breach_id: int,
    phase: str = "initial",
    delay_reasons: str = "",
    at: dt.datetime | None = None,
    additional: str = "",
) -> AuthorityNotification:
    """Record a notification to the authority with its Art. 33(3) content; refuse a late one without reasons."""
    require_manage_breaches(principal)
    from tutela.breaches.notifications import authority_content, authority_text

    if phase not in AuthorityNotification.Phase.values:
        raise InvalidInput("bad phase", errors=[FieldError("initial or follow_up", field="phase")])
    with transaction.atomic():
        breach = _get(breach_id, lock=True)
        when = clock.as_aware(at) if at else clock.now()
        count = breach.authority_notifications.count()
        if phase == "initial" and count:
            raise Refused("the initial notification was already made: send a follow_up")
        if phase == "follow_up" and not count:
            raise Refused("make the initial notification first")
        hours = _policy().breach.authority_notification_hours
        late = phase == "initial" and clocks.is_late(aware_at=breach.aware_at, at=when, hours=hours)
        if late and not delay_reasons.strip():
            raise Refused(
                f"the notification is past the {hours}-hour limit: the reasons for the delay are required (Art. 33(1))",
                errors=[FieldError("required for a late notification", field="delay_reasons")],
            )
        content = authority_content(breach, _policy(), phase=phase, additional=additional)
        note = AuthorityNotification.objects.create(
            breach=breach,
            phase=phase,
            number=count + 1,
            at=when,
            late=late,
            delay_reasons=delay_reasons.strip(),
            content=content,
            text=authority_text(content),
            actor=principal.actor,
        )
        if phase == "initial":
            breach.authority_notified_at = when
            breach.authority_delay_reasons = delay_reasons.strip()
            breach.save(update_fields=["authority_notified_at", "authority_delay_reasons"])
        _event(
            breach,
            "authority_notified",
            f"Authority notified ({phase}, no. {note.number}){' late' if late else ''}.",
            when,
            actor=principal.actor,
        )
        audit_log(
            "breach.notify_authority",
            object_type="breach",
            object_id=breach.pk,
            payload={"phase": phase, "number": note.number, "late": late},
            actor=principal.actor,
        )
    return note


def breach_decide(
    *, principal: Principal, breach_id: int, notify_authority: bool, notify_subjects: bool, reason: str
) -> Breach:
    """The group's decision on the duties (§12.2), which may depart from the assessment; the reason is kept."""
    require_manage_breaches(principal)
    if not (reason or "").strip():
        raise InvalidInput("a decision needs its reason", errors=[FieldError("is required", field="reason")])
    if notify_subjects and not notify_authority:
        raise InvalidInput(
            "telling the people without notifying the authority is not consistent: a high risk is also a risk",
            errors=[FieldError("must be true when the people are told", field="notify_authority")],
        )
    with transaction.atomic():
        breach = _get(breach_id, lock=True)
        before = (breach.notify_authority, breach.notify_subjects)
        breach.notify_authority, breach.notify_subjects = notify_authority, notify_subjects
        if not notify_authority:
            breach.no_notification_reason = reason.strip()
        breach.save(update_fields=["notify_authority", "notify_subjects", "no_notification_reason"])
        _event(
            breach,
            "decision",
            f"Decision: authority {'to be notified' if notify_authority else 'not notified'}, people "
            f"{'to be told' if notify_subjects else 'not told'}. Reason: {reason.strip()}",
            actor=principal.actor,
        )
        audit_log(
            "breach.decide",
            object_type="breach",
            object_id=breach.pk,
            payload={"before": list(before), "after": [notify_authority, notify_subjects]},
            actor=principal.actor,
        )
    return breach
