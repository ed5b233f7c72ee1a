"""WebSocket fan-out. Each client has a bounded queue; a client that falls behind is dropped,
so a slow consumer can never stall the engine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

log = logging.getLogger("acd.hub")
TYPES = frozenset({"snapshot", "agent", "call"})


class Client:
    __slots__ = ("dropped", "queue", "types", "ws")

    def __init__(self, ws: web.WebSocketResponse, types: frozenset[str], depth: int) -> None:
        self.ws = ws
        self.types = types
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=depth)
        self.dropped = False


class Hub:
    def __init__(self, depth: int = 256) -> None:
        self.depth = depth
        self.clients: set[Client] = set()
        self.dropped = 0
        # Called with every message (agent desktops: "does this concern my agent?").
        self.watchers: set[Callable[[dict[str, Any]], None]] = set()
        self.others: set[web.WebSocketResponse] = set()  # sockets served elsewhere (desks)

    def publish(self, message: dict[str, Any]) -> None:
        for watch in self.watchers:
            watch(message)
        if not self.clients:
            return
        kind = message.get("type", "")
        text: str | None = None
        for c in list(self.clients):
            if kind not in c.types or c.dropped:
                continue
            if text is None:
                text = json.dumps(message, allow_nan=False, default=str)
            try:
                c.queue.put_nowait(text)
            except asyncio.QueueFull:
                c.dropped = True  # the writer closes the socket
                self.dropped += 1
                self.clients.discard(c)
                with contextlib.suppress(asyncio.QueueFull):
                    c.queue.put_nowait("")  # wake the writer if it is idle (queue drained later)
                log.warning("dropped a slow WebSocket consumer")

    async def serve(
        self, ws: web.WebSocketResponse, types: frozenset[str], first: str | None
    ) -> None:
        client = Client(ws, types, self.depth)
        self.clients.add(client)
        try:
            if first is not None:
                await ws.send_str(first)
            reader = asyncio.create_task(self._read(ws))
            try:
                while not ws.closed:
                    get = asyncio.create_task(client.queue.get())
                    done, _ = await asyncio.wait({get, reader}, return_when=asyncio.FIRST_COMPLETED)
                    if get not in done:
                        get.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await get
                        break  # the client closed
                    if client.dropped:
                        await ws.close(code=1008, message=b"too slow")
                        break
                    await ws.send_str(get.result())
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        finally:
            self.clients.discard(client)

    @staticmethod
    async def _read(ws: web.WebSocketResponse) -> None:
        async for _ in ws:  # we take no input; reading lets close frames through
            pass

    async def close_all(self) -> None:
        for c in list(self.clients):
            await c.ws.close(code=1001, message=b"server shutdown")
        self.clients.clear()
        for ws in list(self.others):
            await ws.close(code=1001, message=b"server shutdown")
        self.others.clear()
