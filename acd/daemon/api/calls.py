"""/v1/snapshot, /v1/queues and /v1/calls: what is waiting and talking, and what an agent or
supervisor may do to a call (hang up, hold, transfer)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from acd import events as ev
from acd.daemon.api.access import PRINCIPAL, driver, submit
from acd.daemon.api.bodies import HangupBody, TransferBody
from acd.daemon.api.errors import ApiError
from acd.daemon.auth import Principal
from acd.daemon.snapshot import build_snapshot
from acd.daemon.state import Daemon


async def get_snapshot(request: web.Request, d: Daemon, body: None) -> Any:
    drv = driver(d)
    return build_snapshot(drv.engine, drv.now())


def _queues(d: Daemon, only: str | None = None) -> list[dict[str, Any]]:
    drv = driver(d)
    return drv.engine.queues_view(drv.now(), only)


async def list_queues(request: web.Request, d: Daemon, body: None) -> Any:
    return {"queues": _queues(d)}


async def get_queue(request: web.Request, d: Daemon, body: None) -> Any:
    name = request.match_info["queue"]
    found = _queues(d, name)
    if not found:
        raise ApiError(404, "unknown_queue", f"unknown queue {name!r}")
    return found[0]


async def list_calls(request: web.Request, d: Daemon, body: None) -> Any:
    drv = driver(d)
    return {"calls": drv.engine.snapshot(drv.now())["calls"]}


def _own_call(request: web.Request, d: Daemon) -> str:
    call_id = request.match_info["call_id"]
    call = driver(d).engine.calls.get(call_id)
    p: Principal = request[PRINCIPAL]
    mine = p.at_least("supervisor") or (
        call is not None and call.agent is not None and call.agent.id == p.agent_id
    )
    if call is None or not mine:
        # The same answer for another agent's call as for none: an agent cannot probe ids.
        raise ApiError(404, "unknown_call", f"no call {call_id!r} of yours")
    return call_id


def _call_view(d: Daemon, call_id: str) -> dict[str, Any]:
    drv = driver(d)
    return drv.engine.call_view(drv.engine.calls[call_id], drv.now())


async def call_hangup(request: web.Request, d: Daemon, body: HangupBody) -> Any:
    call_id = _own_call(request, d)
    submit(d, ev.HangUpCall(call_id, body.reason))
    return {"id": call_id, "state": "ended"}


async def call_hold(request: web.Request, d: Daemon, body: None) -> Any:
    call_id = _own_call(request, d)
    submit(d, ev.HoldCall(call_id))
    return _call_view(d, call_id)


async def call_resume(request: web.Request, d: Daemon, body: None) -> Any:
    call_id = _own_call(request, d)
    submit(d, ev.ResumeCall(call_id))
    return _call_view(d, call_id)


async def call_transfer(request: web.Request, d: Daemon, body: TransferBody) -> Any:
    call_id = _own_call(request, d)
    submit(d, ev.TransferCall(call_id, body.queue))
    return _call_view(d, call_id)
