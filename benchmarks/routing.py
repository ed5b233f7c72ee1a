"""Routing benchmark: 10,000 agents, 100 skills, 500 queues, a million routing decisions.

Each step is one call arriving (decision: pick the agent for it, or queue it) and, once the
target occupancy is reached, one agent freed (decision: pick the waiting call it takes). Latency
is per decision including the index updates it causes. The same workload runs through a naive
router that scans every agent or waiting call per decision (the way app_queue and
mod_callcenter decide); it is slow, so it runs a slice of the decisions and its rate is compared.

    python benchmarks/routing.py [--quick] [--json]
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections import deque
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import emit_json, median, parser, table
from benchmarks.naive import NaiveRouter
from routing.members import Member, Waiter
from routing.router import Router, alternative
from routing.strategies import Strategy

STRATEGIES = [
    Strategy.LONGEST_IDLE,
    Strategy.LONGEST_IDLE,
    Strategy.LONGEST_IDLE,
    Strategy.FEWEST_CALLS,
    Strategy.LEAST_TALK_TIME,
    Strategy.BEST_SKILL,
    Strategy.LINEAR,
    Strategy.ROUND_ROBIN,
    Strategy.RANDOM,
    Strategy.WEIGHTED_RANDOM,
]


DEFAULT = [Strategy.LONGEST_IDLE]


def build(
    router_cls: type[Router],
    n_agents: int,
    n_skills: int,
    n_queues: int,
    seed: int,
    strategies: list[Strategy],
):
    rng = Random(seed)
    router = router_cls(Random(seed + 1))
    skills = [f"s{i}" for i in range(n_skills)]
    queues = []
    for qi in range(n_queues):
        need = rng.sample(skills, 1 if rng.random() < 0.7 else 2)
        alt = alternative({s: rng.randint(1, 4) for s in need})
        queues.append(router.pool(alt, strategies[qi % len(strategies)], f"q{qi}"))
    idle = 0
    for ix in range(n_agents):
        m = Member(ix, {s: rng.randint(1, 10) for s in rng.sample(skills, rng.randint(2, 6))})
        router.add_member(m)
        router.set_logged_in(m, True)
        idle += 1
        m.idle_seq = idle
        router.set_ready(m)
    return router, queues, idle


def run(
    router_cls: type[Router],
    decisions: int,
    *,
    n_agents: int,
    seed: int,
    strategies: list[Strategy] = DEFAULT,
) -> dict[str, Any]:
    router, pools, idle = build(router_cls, n_agents, 100, 500, seed, strategies)
    rng = Random(seed + 2)
    busy: deque[Member] = deque()
    target_busy = int(0.85 * n_agents)
    lat: list[int] = []
    made = 0
    seq = 0
    clock = time.perf_counter_ns
    t_start = clock()
    while made < decisions:
        # A call arrives for a random queue.
        seq += 1
        w = Waiter()
        w.pools = (pools[rng.randrange(len(pools))],)
        w.order_key = (0, seq)
        t0 = clock()
        m = router.pick_agent(w)
        if m is not None:
            router.set_unready(m)
        else:
            router.enqueue(w, seq)
        lat.append(clock() - t0)
        made += 1
        if m is not None:
            busy.append(m)
        # The oldest busy agent finishes and takes the best waiting call it can serve.
        if len(busy) > target_busy:
            a = busy.popleft()
            idle += 1
            a.idle_seq = idle
            a.calls += 1
            a.talk_ms += 1000
            t0 = clock()
            router.set_ready(a)
            c = router.pick_call(a)
            if c is not None:
                router.dequeue(c)
                router.set_unready(a)
            lat.append(clock() - t0)
            made += 1
            if c is not None:
                busy.append(a)
    wall = (clock() - t_start) / 1e9
    lat.sort()
    return {
        "decisions": made,
        "decisions_per_s": made / wall,
        "p50_us": lat[len(lat) // 2] / 1000,
        "p99_us": lat[int(len(lat) * 0.99)] / 1000,
    }


def memory_per_agent(n_agents: int, seed: int, strategies: list[Strategy]) -> float:
    """Bytes per agent held by the router with every agent ready in its pools."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    router, pools, _ = build(Router, n_agents, 100, 500, seed, strategies)
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del router, pools
    return used / n_agents


def summarise(runs: list[dict[str, Any]], prefix: str) -> dict[str, float]:
    return {
        f"{prefix}_decisions_per_s": median([r["decisions_per_s"] for r in runs]),
        f"{prefix}_p50_us": median([r["p50_us"] for r in runs]),
        f"{prefix}_p99_us": median([r["p99_us"] for r in runs]),
    }


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    n_agents = 2_000 if args.quick else 10_000
    decisions = 100_000 if args.quick else 1_000_000
    naive_decisions = 2_000 if args.quick else 5_000
    repeat = args.repeat or (2 if args.quick else 3)
    fig: dict[str, Any] = {"agents": n_agents, "decisions": decisions, "runs": repeat}
    for name, strategies in (("default", DEFAULT), ("mixed", STRATEGIES)):
        fig |= summarise(
            [
                run(Router, decisions, n_agents=n_agents, seed=s, strategies=strategies)
                for s in range(repeat)
            ],
            f"{name}_indexed",
        )
        fig[f"{name}_bytes_per_agent"] = memory_per_agent(n_agents, 0, strategies)
    fig["naive_decisions"] = naive_decisions
    fig |= summarise(
        [run(NaiveRouter, naive_decisions, n_agents=n_agents, seed=s) for s in range(repeat)],
        "naive",
    )
    fig["speedup_vs_naive"] = fig["default_indexed_decisions_per_s"] / fig["naive_decisions_per_s"]
    fig["targets"] = {
        "decisions_per_s>=100000": fig["default_indexed_decisions_per_s"] >= 100_000,
        "p99_us<100": fig["default_indexed_p99_us"] < 100,
        "bytes_per_agent<2048": fig["default_bytes_per_agent"] < 2048,
    }
    print(f"Routing: {n_agents:,} agents, 100 skills, 500 queues; medians of {repeat} runs")
    rows = []
    for label, key, n in (
        ("indexed, longest-idle (default)", "default_indexed", decisions),
        ("indexed, 7 strategies mixed", "mixed_indexed", decisions),
        ("naive scan, longest-idle (baseline)", "naive", naive_decisions),
    ):
        rate = fig[f"{key}_decisions_per_s"]
        rows.append(
            [
                label,
                n,
                rate,
                fig[f"{key}_p50_us"],
                fig[f"{key}_p99_us"],
                rate / fig["naive_decisions_per_s"],
            ]
        )
    print(table(["router", "decisions", "decisions/s", "p50 us", "p99 us", "x naive"], rows))
    print(
        f"memory: {fig['default_bytes_per_agent']:,.0f} bytes per agent (default), "
        f"{fig['mixed_bytes_per_agent']:,.0f} (mixed): router, pools and ready entries"
    )
    print(
        "targets: "
        + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in fig["targets"].items())
    )
    if args.json:
        emit_json(fig)


if __name__ == "__main__":
    main()
