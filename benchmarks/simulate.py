"""Simulation benchmark: a 500-agent, 8-hour day of about 100,000 calls.

Ten queues over twenty skills, 2-4 skills per agent, lognormal handle times, patience and
wrap-up: the whole engine, simulated trunk and driver. The baseline in the same run is the same
day with the naive scan-everything router plugged into the same engine. The same day with
interval rows off (day figures only) gives what the per-interval accounting costs.

    python benchmarks/simulate.py [--quick] [--json]
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
import time
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd.config.schema import Config
from acd.simulate import run_scenario
from benchmarks.common import emit_json, median, parser, table
from benchmarks.naive import NaiveRouter
from routing.router import Router


def scenario(n_agents: int = 500, calls_per_day: int = 100_000, hours: float = 8.0) -> Config:
    rng = Random(11)
    skills = [f"skill{i:02d}" for i in range(20)]
    queues = []
    for i in range(10):
        queues.append(
            {
                "name": f"q{i}",
                "skills": {skills[2 * i]: 3},
                "wrap_up_seconds": 5,
                "max_wait_seconds": 900,
                "escalation": [{"after_seconds": 45, "add_alternative": {skills[2 * i + 1]: 5}}],
            }
        )
    agents = []
    for a in range(n_agents):
        primary = skills[2 * (a % 10)]
        own = {primary: rng.randint(3, 10)}
        for s in rng.sample(skills, rng.randint(1, 3)):
            own.setdefault(s, rng.randint(1, 10))
        agents.append({"id": f"agent{a:04d}", "skills": own})
    per_queue_hour = calls_per_day / hours / len(queues)
    # About 95% of the agents' time busy: 500 agents * 0.95 * 3600 / 12,500 calls/h = 137 s.
    aht = n_agents * 0.95 * 3600 / (calls_per_day / hours) - 5
    traffic = {
        q["name"]: {
            "calls_per_hour": per_queue_hour,
            "handle_time": {"distribution": "lognormal", "mean": aht, "sd": aht * 0.8},
            "patience": {"distribution": "exponential", "mean": 240},
        }
        for q in queues
    }
    return Config.model_validate(
        {
            "name": "bench",
            "queues": queues,
            "agents": agents,
            "simulation": {
                "seed": 1,
                "hours": hours,
                "agents": {
                    "answer_delay": {"distribution": "lognormal", "mean": 2, "sd": 1},
                    "no_answer_probability": 0.01,
                },
                "traffic": traffic,
            },
        }
    )


def one(
    cfg: Config, seed: int, router_cls: type[Router], intervals: bool = True, share: float = 1.0
) -> dict[str, Any]:
    """One simulated day (``share``: that part of its hours, for a warm-up)."""
    if share != 1.0:
        sim = cfg.simulation
        assert sim is not None
        cfg = cfg.model_copy(
            update={"simulation": sim.model_copy(update={"hours": sim.hours * share})}
        )
    gc.collect()  # the last run's garbage is not this one's cost
    t0, c0 = time.perf_counter(), time.process_time()
    r = run_scenario(cfg, seed=seed, router_cls=router_cls, intervals=intervals)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "wall_s": wall,
        "simulated_s": r["sim"]["simulated_seconds"],
        "speedup": r["sim"]["simulated_seconds"] / wall,
        "calls": r["sim"]["arrivals"],
        "events_per_s": r["sim"]["events"] / wall,
        # Per CPU second: what the process did, not what a busy machine let it do.
        "events_per_cpu_s": r["sim"]["events"] / cpu,
        "service_level": r["totals"]["service_level"],
    }


def isolated(cfg: Config, seed: int, router_cls: type[Router], intervals: bool) -> dict[str, Any]:
    """One run in a fresh process: runs in one process slow down one after the other (its heap
    grows and fragments), which would be charged to whichever variant runs later."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        warm = pool.apply(one, (cfg, seed, router_cls, intervals, 0.25))  # imports, caches
        del warm
        return pool.apply(one, (cfg, seed, router_cls, intervals))


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    hours = 1.0 if args.quick else 8.0
    repeat = args.repeat or (2 if args.quick else 3)
    cfg = scenario(hours=hours, calls_per_day=int(12_500 * hours))
    ours, bare = [], []
    for s in range(1, repeat + 1):  # interleaved, in turn first: noise and order hit both alike
        pair = [(ours, True), (bare, False)]
        for runs, intervals in pair if s % 2 else pair[::-1]:
            runs.append(isolated(cfg, s, Router, intervals))
    naive = [isolated(cfg, s, NaiveRouter, True) for s in range(1, repeat + 1)]
    fig: dict[str, Any] = {"agents": 500, "hours": hours, "runs": repeat}
    for name, runs in (("indexed", ours), ("no_intervals", bare), ("naive", naive)):
        for k in (
            "wall_s",
            "speedup",
            "events_per_s",
            "events_per_cpu_s",
            "calls",
            "service_level",
        ):
            fig[f"{name}_{k}"] = median([r[k] for r in runs])
    fig["ratio_vs_naive"] = fig["indexed_speedup"] / fig["naive_speedup"]
    # Events per CPU second with interval rows over without (the same events): 1 - cost.
    fig["interval_cost"] = (
        1 - fig["indexed_events_per_cpu_s"] / fig["no_intervals_events_per_cpu_s"]
    )
    fig["targets"] = {
        "speedup>=1000": fig["indexed_speedup"] >= 1000,
        "interval_cost<=5%": fig["interval_cost"] <= 0.05,
    }
    print(f"Simulation: 500 agents, {hours:g} h of arrivals; medians of {repeat} seeds")
    print(
        table(
            ["router", "calls", "wall s", "x real time", "events/s", "SL", "x naive"],
            [
                [
                    label,
                    int(fig[f"{k}_calls"]),
                    fig[f"{k}_wall_s"],
                    fig[f"{k}_speedup"],
                    fig[f"{k}_events_per_s"],
                    fig[f"{k}_service_level"],
                    fig[f"{k}_speedup"] / fig["naive_speedup"],
                ]
                for label, k in (
                    ("indexed (ours)", "indexed"),
                    ("indexed, no interval rows", "no_intervals"),
                    ("naive scan (baseline)", "naive"),
                )
            ],
        )
    )
    print(f"interval rows cost {fig['interval_cost']:.1%} of events per CPU second")
    print(
        "targets: "
        + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in fig["targets"].items())
    )
    if args.json:
        emit_json(fig)


if __name__ == "__main__":
    main()
