"""The supervisor's console in headless Chromium against the real daemon: sign in on the
wallboard with a password, click an agent, force its state and change its skills; every
action is checked in the API, not only on the page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from acd.daemon.auth import digest
from acd.passwords import hash_secret
from tests.processes import DaemonProcess
from tests.web.browser import Chromium, Page

TOKEN = "console-test-token"
CONFIG = f"""
name: console
api:
  tokens:
    - {{name: ops, role: admin, sha256: {digest(TOKEN)}}}
auth:
  people:
    - {{id: maria, role: supervisor, password: "{hash_secret("pw-maria")}", device: SIP/sup1}}
    - {{id: alice, password: "{hash_secret("pw-alice")}"}}
queues:
  - name: support
    skills: {{support: 1}}
agents:
  - {{id: alice, name: Alice, skills: {{support: 5}}}}
  - {{id: bob, name: Bob, skills: {{support: 3}}}}
simulation:
  traffic:
    support:
      calls_per_hour: 60
      handle_time: {{distribution: fixed, mean: 30}}
"""


class Live:
    def __init__(self, proc: DaemonProcess, session: aiohttp.ClientSession) -> None:
        self.proc, self.session = proc, session

    async def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with self.session.request(
            method, self.proc.base + path, json=body, headers=headers
        ) as r:
            return r.status, await r.json()


@asynccontextmanager
async def daemon(tmp_path: Path, text: str) -> AsyncIterator[Live]:
    cfg = tmp_path / "center.yaml"
    cfg.write_text(text)
    proc = await DaemonProcess.astart(cfg, tmp_path / "daemon.log")
    try:
        async with aiohttp.ClientSession() as session:
            yield Live(proc, session)
    finally:
        proc.kill()


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with daemon(tmp_path, CONFIG) as d:
        yield d


async def sign_in(page: Page, who: str, password: str) -> None:
    await page.wait_for("!document.getElementById('help').hidden", timeout=15)
    await page.evaluate(
        f"""(() => {{
        document.getElementById('signin-id').value = {json.dumps(who)};
        document.getElementById('signin-password').value = {json.dumps(password)};
        document.getElementById('signin-submit').click();
    }})()"""
    )


async def click(page: Page, element_id: str) -> None:
    await page.evaluate(f"document.getElementById({json.dumps(element_id)}).click()")


async def test_a_supervisor_signs_in_and_forces_states_and_skills(
    browser: Chromium, live: Live
) -> None:
    page = await browser.new_page(width=1366, height=768)
    await page.goto(live.proc.base + "/")
    await sign_in(page, "maria", "wrong")
    await page.wait_for(
        "document.getElementById('signin-error').textContent.includes('wrong password')"
    )
    await sign_in(page, "maria", "pw-maria")
    await page.wait_for("document.body.dataset.status === 'connected'", timeout=15)
    # The agent's row opens the console.
    await page.wait_for("!!document.querySelector('#agents [data-agent=\"alice\"]')")
    await page.evaluate("document.querySelector('#agents [data-agent=\"alice\"]').click()")
    await page.wait_for("document.getElementById('console').open")
    assert await page.evaluate("document.getElementById('console-device').value") == "SIP/sup1"

    await page.evaluate("document.getElementById('console-reason').value = 'lunch'")
    await click(page, "console-pause")
    await page.wait_for("document.getElementById('console-result').textContent === 'Paused.'")
    _, alice = await live.api("GET", "/v1/agents/alice")
    assert (alice["state"], alice["pause_reason"]) == ("paused", "lunch")
    assert "lunch" in await page.evaluate("document.getElementById('console-state').textContent")

    await click(page, "console-ready")
    await page.wait_for("document.getElementById('console-result').textContent === 'Forced ready.'")
    _, alice = await live.api("GET", "/v1/agents/alice")
    assert alice["state"] in ("ready", "ringing", "on_call")

    await page.evaluate("document.getElementById('console-skills').value = 'support:9, vip:2'")
    await click(page, "console-skills-save")
    await page.wait_for("document.getElementById('console-result').textContent === 'Skills saved.'")
    _, alice = await live.api("GET", "/v1/agents/alice")
    assert alice["skills"] == {"support": 9, "vip": 2}

    await page.evaluate("document.getElementById('console-skills').value = 'support=9'")
    await click(page, "console-skills-save")
    await page.wait_for(
        "document.getElementById('console-result').textContent.startsWith('Not name:level')"
    )

    await click(page, "console-logout")
    await page.wait_for("document.getElementById('console-result').textContent === 'Logged out.'")
    _, alice = await live.api("GET", "/v1/agents/alice")
    assert alice["state"] in ("logged_out", "on_call", "wrap_up")  # after a call in progress
    await page.close()


async def test_an_agent_signing_in_on_the_wall_is_sent_to_the_desktop(
    browser: Chromium, live: Live
) -> None:
    page = await browser.new_page(width=1366, height=768)
    await page.goto(live.proc.base + "/")
    await sign_in(page, "alice", "pw-alice")
    await page.wait_for("location.pathname === '/agent'", timeout=15)
    await page.close()


# Long calls, often: an agent is on a call within seconds and stays on it for minutes.
BUSY = CONFIG.replace("calls_per_hour: 60", "calls_per_hour: 900").replace("mean: 30", "mean: 600")


@pytest.fixture
async def busy(tmp_path: Path) -> AsyncIterator[Live]:
    async with daemon(tmp_path, BUSY) as d:
        yield d


async def on_call(live: Live) -> dict[str, Any]:
    for _ in range(300):
        _, agents = await live.api("GET", "/v1/agents")
        for a in agents["agents"] if isinstance(agents, dict) else agents:
            if a["state"] == "on_call":
                return a
        await asyncio.sleep(0.1)  # polling the live daemon's wall-clock traffic, not timing
    raise AssertionError("no agent went on a call")


async def test_a_supervisor_whispers_to_an_agent_on_a_call_from_the_console(
    browser: Chromium, busy: Live
) -> None:
    agent = await on_call(busy)
    aid = agent["id"]
    page = await browser.new_page(width=1366, height=768)
    await page.goto(busy.proc.base + "/")
    await sign_in(page, "maria", "pw-maria")
    await page.wait_for("document.body.dataset.status === 'connected'", timeout=15)
    await page.evaluate(f"window.acdConsole.open({json.dumps(aid)})")
    await page.wait_for("document.getElementById('console').open")
    await page.evaluate("document.getElementById('console-mode').value = 'whisper'")
    await click(page, "console-monitor")
    await page.wait_for(
        "document.getElementById('console-result').textContent.startsWith('Monitoring')"
    )
    _, listed = await busy.api("GET", f"/v1/agents/{aid}/monitor")
    [m] = listed["monitors"]
    assert (m["mode"], m["device"], m["call_id"]) == ("whisper", "SIP/sup1", agent["call_id"])
    # The simulated trunk carried it out (what a PBX would: ring SIP/sup1, spy on the call).
    line = f"SIP/sup1 whisper agent {aid} on call {agent['call_id']}"
    for _ in range(50):
        if line in busy.proc.log():
            break
        await asyncio.sleep(0.1)
    assert line in busy.proc.log()

    await click(page, "console-unmonitor")
    await page.wait_for(
        "document.getElementById('console-result').textContent === 'Monitor stopped.'"
    )
    _, listed = await busy.api("GET", f"/v1/agents/{aid}/monitor")
    assert listed["monitors"] == []
    _, audit = await busy.api("GET", "/v1/audit")
    done = [(e["who"], e["action"], e["target"]) for e in audit["entries"]]
    assert ("maria", "monitor.start", aid) in done and ("maria", "monitor.stop", aid) in done
    await page.close()


CALLBACKS = f"""
name: callbacks
api:
  tokens:
    - {{name: ops, role: admin, sha256: {digest(TOKEN)}}}
