"""Pending callbacks outlive a restart, on the memory store and a real Redis: they come back in
their places (ahead of callers who arrive after the restart), one being dialed at the crash is
closed as interrupted and never dialed again, and each callback ends with exactly one record.

The reference is the list of requests the test made, not the engine's counters."""

from __future__ import annotations

from random import Random

from acd import events as ev
from acd.checkpoint import Collector, restore
from acd.commands import Originate
from acd.config.schema import Config
from acd.engine import Engine
from acd.reporting.calendar import calendar_for
from acd.store.memory import MemoryStore
from acd.store.redis import RedisStore
from tests.helpers import Clock, config
from tests.test_fcr_restart import at


def cfg() -> Config:
    return config(
        [{"name": "q", "callback": {"retries": 1, "retry_seconds": 60}}],
        [{"id": "a1"}],
        center={"time_zone": "America/New_York"},
    )


def live(now: float) -> Clock:
    engine = Engine(cfg(), rng=Random(1), calendar=calendar_for(cfg()))
    clock = Clock(engine, now)
    clock.advance(0.0)
    clock.do(ev.AgentLogin("a1"))
    return clock


def dials(c: Clock) -> list[Originate]:
    return [x for x in c.out if isinstance(x, Originate)]


async def test_callbacks_come_back_in_their_places_after_a_restart(
    store: MemoryStore | RedisStore,
) -> None:
    c = live(at(2, 10))
    col = Collector(c.core)
    c.do(ev.CallArrived("busy", "q", caller="+12125550100"))
    c.do(ev.AgentAnswered("busy", "a1"))
    for i in (1, 2, 3):
        c.advance(5)
        c.do(ev.CallArrived(f"c{i}", "q", caller=f"+1212555010{i}"))
        c.do(ev.CallbackRequested(f"c{i}"))
        c.do(ev.CallHungUp(f"c{i}", "caller"))
    c.advance(5)
    c.do(ev.CallHungUp("busy", "caller"))  # a1 free: c1's callback is dialed
    assert [d.call_id for d in dials(c)] == ["c1.cb1"]
    await store.apply(col.collect(1, c.now, kpis=True))
    state = await store.load()
    assert sorted(x["id"] for x in state.callbacks) == ["c1", "c2", "c3"]

    # The daemon dies while c1.cb1 rings; a new one starts on the same store.
    c = live(c.now + 30)
    col = Collector(c.core)
    after: list = []
    c.core.cdr_sink = lambda r: (after.append(r), col._cdrs.append(r))  # type: ignore[func-returns-value]
    counts = restore(c.core, state, c.now)
    assert (counts["callbacks_pending"], counts["callbacks_interrupted"]) == (2, 1)
    c.advance(0)  # the driver's first timer, due at once
    c.do(ev.CallArrived("new", "q", caller="+12125550199"))  # arrives after the restart
    c.advance(1)
    assert [d.call_id for d in dials(c)] == ["c2.cb1"]  # c2 keeps its place ahead of "new"
    assert not any(d.call_id.startswith("c1.") for d in dials(c))  # never dialed twice
    c.do(ev.OutboundAnswered("c2.cb1"))
    c.advance(60)
    c.do(ev.CallHungUp("c2.cb1", "caller"))
    c.advance(1)
    assert [d.call_id for d in dials(c)] == ["c2.cb1", "c3.cb1"]
    await store.apply(col.collect(2, c.now, kpis=True))
    left = await store.load()
    assert [x["id"] for x in left.callbacks] == ["c3"]  # c3 is being dialed now
    by_outcome = {(r.callback_of, r.outcome) for r in after if r.callback_of}
    assert by_outcome == {("c1", "callback_interrupted"), ("c2", "answered")}
