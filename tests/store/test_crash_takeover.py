"""Crash detection: a standby takes over from a leader whose connections to Redis are gone, long
before its lease would lapse; a leader that still has its connection keeps the lease; one that
lost it and comes back is fenced. Real redis-server on 127.0.0.1; the leader that is killed is a
process of its own, so that its kernel closes its sockets as it would after a crash.

Every lease here lasts 30 s, so a take-over within 10 s cannot come from the lease lapsing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from acd.errors import StaleLeader, StoreUnavailable
from acd.store.batch import Batch
from acd.store.lease import CHECK_SECONDS, Lease
from acd.store.redis import RedisStore
from tests.redis_ha import RedisCluster, Sentinels
from tests.redis_server import RedisServer, RedisServerMissing

TTL = 30.0
WITHIN = 10.0  # a third of the lease: only crash detection gets there
ROOT = Path(__file__).resolve().parents[2]
LEADER = """
import asyncio, sys
from acd.errors import StoreUnavailable
from acd.store.lease import Lease

async def main() -> None:
    lease = Lease(sys.argv[1], sys.argv[2], "crashing-leader", ttl=float(sys.argv[3]))
    while (token := await lease.acquire()) is None:
        await asyncio.sleep(0.05)
    print(token, flush=True)
    while True:
        await asyncio.sleep(lease.renew_every)
        try:
            if not await lease.renew():
                return
        except StoreUnavailable:
            pass  # Redis restarting: again at the next renewal

