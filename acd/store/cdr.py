"""Call detail records: the field list and the export writers (the commands: acd/cdr_cli.py).

A record is a plain dict produced by the engine; every key below may be missing (written empty).
Times are Unix seconds (UTC). A record's *time* is its ``ended`` (falling back to ``offered``,
then ``arrived``, for a record that never ended): date ranges and retention go by it.

Export formats:

* ``jsonl``: one JSON object per line, each record exactly as stored (all keys, raw seconds),
  so nothing is lost and nothing is reformatted.
* ``csv``: a header row and the columns of :data:`FIELDS` in that order. Timestamps
  (``arrived``, ``offered``, ``answered``, ``ended``) are ISO-8601 UTC with milliseconds
  (``2026-11-01T09:15:02.123Z``) because that is what spreadsheets and people read; the
  durations (``*_seconds``) are seconds to the millisecond, so sums need no parsing. Raw Unix
  seconds are in the JSON Lines export. Booleans are ``true``/``false``; a missing value is an
  empty cell. A text cell that a spreadsheet would run as a formula (it starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return: a lead id, a caller, a disposition) gets a
  leading ``'`` so it stays text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Protocol, TextIO

FIELDS: tuple[str, ...] = (
    "call_id",
    "direction",
    "queue",
    "campaign",
    "agent_id",
    "caller",
    "arrived",
    "offered",
    "answered",
    "ended",
    "wait_seconds",
    "talk_seconds",
    "hold_seconds",
    "wrap_seconds",
    "outcome",
    "disposition",
    "abandoned_2s",
    "transfers",
    "lead_id",
    "amd_verdict_at",
    "connected_to_agent_at",
    "safe_harbor_played_at",
    "callback_of",
    "callback_requested_at",
    "callback_attempts",
)
TIMESTAMPS = frozenset(
    {
        "arrived",
        "offered",
        "answered",
        "ended",
        "dialed",
        "amd_verdict_at",
        "connected_to_agent_at",
        "safe_harbor_played_at",
        "callback_requested_at",
    }
)
LEG_TIMES = ("entered", "left")
Format = Literal["csv", "jsonl"]


def record_time(record: dict[str, Any]) -> float:
    """The time a record is filed under: ``ended``, else ``offered``, else ``arrived``, else 0."""
    for key in ("ended", "offered", "arrived"):
        v = record.get(key)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    return 0.0


def audit_time(entry: dict[str, Any]) -> float:
    """An audit entry's ``at`` (ISO 8601, acd/audit.py) as Unix seconds; 0 if unreadable."""
    try:
        return datetime.fromisoformat(str(entry.get("at"))).timestamp()
    except ValueError:
        return 0.0


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def readable(record: dict[str, Any]) -> dict[str, Any]:
    """A record as every export and the API give it: its times (and its legs') in ISO 8601 UTC
    to the millisecond, the rest as stored (the store keeps Unix seconds)."""
    out = dict(record)
    for k in TIMESTAMPS:
        v = out.get(k)
        if isinstance(v, int | float) and not isinstance(v, bool):
            out[k] = iso(float(v))
    legs = out.get("legs")
    if isinstance(legs, list):
        out["legs"] = [_leg(leg) if isinstance(leg, dict) else leg for leg in legs]
    return out


def _leg(leg: dict[str, Any]) -> dict[str, Any]:
    times = {k: iso(float(leg[k])) for k in LEG_TIMES if isinstance(leg.get(k), int | float)}
    return {**leg, **times}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell: durations to the millisecond, JSON for structures, and text a spreadsheet
    would run as a formula neutralised (times come as ISO text from :func:`readable`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict | list):
        text = json.dumps(value, separators=(",", ":"))
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class RecordSource(Protocol):
    def records(self, start: float, end: float) -> AsyncIterator[dict[str, Any]]: ...


async def write_csv(records: AsyncIterator[dict[str, Any]], out: TextIO) -> int:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(FIELDS)
    n = 0
    async for r in records:
        shown = readable(r)
        w.writerow([csv_cell(shown.get(k)) for k in FIELDS])
        n += 1
    return n


async def write_jsonl(records: AsyncIterator[dict[str, Any]], out: TextIO) -> int:
    n = 0
    async for r in records:
        out.write(json.dumps(readable(r), separators=(",", ":"), allow_nan=False) + "\n")
        n += 1
    return n


WRITERS: dict[str, Callable[[AsyncIterator[dict[str, Any]], TextIO], Any]] = {
    "csv": write_csv,
    "jsonl": write_jsonl,
}


async def export(source: RecordSource, start: float, end: float, fmt: Format, out: TextIO) -> int:
    """Write the records whose time is in ``[start, end)``; returns how many."""
    return int(await WRITERS[fmt](source.records(start, end), out))


def parse_bound(text: str, *, end: bool = False) -> float:
    """``YYYY-MM-DD`` (a UTC day; as an end bound the whole day is included) or an ISO-8601
    date-time (UTC unless it names a zone), as Unix seconds."""
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            day = datetime(d.year, d.month, d.day, tzinfo=UTC)
            return (day + timedelta(days=1 if end else 0)).timestamp()
        t = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD) or ISO-8601 date-time: {text!r}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.timestamp()


def retention_cutoff(now: float, retention_days: float) -> float:
    return now - retention_days * 86400.0
