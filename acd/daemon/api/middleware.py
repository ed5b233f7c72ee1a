"""The wrapper every JSON route runs through (role, own-agent rule, query, body, JSON out) and
the middleware that authenticates and turns every error into the API's error body."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from acd.config.schema import Daemon as DaemonSettings
from acd.daemon.api.access import PRINCIPAL, own_agent, parse_json
from acd.daemon.api.errors import ApiError, error
from acd.daemon.api.openapi import ROUTE_TABLE
from acd.daemon.api.people import COOKIE
from acd.daemon.api.route import Handler, Route
from acd.daemon.api.routes import ROUTES
from acd.daemon.auth import Principal
from acd.daemon.state import DAEMON
from acd.errors import AcdError, ConfigError

log = logging.getLogger("acd.api")


def wrap(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        d = request.app[DAEMON]
        if route.role != "open":
            p = request[PRINCIPAL]  # authenticated, with the route's role, by the middleware
            if route.own_agent:
                own_agent(p, request.match_info.get("agent_id"))
        unknown = set(request.query) - {q[0] for q in route.query} - {"access_token"}
        if unknown:
            raise ApiError(422, "invalid_field", f"{min(unknown)}: unknown parameter")
        body = None
        if route.body is not None:
            raw = await request.read()
            data: Any = {}
            if raw.strip():
                data = parse_json(raw)
            if not isinstance(data, dict):
                raise ApiError(422, "invalid_body", "the body must be a JSON object")
            try:
                body = route.body.model_validate(data)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "body"
                raise ApiError(422, "invalid_field", f"{where}: {first['msg']}") from None
        handler_: Handler = route.handler  # type: ignore[assignment]
        result = await handler_(request, d, body)
        if route.audit is not None:
            _audit(request, d, route.audit, body)
        if isinstance(result, web.StreamResponse):  # a route that answers CSV, say
            return result
        if route.method != "GET" and d.persistence is not None:
            d.persistence.touch()  # lead and DNC edits change the core outside a step
        return web.json_response(result, status=route.status, dumps=_dumps)

    return handler


SECRETS = frozenset({"password", "password_hash", "pin"})


def _audit(request: web.Request, d: Any, action: str, body: Any) -> None:
    """One entry in the audit log for a supervisor's action that succeeded (an agent acting on
    its own calls is not audited)."""
    p = request[PRINCIPAL]
    if not p.at_least("supervisor"):
        return
    details = body.model_dump(mode="json", exclude_unset=True) if body is not None else {}
    for secret in SECRETS & details.keys():  # a password set through the admin API
        details[secret] = "(set)"
    d.audit.record(
        time.time(),
        who=p.name,
        role=p.role,
        action=action,
        target="/".join(request.match_info.values()),
        details=details,
    )


def _dumps(obj: Any) -> str:
    return json.dumps(obj, allow_nan=False, default=str)


@web.middleware
async def errors_and_auth(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        route = request.match_info.route
        info = getattr(route.handler, "acd_role", None)
        if info is not None and info != "open":
            request[PRINCIPAL] = authenticate(request, info)
        elif request.method not in SAFE_METHODS:
            same_origin(request)  # signing in from another site's page: refused too
        return await handler(request)
    except ApiError as exc:
        return error(exc.status, exc.code, exc.message)
    except ConfigError as exc:
        return error(422, exc.code, exc.message)
    except AcdError as exc:
        return error(exc.http_status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status >= 400:
            code = {
                404: "not_found",
                405: "method_not_allowed",
                413: "body_too_large",
            }.get(exc.status, "http_error")
            resp = error(exc.status, code, exc.reason)
            if "Allow" in exc.headers:  # RFC 9110: a 405 lists the methods that are allowed
                resp.headers["Allow"] = exc.headers["Allow"]
            return resp
        raise
    except Exception:
        log.exception("unhandled error on %s %r", request.method, request.path)
        return error(500, "internal_error", "internal error; see the daemon's log")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def authenticate(request: web.Request, required: str) -> Principal:
    """Who sent the request, from a bearer token, an ``access_token`` parameter or the
    session cookie; 401 without one, 403 below the route's role or from another site."""
    d = request.app[DAEMON]
    token, cookie = "", False
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":  # RFC 9110: the scheme is case-insensitive
        token = value.strip()
    elif "access_token" in request.query:
        token = request.query["access_token"]
    elif COOKIE in request.cookies:
        token, cookie = request.cookies[COOKIE], True
    if not token:
        raise ApiError(401, "unauthorized", "sign in, or send a bearer token")
    principal = d.tokens.lookup(token)
    if principal is None:
        session = d.people.lookup(token)
        if session is None:
            raise ApiError(401, "unauthorized", "the token or session is not valid (expired?)")
        principal = session.principal()
    if cookie and (request.method not in SAFE_METHODS or _websocket(request)):
        same_origin(request)  # a cookie rides along on another site's requests: check Origin
    if not principal.at_least(required):
        raise ApiError(403, "forbidden", f"this needs the {required} role")
    return principal


def _websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def same_origin(request: web.Request) -> None:
    """Refuse a request a page of another site made: its ``Origin`` is not this server."""
    origin = request.headers.get("Origin")
    if origin is None:
        if COOKIE in request.cookies:
            raise ApiError(403, "cross_site", "a request made with the session cookie needs Origin")
        return  # a script (curl, a client library) sends no Origin and no cookie
    if origin != f"{request.scheme}://{request.host}":
        log.warning("refused a cross-site %s %s from %r", request.method, request.path, origin)
        raise ApiError(403, "cross_site", f"requests from {origin!r} are not accepted")


def add_routes(app: web.Application, settings: DaemonSettings) -> None:
    """Register every route of the table; the OpenAPI document describes the same table."""
    table = [
        replace(r, role="open") if r.open_setting and getattr(settings, r.open_setting) else r
        for r in ROUTES
    ]
    app[ROUTE_TABLE] = table  # as this app serves it: the document states the roles in force
    for r in table:
        h = _tagged(r.handler) if r.raw else wrap(r)
        h.acd_role = r.role  # type: ignore[attr-defined]
        app.router.add_route(r.method, r.path, h)


def _tagged(handler: Any) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A raw handler in a fresh function, to carry this app's role for it."""

    async def tagged(request: web.Request) -> web.StreamResponse:
        return await handler(request)  # type: ignore[no-any-return]

    return tagged
