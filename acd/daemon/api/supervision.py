"""Supervision: monitors of agents' calls (listen, whisper, barge) and the audit log of
supervisors' actions (``GET /v1/audit``).

Monitors are commands the daemon sends itself (``acd/daemon/monitors.py``): 409 when the agent
is on no call, 422 for a mode or device that is not one.

The entries are recorded by the route wrapper (``middleware.wrap``) for every route with an
``audit`` name; this module only reads them back: from the store (where the persister writes
them with the call records) merged with those still in memory, so an action shows at once.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from acd.audit import merged
from acd.commands import Command
from acd.daemon.api.access import PRINCIPAL, agent_id, driver, time_range
from acd.daemon.api.bodies import MonitorBody
from acd.daemon.api.errors import ApiError
from acd.daemon.api.queries import CDR_QUERY
from acd.daemon.api.route import Route
from acd.daemon.state import Daemon
from acd.errors import StoreUnavailable


async def list_audit(request: web.Request, d: Daemon, body: None) -> Any:
    """Audit entries whose time is in [from, to), oldest first."""
    start, end, limit = time_range(request.query)
    stored: list[dict[str, Any]] = []
    source = "store"
    if d.store is not None:
        try:
            stored = [e async for e in d.store.audit(start, end)]
        except StoreUnavailable:
            source = "memory"  # the store is away: what this process still holds
    else:
        source = "memory"
    entries = merged(stored, d.audit.between(start, end))
    truncated = len(entries) > limit
    return {
        "count": min(limit, len(entries)),
        "truncated": truncated,
        "source": source,
        "entries": entries[:limit],
    }


def _execute(d: Daemon, commands: list[Command]) -> None:
    drv = driver(d)
    now = drv.now()
    for cmd in commands:
        if d.adapter is not None:
            d.adapter.execute(cmd, now)
        elif d.trunk is not None:
            d.trunk.execute(cmd, drv.sim_time(now))


def _prune(d: Daemon) -> None:
    """End the monitors whose call is over, or that the PBX ended."""
    agents = driver(d).engine.agents
    current = {aid: (a.call.id if a.call is not None else None) for aid, a in agents.items()}
    flows = getattr(d.adapter, "flows", None)
    live = set(flows.spies) if flows is not None else None
    _execute(d, d.monitors.prune(current, live))


def _device(d: Daemon, device: str) -> str:
    if "/" in device:
        return device
    ast = d.config.adapter.asterisk
    named = ast.supervisor_devices if ast is not None else {}
    if device in named:
        return named[device]
    if d.config.adapter.type == "simulated":
        return f"sim/{device}"
    raise ApiError(
        422, "invalid_field", f"device: {device!r} is no channel and no supervisor_devices name"
    )


async def monitor_start(request: web.Request, d: Daemon, body: MonitorBody) -> Any:
    aid = agent_id(request)
    a = driver(d).engine.agents.get(aid)
    if a is None:
        raise ApiError(404, "unknown_agent", f"unknown agent {aid!r}")
    if a.call is None:
        raise ApiError(409, "no_call", f"agent {aid!r} is on no call to monitor")
    _prune(d)
    who = request[PRINCIPAL].name
    m, cmd = d.monitors.start(aid, a.call.id, body.mode, _device(d, body.device), who, time.time())
    _execute(d, [cmd])
    return m.view()


async def monitor_list(request: web.Request, d: Daemon, body: None) -> Any:
    _prune(d)
    return {"monitors": d.monitors.of(agent_id(request))}


async def monitor_stop(request: web.Request, d: Daemon, body: None) -> Any:
    aid = agent_id(request)
    _prune(d)
    gone, commands = d.monitors.stop(aid)
    if not gone:
        raise ApiError(404, "no_monitor", f"no one monitors agent {aid!r}")
    _execute(d, commands)
    return {"stopped": [m.view() for m in gone]}


SUPERVISION_ROUTES: list[Route] = [
    Route(
        "POST",
        "/v1/agents/{agent_id}/monitor",
        monitor_start,
        "supervisor",
        "Monitor the agent's call from a supervisor's device: listen, whisper (only the agent "
        "hears) or barge (both hear); 409 when the agent is on no call",
        MonitorBody,
        status=201,
        audit="monitor.start",
    ),
    Route(
        "GET",
        "/v1/agents/{agent_id}/monitor",
        monitor_list,
        "supervisor",
        "The active monitors of the agent's call",
    ),
    Route(
        "DELETE",
        "/v1/agents/{agent_id}/monitor",
        monitor_stop,
        "supervisor",
        "Stop monitoring the agent (every active monitor of it)",
        audit="monitor.stop",
    ),
    Route(
        "GET",
        "/v1/audit",
        list_audit,
        "supervisor",
        "The audit log: who forced states, changed skills, monitored, hung up or transferred "
        "others' calls, paused campaigns, edited leads or the DNC list, reloaded",
        query=CDR_QUERY,
    ),
]
