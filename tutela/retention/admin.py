"""Admin views of retention's registers, read-only.

Holds are placed and released through `tutela hold` or the API (a release states its reason and is
audited); sweep runs and anonymous counts are the sweep's own record. Nobody adds, changes or deletes them here.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tutela.retention.models import AnonymousCount, LegalHold, SweepRun


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Listed and opened, never added, changed or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "started_at",
        "status",
        "as_of",
        "erased",
        "anonymised",
        "archived",
        "held",
        "resumed",
    )
    list_filter = ("status",)
    readonly_fields = [f.name for f in SweepRun._meta.fields]


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    list_display = ("id", "case_ref", "subject_id", "camera", "placed_at", "placed_by", "released_at")
    list_filter = ("released_at",)
    search_fields = ("case_ref",)
    readonly_fields = [f.name for f in LegalHold._meta.fields]


@admin.register(AnonymousCount)
class AnonymousCountAdmin(ReadOnlyAdmin):
    list_display = ("controller", "category", "year", "rule", "count")
    list_filter = ("controller", "year", "rule")
    readonly_fields = [f.name for f in AnonymousCount._meta.fields]
