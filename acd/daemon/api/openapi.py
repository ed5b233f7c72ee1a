"""The OpenAPI 3 document, generated from the same route table the server uses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from acd.daemon.version import package_version

if TYPE_CHECKING:
    from acd.daemon.api.route import Route

# The table the server was built from (set by ``add_routes``): the document describes it.
ROUTE_TABLE: web.AppKey[Sequence[Any]] = web.AppKey("route_table", Sequence)

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


ERR = {"description": "error", "content": {"application/json": {"schema": ERROR}}}


def _responses(
    status: int, secured: bool, has_body: bool, *, query: bool = False, csv: bool = False
) -> dict[str, Any]:
    err = ERR
    content: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    out: dict[str, Any] = {
        str(status): {"description": "OK", "content": content},
        "404": err,
        "409": err,
        "422": err,
        "503": err,
    }
    if has_body or query:
        out["400"] = err
        out["422"] = err
    if secured:
        out["401"] = err
        out["403"] = err
    return out


def document(routes: Sequence[Route], version: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for r in routes:
        if not r.documented:
            continue
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", r.path)
        ]
        params += [
            {"name": name, "in": "query", "required": req, "description": text, "schema": schema}
            for name, text, schema, req in r.query
        ]
        op: dict[str, Any] = {
            "summary": r.summary,
            "operationId": r.handler.__name__,
            "parameters": params,
            "responses": _responses(
                r.status,
                r.role != "open",
                r.body is not None or r.raw_body is not None,
                query=bool(r.query),
                csv=r.csv,
            ),
        }
        for status in r.errors:
            op["responses"][str(status)] = ERR
        if r.responses is not None:  # a raw route states its own, and the auth errors
            op["responses"] = dict(r.responses)
            if r.role != "open":
                op["responses"] |= {"401": ERR, "403": ERR}
        if r.role == "open":
            op["security"] = []
        else:
            op["description"] = f"Needs the {r.role} role or higher."
        if r.body is not None:
            schema = r.body.model_json_schema()
            schema.pop("title", None)
            op["requestBody"] = {
                # Optional when every field has a default (an empty body then means defaults).
                "required": bool(schema.get("required")),
                "content": {"application/json": {"schema": schema}},
            }
        if r.raw_body is not None:
            op["requestBody"] = {"required": True, "content": r.raw_body}
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "acd-dialer",
            "version": version,
            "description": 'Errors are {"error": {"code", "message"}} with stable codes.',
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


async def openapi_doc(request: web.Request) -> web.Response:
    return web.json_response(document(request.app[ROUTE_TABLE], package_version()))
