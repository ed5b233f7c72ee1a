"""Campaigns in the daemon: the Center in the live driver, endpoints and dialer_ metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from acd import events as ev
from acd.config.files import load_config
from acd.daemon.app import build_app
from acd.daemon.auth import TokenStore
from tests.daemon.conftest import TOKENS, Api

CONFIG = """
name: dialer-center
queues:
  - name: service
    skills: {service: 1}
campaigns:
  - name: renewals
    mode: progressive
    skills: {out: 1}
agents:
  - {id: ana, skills: {service: 3, out: 3}}
simulation:
  agents: {login_at_start: false}
  outbound:  # every dial rings out (after the ring time): the test resolves them itself
    human_probability: 0
    machine_probability: 0
    busy_probability: 0
    failed_probability: 0
"""


@pytest.fixture
async def capi(tmp_path: Path) -> AsyncIterator[Api]:
    path = tmp_path / "center.yaml"
    path.write_text(CONFIG)
    tokens = TokenStore([])
    tokens.add(TOKENS["supervisor"], "sup", "supervisor")
    tokens.add(TOKENS["admin"], "root", "admin")
    server = TestServer(
        build_app(load_config(path), config_path=path, tokens=tokens), host="127.0.0.1"
    )
    await server.start_server()
    async with ClientSession() as session:
        yield Api(server, session, path)
    await server.close()


async def test_campaigns_listed_paused_resumed_and_measured(capi: Api) -> None:
    status, body = await capi.call("GET", "/v1/campaigns", role="supervisor")
    assert status == 200 and [c["name"] for c in body["campaigns"]] == ["renewals"]
    await capi.call("POST", "/v1/agents/ana/login")
    status, body = await capi.call("GET", "/v1/campaigns", role="supervisor")
    assert body["campaigns"][0]["dialed"] == 1  # progressive: one call for the ready agent
    status, c = await capi.call("POST", "/v1/campaigns/renewals/pause", role="supervisor")
    assert status == 200 and c["paused"] is True
    driver = capi.daemon.driver
    assert driver is not None
    call_id = next(iter(driver.engine.campaigns["renewals"].inflight))
    driver.submit(ev.OutboundFailed(call_id, "busy"))
    driver.submit(ev.AgentPause("ana"))
    driver.submit(ev.AgentReady("ana"))
    status, body = await capi.call("GET", "/v1/campaigns", role="supervisor")
    assert body["campaigns"][0]["dialed"] == 1  # paused: nothing new
    await capi.call("POST", "/v1/campaigns/renewals/resume", role="supervisor")
    driver.submit(ev.AgentPause("ana"))
    driver.submit(ev.AgentReady("ana"))
    status, body = await capi.call("GET", "/v1/campaigns", role="supervisor")
    assert body["campaigns"][0]["dialed"] == 2
    status, body = await capi.call("POST", "/v1/campaigns/nope/pause", role="supervisor")
    assert status == 404 and body["error"]["code"] == "unknown_campaign"
    async with capi.session.get(capi.url("/metrics")) as r:
        text = await r.text()
    assert 'dialer_calls_total{campaign="renewals",outcome="busy"} 1.0' in text
    assert 'dialer_abandonment_ratio{campaign="renewals",window="24h"} 0.0' in text
    assert 'dialer_dial_ratio{campaign="renewals"}' in text


async def test_every_campaign_series_exists_at_zero_before_its_first_call(capi: Api) -> None:
    """rate() and increase() need the series before the first increment to count it."""
    async with capi.session.get(capi.url("/metrics")) as r:
        text = await r.text()
    for outcome in ("human", "machine", "no_answer", "busy", "failed", "abandoned"):
        line = f'dialer_calls_total{{campaign="renewals",outcome="{outcome}"}} 0.0'
        assert line in text, line
    assert 'dialer_dead_air_seconds_count{campaign="renewals"} 0.0' in text
