"""Nothing lost: the spool survives crashes, the persister survives a Redis outage."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from acd.errors import StaleLeader, StoreUnavailable
from acd.store.batch import Batch
from acd.store.memory import MemoryStore
from acd.store.redis import RedisStore
from acd.store.spool import Spool, SpoolCorrupt
from acd.store.writer import STALE_SECONDS, Persister
from tests.redis_server import RedisServer

T0 = 1_793_000_000.0


def batch(seq: int, per: int = 3) -> Batch:
    return Batch(
        seq=seq,
        records=[{"call_id": f"{seq}.{i}", "ended": T0 + seq + i / 100} for i in range(per)],
        sessions={"alice": {"state": "ready", "seq": seq}},
    )


def test_spool_keeps_batches_in_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.jsonl")
    assert len(spool) == 0 and spool.read() == []
    for s in (1, 2, 3):
        spool.append(batch(s))
    assert [b.seq for b in Spool(spool.path).read()] == [1, 2, 3]
    assert Spool(spool.path).read()[1] == batch(2)
    spool.clear()
    assert len(spool) == 0 and Spool(spool.path).read() == []


def test_a_torn_last_line_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "s.jsonl"
    spool = Spool(path)
    spool.append(batch(1))
    spool.append(batch(2))
    whole = path.read_bytes()
    line3 = json.dumps(batch(3).to_json()).encode()
    path.write_bytes(whole + line3[:25])  # the crash came in the middle of the write
    with caplog.at_level(logging.WARNING, logger="acd.store.spool"):
        reopened = Spool(path)
    assert len(reopened) == 2
    assert "torn last line" in caplog.text and "s.jsonl:3" in caplog.text
    assert path.read_bytes() == whole  # the fragment is gone, so the next append is clean
    reopened.append(batch(4))
    assert [b.seq for b in Spool(path).read()] == [1, 2, 4]


def test_a_whole_last_batch_missing_only_its_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(json.dumps(batch(1).to_json()).encode())
    spool = Spool(path)
    assert len(spool) == 1
    spool.append(batch(2))
    assert [b.seq for b in Spool(path).read()] == [1, 2]


def test_a_bad_line_before_the_last_is_corruption(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"seq": 1}\nnot json\n{"seq": 3}\n')
    with pytest.raises(SpoolCorrupt, match=r"s\.jsonl:2"):
        Spool(path)


class FlakyStore(MemoryStore):
    """A memory store that is down on demand, or that applies a batch and then loses the reply."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.lose_reply = False

    async def ping(self) -> None:
        if self.down:
            raise StoreUnavailable("flaky://", "down")

    async def apply(self, batch: Batch, token: int | None = None) -> bool:
        return await self.apply_many([batch], token) == 1

    async def apply_many(self, batches: Iterable[Batch], token: int | None = None) -> int:
        if self.down:
            raise StoreUnavailable("flaky://", "down")
        n = 0
        for b in batches:
            n += await MemoryStore.apply(self, b, token)
        if self.lose_reply:
            raise StoreUnavailable("flaky://", "reply lost")
        return n


async def ids(store: MemoryStore) -> list[str]:
    return [r["call_id"] async for r in store.records(0, 1e12)]


async def test_after_one_failure_every_batch_goes_to_the_spool_until_recovered(
    tmp_path: Path,
) -> None:
    store = FlakyStore()
    p = Persister(store, tmp_path / "spool.jsonl")
    await p.submit(batch(1))
    store.lose_reply = True  # batch 2 is applied, but the persister cannot know
    await p.submit(batch(2))
    store.lose_reply = False
    assert not p.up
    await p.submit(batch(3))  # the store is fine, but the spool is not empty: order first
    assert (p.applied, p.spooled, len(p.spool)) == (1, 2, 2)
    store.down = True
    assert not await p.recover()
    store.down = False
    assert await p.recover()
    assert p.up and (p.replayed, len(p.spool)) == (2, 0)
    await p.submit(batch(4))
    assert await ids(store) == [f"{s}.{i}" for s in (1, 2, 3, 4) for i in range(3)]
    assert (await store.load()).sessions["alice"]["seq"] == 4


