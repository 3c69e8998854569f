"""The consent ledger, objections, the suppression list and newsletter tokens.

The ledger is append-only: a person's current consent is derived from the latest event for a purpose and
controller (see ``selectors.current_consent``), never stored as a flag. ``controller = ""`` means the event
concerns every controller pursuing the purpose (the joint controllers of the group).

The suppression list holds keyed hashes only and has no foreign key to the person, so it outlives erasure.
"""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    PORTAL = "portal"
    EMAIL = "email"
    API = "api"
    STAFF = "staff"
    PAPER = "paper"
    IMPORT = "import"


class ConsentEvent(models.Model):
    """One consent given, withdrawn or expired, with the proof of how and under which wording."""

    class Kind(models.TextChoices):
        GIVEN = "given"
        WITHDRAWN = "withdrawn"
        EXPIRED = "expired"

    subject = models.ForeignKey("subjects.Subject", on_delete=models.CASCADE, related_name="consent_events")
    purpose = models.CharField(max_length=80)
    controller = models.CharField(
        max_length=50, blank=True, help_text="empty: every controller of the purpose"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    policy_version = models.PositiveIntegerField(help_text="number of the policy version in force")
    wording = models.TextField(blank=True, help_text="the exact consent wording shown to the person")
    wording_sha256 = models.CharField(max_length=64, blank=True)
    page = models.CharField(max_length=500, blank=True, help_text="the web page where consent was given")
    request_hash = models.CharField(
        max_length=64, blank=True, help_text="blind index of IP address and user agent, never in clear"
    )
    evidence = models.TextField(blank=True)
    topics = models.JSONField(default=list, blank=True, help_text="newsletter topics chosen")
    recorded_by = models.CharField(max_length=200)

    class Meta:
        db_table = "tutela_consent_event"
        indexes = [models.Index(fields=["subject", "purpose", "at"], name="consent_subject_purpose_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.purpose} ({self.at:%Y-%m-%d})"


class Objection(models.Model):
    """An objection to a purpose (Art. 21). Absolute for prospecting; otherwise decided by the DPO."""

    class Status(models.TextChoices):
        UPHELD = "upheld"  # processing stops (absolute objection, or the DPO found for the person)
        PENDING = "pending"  # awaiting the DPO's balancing; processing restricted meanwhile
        REJECTED = "rejected"  # compelling legitimate grounds override (recorded balancing)

    subject = models.ForeignKey("subjects.Subject", on_delete=models.CASCADE, related_name="objections")
    purpose = models.CharField(max_length=80)
    controller = models.CharField(
        max_length=50, blank=True, help_text="empty: every controller of the purpose"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    absolute = models.BooleanField(default=False)
    reasons = models.TextField(blank=True, help_text="the person's reasons (not asked for prospecting)")
    request_ref = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True)
    balancing = models.TextField(blank=True, help_text="the DPO's balancing of interests")

    class Meta:
        db_table = "tutela_objection"
        indexes = [models.Index(fields=["subject", "purpose"], name="objection_subject_purpose")]

    def __str__(self) -> str:
        return f"objection to {self.purpose} ({self.status})"


class Suppression(models.Model):
    """Do-not-contact entry: a keyed hash of a normalised identifier, kept after the person's erasure."""

    lookup = models.CharField(max_length=64, help_text="blind_index(kind, normalised identifier)")
    kind = models.CharField(max_length=10, help_text="email or phone")
    purpose = models.CharField(max_length=80)
    controller = models.CharField(max_length=50, blank=True, help_text="empty: every controller")
    reason = models.CharField(max_length=20, help_text="objection or unsubscribe")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "tutela_suppression"
        constraints = [
            models.UniqueConstraint(
                fields=["lookup", "purpose", "controller"], name="one_suppression_per_key"
            )
        ]
        indexes = [models.Index(fields=["lookup", "purpose"], name="suppression_lookup_purpose")]

    def __str__(self) -> str:
        return f"{self.kind} suppressed for {self.purpose}"


class NewsletterTopic(models.Model):
    """Topics a subscriber may choose (the policy file has no topic list; the DPO edits them in the admin)."""

    key = models.SlugField(max_length=50, unique=True)
    name_en = models.CharField(max_length=200)
    name_fr = models.CharField(max_length=200)
    name_nl = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "tutela_newsletter_topic"
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def name(self, language: str) -> str:
        return str(getattr(self, f"name_{language}", "") or self.name_en)


class NewsletterPending(models.Model):
    """A subscription waiting for its confirmation click. Only the token's SHA-256 is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    email_sealed = models.TextField(help_text="the address, encrypted until confirmation")
    lookup = models.CharField(max_length=64)
    controller = models.CharField(max_length=50, blank=True)
    topics = models.JSONField(default=list)
    language = models.CharField(max_length=2, default="en")
    page = models.CharField(max_length=500, blank=True)
    source = models.CharField(
        max_length=20, blank=True, help_text="where the request came from (portal, api …)"
    )
    request_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tutela_newsletter_pending"

    def __str__(self) -> str:
        return f"pending subscription {self.pk}"
