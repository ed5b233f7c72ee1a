"""The wallboard in a real headless Chromium, fed by the fake daemon.

Every wait polls the page with a timeout; nothing sleeps for a fixed time. Screenshots go to
the test's tmp_path, and also to $ACD_SCREENSHOT_DIR when set (to look at them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import INSTALL_HINT, Chromium, Page, find_chromium
from tests.web.fake_daemon import FakeDaemon, Snapshot, demo_snapshot

DASH = "\u2013"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def daemon() -> AsyncIterator[FakeDaemon]:
    d = FakeDaemon(interval=0.2)
    await d.start()
    try:
        yield d
    finally:
        await d.close()


@pytest.fixture
async def page(browser: Chromium) -> AsyncIterator[Page]:
    p = await browser.new_page(width=1920, height=1080)
    yield p
    assert p.errors == [], f"JavaScript errors on the page: {p.errors}"


async def open_board(page: Page, daemon: FakeDaemon) -> None:
    await page.goto(daemon.url())
    await page.wait_for("document.body.dataset.status === 'connected'")


def q(queue: str, name: str) -> str:
    """JS: the text of one figure of a queue row."""
    return (
        f'document.querySelector(\'#queues [data-queue="{queue}"] '
        f'[data-field="{name}"]\')?.textContent'
    )


async def save_screenshot(page: Page, path: Path) -> Path:
    await page.screenshot(path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    out = os.environ.get("ACD_SCREENSHOT_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(out) / path.name)
    return path


def test_chromium_is_installed() -> None:
    """CI installs Debian's chromium; a missing browser is a failure, never a skip."""
    assert find_chromium() is not None, INSTALL_HINT


async def test_board_shows_the_queues_of_the_snapshot(
    page: Page, daemon: FakeDaemon, tmp_path: Path
) -> None:
    await open_board(page, daemon)
    names = await page.evaluate(
        "[...document.querySelectorAll('#queues [data-queue]')].map(r => r.dataset.queue)"
    )
    assert names == ["billing", "tech", "general", "spanish"]
    assert await page.evaluate(q("billing", "name")) == "billing"
    assert await page.evaluate(q("billing", "service_level")) == "86%"
    assert await page.evaluate(q("billing", "service_level_target")) == "80%"
    assert await page.evaluate(q("billing", "agents_logged_in")) == "9"
    # a queue with no calls yet: null figures are a dash
    assert await page.evaluate(q("spanish", "service_level")) == DASH
    assert await page.evaluate(q("spanish", "abandon_rate")) == DASH
    waits = await page.evaluate(
        "[...document.querySelectorAll('#queues [data-field=\"longest_wait\"]')]"
        ".map(c => c.textContent)"
    )
    assert all(len(w) == 5 and w[2] == ":" for w in waits), waits
    agents = await page.evaluate("document.querySelectorAll('#agents [data-agent]').length")
    assert agents == 14
    paused = await page.evaluate(
        '[...document.querySelectorAll(\'#agents [data-state="paused"] '
        '[data-field="pause_reason"]\')].map(e => e.textContent)'
    )
    assert paused and set(paused) == {"lunch"}
    assert await page.evaluate("document.getElementById('center').textContent") == "demo"
    assert await page.evaluate("document.getElementById('banner').hidden") is True
    assert await page.evaluate("document.getElementById('help').hidden") is True
    assert await page.evaluate("document.getElementById('campaigns-section').hidden") is False
    shot = await save_screenshot(page, tmp_path / "wallboard-1920x1080.png")
    assert shot.stat().st_size > 10_000


async def test_figures_change_in_place_as_snapshots_arrive(page: Page, daemon: FakeDaemon) -> None:
    await open_board(page, daemon)
    await page.evaluate("window.__sameDocument = true")
    for cell in (
        q("billing", "waiting"),
        'document.querySelector(\'[data-campaign="renewals"] '
        '[data-field="connects_per_hour"]\').textContent',
    ):
        first = await page.evaluate(cell)
        second = await page.wait_for(f"({cell}) !== {first!r} && ({cell})")
        assert first != second
    assert await page.evaluate("window.__sameDocument") is True  # no reload
    assert daemon.connections == 1


