"""Pacing benchmark: our predictive pacer against VICIdial's adaptive law, power and progressive.

Scenario grid, 8-hour days, common random numbers across policies (each random stream of the
simulated trunk is seeded per purpose, so the k-th call placed meets the same far end under
every policy): agents 5, 20, 100; live-answer probability 0.15, 0.30, 0.60; answering machine
0.15, the rest no answer (released at 25 s); ring time to answer lognormal, mean 12 s, sd 6 s;
talk lognormal with mean 90 s or 240 s and coefficient of variation 0.8; wrap-up exponential
with mean 15 s; a live answer with no agent free within 2 s is abandoned.

    python benchmarks/pacing.py [--quick] [--json] [--seeds N] [--small-seeds N] [--agents 5,20]
    python benchmarks/pacing.py --regimes [--quick] [--json] [--seeds N]

``--regimes`` runs the days on which the world changes instead (``benchmarks/regimes.py``).
The 5-agent cells run ``--small-seeds`` seeds (20 by default): a day there holds a few hundred
connects, so one seed's ratio to progressive moves by about 1% (more than the difference
the target asks about), and these days are cheap. ``--agents`` runs only the team sizes named.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from statistics import mean
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd.config.schema import Config
from acd.simulate import build
from benchmarks import regimes
from benchmarks.common import emit_json, parser, table
from benchmarks.policies import POLICIES, pacer
from dialer.center import Center
from dialer.scenarios import outbound_scenario


def scenario(agents: int, p_live: float, talk: float, hours: float, seed: int) -> Config:
    return outbound_scenario(agents, p_live, talk=talk, hours=hours, seed=seed)


def worst_hour(center: Center) -> float:
    """The worst rolling 60-minute abandonment ratio (drops / live answers) of the day."""
    buckets = center.campaigns["c"].ledger.snapshot()
    if not buckets:
        return 0.0
    start = int(buckets[0][0] // 60)
    n = int(buckets[-1][0] // 60) - start + 1
    ans = [0] * n
    drops = [0] * n
    for t, a, d in buckets:
        ans[int(t // 60) - start] += a
        drops[int(t // 60) - start] += d
    worst = 0.0
    sa = sd = 0
    for i in range(n):
        sa += ans[i]
        sd += drops[i]
        if i >= 60:
            sa -= ans[i - 60]
            sd -= drops[i - 60]
        if sa >= 20:  # a window with too few answers says nothing
            worst = max(worst, sd / sa)
    return worst


def run_one(args: tuple[str, int, float, float, float, int]) -> dict[str, Any]:
    policy, agents, p_live, talk, hours, seed = args
    cfg = scenario(agents, p_live, talk, hours, seed)
    core, _, driver = build(cfg, pacers={"c": pacer(policy)})
    assert isinstance(core, Center)
    t0 = time.perf_counter()
    end = driver.run(hours * 3600.0)
    wall = time.perf_counter() - t0
    rep = core.campaign_report(end)["c"]
    return {
        "policy": policy,
        "agents": agents,
        "p_live": p_live,
        "talk": talk,
        "seed": seed,
        "connects_per_agent_hour": rep["connects_per_agent_hour"] or 0.0,
        "talk_occupancy": rep["talk_occupancy"] or 0.0,
        "idle_between_calls_s": rep["mean_idle_seconds_between_calls"] or 0.0,
        "abandonment_day": rep["abandonment_rate"] or 0.0,
        "abandonment_worst_hour": worst_hour(core),
        "connected": rep["connected"],
        "wall_s": wall,
    }


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=None)
    p.add_argument("--regimes", action="store_true", help="the days on which the world changes")
    p.add_argument("--small-seeds", type=int, default=None, help="seeds of the 5-agent cells")
    p.add_argument("--agents", default=None, help="team sizes to run, comma-separated")
    args = p.parse_args()
    if args.regimes:
        regimes.main(args.quick, args.seeds, args.json)
        return
    seeds = args.seeds or (1 if args.quick else 3)
    hours = 1.0 if args.quick else 8.0
    small_seeds = args.small_seeds or (seeds if args.quick else max(seeds, 20))
    agents_set: tuple[int, ...] = (5, 20) if args.quick else (5, 20, 100)
    if args.agents:
        agents_set = tuple(int(a) for a in args.agents.split(","))
    grid = list(itertools.product(agents_set, (0.15, 0.30, 0.60), (90.0, 240.0)))
    jobs = [
        (pol, a, pl, tk, hours, s)
        for (a, pl, tk) in grid
        for s in range(1, (small_seeds if a == 5 else seeds) + 1)
        for pol in POLICIES
    ]
    jobs.sort(key=lambda j: -j[1])  # big teams first: better packing on two cores
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_one, jobs))
    wall = time.perf_counter() - t0
    by: dict[tuple[Any, ...], dict[str, dict[str, float]]] = {}
    for r in results:
        key = (r["agents"], r["p_live"], r["talk"])
        acc = by.setdefault(key, {}).setdefault(r["policy"], {})
        for k in (
            "connects_per_agent_hour",
            "talk_occupancy",
            "idle_between_calls_s",
            "abandonment_day",
            "abandonment_worst_hour",
        ):
            acc.setdefault(k, []).append(r[k])  # type: ignore[attr-defined]
    rows = []
    summary: dict[str, Any] = {
        "scenarios": [],
        "hours": hours,
        "seeds": seeds,
        "seeds_5_agents": small_seeds,
        "wall_s": wall,
    }
    for key in sorted(by):
        pol = {k: {m: mean(v) for m, v in d.items()} for k, d in by[key].items()}
        worst_ours = max(
            r["abandonment_day"]
            for r in results
            if (r["agents"], r["p_live"], r["talk"]) == key and r["policy"] == "ours"
        )
        ours = pol["ours"]["connects_per_agent_hour"]
        vici = pol["vicidial"]["connects_per_agent_hour"]
        prog = pol["progressive"]["connects_per_agent_hour"]
        landed = pol.get("landed", {}).get("connects_per_agent_hour")
        summary["scenarios"].append(
            {
                "agents": key[0],
                "p_live": key[1],
                "talk": key[2],
                "policies": pol,
                "ours_vs_vicidial": ours / vici if vici else None,
                "ours_vs_progressive": ours / prog if prog else None,
                "ours_vs_landed": ours / landed if landed else None,
                "ours_worst_day_abandonment": worst_ours,
            }
        )
        for name in POLICIES:
            m = pol[name]
            rows.append(
                [
                    f"{key[0]} ag, p={key[1]:.2f}, talk {key[2]:.0f}s"
                    if name == "progressive"
                    else "",
                    name,
                    m["connects_per_agent_hour"],
                    m["talk_occupancy"],
                    m["idle_between_calls_s"],
                    f"{m['abandonment_day']:.2%}",
                    f"{m['abandonment_worst_hour']:.2%}",
                    f"{ours / vici:.2f}" if name == "ours" and vici else "",
                    f"{ours / prog:.3f}" if name == "ours" and prog else "",
                    f"{ours / landed:.3f}" if name == "ours" and landed else "",
                ]
            )
    print(
        f"Pacing: {len(grid)} scenarios x {seeds} seed(s) ({small_seeds} at 5 agents) x "
        f"{len(POLICIES)} policies, "
        f"{hours:g} h days; means over seeds; {wall:.0f} s"
    )
    print(
        table(
            [
                "scenario",
                "policy",
                "connects/agent-h",
                "talk occ",
                "idle s",
                "abandon day",
                "worst 60 min",
                "x vicidial",
                "x progressive",
                "x landed",
            ],
            rows,
        )
    )
    # Targets, from the issue.
    checks: dict[str, bool] = {}
    checks["ours never above 3% over the day"] = all(
        r["abandonment_day"] <= 0.03 for r in results if r["policy"] == "ours"
    )
    for size, need in ((20, 1.25), (100, 1.35)):
        sc = [s for s in summary["scenarios"] if s["agents"] == size]
        if sc:
            avg = mean(s["ours_vs_vicidial"] for s in sc)
            summary[f"ours_vs_vicidial_mean_{size}"] = avg
            checks[f"{size} agents: >= {need:.2f}x VICIdial on average ({avg:.2f})"] = avg >= need
    checks["fewer than VICIdial in no scenario"] = all(
        s["ours_vs_vicidial"] >= 1.0 for s in summary["scenarios"]
    )
    checks["5 agents: never fewer than progressive"] = all(
        s["ours_vs_progressive"] >= 1.0 for s in summary["scenarios"] if s["agents"] == 5
    )
    # Against the landed pacer (when it is measured): the second pass.
    big = [s["ours_vs_landed"] for s in summary["scenarios"] if s["agents"] >= 20]
    if all(r is not None for r in big) and big:
        avg = mean(big)
        summary["ours_vs_landed_mean_20_100"] = avg
        checks[f"20 and 100 agents: >= 1.04x landed on average ({avg:.3f})"] = avg >= 1.04
        checks[f"20 and 100 agents: >= 0.99x landed in every scenario ({min(big):.3f})"] = (
            min(big) >= 0.99
        )
    summary["targets"] = checks
    print("targets: " + "; ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in checks.items()))
    if args.quick:
        print(
            "(--quick: 1-hour days, where the pacer's first minutes of learning weigh heavily;"
            " the targets are for the full 8-hour grid)"
        )
    if args.json:
        emit_json(json.loads(json.dumps(summary, default=float)))


if __name__ == "__main__":
    main()
