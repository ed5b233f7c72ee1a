"""Calls a crash cuts, core side: each gets exactly one record after the restore.

A blended center runs and "crashes" between two batches; the calls it had started are counted
from its raw inputs and outputs (every Originate it sent, every inbound arrival it was given),
independently of its counters. After a fresh core is restored from the store and the PBX link
comes up, the store holds one record per started call, none twice, and no call in progress.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from pathlib import Path
from random import Random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from acd import events as ev
from acd.checkpoint import Collector, restore
from acd.commands import Command, Originate
from acd.config.files import load_config
from acd.config.schema import Config
from acd.drivers.virtual import SimulationDriver
from acd.engine import Engine
from acd.records import INTERRUPTED
from acd.reporting.calendar import calendar_for
from acd.simulate import campaign_leads, sim_epoch
from acd.store.batch import Batch
from acd.store.memory import MemoryStore
from dialer.center import Center
from telephony_adapters.simulated import SimulatedTrunk
from tests.helpers import config

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def apply(store: MemoryStore, batch: Batch) -> None:
    asyncio.run(store.apply(batch))


def records(store: MemoryStore) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        return [r async for r in store.records(-math.inf, math.inf)]

    return asyncio.run(read())


def scenario() -> Config:
    cfg = load_config(EXAMPLES / "outbound.yaml")
    assert cfg.simulation is not None
    return cfg.model_copy(update={"simulation": cfg.simulation.model_copy(update={"hours": 2})})


def fresh_center(cfg: Config, prefix: str = "") -> Center:
    assert cfg.simulation is not None
    epoch = sim_epoch(cfg.simulation)
    lead_sources, dnc = campaign_leads(cfg, EXAMPLES, epoch)
    return Center(
        cfg,
        rng=Random(1),
        leads=lead_sources,
        dnc=dnc,
        day_end=cfg.simulation.hours * 3600,
        calendar=calendar_for(cfg, epoch=epoch),
        call_prefix=prefix,  # ids never repeat across restarts, as in the daemon
    )


def run_until_crash(
    cfg: Config, crash: float, every: float
) -> tuple[Center, list[str], MemoryStore, int]:
    """Run the center to ``crash``, a batch written every ``every`` seconds; returns the core,
    the ids of the calls it started (every Originate sent, every inbound arrival given: its raw
    outputs and inputs, not its counters), the store and the last batch's seq."""
    assert cfg.simulation is not None
    core = fresh_center(cfg)
    trunk = SimulatedTrunk(cfg, cfg.simulation, seed=cfg.simulation.seed)
    started: list[str] = []
    execute, handle = trunk.execute, core.handle

    def sent(cmd: Command, now: float) -> None:
        if isinstance(cmd, Originate):
            started.append(cmd.call_id)
        execute(cmd, now)

    def given(event: ev.Event, now: float) -> list[Command]:
        if isinstance(event, ev.CallArrived) and event.direction == "inbound":
            started.append(event.call_id)
        return handle(event, now)

    trunk.execute = sent  # type: ignore[method-assign]
    core.handle = given  # type: ignore[method-assign]
    for a in cfg.agents:
        for cmd in core.handle(ev.AgentLogin(a.id), 0.0):
            trunk.execute(cmd, 0.0)
    driver = SimulationDriver(core, trunk)
    col = Collector(core)
    store = MemoryStore()
    seq, t = 0, 0.0
    while t < crash:
        t = min(t + every, crash)
        driver.run(t, drain=False)
        seq += 1
        apply(store, col.collect(seq, t, kpis=seq % 6 == 0))
    return core, started, store, seq


def settle(cfg: Config, store: MemoryStore, crash: float, seq: int) -> Batch:
    """A fresh core restored from the store, its PBX link up 5 s later: the batch that follows."""
    fresh = fresh_center(cfg, "r2.")
    restore(fresh, asyncio.run(store.load()), crash)
    col = Collector(fresh)
    apply(store, col.collect(seq + 1, crash))
    fresh.handle(ev.TrunkState(True), crash + 5)
    settled = col.collect(seq + 2, crash + 5)
    apply(store, settled)
    return settled


@settings(max_examples=12, deadline=None)
@given(crash=st.floats(10.0, 7000.0), every=st.sampled_from([7.0, 50.0, 300.0]))
def test_whenever_the_crash_comes_each_started_call_has_one_record(
    crash: float, every: float
) -> None:
    cfg = scenario()
    _, started, store, seq = run_until_crash(cfg, crash, every)
    settle(cfg, store, crash, seq)
    got = Counter(r["call_id"] for r in records(store))
    assert set(got) == set(started) and max(got.values(), default=1) == 1
    assert all(k.startswith("r2.") for k in asyncio.run(store.load()).calls)


