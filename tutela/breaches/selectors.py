"""Reads of the breach register: lists, one breach in full, the open clocks, the register export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.db.models import Count, Prefetch, Q

from tutela.accounts.permissions import require_read_breaches
from tutela.accounts.principal import Principal
from tutela.breaches import clocks
from tutela.breaches.models import Breach, RecommendedChange
from tutela.core import clock
from tutela.core.csvsafe import csv_safe  # also imported from here by callers and tests
from tutela.core.errors import FieldError, NotFound


def _hours() -> tuple[int, int]:
    from tutela.policy.selectors import active_policy

    procedure = active_policy().breach
    return procedure.investigation_hours, procedure.authority_notification_hours


def identified_at(breach: Breach) -> Any:
    """When the group identified the incident or a processor reported it (§12.2), whichever came first."""
    return min(t for t in (breach.detected_at, breach.processor_reported_at) if t is not None)


def breach_clocks(breach: Breach, *, now: Any = None, hours: tuple[int, int] | None = None) -> dict[str, Any]:
    """The investigation and authority clocks of one breach, with their states."""
    now = now or clock.now()
    inv_hours, auth_hours = hours or _hours()
    investigation = clocks.state_of(
        name="investigation",
        started_at=identified_at(breach),
        hours=inv_hours,
        now=now,
        done_at=breach.investigation_started_at,
    )
    out: dict[str, Any] = {"investigation": investigation.as_dict()}
    if breach.notify_authority is False or breach.is_personal_data_breach is False:
        out["authority"] = {"clock": "authority", "state": "not_required", "due": None}
    else:
        out["authority"] = clocks.state_of(
            name="authority",
            started_at=breach.aware_at,
            hours=auth_hours,
            now=now,
            done_at=breach.authority_notified_at,
        ).as_dict()
    return out


def _iso(value: Any) -> str:
    return str(value.replace(microsecond=0).isoformat())


def breach_row(breach: Breach, *, now: Any = None, hours: tuple[int, int] | None = None) -> dict[str, Any]:
    return {
        "id": breach.pk,
        "summary": breach.summary,
        "incident_type": breach.incident_type,
        "status": breach.status,
        "urgency": breach.urgency,
        "controller": breach.controller,
        "people_concerned": breach.people_concerned,
        "severity": breach.severity or None,
        "notify_authority": breach.notify_authority,
        "notify_subjects": breach.notify_subjects,
        "detected_at": _iso(breach.detected_at),
        "aware_at": _iso(breach.aware_at),
        "reported_at": _iso(breach.reported_at),
        "clocks": breach_clocks(breach, now=now, hours=hours),
    }


def breach_list(
    *, principal: Principal, status: str | None = None, open_only: bool = False
) -> list[dict[str, Any]]:
    require_read_breaches(principal)
    qs = Breach.objects.all()
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.exclude(status=Breach.Status.CLOSED)
    now, hours = clock.now(), _hours()
    return [breach_row(b, now=now, hours=hours) for b in qs]


def open_breach_clocks(*, principal: Principal) -> list[dict[str, Any]]:
    """Open breaches whose investigation or authority clock still runs, most urgent first (dashboard)."""
    require_read_breaches(principal)
    now, hours = clock.now(), _hours()
    qs = Breach.objects.exclude(status=Breach.Status.CLOSED).filter(
        Q(investigation_started_at__isnull=True)
        | (
            Q(authority_notified_at__isnull=True)
            & ~Q(notify_authority=False)
            & ~Q(is_personal_data_breach=False)
        )
    )
    rows = []
    for b in qs.only(
        "id",
        "summary",
        "status",
        "detected_at",
        "aware_at",
        "investigation_started_at",
        "authority_notified_at",
        "notify_authority",
        "is_personal_data_breach",
        "processor_reported_at",
    ):
        c = breach_clocks(b, now=now, hours=hours)
        running = [x for x in c.values() if x["state"] in (clocks.ON_TIME, clocks.DUE_SOON, clocks.OVERDUE)]
        if not running:
            continue
        nearest = min(running, key=lambda x: x["hours_left"])
        rows.append({"id": b.pk, "summary": b.summary, "status": b.status, "next": nearest, **c})
    rank = {clocks.OVERDUE: 0, clocks.DUE_SOON: 1, clocks.ON_TIME: 2}
    rows.sort(key=lambda r: (rank[r["next"]["state"]], r["next"]["hours_left"]))
    return rows


def breach_detail(breach_id: int, *, principal: Principal) -> dict[str, Any]:
    require_read_breaches(principal)
    breach = (
        Breach.objects.filter(pk=breach_id)
        .annotate(n_affected=Count("affected"))
        .prefetch_related(
            "events",
            "assessments",
            "authority_notifications",
            "communications",
            Prefetch("changes", queryset=RecommendedChange.objects.order_by("created_at", "id")),
        )
        .first()
    )
    if breach is None:
        raise NotFound(f"no breach {breach_id}", errors=[FieldError("no such breach", field="id")])
    data = breach_row(breach)
    data.update(
        {
            "description": breach.description,
            "reporter": {
                "name": breach.reporter_name,
                "address": breach.reporter_address,
                "email": breach.reporter_email,
                "phone": breach.reporter_phone,
            },
            "processor": {"name": breach.processor, "reported_at": breach.processor_reported_at.isoformat()}
            if breach.processor and breach.processor_reported_at
            else None,
            "investigation": {
                "started_at": breach.investigation_started_at.isoformat()
                if breach.investigation_started_at
                else None,
                "nature": breach.nature,
                "data_types": breach.data_types,
                "personal_data_affected": breach.personal_data_affected,
                "is_personal_data_breach": breach.is_personal_data_breach,
                "records_concerned": breach.records_concerned,
                "subjects_found": breach.n_affected,  # type: ignore[attr-defined]
            },
            "assessments": [
                {
                    "at": a.at.isoformat(),
                    "rules_version": a.rules_version,
                    "facts": a.facts,
                    "result": a.result,
                }
                for a in breach.assessments.all()
            ],
            "authority_notifications": [
                {
                    "number": n.number,
                    "phase": n.phase,
                    "at": n.at.isoformat(),
                    "late": n.late,
                    "delay_reasons": n.delay_reasons,
                    "text": n.text,
                }
                for n in breach.authority_notifications.all()
            ],
            "communications": [
                {
                    "channel": c.channel,
                    "at": c.at.isoformat(),
                    "total": c.total,
                    "delivery": communication_states(c.pk),
                }
                for c in breach.communications.all()
            ],
            "register": register_fields(breach),
        }
    )
    return data


def communication_states(communication_id: int) -> dict[str, int]:
    from tutela.breaches.models import SubjectNotice

    rows = (
        SubjectNotice.objects.filter(communication_id=communication_id)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return {state: n for state, n in rows}


def register_fields(breach: Breach) -> dict[str, Any]:
    return {
        "main_cause": breach.main_cause,
        "contributing_factors": breach.contributing_factors,
        "chronology": [{"at": e.at.isoformat(), "kind": e.kind, "text": e.text} for e in breach.events.all()],
        "responses": breach.responses,
        "recommendations": breach.recommendations,
        "lessons_learned": breach.lessons_learned,
        "recommended_changes": [
            {
                "id": c.pk,
                "description": c.description,
                "state": c.state,
                "owner": c.owner,
                "implemented_at": c.implemented_at.isoformat() if c.implemented_at else None,
            }
            for c in breach.changes.all()
        ],
        "dpo_review": breach.dpo_review,
        "dpo_reviewed_at": breach.dpo_reviewed_at.isoformat() if breach.dpo_reviewed_at else None,
        "notified_authority": breach.authority_notified_at.isoformat()
        if breach.authority_notified_at
        else None,
        "notified_subjects": breach.subjects_notified_at.isoformat() if breach.subjects_notified_at else None,
        "not_notified_reason": breach.no_notification_reason,
    }


def register_entries(*, principal: Principal) -> list[dict[str, Any]]:
    """Every breach, notified or not, with the §12.3 fields (three queries whatever the size)."""
    require_read_breaches(principal)
    qs = Breach.objects.order_by("reported_at", "id").prefetch_related(
        "events", Prefetch("changes", queryset=RecommendedChange.objects.order_by("created_at", "id"))
    )
    rows = []
    for b in qs:
        rows.append(
            {
                "id": b.pk,
                "reported_at": b.reported_at.isoformat(),
                "aware_at": b.aware_at.isoformat(),
                "summary": b.summary,
                "incident_type": b.incident_type,
                "controller": b.controller,
                "status": b.status,
                "people_concerned": b.people_concerned,
                "data_types": b.data_types,
                "severity": b.severity or None,
                "notify_authority": b.notify_authority,
                "notify_subjects": b.notify_subjects,
                "authority_delay_reasons": b.authority_delay_reasons,
                **register_fields(b),
            }
        )
    return rows


CSV_COLUMNS = [
    "id", "reported_at", "aware_at", "summary", "incident_type", "controller", "status", "people_concerned",
    "data_types", "severity", "notify_authority", "notify_subjects", "notified_authority",
    "authority_delay_reasons", "notified_subjects", "not_notified_reason", "main_cause", "contributing_factors",
    "chronology", "responses", "recommendations", "lessons_learned", "recommended_changes", "dpo_review",
    "dpo_reviewed_at",
]  # fmt: skip


def _flat(key: str, value: Any) -> Any:
    if key == "chronology":
        return " | ".join(f"{e['at']} {e['kind']}: {e['text']}" for e in value)
    if key == "recommended_changes":
        return " | ".join(f"{c['description']} [{c['state']}]" for c in value)
    if key == "data_types":
        return ", ".join(value)
    return value


def register_export(fmt: str, *, principal: Principal) -> str:
    rows = register_entries(principal=principal)
    if fmt == "json":
        return json.dumps({"breaches": rows, "count": len(rows)}, ensure_ascii=False, indent=2)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([csv_safe(_flat(c, row.get(c))) for c in CSV_COLUMNS])
    return out.getvalue()
