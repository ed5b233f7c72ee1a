"""``acd-dialer erlang``: the staffing calculator on the command line.

    acd-dialer erlang (--calls C --interval S | --calls-per-hour C) --aht S --answer-within T
                      (--target-sl X | --agents N) [--target-asa S] [--patience S]
                      [--target-abandon X] [--max-occupancy X] [--shrinkage X] [--json]
    acd-dialer erlang plan FORECAST.csv [targets as above] [--interval S] [--json | --csv]
                      [--plot FILE.png]

Numbers are read here, not by argparse, so that every bad value gets one line on stderr
naming the option (or the CSV line) and exit code 2.
"""

from __future__ import annotations

import argparse
import functools
import json
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
from acd.erlang.models import ErlangInputError
from acd.erlang.plan import ForecastError, make_plan, read_forecast
from acd.erlang.service import (
    LIMITS,
    TARGETS,
    BadInput,
    check_combination,
    model_options,
    number,
    single,
)

__all__ = ["main", "register"]

EXIT_USAGE = 2


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
        help="interval length in seconds (needed with --calls; 'erlang plan': default 1800)",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``erlang`` (and ``erlang plan``) to a subparsers object; each sets ``func``."""
    p = subparsers.add_parser(
        "erlang",
        help="Erlang C / Erlang A staffing calculator",
        description="Agents needed for a call volume (Erlang C; Erlang A with --patience), "
        "or the service an agent count gives. 'erlang plan' does a whole forecast.",
    )
    p.add_argument("--calls", metavar="C", help="calls offered per interval (needs --interval)")
    p.add_argument(
        "--calls-per-hour", metavar="C", help="calls offered per hour (the interval is 3600 s)"
    )
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


def _flag(field: str) -> str:
    return "--" + field.replace("_", "-")


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Bad input: one line on stderr naming the option or CSV line, exit code 2."""

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except BadInput as exc:
            print(f"error: {_flag(exc.field)}: {exc.message}", file=sys.stderr)
        except ErlangInputError as exc:
            bad = BadInput.from_model(exc)
            print(f"error: {_flag(bad.field)}: {bad.message}", file=sys.stderr)
        except ForecastError as exc:
            print(f"error: {exc}", file=sys.stderr)
        except BrokenPipeError:
            return 0  # the reader went away (e.g. piped into head): nothing left to say
        except OSError as exc:
            print(f"error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE

    return wrapper


@_guarded
def run_single(args: argparse.Namespace) -> int:
    """Solve for agents (targets) or evaluate ``--agents``; print a table or JSON."""
    params = vars(args)
    if args.calls is not None and args.interval is None and args.calls_per_hour is None:
        # "600 calls" is read per hour as often as per half hour: the interval must be said.
        raise BadInput("calls", "needs --interval SECONDS (or give --calls-per-hour instead)")
    out = single(params)
    if args.json:
        print(json.dumps(clean(out), allow_nan=False))
    else:
        print(single_table(out, model_options(params)))
    return 0


_DEFAULT_PLAN = {"target_sl": 0.8, "answer_within": 20.0}


@_guarded
def run_plan(args: argparse.Namespace) -> int:
    """Agents needed per interval of a forecast; table, JSON or CSV; optional PNG plot."""
    params = vars(args)
    for name in ("calls", "calls_per_hour", "aht", "agents"):
        if params.get(name) is not None:
            raise BadInput(name, "not used by 'erlang plan' (the forecast has the volumes)")
    o = model_options(params)
    if not any(
        o[k] is not None for k in ("target_sl", "target_asa", "target_abandon", "max_occupancy")
    ):
        o |= {k: o[k] if o[k] is not None else v for k, v in _DEFAULT_PLAN.items()}
    check_combination(o)
    interval = number(params, "interval", lo_open=True) or 1800.0
    with open(args.forecast, newline="") as f:
        rows = read_forecast(f, name=args.forecast, interval_seconds=interval)
    plan = make_plan(rows, **{k: o[k] for k in (*TARGETS, *LIMITS)})
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