auth:
  people:
    - {{id: maria, role: supervisor, password: "{hash_secret("pw-maria")}"}}
queues:
  - name: support
    callback: {{calling_hours: {{start: "00:00", end: "24:00"}}}}
agents:
  - {{id: alice, name: Alice}}
simulation:
  agents: {{login_at_start: false}}
  traffic:
    support:
      calls_per_hour: 3600
      handle_time: {{distribution: fixed, mean: 60}}
      patience: {{distribution: fixed, mean: 3600}}
"""


async def test_a_supervisor_sees_and_cancels_pending_callbacks(
    browser: Chromium, tmp_path: Path
) -> None:
    async with daemon(tmp_path, CALLBACKS) as live:
        page = await browser.new_page(width=1366, height=768)
        await page.goto(live.proc.base + "/")
        await sign_in(page, "maria", "pw-maria")
        await page.wait_for("document.body.dataset.status === 'connected'", timeout=15)
        calls: list[dict[str, Any]] = []
        # Nobody is logged in: callers wait. Arrivals are Poisson (one a second on average):
        # up to 30 s for two of them, a wait on a condition, not a timing.
        for _ in range(300):
            _, body = await live.api("GET", "/v1/calls")
            calls = body["calls"] if isinstance(body, dict) else body
            if len(calls) >= 2:
                break
            await asyncio.sleep(0.1)
        first, second = calls[0]["id"], calls[1]["id"]
        for cid in (first, second):
            status, body = await live.api("POST", f"/v1/calls/{cid}/callback", {})
            assert status == 200, body
        row = f"document.querySelector('#callbacks [data-callback=\"{second}\"]')"
        await page.wait_for(f"!!{row}", timeout=10)
        assert "\u2022\u2022\u2022" in await page.evaluate(f"{row}.textContent")  # masked
        await page.evaluate(f"{row}.querySelector('[data-cancel]').click()")
        await page.wait_for(f"!{row}", timeout=10)
        _, body = await live.api("GET", "/v1/callbacks")
        assert [c["id"] for c in body["callbacks"]] == [first]
        _, audit = await live.api("GET", "/v1/audit")
        cancels = [e for e in audit["entries"] if e["action"] == "callback.cancel"]
        assert len(cancels) == 1 and cancels[0]["who"] == "maria", cancels
        assert page.errors == []
        await page.close()
