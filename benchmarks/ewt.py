"""EWT accuracy: our estimator against Asterisk app_queue's method, on simulated days.

For every call the engine answers we compare the estimate made when the call entered, and at
each announcement time after (every 60 s of waiting), with the wait that followed (answer time
minus estimate time). Two estimators in the same run, on the same calls and instants:

- ours: :mod:`acd.engine.ewt` (position among the calls the call's agents serve first, when
  those agents free up, recent arrivals and abandonment);
- app_queue's: the queue's average hold time as an EWMA of weight 1/4 over answered calls
  (``avg = (3 * avg + new) / 4``, app_queue.c recalc_holdtime), minus the time already waited
  (never below 0).

Scenarios: one queue, and three skill-based queues with call priorities and escalation, each
with constant and with peaked arrivals, all with patience (callers abandon). Figures per
scenario: mean absolute error (MAE), share within +-30 s and within +-20 % of the actual wait,
and bias (mean error over mean actual wait). Only estimates ours gives (not None) are scored,
for both methods; ``coverage`` says what share that is. Target: our MAE at most half of
app_queue's on every scenario, and |bias| at most 10 %.

    python benchmarks/ewt.py [--quick] [--json]
"""

from __future__ import annotations

import heapq
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd import events as ev
from acd.config.schema import Config
from acd.engine.ewt import estimator
from acd.simulate import build
from benchmarks.common import emit_json, parser, table

ANNOUNCE_EVERY = 60.0
LOGNORMAL = "lognormal"


def _handle(mean: float) -> dict[str, Any]:
    return {"distribution": LOGNORMAL, "mean": mean, "sd": 0.8 * mean}


PATIENCE = {"distribution": "exponential", "mean": 300}
PEAK = [  # calls per hour as a share of the day's mean, from the day's start (08:00)
    ("08:00", 0.6),
    ("09:00", 1.0),
    ("10:00", 1.5),
    ("11:30", 1.1),
    ("13:00", 0.7),
    ("14:00", 1.3),
    ("15:30", 0.9),
]


def _traffic(rate: float, peaked: bool, aht: float, priority: int = 0) -> dict[str, Any]:
    t: dict[str, Any] = {"handle_time": _handle(aht), "patience": PATIENCE, "priority": priority}
    if peaked:
        t["profile"] = [{"start": s, "calls_per_hour": rate * k} for s, k in PEAK]
    else:
        t["calls_per_hour"] = rate
    return t


def single(peaked: bool, hours: float) -> Config:
    agents = [{"id": f"a{i:02d}", "skills": {"general": 5}} for i in range(25)]
    # 25 agents, 240 s handle + 10 s wrap: 0.97 load at 350 calls per hour.
    return _config(
        [{"name": "general", "skills": {"general": 1}, "wrap_up_seconds": 10}],
        agents,
        {"general": _traffic(350, peaked, 240)},
        hours,
    )


def skills(peaked: bool, hours: float) -> Config:
    queues = [
        {
            "name": "sales",
            "skills": {"sales": 3},
            "wrap_up_seconds": 10,
            "escalation": [{"after_seconds": 90, "add_alternative": {"support": 6}}],
        },
        {
            "name": "support",
            "skills": {"support": 3},
            "wrap_up_seconds": 15,
            "escalation": [{"after_seconds": 120, "lower_levels_by": 2}],
        },
        {"name": "vip", "priority": 5, "skills": {"support": 6}, "wrap_up_seconds": 15},
    ]
    agents = []
    for i in range(40):
        if i < 14:
            sk = {"sales": 5}
        elif i < 22:
            sk = {"sales": 4, "support": 4}
        elif i < 32:
            sk = {"support": 4 + i % 2}
        else:
            sk = {"support": 7, "sales": 2}
        agents.append({"id": f"a{i:02d}", "skills": sk})
    traffic = {
        "sales": _traffic(200, peaked, 200),
        "support": _traffic(190, peaked, 300, priority=0),
        "vip": _traffic(60, peaked, 300, priority=2),
    }
    return _config(queues, agents, traffic, hours)


def _config(
    queues: list[dict[str, Any]],
    agents: list[dict[str, Any]],
    traffic: dict[str, Any],
    hours: float,
) -> Config:
    return Config.model_validate(
        {
            "name": "ewt-bench",
            "queues": queues,
            "agents": agents,
            "simulation": {
                "seed": 1,
                "hours": hours,
                "agents": {"answer_delay": {"distribution": LOGNORMAL, "mean": 3, "sd": 1.5}},
                "traffic": traffic,
            },
        }
    )


