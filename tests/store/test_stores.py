"""Both stores keep the same promises: the same tests run against memory and a real Redis."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd.errors import StaleLeader
from acd.store.batch import Batch
from acd.store.memory import MemoryStore
from acd.store.redis import RedisStore
from tests.redis_server import RedisServer

Store = MemoryStore | RedisStore
DAY = 86400.0
T0 = 1_793_000_000.0  # 2026-10-26


async def new_token(store: Store) -> int:
    if isinstance(store, MemoryStore):
        return store.new_token()
    return int(await store.client.incr(store.prefix + "fence"))


def rec(call_id: str, ended: float | None, **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"call_id": call_id, "queue": "sales", "outcome": "answered", **extra}
    if ended is not None:
        r["ended"] = ended
    return r


def lead(lead_id: str, nxt: float | None, *, done: bool = False) -> dict[str, Any]:
    return {
        "lead": {"lead_id": lead_id, "phone": "+12025550100", "name": "Ann", "priority": 0},
        "state": {"attempts": 0, "next_attempt_at": nxt, "done": done},
    }


async def all_records(store: Store) -> list[dict[str, Any]]:
    return [r async for r in store.records(0.0, 1e12)]


async def test_every_batch_field_round_trips(store: Store) -> None:
    b1 = Batch(
        seq=1,
        records=[rec("c1", T0 + 10.25, abandoned_2s=False, transfers=1)],
        leads={"camp": {"L1": lead("L1", T0), "L2": lead("L2", None, done=True)}},
        dnc={"+12025550111": {"source": "agent", "at": T0}, "+12025550112": {"source": "x"}},
        sessions={"alice": {"state": "ready", "skills": {"sales": 5}, "since": T0}, "bob": {}},
        abandon={"camp": [(T0, 10, 1), (T0 + 60, 7, 0)]},
        kpis={"day": "2026-10-26", "queues": {"sales": {"offered": 3}}, "agents": {}},
        campaigns={"camp": {"paused": False}},
        intervals=[ivrow("queue", "sales", "2026-10-26", T0, offered=3) | {"waiting": 1}],
        intervals_from="2026-09-20",
    )
    b2 = Batch(
        seq=2,
        leads={"camp": {"L1": {"state": {"attempts": 1, "next_attempt_at": T0 + 600.5}}}},
        dnc={"+12025550112": None},
        sessions={"bob": None},
        abandon={"camp": [(T0 + 60, 8, 1)]},
        kpis={"day": "2026-10-25", "queues": {}, "agents": {}},  # an older day: not the latest
        campaigns={"camp": {"paused": True, "note": "lunch"}, "other": {"paused": False}},
    )
    assert await store.apply(b1) is True
    assert await store.apply(b2) is True
    s = await store.load()
    assert s.last_seq == 2
    assert s.leads == {
        "camp": {
            "L1": {
                "lead": b1.leads["camp"]["L1"]["lead"],
                "state": {"attempts": 1, "next_attempt_at": T0 + 600.5},
            },
            "L2": b1.leads["camp"]["L2"],
        }
    }
    assert s.dnc == {"+12025550111": {"source": "agent", "at": T0}}
    assert s.sessions == {"alice": b1.sessions["alice"]}
    assert s.abandon == {"camp": [(T0, 10, 1), (T0 + 60, 8, 1)]}
    assert s.kpis == b1.kpis
    assert s.campaigns == {"camp": {"paused": True, "note": "lunch"}, "other": {"paused": False}}
    assert s.intervals == b1.intervals
    assert await all_records(store) == b1.records


async def test_empty_store_loads_empty(store: Store) -> None:
    s = await store.load()
    assert (s.last_seq, s.leads, s.dnc, s.sessions, s.abandon, s.kpis, s.campaigns) == (
        0,
        {},
        {},
        {},
        {},
        None,
        {},
    )
    assert s.intervals == [] and await store.load_intervals("0000-01-01", "9999-12-31") == []
    assert await store.next_lead("camp", T0) is None


async def test_a_batch_is_applied_exactly_once(store: Store) -> None:
    assert await store.apply(Batch(seq=5, records=[rec("a", T0)]))
    assert not await store.apply(Batch(seq=5, records=[rec("again", T0)]))
    assert not await store.apply(Batch(seq=3, records=[rec("older", T0)]))
    assert (
        await store.apply_many([Batch(seq=s, records=[rec(f"m{s}", T0 + s)]) for s in (4, 5, 6, 7)])
        == 2
    )
    assert [r["call_id"] for r in await all_records(store)] == ["a", "m6", "m7"]
    assert (await store.load()).last_seq == 7


async def test_a_stale_fencing_token_is_refused_and_writes_nothing(store: Store) -> None:
    with pytest.raises(StaleLeader) as err:
        await store.apply(Batch(seq=1, records=[rec("x", T0)]), token=1)
    assert err.value.code == "stale_leader"
    old = await new_token(store)
    assert await store.apply(Batch(seq=1, records=[rec("a", T0)]), token=old)
    new = await new_token(store)
    assert new > old
    with pytest.raises(StaleLeader) as err:
        await store.apply(Batch(seq=2, records=[rec("stale", T0)], dnc={"+1": {}}), token=old)
    assert (err.value.token, err.value.current) == (old, new)
    assert await store.apply(Batch(seq=2, records=[rec("b", T0)]), token=new)
    assert [r["call_id"] for r in await all_records(store)] == ["a", "b"]
    assert (await store.load()).dnc == {}


async def test_next_lead_is_the_earliest_due_and_done_leads_leave(store: Store) -> None:
    leads = {"c": lead("c", T0 + 30), "a": lead("a", T0 + 10), "b": lead("b", T0 + 10)}
    leads["n"] = lead("n", None)
    await store.apply(Batch(seq=1, leads={"camp": leads, "other": {"z": lead("z", 0.0)}}))
    assert await store.next_lead("camp", T0) is None  # nothing due yet
    assert await store.next_lead("camp", T0 + 10) == "a"  # same time: smaller id
    assert await store.next_lead("nope", T0 + 10) is None
    await store.apply(Batch(seq=2, leads={"camp": {"a": {"state": {"next_attempt_at": T0 + 99}}}}))
    assert await store.next_lead("camp", T0 + 50) == "b"
    await store.apply(
        Batch(seq=3, leads={"camp": {"b": {"state": {"next_attempt_at": T0, "done": True}}}})
    )
    assert await store.next_lead("camp", T0 + 50) == "c"
    await store.apply(Batch(seq=4, leads={"camp": {"c": {"state": {"next_attempt_at": None}}}}))
    assert await store.next_lead("camp", T0 + 50) is None
    assert await store.next_lead("camp", T0 + 99) == "a"
    assert await store.next_lead("other", T0) == "z"


async def test_records_by_date_range_are_exact_and_ordered_with_late_replays(store: Store) -> None:
    await store.apply(
        Batch(seq=1, records=[rec("d1-a", T0 + 5), rec("d1-b", T0 + 7), rec("d2-a", T0 + DAY)])
    )
    # A spooled batch replayed hours later: calls that ended on day 1, before the ones above
    # and 30 s after, and one without an end time (filed by its offer time).
    await store.apply(
        Batch(
            seq=2,
            records=[
                rec("d1-early", T0 + 1),
                rec("d1-30s", T0 + 7.5),
                rec("d1-noend", None, offered=T0 + 6),
                rec("d1-last-ms", T0 + DAY - 0.001),
            ],
        )
    )
    await store.apply(Batch(seq=3, records=[rec("d2-b", T0 + DAY + 1), rec("d0", T0 - 1)]))
    day1 = [r["call_id"] async for r in store.records(T0, T0 + DAY)]
    assert day1 == ["d1-early", "d1-a", "d1-noend", "d1-b", "d1-30s", "d1-last-ms"]
    day2 = [r["call_id"] async for r in store.records(T0 + DAY, T0 + 2 * DAY)]
    assert day2 == ["d2-a", "d2-b"]
    assert [r["call_id"] async for r in store.records(T0 + 5, T0 + 7)] == ["d1-a", "d1-noend"]
    assert [r["call_id"] async for r in store.records(T0 - 1, T0)] == ["d0"]
    assert len(await all_records(store)) == 9


async def test_trim_removes_exactly_the_records_before_the_cutoff(store: Store) -> None:
    await store.apply(Batch(seq=1, records=[rec(f"r{i}", T0 + i * 10) for i in range(10)]))
    await store.apply(Batch(seq=2, records=[rec("late", T0 + 15), rec("late2", T0 + 45)]))
    assert await store.trim_records(T0 + 45) == 6  # r0..r4 (0..40 s) and late (15 s)
    ids = [r["call_id"] for r in await all_records(store)]
    assert ids == ["late2", "r5", "r6", "r7", "r8", "r9"]
    assert await store.trim_records(T0 + 45) == 0
    assert await store.trim_records(T0 + 1000) == 6
    await store.apply(Batch(seq=3, records=[rec("new", T0 + 2000)]))
    assert [r["call_id"] for r in await all_records(store)] == ["new"]


async def test_abandonment_buckets_older_than_30_days_are_dropped(store: Store) -> None:
    await store.apply(Batch(seq=1, abandon={"c": [(T0, 5, 1), (T0 + 60, 3, 0)]}))
    await store.apply(Batch(seq=2, abandon={"c": [(T0 + 30 * DAY + 30, 1, 1)]}))
    assert (await store.load()).abandon == {"c": [(T0 + 60, 3, 0), (T0 + 30 * DAY + 30, 1, 1)]}


def ivrow(group: str, name: str, day: str, start: float, **counts: Any) -> dict[str, Any]:
    return {
        "group": group,
        "name": name,
        "date": day,
        "start": start,
        "local": "x",
        "minutes": 15,
        "counts": counts,
    }


async def test_interval_rows_are_kept_per_date_replaced_whole_and_pruned(store: Store) -> None:
    d1, d2, d3 = "2026-10-25", "2026-10-26", "2026-10-27"
    await store.apply(
        Batch(
            seq=1,
            intervals=[
                ivrow("queue", "sales", d1, T0 - DAY, offered=4),
                ivrow("agent", "ann", d1, T0 - DAY, answered=1),
                ivrow("queue", "sales", d2, T0, offered=1) | {"waiting": 1},
                ivrow("queue", "sales", d2, T0 + 900.5, offered=2),
            ],
            intervals_from=d1,
        )
    )
    # The same (date, group, name, start) again: the new row replaces the old one.
    await store.apply(
        Batch(seq=2, intervals=[ivrow("queue", "sales", d2, T0, offered=3) | {"waiting": 0}])
    )
    assert (await store.load()).intervals == [
        ivrow("queue", "sales", d2, T0, offered=3) | {"waiting": 0},
        ivrow("queue", "sales", d2, T0 + 900.5, offered=2),
    ]
    got = await store.load_intervals(d1, d2)
    assert [(r["date"], r["group"], r["counts"]) for r in got] == [
        (d1, "agent", {"answered": 1}),
        (d1, "queue", {"offered": 4}),
        (d2, "queue", {"offered": 3}),
        (d2, "queue", {"offered": 2}),
    ]
    assert [r["date"] for r in await store.load_intervals(d2, d3)] == [d2, d2]
    assert await store.load_intervals(d3, d3) == []
    assert await store.load_intervals(d2, d1) == []
    # A new day's first batch says which dates to keep: the older ones go.
    await store.apply(
        Batch(seq=3, intervals=[ivrow("agent", "ann", d3, T0 + DAY)], intervals_from=d2)
    )
    assert [r["date"] for r in await store.load_intervals("0000-01-01", "9999-12-31")] == [
        d2,
        d2,
        d3,
    ]
    assert [r["name"] for r in (await store.load()).intervals] == ["ann"]
    if isinstance(store, RedisStore):  # the dropped date's hash is gone, not just unlisted
        assert not await store.client.exists(store.prefix + "iv:" + d1)


async def test_interval_rows_are_read_by_group_and_exact_name(store: Store) -> None:
    day = "2026-10-26"
    names = ["a*b", "axb", "a?b", "[ab]", "a", "a|b"]
    rows = [ivrow(g, n, day, T0 + i) for i, n in enumerate(names) for g in ("queue", "agent")]
    await store.apply(Batch(seq=1, intervals=rows))
    for n in names:
        got = await store.load_intervals(day, day, group="queue", name=n)
        assert [(r["group"], r["name"]) for r in got] == [("queue", n)], n
    agents = await store.load_intervals(day, day, group="agent")
    assert sorted(r["name"] for r in agents) == sorted(names)
    assert len(await store.load_intervals(day, day, name="a")) == 2


async def test_interval_rows_in_a_replayed_batch_are_applied_once(store: Store) -> None:
    b = Batch(seq=1, intervals=[ivrow("queue", "q", "2026-10-26", T0, offered=1)])
    assert await store.apply(b)
    later = Batch(seq=2, intervals=[ivrow("queue", "q", "2026-10-26", T0, offered=2)])
    assert await store.apply(later)
    assert not await store.apply(b)  # the spool replays an old batch: skipped by its seq
    rows = await store.load_intervals("2026-10-26", "2026-10-26")
    assert [r["counts"]["offered"] for r in rows] == [2]


# --- property: the Redis store files and returns records exactly as the in-memory model does ---

times = st.floats(min_value=T0 - 3 * 3600, max_value=T0 + 3 * 3600, allow_nan=False)
_examples = itertools.count()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(st.lists(st.one_of(times, st.none()), max_size=8), min_size=1, max_size=6),
    bounds=st.lists(times, min_size=2, max_size=2).map(sorted),
    cutoff=times,
)
def test_redis_records_match_the_model(
    redis_server: RedisServer, batches: list[list[float | None]], bounds: list[float], cutoff: float
) -> None:
    async def run() -> None:
        model = MemoryStore()
        real = RedisStore(redis_server.url, f"prop{next(_examples)}:")
        n = 0
        for seq, ends in enumerate(batches, 1):
            recs = []
            for t in ends:
                n += 1
                recs.append(rec(f"r{n}", t))
            b = Batch(seq=seq, records=recs)
            await model.apply(b)
            await real.apply(b)
        start, end = bounds
        want = [r async for r in model.records(start, end)]
        assert [r async for r in real.records(start, end)] == want
        assert await real.trim_records(cutoff) == await model.trim_records(cutoff)
        assert await all_records(real) == await all_records(model)
        await real.close()

    asyncio.run(run())


records_st = st.dictionaries(
    st.sampled_from(["call_id", "queue", "ended", "abandoned_2s", "transfers", "x"]),
    st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=5), times),
)


@given(
    st.builds(
        Batch,
        seq=st.integers(1, 2**53),
        records=st.lists(records_st, max_size=3),
        dnc=st.dictionaries(
            st.text(min_size=1, max_size=4),
            st.one_of(st.none(), st.fixed_dictionaries({"source": st.text(), "at": times})),
        ),
        abandon=st.dictionaries(
            st.text(min_size=1, max_size=4),
            st.lists(st.tuples(times, st.integers(0, 999), st.integers(0, 999)), max_size=3),
        ),
        intervals=st.lists(
            st.builds(
                ivrow,
                st.sampled_from(["queue", "agent"]),
                st.text(max_size=4),
                st.just("2026-10-26"),
                times,
            ),
            max_size=3,
        ),
        intervals_from=st.one_of(st.none(), st.just("2026-10-01")),
    )
)
def test_batch_json_round_trip(batch: Batch) -> None:
    assert Batch.from_json(json.loads(json.dumps(batch.to_json()))) == batch


async def test_redis_reloads_its_script_after_a_server_forgot_it(redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url, "flush:")
    await store.connect()
    try:
        await store.client.script_flush()  # what a restart does to the script cache
        assert await store.apply(Batch(seq=1, records=[rec("a", T0)]))
        await store.client.script_flush()
        assert (
            await store.apply_many([Batch(seq=s, records=[rec(f"m{s}", T0)]) for s in (1, 2)]) == 1
        )
        assert [r["call_id"] for r in await all_records(store)] == ["a", "m2"]
    finally:
        await store.close()
