"""The breach register (§12 of the policy): reports, investigation, assessment, notifications, lessons.

Every breach is kept, notified or not; the register fields of §12.3 live on the breach, the chronology in
events, the recommended changes in their own table.
"""

from __future__ import annotations

from django.db import models


class IncidentType(models.TextChoices):
    DISCLOSURE_BY_MISTAKE = "disclosure_by_mistake", "Data sent or shown to the wrong person by mistake"
    UNAUTHORISED_ACCESS = "unauthorised_access", "Unauthorised access (hacking, misuse of rights)"
    RANSOMWARE = "ransomware", "Ransomware or other malware"
    LOSS_OR_THEFT = "loss_or_theft", "Loss or theft of a device or paper files"
    ALTERATION = "alteration", "Data altered or destroyed"
    UNAVAILABILITY = "unavailability", "Data unavailable"
    SOCIAL_ENGINEERING = "social_engineering", "Social engineering (phishing, impersonation)"
    OTHER = "other", "Other security incident"


class Breach(models.Model):
    class Status(models.TextChoices):
        REPORTED = "reported"
        INVESTIGATING = "investigating"
        ASSESSED = "assessed"
        CLOSED = "closed"

    controller = models.CharField(max_length=50, blank=True, help_text="the entity concerned, if known")
    summary = models.CharField(max_length=300)
    incident_type = models.CharField(max_length=30, choices=IncidentType.choices)
    description = models.TextField(help_text="complete and detailed description of the incident")
    people_concerned = models.PositiveIntegerField(null=True, blank=True, help_text="best estimate")
    urgency = models.CharField(max_length=10, default="high")
    # the reporter (§12.1)
    reporter_name = models.CharField(max_length=200)
    reporter_address = models.CharField(max_length=300)
    reporter_email = models.CharField(max_length=254, blank=True)
    reporter_phone = models.CharField(max_length=50)
    # a processor's report (Art. 33(2))
    processor = models.CharField(max_length=200, blank=True)
    processor_reported_at = models.DateTimeField(null=True, blank=True)
    # times
    detected_at = models.DateTimeField(help_text="when the incident was detected or identified")
    aware_at = models.DateTimeField(help_text="when the controller became aware: the 72 hours start here")
    reported_at = models.DateTimeField()
    investigation_started_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REPORTED)
    # investigation (§12.2)
    nature = models.TextField(blank=True)
    data_types = models.JSONField(default=list, blank=True, help_text="data-category keys")
    personal_data_affected = models.BooleanField(null=True, blank=True)
    is_personal_data_breach = models.BooleanField(null=True, blank=True)
    records_concerned = models.PositiveIntegerField(null=True, blank=True)
    subjects_found = models.PositiveIntegerField(default=0, help_text="people found in the register")
    # decision
    notify_authority = models.BooleanField(null=True, blank=True)
    notify_subjects = models.BooleanField(null=True, blank=True)
    severity = models.CharField(max_length=12, blank=True)
    no_notification_reason = models.TextField(blank=True)
    authority_notified_at = models.DateTimeField(null=True, blank=True)
    authority_delay_reasons = models.TextField(blank=True)
    subjects_notified_at = models.DateTimeField(null=True, blank=True)
    likely_consequences = models.TextField(blank=True)
    measures_taken = models.TextField(blank=True)
    measures_proposed = models.TextField(blank=True)
    # register (§12.3)
    main_cause = models.TextField(blank=True)
    contributing_factors = models.TextField(blank=True)
    responses = models.TextField(blank=True)
    recommendations = models.TextField(blank=True)
    lessons_learned = models.TextField(blank=True)
    dpo_review = models.TextField(blank=True)
    dpo_reviewed_at = models.DateTimeField(null=True, blank=True)
    dpo_reviewed_by = models.CharField(max_length=200, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "tutela_breach"
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["status", "aware_at"], name="breach_status_aware")]

    def __str__(self) -> str:
        return f"breach {self.pk}: {self.summary}"


class BreachEvent(models.Model):
    """One line of the chronology."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    text = models.TextField()
    actor = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "tutela_breach_event"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class BreachAssessment(models.Model):
    """One run of the risk assessment: the facts, the answer, and the version of the rules that gave it."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="assessments")
    at = models.DateTimeField()
    facts = models.JSONField()
    result = models.JSONField()
    rules_version = models.CharField(max_length=30)
    actor = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "tutela_breach_assessment"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"assessment {self.pk} of breach {self.breach_id}"


class BreachSubject(models.Model):
    """A person of the register concerned by a breach."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="affected")
    subject = models.ForeignKey("subjects.Subject", on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "tutela_breach_subject"
        constraints = [models.UniqueConstraint(fields=["breach", "subject"], name="breach_subject_once")]

    def __str__(self) -> str:
        return f"subject {self.subject_id} in breach {self.breach_id}"


class AuthorityNotification(models.Model):
    """One phase of the notification to the authority (Art. 33(4): initial, then follow-ups)."""

    class Phase(models.TextChoices):
        INITIAL = "initial"
        FOLLOW_UP = "follow_up"

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="authority_notifications")
    phase = models.CharField(max_length=12, choices=Phase.choices)
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    late = models.BooleanField(default=False)
    delay_reasons = models.TextField(blank=True)
    content = models.JSONField()
    text = models.TextField()
    actor = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "tutela_breach_authority_notification"
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["breach", "number"], name="breach_notification_number")
        ]

    def __str__(self) -> str:
        return f"{self.phase} notification {self.number} of breach {self.breach_id}"


class SubjectCommunication(models.Model):
    """The communication to the people (Art. 34): by e-mail to each, or a public notice."""

    class Channel(models.TextChoices):
        EMAIL = "email"
        PUBLIC_NOTICE = "public_notice"

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="communications")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    at = models.DateTimeField()
    texts = models.JSONField(help_text="language -> {subject, body}")
    total = models.PositiveIntegerField(default=0)
    actor = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "tutela_breach_communication"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.channel} communication of breach {self.breach_id}"


class SubjectNotice(models.Model):
    """One person's copy of a communication, with its delivery state."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"
        NO_ADDRESS = "no_address"

    communication = models.ForeignKey(SubjectCommunication, on_delete=models.CASCADE, related_name="notices")
    subject = models.ForeignKey("subjects.Subject", on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=2, default="en")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "tutela_breach_notice"
        indexes = [models.Index(fields=["communication", "state"], name="notice_comm_state")]

    def __str__(self) -> str:
        return f"notice to subject {self.subject_id}: {self.state}"


class RecommendedChange(models.Model):
    """A change to systems or procedures recommended after a breach, and how far it is implemented."""

    class State(models.TextChoices):
        PROPOSED = "proposed"
        IN_PROGRESS = "in_progress"
        IMPLEMENTED = "implemented"
        REJECTED = "rejected"

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="changes")
    description = models.TextField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PROPOSED)
    owner = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    implemented_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tutela_breach_change"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"change {self.pk} ({self.state})"