async def test_rows_follow_the_snapshot(page: Page, daemon: FakeDaemon) -> None:
    """A queue that leaves the snapshot leaves the board; a new one appears, in order."""
    await open_board(page, daemon)

    def reshaped(seq: int, now: float) -> Snapshot:
        snap = demo_snapshot(seq, now)
        snap["queues"] = [{**snap["queues"][1], "name": "vip"}, snap["queues"][0]]
        snap["agents"] = snap["agents"][:3]
        return snap

    daemon.make_snapshot = reshaped
    rows = "[...document.querySelectorAll('#queues [data-queue]')].map(r => r.dataset.queue).join()"
    await page.wait_for(f"{rows} === 'vip,billing'")
    assert await page.evaluate("document.querySelectorAll('#agents [data-agent]').length") == 3


async def test_time_in_state_ticks_between_snapshots(page: Page) -> None:
    slow = FakeDaemon(interval=3600)  # one snapshot on connect, then silence
    await slow.start()
    try:
        await open_board(page, slow)
        cell = (
            'document.querySelector(\'#agents [data-agent="agent01"] '
            '[data-field="state_time"]\').textContent'
        )
        first = await page.evaluate(cell)
        assert first == "00:08"  # 7 * 1 + 1 % 5, as the fake daemon's first snapshot says
        await page.wait_for(f"{cell} !== {first!r}", timeout=5)
        assert slow.seq == 1
    finally:
        await slow.close()


def colour_snapshot(seq: int, now: float) -> Snapshot:
    snap = demo_snapshot(seq, now)
    base = snap["queues"][0]
    cases = {
        "above": 0.95,
        "at": 0.8,  # at target: green
        "five_below": 0.75,  # exactly 5 points below: amber
        "just_under_five": 0.7499,  # more than 5 points below: red
        "far_below": 0.41,
        "none": None,
    }
    snap["queues"] = [
        {**base, "name": name, "service_level": sl, "service_level_target": 0.8}
        for name, sl in cases.items()
    ]
    # The same 82% on two queues: green against an 80% target, red against 90%.
    snap["queues"] += [
        {**base, "name": "own_80", "service_level": 0.82, "service_level_target": 0.8},
        {**base, "name": "own_90", "service_level": 0.82, "service_level_target": 0.9},
    ]
    snap["agents"][0]["name"] = "<b>not bold</b>"
    snap["campaigns"] = [
        {"name": "ok", "mode": "predictive", "abandonment_24h": 0.012, "connects_per_hour": 4.0},
        {"name": "near", "mode": "predictive", "abandonment_24h": 0.029, "connects_per_hour": 4.0},
        {"name": "at", "mode": "predictive", "abandonment_24h": 0.03, "connects_per_hour": 4.0},
        {"name": "null", "mode": "preview", "abandonment_24h": None, "connects_per_hour": None},
    ]
    return snap


async def test_service_level_colour_follows_the_target_rule(
    page: Page, daemon: FakeDaemon, tmp_path: Path
) -> None:
    daemon.make_snapshot = colour_snapshot
    await open_board(page, daemon)
    status = await page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#queues [data-queue]')].map(r => "
        "[r.dataset.queue, [r.dataset.sl, "
        "r.querySelector('[data-field=\"service_level\"]').textContent]]))"
    )
    assert status == {
        "above": ["ok", "95%"],
        "at": ["ok", "80%"],
        "five_below": ["warn", "75%"],
        "just_under_five": ["bad", "74%"],
        "far_below": ["bad", "41%"],
        "none": ["none", DASH],
        "own_80": ["ok", "82%"],
        "own_90": ["bad", "82%"],
    }
    # each tile wears its own colour: the band across its top follows its own target
    tops = await page.evaluate(
        "['own_80', 'own_90', 'five_below'].map(n => getComputedStyle(document.querySelector("
        '`#queues [data-queue="${n}"]`)).borderTopColor)'
    )
    assert len(set(tops)) == 3, tops
    # the colours the classes stand for really differ on screen
    colours = await page.evaluate(
        "['above', 'five_below', 'far_below'].map(n => getComputedStyle(document.querySelector("
        '`#queues [data-queue="${n}"] [data-field="service_level"]`)).backgroundColor)'
    )
    assert len(set(colours)) == 3, colours
    abandonment = await page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#campaigns [data-campaign]')].map(r => "
        "[r.dataset.campaign, [r.dataset.abandonment, "
        "r.querySelector('[data-field=\"abandonment_24h\"]').textContent]]))"
    )
    assert abandonment == {
        "ok": ["ok", "1.2%"],
        "near": ["warn", "2.9%"],
        "at": ["bad", "3.0%"],
        "null": ["none", DASH],
    }
    # names from the config are text, never markup
    name = await page.evaluate(
        'document.querySelector(\'#agents [data-agent="agent01"] [data-field="name"]\').innerHTML'
    )
    assert name == "&lt;b&gt;not bold&lt;/b&gt;"
    await save_screenshot(page, tmp_path / "wallboard-colours.png")


