"""The store on replicated Redis, real servers on 127.0.0.1: a Redis Cluster of three masters with
a replica each (tests/redis_ha.py), and Sentinel (a master, a replica, three sentinels).

Several centers share one cluster, each on its own hash slot. The master that holds a center's
slot is killed (SIGKILL) in the middle of a campaign: the replica is promoted and the center goes
on; no lead is dialed twice and every call the simulated trunk saw end has one record, counted
from the trunk's own log (``trunk_tap.py``), never from the daemon's counters. A write that no
replica acknowledges is not taken as written (WAIT): it is spooled and replayed exactly once.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.crc import key_slot

from acd.errors import StoreUnavailable
from acd.store.batch import Batch
from acd.store.lease import Lease
from acd.store.redis import RedisStore
from acd.store.writer import Persister
from tests.redis_ha import RedisCluster, Sentinels, command
from tests.redis_server import RedisServerMissing
from tests.store.daemon_proc import TOKENS, Daemon, leads_csv, wait_for
from tests.store.test_daemon_store import CONFIG, ended_at_trunk

CENTERS = ("{acd:north}:", "{acd:south}:", "west:")  # the last one tagged by the store


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[RedisCluster]:
    try:
        with RedisCluster(tmp_path / "cluster") as c:
            yield c
    except RedisServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def sentinels(tmp_path: Path) -> Iterator[Sentinels]:
    try:
        with Sentinels(tmp_path / "sentinel", replicas=1) as s:
            yield s
    except RedisServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)


def record(center: int, n: int) -> dict[str, Any]:
    return {"call_id": f"{center}-{n}", "ended": 1_793_520_000.0 + n, "lead_id": f"L{n}"}


def batch(center: int, seq: int) -> Batch:
    lead = {"lead": {"lead_id": f"L{seq}"}, "state": {"attempts": 1, "next_attempt_at": seq}}
    return Batch(seq=seq, records=[record(center, seq)], leads={"c": {f"L{seq}": lead}})


async def test_three_centers_write_at_once_each_on_one_slot(cluster: RedisCluster) -> None:
    stores = [RedisStore(cluster.url, p) for p in CENTERS]
    for s in stores:
        await s.connect()
    try:
        for seq in range(1, 41):
            await asyncio.gather(*(s.apply(batch(i, seq)) for i, s in enumerate(stores)))
        for i, s in enumerate(stores):
            assert s.replication.replicas == 1 and s.replication.unreplicated == 0
            got = [r["call_id"] async for r in s.records(0.0, float("inf"))]
            assert got == [f"{i}-{n}" for n in range(1, 41)]
            assert set((await s.load()).leads["c"]) == {f"L{n}" for n in range(1, 41)}
        # A node taking a center's lease on a fresh client gets its token once a replica has it.
        lease = Lease(cluster.url, CENTERS[2], "n1", ttl=3.0)
        assert await lease.acquire() == 1 and lease.replication.replicas == 1
        await lease.release()
        await lease.aclose()
    finally:
        for s in stores:
            await s.close()
    # Recount from the servers: every key each master holds, by center.
    slots: dict[str, set[int]] = {}
    for node in cluster.alive():
        if "role:master" not in command(node.port, "INFO", "replication"):
            continue
        for key in command(node.port, "--scan").split():
            center = next(p for p in ("{acd:north}", "{acd:south}", "{west}") if key.startswith(p))
            slots.setdefault(center, set()).add(key_slot(key.encode()))
            assert int(command(node.port, "CLUSTER", "KEYSLOT", key)) == key_slot(key.encode())
    assert set(slots) == {"{acd:north}", "{acd:south}", "{west}"}
    assert all(len(s) == 1 for s in slots.values()), slots


async def test_a_write_no_replica_acknowledges_is_spooled_then_replayed_once(
    sentinels: Sentinels, tmp_path: Path
) -> None:
    store = RedisStore(sentinels.url, "acd:", replica_wait=0.2)
    await store.connect()
    persister = Persister(store, tmp_path / "spool.jsonl")
    try:
        await persister.submit(batch(0, 1))
        assert persister.applied == 1 and store.replication.replicas == 1
        replica = sentinels.replicas[0]
        assert replica.proc is not None
        replica.proc.send_signal(signal.SIGSTOP)  # connected, but acknowledges nothing
        try:
            with pytest.raises(StoreUnavailable, match="no replica acknowledged"):
                await store.apply(batch(0, 2))
            await persister.submit(batch(0, 3))
            assert persister.spooled == 1 and not persister.up  # on the master only: spooled
            # Nor does a fencing token count before a replica has it.
            lease = Lease(sentinels.url, "acd:", "n1", ttl=1.5)
            with pytest.raises(StoreUnavailable, match="no replica acknowledged"):
                await lease.acquire()
            assert lease.token is None
            await lease.aclose()
        finally:
            replica.proc.send_signal(signal.SIGCONT)
        assert await persister.recover()
        assert persister.replayed == 1
    finally:
        await store.close()
    # The replica has every batch, once: read from it directly.
    got = command(replica.port, "XRANGE", "acd:cdr", "-", "+").split()
    assert [x for x in got if x.startswith('{"call_id"')] == [
        f'{{"call_id":"0-{n}","ended":{1_793_520_000.0 + n},"lead_id":"L{n}"}}' for n in (1, 2, 3)
    ]


def center_config(directory: Path, url: str, prefix: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    leads_csv(directory / "leads.csv", 2000)
    store = f"store: {{url: '{url}', prefix: '{prefix}', spool: spool.jsonl}}"
    path = directory / "center.yaml"
    path.write_text(CONFIG.replace("STORE", store).replace("TOKENS", TOKENS))
    return path


def stored_records(url: str, prefix: str) -> list[str]:
    async def go() -> list[str]:
        s = RedisStore(url, prefix)
        await s.connect()
        try:
            return [r["call_id"] async for r in s.records(0.0, float("inf"))]
        finally:
            await s.close()

    return asyncio.run(go())


def check_center(tap: Path, url: str, prefix: str) -> None:
    """One record per call the trunk saw end, and no number dialed twice."""
    ids = stored_records(url, prefix)
    doubled = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert not doubled, f"{prefix} records doubled: {doubled[:10]}"
    ended = set(ended_at_trunk(tap))
    assert not (missing := sorted(ended - set(ids))), f"{prefix}: no record for {missing[:10]}"
    assert not (extra := sorted(set(ids) - ended)), f"{prefix}: records of no call: {extra[:10]}"
    dials = Counter(Path(f"{tap}.dials").read_text().split())
    assert dials and max(dials.values()) == 1, [n for n, k in dials.items() if k > 1][:10]


def calls_after(tap: Path, n: int) -> bool:
    return len(ended_at_trunk(tap)) >= n


def test_three_centers_on_a_cluster_go_on_after_their_master_is_killed(
    cluster: RedisCluster, tmp_path: Path
) -> None:
    centers = []
    try:
        for i, prefix in enumerate(CENTERS):
            cfg = center_config(tmp_path / f"c{i}", cluster.url, prefix)
            tap = tmp_path / f"c{i}" / "ended.txt"
            centers.append((Daemon(cfg, tmp_path / f"c{i}" / "daemon.log", tap=tap), tap, prefix))
        for d, tap, _ in centers:
            wait_for(lambda d=d: d.ready()["ready"], what="a center ready")
            wait_for(lambda tap=tap: calls_after(tap, 20), what="20 calls ended")
        d, tap, prefix = centers[0]
        old = cluster.kill_master_of(RedisStore(cluster.url, prefix).prefix + "seq")
        cluster.wait_promoted(RedisStore(cluster.url, prefix).prefix + "seq", old)
        at = len(ended_at_trunk(tap))
        wait_for(lambda: calls_after(tap, at + 30), timeout=40, what="calls after the promotion")
        wait_for(lambda: d.ready()["store"]["up"] is True, what="the spool replayed")
        for other, other_tap, _ in centers[1:]:
            n = len(ended_at_trunk(other_tap))
            wait_for(lambda t=other_tap, n=n: calls_after(t, n + 10), what="the others go on")
            assert other.ready()["ready"]
        for d, _, _ in centers:
            assert d.stop() == 0
    finally:
        for d, _, _ in centers:
            d.kill()
    for _, tap, prefix in centers:
        check_center(tap, cluster.url, prefix)


def test_a_center_on_sentinel_goes_on_after_the_master_is_killed(
    sentinels: Sentinels, tmp_path: Path
) -> None:
    cfg = center_config(tmp_path / "c", sentinels.url, "acd:")
    tap = tmp_path / "c" / "ended.txt"
    d = Daemon(cfg, tmp_path / "c" / "daemon.log", tap=tap)
    try:
        wait_for(lambda: d.ready()["ready"], what="the center ready")
        wait_for(lambda: calls_after(tap, 20), what="20 calls ended")
        sentinels.wait_promoted(sentinels.kill_master())
        at = len(ended_at_trunk(tap))
        wait_for(lambda: calls_after(tap, at + 30), timeout=40, what="calls after the promotion")
        wait_for(lambda: d.ready()["store"]["up"] is True, what="the spool replayed")
        assert d.stop() == 0
    finally:
        d.kill()
    check_center(tap, sentinels.url, "acd:")
