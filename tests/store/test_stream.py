"""The batch stream on a real redis-server: what the script appends, and a follower reading it.

A follower (the daemon's standby loop, acd/daemon/standby.py) applies the stream to its core; it
loads the store again when the stream cannot be followed (entries trimmed before it read them,
or a batch too large to stream), and a fenced batch never reaches the stream.
"""

from __future__ import annotations

from typing import Any

import pytest

from acd.checkpoint import restore
from acd.core import Core
from acd.daemon.standby import Follower
from acd.errors import StaleLeader
from acd.store import stream
from acd.store.batch import Batch
from acd.store.lease import Lease
from acd.store.redis import RedisStore
from tests.redis_server import RedisServer
from tests.test_checkpoint import fresh_center, scenario
from tests.test_standby import book_view, dnc_view, leader_batches


@pytest.fixture
async def streamed(redis_server: RedisServer, prefix: str) -> Any:
    s = RedisStore(redis_server.url, prefix, streamed=True)
    await s.connect()
    yield s
    await s.close()


def follower_of(store: RedisStore) -> Follower:
    def build() -> tuple[Core, str]:
        return fresh_center(scenario()), "p."

    return Follower(store, build, store.load)


async def cold(store: RedisStore, now: float) -> Core:
    core = fresh_center(scenario())
    restore(core, await store.load(), now)
    return core


async def entries(store: RedisStore) -> list[tuple[int, int, bytes]]:
    """(seq, the seq before it, payload) of every entry in the stream."""
    raw = await store.client.xrange(store.prefix + stream.STREAM)
    return [(int(i.split(b"-")[0]), int(f[b"p"]), f[b"b"]) for i, f in raw]


async def test_each_applied_batch_is_streamed_once_after_the_one_before(
    streamed: RedisStore, redis_server: RedisServer, prefix: str
) -> None:
    batches = [b for _, b in leader_batches(1800.0, 300.0)]
    for b in batches:
        await streamed.apply(b)
    await streamed.apply(batches[-1])  # replayed: skipped, not streamed again
    got = await entries(streamed)
    assert [(s, p) for s, p, _ in got] == [(b.seq, b.seq - 1) for b in batches]
    assert stream.decode(got[2][0], got[2][2]).leads == batches[2].leads
    plain = RedisStore(redis_server.url, prefix + "plain:")
    await plain.connect()
    await plain.apply(batches[0])
    assert not await plain.client.exists(plain.prefix + stream.STREAM)  # no standby, no stream
    await plain.close()


async def test_a_fenced_batch_is_not_streamed(streamed: RedisStore) -> None:
    await streamed.client.set(streamed.prefix + "fence", "2")
    with pytest.raises(StaleLeader):
        await streamed.apply(Batch(seq=1, sessions={"a1": None}), token=1)
    assert await entries(streamed) == []


async def test_a_follower_applies_the_stream_and_agrees_with_a_cold_load(
    streamed: RedisStore,
) -> None:
    timed = leader_batches(3600.0, 300.0)
    f = follower_of(streamed)
    await f.step(None)  # the cold load of an empty store
    for _, b in timed:
        await streamed.apply(b)
    assert await f.catch_up() == len(timed) and f.loads == 1
    now = timed[-1][0]
    assert f.warm is not None
    assert book_view(f.warm.core) == book_view(await cold(streamed, now))  # type: ignore[arg-type]
    assert dnc_view(f.warm.core) == dnc_view(await cold(streamed, now))  # type: ignore[arg-type]


async def test_a_follower_loads_again_after_a_gap_or_a_batch_too_large(
    streamed: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    timed = leader_batches(3600.0, 300.0)
    f = follower_of(streamed)
    await f.step(None)
    for _, b in timed[:4]:
        await streamed.apply(b)
    await streamed.client.xtrim(streamed.prefix + stream.STREAM, maxlen=2)  # 1, 2 trimmed
    await f.catch_up()
    assert f.loads == 2 and f.warm is not None and f.warm.seq == timed[3][1].seq
    monkeypatch.setattr(stream, "MAX_ENTRY_BYTES", 10)
    await streamed.apply(timed[4][1])  # too large for the stream now: an empty entry
    assert (await entries(streamed))[-1][2] == b""
    for _, b in timed[5:]:
        await streamed.apply(b)
    await f.catch_up()
    assert f.loads == 3 and f.warm.seq == timed[-1][1].seq
    now = timed[-1][0]
    assert book_view(f.warm.core) == book_view(await cold(streamed, now))  # type: ignore[arg-type]


async def test_the_lease_says_when_it_lapses(redis_server: RedisServer, prefix: str) -> None:
    held, other = Lease(redis_server.url, prefix, "a", 3.0), Lease(redis_server.url, prefix, "b")
    assert await other.expires_in() == 0.0  # nobody holds it
    assert await held.acquire() is not None
    left = await other.expires_in()
    assert left is not None and 0.0 < left <= 3.0
    await held.release()
    assert await other.expires_in() == 0.0
    await held.aclose()
    await other.aclose()
