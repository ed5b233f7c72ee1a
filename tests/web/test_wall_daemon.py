"""The wall in headless Chromium against the real daemon: ``acd-dialer run`` as a process, with
simulated inbound traffic, a predictive campaign and a preview campaign, in real time.

The test reads the snapshot messages from its own WebSocket (the daemon publishes each one to
every client), and reads the page in the microtask after it rendered one (a MutationObserver on
``body[data-snapshot-time]``: no other message can be handled in between). Every figure on the
page must be the message's, formatted here by the page's documented rules (percentages
truncated, durations as mm:ss), not by the page's own code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from acd.daemon.auth import digest
from tests.processes import DaemonProcess
from tests.web.browser import Chromium, Page
from tests.web.test_wallboard import save_screenshot

TOKEN = "wall-daemon-token"
DASH = "\u2013"
CONFIG = f"""
name: wall-live
api:
  tokens:
    - {{name: wall, role: admin, sha256: {digest(TOKEN)}}}
queues:
  - name: billing
    skills: {{billing: 1}}
    wrap_up_seconds: 1
    service_level: {{threshold_seconds: 20, target: 0.8}}
  - name: tech
    skills: {{tech: 4}}
    max_wait_seconds: 300
    service_level: {{threshold_seconds: 30, target: 0.9}}
    escalation:
      - {{after_seconds: 600, min_levels: {{tech: 1}}}}
campaigns:
  - name: renewals
    mode: predictive
    skills: {{out: 1}}
    wrap_up_seconds: 1
    safe_harbor_message: safe-harbor
    calling_window: {{start: "00:00", end: "24:00"}}
  - name: p
    mode: preview
    skills: {{prev: 1}}
    wrap_up_seconds: 0
    calling_window: {{start: "00:00", end: "24:00"}}
agents:
  - {{id: b1, name: Bea, skills: {{billing: 5}}}}
  - {{id: b2, name: Bill, skills: {{billing: 5}}}}
  - {{id: b3, name: Bo, skills: {{billing: 5}}}}
  - {{id: b4, name: Bruno, skills: {{billing: 5}}}}
  - {{id: j1, name: Jo, skills: {{tech: 2}}}}
  - {{id: j2, name: Jun, skills: {{tech: 2}}}}
  - {{id: o1, name: Olu, skills: {{out: 5}}}}
  - {{id: o2, name: Oona, skills: {{out: 5}}}}
  - {{id: ana, name: Ana, skills: {{prev: 3}}}}
simulation:
  traffic:
    billing:
      calls_per_hour: 2400
      handle_time: {{distribution: fixed, mean: 6}}
    tech:
      calls_per_hour: 1800
      handle_time: {{distribution: fixed, mean: 6}}
      patience: {{distribution: fixed, mean: 200}}
  outbound:
    human_probability: 0.6
    machine_probability: 0.1
    busy_probability: 0
    failed_probability: 0
    ring_to_answer: {{distribution: fixed, mean: 20}}
    talk_time: {{distribution: fixed, mean: 5}}
