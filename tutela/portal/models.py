"""Tracking of the e-mails that tell people about a substantial change of the privacy notice (§13)."""

from __future__ import annotations

from django.db import models


class PolicyChangeNotice(models.Model):
    """One person to tell about one substantial policy version. No address is stored: it is read from the
    register when the mail is sent, so an erasure in between leaves nothing behind."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        NO_ADDRESS = "no_address"
        FAILED = "failed"

    version_number = models.PositiveIntegerField()
    subject = models.ForeignKey("subjects.Subject", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "tutela_policy_change_notice"
        constraints = [
            models.UniqueConstraint(fields=["version_number", "subject"], name="one_policy_notice_per_person")
        ]
        indexes = [models.Index(fields=["version_number", "state"], name="policy_notice_state")]

    def __str__(self) -> str:
        return f"policy v{self.version_number} notice to subject {self.subject_id}: {self.state}"
