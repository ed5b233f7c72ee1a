"""The one snapshot of a running core: what ``GET /v1/snapshot`` returns and, trimmed, what the
event stream pushes to wallboards once a second.

Beyond the engine's own views (``Core.snapshot``, ``Core.campaigns_view``) it carries what a
supervisor reads off the wall, all computed here from the engine at ``now``:

- per queue (the center's configured queues; a campaign's internal ``campaign:NAME`` queue is
  not one: its figures are the campaign's): today's figures (``QueueStats.kpis``, as
  ``Core.report``), ``last_interval`` (the last closed report interval's row of the interval
  book) and ``why_waiting`` (ready agents the waiting calls cannot go to, and when the next
  escalation step lets them: :mod:`acd.engine.eligibility`);
- per agent: calls today, AHT and occupancy (``Core.report``), and what it works on: ``queue``
  (an inbound queue it rings for, talks on or wraps up) or ``campaign``;
- ``interval``: which interval ``last_interval`` is (start as Unix time, local label, minutes).
"""

from __future__ import annotations

from typing import Any

from acd.core import Core
from acd.engine.eligibility import why_waiting
from acd.states import AGENT_STATE_LABELS, AgentState
from acd.stats import QueueStats

# The states with their labels, in the order shown: pages take them from here, not a copy.
STATE_LABELS = {s.value: label for s, label in AGENT_STATE_LABELS.items()}

# The last interval's figures the wall shows (the whole row is in GET /v1/reports).
INTERVAL_FIGURES = (
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa_seconds",
    "aht_seconds",
    "abandon_rate",
    "max_wait_seconds",
)
# The states in which an agent has a call of a queue: ringing, talking or wrapping it up.
WORKING = (AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP)


def build_snapshot(core: Core, now: float, *, push: bool = False) -> dict[str, Any]:
    """Queues, agents, agent states, calls and campaigns at ``now``.

    ``push``: the once-a-second message leaves out the live calls and each campaign's full
    report, which the wall does not show and which would multiply the stream's size.
    """
    snap = core.snapshot(now)
    campaigns = core.campaigns_view(now)
    if push:
        snap.pop("calls")
        campaigns = [{k: v for k, v in c.items() if k != "report"} for c in campaigns]
    interval, queues = _queues(core, now, snap["queues"])
    snap["queues"] = queues
    snap["agents"] = _agents(core, now, snap["agents"])
    return {
        "time": now,
        **snap,
        "interval": interval,
        "agent_state_labels": STATE_LABELS,
        "campaigns": campaigns,
    }


def snapshot_message(core: Core, now: float) -> dict[str, Any]:
    return {"type": "snapshot", **build_snapshot(core, now, push=True)}


def _queues(
    core: Core, now: float, views: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    engine = core.engine
    book = engine.book
    cal = book.cal
    start = cal.interval(now) - cal.length
    interval = {
        "start": cal.unix(start),
        "local": cal.label(start),
        "minutes": int(cal.length // 60),
    }
    inbound = {q.name for q in core.config.queues}
    reasons = why_waiting(engine, now)
    out = []
    for view in views:
        name = view["name"]
        if name not in inbound:
            continue
        q = engine.queues[name]
        row = book.queue_rows.get((start, name))
        k = (row if row is not None else QueueStats(q.cfg)).kpis(0)
        out.append(
            {
                **view,
                "last_interval": {f: k[f] for f in INTERVAL_FIGURES},
                "why_waiting": reasons[name],
            }
        )
    return interval, out


def _agents(core: Core, now: float, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    engine = core.engine
    figures = core.report(now)["agents"]
    campaigns = core.agent_work(now)
    inbound = {q.name for q in core.config.queues}
    out = []
    for view in views:
        a = engine.agents[view["id"]]
        k = figures[a.id]
        queue = None
        if a.state in WORKING:
            queue = a.call.queue.name if a.call is not None else a.last_queue
            if queue not in inbound:
                queue = None
        out.append(
            {
                **view,
                "queue": queue,
                "campaign": campaigns.get(a.id),
                "calls_today": k["answered"],
                "aht_seconds": k["aht_seconds"],
                "occupancy": k["occupancy"],
            }
        )
    return out
