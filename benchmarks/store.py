"""Store benchmark: a real redis-server (its own, on a free loopback port; append-only file with
fsync every second, as deployed) driven through ``RedisStore``.

1. Call records written per second through ``RedisStore.apply``, 100 records per batch (one
   EVALSHA round trip per batch), and through ``apply_many`` (a spool replay: 256 batches per
   pipeline). Baseline in the same run: one un-pipelined XADD per record (redis-py, same server).
2. ``next_lead`` latency from a campaign of 1,000,000 leads in Redis (ZRANGEBYSCORE ... LIMIT 0 1,
   one round trip, random ``now``), and the in-memory ``LeadBook.next_dialable`` from 1,000,000
   leads (each pick takes the lead, as the dialer does).
3. Restart recovery for 10,000 agents and 1,000,000 leads: ``load()`` (HSCAN in chunks, JSON
   decoded), then ``acd.checkpoint.restore`` into a freshly built center (lead book, sessions).
4. Take-over by a warm standby on that store, and on one of 500 agents and 50,000 leads, from
   ``kill -9`` of the leader to the first call routed (benchmarks/takeover.py: leader and
   standby are processes; the lease at its default of 3 s, crash detection on as by default),
   with the standby's memory; and the small center again with the lease alone (crash detection
   off: what a host that vanishes costs). ``--takeover`` measures only this part.

The client parses replies with hiredis (a dependency); the 1,000,000 dialer leads built for (2)
are moved out of the cyclic GC's reach with ``gc.freeze()``, as a daemon holding them should.

    python benchmarks/store.py [--quick] [--json] [--repeat N] [--takeover]
    python benchmarks/store.py --centers 10 [--quick] [--json]   (benchmarks/store_centers.py)
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd.checkpoint import restore
from acd.config.schema import Config
from acd.store.batch import Batch
from acd.store.redis import RedisStore
from benchmarks.common import emit_json, median, parser, table
from benchmarks.takeover import run_takeover
from dialer.center import Center
from dialer.dnc import DoNotCallList
from dialer.hours import CallingWindow
from dialer.leadbook import LeadBook
from dialer.leads import Lead
from dialer.leadsource import BookLeads
from tests.redis_server import RedisServer

T0 = 1_793_520_000.0
PER_BATCH = 100
LEAD_BATCH = 5_000
SMALL_AGENTS, SMALL_LEADS = 500, 50_000  # the small center of the take-over target
LEASE_SECONDS = 3.0  # ha.lease_seconds, its default


def record(n: int) -> dict[str, Any]:
    t = T0 + n * 0.01
    return {
        "call_id": f"1793520000.{n}",
        "direction": "inbound",
        "queue": "sales",
        "campaign": None,
        "agent_id": f"agent{n % 500}",
        "caller": "+12025550123",
        "arrived": t - 200.0,
        "offered": t - 180.5,
        "answered": t - 170.25,
        "ended": t,
        "wait_seconds": 29.75,
        "talk_seconds": 150.0,
        "hold_seconds": 0.0,
        "wrap_seconds": 20.0,
        "outcome": "answered",
        "disposition": "sale",
        "abandoned_2s": False,
        "transfers": 0,
        "lead_id": None,
    }


def lead_entry(i: int, rng: Random) -> dict[str, Any]:
    nxt = T0 + rng.uniform(-86400, 86400)
    return {
        "lead": {
            "lead_id": f"L{i}",
            "phone": f"+1202{i % 10_000_000:07d}",
            "name": f"Lead {i}",
            "time_zone": "America/New_York",
            "priority": i % 10,
            "fields": {},
        },
        "state": {
            "attempts": i % 3,
            "attempt_times": [nxt - 3600] if i % 3 else [],
            "outcome_counts": [["no_answer", i % 3]] if i % 3 else [],
            "last_outcome": "no_answer" if i % 3 else None,
            "last_attempt_at": nxt - 3600 if i % 3 else None,
            "next_attempt_at": nxt,
            "done": False,
            "done_reason": None,
            "abandoned_at": None,
            "callback": False,
            "callback_agent": None,
        },
    }


async def flush(store: RedisStore) -> None:
    await store.client.flushdb(asynchronous=True)
    await store.connect()


async def cdr_rates(store: RedisStore, n: int) -> dict[str, float]:
    records = [record(i) for i in range(n)]
    batches = [
        Batch(seq=s + 1, records=records[i : i + PER_BATCH])
        for s, i in enumerate(range(0, n, PER_BATCH))
    ]
    out: dict[str, float] = {}
    await flush(store)
    t = time.perf_counter()
    for b in batches:
        await store.apply(b)
    out["apply"] = n / (time.perf_counter() - t)
    await flush(store)
    t = time.perf_counter()
    await store.apply_many(batches)
    out["apply_many"] = n / (time.perf_counter() - t)
    await flush(store)
    c = store.client

    t = time.perf_counter()
    for r in records:
        await c.xadd("bench:cdr", {"r": json.dumps(r, separators=(",", ":"))})
    out["xadd"] = n / (time.perf_counter() - t)
    await flush(store)
    return out


async def fill_leads(store: RedisStore, leads: int, sessions: int) -> float:
    rng = Random(7)
    await flush(store)
    t = time.perf_counter()
    seq = 0
    for start in range(0, leads, LEAD_BATCH):
        seq += 1
        chunk = {f"L{i}": lead_entry(i, rng) for i in range(start, min(leads, start + LEAD_BATCH))}
        await store.apply(Batch(seq=seq, leads={"camp": chunk}))
    sess = {
        f"agent{i}": {"state": "ready", "pause_reason": None, "skills": {"sales": 5}, "since": T0}
        for i in range(sessions)
    }
    await store.apply(Batch(seq=seq + 1, sessions=sess))
    return leads / (time.perf_counter() - t)


async def settle(store: RedisStore) -> None:
    """Wait for a background AOF rewrite (started by the bulk writes) to end: its fork competes
    for the CPU with the measurement on a small machine."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        info = await store.client.info("persistence")
        if not (info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"]):
            return
        await asyncio.sleep(0.05)


async def next_lead_latency(store: RedisStore, picks: int) -> list[float]:
    await settle(store)
    rng = Random(3)
    lat = []
    for _ in range(picks):
        now = T0 + rng.uniform(-86400, 86400)
        t = time.perf_counter()
        found = await store.next_lead("camp", now)
        lat.append(time.perf_counter() - t)
        assert found is not None
    return lat


def build_leads(n: int) -> list[Lead]:
    return [
        Lead(f"L{i}", f"+1202555{i % 10_000:04d}", time_zone="America/New_York", priority=i % 10)
        for i in range(n)
    ]


def leadbook_latency(leads: list[Lead], picks: int) -> list[float]:
    book = LeadBook()
    chunk = max(1, len(leads) // 100)
    for k, i in enumerate(range(0, len(leads), chunk)):  # 100 different first-attempt times
        book.extend(leads[i : i + chunk], at=T0 - 86400 + k * 864)
    window = CallingWindow(start="00:00", end="23:59")
    dnc: set[str] = set()
    lat = []
    now = T0 + 43_200  # 12:00 New York on 2026-11-21: half the leads are due
    for k in range(picks):
        t = time.perf_counter()
        found = book.next_dialable(now + k * 0.001, window, dnc)
        lat.append(time.perf_counter() - t)
        assert found is not None
    return lat


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


async def one_run(store: RedisStore, leads: list[Lead], args: Any) -> dict[str, float]:
    fig: dict[str, float] = {}
    rates = await cdr_rates(store, args.records)
    fig |= {f"cdr_{k}_per_s": v for k, v in rates.items()}
    fig["lead_write_per_s"] = await fill_leads(store, args.leads, args.sessions)
    lat = await next_lead_latency(store, args.picks)
    fig["next_lead_p50_ms"] = pct(lat, 0.5) * 1e3
    fig["next_lead_p99_ms"] = pct(lat, 0.99) * 1e3
    gc.collect()
    t = time.perf_counter()
    state = await store.load()
    fig["load_s"] = time.perf_counter() - t
    assert len(state.leads["camp"]) == args.leads and len(state.sessions) == args.sessions
    # What a restarted daemon (or a standby taking over) then does: rebuild the core from it.
    center = recovery_core(args.sessions)
    t = time.perf_counter()
    counts = restore(center, state, T0)
    fig["restore_s"] = time.perf_counter() - t
    fig["recovery_s"] = fig["load_s"] + fig["restore_s"]
    assert counts["leads"] == args.leads and counts["sessions"] == args.sessions, counts
    del state, center
    gc.collect()
    # A warm standby's take-over on the same store, then on a center of 500 agents.
    await settle(store)
    fig |= takeover_figures("", store, args.sessions, args.leads, args.lease)
    await flush(store)
    await fill_leads(store, SMALL_LEADS, SMALL_AGENTS)
    await settle(store)
    fig |= small_takeovers(store, args)
    await flush(store)
    gc.collect()
    book = leadbook_latency(leads, args.picks)
    fig["leadbook_p50_ms"] = pct(book, 0.5) * 1e3
    fig["leadbook_p99_ms"] = pct(book, 0.99) * 1e3
    return fig


def small_takeovers(store: RedisStore, args: Any) -> dict[str, float]:
    fig = takeover_figures("small_", store, SMALL_AGENTS, SMALL_LEADS, args.lease)
    return fig | takeover_figures("lease_", store, SMALL_AGENTS, SMALL_LEADS, args.lease, False)


async def takeover_run(store: RedisStore, args: Any) -> dict[str, float]:
    """Only the take-overs (``--takeover``), each on a store filled for it."""
    await fill_leads(store, args.leads, args.sessions)
    await settle(store)
    fig = takeover_figures("", store, args.sessions, args.leads, args.lease)
    await fill_leads(store, SMALL_LEADS, SMALL_AGENTS)
    await settle(store)
    fig |= small_takeovers(store, args)
    await flush(store)
    return fig


def takeover_figures(
    tag: str, store: RedisStore, agents: int, leads: int, ttl: float, detect: bool = True
) -> dict[str, float]:
    how = "crash detection" if detect else "the lease alone"
    print(f"take-over: {agents:,} agents, {leads:,} leads, {how} ...", file=sys.stderr)
    got = run_takeover(store.url, store.prefix, agents, leads, ttl, detect)
    return {f"{tag}{k}": float(v) for k, v in got.items()}


def recovery_core(agents: int) -> Center:
    """A center of ``agents`` agents and the campaign "camp" dialing a lead book."""
    config = Config.model_validate(
        {
            "agents": [{"id": f"agent{i}", "skills": {"sales": 5}} for i in range(agents)],
            "campaigns": [{"name": "camp", "mode": "progressive", "skills": {"sales": 1}}],
        }
    )
    dnc = DoNotCallList()
    leads = {"camp": BookLeads(LeadBook(), CallingWindow(), dnc)}
    return Center(config, rng=Random(1), leads=leads, dnc=dnc)  # type: ignore[dict-item]


async def main_async(args: Any) -> dict[str, float]:
    leads = []
    if not args.takeover:
        print(f"building {args.leads:,} dialer leads ...", file=sys.stderr)
        leads = build_leads(args.leads)
    # A million long-lived objects make every full collection of the cyclic GC a pause of
    # milliseconds in the middle of the measurements; a daemon that loaded them would do the same.
    gc.collect()
    gc.freeze()
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp, RedisServer(tmp) as server:
        store = RedisStore(server.url, "bench:", timeout=60.0)
        await store.connect()
        try:
            for n in range(args.repeat):
                run = takeover_run(store, args) if args.takeover else one_run(store, leads, args)
                runs.append(await run)
                print(f"run {n + 1}/{args.repeat} done", file=sys.stderr)
        finally:
            await store.close()
    return {k: median([r[k] for r in runs]) for k in runs[0]}


def print_store_table(fig: dict[str, float], args: Any) -> None:
    fig["cdr_ratio"] = fig["cdr_apply_per_s"] / fig["cdr_xadd_per_s"]
    print(
        f"Store benchmark: {args.records:,} call records ({PER_BATCH} per batch), "
        f"{args.leads:,} leads, {args.sessions:,} sessions; median of {args.repeat} run(s)\n"
    )
    print(
        table(
            ["measure", "value", "target"],
            [
                ["CDR records/s, RedisStore.apply", fig["cdr_apply_per_s"], ">= 20,000"],
                ["CDR records/s, apply_many (replay)", fig["cdr_apply_many_per_s"], ""],
                ["CDR records/s, one XADD each (baseline)", fig["cdr_xadd_per_s"], ""],
                ["ratio apply / baseline", f"{fig['cdr_ratio']:.1f}x", ""],
                ["leads written/s (5,000 per batch)", fig["lead_write_per_s"], ""],
                ["next_lead p50 ms (Redis)", fig["next_lead_p50_ms"], ""],
                ["next_lead p99 ms (Redis)", fig["next_lead_p99_ms"], "< 1"],
                ["LeadBook.next_dialable p50 ms", fig["leadbook_p50_ms"], ""],
                ["LeadBook.next_dialable p99 ms", fig["leadbook_p99_ms"], ""],
                ["load() s (sessions + leads)", fig["load_s"], ""],
                ["restore into the core s", fig["restore_s"], ""],
                ["recovery s (load + restore)", fig["recovery_s"], ""],
            ],
        )
    )


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--centers", type=int, default=0, help="N centers on a Redis Cluster instead")
    p.add_argument("--takeover", action="store_true", help="only the warm standby's take-overs")
    args = p.parse_args()
    if args.centers:
        from benchmarks import store_centers

        fig = store_centers.main(args)
        if args.json:
            emit_json(fig)
        return
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.records = 20_000 if args.quick else 200_000
    args.leads = 100_000 if args.quick else 1_000_000
    args.sessions = 10_000
    args.picks = 5_000 if args.quick else 20_000
    args.lease = LEASE_SECONDS
    fig = asyncio.run(main_async(args))
    if not args.takeover:
        print_store_table(fig, args)
    print(
        f"\nTake-over by a warm standby (lease {args.lease:g} s), seconds from kill -9 of the"
        f" leader; median of {args.repeat} run(s)"
        + ("" if args.takeover else "; baseline: a cold take-over in the same run")
        + "\n"
    )
    rows = []
    for tag, agents, leads, how, target in (
        ("", args.sessions, args.leads, "crash detection", "< 5" if args.leads >= 10**6 else ""),
        ("small_", SMALL_AGENTS, SMALL_LEADS, "crash detection", "< 2"),
        ("lease_", SMALL_AGENTS, SMALL_LEADS, "the lease alone", ""),
    ):
        size = f"{agents:,} agents, {leads:,} leads, {how}"
        rows += [
            [f"{size}: lease taken, stream read", fig[f"{tag}fenced_s"], ""],
            [f"{size}: first call routed", fig[f"{tag}routed_s"], target],
            [f"{size}: take-over work (restore, route)", fig[f"{tag}takeover_work_s"], ""],
            [f"{size}: standby's cold load at start", fig[f"{tag}cold_load_s"], ""],
            [f"{size}: standby RSS MB", fig[f"{tag}rss_mb"], ""],
            [f"{size}: standby peak RSS MB", fig[f"{tag}peak_rss_mb"], ""],
        ]
    if not args.takeover:
        cold = fig["fenced_s"] + fig["recovery_s"]  # the same detection, then a cold node's work
        fig["takeover_ratio"] = cold / fig["routed_s"]
        rows.append([f"cold take-over at {args.leads:,} leads (baseline)", cold, ""])
        rows.append(["ratio cold / warm", f"{fig['takeover_ratio']:.1f}x", ""])
    print(table(["measure", "value", "target"], rows))
    if args.json:
        emit_json({"benchmark": "store", "quick": args.quick, **fig})


if __name__ == "__main__":
    main()
