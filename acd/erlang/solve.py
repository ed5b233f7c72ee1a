"""Required agents: the smallest N meeting every staffing target, in O(log N) evaluations.

Each target is monotone in N (service level rises; ASA, P(abandon) and occupancy fall), so
their conjunction is false up to some N and true from there on. The search starts from a
square-root-staffing guess (Halfin-Whitt), gallops away from it in doubling steps until the
answer is bracketed, then bisects on the integers. Erlang C staffing is always stable (N > A);
with abandonment (Erlang A) fewer agents than the offered load can meet a target, so the
search there is bounded below by 1 only.

A metric within 1e-12 of its target counts as meeting it: the models are accurate to about
1e-13, so closer comparisons would be decided by rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from acd.erlang.models import (
    ErlangAResult,
    ErlangCResult,
    ErlangInputError,
    _erlang_c_s,
    erlang_a,
    erlang_c,
)

__all__ = ["MAX_AGENTS", "Staffing", "meets_targets", "required_agents", "scheduled_agents"]

MAX_AGENTS = 10_000_000
_SLACK = 1e-12
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)


@dataclass(frozen=True, slots=True)
class Staffing:
    """The answer of ``required_agents``: agents, the model's figures there, and the cost."""

    agents: int
    model: str  # "erlang_c" or "erlang_a"
    result: ErlangCResult | ErlangAResult
    evaluations: int  # model evaluations the search used


def _finite(
    field: str, v: float | None, lo: float, hi: float, *, lo_open: bool, hi_open: bool
) -> None:
    if v is None:
        return
    below = v <= lo if lo_open else v < lo
    above = v >= hi if hi_open else v > hi
    if not math.isfinite(v) or below or above:
        lo_s = f"> {lo:g}" if lo_open else f">= {lo:g}"
        hi_s = "" if math.isinf(hi) else (f" and < {hi:g}" if hi_open else f" and <= {hi:g}")
        raise ErlangInputError(field, f"must be {lo_s}{hi_s} (got {v:g})")


def _validate(
    a: float,
    aht: float,
    target_sl: float | None,
    answer_within: float | None,
    target_asa: float | None,
    patience: float | None,
    target_abandon: float | None,
    max_occupancy: float | None,
) -> None:
    inf = math.inf
    _finite("offered_load", a, 0.0, inf, lo_open=False, hi_open=False)
    _finite("aht", aht, 0.0, inf, lo_open=True, hi_open=False)
    if target_sl is not None:
        _finite("target_sl", target_sl, 0.0, 1.0, lo_open=False, hi_open=True)
    if answer_within is not None:
        _finite("answer_within", answer_within, 0.0, inf, lo_open=False, hi_open=False)
    if target_asa is not None:
        _finite("target_asa", target_asa, 0.0, inf, lo_open=True, hi_open=False)
    if patience is not None:
        _finite("patience", patience, 0.0, inf, lo_open=True, hi_open=False)
    if target_abandon is not None:
        _finite("target_abandon", target_abandon, 0.0, 1.0, lo_open=True, hi_open=False)
    if max_occupancy is not None:
        _finite("max_occupancy", max_occupancy, 0.0, 1.0, lo_open=True, hi_open=False)
    if target_sl is not None and answer_within is None:
        raise ErlangInputError("answer_within", "a service-level target needs a threshold")
    if target_abandon is not None and patience is None:
        raise ErlangInputError("target_abandon", "an abandonment target needs a patience")
    if all(v is None for v in (target_sl, target_asa, target_abandon, max_occupancy)):
        raise ErlangInputError("targets", "give at least one target")


def _halfin_whitt(
    a: float, aht: float, t: float, target_sl: float | None, target_asa: float | None
) -> int:
    """Square-root staffing n = a + beta sqrt(a), beta from the Halfin-Whitt limit of Erlang C."""
    sa = math.sqrt(a)

    def ok(b: float) -> bool:
        ratio = 0.5 * math.erfc(-b / _SQRT2) * _SQRT2PI * math.exp(0.5 * b * b)
        p_wait = 1.0 / (1.0 + b * ratio)
        if target_sl is not None and 1.0 - p_wait * math.exp(-b * sa * t / aht) < target_sl:
            return False
        return target_asa is None or p_wait * aht <= target_asa * b * sa

    lo, hi = 0.0, 1.0
    while hi < 32.0 and not ok(hi):
        lo, hi = hi, 2.0 * hi
    for _ in range(max(2, math.ceil(math.log2(4.0 * (hi - lo) * sa + 1.0)))):  # to 1/4 agent
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return math.ceil(a + hi * sa)


def _smallest(meets: Callable[[int], bool], guess: int, floor: int) -> int:
    """Smallest n > floor with meets(n), given meets is monotone and meets(MAX_AGENTS)."""
    guess = min(max(guess, floor + 1), MAX_AGENTS)
    if meets(guess):
        lo, hi, step = floor, guess, 1
        while hi - step > lo:
            if not meets(hi - step):
                lo = hi - step
                break
            hi, step = hi - step, 2 * step
    else:
        lo, step = guess, 1
        while True:
            if lo >= MAX_AGENTS:
                raise ErlangInputError("targets", f"not met with up to {MAX_AGENTS:,} agents")
            cand = min(lo + step, MAX_AGENTS)
            if meets(cand):
                hi = cand
                break
            lo, step = cand, 2 * step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if meets(mid) else (mid, hi)
    return hi


