"""The authorisation matrix of the pages, walked from Django's own URL map (``tutela.urls``).

Every URL pattern served as a page (the staff dashboard, the portal, the admin, the health check; the API has
its own matrix in ``test_authorisation_matrix.py``) is opened by every role, and the answer must be one of the
outcomes the reviewed table below allows. A pattern missing from the table fails the walk, so a new page
cannot ship without somebody deciding who may open it. Besides:

- staff of one entity get 404 for the other entity's requests and people, and no page they may open shows
  them (a portal request names no entity: it belongs to the entity its person is related to);
- guessed numbers, forged links and links with one character changed open nothing;
- a private link works for its own page only, and not after it expired;
- the auditor's POSTs (request actions, breach report, investigation and follow-up, the admin) change
  nothing.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from tutela.accounts.principal import SYSTEM, public_principal

# ---------------------------------------------------------------------------------------------------------
# roles (the columns of the tables below)

ANON = "anon"  # a stranger
LINK = "link"  # a person holding the private link mailed for this very page (elsewhere: a stranger)
HALF = "half"  # the DPO after the password, before the second factor
OWN = "own"  # staff of crm-asbl, the entity that holds the records the walk opens
OTHER = "other"  # staff of ac-cs, the other entity of the group
PO = "po"  # a privacy officer
DPO = "dpo"
AUDITOR = "auditor"
ARCHIVE = "archive"  # an account with the archive role, of ac-cs (like every archivist, of one entity)
ROLES = (ANON, LINK, HALF, OWN, OTHER, PO, DPO, AUDITOR, ARCHIVE)
STAFF = (OWN, OTHER, PO, DPO, AUDITOR, ARCHIVE)
OWNER = "crm-asbl"
STRANGER = "ac-cs"


# ---------------------------------------------------------------------------------------------------------
# the reviewed tables: what each role gets on a GET of each page
#
# login    sent to the staff login (``/staff/login/?next=…``, or the admin's login, which sends there)
# redirect any other redirect (``/`` to the visitor's language; the admin's "no such object" to its index)
# 200, 403, 404, 405 the status; ``a|b`` allows either
# On the portal's token pages every role but ``link`` holds a forged token of the right shape.

PAGES = """
pattern                                          anon     link     half     own      other    po       dpo      auditor  archive
healthz                                          200      200      200      200      200      200      200      200      200
staff/login/                                     200      200      200      200      200      200      200      200      200
staff/verify/                                    login    login    200      login    login    login    login    login    login
staff/enrol/<str:code>/                          404      404      404      404      404      404      404      404      404
staff/logout/                                    405      405      405      405      405      405      405      405      405
staff/                                           login    login    login    200      200      200      200      200      200
staff/requests/                                  login    login    login    200      200      200      200      200      200
staff/requests/<str:ref>/                        login    login    login    200      404      200      200      200      404
staff/requests/<str:ref>/<slug:action>/          405      405      405      405      405      405      405      405      405
staff/people/                                    login    login    login    200      200      200      200      200      200
staff/people/<str:public_id>/                    login    login    login    200      404      200      200      200      404
staff/breaches/                                  login    login    login    403      403      200      200      200      403
staff/breaches/new/                              login    login    login    200      200      200      200      403      200
staff/breaches/<str:ref>/                        login    login    login    403      403      200      200      200      403
staff/breaches/<str:ref>/investigate/            405      405      405      405      405      405      405      405      405
staff/breaches/<str:ref>/<slug:action>/          405      405      405      405      405      405      405      405      405
<root>                                           redirect redirect redirect redirect redirect redirect redirect redirect redirect
policy/                                          200      200      200      200      200      200      200      200      200
<lang>/                                          200      200      200      200      200      200      200      200      200
<lang>/policy/                                   200      200      200      200      200      200      200      200      200
<lang>/policy/history/                           200      200      200      200      200      200      200      200      200
<lang>/policy/diff/                              200      200      200      200      200      200      200      200      200
<lang>/rights/                                   200      200      200      200      200      200      200      200      200
<lang>/rights/<slug:right>/                      200      200      200      200      200      200      200      200      200
<lang>/requests/sent/                            200      200      200      200      200      200      200      200      200
<lang>/requests/verify/                          200      200      200      200      200      200      200      200      200
<lang>/requests/verify/<str:token>/              200      200      200      200      200      200      200      200      200
<lang>/requests/status/<str:token>/              404      200      404      404      404      404      404      404      404
<lang>/requests/download/<str:token>/            404      200      404      404      404      404      404      404      404
<lang>/newsletter/                               200      200      200      200      200      200      200      200      200
<lang>/newsletter/sent/                          200      200      200      200      200      200      200      200      200
<lang>/newsletter/confirm/<str:token>/           200      200      200      200      200      200      200      200      200
<lang>/newsletter/preferences/<str:token>/       404      200      404      404      404      404      404      404      404
<lang>/newsletter/unsubscribe/<str:token>/       200      200      200      200      200      200      200      200      200
admin/                                           login    login    login    login    login    200      200      200      login
admin/login/                                     login    login    login    login    login    login    login    login    login
admin/logout/                                    redirect redirect redirect redirect redirect 405      405      405      redirect
admin/password_change/                           login    login    login    login    login    200      200      200      login
admin/password_change/done/                      login    login    login    login    login    200      200      200      login
admin/autocomplete/                              login    login    login    login    login    403      403      403      login
admin/jsi18n/                                    login    login    login    login    login    200      200      200      login
admin/r/<path:content_type_id>/<path:object_id>/ login    login    login    login    login    404      404      404      login
admin/<app_label>/                               login    login    login    login    login    404      200      404      login
admin/<url>                                      login    login    login    login    login    404      404      404      login
admin/auth/user/<id>/password/                   login    login    login    login    login    403      200      403      login
admin/otp_totp/totpdevice/<int:pk>/config/       login    login    login    login    login    403      403      403      login
admin/otp_totp/totpdevice/<int:pk>/qrcode/       login    login    login    login    login    403      403      403      login
"""
# Notes on rows that are not obvious:
# - a verified session on /staff/verify/ has no pending login any more: it is sent to the login page;
# - staff of ac-cs get 404 for the crm-asbl request and person (nothing says they exist); the breach
#   register is closed to every entity's staff and to the archive role alike (403 for any breach number);
# - the token pages that only show a button (the newsletter confirmation, the unsubscribe page, the
#   verification form by request number) answer 200 to any token without looking it up, so they tell
#   nothing; their POST refuses a forged token (``test_a_link_with_one_character_changed_opens_nothing``);
# - the privacy officer and the auditor are admin users without any model permission: an empty admin;
#   only the DPO (a superuser) works in it. Entity staff and the archive role never reach it;
# - an archive account belongs to one entity, like entity staff (``Principal.is_group_wide``): 404 for the
#   other entity's records; it does not read the breach register.

#: every register of the admin, with what the DPO may do besides viewing (reviewed on purpose: a new
#: register, or a new right on one, must be decided here)
ADMIN_REGISTERS = {
    "auth.group": "add delete",
    "auth.user": "add delete",
    "otp_totp.totpdevice": "delete",  # a lost phone: the DPO deletes it; devices enrol by link only
    "otp_static.staticdevice": "delete",
    "axes.accessattempt": "delete",  # lifting a lockout
    "axes.accesslog": "delete",
    "axes.accessfailurelog": "delete",
    "django_tasks_database.dbtaskresult": "",
    "core.auditentry": "",
    "accounts.staffprofile": "add delete",
    "accounts.apitoken": "delete",  # revoking a token
    "accounts.enrolmenttoken": "delete",  # issued with the users' action or `tutela user enrol`; read-only
    "policy.policyversion": "",
    "subjects.subject": "",
    "subjects.dataitem": "",
    "subjects.relationship": "",
    "subjects.interaction": "",
    "consent.consentevent": "",
    "consent.objection": "",
    "consent.suppression": "",
    "consent.newslettertopic": "add delete",
    "rights.rightsrequest": "",
    "rights.tombstone": "",
    "rights.notice": "",
    "rights.transmissionreceipt": "",
    "rights.inboundmail": "",
    "retention.sweeprun": "",
    "retention.legalhold": "",  # released through `tutela hold release` or the API, with a reason
    "retention.anonymouscount": "",
    "recipients.recipient": "add delete",
    "recipients.clientcontroller": "add delete",
    "recipients.disclosure": "",
    "recipients.discloseditem": "",
    "recipients.transferruleset": "",
    "breaches.breach": "",
    "breaches.subjectcommunication": "",
}

OUTSIDE_ADMIN = (ANON, LINK, HALF, OWN, OTHER, ARCHIVE)


def _admin_register_rows(label: str, rights: str) -> dict[str, dict[str, frozenset[str]]]:
    """The six pages Django's admin serves per register. Object pages open the register's first row, or a
    number no row has (then the admin redirects to its index): both are allowed where they may differ."""
    app, model = label.split(".")
    base = f"admin/{app}/{model}/"
    obj = f"{base}<path:object_id>/"

    def cells(po: str, dpo: str) -> dict[str, frozenset[str]]:
        row = {role: frozenset({"login"}) for role in OUTSIDE_ADMIN}
        row.update({PO: frozenset(po.split("|")), AUDITOR: frozenset(po.split("|"))})
        row[DPO] = frozenset(dpo.split("|"))
        return row

    may = rights.split()
    return {
        base: cells("403", "200"),
        f"{base}add/": cells("403", "200" if "add" in may else "403"),
        f"{obj}history/": cells("403|redirect", "200|redirect"),
        f"{obj}delete/": cells("403", "200|redirect" if "delete" in may else "403"),
        f"{obj}change/": cells("403", "200|redirect"),
        obj: cells("redirect", "redirect"),  # the old address of the change page
    }


def expected_table() -> dict[str, dict[str, frozenset[str]]]:
    lines = [line for line in PAGES.strip().splitlines()[1:] if line.strip()]
    table: dict[str, dict[str, frozenset[str]]] = {}
    for line in lines:
        pattern, *cells = line.split()
        assert len(cells) == len(ROLES), f"row {pattern!r} has {len(cells)} cells for {len(ROLES)} roles"
        key = "" if pattern == "<root>" else pattern
        assert key not in table, f"row {pattern!r} twice"
        table[key] = {role: frozenset(cell.split("|")) for role, cell in zip(ROLES, cells, strict=True)}
    for label, rights in ADMIN_REGISTERS.items():
        table.update(_admin_register_rows(label, rights))
    return table


# ---------------------------------------------------------------------------------------------------------
# the world the walk runs in: records of crm-asbl, links mailed to people, one logged-in client per role


@dataclass
class World:
    person: Any  # a member of crm-asbl only
    other_person: Any  # a member of ac-cs only
    request: Any  # a rectification request assigned to crm-asbl
    joint: Any  # a request from the portal (no entity named) by the crm-asbl member
    status_token: str  # the private status link of ``joint``
    code: str  # the six-digit code mailed with it
    answered_token: str  # the status (and download) link of an answered access request with its package
    breach: Any  # reported for crm-asbl
    confirm_token: str  # a newsletter confirmation link not used yet
    unsubscribe_token: str  # the unsubscribe / preferences link of a running subscription
    withdrawal_token: str  # a one-click consent withdrawal link (API only: no page takes it)
    clients: dict[str, Client] = field(default_factory=dict)


MARKERS = ("member.of.crm@example.org", "Marie Dupont", "BE71096123456769")


def _mails_after(capture: Any, action: Any) -> list[Any]:
    from django.core import mail

    before = len(mail.outbox)
    with capture(execute=True):
        action()
    return list(mail.outbox[before:])


def _link_token(messages: list[Any], kind: str) -> str:
    for message in messages:
        found = re.search(rf"/newsletter/{kind}/([^/\s]+)/", message.body)
        if found:
            return found.group(1)
    raise AssertionError(f"no {kind} link in {[m.subject for m in messages]}")


def _staff_client(role: str, controller: str = "", *, verified: bool = True) -> Client:
    """A client that logged in through the real two-step form: password, then the TOTP code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.web.conftest import login
    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create

    password = "correct horse battery staple 42"
    name = f"{role}-{controller or 'group'}-{'v' if verified else 'p'}"
    user, _ = staff_create(
        principal=CLI,
        username=name,
        email=f"{name}@crmgroup.be",
        role=role,
        controller=controller,
        password=password,
    )
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    if verified:
        login(client, user.username, password, device)
    else:
        r = client.post("/staff/login/", {"username": user.username, "password": password})
        assert r.status_code == 302 and r["Location"].startswith("/staff/verify/")  # the code is never typed
    return client


