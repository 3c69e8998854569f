"""Each kind of mistake a DPO makes, in a copy of the shipped policy: exit 2, the key, its line, a suggestion.

Lines are found by searching the broken text for the edited snippet, not by asking Tutela.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.policy.helpers import line_containing, mutate, shipped_text, write
from tutela.policy.loader import check_policy_text


@dataclass(frozen=True)
class Mistake:
    id: str
    old: str
    new: str
    needle: str  # a snippet of the line the error must point at
    after: str | None  # search for the needle after this snippet
    path: str  # the path the error must name
    words: tuple[str, ...]  # words the message must contain (the key, the suggestion …)


NEWSLETTER_CATS = "    categories: [user.name, user.contact.email, user.demographic.language]\n    sources: [direct]\n    retention: newsletter"

MISTAKES = [
    Mistake(
        "misspelt category used by a purpose",
        NEWSLETTER_CATS,
        NEWSLETTER_CATS.replace("user.contact.email", "user.contact.emial"),
        "user.contact.emial",
        None,
        "purposes.newsletter.categories[1]",
        ("user.contact.emial", "did you mean `user.contact.email`"),
    ),
    Mistake(
        "misspelt category key where it is declared",
        "  user.behavior.browsing_history:\n",
        "  user.behavior.browsing_histroy:\n",
        "user.behavior.browsing_histroy:",
        None,
        'categories["user.behavior.browsing_histroy"]',
        ("user.behavior.browsing_histroy", "not a fideslang data category", "user.behavior.browsing_history"),
    ),
    Mistake(
        "custom category without a fideslang parent",
        "  user.behavior.event_participation:\n    name: Event participation\n",
        "  user.behavior.event_participation:\n    name: Event participation\n    fideslang_parent: user.behaviour\n",
        "fideslang_parent: user.behaviour",
        None,
        'categories["user.behavior.event_participation"].fideslang_parent',
        ("user.behaviour", "did you mean `user.behavior`"),
    ),
    Mistake(
        "unknown controller",
        "    legal_basis: legal_obligation\n    legal_requirement: >-\n      Code of Economic Law art. III.82 to III.89 (bookkeeping), income-tax code 1992 art. 315 and VAT code art. 60\n      (keeping the books and their supporting documents).\n    controllers: [crm-asbl, ac-cs]",
        "    legal_basis: legal_obligation\n    legal_requirement: >-\n      Code of Economic Law art. III.82 to III.89 (bookkeeping), income-tax code 1992 art. 315 and VAT code art. 60\n      (keeping the books and their supporting documents).\n    controllers: [crm-asbl, ac-sc]",
        "controllers: [crm-asbl, ac-sc]",
        None,
        "purposes.accounting.controllers[1]",
        ("ac-sc", "did you mean `ac-cs`"),
    ),
    Mistake(
        "unknown subject type",
        "    subject_types: [prospect]\n    categories: [user.name, user.name.title",
        "    subject_types: [prospcet]\n    categories: [user.name, user.name.title",
        "subject_types: [prospcet]",
        None,
        "purposes.prospecting.subject_types[0]",
        ("prospcet", "did you mean `prospect`"),
    ),
    Mistake(
        "unknown source",
        "    sources: [direct, official-publication, client-company",
        "    sources: [direct, oficial-publication, client-company",
        "oficial-publication",
        None,
        "purposes.prospecting.sources[1]",
        ("oficial-publication", "did you mean `official-publication`"),
    ),
    Mistake(
        "unknown retention rule",
        "    retention: cctv\n",
        "    retention: ccvt\n",
        "retention: ccvt",
        None,
        "purposes.site-security.retention",
        ("ccvt", "did you mean `cctv`"),
    ),
    Mistake(
        "purpose without a retention rule",
        "    retention: prospect-interest\n",
        "",
        "  prospecting:",
        None,
        "purposes.prospecting.retention",
        ("retention", "required"),
    ),
    Mistake(
        "unknown purpose in a recipient",
        "    purposes: [accounting]\n  licensed-commissioner:",
        "    purposes: [acounting]\n  licensed-commissioner:",
        "purposes: [acounting]",
        None,
        "recipients.external-auditor.purposes[0]",
        ("acounting", "did you mean `accounting`"),
    ),
    Mistake(
        "consent purpose without withdrawal",
        '      withdrawal: "One click on the unsubscribe link in every newsletter, or the portal, or an e-mail to dpo@crmgroup.be."\n',
        "",
        "    consent:",
        "  newsletter:",
        "purposes.newsletter.consent",
        ("withdrawal",),
    ),
    Mistake(
        "special category without a legal requirement",
        "    categories: [user.sensor.cctv_image]\n",
        "    categories: [user.sensor.cctv_image, user.demographic.religious_belief]\n",
        "user.demographic.religious_belief]",
        None,
        "purposes.site-security.categories[1]",
        ("user.demographic.religious_belief", "special category", "legal_requirement"),
    ),
    Mistake(
        "legitimate interest without a balancing test",
        "    description: Organising our events, registering participants and sending them the practical information.\n    legal_basis: contract",
        "    description: Organising our events, registering participants and sending them the practical information.\n    legal_basis: legitimate_interest",
        "  event-management:",
        None,
        "purposes.event-management",
        ("balancing_test",),
    ),
    Mistake(
        "recipient outside the EEA without a transfer mechanism",
        "    country: US\n    transfer_mechanism: scc\n",
        "    country: US\n",
        "  it-providers-outside-eea:",
        None,
        "recipients.it-providers-outside-eea",
        ("outside the EEA", "US", "transfer_mechanism"),
    ),
    Mistake(
        "misspelt field name",
        '    legal_basis: consent\n    direct_marketing: true\n    consent:\n      wording: "I want',
        '    legal_bassis: consent\n    direct_marketing: true\n    consent:\n      wording: "I want',
        "legal_bassis: consent",
        None,
        "purposes.newsletter.legal_bassis",
        ("legal_bassis", "did you mean `legal_basis`"),
    ),
    Mistake(
        "misspelt value from a fixed list",
        "    legal_basis: consent\n    profiling: true",
        "    legal_basis: consnet\n    profiling: true",
        "legal_basis: consnet",
        None,
        "purposes.user-profiles.legal_basis",
        ("consnet", "did you mean `consent`"),
    ),
    Mistake(
        "period that is not ISO 8601",
        "    period: P1M\n",
        "    period: 1 month\n",
        "period: 1 month",
        None,
        "retention.cctv.period",
        ("1 month", "ISO 8601"),
    ),
    Mistake(
        "unknown right",
        "  portability:\n    name: Right to data portability",
        "  portabilty:\n    name: Right to data portability",
        "  portabilty:",
        None,
        "rights.portabilty",
        ("portabilty", "did you mean `portability`"),
    ),
    Mistake(
        "duplicate key",
        "  visitor:\n    name: Site visitor\n",
        "  visitor:\n    name: Site visitor\n  visitor:\n    name: Visitor again\n",
        "name: Visitor again",
        None,
        "subject_types.visitor",
        ("duplicate key `visitor`",),
    ),
    # issue 16: every lifecycle ends in erasure or anonymisation
    Mistake(
        "archive that never ends",
        """    archive:
      period: P10Y
      grounds: [proof in court, control by an authorised authority, production of documents to a judicial, administrative or police authority]
      then: erase
      basis: "Policy §8: archived data are only accessible for proof in court, an authority's control or the production of documents."
