"""Journeys in a real browser (Debian's chromium through Playwright) against a live Tutela server."""

from __future__ import annotations

import re
import zipfile
from typing import Any

import pytest

from tests.factories.rights import member
from tests.web.browser import new_page, shot, staff_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # Django's threaded live server closes the shared in-memory SQLite connection from its request
    # threads after each response; that clean-up complains (a test-server artefact, absent on PostgreSQL)
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
]


@pytest.fixture
def site(live_server: Any, settings: Any, policy: Any) -> str:
    settings.TUTELA_BASE_URL = live_server.url
    return str(live_server.url)


def test_portal_pages_in_three_languages(chromium: Any, site: str, policy_data: dict[str, Any]) -> None:
    page = new_page(chromium)
    for lang, title in (("en", "Your rights"), ("fr", "Vos droits"), ("nl", "Uw rechten")):
        page.goto(f"{site}/{lang}/")
        assert page.locator("html").get_attribute("lang") == lang
        assert title in page.inner_text("main")
        shot(page, f"portal-{lang}")
    page.goto(f"{site}/en/policy/")
    assert policy_data["dpo"]["email"] in page.inner_text("body")
    shot(page, "policy-en")
    page.goto(f"{site}/fr/policy/")
    shot(page, "policy-fr")
    # keyboard: the skip link comes first and leads to the content
    page.goto(f"{site}/en/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_access_request_in_french_verified_fulfilled_and_downloaded(
    chromium: Any, site: str, smtp_server: Any, make_staff: Any
) -> None:
    member("marie.dupont@example.be", language="fr")
    person = new_page(chromium, locale="fr-BE")
    person.goto(f"{site}/fr/rights/access/")
    person.get_by_label("Votre adresse e-mail").fill("marie.dupont@example.be")
    person.get_by_label("Vos nom et prénom").fill("Marie Dupont")
    person.get_by_role("button", name="Envoyer ma demande").click()
    # the answer holds no private link: that goes by e-mail to the address held for her
    person.wait_for_url(re.compile(r"/fr/requests/sent/$"))
    assert "Nous avons reçu votre demande." in person.inner_text("main")
    shot(person, "request-sent-fr")

    # the verification e-mail, in French, with the code and the link
    mails = smtp_server.wait_for(2)
    verification = next(m for m in mails if m["X-Tutela-Letter"] == "verification")
    assert verification["Content-Language"] == "fr"
    body = verification.get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    link = re.search(r"(http://\S+/requests/verify/\S*)", body).group(1)
    assert link.startswith(site)
    status_url = f"{site}/fr/requests/status/{re.search(r'token=([^&]+)', link).group(1)}/"
    person.goto(link)
    assert "/fr/requests/verify/" in person.url
    person.get_by_label("Code de vérification").fill(code)
    person.get_by_role("button", name="Confirmer ma demande").click()
    assert "votre identité est confirmée" in person.inner_text("main")
    assert person.url.split("?")[0] == status_url  # the link leads back to the private status page

    # the DPO logs in with the second factor and fulfils the request
    dpo, password, device = make_staff("dpo")
    staff = new_page(chromium)
    staff_login(staff, site, dpo.username, password, device)
    staff.get_by_role("link", name="Requests", exact=True).first.click()
    staff.get_by_role("link", name=re.compile(r"^R-\d+$")).first.click()
    shot(staff, "request-staff")
    staff.get_by_role("button", name="Fulfil and send the letter").click()
    assert "the letter is sent" in staff.inner_text("main")

    # the person downloads the package from the private link
    person.goto(status_url)
    assert "répondue" in person.inner_text("main")
    with person.expect_download() as download_info:
        person.get_by_role("link", name="Télécharger vos données").click()
    path = download_info.value.path()
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
    assert names, "the package is empty"


def test_staff_reports_a_breach_and_the_dashboard_shows_the_clocks(
    chromium: Any, site: str, make_staff: Any, smtp_server: Any
) -> None:
    import datetime as dt

    from tests.factories.rights import open_request
    from tutela.core import clock

    person = member("jan@example.be", language="nl")
    # some history for the charts: requests of several types over the last months
    for months_ago, kind in ((1, "access"), (1, "erasure"), (2, "access"), (3, "objection"), (5, "access")):
        received = clock.now() - dt.timedelta(days=30 * months_ago + 2)
        open_request(kind, f"{kind}{months_ago}@example.org", received_at=received)
    dpo, password, device = make_staff("dpo")
    page = new_page(chromium)
    staff_login(page, site, dpo.username, password, device)
    page.get_by_role("link", name="Report a breach").first.click()
    page.get_by_label("What happened").select_option("loss_or_theft")
    page.get_by_label("Complete and detailed description").fill(
        "A laptop with the member list was stolen from a car in Liège."
    )
    page.get_by_label("People concerned (best estimate)").fill("120")
    page.get_by_label("Your department or address").fill("Membership department")
    page.get_by_label("Telephone to call you back").fill("+32 2 555 01 01")
    page.get_by_role("button", name="Report the breach").click()
    page.wait_for_url(re.compile(r"/staff/breaches/\d+/$"))
    text = page.inner_text("main")
    assert "Investigation (24 h)" in text and "left" in text
    shot(page, "breach")
    page.goto(f"{site}/staff/")
    main = page.inner_text("main")
    assert "A laptop with the member list" in main
    assert re.search(r"\d+ h \d\d min left", main)
    shot(page, "dashboard")
    page.goto(f"{site}/staff/people/{person.public_id}/")
    assert "Data held" in page.inner_text("main")
    shot(page, "person")


def test_newsletter_double_opt_in_and_one_click_unsubscribe(
    chromium: Any, site: str, smtp_server: Any
) -> None:
    page = new_page(chromium, locale="en-GB")
    page.goto(f"{site}/en/newsletter/")
    page.get_by_label("Your e-mail address").fill("reader@example.org")
    page.get_by_label("I agree to receive the newsletter by e-mail.").check()
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(f"{site}/en/newsletter/sent/")
    shot(page, "newsletter-sent")
    [confirm] = smtp_server.wait_for(1)
    body = confirm.get_body(preferencelist=("plain",)).get_content()
    page.goto(re.search(r"(http://\S+/newsletter/confirm/\S+/)", body).group(1))
    page.get_by_role("button", name="Confirm my subscription").click()
    assert "your subscription is confirmed" in page.inner_text("main")
    welcome = smtp_server.wait_for(2)[1]
    body = welcome.get_body(preferencelist=("plain",)).get_content()
    page.goto(re.search(r"(http://\S+/newsletter/unsubscribe/\S+/)", body).group(1))
    page.get_by_role("button", name="Unsubscribe").last.click()
    assert "You are unsubscribed" in page.inner_text("main")
    shot(page, "newsletter-unsubscribed")
