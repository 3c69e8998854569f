"""Data-subject requests, their pauses, tombstones of erased people, Art. 19 notices and portability receipts."""

from __future__ import annotations

from django.db import models


class RequestType(models.TextChoices):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    OBJECTION = "objection"
    RESTRICTION = "restriction"
    WITHDRAWAL = "withdrawal"
    PORTABILITY = "portability"


class Channel(models.TextChoices):
    PORTAL = "portal"
    API = "api"
    STAFF = "staff"
    EMAIL = "email"
    POST = "post"


class Status(models.TextChoices):
    RECEIVED = "received"
    IDENTITY_PENDING = "identity_pending"
    ON_HOLD = "on_hold"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


CLOSED = (Status.ANSWERED, Status.REFUSED, Status.WITHDRAWN)


class RightsRequest(models.Model):
    """One request of a person under Art. 15-22. The deadline runs from ``received_at``."""

    type = models.CharField(max_length=20, choices=RequestType.choices)
    subject = models.ForeignKey(
        "subjects.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    identifier_kind = models.CharField(max_length=20, blank=True)
    identifier_sealed = models.TextField(blank=True, help_text="the identifier given, encrypted")
    reply_to_sealed = models.TextField(
        blank=True,
        help_text="the address the person asked to be answered at, encrypted: a note, never written to",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    received_at = models.DateTimeField()
    language = models.CharField(max_length=2, default="en")
    purpose = models.CharField(
        max_length=80, blank=True, help_text="purpose scope (objection, restriction …)"
    )
    controller = models.CharField(max_length=50, blank=True, help_text="empty: both joint controllers")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    held_from = models.CharField(max_length=20, blank=True, help_text="status to resume to")
    due = models.DateField()
    extended_due = models.DateField()
    extended = models.BooleanField(default=False)
    extension_reason = models.TextField(blank=True)
    identity_method = models.CharField(max_length=30, blank=True)
    identity_verified_at = models.DateTimeField(null=True, blank=True)
    identity_verified_by = models.CharField(max_length=150, blank=True, help_text="who checked (the actor)")
    identity_how = models.CharField(
        max_length=300, blank=True, help_text="how staff checked, in their words (document seen …)"
    )
    verification_hash = models.CharField(max_length=64, blank=True)
    verification_expires = models.DateTimeField(null=True, blank=True)
    #: wrong codes entered since the code was sent; the code is cancelled at MAX_CODE_FAILURES
    verification_failures = models.PositiveSmallIntegerField(default=0)
    signed_on = models.DateField(null=True, blank=True)
    signature_ref = models.CharField(max_length=300, blank=True, help_text="reference or SHA-256 of the file")
    details = models.JSONField(default=dict, help_text="person's reasons, new values, transmission target …")
    decision = models.JSONField(default=dict, help_text="decision per item and its reasons")
    outcome = models.CharField(max_length=30, blank=True)
    reasons = models.JSONField(default=list)
    answered_at = models.DateTimeField(null=True, blank=True)
    status_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    message_id = models.CharField(max_length=300, null=True, blank=True, unique=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "tutela_request"
        indexes = [models.Index(fields=["status", "due"], name="request_status_due")]

    def __str__(self) -> str:
        return f"{self.type} request {self.pk}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED

    @property
    def effective_due(self):  # type: ignore[no-untyped-def]
        return self.extended_due if self.extended else self.due


class RequestPause(models.Model):
    """The clock stopped while waiting for information asked of the person (EDPB 01/2022 para 159)."""

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="pauses")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    reason = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "tutela_request_pause"

    def __str__(self) -> str:
        return f"pause of request {self.request_id}"


class Tombstone(models.Model):
    """What is left of an erased person: the request, the date, the categories erased — never a value."""

    request = models.ForeignKey(RightsRequest, null=True, on_delete=models.SET_NULL, related_name="+")
    subject_ref = models.PositiveBigIntegerField(help_text="the former subject id (no personal data)")
    erased_at = models.DateTimeField()
    categories = models.JSONField(default=list)
    kept = models.JSONField(default=list, help_text="categories kept and why (Art. 17(3))")

    class Meta:
        db_table = "tutela_tombstone"

    def __str__(self) -> str:
        return f"tombstone of subject {self.subject_ref}"


class Notice(models.Model):
    """An Art. 19 notice to a recipient the data were disclosed to, with its delivery."""

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="notices")
    recipient = models.CharField(max_length=80)
    channel = models.CharField(max_length=10, help_text="email or webhook")
    target = models.CharField(max_length=500)
    status = models.CharField(
        max_length=20,
        default="pending",
        help_text="pending, sent, failed, or unreachable (no contact on file)",
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    body_sealed = models.TextField(blank=True, help_text="the notice, encrypted until delivered")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "tutela_request_notice"
        constraints = [
            models.UniqueConstraint(fields=["request", "recipient"], name="one_notice_per_recipient")
        ]

    def __str__(self) -> str:
        return f"notice to {self.recipient}"


class TransmissionState(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class TransmissionReceipt(models.Model):
    """A direct transmission of portable data to another controller (Art. 20(2)): recorded as ``pending`` when
    the fulfilment commits, ``sending`` while a task run holds it (no database lock during the HTTP call),
    then ``delivered`` or ``failed`` — the proof of what was sent, and the record of an attempt that died."""

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="receipts")
    endpoint = models.CharField(max_length=500)
    state = models.CharField(
        max_length=10, choices=TransmissionState.choices, default=TransmissionState.PENDING
    )
    #: task runs that took the transmission on; a run that died mid-call leaves ``sending`` behind
    runs = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="when the current run started")
    body_sealed = models.TextField(blank=True, help_text="what is to be sent, encrypted until the end")
    attempts = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    payload_sha256 = models.CharField(max_length=64)
    response_excerpt = models.TextField(blank=True)
    delivered = models.BooleanField(default=False)
    at = models.DateTimeField(help_text="when it was recorded, then when it ended")

    class Meta:
        db_table = "tutela_transmission_receipt"

    def __str__(self) -> str:
        return f"transmission of request {self.request_id}"

    @property
    def finished(self) -> bool:
        return self.state in (TransmissionState.DELIVERED, TransmissionState.FAILED)


class InboundMail(models.Model):
    """A message read from the DPO mailbox: registered as a request, or left for triage (type unclear)."""

    message_id = models.CharField(max_length=300, unique=True)
    received_at = models.DateTimeField()
    sender_sealed = models.TextField(blank=True, help_text="the sender's address, encrypted")
    subject_line = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=2, default="en")
    guessed_type = models.CharField(max_length=20, blank=True)
    request = models.ForeignKey(
        RightsRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, default="triage", help_text="registered or triage")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "tutela_inbound_mail"

    def __str__(self) -> str:
        return f"mail {self.message_id}"