@pytest.fixture
def world(policy: Any, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any) -> World:
    from tests.factories.breaches import report
    from tests.factories.rights import member
    from tutela.consent.links import withdrawal_token
    from tutela.consent.newsletter import NEWSLETTER_PURPOSE, newsletter_confirm, newsletter_subscribe
    from tutela.rights.fulfil import request_fulfil
    from tutela.rights.services import request_open

    settings.TUTELA_EXPORT_DIR = tmp_path / "exports"
    # nine accounts log in per test: a fast hash keeps the walk quick (the hash is not what is tested)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    person = member("member.of.crm@example.org", controller=OWNER, language="en")
    other_person = member("member.of.accs@example.org", controller=STRANGER, language="en", iban=None)
    assigned = request_open(
        type="rectification",
        identifier="member.of.crm@example.org",
        channel="staff",
        verified=True,
        controller=OWNER,
        principal=SYSTEM,
    ).request
    joint = request_open(
        type="objection",
        identifier="member.of.crm@example.org",
        channel="portal",
        language="en",
        principal=public_principal("portal"),
    )
    assert joint.verification_code is not None and joint.request.controller == ""
    answered = request_open(
        type="access",
        identifier="member.of.crm@example.org",
        channel="staff",
        verified=True,
        controller=OWNER,
        principal=SYSTEM,
    )
    with django_capture_on_commit_callbacks(execute=True):
        request_fulfil(request_id=answered.request.pk, principal=SYSTEM)
    breach = report(controller=OWNER)
    asked = _mails_after(
        django_capture_on_commit_callbacks,
        lambda: newsletter_subscribe(principal=SYSTEM, email="reader@example.org", language="en"),
    )
    first = _link_token(asked, "confirm")
    confirmed = _mails_after(
        django_capture_on_commit_callbacks, lambda: newsletter_confirm(principal=SYSTEM, token=first)
    )
    pending = _mails_after(
        django_capture_on_commit_callbacks,
        lambda: newsletter_subscribe(principal=SYSTEM, email="other.reader@example.org", language="en"),
    )
    w = World(
        person=person,
        other_person=other_person,
        request=assigned,
        joint=joint.request,
        status_token=joint.status_token,
        code=joint.verification_code,
        answered_token=answered.status_token,
        breach=breach,
        confirm_token=_link_token(pending, "confirm"),
        unsubscribe_token=_link_token(confirmed, "unsubscribe"),
        withdrawal_token=withdrawal_token(person.pk, NEWSLETTER_PURPOSE),
    )
    w.clients = {
        ANON: Client(),
        LINK: Client(),
        HALF: _staff_client("dpo", verified=False),
        OWN: _staff_client("staff", OWNER),
        OTHER: _staff_client("staff", STRANGER),
        PO: _staff_client("privacy_officer"),
        DPO: _staff_client("dpo"),
        AUDITOR: _staff_client("auditor"),
        ARCHIVE: _staff_client("archive", STRANGER),
    }
    return w


