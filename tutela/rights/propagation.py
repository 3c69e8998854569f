"""Art. 19: tell every recipient the data were disclosed to about a rectification, erasure or restriction.

Notices are recorded in the request's transaction; when it commits, their delivery (e-mail or webhook) is
enqueued as a background task (``notices_deliver_task``), so it never runs inside the web request; each
delivery is tracked (status, attempts, last error). The list of recipients goes into the answer.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from tutela.accounts.permissions import require_write
from tutela.accounts.principal import Principal
from tutela.core import clock, crypto
from tutela.core.audit import audit_log
from tutela.core.errors import PermissionDenied
from tutela.rights import register
from tutela.rights.models import Notice, RightsRequest

EVENTS = {"rectification": "rectified", "erasure": "erased", "restriction": "restricted"}


def _field(r: dict[str, Any], *names: str) -> str:
    for n in names:
        if r.get(n):
            return str(r[n])
    return ""


def notices_plan(
    req: RightsRequest, *, categories: list[str], identifiers: dict[str, str], principal: Principal
) -> list[Notice]:
    """Record one notice per recipient of the person's data (idempotent per request and recipient)."""
    if req.subject_id is None or req.type not in EVENTS:
        return []
    out = []
    now = clock.now()
    seen: set[str] = set()
    for r in register.propagation_targets(req.subject_id):
        key = _field(r, "recipient", "key", "recipient_key", "id", "name")
        if not key or key in seen:
            continue
        seen.add(key)
        webhook = _field(r, "webhook_url", "webhook")
        email = _field(r, "contact_email", "email")
        channel, target = ("webhook", webhook) if webhook else (("email", email) if email else ("none", ""))
        notice, _ = Notice.objects.get_or_create(
            request=req,
            recipient=key,
            defaults={
                "channel": channel,
                "target": target,
                "status": "pending" if target else "unreachable",
                "created_at": now,
            },
        )
        notice.display_name = _field(r, "name") or key  # type: ignore[attr-defined]
        out.append(notice)
    if out:
        audit_log(
            "request.notices",
            object_type="request",
            object_id=req.pk,
            subject_id=req.subject_id,
            payload={"recipients": [n.recipient for n in out], "event": EVENTS[req.type]},
            actor=principal.actor,
        )
        body = {
            "event": EVENTS[req.type],
            "request": f"R-{req.pk}",
            "at": clock.now().isoformat(),
            "categories": categories,
            "identifiers": identifiers,
            "details": {"changes": req.details.get("changes", [])} if req.type == "rectification" else {},
        }
        ids = [n.pk for n in out if n.status == "pending"]
        sealed = crypto.encrypt(json.dumps(body), context="request.notice")
        Notice.objects.filter(pk__in=ids).update(body_sealed=sealed)
        transaction.on_commit(lambda: _enqueue(ids))
    return out


def _enqueue(notice_ids: list[int]) -> None:
    """Hand the delivery to the task worker (``tutela worker``; inline with the immediate backend)."""
    from tutela.rights.tasks import notices_deliver_task

    if notice_ids:
        notices_deliver_task.enqueue(notice_ids)


def _require_system(principal: Principal) -> None:
    """Notices are Tutela's own work (a worker, or the operator's ``rights retry``): group-wide."""
    require_write(principal)
    if not principal.is_group_wide:
        raise PermissionDenied("Art. 19 notices are sent by Tutela itself (the worker or the CLI)")


def deliver(notice_ids: list[int], *, principal: Principal) -> None:
    """Send pending notices now (after commit); failures are recorded for a retry."""
    _require_system(principal)
    from tutela.core.mail import build_message
    from tutela.rights.transport import check_url, post_json

    for notice in Notice.objects.filter(pk__in=notice_ids).exclude(status="sent"):
        if not notice.body_sealed:
            continue
        body = json.loads(crypto.decrypt(notice.body_sealed, context="request.notice"))
        notice.attempts += 1
        try:
            if notice.channel == "webhook":
                check_url(notice.target)
                result = post_json(notice.target, json.dumps(body).encode())
                notice.attempts += result.attempts - 1
                if not result.ok:
                    raise RuntimeError(result.error or f"HTTP {result.status_code}")
            else:
                text = (
                    f"Request {body['request']}: the personal data of the person identified below were "
                    f"{body['event']} on {body['at'][:10]}. Article 19 GDPR asks you to do the same in your "
                    "records.\n\n"
                    + "\n".join(f"{k}: {v}" for k, v in body["identifiers"].items())
                    + "\n\nCategories: "
                    + ", ".join(body["categories"])
                    + "\n"
                )
                build_message(
                    to=[notice.target], subject=f"Art. 19 GDPR notice {body['request']}", text=text
                ).send(fail_silently=False)
            notice.status = "sent"
            notice.sent_at = clock.now()
            notice.last_error = ""
            notice.body_sealed = ""
        except Exception as exc:  # delivery problems are recorded, never lost
            notice.status = "failed"
            notice.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        notice.save(update_fields=["status", "attempts", "sent_at", "last_error", "body_sealed"])


def notices_retry(*, principal: Principal) -> int:
    """Deliver again the notices that failed or never went (a periodic task); returns how many were tried."""
    ids = list(
        Notice.objects.filter(status__in=("pending", "failed"))
        .exclude(body_sealed="")
        .values_list("pk", flat=True)
    )
    deliver(ids, principal=principal)
    return len(ids)
