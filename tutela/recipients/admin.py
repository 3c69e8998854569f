"""The registers of recipients, safeguards, client controllers and the disclosure log in Django's admin."""

from __future__ import annotations

from django.contrib import admin

from tutela.recipients.models import (
    ClientController,
    DisclosedItem,
    Disclosure,
    Recipient,
    Safeguard,
    TransferRuleSet,
)


class SafeguardInline(admin.TabularInline):
    model = Safeguard
    extra = 0
    readonly_fields = ("created_at",)


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "recipient_type", "role", "country", "contract_expires_on", "active")
    list_filter = ("role", "country", "active", "recipient_type")
    search_fields = ("key", "name", "contract_ref")
    inlines = [SafeguardInline]
    readonly_fields = ("created_at", "updated_at")


@admin.register(ClientController)
class ClientControllerAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "instructions_ref", "contact_email")
    search_fields = ("key", "name")


class ReadOnlyAdmin(admin.ModelAdmin):
    """The logs are written by services only; the admin shows them."""

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ("at", "recipient", "controller", "purpose", "basis", "subjects_count", "items_count")
    list_filter = ("mechanism", "controller", "purpose")
    date_hierarchy = "at"


@admin.register(DisclosedItem)
class DisclosedItemAdmin(ReadOnlyAdmin):
    list_display = ("at", "recipient", "subject", "item_ref", "category")
    list_select_related = ("recipient",)
    raw_id_fields = ("subject", "item", "disclosure")


@admin.register(TransferRuleSet)
class TransferRuleSetAdmin(ReadOnlyAdmin):
    list_display = ("number", "label", "source_name", "loaded_at", "loaded_by", "active")
    exclude = ("content",)
