"""The register in the admin: read-only (changes go through the services, which audit them), and values of
sensitive categories never shown in clear: the sealed column is not displayed at all, only a mask."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tutela.subjects.models import DataItem, Interaction, Relationship, Subject


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ItemInline(admin.TabularInline):
    model = DataItem
    fields = ("category", "shown_value", "controller", "source", "source_detail", "collected_at", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description="value")
    def shown_value(self, obj: DataItem) -> str:
        return _shown(obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _shown(obj: DataItem) -> str:
    if obj.value_sealed:
        return "•••••• (sealed)"
    return obj.value


@admin.register(Subject)
class SubjectAdmin(ReadOnly):
    list_display = ("id", "public_id", "language", "created_at", "erased_at", "merged_into")
    list_filter = ("language",)
    search_fields = ("=id", "=public_id")
    fields = ("public_id", "language", "created_at", "updated_at", "erased_at", "merged_into", "version")
    readonly_fields = fields
    inlines = [ItemInline]
    show_full_result_count = False


@admin.register(DataItem)
class DataItemAdmin(ReadOnly):
    list_display = (
        "id",
        "subject_id",
        "category",
        "shown_value",
        "controller",
        "source",
        "collected_at",
        "status",
    )
    list_filter = ("controller", "status", "source", "category")
    exclude = ("value", "value_sealed", "lookup")
    readonly_fields = (
        "subject",
        "category",
        "shown_value",
        "controller",
        "source",
        "source_detail",
        "collected_at",
        "purposes",
        "status",
        "provided_by_subject",
        "on_behalf_of",
        "instruction_ref",
        "created_at",
        "updated_at",
    )
    show_full_result_count = False
    list_select_related = False

    @admin.display(description="value")
    def shown_value(self, obj: DataItem) -> str:
        return _shown(obj)


@admin.register(Relationship)
class RelationshipAdmin(ReadOnly):
    list_display = ("subject_id", "controller", "kind", "started_on", "ended_on", "last_interest_on")
    list_filter = ("controller", "kind")


@admin.register(Interaction)
class InteractionAdmin(ReadOnly):
    list_display = ("subject_id", "controller", "kind", "at")
    list_filter = ("controller", "kind")
