"""The agent desktop on a preview campaign, against the real daemon on a real Redis: alice
skips a lead, dials the next, codes the call as a callback to herself at a time in the lead's
zone, and the page comes back by itself after the daemon restarts (her session is in the
store). Each step is checked in the page and in the API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from acd.daemon.auth import digest
from acd.passwords import hash_secret
from tests.processes import DaemonProcess
from tests.redis_server import RedisServer, free_port
from tests.web.browser import Chromium, Page
from tests.web.test_agent_desk import click, q, sign_in_page, state_is

SUPERVISOR = "preview-supervisor-token"
PASSWORD = "pw-alice"
LEADS = "lead_id,phone,name,time_zone,plan\n" + "".join(
    f"L{i},+1212555{100 + i:04d},Lead {i},America/Chicago,gold\n" for i in range(3)
)


def config(redis_url: str, spool: Path) -> str:
    return f"""
name: desk-preview
daemon: {{drain_seconds: 1}}
api:
  tokens:
    - {{name: sup, role: supervisor, sha256: {digest(SUPERVISOR)}}}
auth:
  people:
    - {{id: alice, password: "{hash_secret(PASSWORD)}"}}
store: {{url: "{redis_url}", spool: "{spool}"}}
queues:
  - {{name: support, skills: {{support: 1}}}}
campaigns:
  - name: p
    mode: preview
    leads: leads.csv
    caller_id: "+12125550100"
    skills: {{outbound: 1}}
    wrap_up_seconds: 60
    calling_window: {{start: "00:00", end: "23:59"}}
    screen_pop: [name, plan]
agents:
  - {{id: alice, name: Alice, skills: {{outbound: 5}}}}
simulation:
  agents: {{people: [alice]}}
  outbound:
    human_probability: 1.0
    machine_probability: 0.0
    busy_probability: 0.0
    failed_probability: 0.0
    ring_to_answer: {{distribution: fixed, mean: 0.5}}
    talk_time: {{distribution: fixed, mean: 600}}
"""


class Live:
    def __init__(self, tmp_path: Path, redis: RedisServer) -> None:
        self.cfg = tmp_path / "center.yaml"
        (tmp_path / "leads.csv").write_text(LEADS)
        self.cfg.write_text(config(redis.url, tmp_path / "spool.jsonl"))
        self.log = tmp_path / "daemon.log"
        self.port = free_port()
        self.proc: DaemonProcess | None = None
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.close()
        self.proc = await DaemonProcess.astart(self.cfg, self.log, port=self.port)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            if self.proc.p.stdout is not None:
                self.proc.p.stdout.close()

    async def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        assert self.proc is not None and self.session is not None
        headers = {"Authorization": f"Bearer {SUPERVISOR}"}
        async with self.session.request(
            method, self.proc.base + path, json=body, headers=headers
        ) as r:
            return r.status, await r.json()


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    with RedisServer(tmp_path / "redis") as redis:
        lv = Live(tmp_path, redis)
        await lv.start()
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
                lv.session = session
                yield lv
        finally:
            lv.close()


async def shown_lead(page: Page) -> str:
    await page.wait_for(f"!{q('#preview-card')}.hidden", timeout=15)
    text: str = await page.evaluate(f"{q('#preview-lead')}.textContent")
    return next(f"L{i}" for i in range(3) if f"Lead {i}" in text)


async def test_preview_skip_dial_callback_and_a_daemon_restart(
    browser: Chromium, live: Live
) -> None:
    assert live.proc is not None
    page = await browser.new_page(width=1280, height=900)
    try:
        await page.goto(live.proc.base + "/agent")
        await page.wait_for("document.body.dataset.view === 'sign-in'")
        await sign_in_page(page, PASSWORD)
        await page.wait_for("document.body.dataset.status === 'connected'")
        await click(page, "#btn-login")

        # The lead card shows the campaign's screen-pop columns; skip it.
        first = await shown_lead(page)
        assert "gold" in await page.evaluate(f"{q('#preview-lead')}.textContent")
        status, pv = await live.api("GET", "/v1/agents/alice/preview")
        assert status == 200 and pv["lead"]["lead_id"] == first
        await click(page, "#btn-skip")
        await page.wait_for(
            f"!{q('#preview-lead')}.textContent.includes({json.dumps('Lead ' + first[1:])})"
        )
        second = await shown_lead(page)
        assert second != first

        # Dial it: the far end answers and alice talks to the lead.
        await click(page, "#btn-dial")
        await state_is(page, "on_call", timeout=15)
        status, me = await live.api("GET", "/v1/agents/alice")
        assert me["state"] == "on_call", me
        await click(page, "#btn-hangup")
        await state_is(page, "wrap_up")

        # A callback to herself, at a wall time in the lead's zone (America/Chicago).
        await page.evaluate(
            f"{q('#dispo-code')}.value = 'callback';"
            f"{q('#dispo-code')}.dispatchEvent(new Event('change'))"
        )
        await page.wait_for(f"!{q('#dispo-callback-box')}.hidden")
        await page.evaluate(
            f"{q('#dispo-callback-at')}.value = '2030-06-03T10:30';{q('#dispo-to-me')}.click()"
        )
        await click(page, "#btn-dispo")
        await page.wait_for(f"{q('#dispo-done')}.textContent.startsWith('Saved')")
        status, lead = await live.api("GET", f"/v1/campaigns/p/leads/{second}")
        assert status == 200, lead
        assert lead["callback_agent"] == "alice", lead
        # 10:30 in Chicago on 3 June 2030 (CDT, UTC-5) is 15:30 UTC.
        assert lead["next_attempt_at"] == 1906731000.0, lead
        # Its history: the one attempt, ended by her code, at the time she dialed it.
        [attempt] = lead["history"]
        assert attempt["outcome"] == "callback" and attempt["at"] == lead["last_attempt_at"]

        # The daemon restarts: the page says so, then comes back, still signed in.
        assert live.proc.stop(timeout=20) == 0
        await page.wait_for("document.body.dataset.status !== 'connected'", timeout=15)
        await page.wait_for(f"!{q('#banner')}.hidden")
        await live.start()
        await page.wait_for("document.body.dataset.status === 'connected'", timeout=40)
        assert await page.evaluate("document.body.dataset.view") == "desk"
        status, after = await live.api("GET", f"/v1/campaigns/p/leads/{second}")
        assert after["history"] == lead["history"]  # kept by the store across the restart
        await page.wait_for(f"{q('#agent-name')}.textContent.includes('Alice')")
        assert page.errors == []
    finally:
        await page.close()