def test_every_call_started_before_a_crash_has_exactly_one_record_after_the_restore() -> None:
    cfg = scenario()
    crash = 3665.0  # dials ringing, live answers talking, agents in wrap-up
    core, started, store, seq = run_until_crash(cfg, crash, 50.0)
    before = Counter(r["call_id"] for r in records(store))
    cut = set(started) - set(before)
    state = asyncio.run(store.load())
    assert cut and set(state.calls) == cut, "the store holds exactly the calls still going"
    old = core.campaigns["renewals"]
    assert any(e["over"] for e in state.calls.values()), "an agent should be in wrap-up"
    assert old.inflight and any(not e["over"] for e in state.calls.values())

    fresh = fresh_center(cfg, "r2.")
    assert restore(fresh, state, crash)["interrupted"] == len(cut)
    new = fresh.campaigns["renewals"]
    assert new.fig.dialed == old.fig.dialed and new.report(crash, 1, 1)["dialed"] > 0
    col2 = Collector(fresh)
    first = col2.collect(seq + 1, crash)
    assert not first.records, "no record before the PBX link has been checked"
    # The leads being dialled are written again, as the restored book has them (queued).
    assert first.leads and not any(
        "dialing" in e["state"] for leads in first.leads.values() for e in leads.values()
    )
    apply(store, first)
    fresh.handle(ev.TrunkState(True), crash + 5)
    settled = col2.collect(seq + 2, crash + 5)
    apply(store, settled)

    got = Counter(r["call_id"] for r in records(store))
    assert set(got) == set(started) and max(got.values()) == 1
    left = asyncio.run(store.load()).calls
    assert all(k.startswith("r2.") for k in left), "no call of the crash left in progress"
    by_id = {r["call_id"]: r for r in settled.records}
    assert set(by_id) == cut
    for call_id, entry in state.calls.items():
        r = by_id[call_id]
        if entry["over"]:  # the talk was over: its own outcome, the wrap-up cut
            assert r["outcome"] != INTERRUPTED and r["agent_id"]
        else:
            assert r["outcome"] == INTERRUPTED and r["ended"] == crash + 5
        if call_id in old.inflight:
            assert (r["campaign"], r["lead_id"]) == ("renewals", old.inflight[call_id][0])
            assert r["dialed"] == old.inflight[call_id][2]
    talking = [c for c in core.engine.calls.values() if c.handled_by]
    for c in talking:  # what was known of a call cut while talking: arrival, answer, agent
        r = by_id[c.id]
        assert (r["agent_id"], r["answered"], r["offered"]) == (
            c.handled_by,
            c.first_answer,
            c.first_offer,
        )


def test_a_caller_still_waiting_on_the_pbx_is_taken_over_and_gets_one_normal_record() -> None:
    cfg = config(
        [{"name": "q", "skills": {"s": 1}}],
        [{"id": "a1", "skills": {"s": 1}}],
    )
    engine = Engine(cfg, rng=Random(0))
    col = Collector(engine)
    store = MemoryStore()
    engine.handle(ev.CallArrived("u1", "q", caller="+12125550101"), 10.0)
    engine.handle(ev.CallArrived("u2", "q", caller="+12125550102"), 11.0)
    apply(store, col.collect(1, 12.0))

    fresh = Engine(cfg, rng=Random(0))
    assert restore(fresh, asyncio.run(store.load()), 20.0)["interrupted"] == 2
    col2 = Collector(fresh)
    # The resync finds u1 still waiting in our context (same id); u2 hung up meanwhile.
    fresh.handle(ev.CallArrived("u1", "q", caller="+12125550101"), 21.0)
    fresh.handle(ev.TrunkState(True), 21.5)
    b = col2.collect(2, 21.5)
    assert [(r["call_id"], r["outcome"]) for r in b.records] == [("u2", INTERRUPTED)]
    apply(store, b)
    fresh.handle(ev.AgentLogin("a1"), 22.0)
    fresh.handle(ev.AgentAnswered("u1", "a1"), 23.0)
    fresh.handle(ev.CallHungUp("u1", "caller"), 30.0)
    fresh.handle(ev.EndWrapUp("a1"), 31.0)
    apply(store, col2.collect(3, 31.0))
    outcomes = Counter((r["call_id"], r["outcome"]) for r in records(store))
    assert outcomes == {("u1", "answered"): 1, ("u2", INTERRUPTED): 1}
    assert not asyncio.run(store.load()).calls
