"""A tiny Chrome DevTools Protocol client over aiohttp's WebSocket client: start a headless
Chromium, open pages, evaluate JavaScript, take screenshots, and always stop the browser.

    async with Chromium.launch(tmp_path) as browser:
        page = await browser.new_page(width=1920, height=1080)
        await page.goto("http://127.0.0.1:8080/#token=...")
        await page.wait_for("document.body.dataset.status === 'connected'")
        value = await page.evaluate("document.title")
        await page.screenshot(tmp_path / "board.png")

One WebSocket to the browser, in flat session mode: commands carry the page's ``sessionId``.
Nothing here knows about the wallboard, so the same helpers drive the real daemon.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)
INSTALL_HINT = (
    "chromium is not on PATH: the wallboard tests need a real headless browser. "
    "Install it with `apt-get update && apt-get install -y chromium` (tests/run does this), "
    "or point ACD_CHROMIUM at a Chromium or Chrome binary."
)


class BrowserError(Exception):
    """The browser refused a command, or a page's JavaScript threw."""


def find_chromium() -> str | None:
    explicit = os.environ.get("ACD_CHROMIUM")
    if explicit:
        return explicit
    return shutil.which("chromium")


class Chromium:
    def __init__(self, proc: asyncio.subprocess.Process, profile: Path) -> None:
        self.proc = proc
        self.profile = profile
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._listeners: dict[str, list[Page]] = {}
        self._reader: asyncio.Task[None] | None = None

    # ---- lifecycle ----------------------------------------------------------------------
    @classmethod
    @contextlib.asynccontextmanager
    async def launch(cls, workdir: Path, *, timeout: float = 30.0) -> AsyncIterator[Chromium]:
        """Start Chromium with a fresh profile under ``workdir``; stop it on exit, whatever
        happened (its whole process group, which we created)."""
        exe = find_chromium()
        if exe is None:
            raise RuntimeError(INSTALL_HINT)
        profile = workdir / "chromium-profile"
        profile.mkdir(parents=True, exist_ok=True)
        log = (workdir / "chromium.log").open("wb")
        proc = await asyncio.create_subprocess_exec(
            exe,
            *FLAGS,
            f"--user-data-dir={profile}",
            "about:blank",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group: renderers die with it
        )
        browser = cls(proc, profile)
        try:
            await browser._connect(workdir / "chromium.log", timeout)
            yield browser
        finally:
            await browser._stop()
            log.close()

    async def _connect(self, log: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        port_file = self.profile / "DevToolsActivePort"
        while True:
            if port_file.exists():
                lines = port_file.read_text().split()
                if len(lines) >= 2:
                    url = f"ws://127.0.0.1:{lines[0]}{lines[1]}"
                    break
            if self.proc.returncode is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"chromium did not open DevTools in {timeout}s:\n{_tail(log)}")
            await asyncio.sleep(0.05)
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(url, max_msg_size=0)
        self._reader = asyncio.create_task(self._read())

    async def _stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.send("Browser.close"), 5)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        if self.proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 5)
        # The main process may be gone while helpers linger: end the group we started.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 5)
        if self.proc.returncode is None:
            await self.proc.wait()

    # ---- protocol -----------------------------------------------------------------------
    async def send(
        self, method: str, params: dict[str, Any] | None = None, session_id: str | None = None
    ) -> dict[str, Any]:
        assert self._ws is not None
        msg_id = next(self._ids)
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session_id is not None:
            msg["sessionId"] = session_id
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        await self._ws.send_str(json.dumps(msg))
        try:
            return await fut
        finally:
            self._pending.pop(msg_id, None)

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                if raw.type is not aiohttp.WSMsgType.TEXT:
                    break
                msg = json.loads(raw.data)
                if "id" in msg:
                    fut = self._pending.get(msg["id"])
                    if fut is None or fut.done():
                        continue
                    if "error" in msg:
                        fut.set_exception(BrowserError(f"{msg['error']}"))
                    else:
                        fut.set_result(msg.get("result", {}))
                elif "sessionId" in msg:
                    for page in self._listeners.get(msg["sessionId"], []):
                        page._on_event(msg["method"], msg.get("params", {}))
        finally:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(BrowserError("the DevTools connection closed"))

    # ---- pages --------------------------------------------------------------------------
    async def new_page(self, *, width: int = 1920, height: int = 1080) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        page = Page(self, target["targetId"], attached["sessionId"])
        self._listeners.setdefault(page.session_id, []).append(page)
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        await page.set_viewport(width, height)
        return page


class Page:
    def __init__(self, browser: Chromium, target_id: str, session_id: str) -> None:
        self.browser = browser
        self.target_id = target_id
        self.session_id = session_id
        self.errors: list[str] = []  # uncaught exceptions and console.error, in order
        self.console: list[str] = []
        self._loaded = asyncio.Event()

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Page.loadEventFired":
            self._loaded.set()
        elif method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "exception")
            self.errors.append(str(text))
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.console.append(f"{params['type']}: {text}")
            if params["type"] == "error":
                self.errors.append(text)

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.browser.send(method, params, self.session_id)

    async def set_viewport(self, width: int, height: int) -> None:
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    async def goto(self, url: str, *, timeout: float = 15.0) -> None:
        """Navigate and wait for the load event."""
        self._loaded.clear()
        result = await self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"navigating to {url}: {result['errorText']}")
        await asyncio.wait_for(self._loaded.wait(), timeout)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited), as JSON."""
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            d = result["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            raise BrowserError(f"{expression!r} threw: {text}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, *, timeout: float = 10.0, every: float = 0.05) -> Any:
        """Poll until the expression is truthy; return its value. Fail with the last value."""
        deadline = time.monotonic() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression!r} still {value!r} after {timeout}s")
            await asyncio.sleep(every)

    async def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        shot = await self.send("Page.captureScreenshot", params)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def close(self) -> None:
        self.browser._listeners.pop(self.session_id, None)
        await self.browser.send("Target.closeTarget", {"targetId": self.target_id})


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
