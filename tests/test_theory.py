"""The engine against queueing theory.

``examples/mmn.yaml`` is an M/M/14 queue at 10 Erlangs: its waiting probability, ASA and
service level must match Erlang C (reference case C06) within 3% relative. With exponential
patience (mean 120 s) it is M/M/14+M, and the abandonment rate must match Erlang A (case A03)
within 5% relative. The reference values are the shared 50-digit table in tests/data/erlang/.

Sample sizes: across seeds, the relative spread of the measured ASA is about 6% at 100k calls
(waits are strongly correlated), so the Erlang C check simulates about 2 million calls (two
seeds, one process each) for a 3% tolerance of more than two standard deviations; P(abandon)
spreads 1.2% at 100k calls, so 300k calls give the 5% tolerance a margin of about seven.
"""

from __future__ import annotations

import csv
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from acd.config.files import load_config
from acd.config.schema import Config
from acd.config.simulation import Distribution
from acd.simulate import run_scenario

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(__file__).parent / "data" / "erlang" / "reference.csv"


def reference(case: str) -> dict[str, float]:
    with REFERENCE.open() as f:
        for row in csv.DictReader(f):
            if row["id"] == case:
                return {k: float(v) for k, v in row.items() if k not in ("id", "model") and v}
    raise KeyError(case)


def mmn(patience: float | None = None) -> Config:
    cfg = load_config(ROOT / "examples" / "mmn.yaml")
    if patience is None:
        return cfg
    sim = cfg.simulation
    assert sim is not None
    traffic = sim.traffic["main"].model_copy(
        update={"patience": Distribution(distribution="exponential", mean=patience)}
    )
    queue = cfg.queues[0].model_copy(update={"short_abandon_seconds": 0.0})
    return cfg.model_copy(
        update={
            "queues": [queue],
            "simulation": sim.model_copy(update={"traffic": {"main": traffic}}),
        }
    )


def _run(args: tuple[Config, int, float]) -> dict[str, Any]:
    cfg, seed, hours = args
    return run_scenario(cfg, seed=seed, hours=hours)["queues"]["main"]


def pooled(cfg: Config, seeds: list[int], hours: float) -> dict[str, float]:
    """Run seeds in parallel processes and pool their counts."""
    with ProcessPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(_run, [(cfg, s, hours) for s in seeds]))
    offered = sum(r["offered"] for r in runs)
    answered = sum(r["answered"] for r in runs)
    ended = sum(r["offered"] - r["waiting"] for r in runs)
    return {
        "offered": offered,
        "p_wait": sum(r["p_wait"] * r["offered"] for r in runs) / offered,
        "asa_seconds": sum(r["asa_seconds"] * r["answered"] for r in runs) / answered,
        "service_level": sum(r["service_level"] * (r["offered"] - r["waiting"]) for r in runs)
        / ended,
        "abandon_rate": sum(r["abandon_rate"] * (r["offered"] - r["waiting"]) for r in runs)
        / ended,
    }


def test_mmn_agrees_with_erlang_c() -> None:
    ref = reference("C06")
    cfg = mmn()
    assert (len(cfg.agents), ref["N"]) == (14, 14)
    got = pooled(cfg, seeds=[1, 2], hours=5000.0)
    assert got["offered"] > 1_900_000
    assert got["p_wait"] == pytest.approx(ref["p_wait"], rel=0.03)
    assert got["asa_seconds"] == pytest.approx(ref["asa_s"], rel=0.03)
    assert got["service_level"] == pytest.approx(ref["sl"], rel=0.03)


def test_mmn_with_patience_agrees_with_erlang_a() -> None:
    ref = reference("A03")
    got = pooled(mmn(patience=ref["patience_s"]), seeds=[3, 4], hours=750.0)
    assert got["offered"] > 280_000
    assert got["abandon_rate"] == pytest.approx(ref["p_abandon"], rel=0.05)
    assert got["service_level"] == pytest.approx(ref["sl"], rel=0.03)
    assert got["asa_seconds"] == pytest.approx(ref["asa_s"], rel=0.10)