asyncio.run(main())
"""


class LeaderProcess:
    def __init__(self, url: str, prefix: str) -> None:
        args = [sys.executable, "-c", LEADER, url, prefix, str(TTL)]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.token = int(self.proc.stdout.readline())

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no release, the kernel closes the sockets
        self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()


@pytest.fixture
def leader_process() -> Iterator[list[LeaderProcess]]:
    procs: list[LeaderProcess] = []
    yield procs
    for p in procs:
        if p.proc.poll() is None:
            p.kill()


async def take_over(lease: Lease, within: float) -> tuple[int, float]:
    """What the standby loop (acd/daemon/standby.py) does: the token and how long it took."""
    t0 = time.monotonic()
    async with asyncio.timeout(within):
        while True:
            if (token := await lease.acquire()) is not None:
                return token, time.monotonic() - t0
            crashed = await lease.crashed_holder()
            if crashed is not None and (token := await lease.acquire(crashed)) is not None:
                return token, time.monotonic() - t0
            await asyncio.sleep(lease.check_every)  # the standby's cadence, not a timing


async def names(url: str) -> list[str]:
    admin = redis.from_url(url)
    try:
        return [c["name"] for c in await admin.client_list(_type="normal")]
    finally:
        await admin.aclose()


async def test_a_leader_killed_with_sigkill_is_replaced_long_before_its_lease_lapses(
    redis_server: RedisServer, leader_process: list[LeaderProcess]
) -> None:
    leader = LeaderProcess(redis_server.url, "crash1:")
    leader_process.append(leader)
    assert "acd-lease:crashing-leader" in await names(redis_server.url)
    standby = Lease(redis_server.url, "crash1:", "standby", ttl=TTL)
    store = RedisStore(redis_server.url, "crash1:")
    try:
        leader.kill()
        token, took = await take_over(standby, WITHIN)
        print(f"kill -9 to the lease taken: {took:.2f}s (lease {TTL:g}s)")
        assert token > leader.token
        assert took < WITHIN
        with pytest.raises(StaleLeader):
            await store.apply(Batch(seq=1), token=leader.token)
        assert await store.apply(Batch(seq=1), token=token)
    finally:
        await standby.aclose()
        await store.close()


async def test_a_leader_that_keeps_its_connection_is_not_replaced(
    redis_server: RedisServer, leader_process: list[LeaderProcess]
) -> None:
    leader = LeaderProcess(redis_server.url, "crash2:")
    leader_process.append(leader)
    standby = Lease(redis_server.url, "crash2:", "standby", ttl=TTL)
    try:
        for _ in range(10):  # ten looks, at the standby's cadence: 1.5 s
            assert await standby.acquire() is None
            assert await standby.crashed_holder() is None
            await asyncio.sleep(standby.check_every)
        assert standby.check_every == CHECK_SECONDS  # it never even suspected the leader
        held = await standby.client.get("crash2:lease")
        assert held == f"crashing-leader:{leader.token}".encode()
    finally:
        await standby.aclose()


async def test_after_a_redis_restart_the_standby_gives_the_leader_time_to_reconnect(
    own_redis: RedisServer, leader_process: list[LeaderProcess]
) -> None:
    leader = LeaderProcess(own_redis.url, "crash7:")
    leader_process.append(leader)
    standby = Lease(own_redis.url, "crash7:", "standby", ttl=TTL)
    try:
        assert await standby.crashed_holder() is None
        own_redis.stop()  # every connection drops: the leader's and the standby's
        own_redis.start()
        for _ in range(20):  # 3 s of looks at the standby's cadence, from the first moment
            with contextlib.suppress(StoreUnavailable):  # a pooled connection from before
                assert await standby.acquire() is None
                assert await standby.crashed_holder() is None
            await asyncio.sleep(standby.check_every)
        assert "acd-lease:crashing-leader" in await names(own_redis.url)  # it came back
        leader.kill()
        token, took = await take_over(standby, WITHIN)  # and a crash is still seen
        assert token > leader.token and took < WITHIN
    finally:
        await standby.aclose()


async def test_a_leader_that_lost_its_connection_is_replaced_and_fenced_when_it_returns(
    redis_server: RedisServer,
) -> None:
    old = Lease(redis_server.url, "crash3:", "old", ttl=TTL)
    new = Lease(redis_server.url, "crash3:", "new", ttl=TTL)
    store = RedisStore(redis_server.url, "crash3:")
    admin = redis.from_url(redis_server.url)
    try:
        t1 = await old.acquire()
        assert t1 is not None
        assert await store.apply(Batch(seq=1, campaigns={"c": {"paused": False}}), token=t1)
        for c in await admin.client_list(_type="normal"):
            if c["name"] == "acd-lease:old":
                await admin.client_kill_filter(_id=c["id"])  # a network blip, say
        t2, took = await take_over(new, WITHIN)
        assert t2 > t1 and took < WITHIN
        # Its own clock still says it leads: the token is what stops its writes.
        assert old.valid(time.monotonic())
        with pytest.raises(StaleLeader):
            await store.apply(Batch(seq=2, campaigns={"c": {"paused": True}}), token=t1)
        assert not await old.renew()  # it reconnects and finds the lease is not its own
        assert not old.valid(time.monotonic())
        assert (await store.load()).campaigns == {"c": {"paused": False}}
    finally:
        for x in (old, new):
            await x.aclose()
        await store.close()
        await admin.aclose()


async def test_where_client_list_is_refused_the_standby_says_so_once_and_waits_for_the_lease(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    admin = redis.from_url(redis_server.url)
    await admin.acl_setuser(
        "nolist", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-client|list"]
    )
    limited = redis_server.url.replace("redis://", "redis://nolist:pw@")
    old = Lease(redis_server.url, "crash4:", "old", ttl=TTL)
    new = Lease(limited, "crash4:", "new", ttl=TTL)
    try:
        assert await old.acquire() is not None
        await old.aclose()  # gone: its connection with it
        with caplog.at_level(logging.WARNING, "acd.store"):
            for _ in range(3):
                assert await new.crashed_holder() is None
        refused = [r for r in caplog.records if "CLIENT LIST refused" in r.getMessage()]
        assert len(refused) == 1
        assert not new.crash_detection and new.check_every == float("inf")
        assert await new.acquire() is None  # the lease stands until it lapses
    finally:
        await new.aclose()
        await admin.acl_deluser("nolist")
        await admin.aclose()


async def test_a_leader_not_allowed_to_name_its_connections_still_leads(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    admin = redis.from_url(redis_server.url)
    await admin.acl_setuser(
        "noname", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-client"]
    )
    lease = Lease(redis_server.url.replace("redis://", "redis://noname:pw@"), "crash6:", "a")
    try:
        with caplog.at_level(logging.WARNING, "acd.store"):
            assert await lease.acquire() == 1
            assert await lease.renew()
        assert lease.name is None
        assert [r for r in caplog.records if "CLIENT SETNAME refused" in r.getMessage()]
    finally:
        await lease.aclose()
        await admin.acl_deluser("noname")
        await admin.aclose()


def test_an_owner_redis_cannot_name_leaves_crash_detection_of_it_out() -> None:
    lease = Lease("redis://127.0.0.1:1/0", "x:", "a node", ttl=TTL)
    assert lease.name is None
    assert Lease("redis://127.0.0.1:1/0", "x:", "host-1.example:42", ttl=TTL).name == (
        "acd-lease:host-1.example:42"
    )


@pytest.mark.parametrize("setup", ["sentinel", "cluster"])
async def test_on_sentinel_and_cluster_the_killed_leader_is_replaced_at_once(
    setup: str, tmp_path: Path, leader_process: list[LeaderProcess]
) -> None:
    try:
        servers: Sentinels | RedisCluster = (
            Sentinels(tmp_path / "s", replicas=1)
            if setup == "sentinel"
            else RedisCluster(tmp_path / "c")
        )
        with servers:
            prefix = "{crash5}:"
            leader = LeaderProcess(servers.url, prefix)
            leader_process.append(leader)
            standby = Lease(servers.url, prefix, "standby", ttl=TTL)
            try:
                assert await standby.crashed_holder() is None
                leader.kill()
                token, took = await take_over(standby, WITHIN)
                assert token > leader.token and took < WITHIN
            finally:
                await standby.aclose()
    except RedisServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)
