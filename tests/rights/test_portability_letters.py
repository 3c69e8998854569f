"""Portability with direct transmission (a real local HTTP server), and the letters in en, fr and nl."""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.factories.rights import member, open_request
from tutela.accounts.principal import CLI
from tutela.core.errors import InvalidInput
from tutela.rights import transport
from tutela.rights.fulfil import request_fulfil
from tutela.rights.models import TransmissionReceipt


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.auth: list[str] = []
        self.fail_first = fail_first
        self.calls = 0


@pytest.fixture
def receiver() -> Iterator[tuple[str, Receiver]]:
    state = Receiver(fail_first=1)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.calls += 1
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.calls <= state.fail_first:
                self.send_response(503)
                self.end_headers()
                return
            state.bodies.append(json.loads(body))
            state.auth.append(self.headers.get("Authorization", ""))
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"received": true}')

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/import", state
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_portability_sends_provided_data_directly(
    policy: Any,
    receiver: tuple[str, Receiver],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from tutela.core import crypto
    from tutela.subjects.services import item_add

    settings.TUTELA_TRANSMIT_ALLOW_LOOPBACK = True  # the receiver listens on the loopback
    monkeypatch.setattr(transport, "BACKOFF", 0.01)
    url, state = receiver
    person = member()
    # an observed item the person did not provide is not portable
    item_add(
        subject=person,
        controller="crm-asbl",
        category="user.behavior.browsing_history",
        value="visited /events 3 times",
        source="direct",
        purposes=["user-profiles"],
        subject_type="member",
        provided_by_subject=False,
        principal=CLI,
    )
    req = open_request(
        "portability",
        "marie.dupont@example.be",
        details={
            "transmit_to": url,
            "transmit_token_sealed": crypto.encrypt("t0ken", context="request.transmit"),
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "granted"
    (body,) = state.bodies
    assert state.calls == 2  # one 503, then delivered
    assert state.auth == ["Bearer t0ken"]
    categories = {i["category"] for i in body["items"]}
    assert "user.behavior.browsing_history" not in categories
    assert {"user.name", "user.contact.email"} <= categories
    receipt = TransmissionReceipt.objects.get(request_id=req.pk)
    assert receipt.delivered and receipt.status_code == 201 and receipt.attempts == 2
    assert len(receipt.payload_sha256) == 64
    req.refresh_from_db()
    with zipfile.ZipFile(Path(req.details["package"])) as zf:
        assert {"data.json", "data.csv"} <= set(zf.namelist())


def test_plain_http_only_for_loopback_when_allowed(settings: Any) -> None:
    settings.TUTELA_TRANSMIT_ALLOW_LOOPBACK = True
    assert transport.check_url("https://93.184.215.14/in")
    assert transport.check_url("http://127.0.0.1:9/in")
    with pytest.raises(InvalidInput):
        transport.check_url("http://93.184.215.14/in")
    with pytest.raises(InvalidInput):
        transport.check_url("ftp://example.org/in")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/in",
        "https://127.0.0.1/in",
        "https://localhost/in",
        "https://[::1]/in",
        "https://10.0.0.5/in",
        "https://192.168.1.1/in",
        "https://172.16.0.1/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[fe80::1]/in",
        "https://224.0.0.1/in",
        "https://0.0.0.0/in",
        "https://240.0.0.1/in",
        "https://100.64.0.1/in",
        "https://[::ffff:127.0.0.1]/in",
    ],
)
def test_internal_addresses_are_refused_by_default(url: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        transport.check_url(url, field="transmit_to")
    assert exc.value.errors[0].field == "transmit_to"


def test_a_name_is_checked_by_what_it_resolves_to(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    import socket

    answers = {"inside.example": "10.1.2.3", "outside.example": "93.184.215.14", "me.example": "127.0.0.1"}

    def fake(host: str, port: Any, *a: Any, **k: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    assert transport.check_url("https://outside.example/in")
    for host in ("inside.example", "me.example"):
        with pytest.raises(InvalidInput):
            transport.check_url(f"https://{host}/in")
    settings.TUTELA_TRANSMIT_ALLOW_LOOPBACK = True
    assert transport.check_url("http://me.example:8080/in")
    with pytest.raises(InvalidInput):
        transport.check_url("https://inside.example/in")


@pytest.mark.django_db
def test_a_portability_request_cannot_target_the_internal_network(policy: Any) -> None:
    from django.test import Client

    from tutela.rights.models import RightsRequest

    member()
    r = Client().post(
        "/api/v1/requests/",
        data=json.dumps({"type": "portability", "identifier": "marie.dupont@example.be",
                         "transmit_to": "https://169.254.169.254/latest"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=_dpo_bearer(),
    )  # fmt: skip
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "transmit_to"
    assert not RightsRequest.objects.exists()


def _dpo_bearer() -> str:
    from tutela.accounts.services import staff_create, token_create

    user, _ = staff_create(
        principal=CLI, username="dpo-t", email="dpo-t@crmgroup.be", role="dpo", controller=""
    )
    return f"Bearer {token_create(principal=CLI, user=user, name='tests')}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "ack", "refusal_words"),
    [
        ("en", "We received your request", "right to lodge a complaint"),
        ("fr", "Nous avons bien reçu votre demande", "droit d'introduire une réclamation"),
        ("nl", "Wij hebben uw verzoek ontvangen", "recht een klacht in te dienen"),
    ],
)
def test_letters_in_the_language_of_the_request(
    policy: Any, policy_data: dict[str, Any], smtp_server: Any, language: str, ack: str, refusal_words: str
) -> None:
    member()
    req = open_request(
        "objection",
        "marie.dupont@example.be",
        purpose="accounting",
        language=language,
        reply_to="marie.dupont@example.be",
    )
    from tutela.rights.services import request_extend, request_sign

    request_extend(request_id=req.pk, reason="many linked requests", principal=CLI)
    request_sign(request_id=req.pk, signed_on=req.received_at.date(), signature="scan", principal=CLI)
    result = request_fulfil(request_id=req.pk, principal=CLI)
    assert result.outcome == "refused"
    mails = smtp_server.wait_for(3)
    kinds = [m["X-Tutela-Letter"] for m in mails]
    assert kinds == ["acknowledgement", "extension", "refusal"]
    assert all(m["Content-Language"] == language for m in mails)
    assert mails[0]["Subject"].startswith(ack)
    refusal = mails[2].get_content()
    assert refusal_words in refusal
    assert policy_data["authority"]["name"] in refusal
    assert policy_data["authority"]["website"] in refusal
    assert "legal obligation" in refusal or "obligation" in refusal


@pytest.mark.django_db
def test_transmission_endpoint_checked_at_intake(policy: Any) -> None:
    from tutela.rights.models import RightsRequest
    from tutela.rights.services import request_open

    member()
    with pytest.raises(InvalidInput) as exc:
        request_open(type="portability", identifier="marie.dupont@example.be", channel="portal",
                     details={"transmit_to": "http://other-controller.example/in"}, principal=CLI)  # fmt: skip
    assert exc.value.errors[0].field == "transmit_to"
    assert not RightsRequest.objects.exists()
