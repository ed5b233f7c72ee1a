"""Hot standby: one holder at a time, a higher token on every take-over, the stale one fenced."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from acd.errors import StaleLeader, StoreUnavailable
from acd.store.batch import Batch
from acd.store.lease import Lease
from acd.store.redis import RedisStore
from tests.redis_server import RedisServer


async def test_acquire_renew_expire_take_over_and_fence(redis_server: RedisServer) -> None:
    prefix = "lease1:"
    a = Lease(redis_server.url, prefix, "node-a", ttl=0.3)
    b = Lease(redis_server.url, prefix, "node-b", ttl=0.3)
    store = RedisStore(redis_server.url, prefix)
    try:
        t1 = await a.acquire()
        assert t1 == 1
        assert a.valid(time.monotonic())
        assert await b.acquire() is None  # held
        assert await a.renew()
        assert await store.apply(Batch(seq=1, campaigns={"c": {"paused": False}}), token=t1)

        # node-a stops renewing (paused); its local view says stop before Redis lets b in.
        assert not a.valid(a.valid_until)
        deadline = time.monotonic() + 10
        while (t2 := await b.acquire()) is None:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        assert t2 > t1
        assert time.monotonic() >= a.valid_until  # a had given up before b took over

        assert not await a.renew()  # the key is b's now
        assert not a.valid(time.monotonic())
        with pytest.raises(StaleLeader):
            await store.apply(Batch(seq=2, campaigns={"c": {"paused": True}}), token=t1)
        assert await store.apply(Batch(seq=2, campaigns={"c": {"paused": True}}), token=t2)
        assert (await store.load()).campaigns == {"c": {"paused": True}}

        await b.release()
        assert not b.valid(time.monotonic())
        t3 = await a.acquire()
        assert t3 is not None and t3 > t2
    finally:
        for x in (a, b):
            await x.aclose()
        await store.close()


async def test_release_of_a_lease_that_is_no_longer_ours_leaves_it(
    redis_server: RedisServer,
) -> None:
    a = Lease(redis_server.url, "lease2:", "a", ttl=5.0)
    b = Lease(redis_server.url, "lease2:", "b", ttl=5.0)
    try:
        assert await a.acquire() == 1
        await a.client.delete("lease2:lease")  # as if it expired
        assert await b.acquire() == 2
        await a.release()
        assert await a.client.get("lease2:lease") == b"b:2"
        assert a.renew_every == 1.0  # at least every second (ttl / 3 for a shorter lease)
    finally:
        await a.aclose()
        await b.aclose()


async def test_an_unreachable_server_is_store_unavailable_naming_the_url() -> None:
    from tests.redis_server import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    lease = Lease(url, "x:", "a", ttl=1.0)
    store = RedisStore(url, "x:", timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable, match=url):
            await lease.acquire()
        with pytest.raises(StoreUnavailable) as err:
            await store.connect()
        assert err.value.url == url and err.value.code == "store_unavailable"
        with pytest.raises(StoreUnavailable):
            await store.apply(Batch(seq=1))
    finally:
        await lease.aclose()
        await store.close()


async def test_a_redis_that_closes_idle_clients_within_2_s_is_named_at_start(
    tmp_path: Path, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis's ``timeout`` 1 would close the lease connection between renewals, so a standby
    could see a live leader vanish: said once at start, where the default (0) says nothing."""
    with RedisServer(tmp_path / "idle", extra=["--timeout", "1"]) as idle:
        for url, warned in ((redis_server.url, False), (idle.url, True)):
            caplog.clear()
            lease = Lease(url, "idle:", "node-a", ttl=3.0)
            try:
                with caplog.at_level(logging.WARNING, logger="acd"):
                    assert await lease.acquire() is not None
            finally:
                await lease.aclose()
            said = [r.getMessage() for r in caplog.records if "closes idle clients" in r.message]
            assert bool(said) is warned, (url, said)
