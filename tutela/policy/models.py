"""Stored policy versions. The active version is what every rule reads."""

from __future__ import annotations

from django.db import models


class PolicyVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)
    label = models.CharField(max_length=100)
    effective = models.DateField()
    content = models.TextField(help_text="the YAML exactly as loaded")
    content_hash = models.CharField(max_length=64, db_index=True)
    source_name = models.CharField(max_length=300, blank=True)
    loaded_at = models.DateTimeField()
    loaded_by = models.CharField(max_length=200)
    substantial = models.BooleanField(default=False)
    change_summary = models.TextField(blank=True)
    active = models.BooleanField(default=False)

    class Meta:
        db_table = "tutela_policy_version"
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_policy"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number} ({self.label})"
