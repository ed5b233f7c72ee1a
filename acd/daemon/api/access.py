"""How handlers reach the core: the running driver, and the agents and campaigns a path
names, with the 404 or 503 when they are not there."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from acd import events as ev
from acd.core import Core
from acd.daemon.api.errors import ApiError
from acd.daemon.auth import Principal
from acd.daemon.state import Daemon
from acd.drivers.live import LiveDriver
from acd.store.cdr import parse_bound

# The authenticated caller, set by the middleware on every route that needs a token.
PRINCIPAL = web.RequestKey("principal", Principal)


def own_agent(p: Principal, aid: str | None) -> None:
    """403 unless ``p`` may act on agent ``aid``: a supervisor on anyone, an agent on itself."""
    if not p.at_least("supervisor") and p.agent_id != aid:
        raise ApiError(403, "forbidden", "an agent may act only on its own agent")


def agent_id(request: web.Request) -> str:
    return request.match_info["agent_id"]


def driver(d: Daemon) -> LiveDriver:
    if d.driver is None:
        raise ApiError(503, "not_ready", "the engine is not running")
    return d.driver


def core(d: Daemon) -> Core:
    return driver(d).engine


def submit(d: Daemon, event: ev.Event) -> None:
    driver(d).submit(event)


def agent(d: Daemon, aid: str) -> dict[str, Any]:
    """The agent's view with its figures; 404 for an unknown agent."""
    drv = driver(d)
    a = drv.engine.agents.get(aid)
    if a is None:
        raise ApiError(404, "unknown_agent", f"unknown agent {aid!r}")
    view = drv.engine.agent_view(a, drv.now())
    view["kpis"] = a.stats.kpis()
    return view


def agent_or_gone(d: Daemon, aid: str) -> dict[str, Any]:
    """After a log-out: an agent the config no longer has is gone from the core."""
    try:
        return agent(d, aid)
    except ApiError:
        return {"id": aid, "state": "logged_out", "removed": True}


def iso(value: str, where: str) -> datetime:
    """An ISO 8601 date and time in a range every time zone can convert (years 1970-9998)."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(
            422, "invalid_field", f"{where}: not an ISO 8601 date and time: {value!r}"
        ) from None
    if not 1970 <= at.year <= 9998:
        raise ApiError(422, "invalid_field", f"{where}: the year must be 1970-9998")
    return at


def parse_json(raw: bytes) -> Any:
    """A request body as JSON: 400 if it is not JSON, or nests deeper than anything we take."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "the body nests too deep") from None


def campaign(d: Daemon, name: str) -> tuple[Any, Any]:
    """The core (a dialer center: only it has campaigns) and the campaign; 404 if unknown."""
    c = core(d)
    rt = c.campaigns.get(name)  # a core without campaigns has none
    if rt is None:
        raise ApiError(404, "unknown_campaign", f"unknown campaign {name!r}")
    return c, rt


def page_bounds(query: Any, default: int = 100, most: int = 1000) -> tuple[int, int]:
    """``limit`` and ``cursor`` of a paged list, checked."""
    try:
        limit = int(query.get("limit", str(default)))
        start = int(query.get("cursor", "0") or 0)
    except ValueError:
        raise ApiError(422, "invalid_field", "limit and cursor are integers") from None
    if not 1 <= limit <= most or start < 0:
        raise ApiError(422, "invalid_field", f"limit: 1-{most}; cursor: from a previous page")
    return limit, start


def time_range(q: Any) -> tuple[float, float, int]:
    """A listing's ``from``, ``to`` (UTC dates or ISO times; ``to`` included) and ``limit``
    (1-10,000, default 1,000), or a 422 naming the parameter."""
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
    return start, end, limit
