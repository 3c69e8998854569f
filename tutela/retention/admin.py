"""Admin views of retention's registers (read-mostly: holds change through `tutela hold` or the API)."""

from __future__ import annotations

from django.contrib import admin

from tutela.retention.models import AnonymousCount, LegalHold, SweepRun


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
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

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "case_ref", "subject_id", "camera", "placed_at", "placed_by", "released_at")
    list_filter = ("released_at",)
    search_fields = ("case_ref",)
    readonly_fields = [f.name for f in LegalHold._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(AnonymousCount)
class AnonymousCountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("controller", "category", "year", "rule", "count")
    list_filter = ("controller", "year", "rule")
    readonly_fields = [f.name for f in AnonymousCount._meta.fields]
