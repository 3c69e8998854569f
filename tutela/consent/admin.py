"""The consent registers in the admin: the ledger, objections and suppression list are read-only (they change
only through the services, which audit every change); newsletter topics are edited here by the DPO."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tutela.consent.models import ConsentEvent, NewsletterTopic, Objection, Suppression


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnly):
    list_display = ("at", "subject_id", "purpose", "controller", "kind", "channel", "policy_version")
    list_filter = ("purpose", "kind", "channel", "controller")
    ordering = ("-at",)
    show_full_result_count = False


@admin.register(Objection)
class ObjectionAdmin(ReadOnly):
    list_display = ("received_at", "subject_id", "purpose", "controller", "status", "absolute", "decided_at")
    list_filter = ("status", "purpose", "absolute")
    ordering = ("-received_at",)


@admin.register(Suppression)
class SuppressionAdmin(ReadOnly):
    list_display = ("created_at", "kind", "purpose", "controller", "reason")
    list_filter = ("purpose", "kind", "reason")
    ordering = ("-created_at",)
    show_full_result_count = False


@admin.register(NewsletterTopic)
class NewsletterTopicAdmin(admin.ModelAdmin):
    list_display = ("key", "name_en", "name_fr", "name_nl", "active")
    list_editable = ("active",)
