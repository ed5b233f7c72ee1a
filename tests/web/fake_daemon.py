"""A stand-in for the daemon's web side: the wallboard files at ``/`` and the WebSocket at
``/v1/events``, with snapshots that follow deploy/CONTRACT.md and change with every message.

The real daemon replaces this in an integration test; the browser helpers only need a base URL.
Tests control it directly: replace ``make_snapshot``, ``drop_all()`` to close every socket,
``refuse = True`` to answer handshakes with 503 (the daemon is "down").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, web
from aiohttp.test_utils import TestServer

from acd.daemon.snapshot import STATE_LABELS

WEB_ROOT = Path(__file__).resolve().parents[2] / "acd" / "web"
TOKEN = "wallboard-test-token"
AGENT_STATES = tuple(STATE_LABELS)  # every state the daemon has, reserved and dialing too

Snapshot = dict[str, Any]


def demo_snapshot(seq: int, now: float) -> Snapshot:
    """Message number ``seq``: counts move every time, each queue keeps its SL colour band.

    billing sits above its target (green), tech within 5 points below (amber), general far
    below (red), spanish has no calls yet (figures null, shown as a dash).
    """
    queues = [
        _queue("billing", seq, waiting=3 + seq % 5, sl=0.86, target=0.8, threshold=20),
        _queue("tech", seq, waiting=1 + seq % 3, sl=0.77, target=0.8, threshold=30),
        _queue("general", seq, waiting=6 + seq % 4, sl=0.52, target=0.7, threshold=60),
        {
            "name": "spanish",
            "waiting": 0,
            "longest_wait_seconds": 0.0,
            "service_level": None,
            "service_level_target": 0.8,
            "service_level_threshold_seconds": 20,
            "abandon_rate": None,
            "offered": 0,
            "answered": 0,
            "abandoned": 0,
            "asa_seconds": None,
            "aht_seconds": None,
            "agents": {"logged_in": 0, "ready": 0},
            "last_interval": _interval(0, None),
            "why_waiting": _why(0),
        },
    ]
    # tech: two ready agents below its level, eligible at the next escalation step.
    why = {**_why(2), "awaiting_escalation": 2, "next_escalation_seconds": 40.0}
    queues[1]["why_waiting"] = why
    agents = []
    for i in range(1, 15):
        state = AGENT_STATES[(i + seq // 5) % len(AGENT_STATES)]
        agents.append(
            {
                "id": f"agent{i:02d}",
                "name": f"Agent {i:02d}",
                "state": state,
                "state_seconds": float(7 * i + seq % 5),
                "pause_reason": "lunch" if state == "paused" else "",
                "call_id": f"c{i}" if state in ("ringing", "on_call") else None,
                "queue": "billing" if state in ("ringing", "on_call", "wrap_up") else None,
                "campaign": "renewals" if state in ("reserved", "dialing") else None,
                "calls_today": i + seq // 3,
                "aht_seconds": 150.0 + i,
                "occupancy": 0.5 + i / 100,
            }
        )
    states = dict.fromkeys(AGENT_STATES, 0)
    for a in agents:
        states[a["state"]] += 1
    return {
        "type": "snapshot",
        "time": now,
        "center": "demo",
        "queues": queues,
        "agents": agents,
        "agent_states": states,
        "agent_state_labels": STATE_LABELS,
        "interval": {"start": 1772460000.0, "local": "2026-03-02T09:00:00-05:00", "minutes": 15},
        "campaigns": [
            _campaign("renewals", "predictive", 0.012, 41.0 + seq),
            {**_campaign("winback", "progressive", 0.034, 18.0), "paused": True},
        ],
    }


def _campaign(name: str, mode: str, a24: float | None, cph: float | None) -> Any:
    return {
        "name": name,
        "mode": mode,
        "paused": False,
        "dialed": 1200,
        "hit_rate": 0.31,
        "abandonment_24h": a24,
        "abandonment_30d": 0.021,
        "connects_per_hour": cph,
        "leads_left": 3400,
    }


def _interval(offered: int, sl: float | None) -> Any:
    return {
        "offered": offered,
        "answered": offered,
        "abandoned": 0,
        "service_level": sl,
        "asa_seconds": 9.0 if offered else None,
        "aht_seconds": 180.0 if offered else None,
        "abandon_rate": 0.0 if offered else None,
        "max_wait_seconds": 30.0,
    }


def _why(ready_not_eligible: int) -> Any:
    return {
        "ready_not_eligible": ready_not_eligible,
        "awaiting_escalation": 0,
        "below_level": 0,
        "missing_skill": 0,
        "missed_offer": 0,
        "next_escalation_seconds": None,
    }


def _queue(name: str, seq: int, *, waiting: int, sl: float, target: float, threshold: int) -> Any:
    offered = 100 + 3 * seq
    abandoned = 4 + seq // 2
    return {
        "name": name,
        "waiting": waiting,
        "longest_wait_seconds": 12.5 + 4 * (seq % 9),
        "service_level": sl,
        "service_level_target": target,
        "service_level_threshold_seconds": threshold,
        "abandon_rate": abandoned / offered,
        "offered": offered,
        "answered": offered - abandoned - waiting,
        "abandoned": abandoned,
        "asa_seconds": 11.0 + seq % 7,
        "aht_seconds": 185.0,
        "agents": {"logged_in": 9, "ready": seq % 4},
        "last_interval": _interval(30 + seq % 3, sl - 0.1),
        "why_waiting": _why(0),
    }


class FakeDaemon:
    def __init__(self, *, interval: float = 0.2, token: str = TOKEN) -> None:
        self.interval = interval
        self.token = token
        self.make_snapshot: Callable[[int, float], Snapshot] = demo_snapshot
        self.refuse = False
        self.seq = 0
        self.connections = 0  # accepted WebSocket handshakes, reconnections included
        self.sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self.app = web.Application()
        self.app.router.add_get("/v1/events", self._events)
        self.app.router.add_get("/", self._index)
        self.app.router.add_get(r"/{asset:[A-Za-z0-9_-]+\.(?:js|css|svg|png|ico)}", self._asset)
        self.server = TestServer(self.app, host="127.0.0.1")

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("/"))

    def url(self, fragment: str | None = None) -> str:
        """The wallboard's address, with ``#token=...`` unless ``fragment`` says otherwise."""
        frag = f"token={self.token}" if fragment is None else fragment
        return self.base_url + (f"#{frag}" if frag else "")

    async def start(self) -> None:
        await self.server.start_server()

    async def close(self) -> None:
        await self.drop_all()
        await self.server.close()

    async def drop_all(self) -> None:
        for ws in list(self.sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"test: server closed")

    def next_message(self) -> str:
        self.seq += 1
        loop = asyncio.get_running_loop()
        return json.dumps(self.make_snapshot(self.seq, loop.time()), allow_nan=False)

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB_ROOT / "index.html")

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        path = WEB_ROOT / request.match_info["asset"]
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if self.refuse:
            raise web.HTTPServiceUnavailable(text="test: daemon down")
        if request.query.get("access_token") != self.token:
            raise web.HTTPUnauthorized(text="a bearer token is required")
        types = set(request.query.get("types", "snapshot,agent,call").split(","))
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        self.connections += 1
        self.sockets.add(ws)
        reader = asyncio.create_task(self._drain(ws))
        try:
            while not ws.closed and "snapshot" in types:
                await ws.send_str(self.next_message())  # the first one at once, as the daemon
                await asyncio.wait({reader}, timeout=self.interval)
                if reader.done():
                    break
            await reader
        except ConnectionResetError:
            pass
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        return ws

    @staticmethod
    async def _drain(ws: web.WebSocketResponse) -> None:
        async for _ in ws:  # we take no input; reading lets close frames through
            pass
