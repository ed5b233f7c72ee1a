"""Interval and day reports (/v1/reports): rows from the store (Redis, or the embedded memory
store, which gets the same batches), summed by :mod:`acd.reporting.report`; JSON, or CSV for
``Accept: text/csv``."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from acd.daemon.api.errors import ApiError
from acd.daemon.days import daemon_calendar, today
from acd.daemon.state import Daemon
from acd.reporting.formats import csv_text
from acd.reporting.report import (
    GROUPS,
    INTERVALS,
    ReportError,
    day_report,
    interval_report,
    mark_provisional,
)
from acd.reporting.report import select as select_rows

MAX_DAYS = 92  # an intervals report spans at most this many days after its first


def _bad(param: str, message: str) -> ApiError:
    return ApiError(400, "invalid_field", f"{param}: {message}")


def _date(value: str, param: str) -> str:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or len(value) != 10:  # 20260302 parses too: we take YYYY-MM-DD only
        raise _bad(param, f"a date (YYYY-MM-DD), got {value!r}")
    return day.isoformat()


def _respond(request: web.Request, data: dict[str, Any], rows: list[dict[str, Any]]) -> Any:
    if "text/csv" in request.headers.get("Accept", ""):
        return web.Response(text=csv_text(rows), content_type="text/csv", charset="utf-8")
    return data | {"rows": rows}


async def _rows(d: Daemon, first: str, last: str, **kw: Any) -> list[dict[str, Any]]:
    if d.store is None or (d.config.store.url is not None and not d.store_connected):
        raise ApiError(503, "not_ready", "the store is not connected")
    rows = await d.store.load_intervals(first, last, **kw)
    inbound = [q.name for q in d.config.queues]
    return select_rows(rows, group=kw.get("group"), name=kw.get("name"), inbound=inbound)


def _targets(d: Daemon) -> dict[str, float | None]:
    return {q.name: q.service_level.target for q in d.config.queues}


async def report_intervals(request: web.Request, d: Daemon, body: None) -> Any:
    q = request.query
    first = _date(q["from"], "from") if "from" in q else today(d)
    last = _date(q["to"], "to") if "to" in q else first
    if last < first:
        raise _bad("to", f"{last} is before from ({first})")
    if date.fromisoformat(last) > date.fromisoformat(first) + timedelta(days=MAX_DAYS):
        raise _bad("to", f"at most {MAX_DAYS} days after from (the CLI reads longer ranges)")
    group = q.get("group", "queue")
    if group not in GROUPS:
        raise _bad("group", f"one of {', '.join(GROUPS)}, got {group!r}")
    name = q.get("name") or None
    minutes = None
    if "interval" in q:
        try:
            minutes = int(q["interval"])
        except ValueError:
            minutes = -1
        if minutes not in INTERVALS:
            raise _bad("interval", f"15, 30 or 60 (minutes), got {q['interval']!r}")
    rows = await _rows(d, first, last, group=group, name=name)
    cal_starts = d.config.center.day_start_time()
    try:
        out = interval_report(rows, minutes=minutes, targets=_targets(d), day_starts=cal_starts)
    except ReportError as exc:
        raise _bad(exc.param, exc.message) from None
    _provisional(d, out)
    head = {"from": first, "to": last, "group": group, "name": name, "interval": minutes}
    if out:
        head["interval"] = out[0]["minutes"]
    return _respond(request, head, out)


async def report_day(request: web.Request, d: Daemon, body: None) -> Any:
    q = request.query
    day = _date(q["date"], "date") if "date" in q else today(d)
    out = day_report(await _rows(d, day, day), targets=_targets(d))
    _provisional(d, out)
    return _respond(request, {"date": day}, out)


def _provisional(d: Daemon, rows: list[Any]) -> None:
    """FCR is provisional until fcr.window_hours after the row's end (engine time is Unix)."""
    cal = d.driver.engine.book.cal if d.driver is not None else daemon_calendar(d.config)
    now = d.driver.now() if d.driver is not None else time.time()
    window = d.config.fcr.window_hours * 3600.0
    mark_provisional(rows, now, window, lambda day: cal.unix(cal.day_bounds(day)[1]))
