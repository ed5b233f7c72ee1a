"""A campaign's compliance figures for an auditor, from its call detail records and interval rows
(pure: the edge, :mod:`acd.compliance_cli`, reads the store or simulates, and renders).

Per business day and per rolling 30-day window ending on it: live answers, abandoned calls and
their rate (FTC TSR 310.4(b)(4)(i), FCC 47 CFR 64.1200(a)(7): at most 3% per campaign per 30
days); calls placed outside the called party's hours (each with the zones its number resolved
to; must be none); dials the do-not-call list stopped; safe-harbor messages the PBX confirmed
played, and each abandoned call without one; ring time of each unanswered call (at least 15 s,
TSR 310.4(b)(4)(ii)); dead air (the called party's answer to an agent).

Definitions, from the records alone:

- a **live answer** is a campaign record that reached a person: it has a queue (the campaign's)
  and its ``dialed`` time; an **abandoned** call is one with ``abandoned_2s`` (no agent within
  the connect window, counted from the answer, or the person hung up waiting);
- a **safe-harbor message** was played when the record carries ``safe_harbor_played_at``: the
  PBX said the message played to its end (a person who hung up during it, or before it as an
  ``abandoned`` outcome, has none); every abandoned call without it is listed;
- **ring time** of an unanswered call (outcome ``no_answer``) is ``ended - dialed``;
- **dead air** of a connected live answer is ``connected_to_agent_at - arrived`` (``arrived`` is
  the called party's answer as the PBX reported it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from dialer.hours import CallingWindow, may_call

MIN_RING_SECONDS = 15.0  # TSR 310.4(b)(4)(ii): at least 15 seconds or four rings
ROLLING_DAYS = 30
DAY_FIELDS = (
    "date",
    "dials",
    "live_answers",
    "abandoned",
    "abandonment_rate",
    "live_answers_30d",
    "abandoned_30d",
    "abandonment_rate_30d",
    "outside_hours",
    "dnc_blocked",
    "safe_harbor_played",
    "abandoned_without_message",
    "unanswered",
    "ring_min_seconds",
    "short_rings",
    "dead_air_avg_seconds",
    "dead_air_max_seconds",
)


def first_day_needed(first: str) -> str:
    """The first business date whose records the 30-day window ending on ``first`` reads."""
    return (date.fromisoformat(first) - timedelta(days=ROLLING_DAYS - 1)).isoformat()


def _days(first: str, last: str) -> list[str]:
    d, end, out = date.fromisoformat(first), date.fromisoformat(last), []
    while d <= end:
        out.append(d.isoformat())
        d += timedelta(days=1)
    return out


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


class _Day:
    __slots__ = (
        "abandoned",
        "dead_air",
        "dials",
        "live",
        "outside",
        "rings",
        "safe_harbor",
        "unconfirmed",
    )

    def __init__(self) -> None:
        self.dials = self.live = self.abandoned = self.outside = self.safe_harbor = 0
        self.unconfirmed = 0
        self.rings: list[float] = []
        self.dead_air: list[float] = []


def compliance_report(
    records: Iterable[Mapping[str, Any]],
    *,
    campaign: str,
    first: str,
    last: str,
    day_of: Callable[[float], str],
    window: CallingWindow,
    zones_of: Callable[[Mapping[str, Any]], tuple[str, ...]],
    dnc_by_day: Mapping[str, int] | None = None,
    iso: Callable[[float], str] = str,
) -> dict[str, Any]:
    """The report for ``campaign`` over business dates ``first``..``last`` (ISO dates).

    ``records`` are call detail records as dicts (``CallDetail.as_dict``), any campaign and any
    date (the 29 days before ``first`` feed the rolling window); ``day_of`` gives a Unix time's
    business date; ``zones_of`` a record's candidate zones (its lead's, else its number's);
    ``dnc_by_day`` the do-not-call stops per business date (the campaign's interval rows)."""
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    since = first_day_needed(first)
    days: dict[str, _Day] = {}
    outside: list[dict[str, Any]] = []
    short: list[dict[str, Any]] = []
    unanswered: list[dict[str, Any]] = []
    no_message: list[dict[str, Any]] = []
    zones_seen: dict[str, int] = {}
    for r in records:
        dialed = r.get("dialed")
        if r.get("campaign") != campaign or dialed is None:
            continue
        day = day_of(float(dialed))
        if not since <= day <= last:
            continue
        d = days.setdefault(day, _Day())
        d.dials += 1
        if r.get("queue") is not None:  # reached a person
            d.live += 1
            if r.get("abandoned_2s"):
                d.abandoned += 1
            if r.get("safe_harbor_played_at") is not None:
                d.safe_harbor += 1
            elif r.get("abandoned_2s") and day >= first:
                d.unconfirmed += 1
                no_message.append(
                    {
                        "call_id": r["call_id"],
                        "number": r.get("caller", ""),
                        "dialed": iso(float(dialed)),
                        "outcome": r.get("outcome"),  # "abandoned": hung up before it began
                    }
                )
            connected = r.get("connected_to_agent_at")
            if connected is not None:
                d.dead_air.append(max(0.0, float(connected) - float(r["arrived"])))
        if day < first:
            continue  # before the report: only the rolling window reads it
        zones = zones_of(r)
        for z in zones or ("unknown",):
            zones_seen[z] = zones_seen.get(z, 0) + 1
        if not zones or not may_call(zones, float(dialed), window):
            d.outside += 1
            outside.append(
                {
                    "call_id": r["call_id"],
                    "number": r.get("caller", ""),
                    "dialed": iso(float(dialed)),
                    "zones": " ".join(zones) or "unknown",
                }
            )
        if r.get("outcome") == "no_answer":
            ring = max(0.0, float(r["ended"]) - float(dialed))
            d.rings.append(ring)
            item = {"call_id": r["call_id"], "dialed": iso(float(dialed)), "ring_seconds": ring}
            unanswered.append(item)
            if ring < MIN_RING_SECONDS:
                short.append(item)
    dnc = dnc_by_day or {}
    rows = []
    empty = _Day()
    for day in _days(first, last):
        d = days.get(day, empty)
        back = [days.get(x, empty) for x in _days(first_day_needed(day), day)]
        live30 = sum(b.live for b in back)
        ab30 = sum(b.abandoned for b in back)
        rows.append(
            {
                "date": day,
                "dials": d.dials,
                "live_answers": d.live,
                "abandoned": d.abandoned,
                "abandonment_rate": _ratio(d.abandoned, d.live),
                "live_answers_30d": live30,
                "abandoned_30d": ab30,
                "abandonment_rate_30d": _ratio(ab30, live30),
                "outside_hours": d.outside,
                "dnc_blocked": int(dnc.get(day, 0)),
                "safe_harbor_played": d.safe_harbor,
                "abandoned_without_message": d.unconfirmed,
                "unanswered": len(d.rings),
                "ring_min_seconds": min(d.rings) if d.rings else None,
                "short_rings": sum(1 for x in d.rings if x < MIN_RING_SECONDS),
                "dead_air_avg_seconds": _ratio(sum(d.dead_air), len(d.dead_air)),
                "dead_air_max_seconds": max(d.dead_air) if d.dead_air else None,
            }
        )
    live = sum(r["live_answers"] for r in rows)
    abandoned = sum(r["abandoned"] for r in rows)
    worst = [r["abandonment_rate_30d"] for r in rows if r["abandonment_rate_30d"] is not None]
    totals = {
        "dials": sum(r["dials"] for r in rows),
        "live_answers": live,
        "abandoned": abandoned,
        "abandonment_rate": _ratio(abandoned, live),
        "worst_abandonment_rate_30d": max(worst) if worst else None,
        "outside_hours": len(outside),
        "dnc_blocked": sum(r["dnc_blocked"] for r in rows),
        "safe_harbor_played": sum(r["safe_harbor_played"] for r in rows),
        "abandoned_without_message": len(no_message),
        "unanswered": len(unanswered),
        "short_rings": len(short),
        "zones": dict(sorted(zones_seen.items())),
    }
    return {
        "campaign": campaign,
        "from": first,
        "to": last,
        "days": rows,
        "totals": totals,
        "outside_hours": outside,
        "short_rings": short,
        "unanswered": unanswered,
        "abandoned_without_message": no_message,
    }
