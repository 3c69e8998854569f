"""Requests in the admin: read-only registers (changes go through the services, which audit them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tutela.rights.models import (
    InboundMail,
    Notice,
    RequestPause,
    RightsRequest,
    Tombstone,
    TransmissionReceipt,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PauseInline(admin.TabularInline):
    model = RequestPause
    extra = 0
    can_delete = False
    readonly_fields = ("started_on", "ended_on", "reason")
    exclude = ("created_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RightsRequest)
class RightsRequestAdmin(ReadOnly):
    list_display = ("id", "type", "status", "channel", "received_at", "due", "extended", "outcome")
    list_filter = ("type", "status", "channel", "language")
    ordering = ("-received_at",)
    exclude = ("identifier_sealed", "reply_to_sealed", "verification_hash", "status_token_hash")
    inlines = [PauseInline]


@admin.register(Tombstone)
class TombstoneAdmin(ReadOnly):
    list_display = ("subject_ref", "request", "erased_at")


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ("request", "recipient", "channel", "status", "attempts", "sent_at")
    list_filter = ("status", "channel")


@admin.register(TransmissionReceipt)
class TransmissionReceiptAdmin(ReadOnly):
    list_display = ("request", "endpoint", "state", "delivered", "status_code", "attempts", "runs", "at")
    exclude = ("body_sealed",)


@admin.register(InboundMail)
class InboundMailAdmin(ReadOnly):
    list_display = ("message_id", "received_at", "guessed_type", "language", "status", "request")
    list_filter = ("status", "guessed_type")
    exclude = ("sender_sealed",)
