"""The raw routes of the route table: the WebSocket event stream, /metrics, /readyz and the
wallboard's files; each answers the request itself."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from acd.daemon.api.errors import ApiError
from acd.daemon.hub import TYPES
from acd.daemon.snapshot import snapshot_message
from acd.daemon.state import DAEMON

log = logging.getLogger("acd.daemon")
WEB_ROOT = Path(__file__).resolve().parents[2] / "web"


async def events_ws(request: web.Request) -> web.StreamResponse:
    d = request.app[DAEMON]
    types = frozenset(t for t in request.query.get("types", ",".join(TYPES)).split(",") if t)
    unknown = types - TYPES
    if unknown:
        raise ApiError(422, "invalid_field", f"types: unknown {sorted(unknown)}")
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    first = None
    if "snapshot" in types and d.driver is not None:
        first = json.dumps(snapshot_message(d.driver.engine, d.driver.now()), default=str)
    await d.hub.serve(ws, types, first)
    return ws


async def metrics_endpoint(request: web.Request) -> web.Response:
    d = request.app[DAEMON]
    return web.Response(
        body=generate_latest(d.metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


async def readyz(request: web.Request) -> web.Response:
    d = request.app[DAEMON]
    reasons = d.not_ready()
    ready = not reasons
    body = {
        "ready": ready,
        "reasons": reasons,  # why not, each a short phrase: "draining", "adapter x not connected"
        "role": d.role,
        "draining": d.draining,
        "adapters": d.adapters,
        "store": d.store_health(),
    }
    if d.status:
        body["status"] = d.status
    return web.json_response(body, status=200 if ready else 503)


async def index(request: web.Request) -> web.StreamResponse:
    page = WEB_ROOT / "index.html"
    if not page.exists():
        return web.Response(text="acd-dialer: the wallboard is not installed", status=404)
    return web.FileResponse(page)


async def agent_page(request: web.Request) -> web.StreamResponse:
    page = WEB_ROOT / "agent.html"
    if not page.exists():
        return web.Response(text="acd-dialer: the agent desktop is not installed", status=404)
    return web.FileResponse(page)


async def asset(request: web.Request) -> web.StreamResponse:
    path = WEB_ROOT / request.match_info["asset"]
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path)
