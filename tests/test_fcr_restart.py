"""First-contact resolution across a restart: the index of recent callers goes to the store
with each batch and comes back, so a caller who calls again after a restart (the same day or
the next) fails the first contact made before it, exactly as without the restart, and the
stored row of that earlier day is written again."""

from __future__ import annotations

import asyncio
from datetime import datetime
from random import Random
from zoneinfo import ZoneInfo

from acd import events as ev
from acd.checkpoint import Collector, restore
from acd.config.schema import Config
from acd.engine import Engine
from acd.reporting.calendar import calendar_for
from acd.store.memory import MemoryStore
from tests.helpers import Clock, config

NY = ZoneInfo("America/New_York")
CODES = ["fixed", {"name": "open", "resolved": False}]


def at(d: int, h: int) -> float:
    return datetime(2026, 3, d, h, tzinfo=NY).timestamp()


def cfg() -> Config:
    return config(
        [{"name": "q", "dispositions": CODES}],
        [{"id": "a1"}],
        center={"time_zone": "America/New_York"},
        fcr={"window_hours": 72},
    )


def live(now: float) -> Clock:
    engine = Engine(cfg(), rng=Random(1), calendar=calendar_for(cfg()))
    clock = Clock(engine, now)
    clock.advance(0.0)
    clock.do(ev.AgentLogin("a1"))
    return clock


def call(c: Clock, cid: str, caller: str, code: str = "fixed") -> None:
    c.do(ev.CallArrived(cid, "q", caller=caller))
    c.do(ev.AgentAnswered(cid, "a1"))
    c.do(ev.SetDisposition("a1", code))
    c.advance(60)
    c.do(ev.CallHungUp(cid, "caller"))
    c.advance(60)


def rows_of(store: MemoryStore, day: str) -> dict[str, int]:
    rows = asyncio.run(store.load_intervals(day, day, group="queue", name="q"))
    return {
        "first_contacts": sum(r["counts"]["first_contacts"] for r in rows),
        "fcr_failed": sum(r["counts"]["fcr_failed"] for r in rows),
    }


def day_one(store: MemoryStore) -> None:
    c = live(at(2, 10))
    col = Collector(c.core)
    call(c, "c1", "+12125550101")  # a first contact, resolved
    call(c, "c2", "+12125550102")  # another
    asyncio.run(store.apply(col.collect(1, c.now, kpis=True)))


def test_a_repeat_the_next_day_after_a_restart_fails_yesterdays_first_contact() -> None:
    store = MemoryStore()
    day_one(store)
    assert rows_of(store, "2026-03-02") == {"first_contacts": 2, "fcr_failed": 0}
    # The daemon restarts the next morning and the first caller calls again.
    c = live(at(3, 9))
    counts = restore(c.core, asyncio.run(store.load()), c.now)
    assert counts["contacts"] == 2
    col = Collector(c.core)
    call(c, "c3", "+12125550101")
    asyncio.run(store.apply(col.collect(2, c.now, kpis=True)))
    assert rows_of(store, "2026-03-02") == {"first_contacts": 2, "fcr_failed": 1}
    assert rows_of(store, "2026-03-03") == {"first_contacts": 0, "fcr_failed": 0}  # a repeat


def test_the_same_day_after_a_restart_counts_as_without_one() -> None:
    def run(restart: bool) -> dict[str, object]:
        store = MemoryStore()
        c = live(at(2, 10))
        col = Collector(c.core)
        call(c, "c1", "+12125550101")
        call(c, "c2", "+12125550102", code="open")
        asyncio.run(store.apply(col.collect(1, c.now, kpis=True)))
        if restart:
            now = c.now
            c = live(now)
            restore(c.core, asyncio.run(store.load()), now)
            col = Collector(c.core)
        call(c, "c3", "+12125550101")  # c1 repeated
        call(c, "c4", "+12125550102")  # c2 was coded open already: no change
        call(c, "c5", "+12125550103")  # a new first contact
        asyncio.run(store.apply(col.collect(2, c.now, kpis=True)))
        k = c.core.engine.report(c.now)["queues"]["q"]
        return {"kpis": (k["first_contacts"], k["fcr"]), "rows": rows_of(store, "2026-03-02")}

    assert (
        run(restart=True)
        == run(restart=False)
        == {
            "kpis": (3, 1 / 3),
            "rows": {"first_contacts": 3, "fcr_failed": 2},
        }
    )


def test_contacts_leave_the_store_with_the_window() -> None:
    store = MemoryStore()
    day_one(store)
    assert len(asyncio.run(store.load()).contacts) == 2
    c = live(at(6, 10))  # four days on: past the 72-hour window
    restore(c.core, asyncio.run(store.load()), c.now)
    col = Collector(c.core)
    call(c, "c9", "+12125550109")  # an arrival prunes what the window has left behind
    asyncio.run(store.apply(col.collect(2, c.now, kpis=True)))
    assert [x["call_id"] for x in asyncio.run(store.load()).contacts] == ["c9"]