async def test_a_spool_left_by_a_previous_run_is_replayed_first(tmp_path: Path) -> None:
    Spool(tmp_path / "spool.jsonl").append(batch(1))
    store = FlakyStore()
    p = Persister(store, tmp_path / "spool.jsonl")
    assert not p.up
    await p.submit(batch(2))
    assert await ids(store) == []
    p.start()
    try:
        await wait_for(lambda: p.up)
    finally:
        await p.aclose()
    assert await ids(store) == [f"{s}.{i}" for s in (1, 2) for i in range(3)]


async def test_a_new_leader_sets_aside_what_an_earlier_lease_spooled(tmp_path: Path) -> None:
    store = FlakyStore()
    p = Persister(store, tmp_path / "spool.jsonl", token=store.new_token())
    store.down = True
    await p.submit(batch(1))  # spooled under the first lease; then the other node took over
    store.down = False
    token = store.new_token()
    assert await p.new_leadership(token) == 1
    assert p.up and p.token == token and len(p.spool) == 0
    aside = tmp_path / f"spool.jsonl.stale-{token}"
    assert [b.seq for b in Spool(aside).read()] == [1]  # kept for a look, never replayed
    await p.submit(batch(2))
    assert await ids(store) == [f"2.{i}" for i in range(3)]


async def test_a_stale_leader_is_not_spooled(tmp_path: Path) -> None:
    store = MemoryStore()
    token = store.new_token()
    p = Persister(store, tmp_path / "spool.jsonl", token=token)
    await p.submit(batch(1))
    store.new_token()  # another node took over
    with pytest.raises(StaleLeader):
        await p.submit(batch(2))
    assert p.up and len(p.spool) == 0


def test_backoff_grows_to_the_cap_with_jitter(tmp_path: Path) -> None:
    p = Persister(MemoryStore(), tmp_path / "s.jsonl", min_backoff=0.1, max_backoff=5.0)
    delays = [p.backoff(n) for n in range(2000)]
    assert 0.05 <= delays[0] <= 0.1
    assert all(2.5 <= d <= 5.0 for d in delays[10:])
    assert len(set(delays[10:20])) == 10


async def wait_for(cond: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_outage_nothing_lost_nothing_doubled_in_order(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    store = RedisStore(own_redis.url, "acd:", timeout=1.0)
    await store.connect()
    p = Persister(store, tmp_path / "spool.jsonl", min_backoff=0.02, max_backoff=0.5)
    p.start()
    try:
        seq = 0
        for _ in range(40):
            seq += 1
            await p.submit(batch(seq, per=25))
        assert p.up and p.applied == 40
        own_redis.stop()  # mid-run: the next batches find no server
        for _ in range(40):
            seq += 1
            await p.submit(batch(seq, per=25))
        assert not p.up and p.spooled == 40 and len(p.spool) == 40
        own_redis.start()  # same port, the append-only file brings back what was written
        await wait_for(lambda: p.up)
        assert p.replayed == 40 and len(p.spool) == 0
        for _ in range(20):
            seq += 1
            await p.submit(batch(seq, per=25))
    finally:
        await p.aclose()
    raw = await store.client.xrange("acd:cdr", "-", "+")
    got = [json.loads(fields[b"r"])["call_id"] for _, fields in raw]
    want = [f"{s}.{i}" for s in range(1, seq + 1) for i in range(25)]
    assert len(got) == len(want) == 2500
    assert got == want  # none missing, none doubled, in order
    assert [r["call_id"] async for r in store.records(0, 1e12)] == want
    assert (await store.load()).last_seq == seq
    await store.close()


async def test_up_means_the_store_answered_recently_and_the_spool_is_a_separate_figure(
    tmp_path: Path,
) -> None:
    clock = [100.0]
    store = FlakyStore()
    p = Persister(store, tmp_path / "spool.jsonl", clock=lambda: clock[0])
    assert not p.store_up()  # never answered yet
    await p.submit(batch(1))
    assert p.store_up() and len(p.spool) == 0
    clock[0] += STALE_SECONDS + 1  # nothing written since: no answer is recent
    assert not p.store_up()
    assert await p.check()  # the idle health check asks, and it answers
    store.down = True
    assert not await p.check()  # gone while nothing is written: down, with an empty spool
    assert len(p.spool) == 0
    await p.submit(batch(2))
    assert not p.store_up() and len(p.spool) == 1
    store.down = False
    assert await p.check()  # Redis answers again while the spool still waits for its replay
    assert len(p.spool) == 1 and not p.up
    assert await p.recover() and p.store_up() and len(p.spool) == 0
