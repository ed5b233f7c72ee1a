"""A day plan from a forecast CSV: agents needed per interval (per queue). The PNG chart is
acd/erlang/chart.py; opening the file is the caller's (the CLI).

The forecast has a header row and one row per interval: ``interval_start`` (or ``start``;
``08:00`` or an ISO date-time), ``calls``, ``aht_seconds``, optionally ``queue`` and
``interval_seconds`` (otherwise the caller's default, 1800 s). Other columns are ignored. A bad
row raises ``ForecastError`` naming the file line and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from acd.erlang.models import ErlangAResult, ErlangInputError
from acd.erlang.solve import required_agents, scheduled_agents
from acd.errors import LocalError

__all__ = [
    "ForecastError",
    "ForecastRow",
    "PlanRow",
    "make_plan",
    "read_forecast",
]

_START = ("interval_start", "start")


class ForecastError(LocalError):
    """A forecast file is malformed: the message names the line and the column."""

    code = "invalid_forecast"


@dataclass(frozen=True, slots=True)
class ForecastRow:
    line: int
    start: str
    queue: str | None
    calls: float
    aht_seconds: float
    interval_seconds: float


@dataclass(frozen=True, slots=True)
class PlanRow:
    start: str
    queue: str | None
    calls: float
    aht_seconds: float
    interval_seconds: float
    offered_load_erlangs: float
    agents: int
    agents_scheduled: int | None
    service_level: float
    p_wait: float
    asa_seconds: float
    occupancy: float
    p_abandon: float | None

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def _number(text: str | None, where: str, column: str, *, positive: bool) -> float:
    if text is None or not text.strip():
        raise ForecastError(f"{where}: {column}: missing value")
    try:
        v = float(text)
    except ValueError:
        raise ForecastError(f"{where}: {column}: not a number: {text.strip()!r}") from None
    if not math.isfinite(v) or v < 0 or (positive and v == 0):
        raise ForecastError(
            f"{where}: {column}: must be {'> 0' if positive else '>= 0'} (got {v:g})"
        )
    return v


def _start(text: str | None, where: str, column: str) -> str:
    label = (text or "").strip()
    if not label:
        raise ForecastError(f"{where}: {column}: missing value")
    for parse in (time.fromisoformat, datetime.fromisoformat):
        try:
            parse(label)
        except ValueError:
            continue
        return label
    raise ForecastError(f"{where}: {column}: not a time (08:00) or ISO date-time: {label!r}")


def read_forecast(
    source: Iterable[str], *, name: str | None = None, interval_seconds: float = 1800.0
) -> list[ForecastRow]:
    """Read and check a forecast from its lines (an open file or a list); ``interval_seconds``
    applies where the file has no column. ``name`` (default: the file's) goes in errors."""
    label = name if name is not None else getattr(source, "name", "<forecast>")
    return _read(source, label, interval_seconds)


def _read(f: Iterable[str], name: str, default_interval: float) -> list[ForecastRow]:
    reader = csv.reader(f)
    header = next(reader, None)
    if header is None:
        raise ForecastError(f"{name}: empty file; expected a header row")
    cols = [h.strip().lower() for h in header]
    start_col = next((c for c in _START if c in cols), None)
    missing = [c for c in ("calls", "aht_seconds") if c not in cols]
    if start_col is None:
        missing.insert(0, "interval_start")
    if missing:
        raise ForecastError(
            f"{name}:{reader.line_num}: header lacks {', '.join(missing)} "
            f"(found: {', '.join(cols) or 'nothing'})"
        )
    assert start_col is not None
    idx = {c: i for i, c in enumerate(cols)}
    rows: list[ForecastRow] = []
    seen: dict[tuple[str | None, str], int] = {}
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        where = f"{name}:{reader.line_num}"
        if len(cells) != len(cols):
            raise ForecastError(f"{where}: expected {len(cols)} fields, got {len(cells)}")

        def cell(col: str, cells: list[str] = cells) -> str | None:
            return cells[idx[col]] if col in idx else None

        queue = cell("queue")
        queue = queue.strip() if queue is not None else None
        if queue == "":
            raise ForecastError(f"{where}: queue: missing value")
        start = _start(cell(start_col), where, start_col)
        if (queue, start) in seen:
            raise ForecastError(
                f"{where}: {start_col}: {start} repeats line {seen[(queue, start)]}"
                + (f" for queue {queue}" if queue else "")
            )
        seen[(queue, start)] = reader.line_num
        interval = (
            _number(cell("interval_seconds"), where, "interval_seconds", positive=True)
            if "interval_seconds" in idx
            else default_interval
        )
        rows.append(
            ForecastRow(
                line=reader.line_num,
                start=start,
                queue=queue,
                calls=_number(cell("calls"), where, "calls", positive=False),
                aht_seconds=_number(cell("aht_seconds"), where, "aht_seconds", positive=True),
                interval_seconds=interval,
            )
        )
    if not rows:
        raise ForecastError(f"{name}: no intervals after the header")
    return rows


def make_plan(
    rows: Iterable[ForecastRow],
    *,
    target_sl: float | None = None,
    answer_within: float | None = None,
    target_asa: float | None = None,
    patience: float | None = None,
    target_abandon: float | None = None,
    max_occupancy: float | None = None,
    shrinkage: float | None = None,
) -> list[PlanRow]:
    """Solve every interval for the smallest staffing meeting the targets (see
    ``required_agents``). An interval without calls needs no agents."""
    plan = []
    for r in rows:
        a = r.calls * r.aht_seconds / r.interval_seconds
        try:
            s = required_agents(
                a,
                r.aht_seconds,
                target_sl=target_sl,
                answer_within=answer_within,
                target_asa=target_asa,
                patience=patience,
                target_abandon=target_abandon,
                max_occupancy=max_occupancy,
            )
        except ErlangInputError as exc:
            if exc.field in ("offered_load", "aht", "targets"):
                raise ForecastError(f"line {r.line}: {exc.message}") from None
            raise
        res = s.result
        plan.append(
            PlanRow(
                start=r.start,
                queue=r.queue,
                calls=r.calls,
                aht_seconds=r.aht_seconds,
                interval_seconds=r.interval_seconds,
                offered_load_erlangs=a,
                agents=s.agents,
                agents_scheduled=None
                if shrinkage is None
                else scheduled_agents(s.agents, shrinkage),
                service_level=float(res.service_level),
                p_wait=float(res.p_wait),
                asa_seconds=float(res.asa_seconds),
                occupancy=float(res.occupancy),
                p_abandon=float(res.p_abandon) if isinstance(res, ErlangAResult) else None,
            )
        )
    return plan
