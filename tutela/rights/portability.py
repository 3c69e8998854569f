"""Portability (Art. 20): the data the person provided, processed on consent or contract, as JSON and CSV,
for them to download or sent directly to another controller's HTTPS endpoint (retries, stored receipt)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from typing import Any

from tutela.core import clock
from tutela.core.audit import audit_log
from tutela.core.csvsafe import csv_safe
from tutela.rights import register
from tutela.rights.models import RightsRequest, TransmissionReceipt
from tutela.subjects.models import DataItem

PORTABLE_BASES = ("consent", "contract")


def portable_items(subject_id: int) -> list[DataItem]:
    from tutela.policy.selectors import active_policy

    policy = active_policy()
    out = []
    for item in register.items_of(subject_id, include_archived=False):
        if not item.provided_by_subject:
            continue
        if any(
            p in policy.purposes and policy.purposes[p].legal_basis in PORTABLE_BASES
            for p in item.purposes or ()
        ):
            out.append(item)
    return out


def portable_data(subject_id: int) -> dict[str, Any]:
    from tutela.subjects.models import Subject

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
                "collected_at": clock.as_aware(i.collected_at).isoformat(),
                "purposes": list(i.purposes or ()),
            }
            for i in portable_items(subject_id)
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


def transmit(req: RightsRequest, data: dict[str, Any], *, url: str, token: str = "") -> TransmissionReceipt:
    """Send the portable data to the endpoint the person named, with retries, and keep the receipt."""
    from tutela.rights.transport import check_url, post_json

    check_url(url, field="transmit_to")
    body = json.dumps(data, ensure_ascii=False).encode()
    result = post_json(url, body, token=token)
    receipt = TransmissionReceipt.objects.create(
        request=req,
        endpoint=url[:500],
        attempts=result.attempts,
        status_code=result.status_code,
        payload_sha256=hashlib.sha256(body).hexdigest(),
        response_excerpt=(result.body or result.error)[:2000],
        delivered=result.ok,
        at=clock.now(),
    )
    audit_log(
        "request.transmit",
        object_type="request",
        object_id=req.pk,
        subject_id=req.subject_id,
        payload={
            "delivered": result.ok,
            "attempts": result.attempts,
            "status_code": result.status_code,
            "items": len(data["items"]),
        },
    )
    return receipt
