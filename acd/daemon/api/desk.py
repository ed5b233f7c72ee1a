"""The agent desktop's routes: its live view over a WebSocket, and answering a call that
rings at the desk (the simulated trunk; on a PBX the agent picks up the phone)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSMsgType, web

from acd.daemon.api.access import PRINCIPAL, driver, own_agent
from acd.daemon.api.endpoints import agent_page
from acd.daemon.api.errors import ApiError
from acd.daemon.api.route import JSON, Route
from acd.daemon.desk import desk_view
from acd.daemon.state import DAEMON, Daemon

TICK_SECONDS = 1.0  # countdowns and timers on the page move once a second


async def desk_ws(request: web.Request) -> web.StreamResponse:
    d = request.app[DAEMON]
    aid = request.match_info["agent_id"]
    own_agent(request[PRINCIPAL], aid)
    if desk_view(d, aid) is None:
        raise ApiError(404, "unknown_agent", f"unknown agent {aid!r}")
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    changed = asyncio.Event()

    def watch(message: dict[str, Any]) -> None:
        who = message.get("agent_id") or (message.get("agent") or {}).get("id")
        if who == aid:
            changed.set()

    d.hub.watchers.add(watch)
    d.hub.others.add(ws)  # closed at shutdown, so a desk never holds the daemon up
    reader = asyncio.create_task(_drain(ws))
    try:
        while not ws.closed and not reader.done():
            view = desk_view(d, aid) or {"type": "desk", "agent": None}
            await ws.send_str(json.dumps(view, allow_nan=False, default=str))
            changed.clear()
            with contextlib.suppress(TimeoutError):
                # Wake on a change of this agent, or once a second for the countdowns.
                await asyncio.wait_for(changed.wait(), TICK_SECONDS)
    except ConnectionResetError:
        pass
    finally:
        d.hub.watchers.discard(watch)
        d.hub.others.discard(ws)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return ws


async def _drain(ws: web.WebSocketResponse) -> None:
    async for msg in ws:  # the page sends nothing; reading lets close frames through
        if msg.type is WSMsgType.ERROR:
            return


async def call_answer(request: web.Request, d: Daemon, body: None) -> Any:
    call_id = request.match_info["call_id"]
    drv = driver(d)
    p = request[PRINCIPAL]
    aid = p.agent_id
    if p.at_least("supervisor"):
        raise ApiError(403, "forbidden", "only the agent whose desk it rings at answers a call")
    call = drv.engine.calls.get(call_id)
    a = drv.engine.agents.get(aid or "")
    if call is None or a is None or a.ix not in call.ringing:
        raise ApiError(404, "unknown_call", f"no call {call_id!r} ringing at your desk")
    if d.trunk is None:
        raise ApiError(409, "answer_on_phone", "pick up the phone to answer: it rings there")
    if not d.trunk.answer(call_id, a.id, drv.sim_time(drv.now())):
        raise ApiError(409, "not_ringing", "the call no longer rings at your desk")
    drv.rearm()
    return {"id": call_id, "agent_id": a.id, "answering": True}


DESK_ROUTES: list[Route] = [
    Route("GET", "/agent", agent_page, "open", "The agent desktop", raw=True, documented=False),
    Route(
        "GET",
        "/v1/agents/{agent_id}/desk",
        desk_ws,
        "agent",
        "The agent desktop's live view over a WebSocket: the agent's state, the offered or "
        "current call, the lead, codes and today's figures, on each change and each second",
        raw=True,
        own_agent=True,
        responses={
            "101": {"description": "switching to the WebSocket protocol"},
            "404": {"description": "unknown agent", "content": JSON},
        },
    ),
    Route(
        "POST",
        "/v1/calls/{call_id}/answer",
        call_answer,
        "agent",
        "Answer the call ringing at the agent's desk (simulated trunk; 409 with a PBX, where "
        "the agent picks up the phone)",
    ),
]
