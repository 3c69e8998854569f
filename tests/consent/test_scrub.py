"""List scrubbing through the service: phones and e-mails, chunk boundaries, shared addresses, counts by hand."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories.consent import person
from tutela.accounts.principal import SYSTEM
from tutela.consent import services
from tutela.consent.scrub import scrub_stream
from tutela.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def _scrub(text: str, **kwargs: Any) -> tuple[dict[str, Any], str]:
    sink = io.StringIO()
    result = scrub_stream(io.StringIO(text), sink, **kwargs)
    return result.as_dict(), sink.getvalue()


def test_phones_and_emails_across_chunks(policy: Any) -> None:
    person("ok@example.com", phone="+32 470 11 11 11", subject_type="prospect", source="public-web")
    objector = person(
        "no@example.com", phone="+32 470 22 22 22", subject_type="prospect", source="public-web"
    )
    services.objection_register(principal=SYSTEM, subject_id=objector.pk, purpose="prospecting")
    # a suppressed address nobody in the register carries any more
    services.suppression_add(
        principal=SYSTEM,
        purpose="prospecting",
        reason="objection",
        identifiers_raw=[("email", "gone@example.com")],
    )
    rows = [
        ('"Ok, Person"', "0470 11 11 11", None),
        ("Ok again", "+32470111111", None),
        ("Mail", "OK@example.com", None),
        ("Objector", "0470/22.22.22", "objection"),
        ("Gone", "gone@example.com", "suppressed"),
        ("Stranger", "+32 470 33 33 33", "unknown-person"),
        ("Bad", "12", "invalid"),
        ("Empty", "", "invalid"),
    ]
    text = "name\ttelephone\n" + "".join(f"{name}\t{value}\n" for name, value, _ in rows)
    counts, out = _scrub(text, purpose="prospecting", chunk_rows=3)
    reasons: dict[str, int] = {}
    for _, _, reason in rows:
        if reason:
            reasons[reason] = reasons.get(reason, 0) + 1
    kept = [value for _, value, reason in rows if reason is None]
    assert counts == {"kept": len(kept), "removed": len(rows) - len(kept), "reasons": reasons}
    lines = out.splitlines()
    assert lines[0] == "name\ttelephone"
    assert [line.split("\t")[1] for line in lines[1:]] == kept
    assert lines[1].startswith("Ok, Person\t") or lines[1].startswith('"Ok, Person"')


def test_shared_address_is_usable_only_if_everyone_may_be_contacted(policy: Any) -> None:
    person("shared@example.com", subject_type="prospect", source="public-web")
    other = person("shared@example.com", subject_type="prospect", source="data-provider", controller="ac-cs")
    services.objection_register(
        principal=SYSTEM, subject_id=other.pk, purpose="prospecting", controller="ac-cs"
    )
    counts, _ = _scrub("email\nshared@example.com\n", purpose="prospecting")
    assert counts == {"kept": 0, "removed": 1, "reasons": {"objection": 1}}
    counts, _ = _scrub("email\nshared@example.com\n", purpose="prospecting", controller="crm-asbl")
    assert counts["kept"] == 1


def test_queries_do_not_grow_with_rows(policy: Any) -> None:
    for n in range(6):
        person(f"q{n}@example.com", subject_type="prospect", source="public-web")
    small = "email\nq0@example.com\nnobody@example.com\n"
    large = "email\n" + "".join(f"q{n % 6}@example.com\nx{n}@example.com\n" for n in range(300))
    counts = []
    for text in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            _scrub(text, purpose="prospecting")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_bad_lists(policy: Any) -> None:
    with pytest.raises(InvalidInput, match="cannot tell which column"):
        _scrub("name,city\nAnn,Brussels\n", purpose="prospecting")
    with pytest.raises(InvalidInput):
        _scrub("email\na@example.com\n", purpose="prospecting", controller="nobody")
    assert _scrub("", purpose="prospecting")[0] == {"kept": 0, "removed": 0, "reasons": {}}
