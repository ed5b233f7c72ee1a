"""What compliance asks for: the do-not-call list (/v1/dnc) and call detail records
(/v1/cdr)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from acd.daemon.api import access
from acd.daemon.api.access import core, driver, time_range
from acd.daemon.api.bodies import DncBody
from acd.daemon.api.errors import ApiError
from acd.daemon.state import Daemon
from acd.store.cdr import readable
from dialer.leads import InvalidNumber, normalize


def _dnc(d: Daemon) -> Any:
    dnc = core(d).dnc
    if dnc is None:
        raise ApiError(
            404, "no_dialer", "the daemon runs no campaigns: there is no do-not-call list"
        )
    return dnc


def _dnc_view(dnc: Any, number: str) -> dict[str, Any]:
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


async def dnc_list(request: web.Request, d: Daemon, body: None) -> Any:
    dnc = _dnc(d)
    limit, start = access.page_bounds(request.query)
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
    added = dnc.add(view["number"], "api", driver(d).now())
    return _dnc_view(dnc, view["number"]) | {"added": added}


async def dnc_check(request: web.Request, d: Daemon, body: None) -> Any:
    return _dnc_view(_dnc(d), request.match_info["number"])


async def dnc_remove(request: web.Request, d: Daemon, body: None) -> Any:
    dnc = _dnc(d)
    view = _dnc_view(dnc, request.match_info["number"])
    if not dnc.remove(view["number"]):
        raise ApiError(404, "not_listed", f"{view['number']} is not on the do-not-call list")
    return _dnc_view(dnc, view["number"])


async def list_cdr(request: web.Request, d: Daemon, body: None) -> Any:
    """Call detail records ended in [from, to), oldest first, from the store."""
    start, end, limit = time_range(request.query)
    if d.store is None:
        raise ApiError(503, "not_ready", "the store is not connected")
    records: list[dict[str, Any]] = []
    truncated = False
    async for rec in d.store.records(start, end):
        if len(records) == limit:
            truncated = True
            break
        records.append(readable(rec))
    return {"count": len(records), "truncated": truncated, "records": records}
