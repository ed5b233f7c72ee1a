"""The warm standby as two daemon processes on a real redis-server and the AMI emulator.

The standby builds its core once and follows the leader's batch stream. The leader is killed with
SIGKILL while it dials; the standby takes over with the core it kept (its log says so: no load of
the store at the take-over) and routes a call to an agent. Once the campaign is paused and quiet,
what the new leader shows through its API (every lead, every agent, the campaign) equals what a
cold start from the same Redis builds, rebuilt here in the test from the store's contents.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path
from random import Random
from typing import Any

import pytest

from acd.checkpoint import restore
from acd.config.files import load_config
from acd.daemon.days import daemon_calendar
from acd.simulate import campaign_leads
from acd.store.redis import RedisStore
from dialer.center import Center
from dialer.center.views import lead_view
from dialer.leadsource import BookLeads
from tests.redis_server import RedisServer
from tests.store.test_failover import (  # noqa: F401  (pair is a fixture)
    Node,
    active,
    dialed,
    leader_and_standby,
    pair,
    until,
)

# From SIGKILL to the first call routed by the new leader, with a lease of 30 s: crash detection
# takes over in a few hundred milliseconds on an idle machine (benchmarks/store.py has the
# measured figures); the bound is loose so that a loaded machine does not fail it, and short of
# the lease so that a take-over that waited for it fails.
LEASE_SECONDS = 30.0
ROUTED_WITHIN = 12.0


@pytest.fixture
def lease_seconds() -> float:  # the pair's (tests/store/test_failover.py)
    return LEASE_SECONDS


def agent_legs_after(emu: Any, since: float) -> list[float]:
    """When the PBX got an Originate of an agent's leg (a routed call), after ``since``."""
    return [
        r.at
        for r in emu.actions
        if r.at > since
        and r.action.name == "Originate"
        and not (r.action.get("Channel") or "").endswith("@trunk")
    ]


async def api_view(node: Node) -> dict[str, Any]:
    leads: dict[str, Any] = {}
    cursor: str | None = "0"
    while cursor is not None:
        _, page = await node.call("GET", f"/v1/campaigns/c/leads?limit=1000&cursor={cursor}")
        leads.update({x["lead_id"]: x for x in page["leads"]})
        cursor = page["next_cursor"]
    _, agents = await node.call("GET", "/v1/agents")
    _, camps = await node.call("GET", "/v1/campaigns")
    return {
        "leads": leads,
        "agents": {a["id"]: (a["state"], a["pause_reason"], a["skills"]) for a in agents["agents"]},
        "paused": {c["name"]: c["paused"] for c in camps["campaigns"]},
    }


async def cold_view(cfg_path: Path, url: str) -> dict[str, Any]:
    """What a daemon started cold on this config and Redis builds (as acd/daemon/app.py does)."""
    cfg = load_config(cfg_path)
    sources, dnc = campaign_leads(cfg, cfg_path.parent, 0.0, cfg_path)
    core = Center(cfg, rng=Random(1), leads=sources, dnc=dnc, calendar=daemon_calendar(cfg))
    store = RedisStore(url, cfg.store.prefix)
    try:
        state = await store.load()
    finally:
        await store.close()
    restore(core, state, time.time())
    src = core.campaigns["c"].leads
    assert isinstance(src, BookLeads)
    agents = core.engine.agents.values()
    return {
        "leads": {x.lead_id: lead_view(src, x.lead_id) for x in src.book},
        "agents": {a.id: (a.state.value, a.pause_reason, dict(a.skills)) for a in agents},
        "paused": {name: rt.paused for name, rt in core.campaigns.items()},
    }


async def test_a_warm_standby_takes_over_from_sigkill_routes_and_equals_a_cold_start(
    pair: Any,  # noqa: F811  (the fixture of test_failover)
    own_redis: RedisServer,
    tmp_path: Path,
) -> None:
    emu, start, _ = pair
    a, b = await leader_and_standby(start)
    await until(lambda: asyncio.sleep(0, len(dialed(emu)) >= 15), 30, "15 dials by the leader")
    await until(
        lambda: asyncio.sleep(0, "standby: cold load" in b.proc.log()), 20, "the standby's core"
    )
    before = len(dialed(emu))
    killed = emu.clock()
    a.proc.signal(signal.SIGKILL)  # mid-traffic: dials ringing, calls with agents
    await until(lambda: active(b), ROUTED_WITHIN, "the standby takes over")
    log = b.proc.log()
    assert "take-over with the warm core" in log and log.count("standby: cold load") == 1, log
    # Agents who were on a call come back paused "recovered" (the call may still be up).
    for agent_id, (state, _, _) in (await api_view(b))["agents"].items():
        if state == "paused":
            await b.call("POST", f"/v1/agents/{agent_id}/ready")
    await until(lambda: asyncio.sleep(0, agent_legs_after(emu, killed)), 20, "a routed call")
    took = agent_legs_after(emu, killed)[0] - killed
    print(f"SIGKILL to the first routed call: {took:.2f}s")
    assert took < ROUTED_WITHIN, f"{took:.2f}s from SIGKILL to the first routed call"
    more = before + 5
    await until(lambda: asyncio.sleep(0, len(dialed(emu)) >= more), 30, "the new leader dials")

    # Quiet: no more dials, the calls in progress end; then the store holds what b holds.
    assert (await b.call("POST", "/v1/campaigns/c/pause"))[0] == 200

    async def quiet() -> bool:
        calls = (await b.call("GET", "/v1/calls"))[1]["calls"]
        _, dialing = await b.call("GET", "/v1/campaigns/c/leads?state=dialing")
        return not calls and not dialing["leads"]

    await until(quiet, 20, "the campaign's calls end")
    cfg_b = tmp_path / "b.yaml"
    want: dict[str, Any] = {}

    async def agrees() -> bool:
        nonlocal want
        want = await cold_view(cfg_b, own_redis.url)
        return await api_view(b) == want

    try:
        await until(agrees, 10, "the new leader agrees with a cold start from the store")
    except AssertionError:
        got = await api_view(b)
        diff = {k: (got["leads"][k], want["leads"].get(k)) for k in got["leads"]}
        diff = {k: v for k, v in diff.items() if v[0] != v[1]}
        raise AssertionError(
            f"leads differ: {list(diff.items())[:3]}; agents {got['agents']} vs "
            f"{want['agents']}; paused {got['paused']} vs {want['paused']}"
        ) from None
    assert sum(1 for x in want["leads"].values() if x["attempts"]) >= before
    numbers = Counter(dialed(emu))
    assert max(numbers.values()) == 1, "a lead was dialed twice across the take-over"
    b.proc.signal(signal.SIGTERM)
    assert await b.proc.exited(timeout=30) == 0, b.proc.log()[-4000:]  # 70: a stuck stop, named
