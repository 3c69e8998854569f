"""Retention's own tables: sweep runs (progress, for resuming), legal holds, anonymous statistics."""

from __future__ import annotations

from django.db import models


class SweepRun(models.Model):
    """One run of the retention sweep. Counts grow batch by batch, in the batch's own transaction."""

    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        #: finished, but some batches (or purpose sets) could not be done: see ``problems``
        PARTIAL = "partial"
        FAILED = "failed"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    as_of = models.DateField(help_text="the day the rules were evaluated for (kept when a run resumes)")
    files = models.BooleanField(default=False, help_text="the run also swept the files tree")
    actor = models.CharField(max_length=200, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    host = models.CharField(max_length=200, blank=True)
    resumed = models.PositiveIntegerField(default=0, help_text="times the run was taken over after a stop")
    erased = models.BigIntegerField(default=0)
    anonymised = models.BigIntegerField(default=0)
    archived = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    files_deleted = models.BigIntegerField(default=0)
    files_held = models.BigIntegerField(default=0)
    subjects_erased = models.BigIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    by_rule = models.JSONField(default=dict, help_text="counts per rule set and action")
    done_groups = models.JSONField(default=list, help_text="purpose sets fully swept in this run")
    error = models.TextField(blank=True)
    problems = models.JSONField(
        default=list,
        help_text="what could not be done: purpose set, rules, items, error (one entry per failure)",
    )

    class Meta:
        db_table = "tutela_retention_sweep_run"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"sweep {self.pk} ({self.status})"

    @property
    def due(self) -> int:
        return self.erased + self.anonymised + self.archived + self.held


class LegalHold(models.Model):
    """A hold on a person, a set of items or a camera's recordings: blocks erasure until released."""

    case_ref = models.CharField(max_length=200)
    reason = models.TextField()
    subject_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    camera = models.CharField(max_length=200, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    placed_at = models.DateTimeField()
    placed_by = models.CharField(max_length=200)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.CharField(max_length=200, blank=True)
    release_reason = models.TextField(blank=True)

    class Meta:
        db_table = "tutela_legal_hold"
        indexes = [models.Index(fields=["released_at", "subject_id"], name="hold_active_subject")]

    def __str__(self) -> str:
        return f"hold {self.pk} ({self.case_ref})"

    @property
    def active(self) -> bool:
        return self.released_at is None


class LegalHoldItem(models.Model):
    """One item named by a hold (item ids, not foreign keys: a hold outlives nothing it protects)."""

    hold = models.ForeignKey(LegalHold, on_delete=models.CASCADE, related_name="items")
    item_id = models.BigIntegerField(db_index=True)

    class Meta:
        db_table = "tutela_legal_hold_item"
        constraints = [models.UniqueConstraint(fields=["hold", "item_id"], name="hold_item_once")]

    def __str__(self) -> str:
        return f"item {self.item_id} under hold {self.hold_id}"


class AnonymousCount(models.Model):
    """What anonymisation keeps: how many items of a category a controller held, per year. No person."""

    controller = models.CharField(max_length=50)
    category = models.CharField(max_length=150)
    year = models.PositiveSmallIntegerField()
    rule = models.CharField(max_length=100)
    count = models.BigIntegerField(default=0)

    class Meta:
        db_table = "tutela_retention_anonymous_count"
        constraints = [
            models.UniqueConstraint(fields=["controller", "category", "year", "rule"], name="anon_count_key")
        ]

    def __str__(self) -> str:
        return f"{self.count} x {self.category} ({self.controller}, {self.year})"
