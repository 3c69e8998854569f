"""A driver for the crash tests, run in its own process: `python -m tests.reliability.crash_driver STEP N`.

setup: import N prospects and open a verified erasure request for each; erase: fulfil the open erasure
requests one by one, printing a line after each (so the test can kill it mid-way); state: print JSON with
what the database holds."""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutela.settings")
    import django

    django.setup()
    step, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
    from tutela.core.audit import set_actor

    set_actor("crash-test")
    if step == "setup":
        setup(count, interest=sys.argv[3] if len(sys.argv) > 3 else "2026-10-01")
    elif step == "erase":
        erase()
    elif step == "state":
        state()


def setup(count: int, interest: str = "2026-10-01") -> None:
    from tutela.accounts.principal import SYSTEM
    from tutela.rights.services import request_open
    from tutela.subjects.importing.service import import_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prospects.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["email", "first_name", "last_name", "phone", "last_interest_at"])
            for i in range(count):
                writer.writerow([f"crash{i}@example.org", "Ann", f"Crash{i}", f"+32491{i:06d}", interest])
        report = import_file(
            principal=SYSTEM,
            path=path,
            controller="crm-asbl",
            subject_type="prospect",
            source="data-provider",
            # the concurrency test imports prospects silent for years on purpose: due for the sweep at once
            accept_expired=True,
        )
        assert report.imported == count, report.as_dict()
    for i in range(count):
        request_open(
            type="erasure",
            identifier=f"crash{i}@example.org",
            channel="staff",
            verified=True,
            principal=SYSTEM,
        )
    print("ready", flush=True)


def erase() -> None:
    from tutela.accounts.principal import SYSTEM
    from tutela.rights.fulfil import request_fulfil
    from tutela.rights.models import RightsRequest

    pending = list(
        RightsRequest.objects.filter(type="erasure")
        .exclude(status__in=["answered", "refused", "withdrawn"])
        .order_by("id")
        .values_list("id", flat=True)
    )
    for done, request_id in enumerate(pending, start=1):
        request_fulfil(request_id=request_id, principal=SYSTEM)
        print(f"done {done}", flush=True)


def state() -> None:
    from django.db.models import Count

    from tutela.core.audit import audit_verify
    from tutela.rights.models import RightsRequest, Tombstone
    from tutela.subjects.models import DataItem

    per_subject = dict(
        DataItem.objects.values("subject_id").annotate(n=Count("id")).values_list("subject_id", "n")
    )
    requests = list(RightsRequest.objects.filter(type="erasure").values_list("status", "subject_id"))
    print(
        json.dumps(
            {
                "answered": sum(1 for s, _ in requests if s == "answered"),
                "open": sum(1 for s, _ in requests if s not in ("answered", "refused", "withdrawn")),
                "tombstones": Tombstone.objects.count(),
                "item_counts": sorted(set(per_subject.values())),
                "people_with_items": len(per_subject),
                "audit_intact": audit_verify().intact,
            }
        )
    )


if __name__ == "__main__":
    main()
