"""Report rows (:mod:`acd.reporting.report`) as CSV and as a text table.

CSV: one line per report row; the columns are ``group, name, date, start`` (local ISO time with
its offset; none in a day report), ``minutes`` or ``intervals``, ``waiting``, then the KPIs (or,
for a group without KPIs, its counts), in the order they first appear. Cells go through the
call-record export's :func:`acd.store.cdr.csv_cell`, so a text cell a spreadsheet would run as
a formula (``= + - @``, tab, carriage return) gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, TextIO

from acd.store.cdr import csv_cell

Row = dict[str, Any]
HEAD = ("group", "name", "date", "start", "minutes", "intervals", "waiting")


def flat(row: Row) -> Row:
    """A report row as one level of columns."""
    out: Row = {k: row[k] for k in HEAD if k in row}
    if "local" in row:
        out["start"] = row["local"]
    figures = row.get("kpis") or row.get("counts") or {}
    for k, v in figures.items():
        out.setdefault(k, v)
    return out


def write_csv(rows: Iterable[Row], out: TextIO) -> int:
    flats = [flat(r) for r in rows]
    columns: dict[str, None] = {}
    for f in flats:
        columns.update(dict.fromkeys(f))
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for f in flats:
        # No key: a report's "offered" or "answered" is a count, not the CDR's timestamp.
        w.writerow([csv_cell(f.get(k)) for k in columns])
    return len(flats)


def csv_text(rows: Iterable[Row]) -> str:
    buf = io.StringIO()
    write_csv(rows, buf)
    return buf.getvalue()


# (heading, key, kind, width) per group; kind: "" as is, "pct", "s" (seconds), "h" (hours),
# "f" (a ratio to two decimals)
QUEUE_COLUMNS = (
    ("offered", "offered", "", 8),
    ("answered", "answered", "", 9),
    ("abandoned", "abandoned", "", 10),
    ("SL", "service_level", "pct", 7),
    ("SL rem", "service_level_removed", "pct", 7),
    ("target", "service_level_target", "pct", 7),
    ("ASA s", "asa_seconds", "s", 7),
    ("AHT s", "aht_seconds", "s", 7),
    ("aband %", "abandon_rate", "pct", 8),
    ("max wait", "max_wait_seconds", "s", 9),
    ("callbacks", "callbacks_requested", "", 10),
    ("CB conn", "callbacks_connected", "", 8),
    ("CB SL", "callback_service_level", "pct", 7),
)
AGENT_COLUMNS = (
    ("handled", "answered", "", 8),
    ("AHT s", "aht_seconds", "s", 7),
    ("occupancy", "occupancy", "pct", 10),
    ("logged h", "logged_in_seconds", "h", 9),
    ("ready h", "ready_seconds", "h", 8),
    ("paused h", "paused_seconds", "h", 9),
    ("calls/h", "calls_per_logged_in_hour", "s", 8),
    ("missed", "missed", "", 7),
)

CAMPAIGN_COLUMNS = (
    ("dials", "dials", "", 7),
    ("live", "human", "", 6),
    ("hit %", "hit_rate", "pct", 7),
    ("conn", "connected", "", 6),
    ("aband", "abandoned", "", 6),
    ("conn/h", "connects_per_agent_hour", "s", 7),
    ("contacts", "contacts", "", 9),
    ("conv", "success", "", 6),
    ("conv %", "conversion_rate", "pct", 7),
    ("FCC %", "first_call_close_rate", "pct", 7),
    ("c/lead", "contacts_per_lead", "f", 7),
    ("c/acct", "contacts_per_account", "f", 7),
)


def cell(v: Any, kind: str) -> str:
    if v is None:
        return "-"
    if kind == "pct":
        return f"{v:.1%}"
    if kind == "s":
        return f"{v:.1f}"
    if kind == "h":
        return f"{v / 3600:.2f}"
    if kind == "f":
        return f"{v:.2f}"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _columns(group: str, rows: list[Row]) -> tuple[tuple[str, str, str, int], ...]:
    if group == "queue":
        return QUEUE_COLUMNS
    if group == "agent":
        return AGENT_COLUMNS
    if group == "campaign":
        return CAMPAIGN_COLUMNS
    keys: dict[str, None] = {}
    for r in rows:
        for k, v in (r.get("counts") or {}).items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                keys[k] = None
    return tuple((k, k, "", max(8, len(k) + 1)) for k in keys)


def table(rows: Iterable[Row]) -> str:
    """The rows as text, one block per group: name and start (or date), then its figures."""
    rows = list(rows)
    if not rows:
        return "(no rows)"
    blocks = []
    for group in dict.fromkeys(r["group"] for r in rows):
        mine = [r for r in rows if r["group"] == group]
        cols = _columns(group, mine)
        when = "start" if "local" in mine[0] else "date"
        width = max(12, *(len(r["name"]) + 2 for r in mine))
        head = f"{group:<{width}}{when:<20}" + "".join(f"{h:>{w}}" for h, _, _, w in cols)
        lines = [head]
        for r in mine:
            figures = r.get("kpis") or r.get("counts") or {}
            at = r["local"][:16].replace("T", " ") if "local" in r else r["date"]
            cells = "".join(f"{cell(figures.get(k), kind):>{w}}" for _, k, kind, w in cols)
            lines.append(f"{r['name']:<{width}}{at:<20}{cells}")
        blocks.append("\n".join(lines))
    text = "\n\n".join(blocks)
    if not any(r["group"] == "queue" for r in rows):
        return text
    notes = "SL = answered within the threshold / (offered - waiting - short abandons); SL rem = "
    notes += "answered or abandoned within it / (offered - waiting)."
    return text + "\n\n" + notes
