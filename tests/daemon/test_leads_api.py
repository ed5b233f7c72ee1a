"""Preview, callbacks, leads and the do-not-call list over the API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from acd import events as ev
from acd.config.files import load_config
from acd.daemon.app import build_app
from acd.daemon.auth import TokenStore
from tests.daemon.conftest import TOKENS, Api

CONFIG = """
name: preview-center
campaigns:
  - name: p
    mode: preview
    skills: {out: 1}
    wrap_up_seconds: 0
    calling_window: {start: "08:00", end: "21:00"}
agents:
  - {id: ana, skills: {out: 3}}
simulation:
  agents: {login_at_start: false}
  outbound:
    {human_probability: 0, machine_probability: 0, busy_probability: 0, failed_probability: 0}
"""


def open_zone() -> str:
    """A zone where it is now mid-day, so the leads are inside their calling window."""
    for zone in ("Europe/London", "America/New_York", "Asia/Tokyo", "America/Los_Angeles"):
        if 9 <= datetime.now(ZoneInfo(zone)).hour < 19:
            return zone
    return "Asia/Kolkata"


@pytest.fixture
async def papi(tmp_path: Path) -> AsyncIterator[Api]:
    path = tmp_path / "center.yaml"
    path.write_text(CONFIG)
    tokens = TokenStore([])
    tokens.add(TOKENS["supervisor"], "sup", "supervisor")
    tokens.add(TOKENS["admin"], "root", "admin")
    tokens.add(TOKENS["agent"], "ana", "agent", agent_id="ana")
    server = TestServer(
        build_app(load_config(path), config_path=path, tokens=tokens), host="127.0.0.1"
    )
    await server.start_server()
    async with ClientSession() as session:
        yield Api(server, session, path)
    await server.close()


async def test_leads_preview_dial_skip_and_callback_over_the_api(papi: Api) -> None:
    zone = open_zone()
    leads = [
        {"lead_id": "x1", "phone": "+12125550101", "time_zone": zone, "priority": 5},
        {"lead_id": "x2", "phone": "(212) 555-0102", "time_zone": zone, "name": "Bo"},
        {"phone": "555-01", "time_zone": zone},
        {"lead_id": "x3", "phone": "+12125550103", "time_zone": zone, "fields": {"k": "v"}},
    ]
    status, r = await papi.call("POST", "/v1/campaigns/p/leads", role="supervisor", json=leads)
    assert status == 201 and r["taken"] == 3 and r["rejected_count"] == 1
    assert r["rejected"][0]["item"] == 2 and "phone" in r["rejected"][0]["reason"]
    csv = f"lead_id,phone,time_zone\ny1,+12125550104,{zone}\ny2,12,{zone}\n"
    status, r = await papi.call("POST", "/v1/campaigns/p/leads", role="supervisor", data=csv)
    assert status == 201 and (r["taken"], r["rejected"][0]["line"]) == (1, 3)
    status, r = await papi.call("POST", "/v1/campaigns/p/leads", role="supervisor", json={})
    assert status == 422
    status, r = await papi.call("POST", "/v1/campaigns/nope/leads", role="supervisor", json=leads)
    assert status == 404 and r["error"]["code"] == "unknown_campaign"
    status, r = await papi.call("GET", "/v1/campaigns/p/leads?limit=2", role="supervisor")
    assert [x["lead_id"] for x in r["leads"]] == ["x1", "x2"] and r["next_cursor"]
    status, r = await papi.call(
        "GET", f"/v1/campaigns/p/leads?limit=2&cursor={r['next_cursor']}", role="supervisor"
    )
    assert [x["lead_id"] for x in r["leads"]] == ["x3", "y1"] and r["next_cursor"] is None
    status, r = await papi.call("PATCH", "/v1/campaigns/p/leads/x3", json={"priority": 9})
    assert status == 200 and r["priority"] == 9
    status, r = await papi.call("DELETE", "/v1/campaigns/p/leads/y1")
    assert status == 200 and r["status"] == "done" and r["done_reason"] == "closed"
    status, r = await papi.call("DELETE", "/v1/campaigns/p/leads/y1")
    assert status == 409
    status, r = await papi.call("GET", "/v1/campaigns/p/leads/zz", role="supervisor")
    assert status == 404 and r["error"]["code"] == "unknown_lead"

    # Preview: ana logs in, sees x3 (highest priority), skips it, sees x1, dials it.
    status, r = await papi.call("GET", "/v1/agents/ana/preview", role="agent")
    assert status == 404 and r["error"]["code"] == "no_preview"
    await papi.call("POST", "/v1/agents/ana/login", role="agent")
    driver = papi.daemon.driver
    assert driver is not None
    # The campaign's next pacing tick (within a second) is the live driver's own timer: let the
    # loop run it, polling with a bounded deadline.
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        status, r = await papi.call("GET", "/v1/agents/ana/preview", role="agent")
        if status == 200 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.02)
    assert status == 200 and r["lead"]["lead_id"] == "x3" and r["campaign"] == "p"
    status, r = await papi.call("POST", "/v1/agents/ana/preview/skip", role="agent")
    assert status == 200 and r["skipped"]["lead_id"] == "x3"
    status, r = await papi.call("GET", "/v1/agents/ana/preview", role="agent")
    assert r["lead"]["lead_id"] == "x1"
    status, r = await papi.call("POST", "/v1/agents/ana/preview/dial", role="agent")
    assert status == 200 and r["call_id"] and r["lead"]["lead_id"] == "x1"
    call_id = r["call_id"]
    status, a = await papi.call("GET", "/v1/agents/ana", role="agent")
    assert a["state"] == "dialing"
    status, r = await papi.call("POST", "/v1/agents/ana/preview/dial", role="agent")
    assert status == 404
    driver.submit(ev.OutboundAnswered(call_id))
    status, a = await papi.call("GET", "/v1/agents/ana", role="agent")
    assert a["state"] == "on_call" and a["call_id"] == call_id
    local = (datetime.now(ZoneInfo(zone)) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0, tzinfo=None
    )
    status, r = await papi.call(
        "POST",
        "/v1/agents/ana/disposition",
        role="agent",
        json={"disposition": "callback", "callback_at": local.isoformat(), "callback_agent": "me"},
    )
    assert status == 200 and r["callback_agent"] == "ana"
    status, r = await papi.call(
        "POST", "/v1/agents/ana/disposition", role="agent", json={"disposition": "nope"}
    )
    assert status == 400 and r["error"]["code"] == "invalid_event"
    driver.submit(ev.CallHungUp(call_id))
    status, lead = await papi.call("GET", "/v1/campaigns/p/leads/x1", role="supervisor")
    expected = local.replace(tzinfo=ZoneInfo(zone)).timestamp()
    assert lead["status"] == "callback" and lead["callback_agent"] == "ana"
    assert lead["next_attempt_at"] == expected and lead["attempts"] == 1
    # A supervisor moves the callback to anyone, at an aware time.
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    status, lead = await papi.call(
        "POST", "/v1/campaigns/p/leads/x1/callback", json={"at": at.isoformat()}
    )
    assert status == 200 and lead["callback_agent"] is None
    assert lead["next_attempt_at"] == at.timestamp()
    status, r = await papi.call("POST", "/v1/campaigns/p/leads/x1/callback", json={"at": "x"})
    assert status == 422


async def test_do_not_call_over_the_api(papi: Api) -> None:
    status, r = await papi.call(
        "POST", "/v1/dnc", role="supervisor", json={"number": "212 555 0199"}
    )
    assert status == 200 and r == {
        "number": "+12125550199",
        "listed": True,
        "source": "api",
        "at": r["at"],
        "added": True,
    }
    status, r = await papi.call("GET", "/v1/dnc/+12125550199", role="supervisor")
    assert r["listed"] is True
    status, r = await papi.call("GET", "/v1/dnc", role="supervisor")
    assert r["count"] == 1 and r["numbers"][0]["number"] == "+12125550199"
    status, r = await papi.call("POST", "/v1/dnc", role="supervisor", json={"number": "12"})
    assert status == 422
    status, r = await papi.call("DELETE", "/v1/dnc/+12125550199", role="supervisor")
    assert status == 200 and r["listed"] is False
    status, r = await papi.call("DELETE", "/v1/dnc/+12125550199", role="supervisor")
    assert status == 404
    status, r = await papi.call("GET", "/v1/dnc", role="agent")
    assert status == 403
