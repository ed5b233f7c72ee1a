"""Reports from interval rows: pure functions of the rows a store (or the interval book) holds.

A row is what :func:`acd.reporting.book.row_record` makes (``group``, ``name``, ``date``,
``start``, ``local``, ``minutes``, ``counts``; queue rows also ``waiting``). Reports sum the
counts, never the rates: rows are put in buckets of the asked interval length (15-minute rows
make 30- and 60-minute ones; a length shorter than the rows' is refused), and the KPIs of each
bucket are computed from its summed counts by the same code as the live figures
(:meth:`acd.stats.QueueStats.kpis`, :meth:`acd.stats.AgentStats.kpis`). A day's totals are the
sum of its rows. Groups are ``queue``, ``agent`` and ``campaign``
(:class:`acd.reporting.campaign.CampaignStats`: a campaign's distinct leads and accounts of a
day are those first dialed that day, summed over its rows; of a 30- or 60-minute bucket made of
shorter rows they are unknown, None). A group this module has no KPI function for gets its
counts summed field by field (numbers added, ``max_*`` fields maximised, mappings and lists
summed item by item) and no KPIs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Any

from acd.reporting.campaign import CampaignStats
from acd.stats import AgentStats, QueueStats

GROUPS = ("queue", "agent", "campaign")
INTERVALS = (15, 30, 60)
INTERNAL_PREFIX = "campaign:"  # a campaign's own ACD queue (its rows are the campaign's)

Row = dict[str, Any]
Targets = Mapping[str, float | None]  # queue -> its service-level target


class ReportError(ValueError):
    """A report asked for what the rows cannot give; ``param`` names the parameter."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


# --- summing counts ------------------------------------------------------------------------
def _queue(parts: list[Row], waiting: int, target: float | None) -> tuple[Row, Row]:
    total = QueueStats.from_dict(parts[0], target=target)
    for p in parts[1:]:
        total.absorb(QueueStats.from_dict(p, target=target))
    return total.to_dict(), total.kpis(waiting)


def _agent(parts: list[Row], waiting: int, target: float | None) -> tuple[Row, Row]:
    total = AgentStats()
    for p in parts:
        st = AgentStats()
        st.load_dict(p)
        total.absorb(st)
    return total.to_dict(), total.kpis()


def _campaign(parts: list[Row], whole_day: bool) -> tuple[Row, Row]:
    total = CampaignStats.total([CampaignStats.from_dict(p) for p in parts], whole_day=whole_day)
    return total.to_dict(), total.kpis()


