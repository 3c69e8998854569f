"""The REST API at /api/v1/. Each domain has its own router module in this package."""

from __future__ import annotations

from importlib import import_module

from ninja import NinjaAPI

from tutela.api import errors
from tutela.api.auth import staff_auth

api = NinjaAPI(
    title="Tutela API",
    version="1",
    urls_namespace="api",
    auth=staff_auth,
    parser=errors.StrictParser(),
    description="Tutela runs the organisation's data-protection policy. Staff and connected systems "
    "authenticate with a bearer token (`tutela token create`).",
)
errors.install(api)

#: (module under tutela.api, URL prefix); each module defines ``router``
ROUTERS = [
    ("system", "/"),
    ("policy", "/policy/"),
    ("subjects", "/subjects/"),
    ("consent", "/consent/"),
    ("purpose", "/purpose/"),
    ("rights", "/requests/"),
    ("retention", "/retention/"),
    ("recipients", "/recipients/"),
    ("transfers", "/transfers/"),
    ("breaches", "/breaches/"),
]
for module_name, prefix in ROUTERS:
    module = import_module(f"tutela.api.{module_name}")
    api.add_router(prefix, module.router)
