"""Who may see and change whom, tried by random sequences (issue 15 §7).

A hypothesis state machine plays two entities (``crm-asbl``, ``ac-cs``) and every role — the DPO, a privacy
officer (by a logged-in session with its second factor), the auditor, staff and a connected system of each
entity, the archivist of one entity and the public — through the API and the services: imports, people
created, consents, objections, rights requests (opened, verified with the mailed code, fulfilled: the access
package), legal holds, disclosures and merges, in random order with random targets, attacks included.

The machine keeps its own model of who holds whom (which entity has a relationship with each person, which
e-mail addresses are held for the person) from what it did itself, never from Tutela's scoping functions,
and checks after every step:

- nobody sees a person, an item, a consent, a hold or a package line outside their scope, and nobody
  changes a person outside it (the call fails and the model does not move);
- every read of personal data through the API is in the audit trail under the caller's own name, and no
  entry written during a call names another caller (the actor is bound per request);
- no code, private link or data goes to an address not held for the person (Django's locmem outbox);
- the audit chain verifies.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client, TestCase
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.invariants.budget import machine_settings
from tutela.core.errors import TutelaError

pytestmark = pytest.mark.django_db

CONTROLLERS = ("crm-asbl", "ac-cs")
#: how often each route answered each status (printed at the end, to see what the sequences reached)
TALLY: Counter[tuple[str, str, int]] = Counter()
GROUP_WIDE = ("dpo", "privacy_officer", "auditor")


@dataclass(frozen=True)
class Actor:
    name: str
    role: str  # a Tutela role, or "public"
    controller: str = ""
    session: bool = False

    @property
    def username(self) -> str | None:
        return None if self.role == "public" else f"inv-{self.name}"

    @property
    def group_wide(self) -> bool:
        return self.role in GROUP_WIDE

    @property
    def writes(self) -> bool:
        return self.role not in ("auditor", "public")

    @property
    def decides(self) -> bool:
        return self.role in ("dpo", "privacy_officer")


ACTORS = [
    Actor("dpo", "dpo"),
    Actor("po", "privacy_officer", session=True),
    Actor("auditor", "auditor"),
    Actor("staff-crm", "staff", "crm-asbl"),
    Actor("staff-ac", "staff", "ac-cs"),
    Actor("int-crm", "integration", "crm-asbl"),
    Actor("int-ac", "integration", "ac-cs"),
    Actor("archive-crm", "archive", "crm-asbl"),
    Actor("public", "public"),
]
BY_NAME = {a.name: a for a in ACTORS}
ENTITY_ACTORS = [a for a in ACTORS if a.controller]
WRITERS = [a for a in ACTORS if a.writes]


@dataclass
class Person:
    """What the machine itself knows of one person: who holds them, which addresses are theirs."""

    pk: int
    emails: dict[str, set[str]] = field(default_factory=dict)  # address -> the entities that recorded it
    names: dict[str, set[str]] = field(default_factory=dict)  # name -> the entities that recorded it
    controllers: set[str] = field(default_factory=set)
    merged_into: int | None = None

    @property
    def live(self) -> bool:
        return self.merged_into is None


def may_see(actor: Actor, person: Person) -> bool:
    """The intended rule (issue 15 §1): group-wide roles see everyone, entity roles their entity's people."""
    if actor.role == "public" or not person.live:
        return False
    return actor.group_wide or actor.controller in person.controllers


def must_see(actor: Actor, person: Person) -> bool:
    """Who must find a person: group-wide roles and the staff and systems of an entity that holds them."""
    return may_see(actor, person) and (actor.group_wide or actor.role in ("staff", "integration"))


def may_act_for(actor: Actor, controller: str) -> bool:
    return actor.writes and (actor.group_wide or actor.controller == controller)


_USER = re.compile(r"user:([^/\s]+)")
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
#: a private link: a URL with a long random path or query part (a token), not a public web page
_LINK = re.compile(r"https?://[^\s]*[/=][A-Za-z0-9_\-]{16,}")


def user_of(actor_field: str) -> str | None:
    found = _USER.search(actor_field or "")
    return found.group(1) if found else None


def mail_text(message: Any) -> str:
    parts = [str(message.subject), str(message.body)]
    for alt in getattr(message, "alternatives", []) or []:
        parts.append(str(alt[0]))
    for attachment in getattr(message, "attachments", []) or []:
        parts.append(str(attachment[1] if isinstance(attachment, tuple) else attachment))
    return "\n".join(parts)


