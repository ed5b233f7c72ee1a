"""The index of recent first contacts on a real Redis: written with the batches, read back at
start with the rows of the days it counts in, and gone when it leaves the window."""

from __future__ import annotations

import asyncio

from acd.checkpoint import Collector, restore
from acd.store.redis import RedisStore
from tests.redis_server import RedisServer
from tests.test_fcr_restart import at, call, live


async def _rows(store: RedisStore, day: str) -> tuple[int, int]:
    rows = await store.load_intervals(day, day, group="queue", name="q")
    counts = [r["counts"] for r in rows]
    return sum(c["first_contacts"] for c in counts), sum(c["fcr_failed"] for c in counts)


def test_a_repeat_after_a_restart_on_redis(redis_server: RedisServer) -> None:
    async def run() -> None:
        store = RedisStore(redis_server.url, "fcr:")
        c = live(at(2, 10))
        col = Collector(c.core)
        call(c, "c1", "+12125550101")
        call(c, "c2", "+12125550102")
        await store.apply(col.collect(1, c.now, kpis=True))
        state = await store.load()
        assert sorted(x["call_id"] for x in state.contacts) == ["c1", "c2"]
        assert "+1212" not in str(state.contacts)  # callers are kept only as hashes
        c = live(at(3, 9))  # restarted the next morning
        assert restore(c.core, state, c.now)["contacts"] == 2
        col = Collector(c.core)
        call(c, "c3", "+12125550101")
        await store.apply(col.collect(2, c.now, kpis=True))
        assert await _rows(store, "2026-03-02") == (2, 1)
        c = live(at(6, 10))  # past the window: the index empties as calls come
        restore(c.core, await store.load(), c.now)
        col = Collector(c.core)
        call(c, "c9", "+12125550109")
        await store.apply(col.collect(3, c.now, kpis=True))
        assert [x["call_id"] for x in (await store.load()).contacts] == ["c9"]
        await store.close()

    asyncio.run(run())
