"""Staff roles and API tokens. Django's User is the login; the profile says what the person may do."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    DPO = "dpo", "Data protection officer"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    STAFF = "staff", "Staff (one entity)"
    AUDITOR = "auditor", "Auditor (read-only)"
    ARCHIVE = "archive", "Archive access"
    INTEGRATION = "integration", "Connected system"


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tutela")
    role = models.CharField(max_length=20, choices=Role.choices)
    controller = models.CharField(max_length=50, blank=True, help_text="the entity a staff member works for")
    purposes = models.JSONField(
        default=list, blank=True, help_text="purposes this account may use (empty: all of its entity's)"
    )
    archive_access = models.BooleanField(default=False)

    class Meta:
        db_table = "tutela_staff_profile"

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class ApiToken(models.Model):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="first characters, to recognise a token")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tutela_api_token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class EnrolmentToken(models.Model):
    """A one-time, expiring permission to enrol an authenticator, issued by the DPO or the CLI.

    Only the SHA-256 of the token is stored; the clear token travels once, in the link or code handed to
    the person. Used, revoked (a newer one was issued) or expired tokens open nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    token_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.CharField(max_length=150, help_text="the audit actor who issued it")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tutela_enrolment_token"

    def __str__(self) -> str:
        return f"enrolment of {self.user} until {self.expires_at:%Y-%m-%d %H:%M}"
