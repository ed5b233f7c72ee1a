"""``acd-dialer erlang``: the staffing calculator on the command line.

    acd-dialer erlang --calls C --interval S --aht S --answer-within T (--target-sl X | --agents N)
                      [--target-asa S] [--patience S] [--target-abandon X] [--max-occupancy X]
                      [--shrinkage X] [--json]
    acd-dialer erlang plan FORECAST.csv [targets as above] [--interval S] [--json | --csv]
                      [--plot FILE.png]

Numbers are read here, not by argparse, so that every bad value gets one line on stderr
naming the option (or the CSV line) and exit code 2.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
from collections.abc import Callable
from typing import Any

from acd.erlang.chart import plot_plan
from acd.erlang.formatting import (
    clean,
    plan_csv,
    plan_table,
    single_table,
    targets_json,
    targets_text,
)
from acd.erlang.models import ErlangAResult, ErlangCResult, ErlangInputError, erlang_a, erlang_c
from acd.erlang.plan import ForecastError, make_plan, read_forecast
from acd.erlang.solve import meets_targets, required_agents, scheduled_agents

__all__ = ["PARAMS", "BadInput", "evaluate", "main", "register"]

EXIT_USAGE = 2
_TARGETS = ("target_sl", "answer_within", "target_asa", "patience", "target_abandon")
_LIMITS = ("max_occupancy", "shrinkage")


class _BadInput(Exception):
    pass


def _add_model_options(p: argparse.ArgumentParser, default: Any) -> None:
    """Targets and model options, shared by ``erlang`` and ``erlang plan``."""
    add = p.add_argument
    add(
        "--answer-within",
        metavar="T",
        default=default,
        help="service-level threshold in seconds (the 20 of 80/20)",
    )
    add(
        "--target-sl",
        metavar="X",
        default=default,
        help="service-level target, a fraction (0.8) or a percentage (80%%)",
    )
    add("--target-asa", metavar="S", default=default, help="maximum ASA in seconds")
    add(
        "--patience",
        metavar="S",
        default=default,
        help="mean caller patience in seconds: switches to Erlang A (abandonment)",
    )
    add(
        "--target-abandon",
        metavar="X",
        default=default,
        help="maximum share of calls abandoned (needs --patience)",
    )
    add("--max-occupancy", metavar="X", default=default, help="maximum agent occupancy")
    add(
        "--shrinkage",
        metavar="X",
        default=default,
        help="share of paid time off the phones: adds agents_scheduled = ceil(N / (1 - X))",
    )
    add(
        "--interval",
        metavar="SECONDS",
        default=default,
        help="interval length in seconds (default 1800)",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``erlang`` (and ``erlang plan``) to a subparsers object; each sets ``func``."""
    p = subparsers.add_parser(
        "erlang",
        help="Erlang C / Erlang A staffing calculator",
        description="Agents needed for a call volume (Erlang C; Erlang A with --patience), "
        "or the service an agent count gives. 'erlang plan' does a whole forecast.",
    )
    p.add_argument("--calls", metavar="C", help="calls offered per interval")
    p.add_argument("--aht", metavar="SECONDS", help="average handle time in seconds")
    p.add_argument("--agents", metavar="N", help="evaluate this many agents instead of solving")
    _add_model_options(p, None)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_single, csv=False, plot=None, forecast=None)
    sub = p.add_subparsers(dest="erlang_command", title="subcommand", metavar="plan")
    pp = sub.add_parser(
        "plan",
        help="agents needed per interval of a forecast CSV",
        description="Agents needed per interval (and queue) of a forecast CSV with columns "
        "interval_start, calls, aht_seconds[, queue][, interval_seconds]. Without targets: "
        "80% answered within 20 s.",
    )
    pp.add_argument("forecast", metavar="FORECAST.csv")
    _add_model_options(pp, argparse.SUPPRESS)
    out = pp.add_mutually_exclusive_group()
    out.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object"
    )
    out.add_argument("--csv", action="store_true", default=argparse.SUPPRESS, help="print CSV")
    pp.add_argument(
        "--plot",
        metavar="FILE.png",
        default=argparse.SUPPRESS,
        help="draw calls and agents needed per interval to a PNG",
    )
    pp.set_defaults(func=run_plan)