async def test_campaign_section_hidden_without_campaigns(page: Page, daemon: FakeDaemon) -> None:
    def no_campaigns(seq: int, now: float) -> Snapshot:
        return {**demo_snapshot(seq, now), "campaigns": []}

    daemon.make_snapshot = no_campaigns
    await open_board(page, daemon)
    assert await page.evaluate("document.getElementById('campaigns-section').hidden") is True
    assert await page.evaluate("document.body.classList.contains('with-campaigns')") is False


async def test_banner_when_the_server_closes_the_socket_then_reconnects(
    page: Page, daemon: FakeDaemon, tmp_path: Path
) -> None:
    await open_board(page, daemon)
    banner_hidden = "document.getElementById('banner').hidden"
    assert await page.evaluate(banner_hidden) is True
    daemon.refuse = True  # stays down until we say so
    await daemon.drop_all()
    await page.wait_for("document.body.dataset.status === 'disconnected'")
    assert await page.evaluate(banner_hidden) is False
    text = await page.evaluate("document.getElementById('banner').textContent")
    assert "Disconnected" in text and "Reconnecting" in text
    assert await page.evaluate("document.body.classList.contains('stale')") is True
    # the last figures stay visible, dimmed
    assert await page.evaluate(q("billing", "name")) == "billing"
    await save_screenshot(page, tmp_path / "wallboard-disconnected.png")

    daemon.refuse = False
    await page.wait_for("document.body.dataset.status === 'connected'", timeout=15)
    assert await page.evaluate(banner_hidden) is True
    assert daemon.connections == 2


async def test_wrong_token_says_so(page: Page, daemon: FakeDaemon) -> None:
    await page.goto(daemon.url("token=not-the-token"))
    await page.wait_for("document.body.dataset.status === 'disconnected'")
    text = await page.evaluate("document.getElementById('banner').textContent")
    assert "check the token" in text
    assert daemon.connections == 0


@pytest.mark.parametrize("fragment", ["", "token="])
async def test_no_token_gives_help(
    page: Page, daemon: FakeDaemon, fragment: str, tmp_path: Path
) -> None:
    await page.goto(daemon.url(fragment))
    await page.wait_for("document.body.dataset.status === 'no-token'")
    await save_screenshot(page, tmp_path / "wallboard-no-token.png")
    assert await page.evaluate("document.getElementById('help').hidden") is False
    assert await page.evaluate("document.getElementById('board').hidden") is True
    help_text = await page.evaluate("document.getElementById('help').textContent")
    assert "No access token" in help_text and "#token=" in help_text
    # The example link is this page's own address, not a port the page cannot know.
    example = await page.evaluate("document.getElementById('help-link').textContent")
    assert example == daemon.url("token=YOUR-TOKEN"), example
    assert daemon.connections == 0
    # adding the token to the address connects without a reload
    await page.evaluate(f"location.hash = 'token={daemon.token}'")
    await page.wait_for("document.body.dataset.status === 'connected'")


async def test_fits_a_laptop_screen(browser: Chromium, daemon: FakeDaemon, tmp_path: Path) -> None:
    page = await browser.new_page(width=1366, height=768)
    await open_board(page, daemon)
    overflow: Any = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await save_screenshot(page, tmp_path / "wallboard-1366x768.png")
    assert page.errors == []


