"""The policy file's schema: what an organisation declares, as pydantic models.

Structural validation lives here (types, required fields, allowed values). Cross-references (a purpose naming
an unknown category, a consent purpose without withdrawal …) are checked by ``tutela.policy.validate``.
Every mapping is keyed by the object's key, which is what scripts and the rest of Tutela use.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LegalBasis = Literal[
    "consent", "contract", "legal_obligation", "legitimate_interest", "vital_interests", "public_task"
]
RecipientRole = Literal[
    "processor", "sub_processor", "joint_controller", "independent_controller", "authority"
]
RetentionTrigger = Literal[
    "contract_end",  # end of the membership/customer/supplier contract (still running = not due)
    "last_interest",  # when a prospect last showed interest
    "collected",  # when the item was collected
    "unsubscribed",  # when the person left the newsletter / withdrew consent for the purpose
    "books_closed",  # closing of the accounting year the item belongs to; counted from the next 1 January
    "recorded",  # recording time of a CCTV image or file
    "last_activity",  # the last interaction of the person with the controller
]
RetentionAction = Literal["erase", "anonymise", "archive"]
IdentifierKind = Literal["email", "phone", "national_number", "iban", "vat"]
ObjectionRule = Literal["absolute", "reasons", "none"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(Strict):
    street: str
    postal_code: str
    city: str
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


class Contact(Strict):
    name: str
    email: str
    phone: str | None = None
    address: Address | None = None


class Controller(Strict):
    name: str
    legal_form: str
    address: Address
    enterprise_number: str | None = None
    email: str | None = None
    role: Literal["controller", "joint_controller"] = "joint_controller"


class Authority(Strict):
    name: str
    address: Address
    website: str | None = None
    email: str | None = None
    breach_form: str | None = None
    languages: list[str] = Field(default_factory=list)


class SubjectType(Strict):
    name: str
    description: str = ""
    relationship: Literal["contract", "interest", "subscription", "participation", "visit", "none"] = "none"
    fideslang_subject: str | None = Field(default=None, description="the nearest fideslang data subject")
    collected_for: list[str] = Field(
        default_factory=list,
        description="the purposes for which data of such people are collected, recorded on each item when no "
        "purposes are given; other purposes the policy allows may use the data but never extend how long it is "
        "kept. Consent purposes are recorded only when the consent is given.",
    )


class Category(Strict):
    """A data category. The key is a fideslang data-category key (or a custom key under a fideslang parent)."""

    name: str
    description: str = ""
    fideslang_parent: str | None = Field(default=None, description="set for custom keys fideslang lacks")
    sensitive: bool = Field(default=False, description="encrypted at rest, never logged in clear")
    special: bool = Field(default=False, description="an Art. 9 special category")
    identifier: IdentifierKind | None = Field(default=None, description="validated and indexed as this kind")
    provided_by_subject: bool = Field(
        default=True, description="usually provided by the person (portability)"
    )


class Source(Strict):
    name: str
    description: str = ""
    from_subject: bool = Field(default=False, description="collected directly from the person")
    subject_types: list[str] = Field(default_factory=list, description="empty = any subject type")
    collected_for: list[str] = Field(
        default_factory=list,
        description="the purposes data from this source are collected for, when no purposes are given; "
        "empty = the subject type's collected_for",
    )


class ArchivePhase(Strict):
    """The archive that follows a rule's period: how long, on what grounds, and how it ends (§8)."""

    period: str = Field(
        pattern=r"^P(\d+Y)?(\d+M)?(\d+D)?$",
        description="ISO 8601 period in the archive, counted from the day the rule's own period ends",
    )
    grounds: list[str] = Field(
        min_length=1, description="the only uses of archived data (proof in court, an authority's control …)"
    )
    then: Literal["erase", "anonymise"] = Field(description="what ends the archive")
    basis: str = Field(default="", description="why this long in the archive: the law or the policy section")


class RetentionRule(Strict):
    name: str
    description: str
    trigger: RetentionTrigger
    period: str = Field(pattern=r"^P(\d+Y)?(\d+M)?(\d+D)?$", description="ISO 8601 period, e.g. P10Y, P1M")
    action: RetentionAction
    basis: str = Field(description="why this period: the law or the policy section")
    from_next_january: bool = False
    exceptions: str = Field(default="", description="when data may be kept longer, and why")
    archive: ArchivePhase | None = Field(
        default=None, description="required with action archive: the archive phase and how it ends"
    )

    @property
    def archive_period(self) -> str | None:
        return self.archive.period if self.archive else None

    @property
    def archive_then(self) -> str:
        return self.archive.then if self.archive else "erase"


