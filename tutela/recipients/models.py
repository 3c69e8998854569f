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


class Role(models.TextChoices):
    PROCESSOR = "processor"
    SUB_PROCESSOR = "sub_processor"
    JOINT_CONTROLLER = "joint_controller"
    INDEPENDENT_CONTROLLER = "independent_controller"
    AUTHORITY = "authority"


class Recipient(models.Model):
    """A concrete recipient of personal data (a company, an authority, the other group entity)."""

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    recipient_type = models.CharField(max_length=80, help_text="a key of the policy's recipients")
    role = models.CharField(max_length=30, choices=Role.choices)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 where the data go")
    scheme = models.CharField(max_length=20, blank=True, help_text="certification scheme: dpf, pipeda")
    group_controller = models.CharField(
        max_length=50, blank=True, help_text="set when the recipient is the other group entity"
    )
    contact_email = models.EmailField(blank=True, help_text="where Art. 19 notices go")
    webhook_url = models.URLField(blank=True, help_text="HTTPS endpoint for Art. 19 notices")
    contract_ref = models.CharField(max_length=200, blank=True, help_text="contract or DPA reference")
    contract_expires_on = models.DateField(null=True, blank=True)
    categories = models.JSONField(default=list, help_text="data categories it may receive")
    purposes = models.JSONField(default=list, help_text="purposes for which it may receive data")
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "tutela_recipient"
        ordering = ["key"]
        indexes = [models.Index(fields=["contract_expires_on"], name="recipient_contract_expiry")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class Safeguard(models.Model):
    """An Art. 46/47 safeguard on file for a recipient: SCC (with module), BCR, code of conduct …"""

    class Kind(models.TextChoices):
        SCC = "scc"
        BCR = "bcr"
        CODE_OF_CONDUCT = "code_of_conduct"
        CERTIFICATION = "certification"
        AD_HOC_CLAUSES = "ad_hoc_clauses"

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="safeguards")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    scc_module = models.CharField(max_length=3, blank=True, help_text="c2c, c2p, p2p or p2c")
    reference = models.CharField(max_length=200, blank=True, help_text="document or BCR approval reference")
    signed_on = models.DateField(help_text="signature or approval date; valid from that day")
    expires_on = models.DateField(null=True, blank=True)
    revoked_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "tutela_recipient_safeguard"
        ordering = ["recipient_id", "signed_on"]

    def __str__(self) -> str:
        module = f" {self.scc_module}" if self.scc_module else ""
        return f"{self.kind}{module} signed {self.signed_on}"


class ClientController(models.Model):
    """A controller for whom the group processes data (§2: the group as processor)."""

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    contact_email = models.EmailField(blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    instructions_ref = models.CharField(max_length=200, help_text="the documented instructions (Art. 28)")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "tutela_client_controller"
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class Disclosure(models.Model):
    """One export of personal data to one recipient, for one purpose, from one controller."""

    public_id = models.UUIDField(unique=True, editable=False)
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="disclosures")
    controller = models.CharField(max_length=50, help_text="the group entity that discloses")
    purpose = models.CharField(max_length=80)
    at = models.DateTimeField()
    on = models.DateField(help_text="the transfer date the guard checked")
    basis = models.CharField(max_length=200, help_text="eea, adequacy:…, scc:…, bcr, derogation:…")
    mechanism = models.CharField(max_length=20, help_text="none (EEA), adequacy, safeguard or derogation")
    safeguard = models.ForeignKey(
        Safeguard, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    derogation = models.CharField(max_length=40, blank=True)
    derogation_reason = models.TextField(blank=True)
    categories = models.JSONField(default=list)
    format = models.CharField(max_length=10)
    subjects_count = models.PositiveIntegerField(default=0)
    items_count = models.PositiveIntegerField(default=0)
    actor = models.CharField(max_length=200)

    class Meta:
        db_table = "tutela_disclosure"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"disclosure to {self.recipient_id} at {self.at:%Y-%m-%d}"


class DisclosedItem(models.Model):
    """Per person and item: what a recipient received in one disclosure."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="items")
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("subjects.Subject", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        "subjects.DataItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    item_ref = models.BigIntegerField(help_text="the item's id, kept when the item is deleted")
    category = models.CharField(max_length=150)
    at = models.DateTimeField()

    class Meta:
        db_table = "tutela_disclosed_item"
        indexes = [
            models.Index(fields=["subject", "recipient"], name="disclosed_subject"),
            models.Index(fields=["item_ref"], name="disclosed_item"),
        ]

    def __str__(self) -> str:
        return f"{self.category} of subject {self.subject_id} to {self.recipient_id}"
