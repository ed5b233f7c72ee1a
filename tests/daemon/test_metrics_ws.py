"""Metrics at /metrics and the WebSocket event stream, against the running app."""

from __future__ import annotations

import asyncio
import json

from aiohttp import WSMsgType

from acd import events as ev
from acd.daemon.hub import Hub
from tests.daemon.conftest import TOKENS, Api


async def scrape(api: Api) -> str:
    async with api.session.get(api.url("/metrics")) as r:
        assert r.status == 200
        return await r.text()


async def test_every_queue_series_exists_at_zero_before_its_first_event(api: Api) -> None:
    """rate() and increase() need a series before its first increment to count that one."""
    text = await scrape(api)
    for q in ("sales", "support"):
        for line in (
            f'acd_calls_offered_total{{queue="{q}"}} 0.0',
            f'acd_calls_answered_total{{queue="{q}"}} 0.0',
            f'acd_calls_abandoned_total{{queue="{q}"}} 0.0',
            f'acd_calls_timed_out_total{{queue="{q}"}} 0.0',
            f'acd_calls_overflowed_total{{queue="{q}"}} 0.0',
            f'acd_calls_rejected_total{{queue="{q}",reason="full"}} 0.0',
            f'acd_wait_seconds_count{{outcome="abandoned",queue="{q}"}} 0.0',
            f'acd_handle_seconds_count{{queue="{q}"}} 0.0',
        ):
            assert line in text, line


async def test_metrics_follow_calls_and_mirror_state(api: Api) -> None:
    driver = api.daemon.driver
    assert driver is not None
    await api.call("POST", "/v1/agents/alice/login")
    driver.submit(ev.CallArrived("c1", "sales"))
    driver.submit(ev.AgentAnswered("c1", "alice"))
    driver.submit(ev.CallHungUp("c1"))
    driver.submit(ev.AgentReady("alice"))  # end wrap-up: the handle time is observed
    driver.submit(ev.CallArrived("c2", "support"))
    text = await scrape(api)
    for line in (
        "acd_build_info{version=",
        'acd_calls_offered_total{queue="sales"} 1.0',
        'acd_calls_answered_total{queue="sales"} 1.0',
        'acd_wait_seconds_count{outcome="answered",queue="sales"} 1.0',
        'acd_handle_seconds_count{queue="sales"} 1.0',
        'acd_callers_waiting{queue="support"} 1.0',
        'acd_agents{state="ready"} 1.0',
        'acd_service_level_target_ratio{queue="sales"} 0.8',
        'acd_queue_agents{queue="sales",state="logged_in"} 1.0',
        'acd_adapter_up{adapter="simulated"} 1.0',
        "acd_routing_decision_seconds_count",
    ):
        assert line in text, line
    driver.submit(ev.CallHungUp("c2"))
    assert 'acd_calls_abandoned_total{queue="support"} 1.0' in await scrape(api)
    # No label carries a call, agent or phone id.
    assert "c1" not in text and "alice" not in text


async def test_handle_time_is_described_with_its_hold_time(api: Api) -> None:
    """The engine's handled notice counts talk, hold and wrap-up (calls.py: last_talk is talk
    plus hold): the metric's help and the contract say so."""
    from pathlib import Path

    help_line = next(
        line for line in (await scrape(api)).splitlines() if line.startswith("# HELP acd_handle_")
    )
    assert "hold" in help_line and "wrap-up" in help_line, help_line
    contract = (Path(__file__).parents[2] / "deploy" / "CONTRACT.md").read_text()
    line = next(line for line in contract.splitlines() if "acd_handle_seconds" in line)
    assert "talk + hold + wrap-up" in line, line


async def test_websocket_streams_snapshot_then_changes(api: Api) -> None:
    url = api.url(f"/v1/events?access_token={TOKENS['supervisor']}&types=snapshot,agent")
    async with api.session.ws_connect(url) as ws:
        first = json.loads((await ws.receive(timeout=5)).data)
        assert first["type"] == "snapshot"
        assert [q["name"] for q in first["queues"]] == ["sales", "support"]
        await api.call("POST", "/v1/agents/alice/login")
        while True:
            msg = json.loads((await ws.receive(timeout=5)).data)
            if msg["type"] == "agent":
                break
        assert msg["agent"]["id"] == "alice" and msg["agent"]["state"] == "ready"


async def test_websocket_needs_supervisor_token(api: Api) -> None:
    async with api.session.get(api.url("/v1/events")) as r:
        assert r.status == 401
    async with api.session.get(api.url(f"/v1/events?access_token={TOKENS['agent']}")) as r:
        assert r.status == 403
    async with api.session.get(
        api.url(f"/v1/events?access_token={TOKENS['supervisor']}&types=bogus")
    ) as r:
        assert r.status == 422


async def test_slow_consumer_is_dropped_not_waited_for(api: Api) -> None:
    hub: Hub = api.daemon.hub
    hub.depth = 5
    url = api.url(f"/v1/events?access_token={TOKENS['supervisor']}&types=agent")
    async with api.session.ws_connect(url) as ws:
        while not hub.clients:
            await asyncio.sleep(0)
        client = next(iter(hub.clients))
        # Publish faster than anyone could read: the client is dropped, publish never blocks.
        for i in range(50):
            hub.publish({"type": "agent", "agent": {"id": f"x{i}"}})
        assert client.dropped and client not in hub.clients and hub.dropped == 1
        closed = False
        for _ in range(60):
            msg = await ws.receive(timeout=5)
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
                closed = True
                break
        assert closed


def test_dead_air_is_a_histogram_per_campaign() -> None:
    from acd.daemon.metrics import Metrics

    m = Metrics("test")
    m.observe(
        [
            {
                "type": "call",
                "event": "dead_air",
                "call_id": "o1",
                "queue": "campaign:c",
                "campaign": "c",
                "agent_id": "a",
                "outcome": None,
                "seconds": 1.2,
            },
        ]
    )
    from prometheus_client import generate_latest

    text = generate_latest(m.registry).decode()
    assert 'dialer_dead_air_seconds_count{campaign="c"} 1.0' in text
    assert 'dialer_dead_air_seconds_bucket{campaign="c",le="1.5"} 1.0' in text
