"""The breach register in the admin, for the DPO: read-mostly; changes go through the services (CLI, API)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tutela.breaches.models import (
    AuthorityNotification,
    Breach,
    BreachAssessment,
    BreachEvent,
    RecommendedChange,
    SubjectCommunication,
)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(_ReadOnlyInline):
    model = BreachEvent
    fields = ("at", "kind", "text", "actor")


class AssessmentInline(_ReadOnlyInline):
    model = BreachAssessment
    fields = ("at", "rules_version", "result")


class NotificationInline(_ReadOnlyInline):
    model = AuthorityNotification
    fields = ("number", "phase", "at", "late", "delay_reasons")


class ChangeInline(_ReadOnlyInline):
    model = RecommendedChange
    fields = ("description", "state", "owner", "implemented_at")


@admin.register(Breach)
class BreachAdmin(admin.ModelAdmin):
    list_display = ("id", "summary", "incident_type", "status", "severity", "notify_authority", "aware_at")
    list_filter = ("status", "incident_type", "severity", "notify_authority", "notify_subjects")
    search_fields = ("summary", "description")
    date_hierarchy = "reported_at"
    inlines = [EventInline, AssessmentInline, NotificationInline, ChangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reports go through breach_report (the DPO alert, the clocks)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # every breach stays in the register (§12.3)


@admin.register(SubjectCommunication)
class SubjectCommunicationAdmin(admin.ModelAdmin):
    list_display = ("id", "breach", "channel", "at", "total")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