# ---------------------------------------------------------------------------------------------------------
# the URL map


def page_patterns() -> list[str]:
    """Every pattern of ``tutela.urls`` except the API's, as a route: ``<lang>/`` for the language prefix and
    ``<name>`` for a named group of a regular expression."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.resolvers import LocalePrefixPattern, RegexPattern

    def text(pattern: Any) -> str:
        if isinstance(pattern, LocalePrefixPattern):
            return "<lang>/"
        if isinstance(pattern, RegexPattern):
            return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", str(pattern)).replace("^", "").replace("$", "")
        return str(pattern)

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + text(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + text(p.pattern)

    return [p for p in walk(get_resolver().url_patterns, "") if not p.startswith("api/")]


def outcome(response: Any) -> str:
    """What a visitor gets: ``login`` (sent to the staff login, directly or through the admin's), another
    ``redirect``, or the status code."""
    if response.status_code in (301, 302):
        if response["Location"].startswith(("/staff/login/", "/admin/login/")):
            return "login"
        return "redirect"
    return str(response.status_code)


def _forged(real: str) -> str:
    """A token of the same length and alphabet as a real one, that nobody was sent."""
    alphabet = "0123456789abcdef" if re.fullmatch(r"[0-9a-f.]+", real) else None
    if alphabet:
        return ".".join("".join(secrets.choice(alphabet) for _ in part) for part in real.split("."))
    return secrets.token_urlsafe(len(real))[: len(real)]


def _admin_object(app: str, model: str) -> str:
    """The first row of an admin register, or a number no row has."""
    from django.apps import apps

    pk = apps.get_model(app, model).objects.order_by("pk").values_list("pk", flat=True).first()
    return str(pk) if pk is not None else "0"


def _portal_token(path: str, role: str, w: World) -> str | None:
    """On a token page: the real private link for ``link``, a forged one of the same shape for the others."""
    real = {
        "requests/verify/<str:token>/": str(w.joint.pk),
        "requests/status/<str:token>/": w.status_token,
        "requests/download/<str:token>/": w.answered_token,
        "newsletter/confirm/<str:token>/": w.confirm_token,
        "newsletter/preferences/<str:token>/": w.unsubscribe_token,
        "newsletter/unsubscribe/<str:token>/": w.unsubscribe_token,
    }
    for suffix, token in real.items():
        if path.endswith(suffix):
            if role == LINK:
                return token
            return str(w.joint.pk + 10_000) if token.isdigit() else _forged(token)
    return None


def concrete(pattern: str, role: str, w: World) -> str:
    """The address the walk opens for ``pattern`` as ``role``: the crm-asbl records on staff pages."""
    path = "/" + pattern.replace("<lang>/", "en/")
    token = _portal_token(path, role, w)
    if token is not None:
        return path.replace("<str:token>", token)
    if path == "/en/requests/verify/":
        return f"{path}?token={w.status_token if role == LINK else _forged(w.status_token)}"
    if path == "/en/policy/diff/":
        return f"{path}?a=1&b=1"
    if path.startswith("/admin/"):
        path = path.replace("<path:content_type_id>/<path:object_id>", "1/1")
        path = path.replace("<app_label>", "subjects").replace("<url>", "no-such-page/")
        match = re.match(r"/admin/(\w+)/(\w+)/<", path)
        if match:
            path = re.sub(r"<(?:path:|int:)?(?:object_id|id|pk)>", _admin_object(*match.groups()), path)
        return path
    if path.startswith("/staff/breaches/"):
        return path.replace("<str:ref>", str(w.breach.pk)).replace("<slug:action>", "review")
    return (
        path.replace("<str:ref>", str(w.request.pk))
        .replace("<slug:action>", "verify")
        .replace("<str:public_id>", str(w.person.public_id))
        .replace("<slug:right>", "access")
    )


def _leaks(html: str, w: World) -> list[str]:
    """What of the crm-asbl records a page shows: the member's data or links to their records."""
    marks = [
        *MARKERS,
        f"/staff/requests/{w.request.pk}/",
        f"/staff/requests/{w.joint.pk}/",
        f"/staff/people/{w.person.public_id}/",
        f"/staff/breaches/{w.breach.pk}/",
    ]
    return [m for m in marks if m in html]


# ---------------------------------------------------------------------------------------------------------
# the walk


def test_every_page_pattern_is_in_the_reviewed_table() -> None:
    served, listed = set(page_patterns()), set(expected_table())
    assert served, "the URL map yielded nothing: the walk is broken"
    assert not served - listed, f"pages nobody decided the access to: {sorted(served - listed)}"
    assert not listed - served, f"rows for pages that no longer exist: {sorted(listed - served)}"


@pytest.mark.django_db
def test_every_role_gets_what_the_table_allows_on_every_page(world: World) -> None:
    table = expected_table()
    wrong: list[str] = []
    for pattern in page_patterns():
        for role in ROLES:
            url = concrete(pattern, role, world)
            response = world.clients[role].get(url)
            got = outcome(response)
            if got not in table[pattern][role]:
                wrong.append(f"{role:8} {url} -> {got}, allowed {'|'.join(sorted(table[pattern][role]))}")
            if (
                got == "200"
                and role in (ANON, LINK, OTHER, ARCHIVE)
                and response.get("Content-Type", "").startswith("text/")
            ):
                leaked = _leaks(response.content.decode(), world)
                if leaked:
                    wrong.append(f"{role:8} {url} shows the crm-asbl records: {leaked}")
    assert not wrong, "\n" + "\n".join(wrong)


# ---------------------------------------------------------------------------------------------------------
# one entity's staff and the other entity's records


@pytest.mark.django_db
def test_staff_of_one_entity_get_404_for_the_other_entitys_records(world: World) -> None:
    own, other = world.clients[OWN], world.clients[OTHER]
    answered = _request_of(world.answered_token)
    # the assigned request, the portal request that names no entity (its person is a crm-asbl member
    # only), the answered one, and the member's page
    for path in (
        f"/staff/requests/{world.request.pk}/",
        f"/staff/requests/{world.joint.pk}/",
        f"/staff/requests/{answered.pk}/",
        f"/staff/people/{world.person.public_id}/",
    ):
        assert (own.get(path).status_code, other.get(path).status_code) == (200, 404), path
    # and the other way round: the ac-cs member is out of crm-asbl's reach
    path = f"/staff/people/{world.other_person.public_id}/"
    assert (own.get(path).status_code, other.get(path).status_code) == (404, 200)
    # acting on the other entity's request: 404, and the request is untouched
    before = (
        _request_of(world.status_token).version,
        type(world.request).objects.get(pk=world.request.pk).version,
    )
    for ref in (world.request.pk, world.joint.pk):
        r = other.post(f"/staff/requests/{ref}/changes/", {"category": "user.name", "value": "Someone Else"})
        assert r.status_code == 404
    after = (
        _request_of(world.status_token).version,
        type(world.request).objects.get(pk=world.request.pk).version,
    )
    assert after == before
    # searching for the member by address finds nothing for the other entity, the member for their own
    # (the same page as for an address nobody has, but for the address typed)
    found = other.post("/staff/people/", {"identifier": "member.of.crm@example.org"})
    unknown = other.post("/staff/people/", {"identifier": "nobody.at.all@example.org"})
    assert found.status_code == unknown.status_code == 200
    assert _same_page(found, unknown, ("member.of.crm@example.org", "nobody.at.all@example.org"))
    r = own.post("/staff/people/", {"identifier": "member.of.crm@example.org"})
    assert r.status_code == 302 and r["Location"] == f"/staff/people/{world.person.public_id}/"
    # the breach register is the DPO's: closed to every entity's staff alike, whichever entity reported
    for client in (own, other):
        assert client.get(f"/staff/breaches/{world.breach.pk}/").status_code == 403
        assert client.get("/staff/breaches/999999/").status_code == 403  # same answer: nothing told


def _same_page(a: Any, b: Any, differences: tuple[str, str]) -> bool:
    """Whether two answers are the same page, but for one value each shows and for the CSRF token."""

    def norm(response: Any, value: str) -> str:
        html = response.content.decode().replace(value, "VALUE")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)

    return norm(a, differences[0]) == norm(b, differences[1])


