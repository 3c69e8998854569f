"""Recipients, their safeguards, disclosures made to them, and the transfer rules in force."""

from __future__ import annotations

from django.db import models


class TransferRuleSet(models.Model):
    """One stored version of the transfer rules (EEA, adequacy decisions, safeguards, derogations)."""

    number = models.PositiveIntegerField(unique=True)
    label = models.CharField(max_length=100)
    content = models.TextField(help_text="the YAML exactly as loaded")
    content_hash = models.CharField(max_length=64)
    source_name = models.CharField(max_length=300, blank=True)
    loaded_at = models.DateTimeField()
    loaded_by = models.CharField(max_length=200)
    active = models.BooleanField(default=False)

    class Meta:
        db_table = "tutela_transfer_rules"
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_transfer_rules"
            ),
        ]

    def __str__(self) -> str:
        return f"transfer rules v{self.number} ({self.label})"
