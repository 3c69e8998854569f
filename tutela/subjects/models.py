"""The register of personal data: people, the items held about them, and the facts that drive retention."""

from __future__ import annotations

import uuid

from django.db import models


class Subject(models.Model):
    """A natural person whose data Tutela holds. Holds no personal data itself: that lives in items."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    language = models.CharField(max_length=2, default="en", help_text="language to answer in: en, fr or nl")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    erased_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, help_text="optimistic lock for concurrent edits")

    class Meta:
        db_table = "tutela_subject"

    def __str__(self) -> str:
        return f"subject {self.pk}"


class DataItem(models.Model):
    """One piece of personal data, with its category, controller, provenance and purposes."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        RESTRICTED = "restricted"
        ARCHIVED = "archived"
        ERASED = "erased"

    # no index of its own: ``item_subject_controller`` starts with the person and serves their look-ups
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="items", db_index=False)
    controller = models.CharField(max_length=50)
    category = models.CharField(max_length=150)
    value = models.TextField(blank=True, help_text="clear value; empty for sensitive categories")
    value_sealed = models.TextField(blank=True, help_text="AES-GCM ciphertext for sensitive categories")
    # NULL, not "", for items that are no identifier: the look-up index then holds identifiers only
    lookup = models.CharField(max_length=64, null=True, blank=True, help_text="blind index of an identifier")  # noqa: DJ001
    source = models.CharField(max_length=50)
    source_detail = models.CharField(max_length=300, blank=True)
    # what the source says; NULL when it said nothing (retention then counts from ``created_at``, the time
    # Tutela received the item, never later than the real collection)
    collected_at = models.DateTimeField(null=True, blank=True)
    purposes = models.JSONField(default=list)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    provided_by_subject = models.BooleanField(default=False)
    on_behalf_of = models.CharField(
        max_length=200, blank=True, help_text="client controller (we are processor)"
    )
    instruction_ref = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "tutela_data_item"
        indexes = [
            models.Index(fields=["lookup"], name="item_lookup"),
            models.Index(fields=["subject", "controller"], name="item_subject_controller"),
            # the retention sweep reads each purpose set's items old enough to be due (a range, not a scan)
            models.Index(
                fields=["purposes", "collected_at"],
                name="item_active_purposes_collected",
                condition=models.Q(status="active"),
            ),
            # items whose source gave no date count from when they were received: the same range for them
            models.Index(
                fields=["purposes", "created_at"],
                name="item_undated_purposes_received",
                condition=models.Q(status="active", collected_at__isnull=True),
            ),
            # restricted and archived items are swept too (their periods run on): few, read by purpose set
            models.Index(
                fields=["status", "purposes"],
                name="item_kept_status_purposes",
                condition=models.Q(status__in=["restricted", "archived"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} of subject {self.subject_id}"


class Relationship(models.Model):
    """A person's standing with one controller (member, prospect …): the facts retention counts from."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="relationships")
    controller = models.CharField(max_length=50)
    kind = models.CharField(max_length=50, help_text="a subject-type key of the policy")
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    last_interest_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "tutela_relationship"
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "controller", "kind"], name="one_relationship_per_kind"
            ),
        ]
        indexes = [models.Index(fields=["controller", "kind", "ended_on"], name="rel_kind_end")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.controller}"


class Interaction(models.Model):
    """Something the person did with a controller: took part in an event, asked for contact, registered."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="interactions")
    controller = models.CharField(max_length=50)
    kind = models.CharField(max_length=50)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict)

    class Meta:
        db_table = "tutela_interaction"

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d}"
