"""/v1/campaigns: pause and resume, and the campaign's leads (import, page, edit, close,
callbacks), all applied to the lead book inside the engine's loop."""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import logging
from collections.abc import Generator
from typing import Any, TypeVar

from aiohttp import web

from acd.daemon.api import access
from acd.daemon.api.access import campaign, driver
from acd.daemon.api.bodies import CallbackBody, LeadPatchBody
from acd.daemon.api.errors import ApiError
from acd.daemon.state import Daemon
from acd.errors import IllegalTransition
from dialer.center import lead_view
from dialer.leads import LeadFileError, parse_leads_steps
from dialer.leadstatus import LeadStatus

log = logging.getLogger("acd.api")
T = TypeVar("T")
MAX_IMPORT_ROWS = 200_000  # per request (the body is also limited: MAX_BODY_BYTES, 413)
CHUNK = 100  # leads added to the book between two turns of the event loop
LEAD_STATES = tuple(s.value for s in LeadStatus)


async def list_campaigns(request: web.Request, d: Daemon, body: None) -> Any:
    drv = driver(d)
    return {"campaigns": drv.engine.campaigns_view(drv.now())}


def _set_paused(request: web.Request, d: Daemon, paused: bool) -> Any:
    c, rt = campaign(d, request.match_info["campaign"])
    rt.paused = paused  # pausing: calls in flight finish; no new ones until resumed
    log.info("campaign %s %s", rt.name, "paused" if paused else "resumed")
    return next(v for v in c.campaigns_view(driver(d).now()) if v["name"] == rt.name)


async def campaign_pause(request: web.Request, d: Daemon, body: None) -> Any:
    return _set_paused(request, d, True)


async def campaign_resume(request: web.Request, d: Daemon, body: None) -> Any:
    return _set_paused(request, d, False)


def _book(d: Daemon, name: str, *, create: bool = False) -> Any:
    c, _ = campaign(d, name)
    return c.lead_book(name, create=create)


def _lead_items(raw: bytes, content_type: str) -> Generator[None, None, tuple[str, bool]]:
    """The request body as lead CSV text; True if it came as a JSON list (lines are items).
    Stepwise, like the parse that follows: it yields every few hundred items."""
    if not raw.strip():
        raise ApiError(422, "invalid_body", "no leads: send CSV (text/csv) or a JSON list")
    text = raw.decode("utf-8-sig", errors="replace")
    if "json" not in content_type and not text.lstrip().startswith("["):
        return text, False
    items = access.parse_json(raw)  # one C call: 25,000 leads take a few milliseconds
    if not isinstance(items, list) or not items:
        raise ApiError(422, "invalid_body", "the body must be a non-empty JSON list of leads")
    columns: list[str] = []
    for i, item in enumerate(items):
        if i % 500 == 499:
            yield
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
    for i, item in enumerate(items):
        if i % 500 == 499:
            yield
        w.writerow({**item.pop("fields", {}), **item})
    return out.getvalue(), True


async def _stepwise(steps: Generator[None, None, T]) -> T:
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        await asyncio.sleep(0)


async def leads_import(request: web.Request, d: Daemon, body: None) -> Any:
    name = request.match_info["campaign"]
    campaign(d, name)
    raw = await request.read()
    # Parsing (JSON, CSV, every number) and adding go a piece at a time with the loop running
    # in between: a large import never stalls timers, routing or the WebSockets.
    text, is_json = await _stepwise(_lead_items(raw, request.content_type))
    if text.count("\n") > MAX_IMPORT_ROWS + 1:
        raise ApiError(
            422, "too_many_leads", f"at most {MAX_IMPORT_ROWS:,} leads per import: split the file"
        )
    center, _ = campaign(d, name)
    center.lead_imports += 1
    prefix = f"api{center.lead_imports}-"  # ids of rows that give none: unique per import
    try:
        result = await _stepwise(parse_leads_steps(text, name="request body", id_prefix=prefix))
    except LeadFileError as exc:
        raise ApiError(422, "invalid_lead_file", str(exc)) from None
    book = _book(d, name, create=True)
    where = "item" if is_json else "line"
    rejected = [
        {where: r.line - 2 if is_json else r.line, "reason": r.reason} for r in result.rejected
    ]
    taken = 0
    for start in range(0, len(result.leads), CHUNK):
        if start:
            await asyncio.sleep(0)  # let the loop run between chunks
        now = driver(d).now()
        for lead in result.leads[start : start + CHUNK]:
            if lead.lead_id in book.book:
                rejected.append(
                    {where: None, "reason": f"lead id {lead.lead_id!r} is already in the campaign"}
                )
                continue
            book.book.add(lead, at=now + book.epoch)
            taken += 1
        driver(d).rearm()
    gc.freeze()  # the new leads are long-lived: out of the collector's full walks (see app.py)
    return {"campaign": name, "taken": taken, "rejected_count": len(rejected), "rejected": rejected}


async def leads_list(request: web.Request, d: Daemon, body: None) -> Any:
    name = request.match_info["campaign"]
    book = _book(d, name)
    state = request.query.get("state") or None
    if state is not None and state not in LEAD_STATES:
        raise ApiError(422, "invalid_field", f"state: one of {', '.join(LEAD_STATES)}")
    limit, start = access.page_bounds(request.query)
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
    return lead_view(*_lead(d, request))


async def lead_patch(request: web.Request, d: Daemon, body: LeadPatchBody) -> Any:
    book, lead_id = _lead(d, request)
    book.book.set_priority(lead_id, body.priority)
    return lead_view(book, lead_id)


async def lead_close(request: web.Request, d: Daemon, body: None) -> Any:
    book, lead_id = _lead(d, request)
    book.book.close(lead_id)  # IllegalTransition (409) while dialed or already done
    return lead_view(book, lead_id)


async def lead_callback(request: web.Request, d: Daemon, body: CallbackBody) -> Any:
    book, lead_id = _lead(d, request)
    at = access.iso(body.at, "at")
    if body.agent_id is not None:
        access.agent(d, body.agent_id)  # 404 for an unknown agent
    if book.book.dialing(lead_id):
        raise IllegalTransition("lead", lead_id, "dialing", "callback")
    at = book.callback_time(lead_id, at)
    book.book.schedule_callback(lead_id, at, body.agent_id)
    driver(d).rearm()
    return lead_view(book, lead_id)
