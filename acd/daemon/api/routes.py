"""The one route table: the server's router and the OpenAPI document are both made from it,
so they cannot drift. JSON routes get their body, query and role checks from the wrapper in
``middleware``; raw routes (metrics, the event stream, readiness, the wallboard's files)
answer the request themselves."""

from __future__ import annotations

from acd.daemon.api.admin import admin_reload, erlang, healthz
from acd.daemon.api.agents import (
    agent_disposition,
    agent_force_state,
    agent_login,
    agent_logout,
    agent_pause,
    agent_preview,
    agent_preview_dial,
    agent_preview_skip,
    agent_ready,
    agent_skills,
    get_agent,
    list_agents,
)
from acd.daemon.api.bodies import (
    CallbackBody,
    DispositionBody,
    DncBody,
    HangupBody,
    LeadPatchBody,
    LoginBody,
    PauseBody,
    SkillsBody,
    StateBody,
    TransferBody,
)
from acd.daemon.api.callbacks import CALLBACK_ROUTES
from acd.daemon.api.calls import (
    call_hangup,
    call_hold,
    call_resume,
    call_transfer,
    get_queue,
    get_snapshot,
    list_calls,
    list_queues,
)
from acd.daemon.api.campaigns import (
    campaign_pause,
    campaign_resume,
    lead_callback,
    lead_close,
    lead_get,
    lead_patch,
    leads_import,
    leads_list,
    list_campaigns,
)
from acd.daemon.api.compliance import dnc_add, dnc_check, dnc_list, dnc_remove, list_cdr
from acd.daemon.api.desk import DESK_ROUTES
from acd.daemon.api.endpoints import asset, events_ws, index, metrics_endpoint, readyz
from acd.daemon.api.openapi import openapi_doc
from acd.daemon.api.people import PEOPLE_ROUTES
from acd.daemon.api.queries import (
    CDR_QUERY,
    CSV_OR_JSON,
    DAY_QUERY,
    ERLANG_QUERY,
    EVENTS_QUERY,
    LEADS_QUERY,
    PAGE_QUERY,
    REPORT_QUERY,
)
from acd.daemon.api.reports import report_day, report_intervals
from acd.daemon.api.route import JSON, Route
from acd.daemon.api.scores import SCORE_ROUTES
from acd.daemon.api.supervision import SUPERVISION_ROUTES

