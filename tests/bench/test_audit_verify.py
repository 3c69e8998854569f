"""The fast chain verification recomputes exactly what entry_digest hashed, whatever the text holds."""

from __future__ import annotations

import pytest

from tutela.core.audit import audit_log, audit_verify
from tutela.core.models import AuditEntry

AWKWARD = ['quote " and \\ backslash', "tab\tnew\nline\x01ctl", "café Ω 😀", "", "</script>"]


@pytest.mark.django_db(transaction=True)
def test_verify_accepts_awkward_text_and_catches_each_edit() -> None:
    for n, text in enumerate(AWKWARD):
        audit_log(
            f"test.{n}",
            object_type=text,
            object_id=text,
            subject_id=n or None,
            payload={"z": text, "a": [1, 2.5, None, True], "é": {"b": text}},
            actor=text or "system",
        )
    report = audit_verify(batch=2)
    assert report.intact, report.as_dict()
    assert report.entries == len(AWKWARD)

    entry = AuditEntry.objects.get(action="test.2")
    AuditEntry.objects.filter(pk=entry.pk).update(object_id="café Ω 😀!")
    broken = audit_verify()
    assert not broken.intact and broken.first_broken == entry.seq

    AuditEntry.objects.filter(pk=entry.pk).update(object_id=entry.object_id, payload={"z": "other"})
    broken = audit_verify()
    assert not broken.intact and broken.first_broken == entry.seq
    assert "payload" in (broken.problem or "")