class BalancingTest(Strict):
    interest: str
    necessity: str
    balance: str
    safeguards: str = ""


class ConsentText(Strict):
    wording: str
    withdrawal: str = Field(description="how the person withdraws, as easily as they gave it")


class Purpose(Strict):
    name: str
    description: str
    legal_basis: LegalBasis
    controllers: list[str]
    subject_types: list[str]
    categories: list[str]
    retention: str
    legal_requirement: str | None = Field(
        default=None,
        description="the law that requires it (legal obligation "
        "basis, and the only way to use a special category)",
    )
    balancing_test: BalancingTest | None = None
    consent: ConsentText | None = None
    objection: ObjectionRule | None = Field(
        default=None,
        description="default: absolute for direct marketing, "
        "reasons for legitimate interest, none for contract/legal obligation",
    )
    direct_marketing: bool = False
    profiling: bool = False
    joint: bool = Field(default=False, description="both controllers pursue it on the same data")
    policy_section: str = ""
    sources: list[str] = Field(default_factory=list, description="where its data come from (empty = any)")
    fideslang_use: str | None = Field(default=None, description="the nearest fideslang data use")

    def objection_rule(self) -> ObjectionRule:
        if self.objection is not None:
            return self.objection
        if self.direct_marketing:
            return "absolute"
        if self.legal_basis in ("legitimate_interest", "public_task"):
            return "reasons"
        return "none"


class RecipientType(Strict):
    name: str
    role: RecipientRole
    description: str = ""
    purposes: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    country: str = Field(default="BE", pattern=r"^[A-Z]{2}$")
    transfer_mechanism: Literal["adequacy", "scc", "bcr", "derogation"] | None = None


class RightRule(Strict):
    name: str
    description: str
    article: str
    dated_and_signed: bool = False
    needs_reasons: bool = False
    not_against: list[LegalBasis] = Field(default_factory=list)
    refusal_grounds: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list, description="the policy's conditions, in words")
    policy_section: str = ""


class Deadlines(Strict):
    answer_months: int = 1
    extension_months: int = 2
    holidays_country: str = "BE"


class TransferRules(Strict):
    mechanisms: list[Literal["adequacy", "scc", "bcr", "code_of_conduct", "certification", "derogation"]]
    derogations: list[str] = Field(default_factory=list)
    copy_on_request: str = ""
    description: str = ""


class BreachProcedure(Strict):
    report_to: str
    urgency_marker: str
    investigation_hours: int = 24
    authority_notification_hours: int = 72
    report_must_include: list[str] = Field(default_factory=list)
    register_fields: list[str] = Field(default_factory=list)
    investigation_covers: list[str] = Field(default_factory=list)
    notification_decision: str = ""
    follow_up: str = ""


class ChangeRules(Strict):
    """How people learn about new versions (§13)."""

    where: str
    substantial: str


class Organisation(Strict):
    name: str
    website: str | None = None


class Policy(Strict):
    """A whole policy document."""

    policy_format: Literal[1] = 1
    label: str = Field(description="the version label people see, e.g. 2026-11")
    effective: dt.date
    organisation: Organisation
    languages: list[Literal["en", "fr", "nl"]] = Field(default=["en"])
    controllers: dict[str, Controller]
    dpo: Contact
    authority: Authority
    subject_types: dict[str, SubjectType]
    categories: dict[str, Category]
    special_categories: list[str] = Field(
        description="Art. 9 categories refused unless a purpose's legal requirement covers them"
    )
    sources: dict[str, Source]
    purposes: dict[str, Purpose]
    recipients: dict[str, RecipientType]
    retention: dict[str, RetentionRule]
    rights: dict[str, RightRule]
    deadlines: Deadlines = Deadlines()
    transfers: TransferRules
    breach: BreachProcedure
    security: list[str] = Field(default_factory=list)
    principles: list[str] = Field(default_factory=list, description="the processing principles (§4)")
    changes: ChangeRules | None = None
    processor_activities: str = ""
    notice: dict[str, str] = Field(default_factory=dict, description="free text sections of the notice")

    def purposes_for(self, *, controller: str | None = None, subject_type: str | None = None) -> list[str]:
        return [
            key
            for key, p in self.purposes.items()
            if (controller is None or controller in p.controllers)
            and (subject_type is None or subject_type in p.subject_types)
        ]

    def category(self, key: str) -> Category | None:
        """The category for a key, or for its nearest declared parent (fideslang keys nest with dots)."""
        probe = key
        while probe:
            if probe in self.categories:
                return self.categories[probe]
            probe = probe.rpartition(".")[0]
        return None
