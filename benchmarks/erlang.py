"""Erlang benchmark: required agents at 10, 100, 5,000 and 50,000 Erlangs (80/20, AHT 180 s)
and a vectorised batch of 100,000 (N, A) evaluations, with pyworkforce 0.5.1 in the same run.

pyworkforce's ``ErlangC(transactions, aht, asa, interval).required_positions(service_level)``
(its ``asa`` is the service-level threshold) walks N up from round(A + 1), each evaluation an
O(N) Erlang B recursion; ours brackets and bisects in log space. The answers must agree. The
batch has no pyworkforce counterpart, so it is compared per evaluation with
``ErlangC.service_level(N)`` on a sample of the same pairs. Ours and theirs run interleaved, so
both see the same machine; each ratio is the median of the per-run ratios.

    python benchmarks/erlang.py [--quick] [--json] [--repeat N]
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd.erlang import erlang_a, erlang_c, required_agents
from benchmarks.common import emit_json, median, parser, table

LOADS = (10.0, 100.0, 5_000.0, 50_000.0)
AHT, THRESHOLD, TARGET, INTERVAL = 180.0, 20.0, 0.8, 1800.0
BATCH = 100_000

try:
    from pyworkforce.queuing import ErlangC

    PYWORKFORCE: str | None = metadata.version("pyworkforce")
except ImportError:
    ErlangC = None
    PYWORKFORCE = None


def _loops(fn: Callable[[], object], min_run: float) -> int:
    t0 = time.perf_counter()
    fn()
    return max(1, math.ceil(min_run / max(time.perf_counter() - t0, 1e-9)))


def _run(fn: Callable[[], object], loops: int) -> float:
    t0 = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - t0) / loops


def per_call(fn: Callable[[], object], repeat: int, min_run: float) -> float:
    """Median over ``repeat`` runs of the seconds per call, each run at least ``min_run`` s."""
    loops = _loops(fn, min_run)
    return median([_run(fn, loops) for _ in range(repeat)])


def paired(
    ours: Callable[[], object], theirs: Callable[[], object], repeat: int, min_run: float
) -> tuple[float, float, float]:
    """Interleaved runs, so both see the same machine: medians of each and of their ratios."""
    lo, lt = _loops(ours, min_run), _loops(theirs, min_run)
    a, b = [], []
    for _ in range(repeat):
        a.append(_run(ours, lo))
        b.append(_run(theirs, lt))
    return median(a), median(b), median([y / x for x, y in zip(a, b, strict=True)])


def ours_solve(a: float) -> int:
    return required_agents(a, AHT, target_sl=TARGET, answer_within=THRESHOLD).agents


def pyworkforce_solve(a: float) -> int:
    assert ErlangC is not None
    erlang = ErlangC(transactions=a * INTERVAL / AHT, aht=AHT, asa=THRESHOLD, interval=INTERVAL)
    return int(erlang.required_positions(service_level=TARGET)["raw_positions"])


def batch_pairs(size: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Loads log-uniform on 1-10,000 Erlangs, agents from A+1 to A + 3 sqrt(A) + 5."""
    rng = np.random.default_rng(seed)
    a = np.exp(rng.uniform(0.0, math.log(10_000.0), size))
    n = np.floor(a) + 1 + np.floor(rng.uniform(0, 3 * np.sqrt(a) + 5))
    return n, a


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    min_run = 0.02 if args.quick else 0.1
    sample = 200 if args.quick else 2_000
    fig: dict[str, Any] = {
        "repeat": repeat,
        "pyworkforce": PYWORKFORCE,
        "aht_seconds": AHT,
        "target": f"{TARGET:.0%}/{THRESHOLD:g}s",
    }
    rows: list[list[Any]] = []
    for a in LOADS:
        key = f"solve_{int(a)}"
        label = f"required agents, {a:,.0f} E"
        ours_n = ours_solve(a)
        fig[f"{key}_agents"] = ours_n
        if ErlangC is None:
            ours_t = per_call(partial(ours_solve, a), repeat, min_run)
            fig[f"{key}_ours_us"] = ours_t * 1e6
            rows.append([label, ours_t * 1e6, "-", "-", f"{ours_n:,}", "-"])
            continue
        pw_n = pyworkforce_solve(a)
        ours_t, pw_t, ratio = paired(
            partial(ours_solve, a), partial(pyworkforce_solve, a), repeat, min_run
        )
        fig[f"{key}_ours_us"] = ours_t * 1e6
        fig[f"{key}_pyworkforce_us"] = pw_t * 1e6
        fig[f"{key}_pyworkforce_agents"] = pw_n
        fig[f"{key}_same_answer"] = pw_n == ours_n
        fig[f"{key}_ratio"] = ratio
        same = "yes" if pw_n == ours_n else "NO"
        rows.append([label, ours_t * 1e6, pw_t * 1e6, ratio, f"{ours_n:,} / {pw_n:,}", same])

    # The batch: one vectorised call for 100,000 (N, A) pairs.
    bn, ba = batch_pairs(BATCH)
    label = f"Erlang C batch, {BATCH:,} (N, A), per eval"

    def ours_batch() -> object:
        return erlang_c(bn, ba, AHT, THRESHOLD)

    fig["batch_size"] = BATCH
    if ErlangC is None:
        batch_t = per_call(ours_batch, repeat, 0.0)
        rows.append([label, batch_t / BATCH * 1e6, "-", "-", "", "-"])
    else:
        ours_sl = erlang_c(bn[:sample], ba[:sample], AHT, THRESHOLD).service_level
        objs = [
            ErlangC(transactions=ai * INTERVAL / AHT, aht=AHT, asa=THRESHOLD, interval=INTERVAL)
            for ai in ba[:sample]
        ]

        def pw_sample() -> list[float]:
            return [o.service_level(int(ni)) for o, ni in zip(objs, bn[:sample], strict=True)]

        agree = bool(np.allclose(pw_sample(), ours_sl, rtol=1e-9, atol=1e-12))
        batch_t, pw_t, ratio = paired(ours_batch, pw_sample, repeat, 0.0)
        fig["batch_pyworkforce_sample"] = sample
        fig["batch_pyworkforce_ns_per_eval"] = pw_t / sample * 1e9
        fig["batch_ratio"] = ratio * BATCH / sample
        fig["batch_same_service_level"] = agree
        rows.append(
            [label, batch_t / BATCH * 1e6, pw_t / sample * 1e6, fig["batch_ratio"],
             f"sample {sample:,}", "yes" if agree else "NO"]
        )  # fmt: skip
    fig["batch_ours_s"] = batch_t
    fig["batch_ours_ns_per_eval"] = batch_t / BATCH * 1e9
    fig["batch_ours_evals_per_s"] = BATCH / batch_t

    # Erlang A, ours only (pyworkforce 0.5.1 has none): one solve and a batch.
    a_solve = per_call(
        lambda: required_agents(100.0, AHT, target_sl=TARGET, answer_within=THRESHOLD,
                                patience=120.0), repeat, min_run
    )  # fmt: skip
    na, aa = batch_pairs(BATCH // 10, seed=8)
    a_batch = per_call(lambda: erlang_a(na, aa, AHT, THRESHOLD, 120.0), repeat, 0.0)
    fig["erlang_a_solve_100_us"] = a_solve * 1e6
    fig["erlang_a_batch_us_per_eval"] = a_batch / (BATCH // 10) * 1e6
    rows.append(
        ["Erlang A required agents, 100 E, patience 120 s", a_solve * 1e6, "-", "-", "", ""]
    )
    rows.append([f"Erlang A batch, {BATCH // 10:,} (N, A), per eval",
                 a_batch / (BATCH // 10) * 1e6, "-", "-", "", ""])  # fmt: skip

    big = [fig[k] for x in LOADS if x >= 5_000 and (k := f"solve_{int(x)}_ratio") in fig]
    fig["targets"] = {
        "100x_pyworkforce_at_5000+": all(r >= 100 for r in big) if big else None,
        "same_answers": None
        if ErlangC is None
        else all(fig[f"solve_{int(x)}_same_answer"] for x in LOADS),
    }
    note = (
        f"pyworkforce {PYWORKFORCE}"
        if PYWORKFORCE
        else "pyworkforce not importable (pip install pyworkforce==0.5.1): ours only"
    )
    print(f"Erlang: {TARGET:.0%} within {THRESHOLD:g} s, AHT {AHT:g} s; medians of {repeat} runs;")
    print(f"{note}; times in microseconds per call")
    print(table(["case", "ours us", "pyworkforce us", "pyworkforce/ours", "agents", "same"], rows))
    print(f"batch throughput: {fig['batch_ours_evals_per_s']:,.0f} Erlang C evaluations/s")
    print(
        "targets: "
        + ", ".join(
            f"{k} {'met' if v else ('n/a' if v is None else 'MISSED')}"
            for k, v in fig["targets"].items()
        )
    )
    if args.json:
        emit_json(fig)


if __name__ == "__main__":
    main()
