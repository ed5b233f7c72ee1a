"""The ``acd-dialer`` command line. The edge of the program: it may read clocks and terminals."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from acd.errors import AcdError, ConfigError
from acd.reporting.formats import cell

EXIT_USAGE = 2


def demo_path() -> Path:
    from acd.config.files import demo_path as path

    return path()


def _load(path: str | None):
    from acd.config.files import load_config

    return load_config(path if path is not None else demo_path())


def _check_files(cfg: Any, path: str | None) -> int:
    """Read the lead and do-not-call files the config names, as ``run`` will (ConfigError
    naming the config file and line if one cannot be read); the number of leads."""
    from acd.simulate import campaign_leads

    if not cfg.campaigns:
        return 0
    source = Path(path) if path is not None else demo_path()
    books, _ = campaign_leads(cfg, source.resolve().parent, 0.0, source)
    return sum(len(b.book) for b in books.values() if hasattr(b, "book"))


def cmd_check_config(args: argparse.Namespace) -> int:
    cfg = _load(args.file)
    leads = _check_files(cfg, args.file)
    kind = "scenario" if cfg.simulation is not None else "config"
    extra = f", {len(cfg.campaigns)} campaigns, {leads} leads" if cfg.campaigns else ""
    print(f"{args.file}: OK ({kind}: {len(cfg.queues)} queues, {len(cfg.agents)} agents{extra})")
    return 0


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: float) -> None:
        self.total = total
        self.enabled = sys.stderr.isatty()
        self.started = time.perf_counter()

    def __call__(self, now: float) -> None:
        if not self.enabled:
            return
        frac = min(1.0, now / self.total) if self.total else 1.0
        bar = "#" * int(frac * 30)
        sys.stderr.write(f"\r  simulating [{bar:<30}] {frac:5.1%}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def cmd_simulate(args: argparse.Namespace) -> int:
    from acd.simulate import run_scenario

    cfg = _load(args.scenario)
    if cfg.simulation is None:
        raise ConfigError(
            "the file has no simulation: section; it is a config, not a scenario",
            file=args.scenario or str(demo_path()),
        )
    hours = args.hours if args.hours is not None else cfg.simulation.hours
    progress = _Progress(hours * 3600.0) if not args.json else None
    t0 = time.perf_counter()
    base = Path(args.scenario).resolve().parent if args.scenario else demo_path().resolve().parent
    report = run_scenario(
        cfg,
        seed=args.seed,
        hours=args.hours,
        progress=progress,
        base_dir=base,
        source=args.scenario or demo_path(),
        rows=args.interval is not None,
    )
    wall = time.perf_counter() - t0
    if args.interval is not None:
        report["intervals"] = _interval_rows(cfg, report.pop("intervals"), args.interval)
    if progress is not None:
        progress.close()
    report["sim"]["wall_seconds"] = wall
    report["sim"]["speedup"] = report["sim"]["simulated_seconds"] / wall if wall > 0 else None
    report["scenario"] = args.scenario or "embedded demo"
    if args.json:
        print(json.dumps(report, allow_nan=False))
    else:
        print(format_report(report))
        if args.interval is not None:
            from acd.reporting.formats import table

            queues = [r for r in report["intervals"] if r["group"] == "queue"]
            print(f"\nQueues per {args.interval}-minute interval\n\n{table(queues)}")
    return 0


def _interval_rows(cfg: Any, rows: list[dict[str, Any]], minutes: int) -> list[dict[str, Any]]:
    """A run's interval rows in ``minutes``-long intervals, inbound queues and agents (their
    sums are the report's totals)."""
    from acd.reporting.report import ReportError, interval_report, select

    inbound = [q.name for q in cfg.queues]
    targets = {q.name: q.service_level.target for q in cfg.queues}
    try:
        return interval_report(
            select(rows, inbound=inbound),
            minutes=minutes,
            targets=targets,
            day_starts=cfg.center.day_start_time(),
        )
    except ReportError as exc:
        raise ConfigError(
            f"{exc.message} (the scenario's reporting.interval_minutes)", field="--interval"
        ) from None


def _fmt(v: Any, kind: str = "") -> str:
    if kind == "r" and v is not None:
        return f"{v:.2f}"
    return cell(v, kind)