def required_agents(
    a: float,
    aht: float,
    *,
    target_sl: float | None = None,
    answer_within: float | None = None,
    target_asa: float | None = None,
    patience: float | None = None,
    target_abandon: float | None = None,
    max_occupancy: float | None = None,
) -> Staffing:
    """Smallest number of agents for offered load ``a`` (Erlangs) and ``aht`` (s) meeting all
    the targets given: service level ``target_sl`` within ``answer_within`` s, ASA at most
    ``target_asa`` s, P(abandon) at most ``target_abandon``, occupancy at most
    ``max_occupancy``. With ``patience`` (mean, s) the model is Erlang A, else Erlang C.

    Without ``answer_within`` the reported service level is the share answered at once.
    Zero offered load needs zero agents (and its figures are those of an idle queue).
    """
    _validate(a, aht, target_sl, answer_within, target_asa, patience, target_abandon, max_occupancy)
    t = 0.0 if answer_within is None else answer_within
    model = "erlang_c" if patience is None else "erlang_a"
    if a == 0.0:
        idle = erlang_c(1, 0.0, aht, t) if patience is None else erlang_a(1, 0.0, aht, t, patience)
        return Staffing(0, model, _with_agents(idle, 0.0), 0)

    seen: dict[int, ErlangAResult | tuple[float, ...]] = {}
    sl_floor = -math.inf if target_sl is None else target_sl - _SLACK
    asa_cap = math.inf if target_asa is None else target_asa * (1.0 + _SLACK)
    occ_cap = math.inf if max_occupancy is None else max_occupancy + _SLACK
    ab_cap = math.inf if target_abandon is None else target_abandon + _SLACK

    if patience is None:

        def meets(n: int) -> bool:
            if n <= a:
                return False  # unstable
            r = seen[n] = _erlang_c_s(n, a, aht, t)
            return r[1] >= sl_floor and r[3] <= asa_cap and r[4] <= occ_cap

    else:
        pat = patience

        def meets(n: int) -> bool:
            r = seen[n] = erlang_a(n, a, aht, t, pat)
            return (
                float(r.service_level) >= sl_floor
                and float(r.asa_seconds) <= asa_cap
                and float(r.occupancy) <= occ_cap
                and float(r.p_abandon) <= ab_cap
            )

    guess = 1
    if target_sl is not None or target_asa is not None:
        guess = _halfin_whitt(a, aht, t, target_sl, target_asa)
    if max_occupancy is not None:
        guess = max(guess, math.ceil(a / max_occupancy))
    if patience is None:
        n = _smallest(meets, max(guess, math.floor(a) + 1), math.floor(a))
    else:
        if target_abandon is not None:
            guess = max(guess, math.ceil(a * (1.0 - target_abandon)))
        n = _smallest(meets, guess, 0)
    r = seen[n]
    result = r if isinstance(r, ErlangAResult) else ErlangCResult(float(n), a, *r)
    return Staffing(n, model, result, len(seen))


def meets_targets(
    result: ErlangCResult | ErlangAResult,
    *,
    target_sl: float | None = None,
    target_asa: float | None = None,
    target_abandon: float | None = None,
    max_occupancy: float | None = None,
) -> bool:
    """Whether evaluated (scalar) figures meet every target given, as ``required_agents``
    judges them: within 1e-12, and an unstable Erlang C queue never meets a target."""
    r = result
    if isinstance(r, ErlangCResult) and float(r.offered_load) >= float(r.agents) > 0:
        return False
    if target_abandon is not None:
        if not isinstance(r, ErlangAResult):
            raise ErlangInputError("target_abandon", "an abandonment target needs a patience")
        if float(r.p_abandon) > target_abandon + _SLACK:
            return False
    return (
        (target_sl is None or float(r.service_level) >= target_sl - _SLACK)
        and (target_asa is None or float(r.asa_seconds) <= target_asa * (1.0 + _SLACK))
        and (max_occupancy is None or float(r.occupancy) <= max_occupancy + _SLACK)
    )


def _with_agents(r: ErlangCResult | ErlangAResult, n: float) -> ErlangCResult | ErlangAResult:
    fields = {f: getattr(r, f) for f in r.__dataclass_fields__} | {"agents": n}
    return type(r)(**fields)


def scheduled_agents(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that ``agents`` remain after ``shrinkage`` (breaks, training...).

    ceil(agents / (1 - shrinkage)), in exact decimal arithmetic: 14 agents at 30% shrinkage
    is 20, not the 21 that 14 / 0.7 = 20.000000000000004 would give.
    """
    if not (math.isfinite(shrinkage) and 0.0 <= shrinkage < 1.0):
        raise ErlangInputError("shrinkage", f"must be >= 0 and < 1 (got {shrinkage:g})")
    return math.ceil(Fraction(agents) / (1 - Fraction(repr(float(shrinkage)))))
