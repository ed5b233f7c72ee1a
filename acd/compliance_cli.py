"""``acd-dialer report compliance``: a campaign's compliance figures (dialer/compliance.py) from
the config's store (call records and interval rows in Redis) or, for a scenario without a store,
from a simulation of it; as a table, CSV (formula-safe cells) or JSON. The edge: it reads files
and the clock and runs an event loop against Redis."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from acd.config.schema import Config
from acd.errors import ConfigError
from acd.records import CallDetail
from acd.reporting.calendar import BusinessCalendar, calendar_for
from acd.store.cdr import csv_cell, iso
from dialer.compliance import DAY_FIELDS, compliance_report, first_day_needed
from dialer.hours import zones_for
from dialer.leadsource import calling_window

Gathered = tuple[
    list[dict[str, Any]], dict[str, int], Callable[[Mapping[str, Any]], tuple[str, ...]]
]


def _number_zones(fallback: tuple[str, ...] = ()) -> Callable[[Mapping[str, Any]], tuple[str, ...]]:
    def zones(r: Mapping[str, Any]) -> tuple[str, ...]:
        number = str(r.get("caller") or "")
        return zones_for(number, fallback=fallback) if number else ()

    return zones


def _dnc_by_day(rows: list[dict[str, Any]], campaign: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        if r.get("group") == "campaign" and r.get("name") == campaign:
            n = int((r.get("counts") or {}).get("dnc_blocked") or 0)
            out[r["date"]] = out.get(r["date"], 0) + n
    return out


def _stored(cfg: Config, cal: BusinessCalendar, campaign: str, first: str, last: str) -> Gathered:
    from acd.store.redis import RedisStore  # redis-py loads only for this

    assert cfg.store.url is not None
    store = RedisStore(cfg.store.url, cfg.store.prefix)
    since = first_day_needed(first)
    start, _ = cal.day_bounds(since)
    _, end = cal.day_bounds(last)

    async def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        try:
            await store.connect()
            # Records go by their end: a call dialed on the last day may end after midnight.
            recs = [r async for r in store.records(start, end + 86400.0)]
            rows = await store.load_intervals(since, last, group="campaign", name=campaign)
            return recs, rows
        finally:
            await store.close()

    recs, rows = asyncio.run(read())
    return recs, _dnc_by_day(rows, campaign), _number_zones()


def _simulated(cfg: Config, path: Path, seed: int | None, campaign: str) -> Gathered:
    """Run the scenario with a record sink; times shifted to Unix time (the scenario's date)."""
    from acd.simulate import build, sim_epoch

    sim = cfg.simulation
    assert sim is not None
    core, _, driver = build(cfg, seed=seed, base_dir=path.resolve().parent, source=path)
    epoch = sim_epoch(sim)
    recs: list[dict[str, Any]] = []

    def sink(cdr: CallDetail) -> None:
        def at(t: float | None) -> float | None:
            return None if t is None else t + epoch

        moved = replace(
            cdr,
            arrived=cdr.arrived + epoch,
            offered=at(cdr.offered),
            answered=at(cdr.answered),
            ended=cdr.ended + epoch,
            dialed=at(cdr.dialed),
            amd_verdict_at=at(cdr.amd_verdict_at),
            connected_to_agent_at=at(cdr.connected_to_agent_at),
            safe_harbor_played_at=at(cdr.safe_harbor_played_at),
        )
        recs.append(moved.as_dict())

    core.cdr_sink = sink  # type: ignore[attr-defined]
    driver.run(sim.hours * 3600.0, warmup=sim.warmup_seconds, drain=True)
    rows = core.engine.book.records()
    rt = core.campaigns.get(campaign)  # type: ignore[attr-defined]
    book = getattr(getattr(rt, "leads", None), "book", None)
    by_number = _number_zones()

    def zones(r: Mapping[str, Any]) -> tuple[str, ...]:
        lead_id = r.get("lead_id")
        if book is not None and lead_id in book:
            found: tuple[str, ...] = book.zones(lead_id)  # the lead file's zone, or its number's
            return found
        return by_number(r)

    return recs, _dnc_by_day(rows, campaign), zones


def cmd_compliance(
    args: argparse.Namespace, cfg: Config, first: str | None, last: str | None
) -> int:
    campaign = args.campaign or args.name
    names = [c.name for c in cfg.campaigns]
    if campaign is None:
        raise ConfigError(
            f"report compliance needs --campaign (one of {names})", field="--campaign"
        )
    if campaign not in names:
        raise ConfigError(
            f"no campaign {campaign!r} in the config; it has {names}", field="--campaign"
        )
    if args.format == "png":
        raise ConfigError("the compliance report is a table, CSV or JSON", field="--format")
    c = next(c for c in cfg.campaigns if c.name == campaign)
    if cfg.store.url is not None:
        cal = calendar_for(cfg.model_copy(update={"simulation": None}), host_zone=_host_zone())
        first = first or cal.day(time.time())
        last = last or first
        if last < first:
            raise ConfigError(f"--to {last} is before --from {first}", field="--to")
        recs, dnc, zones = _stored(cfg, cal, campaign, first, last)
    elif cfg.simulation is not None:
        cal = calendar_for(cfg)  # Unix time in the scenario's zone
        recs, dnc, zones = _simulated(cfg, Path(args.config), args.seed, campaign)
        dates = sorted(cal.day(float(r["dialed"])) for r in recs if r.get("dialed") is not None)
        first = first or (dates[0] if dates else cal.day(0.0))
        last = last or (first if args.start else (dates[-1] if dates else first))
        if last < first:
            raise ConfigError(f"--to {last} is before --from {first}", field="--to")
    else:
        raise ConfigError(
            "store.url is not set and the file is no scenario: there are no records to read "
            "(give a redis:// url, or a file with a simulation: section)",
            file=args.config,
            field="store.url",
        )
    report = compliance_report(
        recs,
        campaign=campaign,
        first=first,
        last=last,
        day_of=cal.day,
        window=calling_window(c),
        zones_of=zones,
        dnc_by_day=dnc,
        iso=iso,
    )
    text = render(args.format, report)
    if args.output in (None, "-"):
        import sys

        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def _host_zone() -> str:
    from acd.config.files import host_zone

    return host_zone()


CSV_EXTRA = ("call_id", "number", "dialed", "zones", "ring_seconds", "outcome")


def render(fmt: str, report: dict[str, Any]) -> str:
    if fmt == "json":
        return json.dumps(report, allow_nan=False) + "\n"
    if fmt == "csv":
        return _csv(report)
    return _table(report)


def _csv(report: dict[str, Any]) -> str:
    """One table: a ``record`` column says what each line is (day, total, outside_hours,
    short_ring, no_safe_harbor); every cell formula-safe (a number like +1212... is written
    '+1212...)."""
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    columns = ("record", "campaign", *DAY_FIELDS, *CSV_EXTRA)
    w.writerow(columns)
    base = {"campaign": report["campaign"]}
    lines: list[dict[str, Any]] = [{"record": "day", **base, **d} for d in report["days"]]
    totals = {k: v for k, v in report["totals"].items() if k != "zones"}
    lines.append({"record": "total", **base, "date": f"{report['from']}..{report['to']}", **totals})
    lines += [{"record": "outside_hours", **base, **o} for o in report["outside_hours"]]
    lines += [{"record": "short_ring", **base, **s} for s in report["short_rings"]]
    lines += [
        {"record": "no_safe_harbor", **base, **a} for a in report["abandoned_without_message"]
    ]
    for line in lines:
        w.writerow([csv_cell(line.get(k)) for k in columns])
    return buf.getvalue()


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f}%"


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def _table(report: dict[str, Any]) -> str:
    heads = (
        ("date", "date", str),
        ("dials", "dials", str),
        ("live", "live_answers", str),
        ("aband.", "abandoned", str),
        ("rate", "abandonment_rate", _pct),
        ("live 30d", "live_answers_30d", str),
        ("aband. 30d", "abandoned_30d", str),
        ("rate 30d", "abandonment_rate_30d", _pct),
        ("outside hrs", "outside_hours", str),
        ("DNC blocked", "dnc_blocked", str),
        ("safe harbor", "safe_harbor_played", str),
        ("aband. no msg", "abandoned_without_message", str),
        ("unanswered", "unanswered", str),
        ("min ring s", "ring_min_seconds", _num),
        ("rings <15s", "short_rings", str),
        ("dead air avg s", "dead_air_avg_seconds", _num),
        ("dead air max s", "dead_air_max_seconds", _num),
    )
    cells = [[h for h, _, _ in heads]]
    cells += [[fmt(d[k]) for _, k, fmt in heads] for d in report["days"]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(heads))]
    lines = [
        f"campaign {report['campaign']}: {report['from']} to {report['to']}",
        "",
        *("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells),
        "",
    ]
    t = report["totals"]
    lines.append(
        f"total: {t['live_answers']} live answers, {t['abandoned']} abandoned "
        f"({_pct(t['abandonment_rate'])}); "
        f"worst 30-day rate {_pct(t['worst_abandonment_rate_30d'])}"
    )
    lines.append(
        f"outside the called party's hours: {t['outside_hours']}; DNC blocked: {t['dnc_blocked']}; "
        f"safe-harbor messages played (PBX-confirmed): {t['safe_harbor_played']}, abandoned "
        f"calls without one: {t['abandoned_without_message']}; unanswered under 15 s: "
        f"{t['short_rings']} of {t['unanswered']}"
    )
    lines.append("zones dialed: " + ", ".join(f"{z} {n}" for z, n in t["zones"].items()))
    for o in report["outside_hours"]:
        lines.append(
            f"  outside hours: {o['call_id']} {o['number']} at {o['dialed']} ({o['zones']})"
        )
    for s in report["short_rings"]:
        lines.append(f"  short ring: {s['call_id']} at {s['dialed']}: {s['ring_seconds']:.1f} s")
    for a in report["abandoned_without_message"]:
        lines.append(
            f"  abandoned, no safe-harbor message: {a['call_id']} {a['number']} at "
            f"{a['dialed']} ({a['outcome']})"
        )
    return "\n".join(lines) + "\n"
