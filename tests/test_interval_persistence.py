"""Interval rows and today's figures through a store and back, as the daemon keeps them: engine
time is Unix time, days are the center's business days (not UTC dates)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from random import Random
from zoneinfo import ZoneInfo

import pytest

from acd import events as ev
from acd.checkpoint import Collector, book_rows, first_kept, restore
from acd.config.schema import Config, Simulation
from acd.engine import Engine
from acd.reporting.calendar import BusinessCalendar, calendar_for
from acd.simulate import sim_epoch
from acd.store.batch import Batch, StoredState
from acd.store.memory import MemoryStore
from tests.helpers import Clock, config

NY = ZoneInfo("America/New_York")


def at(y: int, mo: int, d: int, h: int, mi: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=NY).timestamp()


def center_config() -> Config:
    return config(
        [{"name": "q", "skills": {"s": 1}, "wrap_up_seconds": 10}],
        [{"id": "a1", "skills": {"s": 1}}, {"id": "a2", "skills": {"s": 1}}],
        center={"time_zone": "America/New_York"},
    )


def live(cfg: Config, now: float) -> Clock:
    """A core as the daemon builds it (engine time = Unix time), its agents logged in."""
    engine = Engine(cfg, rng=Random(1), calendar=calendar_for(cfg))
    clock = Clock(engine, now)
    clock.advance(0.0)  # the first interval tick: today begins
    for a in cfg.agents:
        clock.do(ev.AgentLogin(a.id))
    return clock


def stored(store: MemoryStore) -> StoredState:
    return asyncio.run(store.load())


def apply(store: MemoryStore, batch: Batch) -> None:
    asyncio.run(store.apply(batch))


def test_every_time_in_an_interval_gets_the_same_start_with_a_simulation_epoch() -> None:
    # Engine time 0 is a scenario's 09:00: the start of an interval must not depend on which
    # time in it asked (one interval, one row), whichever order the times come in.
    epoch = sim_epoch(Simulation(start="09:00"))
    times = [900.0 + i * 0.37 for i in range(4000)]  # 900 to 2380 s
    forward = BusinessCalendar("America/New_York", epoch=epoch)
    starts = {forward.interval(t) for t in times}
    backward = BusinessCalendar("America/New_York", epoch=epoch)
    starts |= {backward.interval(t) for t in reversed(times)}
    assert starts == {900.0, 1800.0}


def test_collected_rows_say_how_many_calls_still_wait_and_a_restore_takes_them_out() -> None:
    cfg = center_config()
    t0 = at(2026, 3, 2, 10, 0)
    c = live(cfg, t0 + 60)
    col = Collector(c.core)
    store = MemoryStore()
    for cid in ("c1", "c2", "c3", "c4"):
        c.do(ev.CallArrived(cid, "q"))
    c.do(ev.AgentAnswered("c1", "a1"))
    c.do(ev.AgentAnswered("c2", "a2"))
    c.advance(30)
    c.do(ev.CallHungUp("c1", "caller"))  # a1 goes to wrap-up; c3 and c4 still wait
    apply(store, col.collect(1, c.now, kpis=True))
    rows = stored(store).intervals
    queue_rows = [r for r in rows if r["group"] == "queue"]
    assert [(r["name"], r["start"], r["waiting"]) for r in queue_rows] == [("q", t0, 2)]
    assert queue_rows[0]["counts"]["offered"] == 4 and queue_rows[0]["date"] == "2026-03-02"
    # a1's talk so far; a2 has spent no time yet (logged in, rang and answered at one instant).
    assert {r["name"] for r in rows if r["group"] == "agent"} == {"a1"}

    # The daemon crashes; a new one starts five minutes later, the same business day.
    fresh = Engine(cfg, rng=Random(1), calendar=calendar_for(cfg))
    counts = restore(fresh, stored(store), c.now + 300)
    assert counts["intervals"] == len(rows) and counts["kpis"] == 1
    row = fresh.book.queue_rows[(t0, "q")]
    assert row.key == ("queue", t0, "q")  # as the book makes them: later calls count in it
    # The two calls cut by the crash are out of the row and of the day (the adapter enters
    # again those still up); what ended stays.
    assert (row.offered, row.answered, row.handled) == (2, 2, 1)
    day = fresh.queues["q"].stats
    assert (day.offered, day.answered, day.handled, day.talk_sum) == (2, 2, 1, 30.0)
    assert fresh.agents["a1"].stats.talk_seconds == 30.0
    # The corrected row is written again, without the cut calls.
    again = Collector(fresh).collect(2, c.now + 300, kpis=True)
    queue_again = [r for r in again.intervals if r["group"] == "queue"]
    assert [(r["name"], r["counts"]["offered"], r["waiting"]) for r in queue_again] == [("q", 2, 0)]


def test_today_is_the_centers_business_day_not_the_utc_date() -> None:
    cfg = center_config()
    evening = at(2026, 3, 2, 18, 40)  # 23:40 UTC
    c = live(cfg, evening)
    col = Collector(c.core)
    store = MemoryStore()
    c.do(ev.CallArrived("c1", "q"))
    c.do(ev.AgentAnswered("c1", "a1"))
    c.advance(20)
    c.do(ev.CallHungUp("c1", "caller"))
    first = col.collect(1, c.now)
    assert first.intervals_from == first_kept("2026-03-02", cfg.reporting.retention_days)
    apply(store, first)
    c.advance(10)  # wrap-up ends
    b = col.collect(2, c.now, kpis=True)
    assert b.kpis is not None and b.kpis["day"] == "2026-03-02"
    # The wrap-up that ended after the call is in the queue's row too (it was marked changed).
    (row,) = [r for r in b.intervals if r["group"] == "queue"]
    assert (row["counts"]["talk_sum"], row["counts"]["wrap_sum"]) == (20.0, 10.0)
    assert b.intervals_from is None  # sent once a day
    apply(store, b)

    def restored_at(t: float) -> tuple[int, int]:
        fresh = Engine(cfg, rng=Random(1), calendar=calendar_for(cfg))
        restore(fresh, stored(store), t)
        return fresh.queues["q"].stats.offered, len(fresh.book.queue_rows)

    # 19:30 in New York is the next UTC date: still the same business day.
    assert restored_at(at(2026, 3, 2, 19, 30)) == (1, 1)
    # Past midnight in New York: a new day starts from nothing.
    assert restored_at(at(2026, 3, 3, 0, 5)) == (0, 0)


def test_a_center_whose_day_starts_at_six_keeps_the_night_in_the_previous_day() -> None:
    cfg = center_config().model_copy(
        update={"center": center_config().center.model_copy(update={"day_starts": "06:00"})}
    )
    night = at(2026, 3, 3, 3, 0)  # 03:00 on the 3rd: the business day of the 2nd
    c = live(cfg, night)
    col = Collector(c.core)
    c.do(ev.CallArrived("c1", "q"))
    b = col.collect(1, c.now, kpis=True)
    assert b.kpis is not None and b.kpis["day"] == "2026-03-02"
    assert {r["date"] for r in b.intervals} == {"2026-03-02"}
    store = MemoryStore()
    apply(store, b)
    fresh = Engine(cfg, rng=Random(1), calendar=calendar_for(cfg))
    assert restore(fresh, stored(store), at(2026, 3, 3, 5, 50))["intervals"] > 0
    fresh = Engine(cfg, rng=Random(1), calendar=calendar_for(cfg))
    assert restore(fresh, stored(store), at(2026, 3, 3, 6, 0))["intervals"] == 0


def test_the_book_serves_the_same_rows_the_store_holds() -> None:
    cfg = center_config()
    t0 = at(2026, 3, 2, 10, 0)
    c = live(cfg, t0 + 100)
    col = Collector(c.core)
    store = MemoryStore()
    for i in range(12):
        c.do(ev.CallArrived(f"c{i}", "q"))
        c.advance(200)
        apply(store, col.collect(i + 1, c.now, kpis=True))
    day = "2026-03-02"
    want = asyncio.run(store.load_intervals(day, day))
    got = book_rows(c.core.engine, day, day)
    key = lambda r: (r["group"], r["name"], r["start"])  # noqa: E731
    assert sorted(got, key=key) == sorted(want, key=key)
    assert len({(r["group"], r["start"]) for r in got if r["group"] == "queue"}) == 3


@pytest.mark.parametrize("days", [1, 30])
def test_first_kept_date_is_today_less_the_retention(days: int) -> None:
    assert first_kept("2026-03-31", days) == ("2026-03-30" if days == 1 else "2026-03-01")
