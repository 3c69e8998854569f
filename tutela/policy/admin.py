"""Django admin: policy versions, read-only (the policy file is the source of truth; `tutela policy load`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tutela.policy.models import PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("number", "label", "effective", "active", "substantial", "loaded_at", "loaded_by")
    list_filter = ("active", "substantial")
    search_fields = ("label", "change_summary", "content_hash")
    ordering = ("-number",)
    readonly_fields = [f.name for f in PolicyVersion._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
