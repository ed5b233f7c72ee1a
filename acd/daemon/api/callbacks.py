"""Callbacks that keep the caller's place: ask for one for a waiting caller
(``POST /v1/calls/{id}/callback``), list the pending ones (``GET /v1/callbacks``) and cancel one
(``DELETE /v1/callbacks/{id}``). A caller on Asterisk asks with a digit in the hold music; an
agent books "call me back at 3 pm" with a disposition's ``callback_at`` (see docs/api-guide.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aiohttp import web
from pydantic import Field

from acd import events as ev
from acd.daemon.api.access import driver, submit
from acd.daemon.api.bodies import Body
from acd.daemon.api.route import Route
from acd.daemon.state import Daemon


class CallerCallbackBody(Body):
    # The number to call back (E.164); empty: the number the caller called from.
    number: Annotated[str, Field(max_length=32, pattern=r"^(\+?[0-9]{3,31})?$")] = ""


def _iso(t: object) -> str | None:
    if not isinstance(t, float | int):
        return None
    return datetime.fromtimestamp(float(t), UTC).isoformat(timespec="milliseconds")


def _view(p: dict[str, Any]) -> dict[str, Any]:
    out = dict(p)
    out["requested_at"] = _iso(p.get("requested_at"))
    if "due_at" in p:
        out["due_at"] = _iso(p["due_at"])
    return out


async def call_callback(request: web.Request, d: Daemon, body: CallerCallbackBody) -> Any:
    call_id = request.match_info["call_id"]
    submit(d, ev.CallbackRequested(call_id, body.number, hang_up=True))
    drv = driver(d)
    mine = [p for p in drv.engine.pending_callbacks(drv.now()) if p["id"] == call_id]
    return _view(mine[0]) if mine else {"id": call_id, "state": "placed"}


async def list_callbacks(request: web.Request, d: Daemon, body: None) -> Any:
    drv = driver(d)
    pending = sorted(
        drv.engine.pending_callbacks(drv.now()),
        key=lambda p: (str(p["queue"]), -int(p["priority"]), float(p.get("requested_at") or 0)),  # type: ignore[call-overload]
    )
    return {"count": len(pending), "callbacks": [_view(p) for p in pending]}


async def cancel_callback(request: web.Request, d: Daemon, body: None) -> Any:
    call_id = request.match_info["call_id"]
    submit(d, ev.CancelCallback(call_id))
    return {"id": call_id, "state": "cancelled"}


CALLBACK_ROUTES: list[Route] = [
    Route(
        "POST",
        "/v1/calls/{call_id}/callback",
        call_callback,
        "supervisor",
        "A waiting caller asks to be called back: the caller's leg ends, its place is kept",
        CallerCallbackBody,
        audit="call.callback",
    ),
    Route(
        "GET",
        "/v1/callbacks",
        list_callbacks,
        "supervisor",
        "Pending callbacks: waiting in their places, being dialed, or booked for later",
    ),
    Route(
        "DELETE",
        "/v1/callbacks/{call_id}",
        cancel_callback,
        "supervisor",
        "Cancel a pending callback (409 while it is being dialed)",
        audit="callback.cancel",
    ),
]