def run(cfg: Config, seed: int) -> dict[str, list[tuple[float, float]]]:
    """Play the day; return (estimate, actual) pairs for ours and app_queue's method."""
    core, trunk, _ = build(cfg, seed=seed)
    engine = core.engine
    engine.notices = []
    hold_avg = dict.fromkeys(engine.queues, 0.0)  # app_queue's per-queue EWMA
    pending: dict[str, list[tuple[float, float | None, float]]] = {}  # call -> (t, ours, theirs)
    checks: list[tuple[float, str]] = []  # (time, call) announcement instants
    pairs: dict[str, list[tuple[float, float]]] = {"ours": [], "app_queue": []}
    unknown = 0
    until = cfg.simulation.hours * 3600.0  # type: ignore[union-attr]

    def estimate(call_id: str, now: float) -> None:
        nonlocal unknown
        c = engine.calls.get(call_id)
        if c is None or not c.present or c.state.value != "waiting":
            return
        ours = estimator(engine, now).call(c)
        theirs = max(0.0, hold_avg[c.queue.name] - (now - c.entered))
        if ours is None:
            unknown += 1
        pending.setdefault(call_id, []).append((now, ours, theirs))
        heapq.heappush(checks, (now + ANNOUNCE_EVERY, call_id))

    while True:
        td, te = engine.next_deadline(), trunk.next_time()
        if td is None and te is None:
            break
        timer_first = td is not None and (te is None or td <= te)
        now: float = td if timer_first else te  # type: ignore[assignment]
        if now > until and not engine.in_progress():
            break
        while checks and checks[0][0] <= now:
            t, cid = heapq.heappop(checks)
            estimate(cid, t)
        event = None
        if timer_first:
            commands = engine.on_timer(now)
        else:
            _, event = trunk.pop()
            if event is None:
                continue
            commands = core.handle(event, now)
        for cmd in commands:
            trunk.execute(cmd, now)
        for n in engine.notices:
            if n.get("type") == "call" and n["event"] == "answered":
                q = n["queue"]
                hold_avg[q] = (3 * hold_avg[q] + n["seconds"]) / 4
                for t, ours, theirs in pending.pop(n["call_id"], ()):
                    if ours is not None:
                        pairs["ours"].append((ours, now - t))
                        pairs["app_queue"].append((theirs, now - t))
            elif n.get("type") == "call" and n["event"] in ("left", "ended"):
                pending.pop(n["call_id"], None)
        engine.notices.clear()
        if isinstance(event, ev.CallArrived) and event.call_id in engine.calls:
            estimate(event.call_id, now)
    pairs["unknown"] = [(float(unknown), 0.0)]
    return pairs


def score(pairs: list[tuple[float, float]]) -> dict[str, float]:
    n = len(pairs)
    if not n:
        return {"n": 0, "mae_s": 0.0, "within_30s": 0.0, "within_20pct": 0.0, "bias": 0.0}
    errs = [e - a for e, a in pairs]
    mean_actual = sum(a for _, a in pairs) / n
    return {
        "n": n,
        "mae_s": sum(abs(x) for x in errs) / n,
        "within_30s": sum(1 for x in errs if abs(x) <= 30) / n,
        "within_20pct": sum(1 for (_, a), x in zip(pairs, errs, strict=True) if abs(x) <= 0.2 * a)
        / n,
        "bias": (sum(errs) / n) / mean_actual if mean_actual > 0 else 0.0,
        "mean_wait_s": mean_actual,
    }


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    hours = 3.0 if args.quick else 8.0
    seeds = range(1, (args.repeat or (1 if args.quick else 3)) + 1)
    scenarios = {
        "one queue, constant": single(False, hours),
        "one queue, peaked": single(True, hours),
        "skills+priority+escalation, constant": skills(False, hours),
        "skills+priority+escalation, peaked": skills(True, hours),
    }
    fig: dict[str, Any] = {"hours": hours, "seeds": len(seeds), "scenarios": {}}
    rows = []
    met = True
    for name, cfg in scenarios.items():
        got: dict[str, list[tuple[float, float]]] = {"ours": [], "app_queue": []}
        unknown = 0.0
        for s in seeds:
            r = run(cfg, s)
            got["ours"] += r["ours"]
            got["app_queue"] += r["app_queue"]
            unknown += r["unknown"][0][0]
        ours, theirs = score(got["ours"]), score(got["app_queue"])
        ok = ours["mae_s"] <= 0.5 * theirs["mae_s"] and abs(ours["bias"]) <= 0.10
        met = met and ok
        coverage = ours["n"] / (ours["n"] + unknown) if ours["n"] + unknown else 0.0
        fig["scenarios"][name] = {
            "ours": ours,
            "app_queue": theirs,
            "coverage": coverage,
            "target_met": ok,
        }
        for label, sc in (("ours", ours), ("app_queue", theirs)):
            rows.append(
                [
                    name,
                    label,
                    sc["n"],
                    sc.get("mean_wait_s", 0.0),
                    sc["mae_s"],
                    sc["within_30s"],
                    sc["within_20pct"],
                    sc["bias"],
                ]
            )
    fig["target_met"] = met
    print(f"EWT accuracy: {hours:g} h days, {len(seeds)} seed(s); at entry and every 60 s")
    print(
        table(
            ["scenario", "method", "estimates", "mean wait s", "MAE s", "±30 s", "±20%", "bias"],
            rows,
        )
    )
    print(
        "target (MAE <= half of app_queue's, |bias| <= 10%): "
        + ", ".join(
            f"{n}: {'met' if v['target_met'] else 'MISSED'}" for n, v in fig["scenarios"].items()
        )
    )
    if args.json:
        emit_json(fig)


if __name__ == "__main__":
    main()
