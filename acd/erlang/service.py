"""The staffing calculator without a command line: inputs as text, figures as a dict.

Both ``acd-dialer erlang`` and the daemon's ``GET /v1/erlang`` call these; bad input raises
:class:`BadInput` naming the parameter, which each front end words its own way (an option on
the command line, a query parameter in the API).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from acd.erlang.formatting import clean, targets_json
from acd.erlang.models import ErlangAResult, ErlangCResult, ErlangInputError, erlang_a, erlang_c
from acd.erlang.solve import meets_targets, required_agents, scheduled_agents

__all__ = ["PARAMS", "TARGETS", "BadInput", "check_combination", "evaluate", "model_options"]

TARGETS = ("target_sl", "answer_within", "target_asa", "patience", "target_abandon")
LIMITS = ("max_occupancy", "shrinkage")
PARAMS = (
    "calls",
    "calls_per_hour",
    "interval",
    "aht",
    "agents",
    "answer_within",
    "target_sl",
    "target_asa",
    "patience",
    "target_abandon",
    "max_occupancy",
    "shrinkage",
)
# Upper bounds: far beyond any center, and below where the formulas overflow.
MAX_CALLS = 1e7
MAX_SECONDS = 86400.0
MAX_AGENTS = 100_000
# The model's own names for its inputs, as the calculator's parameters.
_MODEL_FIELDS = {"offered_load": "calls"}

Params = Mapping[str, Any]


class BadInput(ValueError):
    """A parameter is missing or out of range; ``field`` names it (as a parameter name)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    @classmethod
    def from_model(cls, exc: ErlangInputError) -> BadInput:
        field = _MODEL_FIELDS.get(exc.field, exc.field)
        return cls(field, exc.message.split(": ", 1)[-1])


def number(
    params: Params,
    name: str,
    *,
    lo: float = 0.0,
    lo_open: bool = False,
    hi: float = math.inf,
    hi_open: bool = False,
    fraction: bool = False,
) -> float | None:
    """The parameter as a number in range, or None when absent; a fraction may be '80%'."""
    text = params.get(name)
    if text is None:
        return None
    raw = text.strip()
    scale = 1.0
    if fraction and raw.endswith("%"):
        raw, scale = raw[:-1], 0.01
    try:
        v = float(raw) * scale
    except ValueError:
        raise BadInput(name, f"not a number: {text!r}") from None
    if not math.isfinite(v) or (v <= lo if lo_open else v < lo) or (v >= hi if hi_open else v > hi):
        rng = (">" if lo_open else ">=") + f" {lo:g}"
        if math.isfinite(hi):
            rng += (" and <" if hi_open else " and <=") + f" {hi:g}"
        raise BadInput(name, f"must be {rng} (got {text.strip()})")
    return v


def model_options(params: Params) -> dict[str, float | None]:
    """Targets and limits (None where not given)."""
    return {
        "target_sl": number(params, "target_sl", hi=1.0, hi_open=True, fraction=True),
        "answer_within": number(params, "answer_within", hi=MAX_SECONDS),
        "target_asa": number(params, "target_asa", lo_open=True, hi=MAX_SECONDS),
        "patience": number(params, "patience", lo_open=True, hi=MAX_SECONDS),
        "target_abandon": number(params, "target_abandon", lo_open=True, hi=1.0, fraction=True),
        "max_occupancy": number(params, "max_occupancy", lo_open=True, hi=1.0, fraction=True),
        "shrinkage": number(params, "shrinkage", hi=1.0, hi_open=True, fraction=True),
    }


def check_combination(o: Mapping[str, float | None]) -> None:
    if o["target_sl"] is not None and o["answer_within"] is None:
        raise BadInput("answer_within", "needed with --target-sl")
    if o["target_abandon"] is not None and o["patience"] is None:
        raise BadInput("target_abandon", "needs --patience (Erlang A)")


def single(params: Params) -> dict[str, Any]:
    """Solve for agents (targets) or evaluate ``agents``; the figures as a dict."""
    try:
        return _single(params)
    except ErlangInputError as exc:
        raise BadInput.from_model(exc) from None


