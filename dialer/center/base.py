"""What every part of the Center shares: its state, declared once.

Each mixin of :class:`dialer.center.Center` subclasses :class:`CenterBase`, so the state it
reads and writes is named and typed in one place; ``Center.__init__`` sets it all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from acd.config.schema import Config
from acd.engine import Engine
from acd.entities import QueueRt
from acd.records import CallDetail
from acd.states import AgentState
from acd.timers import Timers
from dialer.campaign import CampaignRuntime

BUSY = (AgentState.ON_CALL, AgentState.WRAP_UP)
TRUNK_RETRY = 5.0  # a preview's auto-dial while the PBX link is down: tried again this much later
RESERVE_WINDOW = 900.0  # inbound arrival rate measured over the last 15 minutes


class CenterBase:
    """The Center's state. Public names are read by the daemon, persistence and reports."""

    config: Config  # as given: inbound queues only (the engine's has the campaign queues too)
    engine: Engine
    campaigns: dict[str, CampaignRuntime]
    call_prefix: str  # call ids must not repeat across daemon restarts
    dnc: Any
    day_end: float | None
    lead_epoch: float  # Unix time of engine time 0 (lead books, callbacks)
    # Timer keys: ("pace", campaign), ("preview", agent id: the auto-dial time-out),
    # ("harbor", call id: a held record goes out unconfirmed)
    timers: Timers
    skipped_dnc: int
    stop_dialing: bool  # the daemon is shutting down (not a campaign pause, not persisted)
    trunk_up: bool  # the PBX link (ev.TrunkState): no dial while it is down
    lead_imports: int  # lead imports over the API (unique ids for rows without one)
    _call_campaign: dict[str, CampaignRuntime]  # outbound call -> its campaign, until it ends
    _agent_campaigns: dict[str, list[CampaignRuntime]]  # agent -> the campaigns it serves
    _ivl_seen: float  # the current report interval's start, as last seen
    _inbound_for: dict[str, list[QueueRt]]  # campaign -> inbound queues its agents serve
    _by_queue: dict[str, CampaignRuntime]  # campaign queue name -> campaign
    _arrivals: dict[str, deque[float]]  # inbound queue -> arrival times (the reserve's rate)
    _previewing: dict[str, CampaignRuntime]  # agent -> campaign it previews for
    _draining: dict[str, CampaignRuntime]  # removed, calls still finishing
    # What the engine reported during its step (EngineHooks), until followed up after it.
    _ended: list[CallDetail]
    _agent_moves: list[tuple[str, AgentState]]
    _notices: list[dict[str, Any]] | None
    _cdr_sink: Callable[[CallDetail], None] | None
    # Live answers in the engine, until their record: call -> (campaign, lead, dialed at).
    _cdr_info: dict[str, tuple[str, str, float, float]]  # + when the called party answered
    _picked_up: dict[str, float]  # outbound call -> when the called party answered (PBX)
    _live_answer: dict[str, float]  # routed live answer -> its answer time, until an agent
    # Safe harbor (dialer.center.harbor): calls hung up with the message, until their record;
    # then their records, until the PBX says the message ended.
    _harbor_due: set[str]
    _harbor_held: dict[str, CallDetail]