"""
INBOUND = ["billing", "tech"]

# One JS function: the page's figures, as text, keyed like the snapshot.
READ_PAGE = """
(() => {
  const text = (root, f) => root.querySelector(`[data-field="${f}"]`).textContent;
  const shown = (root, f) => !root.querySelector(`[data-field="${f}"]`).closest('[hidden]');
  const queueFields = ['waiting', 'longest_wait', 'service_level', 'service_level_target',
    'interval_service_level', 'interval_offered', 'offered', 'answered', 'abandon_rate',
    'asa_seconds', 'aht_seconds', 'agents_logged_in', 'agents_ready', 'ready_not_eligible',
    'awaiting_escalation', 'next_escalation'];
  const agentFields = ['name', 'state', 'state_time', 'pause_reason', 'work', 'calls_today',
    'aht', 'occupancy'];
  const campaignFields = ['mode', 'dialed', 'hit_rate', 'connects_per_hour', 'abandonment_24h',
    'abandonment_30d', 'leads_left'];
  const read = () => ({
    time: Number(document.body.dataset.snapshotTime),
    interval: document.getElementById('interval').textContent,
    queues: [...document.querySelectorAll('#queues [data-queue]')].map(t => ({
      name: t.dataset.queue, sl: t.dataset.sl, why_shown: shown(t, 'ready_not_eligible'),
      next_shown: shown(t, 'next_escalation'),
      ...Object.fromEntries(queueFields.map(f => [f, text(t, f)]))})),
    agents: [...document.querySelectorAll('#agents [data-agent]')].map(t => ({
      id: t.dataset.agent,
      ...Object.fromEntries(agentFields.map(f => [f, text(t, f)]))})),
    campaigns: [...document.querySelectorAll('#campaigns [data-campaign]')].map(t => ({
      name: t.dataset.campaign, paused: shown(t, 'paused'),
      ...Object.fromEntries(campaignFields.map(f => [f, text(t, f)]))})),
    states: Object.fromEntries([...document.querySelectorAll('[data-state-count]')]
      .map(n => [n.dataset.stateCount, n.textContent])),
  });
  return new Promise(resolve => {
    const seen = new MutationObserver(() => { seen.disconnect(); resolve(read()); });
    seen.observe(document.body, {attributes: true, attributeFilter: ['data-snapshot-time']});
  });
})()
"""

# Layout: nothing wider than the screen, nothing wider than its box inside a tile, no page
# scroll, and tiles reaching down the screen.
LAYOUT = """
(() => {
  const doc = document.documentElement;
  const tiles = [...document.querySelectorAll('#board .queue, #board .agent, #board .campaign')];
  const over = [];
  for (const t of tiles) {
    for (const e of [t, ...t.querySelectorAll('*')]) {
      if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth) {
        over.push(`${t.dataset.queue || t.dataset.agent || t.dataset.campaign}:` +
          `${e.className}:${e.dataset.field || ''} ${e.scrollWidth}>${e.clientWidth}`);
      }
    }
  }
  const bottom = sel => Math.max(...[...document.querySelectorAll(sel)]
    .map(t => t.getBoundingClientRect().bottom));
  const area = tiles.map(t => t.getBoundingClientRect())
    .reduce((sum, r) => sum + r.width * r.height, 0);
  return {scrollWidth: doc.scrollWidth, scrollHeight: doc.scrollHeight, width: innerWidth,
    height: innerHeight, over, tiles: tiles.length, agents: bottom('#agents .agent'),
    campaigns: bottom('#campaigns .campaign'), covered: area / (innerWidth * innerHeight)};
})()
"""


# ---- the page's formatting rules, written out again --------------------------------------
def pct(ratio: float | None, decimals: int) -> str:
    if ratio is None:
        return DASH
    f = 10**decimals
    return f"{math.floor(ratio * 100 * f + 1e-9) / f:.{decimals}f}%"


def dur(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    s = max(0, math.floor(seconds + 1e-9))
    h, m, rest = s // 3600, s % 3600 // 60, s % 60
    return f"{h}:{m:02d}:{rest:02d}" if h else f"{m:02d}:{rest:02d}"


def num(n: float | None) -> str:
    return DASH if n is None else str(round(n))


def sl_status(sl: float | None, target: float | None) -> str:
    if sl is None or target is None:
        return "none"
    gap = target * 100 - sl * 100
    return "ok" if gap <= 1e-9 else "warn" if gap <= 5 + 1e-9 else "bad"


def expected_queue(q: dict[str, Any]) -> dict[str, Any]:
    last, why = q["last_interval"], q["why_waiting"]
    explain = q["waiting"] > 0 and (why["ready_not_eligible"] > 0 or why["missed_offer"] > 0)
    return {
        "name": q["name"],
        "sl": sl_status(q["service_level"], q["service_level_target"]),
        "why_shown": explain,
        "next_shown": explain and why["next_escalation_seconds"] is not None,
        "waiting": num(q["waiting"]),
        "longest_wait": dur(q["longest_wait_seconds"]),
        "service_level": pct(q["service_level"], 0),
        "service_level_target": pct(q["service_level_target"], 0),
        "interval_service_level": pct(last["service_level"], 0),
        "interval_offered": num(last["offered"]),
        "offered": num(q["offered"]),
        "answered": num(q["answered"]),
        "abandon_rate": pct(q["abandon_rate"], 1),
        "asa_seconds": dur(q["asa_seconds"]),
        "aht_seconds": dur(q["aht_seconds"]),
        "agents_logged_in": num(q["agents"]["logged_in"]),
        "agents_ready": num(q["agents"]["ready"]),
        "ready_not_eligible": num(why["ready_not_eligible"]),
        "awaiting_escalation": num(why["awaiting_escalation"]),
        "next_escalation": dur(why["next_escalation_seconds"]),
    }


WORKING = {"ringing", "on_call", "wrap_up", "reserved", "dialing"}


def expected_agent(a: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    working = a["state"] in WORKING
    return {
        "id": a["id"],
        "name": a["name"] or a["id"],
        "state": labels[a["state"]],
        "state_time": dur(a["state_seconds"]),
        "pause_reason": a["pause_reason"] if a["state"] == "paused" else "",
        "work": (a["campaign"] or a["queue"] or "") if working else "",
        "calls_today": num(a["calls_today"]),
        "aht": dur(a["aht_seconds"]),
        "occupancy": pct(a["occupancy"], 0),
    }


def expected_campaign(c: dict[str, Any]) -> dict[str, Any]:
    cph = c["connects_per_hour"]
    return {
        "name": c["name"],
        "paused": c["paused"],
        "mode": c["mode"],
        "dialed": num(c["dialed"]),
        "hit_rate": pct(c["hit_rate"], 0),
        "connects_per_hour": DASH if cph is None else f"{cph:.1f}",
        "abandonment_24h": pct(c["abandonment_24h"], 1),
        "abandonment_30d": pct(c["abandonment_30d"], 1),
        "leads_left": num(c["leads_left"]),
    }


# ---- fixtures ----------------------------------------------------------------------------
class Live:
    """The daemon process, an API session, and every snapshot message by its time."""

    def __init__(self, proc: DaemonProcess, session: aiohttp.ClientSession) -> None:
        self.proc = proc
        self.session = session
        self.messages: dict[float, dict[str, Any]] = {}
        self.arrived = asyncio.Event()

    async def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with self.session.request(
            method, self.proc.base + path, json=body, headers=headers
        ) as r:
            return r.status, await r.json()

    async def listen(self) -> None:
        url = self.proc.base + f"/v1/events?access_token={TOKEN}&types=snapshot"
        async with self.session.ws_connect(url, max_msg_size=0) as ws:
            async for msg in ws:
                snap = json.loads(msg.data)
                self.messages[snap["time"]] = snap
                self.arrived.set()

    async def message(self, at: float, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while at not in self.messages:
                self.arrived.clear()
                await self.arrived.wait()
        return self.messages[at]


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    cfg = tmp_path / "center.yaml"
    cfg.write_text(CONFIG)
    proc = await DaemonProcess.astart(cfg, tmp_path / "daemon.log")
    try:
        async with aiohttp.ClientSession() as session:
            lv = Live(proc, session)
            listener = asyncio.create_task(lv.listen())
            try:
                yield lv
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
    finally:
        proc.kill()


async def open_wall(browser: Chromium, live: Live, width: int, height: int) -> Page:
    page = await browser.new_page(width=width, height=height)
    await page.goto(live.proc.base + f"/#token={TOKEN}")
    await page.wait_for("document.body.dataset.status === 'connected'", timeout=15)
    return page


def tile(kind: str, key: str, field: str) -> str:
    return f'document.querySelector(\'[data-{kind}="{key}"] [data-field="{field}"]\')?.textContent'


async def page_and_message(page: Page, live: Live) -> tuple[dict[str, Any], dict[str, Any]]:
    shown = await page.evaluate(READ_PAGE)
    return shown, await live.message(shown["time"])


# ---- the tests ---------------------------------------------------------------------------
async def test_the_wall_shows_the_daemons_figures(
    browser: Chromium, live: Live, tmp_path: Path
) -> None:
    leads = [
        {"lead_id": f"L{i}", "phone": f"+1212555{i:04d}", "time_zone": "UTC"} for i in range(5)
    ]
    status, _ = await live.api("POST", "/v1/campaigns/p/leads", leads)
    assert status == 201
    page = await open_wall(browser, live, 1920, 1080)
    try:
        # Tech callers wait while Jo and Jun (tech 2 of 4) sit ready: the wall says why.
        await page.wait_for(f"{tile('queue', 'tech', 'ready_not_eligible')} === '2'", timeout=30)
        # Ana is held for a preview of campaign p, then dials.
        await page.wait_for(f"{tile('agent', 'ana', 'state')} === 'Reserved'", timeout=15)
        assert await page.evaluate(tile("agent", "ana", "work")) == "p"
        status, _ = await live.api("POST", "/v1/agents/ana/preview/dial")
        assert status == 200
        await page.wait_for(f"{tile('agent', 'ana', 'state')} === 'Dialing'")
        await page.wait_for(
            "document.querySelector('[data-state-count=\"dialing\"]').textContent === '1'"
        )
        # Calls answered and the campaign dialing: figures on every tile.
        await page.wait_for(f"Number({tile('queue', 'billing', 'answered')}) >= 3", timeout=30)
        await page.wait_for(f"Number({tile('campaign', 'renewals', 'dialed')}) >= 1", timeout=15)
        status, _ = await live.api("POST", "/v1/campaigns/renewals/pause")
        assert status == 200

        for _ in range(3):  # three snapshots in a row, each exactly as the daemon sent it
            shown, msg = await page_and_message(page, live)
            names = [q["name"] for q in msg["queues"]]
            assert names == INBOUND  # no campaign:renewals, no campaign:p
            assert [q["name"] for q in shown["queues"]] == INBOUND
            assert shown["queues"] == [expected_queue(q) for q in msg["queues"]]
            labels = msg["agent_state_labels"]
            by_id = {a["id"]: expected_agent(a, labels) for a in msg["agents"]}
            assert {a["id"]: a for a in shown["agents"]} == by_id
            assert shown["campaigns"] == [expected_campaign(c) for c in msg["campaigns"]]
            every = [s for s in labels if s != "logged_out"]
            assert shown["states"] == {s: str(msg["agent_states"][s]) for s in every}
            assert "reserved" in shown["states"] and "dialing" in shown["states"]

        # What the wall said of tech, against the snapshot it came from.
        tech = next(q for q in msg["queues"] if q["name"] == "tech")
        assert tech["why_waiting"]["awaiting_escalation"] == 2
        assert 0 < tech["why_waiting"]["next_escalation_seconds"] <= 600
        campaigns = {c["name"]: c for c in shown["campaigns"]}
        assert campaigns["renewals"]["paused"] is True and campaigns["p"]["paused"] is False
        assert campaigns["p"]["leads_left"] == "5"  # L0 dialing, the others queued
        assert {a["work"] for a in shown["agents"] if a["id"] == "ana"} == {"p"}

        # GET /v1/snapshot: the same builder, the same queues and campaigns.
        status, full = await live.api("GET", "/v1/snapshot")
        assert status == 200
        assert [q["name"] for q in full["queues"]] == INBOUND
        assert [c["name"] for c in full["campaigns"]] == ["renewals", "p"]
        await save_screenshot(page, tmp_path / "wall-daemon-1920x1080.png")
    finally:
        await page.close()


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1366, 768)])
async def test_the_wall_fits_the_screen(
    browser: Chromium, live: Live, tmp_path: Path, width: int, height: int
) -> None:
    page = await open_wall(browser, live, width, height)
    try:
        # Calls waiting and answered, the campaign dialing: every part of each tile filled.
        await page.wait_for(f"{tile('queue', 'tech', 'ready_not_eligible')} === '2'", timeout=30)
        await page.wait_for(f"Number({tile('campaign', 'renewals', 'dialed')}) >= 1", timeout=15)
        await page.wait_for(f"Number({tile('queue', 'billing', 'answered')}) >= 1", timeout=15)
        await page_and_message(page, live)  # a fresh render
        layout = await page.evaluate(LAYOUT)
        await save_screenshot(page, tmp_path / f"wall-daemon-{width}x{height}.png")
        assert layout["scrollWidth"] <= width, layout
        assert layout["scrollHeight"] <= height, layout  # the page itself never scrolls
        assert layout["over"] == [], layout["over"]
        assert layout["tiles"] == 2 + 9 + 2
        # No empty band below the tiles: both columns reach down, tiles cover most of it.
        assert layout["agents"] >= 0.9 * height, layout
        assert layout["campaigns"] >= 0.9 * height, layout
        assert layout["covered"] >= 0.6, layout
        assert page.errors == []
    finally:
        await page.close()
