"""Core tables: the hash-chained audit trail."""

from __future__ import annotations

from django.db import models

GENESIS_HASH = "0" * 64


class AuditHead(models.Model):
    """The single row that holds the chain's tip; appends lock it, so entries form one unbroken line."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        db_table = "tutela_audit_head"

    def __str__(self) -> str:
        return f"audit tip at #{self.seq}"


class AuditEntry(models.Model):
    """One change or one read of personal data. Never updated, except for redaction of the payload."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    payload = models.JSONField(default=dict)
    payload_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    redacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tutela_audit_entry"
        verbose_name_plural = "audit entries"
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor}"