""",
        "",
        "    action: archive",
        "  legal-proof:",
        "retention.legal-proof.action",
        ("legal-proof", "never ends", "then: erase"),
    ),
    Mistake(
        "source default purpose that does not take data from the source",
        "    subject_types: [visitor]\n    collected_for: [site-security]\n",
        "    subject_types: [visitor]\n    collected_for: [site-access]\n",
        "collected_for: [site-access]",
        "  cctv:",
        "sources.cctv.collected_for[0]",
        ("site-access", "does not list source `cctv`"),
    ),
]


def _expected_line(mistake: Mistake, text: str) -> int:
    if mistake.id == "duplicate key":
        return line_containing(text, "name: Visitor again") - 1
    return line_containing(text, mistake.needle, after=mistake.after)


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_check_names_the_key_its_line_and_a_suggestion(mistake: Mistake, tmp_path: Path, cli: Any) -> None:
    text = mutate(shipped_text(), mistake.old, mistake.new)
    path = write(tmp_path, text)
    line = _expected_line(mistake, text)

    r = cli("policy", "check", str(path), "--json")

    assert r.returncode == 2, r.stderr
    out = r.json()
    assert out["valid"] is False
    matching = [e for e in out["errors"] if e["path"] == mistake.path]
    assert matching, out["errors"]
    err = matching[0]
    assert set(err) == {"file", "line", "path", "message"}
    assert err["file"] == str(path)
    assert err["line"] == line, (err, line)
    for word in mistake.words:
        assert word in err["message"], err["message"]


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_check_text_finds_the_same_without_the_cli(mistake: Mistake) -> None:
    text = mutate(shipped_text(), mistake.old, mistake.new)
    checked = check_policy_text(text, filename="copy.yaml")
    assert not checked.valid
    assert checked.policy is None
    assert any(i.path == mistake.path and i.line == _expected_line(mistake, text) for i in checked.issues)


def test_human_output_names_file_line_and_key(tmp_path: Path, cli: Any) -> None:
    mistake = MISTAKES[0]
    text = mutate(shipped_text(), mistake.old, mistake.new)
    path = write(tmp_path, text)
    r = cli("policy", "check", str(path))
    assert r.returncode == 2
    assert f"{path}:{_expected_line(mistake, text)}" in r.stdout
    assert "user.contact.emial" in r.stdout


def test_several_mistakes_are_all_reported(tmp_path: Path, cli: Any) -> None:
    text = shipped_text()
    for m in (MISTAKES[0], MISTAKES[6], MISTAKES[12]):
        text = mutate(text, m.old, m.new)
    r = cli("policy", "check", str(write(tmp_path, text)), "--json")
    assert r.returncode == 2
    paths = {e["path"] for e in r.json()["errors"]}
    assert {MISTAKES[0].path, MISTAKES[6].path, MISTAKES[12].path} <= paths
