"""Erlang B, C and A against the 50-digit reference table, an independent state-by-state
summation, and invariants (hypothesis) from N = 1 to N = 100,000."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betainc, digamma

from acd.erlang import ErlangInputError, erlang_a, erlang_b, erlang_c, offered_load

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(__file__).parent / "data" / "erlang" / "reference.csv"
RTOL = 1e-9


def rows(*models: str) -> list[dict[str, str]]:
    with REFERENCE.open() as f:
        return [r for r in csv.DictReader(f) if r["model"] in models]


def close(got: float, want: str) -> bool:
    if want == "inf":
        return got == math.inf
    return math.isclose(got, float(want), rel_tol=RTOL, abs_tol=0.0)


def figures_c(r: dict[str, str]) -> dict[str, float]:
    res = erlang_c(int(r["N"]), float(r["A"]), float(r["aht_s"]), float(r["t_s"]))
    return {
        "p_wait": float(res.p_wait),
        "sl": float(res.service_level),
        "p_v_gt_t": float(res.p_wait_gt_t),
        "asa_s": float(res.asa_seconds),
        "mean_wait_all_s": float(res.mean_wait_all_seconds),
    }


def figures_a(r: dict[str, str]) -> dict[str, float]:
    args = (float(r[k]) for k in ("A", "aht_s", "t_s", "patience_s"))
    res = erlang_a(int(r["N"]), *args)
    return {
        "p_wait": float(res.p_wait),
        "sl": float(res.service_level),
        "p_v_gt_t": float(res.p_virtual_wait_gt_t),
        "asa_s": float(res.asa_seconds),
        "p_abandon": float(res.p_abandon),
        "mean_wait_all_s": float(res.mean_wait_all_seconds),
    }


# --------------------------------------------------------------------- reference table


def test_reference_table_has_every_model() -> None:
    assert {r["model"] for r in rows("B", "C", "C_req", "A")} == {"B", "C", "C_req", "A"}


@pytest.mark.parametrize("row", rows("B", "C", "C_req", "A"), ids=lambda r: r["id"])
def test_erlang_b_matches_reference(row: dict[str, str]) -> None:
    assert close(float(erlang_b(int(row["N"]), float(row["A"]))), row["erlang_b"])


@pytest.mark.parametrize("row", rows("C", "C_req"), ids=lambda r: r["id"])
def test_erlang_c_matches_reference(row: dict[str, str]) -> None:
    got = figures_c(row)
    for key, value in got.items():
        assert close(value, row[key]), (key, value, row[key])


@pytest.mark.parametrize("row", rows("A"), ids=lambda r: r["id"])
def test_erlang_a_matches_reference(row: dict[str, str]) -> None:
    got = figures_a(row)
    for key, value in got.items():
        assert close(value, row[key]), (key, value, row[key])


def test_reference_rows_in_one_vectorised_call() -> None:
    cs = rows("C", "C_req")
    col = {k: np.array([float(r[k]) for r in cs]) for k in ("N", "A", "aht_s", "t_s")}
    res = erlang_c(col["N"], col["A"], col["aht_s"], col["t_s"])
    for i, r in enumerate(cs):
        assert close(float(res.service_level[i]), r["sl"])
        assert close(float(res.asa_seconds[i]), r["asa_s"])
    a_rows = rows("A")
    col = {k: np.array([float(r[k]) for r in a_rows]) for k in ("N", "A", "aht_s", "t_s")}
    pat = np.array([float(r["patience_s"]) for r in a_rows])
    res_a = erlang_a(col["N"], col["A"], col["aht_s"], col["t_s"], pat)
    for i, r in enumerate(a_rows):
        assert close(float(res_a.p_abandon[i]), r["p_abandon"])
        assert close(float(res_a.asa_seconds[i]), r["asa_s"])
        assert close(float(res_a.service_level[i]), r["sl"])


def test_the_worked_example() -> None:
    """100 calls per 30 min, AHT 180 s: 10 Erlangs; 14 agents answer 88.8% within 20 s."""
    a = offered_load(100, 1800, 180)
    assert a == 10.0
    r = erlang_c(14, a, 180, 20)
    assert round(float(r.p_wait), 3) == 0.174
    assert round(float(r.service_level), 3) == 0.888
    assert r.occupancy == pytest.approx(10 / 14)


def test_unstable_erlang_c_conventions() -> None:
    for n, a in [(10, 10.0), (10, 25.0), (1, 1.0)]:
        r = erlang_c(n, a, 180, 20)
        assert (r.p_wait, r.service_level, r.p_wait_gt_t) == (1.0, 0.0, 1.0)
        assert r.asa_seconds == math.inf and r.queue_length == math.inf
        assert r.occupancy == 1.0
    v = erlang_c(np.array([9, 10, 11]), 10.0, 180, 20)
    assert list(v.service_level[:2]) == [0.0, 0.0] and v.service_level[2] > 0
    assert list(v.asa_seconds[:2]) == [math.inf, math.inf]


def test_no_traffic() -> None:
    c = erlang_c(3, 0.0, 180, 20)
    assert (c.p_wait, c.service_level, c.asa_seconds, c.occupancy) == (0.0, 1.0, 0.0, 0.0)
    a = erlang_a(3, 0.0, 180, 20, 60)
    assert (a.p_wait, a.p_abandon, a.service_level, a.asa_seconds) == (0.0, 0.0, 1.0, 0.0)
    assert erlang_b(5, 0.0) == 0.0


# ------------------------------------------------------------- independent Erlang A sum


def erlang_a_by_states(n: int, a: float, aht: float, t: float, patience: float) -> dict[str, float]:
    """The M/M/n+M chain summed state by state (the classical way, fine for small n).

    A caller who finds j others waiting is answered with probability x/(x+j+1), within t
    with x/(x+j+1) * P(Beta(x+1, j+1) >= e^-T), and waits E = (psi(x+j+2) - psi(x+1))
    mean patiences when answered (x = n patience/aht, T = t/patience).
    """
    x, y, big_t = n * patience / aht, a * patience / aht, t / patience
    log_p = [k * math.log(a) - math.lgamma(k + 1) for k in range(n + 1)]
    jmax = int(y + 60 * math.sqrt(y + 1) + 200)
    j = np.arange(jmax)
    log_q = log_p[n] + np.concatenate([[0.0], np.cumsum(np.log(y / (x + j[1:])))])
    top = max(max(log_p), log_q.max())
    idle = np.exp(np.array(log_p[:n]) - top)
    waiting = np.exp(log_q - top)
    z = idle.sum() + waiting.sum()
    answered = x / (x + j + 1)
    by_t = answered * (1.0 - betainc(x + 1, j + 1, math.exp(-big_t)))
    p_wait = waiting.sum() / z
    p_abandon = (waiting * (1 - answered)).sum() / z
    wait_answered = (waiting * answered * (digamma(x + j + 2) - digamma(x + 1))).sum() / z
    return {
        "p_wait": p_wait,
        "p_abandon": p_abandon,
        "service_level": (idle.sum() + (waiting * by_t).sum()) / z,
        "asa_seconds": wait_answered * patience / (1 - p_abandon),
        "p_virtual_wait_gt_t": (waiting * betainc(x, j + 1, math.exp(-big_t))).sum() / z,
    }


@pytest.mark.parametrize(
    ("n", "a", "aht", "t", "patience"),
    [
        (1, 0.3, 180, 20, 60),
        (2, 5.0, 300, 10, 30),  # overloaded: A = 2.5 N
        (5, 5.0, 240, 0, 600),  # t = 0
        (20, 18.0, 180, 30, 1800),
        (40, 55.0, 120, 15, 90),
        (120, 100.0, 200, 20, 240),
        (150, 149.0, 60, 5, 6),  # patience much shorter than AHT
    ],
)
def test_erlang_a_agrees_with_state_by_state_sum(
    n: int, a: float, aht: float, t: float, patience: float
) -> None:
    want = erlang_a_by_states(n, a, aht, t, patience)
    got = erlang_a(n, a, aht, t, patience)
    for key, value in want.items():
        assert float(getattr(got, key)) == pytest.approx(value, rel=1e-10), key
    assert got.mean_wait_all_seconds == pytest.approx(want["p_abandon"] * patience, rel=1e-10)


def test_erlang_a_tends_to_erlang_c_with_endless_patience() -> None:
    c = erlang_c(14, 10.0, 180, 20)
    a = erlang_a(14, 10.0, 180, 20, 180e9)
    for key in ("p_wait", "service_level", "asa_seconds"):
        assert float(getattr(a, key)) == pytest.approx(float(getattr(c, key)), rel=1e-6)
    assert float(a.p_abandon) < 1e-9


def test_erlang_a_is_valid_when_overloaded() -> None:
    r = erlang_a(np.array([10, 10, 10]), np.array([10.0, 20.0, 1000.0]), 180, 20, 120)
    assert np.all(np.isfinite(r.asa_seconds))
    assert np.all(np.diff(r.p_abandon) > 0)
    # At 100x overload nearly everyone abandons; carried load is about the agents.
    assert float(r.p_abandon[2]) == pytest.approx(1 - 10 / 1000, abs=2e-3)
    assert float(r.occupancy[2]) == pytest.approx(1.0, abs=1e-3)


def test_erlang_a_can_need_fewer_agents_than_the_load() -> None:
    r = erlang_a(90, 100.0, 180, 20, 60)
    assert 0 < float(r.p_abandon) < 0.2 and 0 < float(r.service_level) < 1


# ------------------------------------------------------------------- large N, mpmath


def test_large_n_against_mpmath() -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    for n, a in [(100_000, 99_500.0), (100_000, 101_000.0), (50_000, 20_000.0), (3, 4000.0)]:
        ratio = mp.gammainc(n, a) * n * mp.e ** mp.mpf(a) / mp.mpf(a) ** n  # sum a^k/k! / (a^n/n!)
        want_b = float(1 / (1 + ratio))
        assert float(erlang_b(n, a)) == pytest.approx(want_b, rel=1e-12)
        if a < n:
            want_c = float(1 / (1 + (1 - mp.mpf(a) / n) * ratio))
            assert float(erlang_c(n, a, 180, 20).p_wait) == pytest.approx(want_c, rel=1e-12)


def test_erlang_a_from_1_to_100000_agents() -> None:
    n = np.unique(np.geomspace(1, 100_000, 400).round())
    for load in (0.5, 0.98, 1.0, 1.3):
        r = erlang_a(n, n * load, 180.0, 20.0, 120.0)
        for key in ("p_wait", "service_level", "p_abandon", "occupancy", "p_virtual_wait_gt_t"):
            v = getattr(r, key)
            assert np.all(np.isfinite(v)) and np.all((v >= 0) & (v <= 1)), (key, load)
        assert np.all(np.isfinite(r.asa_seconds)) and np.all(r.asa_seconds >= 0)
    # In the QED regime (N = A + sqrt(A)) the figures settle to their many-server limits.
    big = erlang_a(np.array([10_000.0, 100_000.0]), np.array([9_900.0, 99_683.8]), 180, 20, 180)
    assert np.all((big.p_wait > 0.05) & (big.p_wait < 0.5))


# ------------------------------------------------------------------------ invariants

loads = st.floats(min_value=0.01, max_value=50_000.0, allow_nan=False)
ahts = st.floats(min_value=10.0, max_value=1200.0)
thresholds = st.floats(min_value=0.0, max_value=300.0)
patiences = st.floats(min_value=5.0, max_value=3600.0)


def _window(a: float, width: int = 12) -> np.ndarray:
    start = max(1, math.floor(a - 2 * math.sqrt(a)))
    return np.arange(start, start + width, dtype=float)


def _non_increasing(v: np.ndarray) -> bool:
    return bool(np.all(np.diff(v) <= 1e-12 * np.maximum(np.abs(v[1:]), 1e-300)))


@settings(max_examples=60, deadline=None)
@given(a=loads, aht=ahts, t=thresholds)
def test_erlang_b_and_c_are_monotone_in_agents(a: float, aht: float, t: float) -> None:
    n = _window(a)
    assert _non_increasing(np.asarray(erlang_b(n, a)))
    r = erlang_c(n, a, aht, t)
    assert _non_increasing(r.p_wait)
    assert _non_increasing(-r.service_level)
    assert _non_increasing(r.asa_seconds[np.isfinite(r.asa_seconds)])
    assert _non_increasing(r.occupancy)


@pytest.mark.parametrize("a", [0.5, 40.0, 3000.0, 90_000.0])
def test_erlang_b_and_c_are_monotone_over_every_n_from_1_to_100000(a: float) -> None:
    """The whole range the docs claim, every N, not a window around the load."""
    n = np.arange(1, 100_001, dtype=float)
    b = np.asarray(erlang_b(n, a))
    assert np.all(np.isfinite(b)) and np.all((b >= 0) & (b <= 1))
    assert _non_increasing(b)
    r = erlang_c(n, a, 180.0, 20.0)
    assert np.all((r.p_wait >= 0) & (r.p_wait <= 1))
    assert _non_increasing(r.p_wait)
    assert _non_increasing(-r.service_level)


def test_erlang_a_is_monotone_over_n_from_1_to_100000() -> None:
    """Erlang A over the whole range at one load far below and one far above the middle."""
    n = np.arange(1, 100_001, dtype=float)
    for a in (40.0, 60_000.0):
        r = erlang_a(n, a, 180.0, 20.0, 120.0)
        assert _non_increasing(-r.service_level)
        for key in ("p_wait", "p_abandon", "occupancy"):
            assert _non_increasing(getattr(r, key)), (a, key)


@settings(max_examples=40, deadline=None)
@given(a=loads, aht=ahts, t=thresholds, patience=patiences)
def test_erlang_a_is_monotone_in_agents(a: float, aht: float, t: float, patience: float) -> None:
    r = erlang_a(_window(a), a, aht, t, patience)
    assert _non_increasing(-r.service_level)
    for key in ("p_wait", "p_abandon", "asa_seconds", "mean_wait_all_seconds", "occupancy"):
        assert _non_increasing(getattr(r, key)), key


@settings(max_examples=40, deadline=None)
@given(
    n=st.lists(st.integers(1, 100_000), min_size=1, max_size=6),
    ratio=st.floats(0.01, 3.0),
    aht=ahts,
    t=thresholds,
    patience=patiences,
)
def test_vectorised_equals_scalar(
    n: list[int], ratio: float, aht: float, t: float, patience: float
) -> None:
    a = [k * ratio for k in n]
    vc = erlang_c(np.array(n), np.array(a), aht, t)
    va = erlang_a(np.array(n), np.array(a), aht, t, patience)
    vb = erlang_b(np.array(n), np.array(a))
    for i, (ni, ai) in enumerate(zip(n, a, strict=True)):
        sc, sa = erlang_c(ni, ai, aht, t), erlang_a(ni, ai, aht, t, patience)
        assert isinstance(sc.p_wait, float) and isinstance(sa.p_wait, float)
        assert float(vb[i]) == pytest.approx(erlang_b(ni, ai), rel=1e-12, abs=1e-300)
        for key in ("p_wait", "service_level", "p_wait_gt_t", "asa_seconds", "occupancy"):
            assert float(getattr(vc, key)[i]) == pytest.approx(getattr(sc, key), rel=1e-12)
        for key in ("p_wait", "service_level", "p_abandon", "asa_seconds", "occupancy"):
            assert float(getattr(va, key)[i]) == pytest.approx(getattr(sa, key), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 100_000), ratio=st.floats(0.0, 2.0), aht=ahts, t=thresholds)
def test_erlang_c_figures_are_probabilities_and_tails_add_up(
    n: int, ratio: float, aht: float, t: float
) -> None:
    r = erlang_c(n, n * ratio, aht, t)
    for v in (r.p_wait, r.service_level, r.p_wait_gt_t, r.occupancy):
        assert math.isfinite(v) and 0.0 <= v <= 1.0
    assert r.p_wait_gt_t + r.service_level == pytest.approx(1.0, abs=1e-15)
    assert r.p_wait_gt_t <= r.p_wait
    assert r.asa_seconds >= 0 and (math.isfinite(r.asa_seconds) or n <= n * ratio)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 100_000), ratio=st.floats(0.0, 3.0), aht=ahts, t=thresholds,
       patience=patiences)  # fmt: skip
def test_erlang_a_figures_are_probabilities(
    n: int, ratio: float, aht: float, t: float, patience: float
) -> None:
    r = erlang_a(n, n * ratio, aht, t, patience)
    for v in (r.p_wait, r.service_level, r.p_abandon, r.p_virtual_wait_gt_t, r.occupancy):
        assert math.isfinite(v) and 0.0 <= v <= 1.0
    assert r.service_level + r.p_abandon <= 1.0 + 1e-12
    assert math.isfinite(r.asa_seconds) and r.asa_seconds >= 0
    assert r.mean_wait_all_seconds == pytest.approx(r.p_abandon * patience)


# ---------------------------------------------------------------- inputs and purity


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: erlang_c(0, 1.0, 180, 20), "agents"),
        (lambda: erlang_c(2.5, 1.0, 180, 20), "agents"),
        (lambda: erlang_c(3, -1.0, 180, 20), "offered_load"),
        (lambda: erlang_c(3, 1.0, 0, 20), "aht"),
        (lambda: erlang_c(np.array([3, 4]), 1.0, 180, -1), "answer_within"),
        (lambda: erlang_a(3, 1.0, 180, 20, 0), "patience"),
        (lambda: erlang_b(np.array([1, 0]), 1.0), "agents"),
        (lambda: offered_load(-5, 1800, 180), "calls"),
    ],
)
def test_bad_input_names_the_field(call: object, field: str) -> None:
    with pytest.raises(ErlangInputError) as info:
        call()  # type: ignore[operator]
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