def main(argv: list[str] | None = None) -> int:
    """Run ``erlang`` alone (for tests, until the main CLI wires it in)."""
    parser = argparse.ArgumentParser(prog="acd-dialer")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    return int(args.func(args))


# ----------------------------------------------------------------------------- inputs


def _num(
    args: argparse.Namespace,
    name: str,
    *,
    lo: float = 0.0,
    lo_open: bool = False,
    hi: float = math.inf,
    hi_open: bool = False,
    fraction: bool = False,
) -> float | None:
    text = getattr(args, name, None)
    if text is None:
        return None
    flag = "--" + name.replace("_", "-")
    raw = text.strip()
    scale = 1.0
    if fraction and raw.endswith("%"):
        raw, scale = raw[:-1], 0.01
    try:
        v = float(raw) * scale
    except ValueError:
        raise _BadInput(f"{flag}: not a number: {text!r}") from None
    if not math.isfinite(v) or (v <= lo if lo_open else v < lo) or (v >= hi if hi_open else v > hi):
        rng = (">" if lo_open else ">=") + f" {lo:g}"
        if math.isfinite(hi):
            rng += (" and <" if hi_open else " and <=") + f" {hi:g}"
        raise _BadInput(f"{flag}: must be {rng} (got {text.strip()})")
    return v


def _model_options(args: argparse.Namespace) -> dict[str, float | None]:
    return {
        "target_sl": _num(args, "target_sl", hi=1.0, hi_open=True, fraction=True),
        "answer_within": _num(args, "answer_within"),
        "target_asa": _num(args, "target_asa", lo_open=True),
        "patience": _num(args, "patience", lo_open=True),
        "target_abandon": _num(args, "target_abandon", lo_open=True, hi=1.0, fraction=True),
        "max_occupancy": _num(args, "max_occupancy", lo_open=True, hi=1.0, fraction=True),
        "shrinkage": _num(args, "shrinkage", hi=1.0, hi_open=True, fraction=True),
    }


def _check_combination(o: dict[str, float | None]) -> None:
    if o["target_sl"] is not None and o["answer_within"] is None:
        raise _BadInput("--answer-within: needed with --target-sl")
    if o["target_abandon"] is not None and o["patience"] is None:
        raise _BadInput("--target-abandon: needs --patience (Erlang A)")


_FLAGS = {
    "offered_load": "--calls",
    "aht": "--aht",
    "agents": "--agents",
    "target_sl": "--target-sl",
    "answer_within": "--answer-within",
    "target_asa": "--target-asa",
    "patience": "--patience",
    "target_abandon": "--target-abandon",
    "max_occupancy": "--max-occupancy",
    "shrinkage": "--shrinkage",
}


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Bad input: one line on stderr naming the option or CSV line, exit code 2."""

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (_BadInput, ForecastError) as exc:
            print(f"error: {exc}", file=sys.stderr)
        except ErlangInputError as exc:
            flag = _FLAGS.get(exc.field, exc.field)
            print(f"error: {flag}: {exc.message.split(': ', 1)[-1]}", file=sys.stderr)
        except BrokenPipeError:
            return 0  # the reader went away (e.g. piped into head): nothing left to say
        except OSError as exc:
            print(f"error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE

    return wrapper


# ----------------------------------------------------------------------------- output


PARAMS = (
    "calls",
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


class BadInput(ValueError):
    """A parameter is missing or out of range; ``field`` names it (as a parameter name)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def evaluate(params: dict[str, str | None]) -> dict[str, Any]:
    """The calculator without the command line: the same inputs (as text) and the same JSON.

    Used by the daemon's ``GET /v1/erlang``; raises :class:`BadInput` naming the parameter.
    """
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise BadInput(unknown[0], f"unknown parameter; known: {', '.join(PARAMS)}")
    args = argparse.Namespace(**{k: params.get(k) for k in PARAMS})
    try:
        return clean(single(args))
    except _BadInput as exc:
        flag, _, msg = str(exc).partition(": ")
        raise BadInput(flag.removeprefix("--").replace("-", "_"), msg) from None
    except ErlangInputError as exc:
        flag = _FLAGS.get(exc.field, exc.field)
        raise BadInput(
            flag.removeprefix("--").replace("-", "_"), exc.message.split(": ", 1)[-1]
        ) from None