async def test_against_the_real_daemon(page: Page, tmp_path: Path) -> None:
    """The same page and helpers against build_app: the demo center, a supervisor token."""
    from aiohttp.test_utils import TestServer

    from acd.config.files import load_config
    from acd.daemon.app import build_app
    from acd.daemon.auth import TokenStore

    demo = Path(__file__).resolve().parents[2] / "acd" / "data" / "demo.yaml"
    tokens = TokenStore([])
    tokens.add("wall-sup", "wall", "supervisor")
    server = TestServer(build_app(load_config(demo), tokens=tokens, demo=True), host="127.0.0.1")
    await server.start_server()
    try:
        await page.goto(str(server.make_url("/")) + "#token=wall-sup")
        await page.wait_for("document.body.dataset.status === 'connected'")
        names = await page.evaluate(
            "[...document.querySelectorAll('#queues [data-queue]')].map(r => r.dataset.queue)"
        )
        assert names == ["billing", "tech", "general"]
        assert await page.evaluate("document.querySelectorAll('#agents [data-agent]').length") == 20
        await save_screenshot(page, tmp_path / "wallboard-real-daemon.png")
    finally:
        # Close the tab first: the daemon closes its WebSockets in a cleanup context, after
        # aiohttp has waited (up to its shutdown timeout) for open handlers, so a connected
        # wallboard would hold server.close() for most of a minute.
        await page.close()
        await server.close()


PREVIEW_CENTER = """
name: preview-wall
campaigns:
  - name: p
    mode: preview
    skills: {out: 1}
    wrap_up_seconds: 0
    calling_window: {start: "00:00", end: "23:59"}
agents:
  - {id: ana, name: Ana, skills: {out: 3}}
  - {id: bo, name: Bo, skills: {out: 3}}
simulation:
  agents: {login_at_start: false}
  outbound:
    {human_probability: 0, machine_probability: 0, busy_probability: 0, failed_probability: 0}
"""


async def test_real_daemon_agents_previewing_and_dialing(page: Page, tmp_path: Path) -> None:
    """Every state the daemon has reaches the wall: an agent held for a preview shows as
    reserved, and dialing once it places the call, in its tile and in the header counts."""
    from aiohttp import ClientSession
    from aiohttp.test_utils import TestServer

    from acd import events as ev
    from acd.config.files import load_config
    from acd.daemon.app import build_app
    from acd.daemon.auth import TokenStore
    from acd.daemon.state import DAEMON
    from acd.states import AGENT_STATE_LABELS, AgentState

    path = tmp_path / "center.yaml"
    path.write_text(PREVIEW_CENTER)
    tokens = TokenStore([])
    tokens.add("wall-sup", "wall", "supervisor")
    server = TestServer(build_app(load_config(path), tokens=tokens), host="127.0.0.1")
    await server.start_server()
    auth = {"Authorization": "Bearer wall-sup"}
    tile = 'document.querySelector(\'[data-agent="ana"] [data-field="state"]\').textContent'
    header = "document.querySelector('[data-state-count=\"{}\"]').textContent"
    try:
        async with ClientSession() as s:
            leads = [{"lead_id": "L1", "phone": "+12125550101", "time_zone": "UTC"}]
            url = str(server.make_url("/v1/campaigns/p/leads"))
            async with s.post(url, json=leads, headers=auth) as r:
                assert r.status == 201
            await page.goto(str(server.make_url("/")) + "#token=wall-sup")
            await page.wait_for("document.body.dataset.status === 'connected'")
            shown = await page.evaluate(
                "[...document.querySelectorAll('[data-state-count]')]"
                ".map(n => n.dataset.stateCount)"
            )
            every = [s.value for s in AGENT_STATE_LABELS if s is not AgentState.LOGGED_OUT]
            assert shown == every
            driver = server.app[DAEMON].driver
            assert driver is not None
            driver.submit(ev.AgentLogin("ana"))  # the campaign's next tick reserves her
            await page.wait_for(f"{tile} === 'Reserved'")
            await page.wait_for(f"{header.format('reserved')} === '1'")  # the next snapshot
            url = str(server.make_url("/v1/agents/ana/preview/dial"))
            async with s.post(url, headers=auth) as r:
                assert r.status == 200
            await page.wait_for(f"{tile} === 'Dialing'")
            await page.wait_for(f"{header.format('dialing')} === '1'")
            assert page.errors == []
    finally:
        await page.close()
        await server.close()