def recipients_of(message: Any) -> list[str]:
    return [str(a).strip().lower() for a in [*message.to, *message.cc, *message.bcc]]


class World:
    """What exists for the whole test: accounts, their clients, a recipient. Created once, outside examples."""

    def __init__(self, tmp: Path) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from tutela.accounts.principal import SYSTEM
        from tutela.accounts.services import staff_create, token_create
        from tutela.recipients.services import recipient_create

        self.tmp = tmp
        self.clients: dict[str, Client] = {}
        self.users: dict[str, Any] = {}
        for actor in ACTORS:
            if actor.role == "public":
                self.clients[actor.name] = Client()
                continue
            password = "correct horse battery staple 42"
            user, _ = staff_create(
                **_by_operator(),
                username=actor.username or "",
                email=f"{actor.username}@crmgroup.be",
                role=actor.role,
                controller=actor.controller,
                password=password,
            )
            self.users[actor.name] = user
            if actor.session:
                from tests.web.conftest import login

                device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
                client = Client()
                login(client, user.username, password, device)
                self.clients[actor.name] = client
            else:
                token = token_create(**_by_operator(token_create), user=user, name="inv")
                self.clients[actor.name] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        recipient_create(
            key="inv-it",
            name="IT provider in the EEA",
            recipient_type="it-providers",
            country="BE",
            purposes=["member-management"],
            categories=["user.name", "user.contact.email"],
            principal=SYSTEM,
        )
        self.staff_addresses = {f"{a.username}@crmgroup.be" for a in ACTORS if a.username}

    def principal(self, actor: Actor) -> Any:
        from tutela.accounts.principal import principal_for_user

        return principal_for_user(self.users[actor.name])