@_guarded
def run_single(args: argparse.Namespace) -> int:
    """Solve for agents (targets) or evaluate ``--agents``; print a table or JSON."""
    out = single(args)
    if args.json:
        print(json.dumps(clean(out), allow_nan=False))
    else:
        print(single_table(out, _model_options(args)))
    return 0


def single(args: argparse.Namespace) -> dict[str, Any]:
    """Solve for agents (targets) or evaluate ``--agents``; the figures as a dict."""
    o = _model_options(args)
    calls = _num(args, "calls")
    aht = _num(args, "aht", lo_open=True)
    interval = _num(args, "interval", lo_open=True) or 1800.0
    if calls is None:
        raise _BadInput("--calls: required (calls offered per interval)")
    if aht is None:
        raise _BadInput("--aht: required (average handle time in seconds)")
    if o["answer_within"] is None:
        raise _BadInput("--answer-within: required (service-level threshold in seconds)")
    _check_combination(o)
    agents_text = args.agents
    has_target = any(
        o[k] is not None for k in ("target_sl", "target_asa", "target_abandon", "max_occupancy")
    )
    if agents_text is not None and o["target_sl"] is not None:
        raise _BadInput("--agents: give either --agents (evaluate) or --target-sl (solve)")
    if agents_text is None and not has_target:
        raise _BadInput("--target-sl: give a target to solve for agents, or --agents N")
    a = calls * aht / interval
    t = o["answer_within"]
    assert t is not None
    patience = o["patience"]
    evaluations = None
    if agents_text is not None:
        n = _num(args, "agents", lo=1.0)
        assert n is not None
        if n != math.floor(n):
            raise _BadInput(f"--agents: must be a whole number (got {agents_text})")
        agents = int(n)
        res: ErlangCResult | ErlangAResult = (
            erlang_c(agents, a, aht, t)
            if patience is None
            else erlang_a(agents, a, aht, t, patience)
        )
    else:
        s = required_agents(a, aht, **{k: o[k] for k in (*_TARGETS, "max_occupancy")})
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


_DEFAULT_PLAN = {"target_sl": 0.8, "answer_within": 20.0}


@_guarded
def run_plan(args: argparse.Namespace) -> int:
    """Agents needed per interval of a forecast; table, JSON or CSV; optional PNG plot."""
    for flag in ("calls", "aht", "agents"):
        if getattr(args, flag, None) is not None:
            raise _BadInput(f"--{flag}: not used by 'erlang plan' (the forecast has the volumes)")
    o = _model_options(args)
    if not any(
        o[k] is not None for k in ("target_sl", "target_asa", "target_abandon", "max_occupancy")
    ):
        o |= {k: o[k] if o[k] is not None else v for k, v in _DEFAULT_PLAN.items()}
    _check_combination(o)
    interval = _num(args, "interval", lo_open=True) or 1800.0
    with open(args.forecast, newline="") as f:
        rows = read_forecast(f, name=args.forecast, interval_seconds=interval)
    plan = make_plan(rows, **{k: o[k] for k in (*_TARGETS, *_LIMITS)})
    model = "erlang_c" if o["patience"] is None else "erlang_a"
    if getattr(args, "plot", None):
        title = f"{args.forecast}: agents for {targets_text(o)}"
        if o["patience"] is not None:
            title += f" (Erlang A, mean patience {o['patience']:g} s)"
        plot_plan(plan, args.plot, title=title)
    if getattr(args, "json", False):
        peak: dict[str, int] = {}
        for r in plan:
            key = r.queue or "all"
            peak[key] = max(peak.get(key, 0), r.agents)
        doc = {
            "model": model,
            "forecast": args.forecast,
            "targets": targets_json(o),
            "patience_seconds": o["patience"],
            "shrinkage": o["shrinkage"],
            "intervals": [r.as_dict() for r in plan],
            "peak_agents": peak,
        }
        print(json.dumps(clean(doc), allow_nan=False))
    elif getattr(args, "csv", False):
        print(plan_csv(plan), end="")
    else:
        print(plan_table(plan, o, args.forecast, model))
    return 0
