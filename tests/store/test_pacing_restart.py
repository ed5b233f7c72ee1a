"""The predictive pacer's estimates and budget survive a restart with the store (memory and
Redis): what a restored campaign paces with is what the stopped one had learned."""

from __future__ import annotations

from random import Random

from acd.checkpoint import Collector, restore
from acd.reporting.calendar import calendar_for
from acd.simulate import build, sim_epoch
from acd.store.memory import MemoryStore
from acd.store.redis import RedisStore
from dialer.center import Center
from dialer.pacing import Predictive
from dialer.scenarios import outbound_scenario


async def test_estimates_and_budget_come_back_as_they_were(store: MemoryStore | RedisStore) -> None:
    cfg = outbound_scenario(20, 0.4, talk=90.0, hours=1.0, seed=3)
    core, _, driver = build(cfg)
    assert isinstance(core, Center)
    col = Collector(core)
    for seq, t in enumerate(range(300, 1801, 300), start=1):
        driver.run(float(t), drain=False)
        assert await store.apply(col.collect(seq, float(t), kpis=t % 600 == 0))
    now = 1800.0
    old = core.campaigns["c"]
    old_est, old_pacer = old.est.snapshot(), old.pacer
    assert isinstance(old_pacer, Predictive)
    # Learned, not the priors: a 0.4 answer rate and a budget that has seen drops predicted.
    assert abs(old.est.p_human.value - 0.4) < 0.1 and old_est["handles"] > 100
    assert old_pacer.drops_predicted > 3.0

    assert cfg.simulation is not None
    cal = calendar_for(cfg, epoch=sim_epoch(cfg.simulation))  # the scenario's dates, as build's
    fresh = Center(cfg, rng=Random(1), day_end=cfg.simulation.hours * 3600, calendar=cal)
    restore(fresh, await store.load(), now)
    new = fresh.campaigns["c"]
    assert isinstance(new.pacer, Predictive)
    assert new.est.snapshot() == old_est
    assert new.est.p_human.value == old.est.p_human.value
    assert new.est.talk.completed().mean == old.est.talk.completed().mean
    assert new.est.wrap.frozen().mean == old.est.wrap.frozen().mean
    assert new.pacer.state() == old_pacer.state()
    assert new.pacer.calibration() == old_pacer.calibration()
    assert (new.day_answers, new.day_drops) == (old.day_answers, old.day_drops)