def _request_of(status_token: str) -> Any:
    from tutela.rights.services import request_by_token

    return request_by_token(status_token, principal=public_principal("portal"))


# ---------------------------------------------------------------------------------------------------------
# guessed ids


@pytest.mark.django_db
def test_guessed_ids_get_404(world: World) -> None:
    """As the DPO, who sees the whole group: a 404 here means "no such record", never "not yours"."""
    dpo = world.clients[DPO]
    for path in (
        "/staff/requests/999999/",
        "/staff/requests/R-1/",
        "/staff/requests/1e3/",
        f"/staff/people/{uuid.uuid4()}/",
        f"/staff/people/{world.person.pk}/",  # the internal number is not an address of the page
        "/staff/people/not-a-uuid/",
        "/staff/breaches/999999/",
        "/staff/breaches/B-1/",
        "/en/rights/no-such-right/",
        "/en/requests/verify/",  # no token
        "/en/requests/verify/abc/",
        "/en/policy/diff/?a=1&b=999",
    ):
        assert dpo.get(path).status_code == 404, path
    r = dpo.post("/staff/requests/999999/changes/", {"category": "user.name", "value": "X"})
    assert r.status_code == 404
    r = dpo.post(f"/staff/requests/{world.request.pk}/no-such-action/", {})
    assert r.status_code == 404
    # starting the investigation of a breach that does not exist: an error message, then the breach's
    # address, which is a 404
    r = dpo.post("/staff/breaches/999999/investigate/")
    assert r.status_code == 302 and dpo.get(r["Location"]).status_code == 404