def format_report(r: dict[str, Any]) -> str:
    cols = [
        ("queue", "", 12),
        ("offered", "", 8),
        ("answered", "", 9),
        ("abandoned", "", 10),
        ("timed out", "", 10),
        ("overflow", "", 9),
        ("SL", "pct", 7),
        ("SL thr s", "s", 9),
        ("ASA s", "s", 8),
        ("AHT s", "s", 8),
        ("P(wait)", "pct", 8),
        ("max wait s", "s", 11),
    ]
    keys = [
        None,
        "offered",
        "answered",
        "abandoned",
        "timed_out",
        "overflowed",
        "service_level",
        "service_level_threshold_seconds",
        "asa_seconds",
        "aht_seconds",
        "p_wait",
        "max_wait_seconds",
    ]
    sim = r["sim"]
    out = [
        f"Scenario {r.get('scenario', '')}: seed {sim['seed']}, {sim['hours']:g} h of arrivals, "
        f"{sim['simulated_seconds'] / 3600:.2f} h simulated in {sim.get('wall_seconds', 0):.2f} s "
        f"({sim.get('speedup') or 0:,.0f}x real time, {sim['events']:,} events)",
        "",
        "".join(f"{name:>{w}}" if i else f"{name:<{w}}" for i, (name, _, w) in enumerate(cols)),
    ]
    rows = [(name, q) for name, q in r["queues"].items()]
    rows.append(("TOTAL", r["totals"] | {"service_level_threshold_seconds": None}))
    for name, q in rows:
        cells = []
        for i, ((_, kind, w), key) in enumerate(zip(cols, keys, strict=True)):
            text = name if key is None else _fmt(q.get(key), kind)
            cells.append(f"{text:<{w}}" if i == 0 else f"{text:>{w}}")
        out.append("".join(cells))
    agents = r["agents"]
    if agents:
        occ = [a["occupancy"] for a in agents.values() if a["occupancy"] is not None]
        out.append("")
        out.append(
            f"Agents: {len(agents)}, mean occupancy {sum(occ) / len(occ):.1%}"
            if occ
            else f"Agents: {len(agents)}"
        )
        if len(agents) <= 30:
            out.append(f"{'agent':<12}{'answered':>9}{'talk h':>8}{'occupancy':>10}{'missed':>8}")
            for aid, a in agents.items():
                out.append(
                    f"{aid:<12}{a['answered']:>9}{a['talk_seconds'] / 3600:>8.2f}"
                    f"{_fmt(a['occupancy'], 'pct'):>10}{a['missed']:>8}"
                )
    camps = r.get("campaigns") or {}
    if camps:
        out.append("")
        out.append(
            f"{'campaign':<12}{'mode':>12}{'dialed':>8}{'live':>7}{'machine':>8}{'no ans':>7}"
            f"{'abandon':>9}{'abandon %':>10}{'hit %':>7}{'conn/agent-h':>13}{'talk occ':>9}"
        )
        for name, c in camps.items():
            out.append(
                f"{name:<12}{c['mode']:>12}{c['dialed']:>8}{c['live_answers']:>7}"
                f"{c['machines']:>8}{c['no_answer']:>7}{c['abandoned']:>9}"
                f"{_fmt(c['abandonment_rate'], 'pct'):>10}{_fmt(c['hit_rate'], 'pct'):>7}"
                f"{_fmt(c['connects_per_agent_hour'], 's'):>13}"
                f"{_fmt(c['talk_occupancy'], 'pct'):>9}"
            )
        out.append("")
        out.append(
            f"{'today':<12}{'contacts':>9}{'conversions':>12}{'conv %':>8}{'1st-call %':>11}"
            f"{'contacts/lead':>14}{'contacts/account':>17}"
        )
        for name, c in camps.items():
            t = c.get("today") or {}
            out.append(
                f"{name:<12}{t.get('contacts', 0):>9}{t.get('success', 0):>12}"
                f"{_fmt(t.get('conversion_rate'), 'pct'):>8}"
                f"{_fmt(t.get('first_call_close_rate'), 'pct'):>11}"
                f"{_fmt(t.get('contacts_per_lead'), 'r'):>14}"
                f"{_fmt(t.get('contacts_per_account'), 'r'):>17}"
            )
    out.append("")
    out.append(
        "SL = answered within the threshold / calls that ended in the queue, less short abandons."
    )
    return "\n".join(out)


def cmd_run(args: argparse.Namespace) -> int:
    from acd.daemon.serve import run

    cfg = _load(args.config)
    _check_files(cfg, args.config)  # a missing lead or DNC file: exit 2 before starting
    for key in ("host", "port"):
        if getattr(args, key) is not None:
            daemon = cfg.daemon.model_copy(update={key: getattr(args, key)})
            cfg = cfg.model_copy(update={"daemon": daemon})
    path = Path(args.config).resolve() if args.config else None
    return run(cfg, path, demo=args.config is None, log_level=args.log_level)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="acd-dialer",
        description="Automatic call distributor and predictive dialer.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run the daemon (default: the embedded demo, in real time)")
    r.add_argument("config", nargs="?", help="config YAML (default: the embedded demo)")
    r.add_argument("--port", type=int, help="override daemon.port (0: any free port)")
    r.add_argument("--host", help="override daemon.host (0.0.0.0: every interface)")
    r.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default="info",
        help="the least severe log lines written to stderr (default: info)",
    )
    r.set_defaults(func=cmd_run)

    s = sub.add_parser("simulate", help="simulate a day of a scenario and print the KPIs")
    s.add_argument("scenario", nargs="?", help="scenario YAML (default: the embedded demo)")
    s.add_argument("--seed", type=int, help="override the scenario's seed")
    s.add_argument("--hours", type=float, help="override the hours of arrivals")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument(
        "--interval",
        type=int,
        choices=(15, 30, 60),
        help="also the figures per interval of this many minutes (JSON: intervals)",
    )
    s.set_defaults(func=cmd_simulate)

    c = sub.add_parser("check-config", help="validate a config or scenario file")
    c.add_argument("file")
    c.set_defaults(func=cmd_check_config)

    from acd.erlang.cli import register as register_erlang

    register_erlang(sub)
    from acd.cdr_cli import register as register_cdr

    register_cdr(sub)
    from acd.audit_cli import register as register_audit

    register_audit(sub)
    from acd.report_cli import register as register_report

    register_report(sub)
    from acd.passwd_cli import register as register_passwd

    register_passwd(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except AcdError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
