"""The privacy notice states the group's real facts, in Markdown and HTML, with headings in en, fr and nl."""

from __future__ import annotations

import html
from typing import Any

import pytest

from tutela.policy.notice import notice_render
from tutela.policy.selectors import notice_render as notice_render_selector

#: facts from the group's policy and the Belgian reference, written here by hand
FACTS = [
    "dpo@crmgroup.be",
    "Rue Ravenstein 4",
    "1000 Brussels",
    "Allée de l'Innovation 1",
    "4000 Liège",
    "CRM asbl",
    "AC & CS scrl",
    "Moniteur belge",
    "Standard Contractual Clauses",
    "Rue de la Presse 35",
]
EN_WORDS = [
    "ten years after the end of the contract",
    "one year after you last showed an interest",
    "one month after recording",
    "ten years from 1 January of the year after the books are closed",
    "keyed hash",
    "suppression list",
    "without giving reasons",
    "dated and signed",
    "24 hours",
    "72 hours",
]
#: headings a reader must find in each language (written by hand, not taken from Tutela's tables)
HEADINGS = {
    "en": ["Who we are", "Your rights", "How long we keep your data", "Complaints", "Personal data breaches"],
    "fr": ["Qui sommes-nous ?", "Vos droits", "Combien de temps conservons-nous vos données ?", "Plaintes"],
    "nl": ["Wie zijn wij?", "Uw rechten", "Hoe lang bewaren wij uw gegevens?", "Klachten"],
}
RETENTION_WORDS = {
    "fr": ["dix ans après la fin du contrat", "un mois après l'enregistrement"],
    "nl": ["tien jaar na het einde van het contract", "één maand na de opname"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_notice_states_the_facts(policy: Any, fmt: str) -> None:
    out = notice_render(policy, fmt, "en")
    text = html.unescape(out) if fmt == "html" else out
    for fact in [*FACTS, *EN_WORDS]:
        assert fact in text, fact


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_headings_in_each_language(policy: Any, lang: str, fmt: str) -> None:
    out = html.unescape(notice_render_selector(policy, fmt, lang))
    for heading in HEADINGS[lang]:
        assert heading in out, heading
    for words in RETENTION_WORDS.get(lang, []):
        assert words in out
    assert "dpo@crmgroup.be" in out and "Rue Ravenstein 4" in out


@pytest.mark.django_db
def test_every_purpose_and_source_appears(policy: Any, policy_data: dict[str, Any]) -> None:
    out = notice_render(policy, "md", "en")
    for p in policy_data["purposes"].values():
        assert p["name"] in out
    for s in policy_data["sources"].values():
        assert s["name"] in out
    for r in policy_data["recipients"].values():
        assert r["name"] in out


@pytest.mark.django_db
def test_html_is_escaped_and_standalone(policy: Any) -> None:
    fragment = notice_render(policy, "html", "en")
    assert fragment.startswith("<article") and "AC &amp; CS scrl" in fragment
    page = notice_render(policy, "html", "fr", standalone=True)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page


def test_unknown_format_is_refused() -> None:
    from tests.policy.helpers import shipped_text
    from tutela.core.errors import InvalidInput
    from tutela.policy.loader import parse_policy_text

    with pytest.raises(InvalidInput):
        notice_render(parse_policy_text(shipped_text()).policy, "pdf", "en")


def test_render_through_the_cli(cli: Any, tmp_path: Any) -> None:
    assert cli("init", "--json").returncode == 0
    r = cli("policy", "render", "--format", "md", "--lang", "nl")
    assert r.returncode == 0
    assert "Uw rechten" in r.stdout and "dpo@crmgroup.be" in r.stdout
    out = tmp_path / "notice.html"
    r = cli("policy", "render", "--format", "html", "--out", str(out), "--json")
    assert r.returncode == 0 and r.json()["path"] == str(out)
    assert "Standard Contractual Clauses" in out.read_text(encoding="utf-8")
    r = cli("policy", "render", "--version", "7")
    assert r.returncode == 2 and "no policy version 7" in r.stderr
