"""``acd-dialer report``: interval and day reports from the config's store (Redis), or, for a
scenario without a store, from a simulation of it. The edge around acd/reporting/report.py (it
reads files and the clock, and runs an event loop against Redis)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from acd.config.files import load_config
from acd.config.schema import Config
from acd.errors import ConfigError
from acd.reporting.formats import table, write_csv
from acd.reporting.report import ReportError, day_report, interval_report, select

GROUP = {"intervals": "queue", "agents": "agent", "campaigns": "campaign", "day": None}
WHAT = (*GROUP, "compliance")  # compliance: a campaign's figures for an auditor
CHART = "intervals.png"  # where --format png writes without --output


def _date(text: str | None, flag: str) -> str | None:
    if text is None:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ConfigError(f"not a date (YYYY-MM-DD): {text!r}", field=flag) from None


def _stored(cfg: Config, first: str, last: str, group: str | None, name: str | None) -> Any:
    from acd.store.redis import RedisStore  # redis-py loads only for this

    assert cfg.store.url is not None
    store = RedisStore(cfg.store.url, cfg.store.prefix)

    async def read() -> list[dict[str, Any]]:
        try:
            await store.connect()
            return await store.load_intervals(first, last, group=group, name=name)
        finally:
            await store.close()

    return asyncio.run(read())


def _simulated(cfg: Config, path: Path, seed: int | None) -> list[dict[str, Any]]:
    from acd.simulate import run_scenario

    report = run_scenario(cfg, seed=seed, base_dir=path.resolve().parent, source=path, rows=True)
    return list(report["intervals"])


def rows_for(args: argparse.Namespace, cfg: Config) -> tuple[list[dict[str, Any]], str, str]:
    """The rows the report reads, and its first and last business dates."""
    first, last = _date(args.start, "--from"), _date(args.end, "--to")
    group = GROUP[args.what]
    if cfg.store.url is not None:
        if first is None:
            import time

            from acd.daemon.days import daemon_calendar

            first = daemon_calendar(cfg).day(time.time())
        last = last or first
        if last < first:
            raise ConfigError(f"--to {last} is before --from {first}", field="--to")
        return _stored(cfg, first, last, group, args.name), first, last
    if cfg.simulation is None:
        raise ConfigError(
            "store.url is not set and the file is no scenario: there are no stored figures "
            "to read (give a redis:// url, or a file with a simulation: section)",
            file=args.config,
            field="store.url",
        )
    rows = _simulated(cfg, Path(args.config), args.seed)
    dates = [r["date"] for r in rows] or ["0000-01-01"]
    first = first or min(dates)
    last = last or (first if args.start else max(dates))
    if last < first:
        raise ConfigError(f"--to {last} is before --from {first}", field="--to")
    return [r for r in rows if first <= r["date"] <= last], first, last


def cmd_report(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    if args.what == "compliance":
        from acd.compliance_cli import cmd_compliance

        return cmd_compliance(args, cfg, _date(args.start, "--from"), _date(args.end, "--to"))
    if args.format == "png" and args.what != "intervals":
        raise ConfigError("charts are of queues per interval: report intervals", field="--format")
    rows, first, last = rows_for(args, cfg)
    group = GROUP[args.what]
    rows = select(rows, group=group, name=args.name, inbound=[q.name for q in cfg.queues])
    targets = {q.name: q.service_level.target for q in cfg.queues}
    if args.what == "day":
        out = day_report(rows, targets=targets)
    else:
        try:
            out = interval_report(
                rows,
                minutes=args.interval,
                targets=targets,
                day_starts=cfg.center.day_start_time(),
            )
        except ReportError as exc:
            raise ConfigError(exc.message, field="--interval") from None
    if args.format == "png":
        from acd.report_chart import plot_intervals

        target = args.output or CHART
        n = plot_intervals(out, target, title=f"{cfg.name or 'acd-dialer'}: {first} to {last}")
        print(f"wrote {target}: {n} queue(s), {first} to {last}", file=sys.stderr)
        return 0
    text = _render(args.format, out, first, last, group)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def _render(fmt: str, out: list[dict[str, Any]], first: str, last: str, group: str | None) -> str:
    if fmt == "json":
        doc = {"from": first, "to": last, "group": group, "rows": out}
        return json.dumps(doc, allow_nan=False) + "\n"
    if fmt == "csv":
        import io

        buf = io.StringIO()
        write_csv(out, buf)
        return buf.getvalue()
    return f"{first} to {last}\n\n{table(out)}\n"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report {intervals,day,agents,campaigns}``."""
    p = subparsers.add_parser(
        "report",
        help="interval and day figures from the store, or from a simulated scenario",
        description="Figures per interval (queues, agents, campaigns) or per business day, "
        "or a campaign's compliance figures (report compliance --campaign NAME), "
        "from the store of a config with store.url, or from a simulation of a scenario file "
        "without one. Dates are business dates in the center's zone (default: today, or the "
        "whole simulated run).",
    )
    p.add_argument(
        "what", choices=WHAT, help="intervals = queues per interval; compliance: one campaign"
    )
    p.add_argument("--config", required=True, help="config or scenario YAML")
    p.add_argument("--from", dest="start", metavar="DATE", help="first business date")
    p.add_argument("--to", dest="end", metavar="DATE", help="last business date, included")
    p.add_argument("--name", help="only this queue, agent or campaign")
    p.add_argument("--campaign", help="the campaign of a compliance report")
    p.add_argument(
        "--interval",
        type=int,
        choices=(15, 30, 60),
        help="minutes per row (default: as kept); 30 and 60 sum 15-minute rows",
    )
    p.add_argument("--format", choices=("table", "csv", "json", "png"), default="table")
    p.add_argument("--output", metavar="FILE", help=f"default: standard output ({CHART} for png)")
    p.add_argument("--seed", type=int, help="a scenario's seed (simulated reports)")
    p.set_defaults(func=cmd_report)