def add_counts(a: Any, b: Any, key: str = "") -> Any:
    """Two rows' counts of a group without a KPI function, summed."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a
    if isinstance(a, int | float) and isinstance(b, int | float):
        return max(a, b) if key.startswith("max_") else a + b
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = add_counts(out[k], v, k) if k in out else v
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [add_counts(x, y, key) for x, y in zip(a, b, strict=True)]
    return a


def _generic(parts: list[Row], waiting: int, target: float | None) -> tuple[Row, Row]:
    total: Row = dict(parts[0])
    for p in parts[1:]:
        total = add_counts(total, p)
    return total, {}


FOLDS: dict[str, Callable[[list[Row], int, float | None], tuple[Row, Row]]] = {
    "queue": _queue,
    "agent": _agent,
}


def fold(
    group: str,
    parts: list[Row],
    *,
    waiting: int = 0,
    target: float | None = None,
    whole_day: bool = False,
) -> Row:
    """Rows' counts summed, and the KPIs of the sum: ``{"counts", "kpis"}``. ``whole_day``:
    the parts are every row of one business day (a campaign's distinct leads add up then)."""
    if group == "campaign":
        counts, kpis = _campaign(parts, whole_day)
    else:
        counts, kpis = FOLDS.get(group, _generic)(parts, waiting, target)
    return {"counts": counts, "kpis": kpis}


# --- choosing rows ---------------------------------------------------------------------------
def select(
    rows: Iterable[Row],
    *,
    group: str | None = None,
    name: str | None = None,
    inbound: Iterable[str] = (),
) -> list[Row]:
    """The rows of a group and name (None: any). A campaign's own queue (``campaign:NAME``) is
    not a queue of the center: its rows are left out unless asked for by name (or a configured
    inbound queue in ``inbound`` has that name)."""
    keep = set(inbound)
    out = []
    for r in rows:
        if group is not None and r["group"] != group:
            continue
        if name is not None and r["name"] != name:
            continue
        if (
            name is None
            and r["group"] == "queue"
            and r["name"].startswith(INTERNAL_PREFIX)
            and r["name"] not in keep
        ):
            continue
        out.append(r)
    return out


def _bucket(r: Row, minutes: int, day_start: int) -> tuple[float, str]:
    """The start (Unix seconds, local ISO time) of the ``minutes``-long bucket holding row
    ``r``, buckets counted from the business day's start."""
    local = datetime.fromisoformat(r["local"])
    wall = local.hour * 3600 + local.minute * 60 + local.second
    off = (wall - day_start) % (minutes * 60)
    start = float(r["start"]) - off
    return start, (local - timedelta(seconds=off)).isoformat(timespec="seconds")


def check_interval(rows: Iterable[Row], minutes: int) -> None:
    """Refuse an interval length the rows cannot make (shorter than theirs, or not a
    multiple of it)."""
    if minutes not in INTERVALS:
        raise ReportError("interval", f"15, 30 or 60 (minutes), got {minutes}")
    for r in rows:
        stored = int(r["minutes"])
        if minutes < stored or minutes % stored:
            raise ReportError(
                "interval",
                f"the figures are kept in {stored}-minute intervals: ask "
                + " or ".join(str(m) for m in INTERVALS if m >= stored and m % stored == 0),
            )


# --- the reports ---------------------------------------------------------------------------
def interval_report(
    rows: Iterable[Row],
    *,
    minutes: int | None = None,
    targets: Targets | None = None,
    day_starts: time = time(0, 0),
) -> list[Row]:
    """One row per group, name and bucket of ``minutes`` (default: the rows' own length),
    ordered by group, name and start: ``group, name, date, start, local, minutes, counts,
    kpis`` (queue rows also ``waiting``: calls still in the queue when the rows were written)."""
    rows = list(rows)
    if not rows:
        return []
    length = minutes if minutes is not None else max(int(r["minutes"]) for r in rows)
    check_interval(rows, length)
    day_start = day_starts.hour * 3600 + day_starts.minute * 60
    buckets: dict[tuple[str, str, float], tuple[Row, list[Row], int]] = {}
    for r in rows:
        start, local = _bucket(r, length, day_start)
        key = (r["group"], r["name"], start)
        head = buckets.get(key)
        if head is None:
            first = {"date": r["date"], "start": start, "local": local}
            head = buckets[key] = (first, [], 0)
        head[1].append(r.get("counts") or {})
        buckets[key] = (head[0], head[1], head[2] + int(r.get("waiting", 0)))
    out = []
    for (group, name, _), (first, parts, waiting) in sorted(buckets.items()):
        row: Row = {"group": group, "name": name, **first, "minutes": length}
        if group == "queue":
            row["waiting"] = waiting
        row |= fold(group, parts, waiting=waiting, target=_target(targets, group, name))
        out.append(row)
    return out


def day_report(rows: Iterable[Row], *, targets: Targets | None = None) -> list[Row]:
    """Each group's and name's day totals per business date, the sum of its rows, ordered by
    date, group and name: ``group, name, date, intervals (rows summed), counts, kpis``."""
    days: dict[tuple[str, str, str], tuple[list[Row], int]] = {}
    for r in rows:
        key = (r["date"], r["group"], r["name"])
        parts, waiting = days.get(key, ([], 0))
        parts.append(r.get("counts") or {})
        days[key] = (parts, waiting + int(r.get("waiting", 0)))
    out = []
    for (date, group, name), (parts, waiting) in sorted(days.items()):
        row: Row = {"group": group, "name": name, "date": date, "intervals": len(parts)}
        if group == "queue":
            row["waiting"] = waiting
        target = _target(targets, group, name)
        row |= fold(group, parts, waiting=waiting, target=target, whole_day=True)
        out.append(row)
    return out


def _target(targets: Targets | None, group: str, name: str) -> float | None:
    if group != "queue" or targets is None:
        return None
    return targets.get(name)


def mark_provisional(
    rows: Iterable[Row], now: float, window: float, day_end: Callable[[str], float]
) -> None:
    """Say, on each row with first contacts, whether its FCR may still fall: until the window
    after its end (``day_end(date)`` for a day row, Unix time) has closed, a caller may come
    back (``kpis.fcr_provisional``)."""
    for r in rows:
        k = r["kpis"]
        if not k.get("first_contacts"):
            continue
        end = r["start"] + 60.0 * r["minutes"] if "start" in r else day_end(r["date"])
        k["fcr_provisional"] = now < end + window
