"""/v1/agents: log-in, ready, pause, dispositions, preview dialing, forced states, skills."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from acd import events as ev
from acd.commands import Originate
from acd.config.reporting import code_names
from acd.daemon.api import access
from acd.daemon.api.access import PRINCIPAL, agent, agent_id, agent_or_gone, driver, submit
from acd.daemon.api.bodies import DispositionBody, LoginBody, PauseBody, SkillsBody, StateBody
from acd.daemon.api.errors import ApiError
from acd.daemon.state import Daemon


async def list_agents(request: web.Request, d: Daemon, body: None) -> Any:
    drv = driver(d)
    return {"agents": drv.engine.snapshot(drv.now())["agents"]}


async def get_agent(request: web.Request, d: Daemon, body: None) -> Any:
    return agent(d, agent_id(request))


async def agent_login(request: web.Request, d: Daemon, body: LoginBody) -> Any:
    submit(d, ev.AgentLogin(agent_id(request), ready=body.ready))
    return agent(d, agent_id(request))


async def agent_logout(request: web.Request, d: Daemon, body: None) -> Any:
    submit(d, ev.AgentLogout(agent_id(request)))
    return agent_or_gone(d, agent_id(request))


async def agent_ready(request: web.Request, d: Daemon, body: None) -> Any:
    submit(d, ev.AgentReady(agent_id(request)))
    return agent(d, agent_id(request))


async def agent_pause(request: web.Request, d: Daemon, body: PauseBody) -> Any:
    submit(d, ev.AgentPause(agent_id(request), body.reason))
    return agent(d, agent_id(request))


async def agent_disposition(request: web.Request, d: Daemon, body: DispositionBody) -> Any:
    aid = agent_id(request)
    agent(d, aid)  # 404 first: the rules across fields below are beyond the schema
    at = None if body.callback_at is None else access.iso(body.callback_at, "callback_at")
    for_agent = aid if body.callback_agent == "me" else body.callback_agent
    if for_agent is not None and at is None:
        raise ApiError(422, "invalid_field", "callback_agent: needs callback_at")
    if for_agent not in (None, aid) and not request[PRINCIPAL].at_least("supervisor"):
        raise ApiError(403, "forbidden", "an agent may keep a callback for itself only")
    _known_code(d, aid, body.disposition)
    submit(d, ev.SetDisposition(aid, body.disposition, callback_at=at, callback_agent=for_agent))
    a = driver(d).engine.agents[aid]
    call_id = a.call.id if a.call is not None else a.last_call
    out: dict[str, Any] = {"agent_id": aid, "call_id": call_id, "disposition": body.disposition}
    if at is not None:
        out |= {"callback_at": at.isoformat(), "callback_agent": for_agent}
    return out


def _known_code(d: Daemon, aid: str, code: str) -> None:
    """A queue that lists its codes takes only those (a campaign checks its own)."""
    a = driver(d).engine.agents[aid]
    queue = a.call.queue.name if a.call is not None else a.last_queue
    codes = next((code_names(q.dispositions) for q in d.config.queues if q.name == queue), None)
    if codes and code not in codes:
        raise ApiError(
            422, "invalid_field", f"disposition: {code!r} is not a code of queue {queue!r} {codes}"
        )


def _preview(d: Daemon, aid: str) -> dict[str, Any]:
    agent(d, aid)  # 404 for an unknown agent
    view = driver(d).engine.preview_view(aid, driver(d).now())
    if view is None:
        raise ApiError(404, "no_preview", f"agent {aid!r} has no lead to preview")
    return dict(view)


async def agent_preview(request: web.Request, d: Daemon, body: None) -> Any:
    return _preview(d, agent_id(request))


async def agent_preview_dial(request: web.Request, d: Daemon, body: None) -> Any:
    aid = agent_id(request)
    view = _preview(d, aid)
    commands = driver(d).submit(ev.PreviewDial(aid))
    call_id = next((c.call_id for c in commands if isinstance(c, Originate)), None)
    return {"agent_id": aid, "lead": view["lead"], "call_id": call_id}


async def agent_preview_skip(request: web.Request, d: Daemon, body: None) -> Any:
    aid = agent_id(request)
    view = _preview(d, aid)
    submit(d, ev.PreviewSkip(aid))
    return {"agent_id": aid, "skipped": view["lead"]}


async def agent_force_state(request: web.Request, d: Daemon, body: StateBody) -> Any:
    aid = agent_id(request)
    current = agent(d, aid)["state"]
    if body.state == "ready":
        if current == "logged_out":
            submit(d, ev.AgentLogin(aid))
        else:
            submit(d, ev.AgentReady(aid))
    elif body.state == "paused":
        if current == "logged_out":
            submit(d, ev.AgentLogin(aid, ready=False))
        submit(d, ev.AgentPause(aid, body.reason))
    else:
        submit(d, ev.AgentLogout(aid))
    return agent_or_gone(d, aid)


async def agent_skills(request: web.Request, d: Daemon, body: SkillsBody) -> Any:
    submit(d, ev.SetAgentSkills(agent_id(request), body.skills))
    return agent(d, agent_id(request))
