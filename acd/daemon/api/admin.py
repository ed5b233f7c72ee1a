"""Liveness, the config reload and the staffing calculator."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from acd.daemon.api.errors import ApiError
from acd.daemon.reload import reload_config
from acd.daemon.state import Daemon
from acd.erlang.service import BadInput, evaluate


async def healthz(request: web.Request, d: Daemon, body: None) -> Any:
    return {"status": "ok"}


async def admin_reload(request: web.Request, d: Daemon, body: None) -> Any:
    return await reload_config(d)


async def erlang(request: web.Request, d: Daemon, body: None) -> Any:
    params = {k: v for k, v in request.query.items() if k != "access_token"}
    try:
        return evaluate(params)
    except BadInput as exc:
        raise ApiError(422, "invalid_field", str(exc)) from None
