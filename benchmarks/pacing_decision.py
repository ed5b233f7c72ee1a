"""What one pacing decision costs at 100 agents: our predictive pacer against the landed one.

Each policy paces a simulated campaign of 100 agents (live answers 0.30, talk 90 s) and every
call of its ``launch`` is timed in CPU time (the process's clock: on a shared machine wall
time would count the waits for a core too); the table gives p50 and p99 per policy, the median of
``--repeat`` runs, and the ratio to the landed pacer measured in the same run. Target: p99
under 200 µs for ours.

    python benchmarks/pacing_decision.py [--quick] [--json] [--repeat N]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd.simulate import build
from benchmarks.common import emit_json, median, parser, table
from benchmarks.pacer_landed import LandedPredictive
from dialer.pacing import PacingInput, Predictive
from dialer.scenarios import outbound_scenario

TARGET_P99_US = 200.0


class Timed:
    """A pacer whose every decision is timed (the campaign feeds the inner one's estimates)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cadence = inner.cadence
        if hasattr(inner, "est"):
            self.est = inner.est
        self.ns: list[int] = []

    def launch(self, inp: PacingInput) -> int:
        t0 = time.process_time_ns()
        k = int(self.inner.launch(inp))
        self.ns.append(time.process_time_ns() - t0)
        return k


def one(policy: str, minutes: float, seed: int) -> tuple[float, float]:
    """(p50, p99) in µs of the decisions after the first 5 minutes (learning, progressive)."""
    pacer = Timed(Predictive() if policy == "ours" else LandedPredictive())
    cfg = outbound_scenario(100, 0.30, talk=90.0, hours=minutes / 60, seed=seed)
    _, _, driver = build(cfg, pacers={"c": pacer})
    driver.run(300.0, drain=False)
    pacer.ns.clear()
    driver.run(minutes * 60.0, drain=False)
    us = np.array(pacer.ns) / 1000.0
    return float(np.percentile(us, 50)), float(np.percentile(us, 99))


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    args = p.parse_args()
    repeat = args.repeat or 3
    minutes = 10.0 if args.quick else 30.0
    runs: dict[str, list[tuple[float, float]]] = {"landed": [], "ours": []}
    for r in range(repeat):
        for policy in ("landed", "ours") if r % 2 == 0 else ("ours", "landed"):
            runs[policy].append(one(policy, minutes, seed=1 + r))
    figs = {
        pol: {"p50_us": median([x[0] for x in v]), "p99_us": median([x[1] for x in v])}
        for pol, v in runs.items()
    }
    base = figs["landed"]
    rows = [
        [pol, f["p50_us"], f["p99_us"], f"{f['p99_us'] / base['p99_us']:.2f}"]
        for pol, f in figs.items()
    ]
    print(f"Pacing decision at 100 agents: {minutes:g} min of dialing, medians of {repeat} runs")
    print(table(["policy", "p50 µs", "p99 µs", "p99 x landed"], rows))
    met = figs["ours"]["p99_us"] < TARGET_P99_US
    print(f"target: ours p99 < {TARGET_P99_US:.0f} µs: {'met' if met else 'MISSED'}")
    if args.json:
        emit_json({"policies": figs, "target_p99_us": TARGET_P99_US, "met": met})


if __name__ == "__main__":
    main()