def _single(params: Params) -> dict[str, Any]:
    o = model_options(params)
    calls = number(params, "calls", hi=MAX_CALLS)
    per_hour = number(params, "calls_per_hour", hi=MAX_CALLS)
    interval = number(params, "interval", lo_open=True, hi=MAX_SECONDS)
    aht = number(params, "aht", lo_open=True, hi=MAX_SECONDS)
    if per_hour is not None:
        if calls is not None:
            raise BadInput("calls_per_hour", "give either calls_per_hour or calls (per interval)")
        if interval is not None and interval != 3600.0:
            raise BadInput("interval", "not used with calls_per_hour (the interval is an hour)")
        calls, interval = per_hour, 3600.0
    if calls is None:
        raise BadInput("calls", "required (calls offered per interval), or calls_per_hour")
    interval = interval or 1800.0
    if aht is None:
        raise BadInput("aht", "required (average handle time in seconds)")
    if o["answer_within"] is None:
        raise BadInput("answer_within", "required (service-level threshold in seconds)")
    check_combination(o)
    agents_text = params.get("agents")
    has_target = any(
        o[k] is not None for k in ("target_sl", "target_asa", "target_abandon", "max_occupancy")
    )
    if agents_text is not None and o["target_sl"] is not None:
        raise BadInput("agents", "give either --agents (evaluate) or --target-sl (solve)")
    if agents_text is None and not has_target:
        raise BadInput("target_sl", "give a target to solve for agents, or --agents N")
    a = calls * aht / interval
    t = o["answer_within"]
    assert t is not None
    patience = o["patience"]
    evaluations = None
    if agents_text is not None:
        n = number(params, "agents", lo=1.0, hi=MAX_AGENTS)
        assert n is not None
        if n != math.floor(n):
            raise BadInput("agents", f"must be a whole number (got {agents_text})")
        agents = int(n)
        res: ErlangCResult | ErlangAResult = (
            erlang_c(agents, a, aht, t)
            if patience is None
            else erlang_a(agents, a, aht, t, patience)
        )
    else:
        s = required_agents(a, aht, **{k: o[k] for k in (*TARGETS, "max_occupancy")})
        agents, res, evaluations = s.agents, s.result, s.evaluations
    out: dict[str, Any] = {
        "model": "erlang_c" if patience is None else "erlang_a",
        "mode": "evaluate" if agents_text is not None else "solve",
        "calls": calls,
        "interval_seconds": interval,
        "aht_seconds": aht,
        "answer_within_seconds": t,
        "offered_load_erlangs": a,
        "agents": agents,
        "service_level": res.service_level,
        "p_wait": res.p_wait,
        "asa_seconds": res.asa_seconds,
        "mean_wait_all_seconds": res.mean_wait_all_seconds,
        "occupancy": res.occupancy,
        "queue_length": res.queue_length,
    }
    if isinstance(res, ErlangAResult):
        out |= {
            "patience_seconds": patience,
            "p_abandon": res.p_abandon,
            "p_virtual_wait_gt_t": res.p_virtual_wait_gt_t,
        }
    else:
        out["p_wait_gt_t"] = res.p_wait_gt_t
    if o["shrinkage"] is not None:
        out["shrinkage"] = o["shrinkage"]
        out["agents_scheduled"] = scheduled_agents(agents, o["shrinkage"])
    if has_target:
        out["targets"] = targets_json(o)
        if agents_text is not None:
            limits = ("target_sl", "target_asa", "target_abandon", "max_occupancy")
            out["meets_targets"] = meets_targets(res, **{k: o[k] for k in limits})
    if evaluations is not None:
        out["evaluations"] = evaluations
    return out


def evaluate(params: Mapping[str, str | None]) -> dict[str, Any]:
    """The calculator's JSON for parameters given as text (no unknown names allowed)."""
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise BadInput(unknown[0], f"unknown parameter; known: {', '.join(PARAMS)}")
    return clean(single(params))
