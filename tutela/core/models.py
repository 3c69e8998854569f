"""Core tables: the keyed, hash-chained audit trail and the last result of its verification."""

from __future__ import annotations

from django.db import models

GENESIS_HASH = "0" * 64


class AuditHead(models.Model):
    """The single row that holds the chain's tip; appends lock it, so entries form one unbroken line."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    #: the first entry hashed with the audit key (HMAC-SHA256); the entries before it were written by a
    #: Tutela that hashed with plain SHA-256 (docs/decisions/0007-keyed-audit-chain.md)
    keyed_from = models.BigIntegerField(default=1)

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


class AuditCheck(models.Model):
    """The single row holding the last verification of the chain, signed with the audit key.

    ``seq``/``entry_hash`` is the last entry found intact; the health check and the dashboard verify only
    the entries after it. A row altered in the database no longer matches its signature and reads as a
    broken chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    intact = models.BooleanField(default=True)
    first_broken = models.BigIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True)
    checked_at = models.DateTimeField()
    full_at = models.DateTimeField(null=True, blank=True)
    signature = models.CharField(max_length=64)

    class Meta:
        db_table = "tutela_audit_check"

    def __str__(self) -> str:
        return f"audit chain {'intact' if self.intact else 'BROKEN'} to #{self.seq}"


def _connect_task_actors() -> None:
    # here rather than in AppConfig.ready(): this module is imported in every process that runs tasks
    from tutela.core import audit_tasks

    audit_tasks.connect()


_connect_task_actors()
