"""Required agents: the smallest N meeting every target, found in O(log N) evaluations."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import acd.erlang.solve as solve
from acd.erlang import (
    ErlangInputError,
    erlang_a,
    erlang_c,
    meets_targets,
    required_agents,
    scheduled_agents,
)

REFERENCE = Path(__file__).parent / "data" / "erlang" / "reference.csv"


def reference_solves() -> list[dict[str, str]]:
    with REFERENCE.open() as f:
        return [r for r in csv.DictReader(f) if r["model"] == "C_req"]


@pytest.mark.parametrize("row", reference_solves(), ids=lambda r: r["id"])
def test_required_agents_match_reference(row: dict[str, str]) -> None:
    s = required_agents(
        float(row["A"]),
        float(row["aht_s"]),
        target_sl=float(row["target_sl"]),
        answer_within=float(row["t_s"]),
    )
    assert s.agents == int(row["N"])
    assert s.model == "erlang_c"
    assert s.result.service_level == pytest.approx(float(row["sl"]), rel=1e-9)
    assert s.result.asa_seconds == pytest.approx(float(row["asa_s"]), rel=1e-9)


def brute_force(a: float, aht: float, t: float, **targets: float | None) -> int:
    """Linear search from one agent: the slow, obviously right answer."""
    slack = 1e-12
    n = 1
    while True:
        if targets["patience"] is None:
            r = erlang_c(n, a, aht, t)
            ok = n > a
        else:
            r = erlang_a(n, a, aht, t, targets["patience"])  # type: ignore[assignment]
            ab = targets["target_abandon"]
            ok = ab is None or float(r.p_abandon) <= ab + slack  # type: ignore[union-attr]
        sl, asa, occ = targets["target_sl"], targets["target_asa"], targets["max_occupancy"]
        ok = ok and (sl is None or float(r.service_level) >= sl - slack)
        ok = ok and (asa is None or float(r.asa_seconds) <= asa * (1 + slack))
        ok = ok and (occ is None or float(r.occupancy) <= occ + slack)
        if ok:
            return n
        n += 1


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(0.05, 60.0),
    aht=st.floats(30.0, 600.0),
    t=st.floats(0.0, 120.0),
    target_sl=st.none() | st.floats(0.0, 0.99),
    target_asa=st.none() | st.floats(1.0, 120.0),
    max_occupancy=st.none() | st.floats(0.3, 1.0),
    patience=st.none() | st.floats(10.0, 900.0),
    target_abandon=st.none() | st.floats(0.005, 0.6),
)
def test_equals_linear_search(
    a: float,
    aht: float,
    t: float,
    target_sl: float | None,
    target_asa: float | None,
    max_occupancy: float | None,
    patience: float | None,
    target_abandon: float | None,
) -> None:
    if patience is None:
        target_abandon = None
    if target_sl is None and target_asa is None and max_occupancy is None:
        target_sl = 0.8
    targets = {
        "target_sl": target_sl,
        "target_asa": target_asa,
        "max_occupancy": max_occupancy,
        "patience": patience,
        "target_abandon": target_abandon,
    }
    s = required_agents(a, aht, answer_within=t, **targets)
    assert s.agents == brute_force(a, aht, t, **targets)
    assert s.model == ("erlang_c" if patience is None else "erlang_a")


def test_meets_targets_agrees_with_the_search() -> None:
    targets = {"target_sl": 0.8, "target_asa": 10.0, "max_occupancy": 0.9}
    s = required_agents(10.0, 180, answer_within=20, **targets)
    assert meets_targets(s.result, **targets)
    assert not meets_targets(erlang_c(s.agents - 1, 10.0, 180, 20), **targets)
    assert not meets_targets(erlang_c(10, 10.0, 180, 20), max_occupancy=1.0)  # unstable
    a = required_agents(10.0, 180, answer_within=20, patience=90, target_abandon=0.01)
    assert meets_targets(a.result, target_abandon=0.01)
    assert not meets_targets(erlang_a(a.agents - 1, 10.0, 180, 20, 90), target_abandon=0.01)
    with pytest.raises(ErlangInputError):
        meets_targets(s.result, target_abandon=0.01)


def test_abandonment_lets_fewer_agents_than_the_load_meet_a_target() -> None:
    s = required_agents(100.0, 180.0, patience=60.0, target_abandon=0.2)
    assert s.agents < 100  # a search starting at ceil(A) would return 100
    assert float(s.result.p_abandon) <= 0.2  # type: ignore[union-attr]
    assert float(erlang_a(s.agents - 1, 100.0, 180, 0, 60.0).p_abandon) > 0.2
    # The same with a service-level target: Erlang A staffs below Erlang C here.
    c = required_agents(1000.0, 180, target_sl=0.8, answer_within=20)
    a = required_agents(1000.0, 180, target_sl=0.8, answer_within=20, patience=120)
    assert a.agents < 1000 < c.agents


@pytest.mark.parametrize("load", [10.0, 100.0, 5_000.0, 50_000.0, 1_000_000.0])
def test_evaluations_grow_like_log_n(load: float) -> None:
    c = required_agents(load, 180, target_sl=0.8, answer_within=20)
    assert c.evaluations <= 8
    a = required_agents(load, 180, target_sl=0.8, answer_within=20, patience=120)
    assert a.evaluations <= 2 * math.log2(a.agents) + 4
    ab = required_agents(load, 180, patience=30, target_abandon=0.01)
    assert ab.evaluations <= 2 * math.log2(ab.agents) + 4


@settings(max_examples=200, deadline=None)
@given(answer=st.integers(1, 10**7), guess=st.integers(-5, 2 * 10**7))
def test_search_finds_the_threshold_from_any_guess(answer: int, guess: int) -> None:
    calls: list[int] = []

    def meets(n: int) -> bool:
        calls.append(n)
        return n >= answer

    assert solve._smallest(meets, guess, 0) == answer
    assert len(calls) <= 2 * math.log2(abs(answer - guess) + 2) + 3


def test_all_targets_at_once() -> None:
    s = required_agents(50.0, 240, target_sl=0.9, answer_within=15, target_asa=5, max_occupancy=0.8)
    r = s.result
    assert r.service_level >= 0.9 and r.asa_seconds <= 5 and r.occupancy <= 0.8
    one_less = erlang_c(s.agents - 1, 50.0, 240, 15)
    assert not (
        one_less.service_level >= 0.9 and one_less.asa_seconds <= 5 and one_less.occupancy <= 0.8
    )


def test_occupancy_on_the_boundary_counts_as_met() -> None:
    # 8.5 Erlangs at 85% occupancy: 10 agents exactly (8.5 / 10 = 0.85 up to rounding).
    assert required_agents(8.5, 180, max_occupancy=0.85).agents == 10


def test_asa_target_alone() -> None:
    s = required_agents(10.0, 180, target_asa=20)
    assert s.result.asa_seconds <= 20 < erlang_c(s.agents - 1, 10.0, 180, 0).asa_seconds


def test_no_traffic_needs_no_agents() -> None:
    s = required_agents(0.0, 180, target_sl=0.8, answer_within=20)
    assert s.agents == 0 and s.result.service_level == 1.0 and s.evaluations == 0


def test_unreachable_within_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve, "MAX_AGENTS", 50)
    with pytest.raises(ErlangInputError, match="not met"):
        required_agents(100.0, 180, target_sl=0.8, answer_within=20)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target_sl": 1.0, "answer_within": 20}, "target_sl"),
        ({"target_sl": 1.2, "answer_within": 20}, "target_sl"),
        ({"target_sl": 0.8}, "answer_within"),
        ({"target_asa": 0.0}, "target_asa"),
        ({"target_abandon": 0.05}, "target_abandon"),
        ({"patience": -3.0, "target_abandon": 0.05}, "patience"),
        ({"max_occupancy": 1.5}, "max_occupancy"),
        ({}, "targets"),
    ],
)
def test_bad_targets_name_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ErlangInputError) as info:
        required_agents(10.0, 180, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_bad_load() -> None:
    with pytest.raises(ErlangInputError, match="offered_load"):
        required_agents(-1.0, 180, target_sl=0.8, answer_within=20)


def test_scheduled_agents_use_decimal_shrinkage() -> None:
    assert scheduled_agents(14, 0.3) == 20  # 14 / 0.7 is 20.000000000000004 in binary
    assert scheduled_agents(9, 0.1) == 10
    assert scheduled_agents(14, 0.0) == 14
    assert scheduled_agents(14, 0.35) == 22
    with pytest.raises(ErlangInputError, match="shrinkage"):
        scheduled_agents(14, 1.0)
