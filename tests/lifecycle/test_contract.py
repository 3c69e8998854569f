"""The lifecycle contract itself: every model that points at a person has an owner that says what erasure
does to it, and ``manage.py check`` fails the day a new one does not."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.core import checks
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from tutela.core import lifecycle
from tutela.core.lifecycle import Erase


def _points_at_a_person(model: type[models.Model]) -> list[str]:
    """Independently of the registry: foreign keys to the person or item tables, and plain id columns."""
    out = []
    for f in model._meta.concrete_fields:
        target = getattr(f, "related_model", None)
        if (
            f.is_relation
            and target is not None
            and target._meta.db_table in ("tutela_subject", "tutela_data_item")
        ) or f.name in ("subject_id", "subject_ref", "item_id", "item_ref"):
            out.append(f.name)
    return out


def test_every_model_pointing_at_a_person_is_registered_with_a_statement() -> None:
    pointing = {(m._meta.label, name) for m in apps.get_models() for name in _points_at_a_person(m)}
    registered = {(r.model._meta.label, r.field) for r in lifecycle.registers()}
    assert pointing - registered == set()
    # the ones the issue names, with what their statement says
    expected = {
        ("recipients.DisclosedItem", "subject"): Erase.KEEP,
        ("recipients.DisclosedItem", "item"): Erase.DETACH,
        ("retention.LegalHold", "subject_id"): Erase.KEEP,
        ("consent.ConsentEvent", "subject"): Erase.DELETE,
        ("rights.RightsRequest", "subject"): Erase.REDACT,
        ("core.AuditEntry", "subject_id"): Erase.REDACT,
    }
    statements = {(r.model._meta.label, r.field): r.on_erase for r in lifecycle.registers()}
    assert {k: statements[k] for k in expected} == expected
    assert all(r.why.strip() for r in lifecycle.registers())


def test_manage_py_check_passes_with_the_shipped_apps() -> None:
    call_command("check", "--fail-level", "WARNING")
    assert [e for e in lifecycle.check_owners() if e.id.startswith("tutela.")] == []


@isolate_apps("tutela.core")
def test_a_model_that_points_at_a_person_without_an_owner_fails_the_check() -> None:
    class Note(models.Model):
        subject = models.ForeignKey("subjects.Subject", on_delete=models.CASCADE, related_name="+")
        about_item = models.ForeignKey(
            "subjects.DataItem", on_delete=models.SET_NULL, null=True, related_name="+"
        )
        subject_id_copy = models.BigIntegerField()

        class Meta:
            app_label = "core"

        def __str__(self) -> str:
            return "note"

    class Loose(models.Model):
        item_id = models.BigIntegerField()

        class Meta:
            app_label = "core"

        def __str__(self) -> str:
            return "loose"

    found = lifecycle.check_owners(models=[Note, Loose])
    assert {(e.id, e.obj) for e in found} == {("tutela.E001", Note), ("tutela.E001", Loose)}
    assert sorted(e.msg.split(" ")[0] for e in found) == [
        "core.Loose.item_id",
        "core.Note.about_item",
        "core.Note.subject",
    ]
    assert all(isinstance(e, checks.Error) for e in found)


def test_a_register_naming_a_missing_field_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from tutela.subjects.models import Interaction

    owner = lifecycle.Owner(
        app="zz-test", registers=(lifecycle.Register(Interaction, "nobody", Erase.DELETE, "x"),)
    )
    monkeypatch.setitem(lifecycle._OWNERS, "zz-test", owner)
    found = [e for e in lifecycle.check_owners() if e.id == "tutela.E002"]
    assert [e.msg for e in found] == ["lifecycle register subjects.Interaction.nobody: no such field"]


def test_no_lookup_by_name_is_left_in_erasure_merge_and_the_sweep() -> None:
    import inspect

    from tutela.retention import sweep
    from tutela.rights import access, erasure, register
    from tutela.subjects import reading, services

    for module in (erasure, sweep, reading):
        source = inspect.getsource(module)
        assert "_optional(" not in source and "import_module" not in source, module.__name__
    for module in (register, access):
        source = inspect.getsource(module)
        assert "call_service" not in source and "_optional" not in source, module.__name__
    assert "subject_merged" not in inspect.getsource(services)


def test_erasure_statements_list_every_register(db: Any) -> None:
    rows = lifecycle.erasure_statements()
    assert len(rows) == len(lifecycle.registers())
    assert {r["on_erase"] for r in rows} <= {str(e) for e in Erase}