# ---------------------------------------------------------------------------------------------------------
# the auditor reads and never acts

#: the actions of the request page, each with a body that works for who may act (``changes`` is proved so
#: below; the others are refused before their body is read)
ACTIONS = {
    "verify": {"method": "staff"},
    "sign": {"signed_on": "2026-01-05", "signature": "M. Dupont"},
    "decide": {"grant": "yes", "balancing": "reasons weighed"},
    "pause": {"reason": "waiting for the person"},
    "resume": {},
    "extend": {"reason": "many requests"},
    "changes": {"category": "user.name", "value": "Marie Dupond"},
    "fulfil": {},
}


def _changes() -> tuple[int, int]:
    """The audit trail and the admin's change log: every change made through a page lands in one of them."""
    from django.contrib.admin.models import LogEntry

    from tutela.core.models import AuditEntry

    return AuditEntry.objects.count(), LogEntry.objects.count()


@pytest.mark.django_db
def test_the_auditor_cannot_post_any_change(world: World) -> None:
    from tests.web.test_breach_access import FORM
    from tutela.breaches.models import Breach

    auditor = world.clients[AUDITOR]
    before = _changes()
    refused: list[str] = []
    for ref in (world.request.pk, world.joint.pk, _request_of(world.answered_token).pk):
        for action, body in ACTIONS.items():
            r = auditor.post(f"/staff/requests/{ref}/{action}/", body)
            if r.status_code != 404:
                refused.append(f"{action} on request {ref}: {r.status_code}")
    r = auditor.post("/staff/breaches/new/", FORM)
    if r.status_code != 403:
        refused.append(f"breach report: {r.status_code}")
    r = auditor.post(f"/staff/breaches/{world.breach.pk}/investigate/")
    if r.status_code != 404:
        refused.append(f"investigation: {r.status_code}")
    r = auditor.post(f"/staff/breaches/{world.breach.pk}/event/", {"ev-text": "noted"})
    if r.status_code != 403:
        refused.append(f"breach follow-up: {r.status_code}")
    # every page of the admin that takes a POST (add, change, delete of each register, a password)
    for pattern in page_patterns():
        if pattern.startswith("admin/") and re.search(r"/(add|change|delete|password)/$", pattern):
            url = concrete(pattern, AUDITOR, world)
            got = outcome(auditor.post(url, {"post": "yes"}))
            if got not in ("403", "redirect"):
                refused.append(f"admin {url}: {got}")
    assert not refused, refused
    assert _changes() == before, "the auditor's POSTs changed the audit trail or the admin log"
    assert Breach.objects.get(pk=world.breach.pk).investigation_started_at is None
    assert Breach.objects.count() == 1
    # the same requests work for the DPO: the bodies are good, the refusals are the auditor's
    dpo = world.clients[DPO]
    r = dpo.post(f"/staff/requests/{world.request.pk}/changes/", ACTIONS["changes"])
    assert r.status_code == 302 and _changes()[0] > before[0]
    assert dpo.post("/staff/breaches/new/", FORM).status_code == 302 and Breach.objects.count() == 2
    dpo.post(f"/staff/breaches/{world.breach.pk}/investigate/")
    assert Breach.objects.get(pk=world.breach.pk).investigation_started_at is not None


