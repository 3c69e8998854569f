"""Loading versions: stored with who/when/hash, invalid ones refused, diff, the policy_activated signal."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.factories.policy import PolicyVersionFactory, policy_variant
from tests.policy.helpers import mutate, shipped_text, write
from tutela.core.errors import InvalidInput
from tutela.core.models import AuditEntry
from tutela.policy.models import PolicyVersion
from tutela.policy.selectors import active_policy, forget_cached_policy, version_diff, versions
from tutela.policy.services import policy_load
from tutela.policy.signals import policy_activated


@pytest.mark.django_db
def test_load_stores_the_version_and_audits_it(policy: Any) -> None:
    text = policy_variant(label="2027-01")
    version = policy_load(text=text, source_name="next.yaml", change_summary="new label")
    assert version.number == 2 and version.active and version.label == "2027-01"
    assert version.content_hash == hashlib.sha256(text.encode()).hexdigest()
    assert version.loaded_by and version.loaded_at
    assert list(PolicyVersion.objects.filter(active=True)) == [version]
    entry = AuditEntry.objects.filter(action="policy.load").order_by("-seq").first()
    assert entry is not None and str(entry.object_id) == "2"
    forget_cached_policy()
    assert active_policy().label == "2027-01"


@pytest.mark.django_db
def test_loading_the_active_content_again_changes_nothing(policy: Any) -> None:
    again = policy_load(text=shipped_text(), source_name="crm-group.yaml")
    assert again.number == 1 and PolicyVersion.objects.count() == 1


@pytest.mark.django_db
def test_an_invalid_policy_is_refused_with_every_error(policy: Any) -> None:
    text = mutate(shipped_text(), "    retention: cctv\n", "    retention: ccvt\n")
    text = mutate(text, "    country: US\n    transfer_mechanism: scc\n", "    country: US\n")
    with pytest.raises(InvalidInput) as info:
        policy_load(text=text, source_name="bad.yaml")
    fields = {e.field for e in info.value.errors}
    assert {"purposes.site-security.retention", "recipients.it-providers-outside-eea"} <= fields
    assert all(e.file == "bad.yaml" and e.line for e in info.value.errors)
    assert PolicyVersion.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_substantial_versions_send_the_signal_on_commit(policy: Any) -> None:
    received: list[int] = []

    def receiver(sender: Any, version: PolicyVersion, **kwargs: Any) -> None:
        received.append(version.number)

    policy_activated.connect(receiver)
    try:
        PolicyVersionFactory(label="minor")
        assert received == []
        version = PolicyVersionFactory(label="major", substantial=True, change_summary="new purpose")
        assert received == [version.number]
    finally:
        policy_activated.disconnect(receiver)


@pytest.mark.django_db
def test_diff_summarises_what_changed(policy: Any) -> None:
    PolicyVersionFactory(
        label="2027-02",
        replacements=[
            ("    period: P6M\n", "    period: P3M\n"),
            ("  site-access:\n", "  site-access-old:\n"),
            ("site-security, site-access, research", "site-security, site-access-old, research"),
            (
                "collected_for: [site-access, site-security]",
                "collected_for: [site-access-old, site-security]",
            ),
            ("    collected_for: [site-access]\n", "    collected_for: [site-access-old]\n"),
        ],
    )
    result = version_diff(1, 2)
    assert result["changes"]["retention"]["changed"] == {"site-registration": ["period"]}
    assert result["changes"]["purposes"]["added"] == ["site-access-old"]
    assert result["changes"]["purposes"]["removed"] == ["site-access"]
    assert "-    period: P6M" in result["diff"] and "+    period: P3M" in result["diff"]
    assert [v.number for v in versions()] == [2, 1]


def test_load_versions_diff_through_the_cli(cli: Any, tmp_path: Any) -> None:
    assert cli("init", "--json").returncode == 0
    changed = policy_variant(("    period: P6M\n", "    period: P3M\n"), label="2027-03")
    r = cli(
        "policy",
        "load",
        str(write(tmp_path, changed)),
        "--substantial",
        "--summary",
        "shorter visitor register",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    assert r.json()["version"] == 2 and r.json()["substantial"] is True

    listed = cli("policy", "versions", "--json").json()["versions"]
    assert [(v["version"], v["active"], v["substantial"]) for v in listed] == [
        (2, True, True),
        (1, False, False),
    ]
    assert listed[0]["summary"] == "shorter visitor register"

    d = cli("policy", "diff", "1", "2", "--json")
    assert d.returncode == 0
    assert "retention: changed site-registration (period)" in d.json()["summary"]
    human = cli("policy", "diff", "1", "2")
    assert "+    period: P3M" in human.stdout and "What changed" in human.stdout

    bad = mutate(shipped_text(), "    retention: cctv\n", "    retention: ccvt\n")
    r = cli("policy", "load", str(write(tmp_path, bad, "bad.yaml")), "--json")
    assert r.returncode == 2
    assert any(e.get("field") == "purposes.site-security.retention" for e in r.json()["errors"])
    assert len(cli("policy", "versions", "--json").json()["versions"]) == 2
    assert cli("policy", "diff", "1", "9").returncode == 2
