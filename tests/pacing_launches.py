"""The predictive pacer's decisions, recorded: for seeded simulated campaigns, the number of
calls each ``Predictive.launch`` returned, in order, saved in tests/data/pacing/. A change
made for speed must leave every count as it was (tests/dialer/test_pacing_decisions.py).

    python -m tests.pacing_launches save    # record the decisions of the tree as it is
    python -m tests.pacing_launches check   # exit 1 and name the first decision that differs
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from acd.config.schema import Config
from acd.simulate import build
from dialer.pacing import PacingInput, Predictive
from dialer.scenarios import REGIMES, outbound_scenario

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "pacing" / "launches.json"


def _regime(name: str) -> Callable[[int, float, int], Config]:
    return next(r for r in REGIMES if r.name == name).build


# name -> (the campaign, seconds simulated). Sizes and rates from the pacing benchmarks: the
# decision benchmark's campaign, a small and a slow one, and days that change under the pacer.
SCENARIOS: dict[str, tuple[Callable[[], Config], float]] = {
    "100 agents, p 0.30, talk 90": (lambda: outbound_scenario(100, 0.30, hours=0.5, seed=1), 1800),
    "20 agents, p 0.15, talk 240": (
        lambda: outbound_scenario(20, 0.15, talk=240.0, hours=1.0, seed=2),
        3600,
    ),
    "5 agents, p 0.60, talk 90": (lambda: outbound_scenario(5, 0.60, hours=1.0, seed=3), 3600),
    "compound, 20 agents": (lambda: _regime("compound")(20, 1.0, 4), 3600),
    "half leave, 20 agents": (lambda: _regime("half leave")(20, 1.0, 5), 3600),
}


class Recording:
    """A predictive pacer that notes every count it returns."""

    def __init__(self) -> None:
        self.inner = Predictive()
        self.cadence = self.inner.cadence
        self.counts: list[int] = []

    def launch(self, inp: PacingInput) -> int:
        k = int(self.inner.launch(inp))
        self.counts.append(k)
        return k


def launches(name: str) -> list[int]:
    """The counts the pacer returns over scenario ``name``."""
    make, seconds = SCENARIOS[name]
    pacer = Recording()
    _, _, driver = build(make(), pacers={"c": pacer})
    driver.run(seconds, drain=False)
    return pacer.counts


def saved() -> dict[str, list[int]]:
    return {k: [int(x) for x in v.split()] for k, v in json.loads(FIXTURE.read_text()).items()}


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "check"
    if mode not in ("save", "check"):
        print("usage: python -m tests.pacing_launches save|check", file=sys.stderr)
        return 2
    if mode == "save":
        data = {name: " ".join(map(str, launches(name))) for name in SCENARIOS}
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps(data, indent=1) + "\n")
        print(f"saved {FIXTURE.relative_to(ROOT)}")
        return 0
    bad = 0
    old = saved()
    for name in SCENARIOS:
        new = launches(name)
        pairs = enumerate(zip(old[name], new, strict=False))
        first = next((i for i, (a, b) in pairs if a != b), None)
        if first is None and len(new) == len(old[name]):
            print(f"same    {name}: {len(new)} decisions")
            continue
        bad += 1
        at = first if first is not None else min(len(new), len(old[name]))
        print(f"DIFFERS {name}: decision {at} of {len(old[name])} saved, {len(new)} now")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
