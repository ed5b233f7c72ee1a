"""The server's router and the OpenAPI document come from one route table: every route the
server answers is documented with the role it enforces, and nothing documented is missing."""

from __future__ import annotations

import re

from acd.daemon.api.openapi import ROUTE_TABLE
from tests.daemon.conftest import Api

PAGES = {"/", "/agent", "/{asset}"}  # the wallboard and the agent desktop, not the API


def _served(api: Api) -> set[tuple[str, str]]:
    out = set()
    for route in api.server.app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        out.add((route.method.lower(), path))
    return out


async def test_every_served_route_is_documented_and_nothing_else(api: Api) -> None:
    status, doc = await api.call("GET", "/v1/openapi.json", role=None)
    assert status == 200
    documented = {(m, p) for p, item in doc["paths"].items() for m in item}
    served = {(m, p) for m, p in _served(api) if p not in PAGES}
    assert documented == served
    for path in ("/metrics", "/v1/events", "/v1/openapi.json", "/readyz", "/healthz"):
        assert ("get", path) in documented


async def test_documented_security_is_what_the_server_enforces(api: Api) -> None:
    _, doc = await api.call("GET", "/v1/openapi.json", role=None)
    for path, item in doc["paths"].items():
        concrete = re.sub(r"{(\w+)}", "x", path)
        for method, op in item.items():
            status, _ = await api.call(method.upper(), concrete, role=None)
            if op.get("security") == []:
                assert status != 401, (method, path)
            else:
                assert status == 401, (method, path, status)
                assert "401" in op["responses"], (method, path)


async def test_the_table_the_document_describes_is_the_servers(api: Api) -> None:
    table = api.server.app[ROUTE_TABLE]
    assert {(r.method.lower(), re.sub(r"{(\w+):[^}]*}", r"{\1}", r.path)) for r in table} == (
        _served(api)
    )
