"""The REST API under /v1: JSON in and out, bearer tokens, stable error codes.

One route table drives both the aiohttp router and the OpenAPI document, so they cannot drift.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from acd import events as ev
from acd.commands import Originate
from acd.config.files import load_config
from acd.daemon.auth import Principal
from acd.daemon.live import LiveDriver
from acd.daemon.state import DAEMON, Daemon
from acd.errors import AcdError, ConfigError

log = logging.getLogger("acd.api")
PRINCIPAL = web.RequestKey("principal", Principal)


# --- request bodies ---------------------------------------------------------------------------
class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(Body):
    ready: bool = True


class PauseBody(Body):
    reason: Annotated[str, Field(min_length=1, max_length=64)] = "break"


class SkillsBody(Body):
    skills: dict[
        Annotated[str, Field(min_length=1, max_length=64)], Annotated[int, Field(ge=1, le=10)]
    ]


class StateBody(Body):
    state: Literal["ready", "paused", "logged_out"]
    reason: Annotated[str, Field(min_length=1, max_length=64)] = "supervisor"


class DispositionBody(Body):
    disposition: Annotated[str, Field(min_length=1, max_length=64)]
    # A callback code: when (ISO 8601 with an offset, or local wall time in the lead's zone)
    # and for whom ("me", an agent id, or null for anyone).
    callback_at: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    callback_agent: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class LeadPatchBody(Body):
    priority: Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class CallbackBody(Body):
    at: Annotated[str, Field(min_length=1, max_length=64)]
    agent_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class DncBody(Body):
    number: Annotated[str, Field(min_length=1, max_length=64)]


class TransferBody(Body):
    queue: Annotated[str, Field(min_length=1, max_length=64)]


class HangupBody(Body):
    reason: Annotated[str, Field(min_length=1, max_length=64)] = "supervisor"


# --- errors -----------------------------------------------------------------------------------
def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# --- the route table ----------------------------------------------------------------------------
Handler = Callable[[web.Request, Daemon, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    role: str  # minimum role; "open" needs no token
    summary: str
    body: type[Body] | None = None
    own_agent: bool = False  # an agent token may act only on its own agent_id
    status: int = 200
    # Query parameters: (name, description, JSON schema, required).
    query: tuple[tuple[str, str, dict[str, Any], bool], ...] = ()
    # A body the handler reads itself (not a JSON object): its OpenAPI "content" map.
    raw_body: dict[str, Any] | None = None


def _agent_id(request: web.Request) -> str:
    return request.match_info["agent_id"]


def _driver(d: Daemon) -> LiveDriver:
    if d.driver is None:
        raise ApiError(503, "not_ready", "the engine is not running")
    return d.driver


def _submit(d: Daemon, event: ev.Event) -> None:
    _driver(d).submit(event)


def _agent(d: Daemon, agent_id: str) -> dict[str, Any]:
    assert d.driver is not None
    eng = d.driver.engine
    a = eng.agents.get(agent_id)
    if a is None:
        raise ApiError(404, "unknown_agent", f"unknown agent {agent_id!r}")
    view = eng.agent_view(a, d.driver.now())
    view["kpis"] = a.stats.kpis()
    return view


def _snapshot(d: Daemon) -> dict[str, Any]:
    driver = _driver(d)
    return driver.engine.snapshot(driver.now())


async def get_snapshot(request: web.Request, d: Daemon, body: None) -> Any:
    return _snapshot(d) | {"time": d.driver.now() if d.driver else None}


def _queues(d: Daemon, only: str | None = None) -> list[dict[str, Any]]:
    driver = _driver(d)
    return driver.engine.queues_view(driver.now(), only)


async def list_queues(request: web.Request, d: Daemon, body: None) -> Any:
    return {"queues": _queues(d)}


async def get_queue(request: web.Request, d: Daemon, body: None) -> Any:
    name = request.match_info["queue"]
    found = _queues(d, name)
    if not found:
        raise ApiError(404, "unknown_queue", f"unknown queue {name!r}")
    return found[0]


async def list_agents(request: web.Request, d: Daemon, body: None) -> Any:
    return {"agents": _snapshot(d)["agents"]}


async def get_agent(request: web.Request, d: Daemon, body: None) -> Any:
    return _agent(d, _agent_id(request))


async def agent_login(request: web.Request, d: Daemon, body: LoginBody) -> Any:
    _submit(d, ev.AgentLogin(_agent_id(request), ready=body.ready))
    return _agent(d, _agent_id(request))


async def agent_logout(request: web.Request, d: Daemon, body: None) -> Any:
    _submit(d, ev.AgentLogout(_agent_id(request)))
    return _agent_or_gone(d, _agent_id(request))


def _agent_or_gone(d: Daemon, agent_id: str) -> Any:
    try:
        return _agent(d, agent_id)
    except ApiError:
        return {"id": agent_id, "state": "logged_out", "removed": True}


async def agent_ready(request: web.Request, d: Daemon, body: None) -> Any:
    _submit(d, ev.AgentReady(_agent_id(request)))
    return _agent(d, _agent_id(request))


async def agent_pause(request: web.Request, d: Daemon, body: PauseBody) -> Any:
    _submit(d, ev.AgentPause(_agent_id(request), body.reason))
    return _agent(d, _agent_id(request))


def _iso(value: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(
            422, "invalid_field", f"{where}: not an ISO 8601 date and time: {value!r}"
        ) from None


async def agent_disposition(request: web.Request, d: Daemon, body: DispositionBody) -> Any:
    aid = _agent_id(request)
    _agent(d, aid)  # 404 first: the rules across fields below are beyond the schema
    at = None if body.callback_at is None else _iso(body.callback_at, "callback_at")
    agent = aid if body.callback_agent == "me" else body.callback_agent
    if agent is not None and at is None:
        raise ApiError(422, "invalid_field", "callback_agent: needs callback_at")
    _submit(d, ev.SetDisposition(aid, body.disposition, callback_at=at, callback_agent=agent))
    assert d.driver is not None
    a = d.driver.engine.agents[aid]
    call_id = a.call.id if a.call is not None else a.last_call
    out: dict[str, Any] = {"agent_id": aid, "call_id": call_id, "disposition": body.disposition}
    if at is not None:
        out |= {"callback_at": at.isoformat(), "callback_agent": agent}
    return out


def _preview(d: Daemon, agent_id: str) -> dict[str, Any]:
    _agent(d, agent_id)  # 404 for an unknown agent
    view = _driver(d).engine.preview_view(agent_id, _driver(d).now())
    if view is None:
        raise ApiError(404, "no_preview", f"agent {agent_id!r} has no lead to preview")
    return dict(view)


async def agent_preview(request: web.Request, d: Daemon, body: None) -> Any:
    return _preview(d, _agent_id(request))


async def agent_preview_dial(request: web.Request, d: Daemon, body: None) -> Any:
    aid = _agent_id(request)
    view = _preview(d, aid)
    commands = _driver(d).submit(ev.PreviewDial(aid))
    call_id = next((c.call_id for c in commands if isinstance(c, Originate)), None)
    return {"agent_id": aid, "lead": view["lead"], "call_id": call_id}


async def agent_preview_skip(request: web.Request, d: Daemon, body: None) -> Any:
    aid = _agent_id(request)
    view = _preview(d, aid)
    _submit(d, ev.PreviewSkip(aid))
    return {"agent_id": aid, "skipped": view["lead"]}


async def agent_force_state(request: web.Request, d: Daemon, body: StateBody) -> Any:
    aid = _agent_id(request)
    current = _agent(d, aid)["state"]
    if body.state == "ready":
        if current == "logged_out":
            _submit(d, ev.AgentLogin(aid))
        else:
            _submit(d, ev.AgentReady(aid))
    elif body.state == "paused":
        if current == "logged_out":
            _submit(d, ev.AgentLogin(aid, ready=False))
        _submit(d, ev.AgentPause(aid, body.reason))
    else:
        _submit(d, ev.AgentLogout(aid))
    return _agent_or_gone(d, aid)


async def agent_skills(request: web.Request, d: Daemon, body: SkillsBody) -> Any:
    _submit(d, ev.SetAgentSkills(_agent_id(request), body.skills))
    return _agent(d, _agent_id(request))


async def list_calls(request: web.Request, d: Daemon, body: None) -> Any:
    return {"calls": _snapshot(d)["calls"]}


def _own_call(request: web.Request, d: Daemon) -> str:
    call_id = request.match_info["call_id"]
    assert d.driver is not None
    call = d.driver.engine.calls.get(call_id)
    if call is None:
        raise ApiError(404, "unknown_call", f"unknown call {call_id!r}")
    p: Principal = request[PRINCIPAL]
    if not p.at_least("supervisor") and (call.agent is None or call.agent.id != p.agent_id):
        raise ApiError(403, "forbidden", "an agent may act only on its own call")
    return call_id


async def call_hangup(request: web.Request, d: Daemon, body: HangupBody) -> Any:
    call_id = _own_call(request, d)
    _submit(d, ev.HangUpCall(call_id, body.reason))
    return {"id": call_id, "state": "ended"}


async def call_hold(request: web.Request, d: Daemon, body: None) -> Any:
    return _call_hold(request, d, hold=True)


async def call_resume(request: web.Request, d: Daemon, body: None) -> Any:
    return _call_hold(request, d, hold=False)


def _call_hold(request: web.Request, d: Daemon, *, hold: bool) -> Any:
    call_id = _own_call(request, d)
    _submit(d, ev.HoldCall(call_id) if hold else ev.ResumeCall(call_id))
    assert d.driver is not None
    return d.driver.engine.call_view(d.driver.engine.calls[call_id], d.driver.now())


async def call_transfer(request: web.Request, d: Daemon, body: TransferBody) -> Any:
    call_id = _own_call(request, d)
    _submit(d, ev.TransferCall(call_id, body.queue))
    assert d.driver is not None
    return d.driver.engine.call_view(d.driver.engine.calls[call_id], d.driver.now())


async def list_campaigns(request: web.Request, d: Daemon, body: None) -> Any:
    driver = _driver(d)
    return {"campaigns": driver.engine.campaigns_view(driver.now())}


def _campaign(d: Daemon, name: str) -> Any:
    c = _driver(d).engine
    rt = c.campaigns.get(name)  # a core without campaigns has none
    if rt is None:
        raise ApiError(404, "unknown_campaign", f"unknown campaign {name!r}")
    return c, rt


def _set_paused(request: web.Request, d: Daemon, paused: bool) -> Any:
    c, rt = _campaign(d, request.match_info["campaign"])
    rt.paused = paused  # pausing: calls in flight finish; no new ones until resumed
    log.info("campaign %s %s", rt.name, "paused" if paused else "resumed")
    return next(v for v in c.campaigns_view(_driver(d).now()) if v["name"] == rt.name)


async def campaign_pause(request: web.Request, d: Daemon, body: None) -> Any:
    return _set_paused(request, d, True)


async def campaign_resume(request: web.Request, d: Daemon, body: None) -> Any:
    return _set_paused(request, d, False)


# --- leads and the do-not-call list (the campaign's lead book, in the engine's loop) ------------
def _book(d: Daemon, name: str, *, create: bool = False) -> Any:
    c, _ = _campaign(d, name)
    return c.lead_book(name, create=create)


def _lead_items(raw: bytes, content_type: str) -> tuple[str, bool]:
    """The request body as lead CSV text; True if it came as a JSON list (lines are items)."""
    if not raw.strip():
        raise ApiError(422, "invalid_body", "no leads: send CSV (text/csv) or a JSON list")
    text = raw.decode("utf-8-sig", errors="replace")
    if "json" not in content_type and not text.lstrip().startswith("["):
        return text, False
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(items, list) or not items:
        raise ApiError(422, "invalid_body", "the body must be a non-empty JSON list of leads")
    columns: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ApiError(422, "invalid_body", f"item {i}: a lead is a JSON object")
        fields = item.get("fields", {})
        if not isinstance(fields, dict):
            raise ApiError(422, "invalid_body", f"item {i}: fields must be an object")
        for k, v in [*item.items(), *fields.items()]:
            if k == "fields":
                continue
            if not isinstance(v, str | int) or isinstance(v, bool):
                raise ApiError(422, "invalid_body", f"item {i}: {k!r} must be a string or integer")
            if k not in columns:
                columns.append(str(k))
    if "phone" not in columns:
        raise ApiError(422, "invalid_body", "leads need a 'phone'")
    out = io.StringIO()
    w = csv.DictWriter(out, columns, lineterminator="\n")
    w.writeheader()
    for item in items:
        w.writerow({**item.pop("fields", {}), **item})
    return out.getvalue(), True


async def leads_import(request: web.Request, d: Daemon, body: None) -> Any:
    from dialer.leads import LeadFileError, parse_leads

    name = request.match_info["campaign"]
    _campaign(d, name)
    text, is_json = _lead_items(await request.read(), request.content_type)
    center, _ = _campaign(d, name)
    book = _book(d, name, create=True)
    center.lead_imports += 1
    try:
        prefix = f"api{center.lead_imports}-"  # ids of rows that give none: unique per import
        result = parse_leads(text, name="request body", id_prefix=prefix)
    except LeadFileError as exc:
        raise ApiError(422, "invalid_lead_file", str(exc)) from None
    where = "item" if is_json else "line"
    rejected = [
        {where: r.line - 2 if is_json else r.line, "reason": r.reason} for r in result.rejected
    ]
    taken = 0
    now = _driver(d).now()
    for lead in result.leads:
        if lead.lead_id in book.book:
            rejected.append(
                {where: None, "reason": f"lead id {lead.lead_id!r} is already in the campaign"}
            )
            continue
        book.book.add(lead, at=now + book.epoch)
        taken += 1
    _driver(d).rearm()
    return {"campaign": name, "taken": taken, "rejected_count": len(rejected), "rejected": rejected}


async def leads_list(request: web.Request, d: Daemon, body: None) -> Any:
    from dialer.center import lead_view

    name = request.match_info["campaign"]
    book = _book(d, name)
    q = request.query
    state = q.get("state") or None
    if state is not None and state not in ("queued", "callback", "dialing", "done"):
        raise ApiError(422, "invalid_field", "state: one of queued, callback, dialing, done")
    try:
        limit = int(q.get("limit", "100"))
        start = int(q.get("cursor", "0") or 0)
    except ValueError:
        raise ApiError(422, "invalid_field", "limit and cursor are integers") from None
    if not 1 <= limit <= 1000 or start < 0:
        raise ApiError(422, "invalid_field", "limit: 1-1000; cursor: from a previous page")
    if book is None:
        return {"campaign": name, "leads": [], "next_cursor": None}
    page, nxt = book.book.page(state, start, limit)
    return {
        "campaign": name,
        "leads": [lead_view(book, lead.lead_id) for lead, _, _ in page],
        "next_cursor": None if nxt is None else str(nxt),
    }


def _lead(d: Daemon, request: web.Request) -> tuple[Any, str]:
    name, lead_id = request.match_info["campaign"], request.match_info["lead_id"]
    book = _book(d, name)
    if book is None or lead_id not in book.book:
        raise ApiError(404, "unknown_lead", f"campaign {name!r} has no lead {lead_id!r}")
    return book, lead_id


async def lead_get(request: web.Request, d: Daemon, body: None) -> Any:
    from dialer.center import lead_view

    return lead_view(*_lead(d, request))


async def lead_patch(request: web.Request, d: Daemon, body: LeadPatchBody) -> Any:
    from dialer.center import lead_view

    book, lead_id = _lead(d, request)
    book.book.set_priority(lead_id, body.priority)
    return lead_view(book, lead_id)


async def lead_close(request: web.Request, d: Daemon, body: None) -> Any:
    from dialer.center import lead_view

    book, lead_id = _lead(d, request)
    book.book.close(lead_id)  # IllegalTransition (409) while dialed or already done
    return lead_view(book, lead_id)


async def lead_callback(request: web.Request, d: Daemon, body: CallbackBody) -> Any:
    from acd.errors import IllegalTransition
    from dialer.center import lead_view

    book, lead_id = _lead(d, request)
    at = _iso(body.at, "at")
    if body.agent_id is not None:
        _agent(d, body.agent_id)  # 404 for an unknown agent
    if book.book.dialing(lead_id):
        raise IllegalTransition("lead", lead_id, "dialing", "callback")
    at = book.callback_time(lead_id, at)
    book.book.schedule_callback(lead_id, at, body.agent_id)
    _driver(d).rearm()
    return lead_view(book, lead_id)


def _dnc(d: Daemon) -> Any:
    c = _driver(d).engine
    if c.dnc is None:
        raise ApiError(
            404, "no_dialer", "the daemon runs no campaigns: there is no do-not-call list"
        )
    return c.dnc


def _dnc_view(dnc: Any, number: str) -> dict[str, Any]:
    from dialer.leads import InvalidNumber, normalize

    try:
        key = normalize(number, dnc.default_region, valid=False)
    except InvalidNumber as exc:
        raise ApiError(422, "invalid_field", f"number: {exc}") from None
    entry = dnc.entry(key)
    return {
        "number": key,
        "listed": entry is not None,
        "source": entry.source if entry is not None else None,
        "at": entry.at if entry is not None else None,
    }


async def list_cdr(request: web.Request, d: Daemon, body: None) -> Any:
    """Call detail records ended in [from, to), oldest first, from the store."""
    from acd.store.cdr import parse_bound

    q = request.query
    try:
        start = parse_bound(q["from"]) if "from" in q else 0.0
        try:
            end = parse_bound(q["to"], end=True) if "to" in q else float("inf")
        except OverflowError:  # the day after 9999-12-31
            end = float("inf")
    except ValueError as exc:
        raise ApiError(422, "invalid_field", f"from/to: {exc}") from None
    try:
        limit = int(q.get("limit", "1000"))
    except ValueError:
        raise ApiError(422, "invalid_field", "limit: an integer") from None
    if not 1 <= limit <= 10000:
        raise ApiError(422, "invalid_field", "limit: 1-10000")
    if d.store is None:
        raise ApiError(503, "not_ready", "the store is not connected")
    records: list[dict[str, Any]] = []
    truncated = False
    async for rec in d.store.records(start, end):
        if len(records) == limit:
            truncated = True
            break
        records.append(rec)
    return {"count": len(records), "truncated": truncated, "records": records}


async def dnc_list(request: web.Request, d: Daemon, body: None) -> Any:
    dnc = _dnc(d)
    try:
        limit = int(request.query.get("limit", "100"))
        start = int(request.query.get("cursor", "0") or 0)
    except ValueError:
        raise ApiError(422, "invalid_field", "limit and cursor are integers") from None
    if not 1 <= limit <= 1000 or start < 0:
        raise ApiError(422, "invalid_field", "limit: 1-1000; cursor: from a previous page")
    numbers = list(dnc)[start : start + limit]
    nxt = start + limit if start + limit < len(dnc) else None
    return {
        "count": len(dnc),
        "numbers": [_dnc_view(dnc, n) for n in numbers],
        "next_cursor": None if nxt is None else str(nxt),
    }


async def dnc_add(request: web.Request, d: Daemon, body: DncBody) -> Any:
    dnc = _dnc(d)
    view = _dnc_view(dnc, body.number)
    added = dnc.add(view["number"], "api", _driver(d).now())
    return _dnc_view(dnc, view["number"]) | {"added": added}


async def dnc_check(request: web.Request, d: Daemon, body: None) -> Any:
    return _dnc_view(_dnc(d), request.match_info["number"])


async def dnc_remove(request: web.Request, d: Daemon, body: None) -> Any:
    dnc = _dnc(d)
    view = _dnc_view(dnc, request.match_info["number"])
    if not dnc.remove(view["number"]):
        raise ApiError(404, "not_listed", f"{view['number']} is not on the do-not-call list")
    return _dnc_view(dnc, view["number"])


async def admin_reload(request: web.Request, d: Daemon, body: None) -> Any:
    return reload_config(d)


def reload_config(d: Daemon) -> dict[str, Any]:
    """Load the config file again; an invalid file is refused and the old config stays."""
    if d.config_path is None:
        raise ApiError(
            409, "no_config_file", "the daemon runs the embedded demo: nothing to reload"
        )
    new = load_config(d.config_path)  # ConfigError -> 422 with the file, line and field
    for section in ("store", "ha"):
        if getattr(new, section) != getattr(d.config, section):
            raise ApiError(
                409,
                "restart_required",
                f"the {section}: section changed; restart the daemon to apply it",
            )
    driver = _driver(d)
    changes = driver.engine.reconfigure(new, driver.now())
    d.config = new
    d.reloads += 1
    driver.rearm()
    log.info("config reloaded: %s", json.dumps(changes))
    return {"reloaded": True, "changes": changes}


async def erlang(request: web.Request, d: Daemon, body: None) -> Any:
    from acd.erlang.cli import BadInput, evaluate

    try:
        return evaluate(dict(request.query))
    except BadInput as exc:
        raise ApiError(422, "invalid_field", str(exc)) from None


async def healthz(request: web.Request, d: Daemon, body: None) -> Any:
    return {"status": "ok"}


ERLANG_QUERY: tuple[tuple[str, str, dict[str, Any], bool], ...] = (
    ("calls", "calls offered per interval", {"type": "number", "minimum": 0}, True),
    ("aht", "average handle time, seconds", {"type": "number", "exclusiveMinimum": 0}, True),
    (
        "interval",
        "interval length, seconds (default 1800)",
        {"type": "number", "exclusiveMinimum": 0},
        False,
    ),
    (
        "agents",
        "evaluate this many agents instead of solving",
        {"type": "integer", "minimum": 1},
        False,
    ),
    ("answer_within", "service-level threshold, seconds", {"type": "number", "minimum": 0}, False),
    (
        "target_sl",
        "service-level target (needs answer_within)",
        {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        False,
    ),
    ("target_asa", "maximum ASA, seconds", {"type": "number", "exclusiveMinimum": 0}, False),
    (
        "patience",
        "mean patience, seconds: Erlang A",
        {"type": "number", "exclusiveMinimum": 0},
        False,
    ),
    (
        "target_abandon",
        "maximum abandonment share (needs patience)",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        False,
    ),
    (
        "max_occupancy",
        "maximum occupancy",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        False,
    ),
    (
        "shrinkage",
        "share of paid time off the phones",
        {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        False,
    ),
)

LEADS_QUERY: tuple[tuple[str, str, dict[str, Any], bool], ...] = (
    (
        "state",
        "only leads in this state",
        {"type": "string", "enum": ["queued", "callback", "dialing", "done"]},
        False,
    ),
    (
        "limit",
        "leads per page (default 100)",
        {"type": "integer", "minimum": 1, "maximum": 1000},
        False,
    ),
    (
        "cursor",
        "next_cursor of the previous page",
        {"type": "string", "pattern": "^[0-9]{1,12}$"},
        False,
    ),
)
PAGE_QUERY = LEADS_QUERY[1:]
CDR_QUERY: tuple[tuple[str, str, dict[str, Any], bool], ...] = (
    (
        "from",
        "first day (UTC); an ISO-8601 time also works",
        {"type": "string", "format": "date"},
        False,
    ),
    (
        "to",
        "last day, included (UTC); or an ISO-8601 time",
        {"type": "string", "format": "date"},
        False,
    ),
    (
        "limit",
        "at most this many records",
        {"type": "integer", "minimum": 1, "maximum": 10000},
        False,
    ),
)
CSV_OR_JSON = {
    "text/csv": {"schema": {"type": "string", "minLength": 1}},
    "application/json": {
        "schema": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["phone"],
                "properties": {
                    "phone": {"type": "string"},
                    "name": {"type": "string"},
                    "time_zone": {"type": "string"},
                    "priority": {"type": "integer"},
                    "lead_id": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        }
    },
}

ROUTES: list[Route] = [
    Route("GET", "/healthz", healthz, "open", "Liveness: the process answers"),
    Route("GET", "/v1/snapshot", get_snapshot, "supervisor", "Queues, agents and calls at once"),
    Route(
        "GET", "/v1/queues", list_queues, "agent", "Queues with waiting callers and today's KPIs"
    ),
    Route("GET", "/v1/queues/{queue}", get_queue, "agent", "One queue"),
    Route("GET", "/v1/agents", list_agents, "supervisor", "All agents and their states"),
    Route("GET", "/v1/agents/{agent_id}", get_agent, "agent", "One agent", own_agent=True),
    Route(
        "POST",
        "/v1/agents/{agent_id}/login",
        agent_login,
        "agent",
        "Log in (ready or paused)",
        LoginBody,
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/logout",
        agent_logout,
        "agent",
        "Log out (after the current call and wrap-up)",
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/ready",
        agent_ready,
        "agent",
        "Ready: leave pause, or end wrap-up early",
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/pause",
        agent_pause,
        "agent",
        "Pause with a reason code (after the current call if on one)",
        PauseBody,
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/disposition",
        agent_disposition,
        "agent",
        "Set the disposition (wrap-up code) of the current or last call",
        DispositionBody,
        own_agent=True,
    ),
    Route(
        "GET",
        "/v1/agents/{agent_id}/preview",
        agent_preview,
        "agent",
        "The lead the agent previews (preview mode, callbacks)",
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/preview/dial",
        agent_preview_dial,
        "agent",
        "Dial the previewed lead (the agent stays on the line)",
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/preview/skip",
        agent_preview_skip,
        "agent",
        "Skip the previewed lead",
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/state",
        agent_force_state,
        "supervisor",
        "Force an agent's state",
        StateBody,
    ),
    Route(
        "PUT",
        "/v1/agents/{agent_id}/skills",
        agent_skills,
        "supervisor",
        "Change an agent's skills live",
        SkillsBody,
    ),
    Route("GET", "/v1/calls", list_calls, "supervisor", "Live calls"),
    Route("POST", "/v1/calls/{call_id}/hangup", call_hangup, "agent", "Hang up a call", HangupBody),
    Route(
        "POST",
        "/v1/calls/{call_id}/hold",
        call_hold,
        "agent",
        "Record that the connected caller is on hold (the phone holds the audio); hold time "
        "counts in AHT, not in talk time",
    ),
    Route(
        "POST",
        "/v1/calls/{call_id}/resume",
        call_resume,
        "agent",
        "Record that the caller is off hold",
    ),
    Route(
        "POST",
        "/v1/calls/{call_id}/transfer",
        call_transfer,
        "agent",
        "Transfer a call to a queue",
        TransferBody,
    ),
    Route("GET", "/v1/campaigns", list_campaigns, "supervisor", "Campaigns with today's figures"),
    Route(
        "POST",
        "/v1/campaigns/{campaign}/pause",
        campaign_pause,
        "supervisor",
        "Stop placing calls (calls in flight finish)",
    ),
    Route(
        "POST",
        "/v1/campaigns/{campaign}/resume",
        campaign_resume,
        "supervisor",
        "Place calls again",
    ),
    Route(
        "POST",
        "/v1/campaigns/{campaign}/leads",
        leads_import,
        "supervisor",
        "Import leads (CSV or a JSON list): taken, and rejected rows with line and reason",
        status=201,
        raw_body=CSV_OR_JSON,
    ),
    Route(
        "GET",
        "/v1/campaigns/{campaign}/leads",
        leads_list,
        "supervisor",
        "A campaign's leads, a page at a time",
        query=LEADS_QUERY,
    ),
    Route(
        "GET",
        "/v1/campaigns/{campaign}/leads/{lead_id}",
        lead_get,
        "supervisor",
        "One lead and where it stands",
    ),
    Route(
        "PATCH",
        "/v1/campaigns/{campaign}/leads/{lead_id}",
        lead_patch,
        "supervisor",
        "Change a lead's priority",
        LeadPatchBody,
    ),
    Route(
        "DELETE",
        "/v1/campaigns/{campaign}/leads/{lead_id}",
        lead_close,
        "supervisor",
        "Close a lead (never dialed again; 409 while it is being dialed)",
    ),
    Route(
        "POST",
        "/v1/campaigns/{campaign}/leads/{lead_id}/callback",
        lead_callback,
        "supervisor",
        "Schedule a callback (at: ISO 8601, or local wall time in the lead's zone)",
        CallbackBody,
    ),
    Route(
        "GET",
        "/v1/cdr",
        list_cdr,
        "supervisor",
        "Call detail records ended in a date range (bulk export: acd-dialer cdr export)",
        query=CDR_QUERY,
    ),
    Route("GET", "/v1/dnc", dnc_list, "supervisor", "The do-not-call list", query=PAGE_QUERY),
    Route(
        "POST",
        "/v1/dnc",
        dnc_add,
        "supervisor",
        "Add a number to the do-not-call list (source api)",
        DncBody,
    ),
    Route("GET", "/v1/dnc/{number}", dnc_check, "supervisor", "Is this number on the list?"),
    Route(
        "DELETE",
        "/v1/dnc/{number}",
        dnc_remove,
        "supervisor",
        "Take a number off the do-not-call list",
    ),
    Route("POST", "/v1/admin/reload", admin_reload, "admin", "Reload the config file"),
    Route(
        "GET",
        "/v1/erlang",
        erlang,
        "agent",
        "Staffing calculator: agents needed (give targets) or service given (give agents). "
        "Give agents or a target, not both; target_sl needs answer_within and "
        "target_abandon needs patience (422 otherwise).",
        query=ERLANG_QUERY,
    ),
]


def wrap(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        d = request.app[DAEMON]
        if route.role != "open":
            p = request[PRINCIPAL]  # authenticated, with the route's role, by the middleware
            if (
                route.own_agent
                and not p.at_least("supervisor")
                and p.agent_id != request.match_info.get("agent_id")
            ):
                raise ApiError(403, "forbidden", "an agent token may act only on its own agent")
        unknown = set(request.query) - {q[0] for q in route.query} - {"access_token"}
        if unknown:
            raise ApiError(422, "invalid_field", f"{min(unknown)}: unknown parameter")
        body = None
        if route.body is not None:
            raw = await request.read()
            data: Any = {}
            if raw.strip():
                try:
                    data = json.loads(raw)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise ApiError(
                        400, "invalid_json", f"the body is not valid JSON: {exc}"
                    ) from None
            if not isinstance(data, dict):
                raise ApiError(422, "invalid_body", "the body must be a JSON object")
            try:
                body = route.body.model_validate(data)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "body"
                raise ApiError(422, "invalid_field", f"{where}: {first['msg']}") from None
        result = await route.handler(request, d, body)
        if route.method != "GET" and d.persistence is not None:
            d.persistence.touch()  # lead and DNC edits change the core outside a step
        return web.json_response(result, status=route.status, dumps=_dumps)

    return handler


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
            required = info
            token = ""
            header = request.headers.get("Authorization", "")
            if header.startswith("Bearer "):
                token = header[7:].strip()
            elif "access_token" in request.query:
                token = request.query["access_token"]
            if not token:
                raise ApiError(401, "unauthorized", "a bearer token is required")
            principal = request.app[DAEMON].tokens.lookup(token)
            if principal is None:
                raise ApiError(401, "unauthorized", "the token is not valid")
            if not principal.at_least(required):
                raise ApiError(403, "forbidden", f"this needs the {required} role")
            request[PRINCIPAL] = principal
        return await handler(request)
    except ApiError as exc:
        return error(exc.status, exc.code, exc.message)
    except ConfigError as exc:
        return error(422, exc.code, exc.message)
    except AcdError as exc:
        return error(exc.http_status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status >= 400:
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status, "http_error")
            resp = error(exc.status, code, exc.reason)
            if "Allow" in exc.headers:  # RFC 9110: a 405 lists the methods that are allowed
                resp.headers["Allow"] = exc.headers["Allow"]
            return resp
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error(500, "internal_error", "internal error; see the daemon's log")


def add_routes(app: web.Application) -> None:
    for r in ROUTES:
        h = wrap(r)
        h.acd_role = r.role  # type: ignore[attr-defined]
        app.router.add_route(r.method, r.path, h)
