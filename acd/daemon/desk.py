"""What the agent desktop shows one agent: state, the offered or current call (the caller's
number unmasked: the agent talks to them), the lead of a campaign call, the preview card,
the codes to pick, wrap-up time left and the agent's figures today. Built from the core on
each change and each second; nothing about other agents is in it."""

from __future__ import annotations

from typing import Any

from acd.config.reporting import code_names
from acd.daemon.state import Daemon
from acd.engine.ewt import estimator
from acd.states import AgentState
from dialer.center.views import lead_view
from dialer.leadsource import BookLeads

CAMPAIGN_QUEUE = "campaign:"


def desk_view(d: Daemon, aid: str) -> dict[str, Any] | None:
    drv = d.driver
    if drv is None:
        return None
    core, now = drv.engine, drv.now()
    a = core.agents.get(aid)
    if a is None:
        return None
    view = core.agent_view(a, now)
    view.pop("skills", None)
    out: dict[str, Any] = {"type": "desk", "agent": view, "at": now}
    k = a.stats.kpis()
    out["today"] = {
        "answered": k["answered"],
        "missed": k["missed"],
        "aht_seconds": k["aht_seconds"],
        "occupancy": k.get("occupancy"),
        "logged_in_seconds": k.get("logged_in_seconds"),
    }
    call = a.call
    offered = None
    if call is None:
        offered = next((c for c in core.calls.values() if a.ix in c.ringing), None)
    shown = call or offered
    if shown is not None:
        cv = core.call_view(shown, now)
        cv.pop("ringing", None)
        cv["offered"] = call is None or a.state is AgentState.RINGING  # rings at the desk
        cv["attributes"] = dict(getattr(shown, "attributes", None) or {})
        out["call"] = cv
        out["codes"] = _codes(d, shown.queue.name)
        lead = _lead(d, core, shown.id, shown.queue.name)
        if lead is not None:
            out["lead"] = lead
    elif a.state is AgentState.WRAP_UP and a.last_call:
        out["codes"] = _codes(d, a.last_queue)
        out["last_call"] = a.last_call
    if a.state is AgentState.WRAP_UP:
        engine = getattr(core, "engine", core)  # a dialer center wraps the ACD engine
        due = engine.timers.due(("wrap", a.ix))
        out["wrap_left_seconds"] = max(0.0, due - now) if due is not None else None
    preview = core.preview_view(aid, now)
    if preview is not None:
        lead = dict(preview["lead"])
        campaign = d.config_campaign(preview["campaign"])
        out["preview"] = {**preview, "lead": _screen_pop(lead, campaign)}
        out["codes"] = _codes(d, CAMPAIGN_QUEUE + preview["campaign"])
    out["pause_reasons"] = list(d.config.desk.pause_reasons)
    out["queues"] = [q.name for q in d.config.queues]
    out["my_queues"] = _my_queues(core, a, now)
    return out


def _my_queues(core: Any, a: Any, now: float) -> list[dict[str, Any]]:
    """The queues whose callers this agent can take on entry: callers on hold (waiting or
    ringing), callbacks keeping their place, and the wait a caller joining now should expect
    (None: unknown). Counted from the queues' own tallies, not by walking the calls; the
    estimator of the last second is shared by every desk."""
    est = estimator(core.engine, now, within=1.0)
    return [
        {
            "name": name,
            "waiting": q.present - q.virtual,
            "callbacks_pending": q.virtual,
            "ewt_seconds": est.arriving(q),
        }
        for name, q in core.queues.items()
        if not q.closed and q.levels[0][0] in a.pools
    ]


def _codes(d: Daemon, queue: str) -> list[dict[str, str]]:
    """The codes an agent picks for a call of this queue or campaign."""
    if queue.startswith(CAMPAIGN_QUEUE):
        c = d.config_campaign(queue[len(CAMPAIGN_QUEUE) :])
        if c is not None:
            return [{"name": x.name, "kind": x.kind} for x in c.dispositions]
        return []
    for q in d.config.queues:
        if q.name == queue:
            return [{"name": n, "kind": "code"} for n in code_names(q.dispositions)]
    return []


def _lead(d: Daemon, core: Any, call_id: str, queue: str) -> dict[str, Any] | None:
    if not queue.startswith(CAMPAIGN_QUEUE):
        return None
    name = queue[len(CAMPAIGN_QUEUE) :]
    rt = core.campaigns.get(name)
    if rt is None:
        return None
    lead_id = rt.lead_of(call_id)
    if lead_id is None or not isinstance(rt.leads, BookLeads):
        return None
    return _screen_pop(lead_view(rt.leads, lead_id), d.config_campaign(name))


def _screen_pop(lead: dict[str, Any], campaign: Any) -> dict[str, Any]:
    """The lead with only the columns the campaign shows (all of them by default)."""
    cols = list(getattr(campaign, "screen_pop", None) or [])
    fields = dict(lead.get("fields") or {})
    if cols:
        fields = {k: fields[k] for k in cols if k in fields}
    return {**lead, "fields": fields}