# ---------------------------------------------------------------------------------------------------------
# private links: each for its own purpose, unguessable, not forever


def _subscribed(email: str) -> bool:
    from tutela.consent.newsletter import NEWSLETTER_PURPOSE
    from tutela.consent.selectors import current_consent
    from tutela.subjects.selectors import resolve_identifier

    person = resolve_identifier(email)
    state = current_consent(person.pk, NEWSLETTER_PURPOSE) if person is not None else None
    return bool(state and state["state"] == "given")


def _links(w: World) -> dict[str, str]:
    return {
        "status": w.status_token,
        "download": w.answered_token,
        "confirm": w.confirm_token,
        "unsubscribe": w.unsubscribe_token,
        "withdrawal": w.withdrawal_token,
        "request number": str(w.joint.pk),
    }


@pytest.mark.django_db
def test_a_private_link_works_only_for_its_own_purpose(world: World) -> None:
    """Each page takes the links made for it and no other: 404 on a page that shows something, 400 and
    nothing changed on a page that acts."""
    client = world.clients[LINK]
    links = _links(world)
    # what each page accepts; the status link of an answered request is also its download link
    reads = {
        "/en/requests/status/{}/": {"status", "download"},
        "/en/requests/download/{}/": {"download"},
        "/en/newsletter/preferences/{}/": {"unsubscribe"},
    }
    wrong = []
    for page, accepted in reads.items():
        for kind, token in links.items():
            got = client.get(page.format(token)).status_code
            if got != (200 if kind in accepted else 404):
                wrong.append(f"{page.format(kind)} -> {got}")
    # a status link cannot download while its request is not answered with a package
    assert client.get(f"/en/requests/download/{world.status_token}/").status_code == 404
    # pages that act: the wrong kind of link is refused and changes nothing
    for kind, token in links.items():
        if kind != "unsubscribe":
            got = client.post(f"/en/newsletter/unsubscribe/{token}/").status_code
            if got != 400 or not _subscribed("reader@example.org"):
                wrong.append(f"unsubscribe with the {kind} link -> {got}")
        if kind != "confirm":
            got = client.post(f"/en/newsletter/confirm/{token}/").status_code
            if got != 400 or _subscribed("other.reader@example.org"):
                wrong.append(f"confirm with the {kind} link -> {got}")
        if kind not in ("status", "download"):
            got = client.post("/en/requests/verify/", {"token": token, "code": world.code}).status_code
            if got != 400 or _request_of(world.status_token).identity_verified_at is not None:
                wrong.append(f"verify with the {kind} link -> {got}")
        if kind != "request number":
            got = client.post(f"/en/requests/verify/{token}/", {"code": world.code}).status_code
            if got != 404:
                wrong.append(f"verify by number with the {kind} link -> {got}")
    assert not wrong, wrong
    # and each link does its own job
    r = client.post("/en/requests/verify/", {"token": world.status_token, "code": world.code})
    assert r.status_code == 302 and _request_of(world.status_token).identity_verified_at is not None
    assert client.post(f"/en/newsletter/confirm/{world.confirm_token}/").status_code == 200
    assert _subscribed("other.reader@example.org")
    assert client.post(f"/en/newsletter/unsubscribe/{world.unsubscribe_token}/").status_code == 200
    assert not _subscribed("reader@example.org")