ROUTES: list[Route] = [
    Route("GET", "/healthz", healthz, "open", "Liveness: the process answers"),
    Route("GET", "/v1/snapshot", get_snapshot, "supervisor", "Queues, agents and calls at once"),
    Route(
        "GET",
        "/v1/queues",
        list_queues,
        "agent",
        "Queues: waiting callers, the EWT of a caller joining now, today's KPIs",
    ),
    Route("GET", "/v1/queues/{queue}", get_queue, "agent", "One queue"),
    Route("GET", "/v1/agents", list_agents, "supervisor", "All agents and their states"),
    Route("GET", "/v1/agents/{agent_id}", get_agent, "agent", "One agent", own_agent=True),
    Route(
        "POST",
        "/v1/agents/{agent_id}/login",
        agent_login,
        "agent",
        "Log in (ready or paused)",
        LoginBody,
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/logout",
        agent_logout,
        "agent",
        "Log out (after the current call and wrap-up)",
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/ready",
        agent_ready,
        "agent",
        "Ready: leave pause, or end wrap-up early",
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/pause",
        agent_pause,
        "agent",
        "Pause with a reason code (after the current call if on one)",
        PauseBody,
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/disposition",
        agent_disposition,
        "agent",
        "Set the disposition (wrap-up code) of the current or last call",
        DispositionBody,
        own_agent=True,
    ),
    Route(
        "GET",
        "/v1/agents/{agent_id}/preview",
        agent_preview,
        "agent",
        "The lead the agent previews (preview mode, callbacks)",
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/preview/dial",
        agent_preview_dial,
        "agent",
        "Dial the previewed lead (the agent stays on the line)",
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/preview/skip",
        agent_preview_skip,
        "agent",
        "Skip the previewed lead",
        own_agent=True,
    ),
    Route(
        "POST",
        "/v1/agents/{agent_id}/state",
        agent_force_state,
        "supervisor",
        "Force an agent's state",
        StateBody,
        audit="agent.force_state",
    ),
    Route(
        "PUT",
        "/v1/agents/{agent_id}/skills",
        agent_skills,
        "supervisor",
        "Change an agent's skills live",
        SkillsBody,
        audit="agent.skills",
    ),
    Route(
        "GET", "/v1/calls", list_calls, "supervisor", "Live calls, each waiting one with its EWT"
    ),
    Route(
        "POST",
        "/v1/calls/{call_id}/hangup",
        call_hangup,
        "agent",
        "Hang up a call",
        HangupBody,
        audit="call.hangup",
    ),
    Route(
        "POST",
        "/v1/calls/{call_id}/hold",
        call_hold,
        "agent",
        "Record that the connected caller is on hold (the phone holds the audio); hold time "
        "counts in AHT, not in talk time",
    ),
    Route(
        "POST",
        "/v1/calls/{call_id}/resume",
        call_resume,
        "agent",
        "Record that the caller is off hold",
    ),
    Route(
        "POST",
        "/v1/calls/{call_id}/transfer",
        call_transfer,
        "agent",
        "Transfer a call to a queue",
        TransferBody,
        audit="call.transfer",
    ),
    Route("GET", "/v1/campaigns", list_campaigns, "supervisor", "Campaigns with today's figures"),
    Route(
        "POST",
        "/v1/campaigns/{campaign}/pause",
        campaign_pause,
        "supervisor",
        "Stop placing calls (calls in flight finish)",
        audit="campaign.pause",
    ),
    Route(
        "POST",
        "/v1/campaigns/{campaign}/resume",
        campaign_resume,
        "supervisor",
        "Place calls again",
        audit="campaign.resume",
    ),
    Route(
        "POST",
        "/v1/campaigns/{campaign}/leads",
        leads_import,
        "supervisor",
        "Import leads (CSV or a JSON list): taken, and rejected rows with line and reason",
        status=201,
        raw_body=CSV_OR_JSON,
        audit="lead.import",
    ),
    Route(
        "GET",
        "/v1/campaigns/{campaign}/leads",
        leads_list,
        "supervisor",
        "A campaign's leads, a page at a time",
        query=LEADS_QUERY,
    ),
    Route(
        "GET",
        "/v1/campaigns/{campaign}/leads/{lead_id}",
        lead_get,
        "supervisor",
        "One lead and where it stands",
    ),
    Route(
        "PATCH",
        "/v1/campaigns/{campaign}/leads/{lead_id}",
        lead_patch,
        "supervisor",
        "Change a lead's priority",
        LeadPatchBody,
        audit="lead.edit",
    ),
    Route(
        "DELETE",
        "/v1/campaigns/{campaign}/leads/{lead_id}",
        lead_close,
        "supervisor",
        "Close a lead (never dialed again; 409 while it is being dialed)",
        audit="lead.close",
    ),
    Route(
        "POST",
        "/v1/campaigns/{campaign}/leads/{lead_id}/callback",
        lead_callback,
        "supervisor",
        "Schedule a callback (at: ISO 8601, or local wall time in the lead's zone)",
        CallbackBody,
        audit="lead.callback",
    ),
    Route(
        "GET",
        "/v1/cdr",
        list_cdr,
        "supervisor",
        "Call detail records ended in a date range (bulk export: acd-dialer cdr export)",
        query=CDR_QUERY,
    ),
    Route(
        "GET",
        "/v1/reports/intervals",
        report_intervals,
        "supervisor",
        "Figures per interval of a queue, agent or campaign over business dates (JSON, or CSV "
        "with Accept: text/csv); rows summed to 30 or 60 minutes on request",
        query=REPORT_QUERY,
        csv=True,
    ),
    Route(
        "GET",
        "/v1/reports/day",
        report_day,
        "supervisor",
        "Every queue's, agent's and campaign's totals of a business date: the sum of its "
        "intervals (JSON, or CSV with Accept: text/csv)",
        query=DAY_QUERY,
        csv=True,
    ),
    Route("GET", "/v1/dnc", dnc_list, "supervisor", "The do-not-call list", query=PAGE_QUERY),
    Route(
        "POST",
        "/v1/dnc",
        dnc_add,
        "supervisor",
        "Add a number to the do-not-call list (source api)",
        DncBody,
        audit="dnc.add",
    ),
    Route("GET", "/v1/dnc/{number}", dnc_check, "supervisor", "Is this number on the list?"),
    Route(
        "DELETE",
        "/v1/dnc/{number}",
        dnc_remove,
        "supervisor",
        "Take a number off the do-not-call list",
        audit="dnc.remove",
    ),
    Route(
        "POST",
        "/v1/admin/reload",
        admin_reload,
        "admin",
        "Reload the config file",
        audit="admin.reload",
    ),
    Route(
        "GET",
        "/v1/erlang",
        erlang,
        "agent",
        "Staffing calculator: agents needed (give targets) or service given (give agents). "
        "Give calls (per interval, 1800 s unless given) or calls_per_hour. "
        "Give agents or a target, not both; target_sl needs answer_within and "
        "target_abandon needs patience (422 otherwise).",
        query=ERLANG_QUERY,
    ),
    Route(
        "GET",
        "/readyz",
        readyz,
        "open",
        "Readiness: engine running, adapters connected, not draining; `reasons` lists what "
        "is missing",
        raw=True,
        responses={
            "200": {"description": "ready", "content": JSON},
            "503": {"description": "not ready", "content": JSON},
        },
    ),
    Route(
        "GET",
        "/metrics",
        metrics_endpoint,
        "supervisor",
        "Prometheus metrics (open without a token when daemon.metrics_open is true)",
        raw=True,
        open_setting="metrics_open",
        responses={
            "200": {
                "description": "the Prometheus text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    ),
    Route(
        "GET",
        "/v1/openapi.json",
        openapi_doc,
        "open",
        "This document",
        raw=True,
        responses={"200": {"description": "the OpenAPI document", "content": JSON}},
    ),
    Route(
        "GET",
        "/v1/events",
        events_ws,
        "supervisor",
        "Live events over a WebSocket: a snapshot a second, agent and call changes",
        query=EVENTS_QUERY,
        raw=True,
        responses={
            "101": {"description": "switching to the WebSocket protocol"},
            "400": {"description": "not a WebSocket upgrade request", "content": JSON},
            "422": {"description": "an unknown message type", "content": JSON},
        },
    ),
    Route("GET", "/", index, "open", "The wallboard", raw=True, documented=False),
    Route(
        "GET",
        r"/{asset:[A-Za-z0-9_-]+\.(?:js|css|svg|png|ico)}",
        asset,
        "open",
        "The wallboard's files",
        raw=True,
        documented=False,
    ),
]
ROUTES += PEOPLE_ROUTES + DESK_ROUTES
ROUTES += SCORE_ROUTES
ROUTES += CALLBACK_ROUTES
ROUTES += SUPERVISION_ROUTES  # the supervision table (audit, monitors), beside its handlers
