"""Portability (Art. 20): the data the person provided, processed on consent or contract, as JSON and CSV,
for them to download or sent directly to another controller's HTTPS endpoint (retries, stored receipt).

The direct transmission never runs inside the fulfilment's transaction: :func:`schedule_transmission`
records a ``pending`` receipt (with what is to be sent, encrypted) in it, and when it commits a task
(:func:`deliver_transmission`) takes the receipt (``sending``), calls the other controller holding no row
lock and no transaction, then records the outcome, adds it to the answer and sends the answer letter. A
receipt that says ``delivered`` or ``failed`` is never sent again; a run that died mid-call is taken over by
a later run (:func:`transmissions_resume`), at most ``MAX_RUNS`` runs in all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction

from tutela.accounts.permissions import require_write
from tutela.accounts.principal import Principal
from tutela.core import clock, crypto
from tutela.core.audit import audit_log
from tutela.core.csvsafe import csv_safe
from tutela.core.errors import InvalidInput, PermissionDenied
from tutela.rights import register
from tutela.rights.models import RightsRequest, TransmissionReceipt, TransmissionState
from tutela.subjects.models import DataItem

PORTABLE_BASES = ("consent", "contract")
#: task runs a transmission gets in all (each makes up to ``transport.RETRIES`` HTTP attempts); only runs
#: that died mid-call lead to another
MAX_RUNS = 3
#: a run that has held a transmission this long without finishing is taken as dead (its process crashed)
CLAIM_SECONDS = 600


def portable_items(subject_id: int, *, controllers: Sequence[str]) -> list[DataItem]:
    """The items the person provided to ``controllers``, processed on their consent or a contract."""
    from tutela.policy.selectors import active_policy

    policy = active_policy()
    out = []
    for item in register.items_of(subject_id, include_archived=False):
        if item.controller not in controllers or not item.provided_by_subject:
            continue
        if any(
            p in policy.purposes and policy.purposes[p].legal_basis in PORTABLE_BASES
            for p in item.purposes or ()
        ):
            out.append(item)
    return out


def portable_data(
    subject_id: int, *, principal: Principal, controllers: Sequence[str] | None = None
) -> dict[str, Any]:
    """The portable data of one person held by ``controllers`` (every entity when None) that ``principal``
    acts for."""
    from tutela.rights.access import package_controllers
    from tutela.subjects.models import Subject

    scope = package_controllers(principal, controllers)
    subject = Subject.objects.get(pk=subject_id)
    return {
        "format": "tutela-portability/1",
        "subject": str(subject.public_id),
        "generated_at": clock.now().isoformat(),
        "items": [
            {
                "category": i.category,
                "value": register.item_value(i),
                "controller": i.controller,
                "collected_at": clock.as_aware(i.collected_at).isoformat() if i.collected_at else None,
                "purposes": list(i.purposes or ()),
            }
            for i in portable_items(subject_id, controllers=scope)
        ],
    }


def portable_zip(data: dict[str, Any]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["category", "value", "controller", "collected_at"])
    for i in data["items"]:
        writer.writerow([csv_safe(i[k]) for k in ("category", "value", "controller", "collected_at")])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        zf.writestr("data.csv", buf.getvalue())
    return out.getvalue()


def schedule_transmission(req: RightsRequest, data: dict[str, Any], *, url: str) -> TransmissionReceipt:
    """Record, in the fulfilment's transaction, that ``data`` go to ``url``; the sending is enqueued for when
    that transaction commits (the decision and the package are committed first)."""
    body = json.dumps(data, ensure_ascii=False)
    receipt = TransmissionReceipt.objects.create(
        request=req,
        endpoint=url[:500],
        state=TransmissionState.PENDING,
        body_sealed=crypto.encrypt(body, context="request.transmission"),
        payload_sha256=hashlib.sha256(body.encode()).hexdigest(),
        at=clock.now(),
    )
    receipt_id = receipt.pk
    transaction.on_commit(lambda: _enqueue(receipt_id))
    return receipt


def _enqueue(receipt_id: int) -> None:
    """Hand the transmission to the task worker (``tutela worker``; inline with the immediate backend)."""
    from tutela.rights.tasks import transmit_task

    transmit_task.enqueue(receipt_id)


@dataclass
class _Claim:
    receipt_id: int
    run: int
    url: str
    body: bytes = field(repr=False)
    token: str = field(repr=False)


def _claim(receipt_id: int, principal: Principal) -> _Claim | None:
    """Take the transmission for this run, in a short transaction of its own; None when there is nothing to
    send (finished, or another run holds it and is not overdue)."""
    now = clock.now()
    with transaction.atomic():
        receipt = TransmissionReceipt.objects.select_for_update().filter(pk=receipt_id).first()
        if receipt is None or receipt.finished:
            return None
        if (
            receipt.state == TransmissionState.SENDING
            and receipt.claimed_at is not None
            and receipt.claimed_at > now - timedelta(seconds=CLAIM_SECONDS)
        ):
            return None
        if receipt.runs >= MAX_RUNS:
            # every run so far died during the call: give up as a failure, the person gets the file
            _record(
                receipt,
                ok=False,
                attempts=0,
                status_code=None,
                excerpt=f"gave up: {receipt.runs} runs ended without an outcome",
                principal=principal,
            )
            return None
        details = RightsRequest.objects.values_list("details", flat=True).get(pk=receipt.request_id) or {}
        if not details.get("transmit_to"):
            # the request no longer names where to send (its person was erased): nothing goes anywhere
            receipt.state = TransmissionState.FAILED
            receipt.body_sealed = ""
            receipt.response_excerpt = "cancelled: the request no longer names the receiving controller"
            receipt.save(update_fields=["state", "body_sealed", "response_excerpt"])
            return None
        receipt.state = TransmissionState.SENDING
        receipt.runs += 1
        receipt.claimed_at = now
        receipt.save(update_fields=["state", "runs", "claimed_at"])
        sealed_token = str(details.get("transmit_token_sealed", ""))
        return _Claim(
            receipt_id=receipt.pk,
            run=receipt.runs,
            url=str(details["transmit_to"]),
            body=crypto.decrypt(receipt.body_sealed, context="request.transmission").encode(),
            token=crypto.decrypt(sealed_token, context="request.transmit") if sealed_token else "",
        )


def _record(
    receipt: TransmissionReceipt,
    *,
    ok: bool,
    attempts: int,
    status_code: int | None,
    excerpt: str,
    principal: Principal,
) -> None:
    """Write the outcome (inside a transaction, the receipt locked): the receipt, the audit entry, the
    sentence added to the answer and the answer letter, as the fulfilment wrote them when it sent itself."""
    from tutela.rights import letters
    from tutela.rights.services import _save, locked

    req = locked(receipt.request_id, principal=principal)
    receipt.state = TransmissionState.DELIVERED if ok else TransmissionState.FAILED
    receipt.delivered = ok
    receipt.attempts += attempts
    receipt.status_code = status_code
    receipt.response_excerpt = excerpt[:2000]
    receipt.body_sealed = ""  # the package stays for the person to download; the copy here goes
    receipt.at = clock.now()
    receipt.save()
    audit_log(
        "request.transmit",
        object_type="request",
        object_id=req.pk,
        subject_id=req.subject_id,
        payload={
            "delivered": ok,
            "attempts": receipt.attempts,
            "status_code": status_code,
            "items": req.details.get("items", 0),
        },
        actor=principal.actor,
    )
    if ok:
        sentence = f"Sent directly to the controller you named (HTTP {status_code})."
    else:
        sentence = (
            f"Direct transmission to the controller you named failed after {receipt.attempts} attempts; "
            "the data are available for you to download."
        )
    req.reasons = [*(req.reasons or []), sentence]
    letters.send(req, "answer", reasons=req.reasons, recipients=[], partial=False, principal=principal)
    _save(req)


def deliver_transmission(receipt_id: int, *, principal: Principal) -> str:
    """Send a recorded transmission (the task's body) and return the receipt's state afterwards.

    The HTTP call runs between two short transactions: a slow or hanging controller holds up nobody else's
    work on the request, and a receipt left ``sending`` tells that a run died mid-call."""
    from tutela.rights.transport import Delivery, check_url, post_json

    _require_system(principal)
    claim = _claim(receipt_id, principal)
    if claim is not None:
        try:
            check_url(claim.url, field="transmit_to")
        except InvalidInput as exc:
            result = Delivery(False, 0, None, "", "; ".join(e.message for e in exc.errors) or exc.message)
        else:
            result = post_json(claim.url, claim.body, token=claim.token)
        with transaction.atomic():
            receipt = TransmissionReceipt.objects.select_for_update().get(pk=receipt_id)
            if receipt.state == TransmissionState.SENDING and receipt.runs == claim.run:
                _record(
                    receipt,
                    ok=result.ok,
                    attempts=result.attempts,
                    status_code=result.status_code,
                    excerpt=result.body or result.error,
                    principal=principal,
                )
            # else a later run took over meanwhile (this one was overdue): its outcome stands
    state = TransmissionReceipt.objects.filter(pk=receipt_id).values_list("state", flat=True).first()
    return str(state or "")


def _require_system(principal: Principal) -> None:
    """Transmissions are Tutela's own work (a worker, or the operator's ``rights retry``): group-wide."""
    require_write(principal)
    if not principal.is_group_wide:
        raise PermissionDenied("transmissions are sent by Tutela itself (the worker or the CLI)")


def transmissions_resume(*, principal: Principal) -> int:
    """Run again the transmissions never sent or whose run died (a periodic task, or by hand after a crash);
    returns how many were looked at. Ones another run holds and that are not overdue are left to it."""
    ids = list(
        TransmissionReceipt.objects.filter(
            state__in=(TransmissionState.PENDING, TransmissionState.SENDING)
        ).values_list("pk", flat=True)
    )
    _require_system(principal)
    for receipt_id in ids:
        deliver_transmission(receipt_id, principal=principal)
    return len(ids)