def _altered(token: str) -> list[str]:
    """The token with one character changed: at the start, in the middle, at the end."""
    out = []
    for i in (0, len(token) // 2, len(token) - 1):
        if token[i] == ".":
            i -= 1
        swap = "b" if token[i] == "a" else "a"
        out.append(token[:i] + swap + token[i + 1 :])
    return out


@pytest.mark.django_db
def test_a_link_with_one_character_changed_opens_nothing(world: World) -> None:
    client = world.clients[ANON]
    wrong = []
    for token in _altered(world.status_token):
        for page in ("status", "download"):
            if (got := client.get(f"/en/requests/{page}/{token}/").status_code) != 404:
                wrong.append(f"{page} {token} -> {got}")
        got = client.post("/en/requests/verify/", {"token": token, "code": world.code}).status_code
        if got != 400:
            wrong.append(f"verify {token} -> {got}")
    for token in _altered(world.answered_token):
        if (got := client.get(f"/en/requests/download/{token}/").status_code) != 404:
            wrong.append(f"download {token} -> {got}")
    for token in _altered(world.unsubscribe_token):
        if (got := client.get(f"/en/newsletter/preferences/{token}/").status_code) != 404:
            wrong.append(f"preferences {token} -> {got}")
        if (got := client.post(f"/en/newsletter/unsubscribe/{token}/").status_code) != 400:
            wrong.append(f"unsubscribe {token} -> {got}")
    for token in _altered(world.confirm_token):
        if (got := client.post(f"/en/newsletter/confirm/{token}/").status_code) != 400:
            wrong.append(f"confirm {token} -> {got}")
    assert not wrong, wrong
    assert _request_of(world.status_token).identity_verified_at is None
    assert _subscribed("reader@example.org") and not _subscribed("other.reader@example.org")


@pytest.mark.django_db
def test_request_numbers_tell_nothing_without_the_code(world: World) -> None:
    """The verification page by request number (the numbers are sequential) looks the same for a request that
    exists and one that does not; only the mailed code verifies."""
    client = world.clients[ANON]
    real, none = world.joint.pk, world.joint.pk + 10_000
    a, b = client.get(f"/en/requests/verify/{real}/"), client.get(f"/en/requests/verify/{none}/")
    assert a.status_code == b.status_code == 200 and _same_page(
        a, b, (f"/verify/{real}/", f"/verify/{none}/")
    )
    wrong = "000000" if world.code != "000000" else "111111"
    assert client.post(f"/en/requests/verify/{real}/", {"code": wrong}).status_code == 400
    assert client.post(f"/en/requests/verify/{none}/", {"code": world.code}).status_code == 400
    assert _request_of(world.status_token).identity_verified_at is None


@pytest.mark.django_db
def test_expired_links_are_refused(world: World, settings: Any) -> None:
    import datetime as dt

    import time_machine

    from tutela.core import clock
    from tutela.rights.packages import purge

    client = world.clients[LINK]
    later = clock.now() + dt.timedelta(hours=49)  # both the e-mail code and the confirmation live 48 hours
    with time_machine.travel(later, tick=False):
        r = client.post("/en/requests/verify/", {"token": world.status_token, "code": world.code})
        assert r.status_code == 400
        assert client.post(f"/en/requests/verify/{world.joint.pk}/", {"code": world.code}).status_code == 400
        assert _request_of(world.status_token).identity_verified_at is None
        assert client.post(f"/en/newsletter/confirm/{world.confirm_token}/").status_code == 400
        assert not _subscribed("other.reader@example.org")
        # a password given five minutes ago no longer leads to the second step
        assert outcome(world.clients[HALF].get("/staff/verify/")) == "login"
    # the preferences link lives as long as the subscription
    assert client.get(f"/en/newsletter/preferences/{world.unsubscribe_token}/").status_code == 200
    assert client.post(f"/en/newsletter/unsubscribe/{world.unsubscribe_token}/").status_code == 200
    assert client.get(f"/en/newsletter/preferences/{world.unsubscribe_token}/").status_code == 404
    # the download link lives as long as the package (TUTELA_PACKAGE_DAYS)
    assert client.get(f"/en/requests/download/{world.answered_token}/").status_code == 200
    with time_machine.travel(clock.now() + dt.timedelta(days=settings.TUTELA_PACKAGE_DAYS + 1), tick=False):
        purge(principal=SYSTEM)
    assert client.get(f"/en/requests/download/{world.answered_token}/").status_code == 404
