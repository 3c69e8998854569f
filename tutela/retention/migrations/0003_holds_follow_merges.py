"""Holds placed on a record that was merged into another before merges moved them: they follow now.

Before the lifecycle contract, a hold on a duplicate stayed on the duplicate's id after a merge, so the kept
record's data (the duplicate's items among them) were not protected. Each such hold now names the record the
duplicate was merged into (following chains of merges)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def follow_merges(apps: Any, schema_editor: Any) -> None:
    LegalHold = apps.get_model("retention", "LegalHold")
    Subject = apps.get_model("subjects", "Subject")
    merged = dict(Subject.objects.filter(merged_into__isnull=False).values_list("id", "merged_into_id"))
    if not merged:
        return
    for hold in LegalHold.objects.filter(subject_id__in=list(merged)):
        target, seen = hold.subject_id, set()
        while target in merged and target not in seen:
            seen.add(target)
            target = merged[target]
        LegalHold.objects.filter(pk=hold.pk).update(subject_id=target)


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0002_sweep_partial_and_problems"),
        ("subjects", "0001_initial"),
    ]

    operations = [migrations.RunPython(follow_merges, migrations.RunPython.noop)]
