"""Many centers on one Redis Cluster (``benchmarks/store.py --centers N``).

N centers, each in its own process with its own key prefix (its hash tag), write to one Redis
Cluster of three masters with a replica each, started on this machine (tests/redis_ha.py); the
baseline, in the same run, is one center alone on one redis-server without replicas. Each center
has 500 agents and a campaign of 50,000 leads (2,000 with --quick), written to the store first.
Then, all centers starting together, each writes batches one after the other for a fixed time,
as the daemon's persister does: a dial (one lead goes to "dialing", one agent's session changes)
alternates with a call's end (its record, the lead's outcome, the agent's session), so half the
batches carry a call record. On the cluster every round trip ends with ``WAIT 1`` (the masters
have replicas). Measured:

* batches/s and records/s, over all centers and per center;
* the p99 of a dial batch's write latency (``RedisStore.apply``: what holds the dial);
* take-over: a new node of each center (all at once, as after losing a whole site) takes the
  lease, ``load()``s the store and restores a 500-agent center from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd.checkpoint import restore
from acd.errors import StoreUnavailable
from acd.store.batch import Batch
from acd.store.lease import Lease
from acd.store.redis import RedisStore
from benchmarks.common import median, table
from benchmarks.store import T0, lead_entry, pct, record, recovery_core
from tests.redis_ha import RedisCluster
from tests.redis_server import RedisServer

AGENTS = 500
LEAD_BATCH = 5_000


def session(i: int, state: str) -> dict[str, Any]:
    return {"state": state, "pause_reason": None, "skills": {"sales": 5}, "since": T0}


async def seed(store: RedisStore, leads: int) -> int:
    rng = Random(7)
    seq = 0
    for start in range(0, leads, LEAD_BATCH):
        seq += 1
        chunk = {f"L{i}": lead_entry(i, rng) for i in range(start, min(leads, start + LEAD_BATCH))}
        await store.apply(Batch(seq=seq, leads={"camp": chunk}))
    seq += 1
    sessions = {f"agent{i}": session(i, "ready") for i in range(AGENTS)}
    await store.apply(Batch(seq=seq, sessions=sessions))
    return seq


def step(seq: int, n: int, leads: int) -> tuple[Batch, bool]:
    """Batch ``n`` of the run: even ones dial, odd ones end the call dialed just before."""
    i = (n // 2) % leads
    lead_id, agent = f"L{i}", f"agent{(n // 2) % AGENTS}"
    state = lead_entry(i, Random(i))["state"] | {"attempts": 1, "dialing": n % 2 == 0}
    lead = {"camp": {lead_id: {"state": state}}}
    if n % 2 == 0:
        return Batch(seq=seq, leads=lead, sessions={agent: session(n, "talking")}), True
    rec = record(n) | {"campaign": "camp", "lead_id": lead_id, "direction": "outbound"}
    return Batch(seq=seq, records=[rec], leads=lead, sessions={agent: session(n, "ready")}), False


async def center(url: str, prefix: str, leads: int, seconds: float, start: Any) -> dict[str, Any]:
    # The bulk load waits longer for its (large) writes to reach the replica.
    store = RedisStore(url, prefix, timeout=30.0, replica_wait=30.0)
    await store.connect()
    await store.client.delete(store.prefix + "seq", store.prefix + "lease")
    seq = await seed(store, leads)
    await store.close()
    store = RedisStore(url, prefix, timeout=30.0)
    await store.connect()
    await asyncio.to_thread(start.wait)  # all centers begin together
    dial_lat: list[float] = []
    batches = records = 0
    t_end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    while time.perf_counter() < t_end:
        seq += 1
        batch, dials = step(seq, batches, leads)
        t = time.perf_counter()
        with contextlib.suppress(StoreUnavailable):  # not replicated in time: the daemon
            await store.apply(batch)  # would spool it (counted in unreplicated)
        if dials:
            dial_lat.append(time.perf_counter() - t)
        batches += 1
        records += len(batch.records)
    elapsed = time.perf_counter() - t0
    unreplicated, replicas = store.replication.unreplicated, store.replication.replicas
    await store.close()
    await asyncio.to_thread(start.wait)  # the take-overs, all at once too
    t = time.perf_counter()
    lease = Lease(url, prefix, "bench", ttl=3.0)
    store = RedisStore(url, prefix, timeout=30.0)
    assert await lease.acquire() is not None
    await store.connect()
    state = await store.load()
    counts = restore(recovery_core(AGENTS), state, T0)
    took = time.perf_counter() - t
    assert counts["sessions"] == AGENTS and len(state.leads["camp"]) == leads, counts
    await lease.release()
    await lease.aclose()
    await store.close()
    return {
        "batches": batches,
        "records": records,
        "seconds": elapsed,
        "dial_p99_ms": pct(dial_lat, 0.99) * 1e3,
        "takeover_s": took,
        "unreplicated": unreplicated,
        "replicas": replicas,
    }


def _worker(url: str, prefix: str, leads: int, seconds: float, start: Any, out: Any) -> None:
    try:
        out.put((prefix, asyncio.run(center(url, prefix, leads, seconds, start))))
    except BaseException as exc:
        start.abort()  # the others stop waiting for this one
        out.put((prefix, repr(exc)))
        raise


def run_centers(url: str, n: int, leads: int, seconds: float) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(n), ctx.Queue()
    prefixes = [f"{{acd:c{i}}}:" for i in range(n)]
    procs = [
        ctx.Process(target=_worker, args=(url, p, leads, seconds, start, out)) for p in prefixes
    ]
    for p in procs:
        p.start()
    got = dict(out.get(timeout=600) for _ in procs)
    for p in procs:
        p.join()
    failed = {k: v for k, v in got.items() if isinstance(v, str)}
    if failed:
        raise RuntimeError(f"centers failed: {failed}")
    rows = list(got.values())
    return {
        "batches_per_s": sum(r["batches"] / r["seconds"] for r in rows),
        "records_per_s": sum(r["records"] / r["seconds"] for r in rows),
        "center_batches_per_s": median([r["batches"] / r["seconds"] for r in rows]),
        "dial_p99_ms": median([r["dial_p99_ms"] for r in rows]),
        "dial_p99_worst_ms": max(r["dial_p99_ms"] for r in rows),
        "takeover_s": median([r["takeover_s"] for r in rows]),
        "takeover_worst_s": max(r["takeover_s"] for r in rows),
        "unreplicated": sum(r["unreplicated"] for r in rows),
        "replicas": min(r["replicas"] for r in rows),
    }


def main(args: Any) -> dict[str, Any]:
    leads = 2_000 if args.quick else 50_000
    seconds = 2.0 if args.quick else 5.0
    repeat = args.repeat or (1 if args.quick else 3)
    runs: list[tuple[dict[str, float], dict[str, float], dict[str, float]]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        RedisServer(Path(tmp) / "one") as one,
        # A node timeout that a loaded 2-core machine does not mistake for a failure.
        RedisCluster(Path(tmp) / "cluster", node_timeout_ms=5000) as cluster,
    ):
        for k in range(repeat):
            base = run_centers(one.url, 1, leads, seconds)
            alone = run_centers(cluster.url, 1, leads, seconds)  # the cost of WAIT alone
            many = run_centers(cluster.url, args.centers, leads, seconds)
            runs.append((base, alone, many))
            print(f"run {k + 1}/{repeat} done", file=sys.stderr)
    base, alone, many = ({k: median([r[i][k] for r in runs]) for k in runs[0][i]} for i in range(3))
    print(
        f"Many centers: {args.centers} centers of {AGENTS} agents and {leads:,} leads on a Redis "
        f"Cluster (3 masters, 3 replicas, WAIT 1) against 1 center on one Redis (ratio: the "
        f"cluster's {args.centers} against it), and 1 center on the cluster; {seconds:.0f} s "
        f"of batches per run, median of {repeat} run(s)\n"
    )

    def ratio(key: str) -> str:
        return f"{many[key] / base[key]:.2f}x" if base[key] else "-"

    measures = [
        ("batches/s, all centers", "batches_per_s"),
        ("records/s, all centers", "records_per_s"),
        ("batches/s per center (median)", "center_batches_per_s"),
        ("dial write p99 ms (median center)", "dial_p99_ms"),
        ("dial write p99 ms (worst center)", "dial_p99_worst_ms"),
        ("take-over s (median center)", "takeover_s"),
        ("take-over s (worst center)", "takeover_worst_s"),
        ("round trips no replica acknowledged", "unreplicated"),
    ]
    head = ["measure", "1 center, 1 Redis", "1 center, cluster", f"{args.centers} centers, cluster"]
    rows = [[name, base[k], alone[k], many[k], ratio(k)] for name, k in measures]
    print(table([*head, "ratio"], rows))
    return {
        "benchmark": "store_centers",
        "quick": args.quick,
        "centers": args.centers,
        "leads_per_center": leads,
        "agents_per_center": AGENTS,
        **{f"one_{k}": v for k, v in base.items()},
        **{f"cluster_one_{k}": v for k, v in alone.items()},
        **{f"cluster_{k}": v for k, v in many.items()},
    }