class ScopeMachine(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        from django.core.cache import cache

        self._atomic = transaction.atomic()
        self._atomic.__enter__()  # every example starts from the same database and is rolled back
        cache.clear()
        mail.outbox.clear()
        self.people: dict[int, Person] = {}
        self.holds: list[
            tuple[int, int, str, str]
        ] = []  # id, person, case ref, the placing entity ("" group)
        self.unknown_identifiers: set[str] = set()
        self.consented: set[int] = set()  # people someone recorded a consent for
        self.counter = 0
        self.checked_mail = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # ------------------------------------------------------------------------------------------ helpers

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def live_people(self) -> list[Person]:
        return [p for p in self.people.values() if p.live]

    def held_addresses(self, person: Person) -> set[str]:
        return set(person.emails)

    def all_held(self) -> set[str]:
        return {e for p in self.people.values() for e in p.emails}

    def call(
        self, actor: Actor, method: str, path: str, body: Any = None, **query: Any
    ) -> tuple[int, Any, list[Any]]:
        """One API call as ``actor``; on-commit work (mail, tasks) runs. Returns status, JSON, new audit."""
        from tutela.core.models import AuditEntry

        client = self.world.clients[actor.name]
        before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        with TestCase.captureOnCommitCallbacks(execute=True):
            if method == "GET":
                response = client.get(path, query)
            else:
                response = client.generic(
                    method, path, data=json.dumps(body or {}), content_type="application/json"
                )
        TALLY[(method, re.sub(r"/\d+", "/N", path), response.status_code)] += 1
        assert response.status_code < 500, (actor.name, method, path, response.status_code)
        try:
            data = response.json()
        except ValueError:
            data = None
        entries = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
        for entry in entries:
            named = user_of(entry.actor)
            assert named in (actor.username, None), (
                f"{method} {path} by {actor.name} wrote audit entry #{entry.seq} {entry.action} "
                f"as {entry.actor!r}"
            )
            if actor.username is not None:
                assert named == actor.username or entry.actor.startswith("system"), (
                    f"{method} {path} by {actor.name}: entry #{entry.seq} {entry.action} names {entry.actor!r}"
                )
        return response.status_code, data, entries

    def service(self, actor: Actor, fn: Any, **kwargs: Any) -> tuple[bool, Any]:
        """A service called as ``actor``; (True, result) or (False, the Tutela error)."""
        principal = self.world.principal(actor)
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                return True, fn(principal=principal, **kwargs)
        except TutelaError as exc:
            return False, exc

    def pk_of_email(self, email: str) -> int | None:
        from tutela.subjects.models import DataItem, Subject

        pk = (
            DataItem.objects.filter(category="user.contact.email", value=email)
            .order_by("subject_id")
            .values_list("subject_id", flat=True)
            .first()
        )
        while pk is not None:
            nxt = Subject.objects.filter(pk=pk).values_list("merged_into_id", flat=True).first()
            if nxt is None:
                return pk
            pk = nxt
        return None

    def check_mail(self, concerned: list[Person], *, unknown: str | None = None) -> list[Any]:
        """Mail sent since the last check: every recipient is an address held for a person concerned (or a
        staff account); an address held for nobody may get a "nothing is held" answer only: no code, no link."""
        new = mail.outbox[self.checked_mail :]
        self.checked_mail = len(mail.outbox)
        allowed = {e for p in concerned for e in p.emails} | self.world.staff_addresses | {"dpo@crmgroup.be"}
        for message in new:
            text = mail_text(message)
            for to in recipients_of(message):
                if to in allowed:
                    continue
                if to == unknown and to not in self.all_held():
                    assert not _CODE.search(text) and not _LINK.search(text), (
                        f"a code or a link went to {to}, held for nobody: {message.subject!r}"
                    )
                    continue
                owners = [p.pk for p in self.people.values() if to in p.emails]
                pytest.fail(
                    f"mail {message.subject!r} went to {to!r}, not held for the person concerned "
                    f"({[p.pk for p in concerned]}; the address belongs to {owners or 'nobody'})"
                )
        return new

    # ------------------------------------------------------------------------------------------- rules

    @initialize()
    def two_people(self) -> None:
        for controller in CONTROLLERS:
            self._create(BY_NAME["dpo"], controller, kind="member")

    def _create(self, actor: Actor, controller: str, *, kind: str) -> int:
        email = self.fresh("person") + "@example.org"
        name = self.fresh("Name ")
        body = {
            "controller": controller,
            "subject_type": kind,
            "source": "direct",
            "started_on": "2024-01-01",
            "items": [
                {"category": "user.name", "value": name},
                {"category": "user.contact.email", "value": email},
            ],
        }
        status, data, _ = self.call(actor, "POST", "/api/v1/subjects/", body)
        if not may_act_for(actor, controller):
            assert status >= 400, f"{actor.name} created a person for {controller}: {status}"
            return status
        if actor.role in ("dpo", "privacy_officer", "staff"):
            assert status == 201, (actor.name, controller, status, data)
        if status == 201:
            self.people[data["id"]] = Person(
                data["id"], emails={email: {controller}}, names={name: {controller}}, controllers={controller}
            )
        self.check_mail([])
        return status

    @rule(actor=st.sampled_from([*WRITERS, BY_NAME["auditor"]]), controller=st.sampled_from(CONTROLLERS))
    def create_person(self, actor: Actor, controller: str) -> None:
        self._create(actor, controller, kind=("member", "customer")[self.counter % 2])

    @rule(
        actor=st.sampled_from([*WRITERS, BY_NAME["auditor"]]),
        controller=st.sampled_from(CONTROLLERS),
        rows=st.integers(1, 3),
        share=st.booleans(),
        data=st.data(),
    )
    def import_file(self, actor: Actor, controller: str, rows: int, share: bool, data: Any) -> None:
        """A small CSV through the import service; a row may carry the address of someone already held
        (by either entity): that person is then held by this entity too, with this entity's items."""
        from tutela.subjects.importing.service import import_file

        principal_ok = False if actor.name in ("auditor",) else may_act_for(actor, controller)
        lines = ["email;first_name;last_name;contract_start"]
        addresses = [self.fresh("imported") + "@example.org" for _ in range(rows)]
        shared: Person | None = None
        if share and self.live_people():
            shared = data.draw(st.sampled_from(self.live_people()))
            addresses[0] = next(iter(shared.emails))
        names = [self.fresh("Last") for _ in addresses]
        lines += [f"{a};First;{n};2023-05-01" for a, n in zip(addresses, names, strict=True)]
        path = self.world.tmp / f"{self.fresh('import')}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        before = {pk: (set(p.controllers), dict(p.emails)) for pk, p in self.people.items()}
        ok, result = self.service(
            actor, import_file, path=path, controller=controller, subject_type="member", source="direct"
        )
        if not principal_ok:
            assert not ok or result.imported + result.updated == 0, (
                f"{actor.name} imported people for {controller}"
            )
            self._model_unchanged(before)
            return
        assert ok, (actor.name, controller, result)
        assert not result.refused, result.as_dict()
        for address, name in zip(addresses, names, strict=True):
            pk = self.pk_of_email(address)
            assert pk is not None, f"imported {address} is not in the register"
            if shared is not None and address in shared.emails:
                assert pk == shared.pk, f"the import made a second person for {address}"
                shared.controllers.add(controller)
                shared.emails[address].add(controller)
                shared.names[f"First {name}"] = {controller}
                continue
            self.people[pk] = Person(
                pk,
                emails={address: {controller}},
                names={f"First {name}": {controller}},
                controllers={controller},
            )
        self.check_mail([])

    def _model_unchanged(self, before: dict[int, tuple[set[str], dict[str, str]]]) -> None:
        """A refused change left every person as the model holds them (checked through the DPO's eyes)."""
        from tutela.subjects.models import DataItem, Relationship

        for pk, (controllers, emails) in before.items():
            if not self.people[pk].live:
                continue
            held = set(Relationship.objects.filter(subject_id=pk).values_list("controller", flat=True))
            assert held == controllers, f"person {pk} is now held by {held}, was {controllers}"
            addresses = set(
                DataItem.objects.filter(subject_id=pk, category="user.contact.email").values_list(
                    "value", flat=True
                )
            )
            assert addresses == set(emails), f"person {pk}'s addresses changed: {addresses} vs {set(emails)}"

    @precondition(lambda self: bool(self.people))
    @rule(actor=st.sampled_from(ACTORS), data=st.data())
    def read_person(self, actor: Actor, data: Any) -> None:
        person = data.draw(st.sampled_from(sorted(self.people.values(), key=lambda p: p.pk)))
        status, body, entries = self.call(actor, "GET", f"/api/v1/subjects/{person.pk}")
        if actor.role == "public":
            assert status == 401, status
            return
        if not may_see(actor, person):
            assert status in (403, 404), f"{actor.name} read person {person.pk} outside their scope: {status}"
            return
        if must_see(actor, person):
            assert status == 200, f"{actor.name} cannot read person {person.pk} ({status}): {body}"
        if status != 200:
            return
        self._check_visible(actor, person, body)
        assert any(e.subject_id == person.pk and user_of(e.actor) == actor.username for e in entries), (
            f"{actor.name} read person {person.pk}; no audit entry names them: "
            f"{[(e.action, e.actor, e.subject_id) for e in entries]}"
        )

    def _check_visible(self, actor: Actor, person: Person, body: dict[str, Any]) -> None:
        """An entity's role sees only its entity's items, relationships and consents of a shared person."""
        if actor.group_wide:
            return
        text = json.dumps(body)
        for item in body.get("items", []):
            assert item["controller"] == actor.controller, (actor.name, person.pk, item)
        for rel in body.get("relationships", []):
            assert rel["controller"] == actor.controller, (actor.name, person.pk, rel)
        for consent in body.get("consents", []):
            assert consent.get("controller", "") in ("", actor.controller), (actor.name, person.pk, consent)
        for value, owners in [*person.emails.items(), *person.names.items()]:
            if actor.controller not in owners:
                assert value not in text, f"{actor.name} saw {owners}'s {value!r} of person {person.pk}"

    @rule(actor=st.sampled_from([a for a in ACTORS if a.role != "public"]))
    def list_people(self, actor: Actor) -> None:
        self._listing(actor)

    def _listing(self, actor: Actor) -> None:
        status, body, entries = self.call(actor, "GET", "/api/v1/subjects/", limit=200)
        assert status == 200, (actor.name, status, body)
        listed = {r["id"] for r in body["results"]}
        for person in self.people.values():
            if person.pk in listed:
                assert may_see(actor, person), f"{actor.name} lists person {person.pk} outside their scope"
            elif must_see(actor, person):
                pytest.fail(f"{actor.name} does not list person {person.pk} their entity holds")
        by_pk = {r["id"]: r for r in body["results"]}
        for pk in listed:
            if pk in self.people:
                self._check_visible(actor, self.people[pk], by_pk[pk])
        if listed:
            logged = {e.subject_id for e in entries if user_of(e.actor) == actor.username}
            assert listed <= logged, f"{actor.name} listed {sorted(listed - logged)} without an audit entry"

    @precondition(lambda self: bool(self.live_people()))
    @rule(actor=st.sampled_from(ACTORS), data=st.data())
    def search_by_address(self, actor: Actor, data: Any) -> None:
        person = data.draw(st.sampled_from(self.live_people()))
        address = data.draw(st.sampled_from(sorted(person.emails)))
        status, body, _ = self.call(actor, "GET", "/api/v1/subjects/search", identifier=address)
        if not may_see(actor, person):
            assert status in (401, 403, 404), f"{actor.name} found person {person.pk} by {address}: {status}"
            return
        if must_see(actor, person) and (actor.group_wide or actor.controller in person.emails[address]):
            assert status == 200, (actor.name, person.pk, status, body)
        if status == 200:
            assert body["id"] == person.pk
            self._check_visible(actor, person, body)

    @precondition(lambda self: bool(self.live_people()))
    @rule(
        actor=st.sampled_from(ACTORS),
        purpose=st.sampled_from(["newsletter", "partner-promotion"]),
        controller=st.sampled_from([*CONTROLLERS, ""]),
        give=st.booleans(),
        data=st.data(),
    )
    def consent(self, actor: Actor, purpose: str, controller: str, give: bool, data: Any) -> None:
        person = data.draw(st.sampled_from(self.live_people()))
        if actor.group_wide and controller not in person.controllers:
            controller = sorted(person.controllers)[0]  # no new relationship by a group-wide role's hand
        before = {pk: (set(p.controllers), dict(p.emails)) for pk, p in self.people.items()}
        path = "/api/v1/consent/give" if give else "/api/v1/consent/withdraw"
        body = {"subject_id": person.pk, "purpose": purpose, "controller": controller, "evidence": "inv"}
        status, answer, _ = self.call(actor, "POST", path, body)
        if status == 200 and give:
            self.consented.add(person.pk)
        allowed = actor.writes and (
            actor.group_wide
            or (actor.controller in person.controllers and controller in ("", actor.controller))
        )
        if not allowed:
            assert status >= 400, f"{actor.name} recorded consent ({purpose}, {controller!r}) for {person.pk}"
        if controller == "" and not actor.group_wide and status < 300:
            # an entity's staff can only speak for their own entity, never for "every entity"
            assert answer.get("controller") in ("", actor.controller), answer
            assert (
                set(person.controllers) <= {actor.controller} or answer.get("controller") == actor.controller
            ), f"{actor.name} recorded consent for every entity of shared person {person.pk}: {answer}"
        self._model_unchanged(before)
        self.check_mail([person])

    @precondition(lambda self: bool(self.live_people()))
    @rule(actor=st.sampled_from([a for a in ACTORS if a.role != "public"]), data=st.data())
    def consent_history(self, actor: Actor, data: Any) -> None:
        with_consent = [p for p in self.live_people() if p.pk in self.consented]
        person = data.draw(st.sampled_from(with_consent or self.live_people()))
        status, body, entries = self.call(actor, "GET", f"/api/v1/consent/subjects/{person.pk}")
        if not may_see(actor, person):
            assert status in (403, 404), f"{actor.name} read consents of {person.pk}: {status}"
            return
        if status == 200 and body.get("consents"):
            # consent evidence is personal data: its read is audited under the caller's name
            assert any(e.subject_id == person.pk and user_of(e.actor) == actor.username for e in entries), (
                f"{actor.name} read the consents of person {person.pk}; no audit entry names them: "
                f"{[(e.action, e.actor, e.subject_id) for e in entries]}"
            )
        if status == 200 and not actor.group_wide:
            for c in body.get("consents", []):
                assert c.get("controller", "") in ("", actor.controller), (actor.name, person.pk, c)

    @precondition(lambda self: bool(self.live_people()))
    @rule(
        actor=st.sampled_from(ACTORS),
        purpose=st.sampled_from(["member-service-quality", "service-improvement", "prospecting"]),
        controller=st.sampled_from([*CONTROLLERS, None]),
        data=st.data(),
    )
    def object(self, actor: Actor, purpose: str, controller: str | None, data: Any) -> None:
        person = data.draw(st.sampled_from(self.live_people()))
        if actor.group_wide and controller not in person.controllers:
            controller = sorted(person.controllers)[0]
        before = {pk: (set(p.controllers), dict(p.emails)) for pk, p in self.people.items()}
        body = {"subject_id": person.pk, "purpose": purpose, "controller": controller, "reasons": "inv"}
        status, _answer, _ = self.call(actor, "POST", "/api/v1/consent/objections", body)
        allowed = actor.writes and (
            actor.group_wide
            or (actor.controller in person.controllers and controller in (None, "", actor.controller))
        )
        if not allowed:
            assert status >= 400, (
                f"{actor.name} registered an objection ({purpose}, {controller}) for {person.pk}"
            )
        self._model_unchanged(before)
        self.check_mail([person])

    @precondition(lambda self: bool(self.live_people()))
    @rule(
        actor=st.sampled_from(WRITERS),
        kind=st.sampled_from(["access", "access", "erasure"]),
        controller=st.sampled_from([*CONTROLLERS, ""]),
        reply=st.sampled_from(["", "own", "attacker"]),
        verified=st.booleans(),
        data=st.data(),
    )
    def rights_request(
        self, actor: Actor, kind: str, controller: str, reply: str, verified: bool, data: Any
    ) -> None:
        """Staff or a system registers a request by the person's address, perhaps with a foreign reply-to;
        the person's code (mailed to them) verifies it; it is fulfilled. Codes, links and the package reach
        only the person; the package holds only what the request's controller and the caller may see."""
        from tutela.rights.models import RightsRequest

        person = data.draw(st.sampled_from(self.live_people()))
        address = data.draw(st.sampled_from(sorted(person.emails)))
        reply_to = {"": "", "own": address, "attacker": self.fresh("attacker") + "@evil.example"}[reply]
        before = {pk: (set(p.controllers), dict(p.emails)) for pk, p in self.people.items()}
        body = {
            "type": kind,
            "identifier": address,
            "controller": controller,
            "reply_to": reply_to,
            "verified": verified,
            "channel": "api",
        }
        status, answer, _ = self.call(actor, "POST", "/api/v1/requests/", body)
        if controller and not may_act_for(actor, controller):
            assert status >= 400, f"{actor.name} opened a request for {controller}: {status} {answer}"
        mails = self.check_mail([person])
        if status != 201:
            self._model_unchanged(before)
            return
        rid = answer["id"]
        if not verified:
            codes = [
                c
                for m in mails
                if set(recipients_of(m)) & set(person.emails)
                for c in _CODE.findall(mail_text(m))
            ]
            if not codes:
                return
            status, answer, _ = self.call(
                actor, "POST", f"/api/v1/requests/{rid}/verify", {"code": codes[-1]}
            )
            if status != 200:
                return
        if kind == "erasure":
            # erasure changes the register deeply; the machine checks the scope, not the erasure rules
            status, answer, _ = self.call(actor, "GET", f"/api/v1/requests/{rid}")
            return
        status, answer, _ = self.call(actor, "POST", f"/api/v1/requests/{rid}/fulfil", {})
        self.check_mail([person])
        if status != 200:
            return
        req = RightsRequest.objects.get(pk=rid)
        package = (req.details or {}).get("package")
        if not package or not Path(package).exists():
            return
        scope = {controller} if controller else set(CONTROLLERS)
        if not actor.group_wide:
            scope &= {actor.controller}
        text = _zip_text(Path(package))
        for value, owners in [*person.emails.items(), *person.names.items()]:
            if not owners & scope:
                assert value not in text, (
                    f"the access package of request {rid} (by {actor.name}, controller {controller!r}) holds "
                    f"{owners}'s {value!r} of person {person.pk}"
                )

    @precondition(lambda self: bool(self.live_people()))
    @rule(known=st.booleans(), data=st.data())
    def portal_request(self, known: bool, data: Any) -> None:
        """The public asks for access with an address; the answer carries no secret that the mail carries."""
        public = BY_NAME["public"]
        if known:
            person = data.draw(st.sampled_from(self.live_people()))
            address = data.draw(st.sampled_from(sorted(person.emails)))
            concerned = [person]
        else:
            address = self.fresh("stranger") + "@example.net"
            self.unknown_identifiers.add(address)
            concerned = []
        status, answer, _ = self.call(
            public, "POST", "/api/v1/requests/portal", {"type": "access", "email": address}
        )
        mails = self.check_mail(concerned, unknown=None if known else address)
        if status >= 300:
            return
        texts = [mail_text(m) for m in mails]
        secrets = [v for v in (answer or {}).values() if isinstance(v, str) and len(v) >= 16]
        for secret in secrets:
            assert not any(secret in t for t in texts), (
                f"the portal's answer carries {secret[:6]}…, which the mail to {address} carries too"
            )

    @precondition(lambda self: bool(self.live_people()))
    @rule(actor=st.sampled_from(ACTORS), data=st.data())
    def place_hold(self, actor: Actor, data: Any) -> None:
        person = data.draw(st.sampled_from(self.live_people()))
        case = self.fresh("CASE-")
        body = {"subject_id": person.pk, "case_ref": case, "reason": "invariant test"}
        status, answer, _ = self.call(actor, "POST", "/api/v1/retention/holds", body)
        if not (actor.writes and may_see(actor, person)):
            assert status >= 400, f"{actor.name} placed a hold on person {person.pk}: {status}"
            return
        if status == 201:
            self.holds.append((answer["id"], person.pk, case, "" if actor.group_wide else actor.controller))

    @rule(actor=st.sampled_from([a for a in ACTORS if a.role != "public"]))
    def list_holds(self, actor: Actor) -> None:
        status, body, _ = self.call(actor, "GET", "/api/v1/retention/holds", all="true")
        if status != 200:
            return
        text = json.dumps(body)
        for _hid, pk, case, entity in self.holds:
            person = self.people[pk]
            hidden = not may_see(actor, person) or (
                not actor.group_wide and entity not in ("", actor.controller)
            )
            if hidden:
                assert case not in text, (
                    f"{actor.name} lists hold {case} on person {pk} (placed by {entity!r})"
                )

    @precondition(lambda self: bool(self.live_people()))
    @rule(actor=st.sampled_from(ACTORS), controller=st.sampled_from(CONTROLLERS), data=st.data())
    def disclose(self, actor: Actor, controller: str, data: Any) -> None:
        chosen = data.draw(
            st.lists(st.sampled_from(self.live_people()), min_size=1, max_size=3, unique_by=id)
        )
        body = {
            "purpose": "member-management",
            "controller": controller,
            "subjects": [str(p.pk) for p in chosen],
        }
        status, answer, _ = self.call(actor, "POST", "/api/v1/recipients/inv-it/disclosures", body)
        if not may_act_for(actor, controller):
            assert status >= 400, f"{actor.name} disclosed {controller}'s people: {status}"
            return
        if status >= 300:
            return
        text = json.dumps(answer.get("rows", []))
        for person in chosen:
            for value, owners in [*person.emails.items(), *person.names.items()]:
                if controller not in owners:
                    assert value not in text, (
                        f"a disclosure for {controller} by {actor.name} holds {owners}'s {value!r} "
                        f"of person {person.pk}"
                    )

    @precondition(lambda self: bool(self.live_people()))
    @rule(actor=st.sampled_from(ACTORS), controller=st.sampled_from(CONTROLLERS), data=st.data())
    def add_address(self, actor: Actor, controller: str, data: Any) -> None:
        """An e-mail address added to a person for an entity: only by that entity's writers (or group-wide
        ones) and only to a person in their view; it is then an address held for the person."""
        person = data.draw(st.sampled_from(self.live_people()))
        before = {pk: (set(p.controllers), dict(p.emails)) for pk, p in self.people.items()}
        address = self.fresh("added") + "@example.org"
        body = {
            "controller": controller,
            "category": "user.contact.email",
            "value": address,
            "source": "direct",
        }
        status, _answer, _ = self.call(actor, "POST", f"/api/v1/subjects/{person.pk}/items", body)
        if not (may_act_for(actor, controller) and may_see(actor, person)):
            assert status >= 400, f"{actor.name} added {controller}'s address to person {person.pk}: {status}"
            self._model_unchanged(before)
            return
        if status == 201:
            person.emails.setdefault(address, set()).add(controller)
            person.controllers.add(controller)
        else:
            self._model_unchanged(before)
        self.check_mail([person])

    @precondition(lambda self: bool(self.live_people()))
    @rule(actor=st.sampled_from(ACTORS), data=st.data())
    def rectify_name(self, actor: Actor, data: Any) -> None:
        """A name corrected (Art. 16): only by the entity that holds that item (or a group-wide writer)."""
        from tutela.subjects.models import DataItem

        person = data.draw(st.sampled_from(self.live_people()))
        items = list(
            DataItem.objects.filter(subject_id=person.pk, category__startswith="user.name", status="active")
            .order_by("pk")
            .values_list("pk", "controller", "value")
        )
        if not items:
            return
        pk, controller, old = data.draw(st.sampled_from(items))
        new = self.fresh("Renamed ")
        body = {"value": new, "source": "direct", "reason": "the person corrected it"}
        status, _answer, _ = self.call(actor, "PATCH", f"/api/v1/subjects/{person.pk}/items/{pk}", body)
        if not (may_act_for(actor, controller) and may_see(actor, person)):
            assert status >= 400, (
                f"{actor.name} rectified {controller}'s item {pk} of person {person.pk}: {status}"
            )
            assert DataItem.objects.filter(pk=pk, value=old).exists() or not old, f"item {pk} changed"
            return
        if status == 200:
            owners = person.names.pop(old, set()) if old in person.names else set()
            person.names.setdefault(new, set()).update(owners or {controller})

    @rule(known=st.booleans(), data=st.data())
    def newsletter_subscribe(self, known: bool, data: Any) -> None:
        """A stranger subscribes an address on the public form: the confirmation goes to that address only,
        and the audit trail names no staff member (the actor of the previous call is not inherited)."""
        address = self.fresh("reader") + "@example.net"
        concerned: list[Person] = []
        if known and self.live_people():
            person = data.draw(st.sampled_from(self.live_people()))
            address = data.draw(st.sampled_from(sorted(person.emails)))
            concerned = [person]
        _status, _answer, _ = self.call(
            BY_NAME["public"], "POST", "/api/v1/consent/newsletter/subscribe", {"email": address}
        )
        new = mail.outbox[self.checked_mail :]
        self.checked_mail = len(mail.outbox)
        for message in new:
            for to in recipients_of(message):
                assert to == address or to in {e for p in concerned for e in p.emails}, (
                    f"a newsletter confirmation for {address} went to {to}"
                )

    @precondition(lambda self: len(self.live_people()) >= 2)
    @rule(actor=st.sampled_from([*WRITERS, BY_NAME["auditor"]]), data=st.data())
    def merge(self, actor: Actor, data: Any) -> None:
        from tutela.subjects.services import subject_merge

        keep, dup = data.draw(
            st.lists(st.sampled_from(self.live_people()), min_size=2, max_size=2, unique_by=id)
        )
        before = {pk: (set(p.controllers), dict(p.emails)) for pk, p in self.people.items()}
        ok, _result = self.service(actor, subject_merge, keep=keep.pk, duplicate=dup.pk)
        allowed = actor.decides and actor.writes
        if not allowed:
            assert not ok, f"{actor.name} merged {dup.pk} into {keep.pk}"
            self._model_unchanged(before)
            return
        if not ok:
            return
        keep.controllers |= dup.controllers
        for mine, theirs in ((keep.emails, dup.emails), (keep.names, dup.names)):
            for value, owners in theirs.items():
                mine.setdefault(value, set()).update(owners)
        dup.merged_into = keep.pk
        self.check_mail([keep])

    # ------------------------------------------------------------------------------------ invariants

    @invariant()
    def entity_listings_follow_the_model(self) -> None:
        for name in ("staff-crm", "staff-ac", "int-ac"):
            self._listing(BY_NAME[name])

    @invariant()
    def no_mail_to_an_address_not_held(self) -> None:
        self.check_mail(list(self.people.values()), unknown=None)

    @invariant()
    def the_chain_verifies(self) -> None:
        from tutela.core.audit import audit_verify

        report = audit_verify()
        assert report.intact, report.as_dict()


def _zip_text(path: Path) -> str:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return "\n".join(archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist())


def test_nobody_reaches_outside_their_scope(
    policy: Any, settings: Any, tmp_path: Path, tutela_home: Path
) -> None:
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.TUTELA_RATE_LIMIT_PER_HOUR = 1_000_000
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("createcachetable", verbosity=0)
    world = World(tmp_path)

    class Machine(ScopeMachine):
        pass

    Machine.world = world
    started = dt.datetime.now(tz=dt.UTC)
    try:
        run_state_machine_as_test(Machine, settings=machine_settings(examples=10, steps=16))
    finally:
        seconds = (dt.datetime.now(tz=dt.UTC) - started).total_seconds()
        print(f"\nscope machine: {seconds:.1f}s; calls:")
        for (method, path, status), n in sorted(TALLY.items()):
            print(f"  {method:5} {path:45} {status}: {n}")


def _by_operator(service: Any = None) -> dict[str, Any]:
    """``principal=CLI`` where an accounts service takes one (the accounts services are gaining it)."""
    import inspect

    from tutela.accounts.principal import CLI
    from tutela.accounts.services import staff_create

    service = service or staff_create
    return {"principal": CLI} if "principal" in inspect.signature(service).parameters else {}
