"""The Center: the ACD engine with campaigns. Drivers use it exactly as they use the engine
(both are an :class:`acd.core.Core`).

An answered outbound call enters its campaign's queue in the same engine, with the highest
priority and a maximum wait of the connect window (2 s by the FTC rule): routing, blending and
the abandonment rule are one mechanism. A live answer the queue times out is abandoned: the
safe-harbor message is played and the call hung up. Inbound comes first for blended agents: the
dialer stops at once while inbound callers wait, and keeps an Erlang C reserve of agents for the
inbound queues' service-level targets.

The Center is composed of one mixin per concern (outbound answers, preview and callbacks,
pacing, live reload, figures) over the state declared in ``dialer.center.base``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from random import Random
from typing import Any

from acd import events as ev
from acd.commands import Command
from acd.config.schema import Config
from acd.engine import Engine
from acd.entities import AgentRt, CallRt, QueueRt
from acd.records import CallDetail
from acd.reporting.calendar import BusinessCalendar
from acd.states import AgentState
from acd.timers import Timers
from dialer.campaign import CampaignRuntime, campaign_queue
from dialer.center.base import TRUNK_RETRY
from dialer.center.dialing import DialingMixin
from dialer.center.outbound import OutboundMixin
from dialer.center.preview import PreviewMixin
from dialer.center.reconfigure import ReconfigureMixin
from dialer.center.views import ViewsMixin
from dialer.leadsource import LeadSource, SyntheticLeads
from dialer.pacing import Pacer
from routing.router import Router


class Center(OutboundMixin, PreviewMixin, DialingMixin, ReconfigureMixin, ViewsMixin):
    def __init__(
        self,
        config: Config,
        *,
        rng: Random | None = None,
        leads: dict[str, LeadSource] | None = None,
        pacers: dict[str, Pacer] | None = None,
        dnc: Any = None,
        day_end: float | None = None,
        keep_records: bool = False,
        router_cls: type[Router] = Router,
        lead_epoch: float = 0.0,
        call_prefix: str = "",
        calendar: BusinessCalendar | None = None,
        intervals: bool = True,
    ) -> None:
        queues = [*config.queues, *(campaign_queue(c) for c in config.campaigns)]
        self.config = config
        self.engine = Engine(
            config.model_copy(update={"queues": queues}),
            rng=rng,
            keep_records=keep_records,
            router_cls=router_cls,
            calendar=calendar,
            intervals=intervals,
        )
        self.engine.hooks = self
        self._notices: list[dict[str, Any]] | None = None
        leads = leads or {}
        pacers = pacers or {}
        self.campaigns: dict[str, CampaignRuntime] = {
            c.name: CampaignRuntime(c, leads.get(c.name) or SyntheticLeads(), pacers.get(c.name))
            for c in config.campaigns
        }
        # Call ids must not repeat across daemon restarts (records, calls still up on the PBX).
        self.call_prefix = call_prefix
        for rt in self.campaigns.values():
            rt.id_prefix = call_prefix
            rt.book = self.engine.book
        self._call_campaign: dict[str, CampaignRuntime] = {}
        self._agent_campaigns: dict[str, list[CampaignRuntime]] = {}
        self._ivl_seen = -1.0  # the interval whose campaign rows get their agent time next
        self._inbound_for: dict[str, list[QueueRt]] = {}
        self._arrivals: dict[str, deque[float]] = {q.name: deque() for q in config.queues}
        self._previewing: dict[str, CampaignRuntime] = {}  # agent -> campaign it previews for
        self._draining: dict[str, CampaignRuntime] = {}  # removed, calls still finishing
        self.dnc = dnc
        self.day_end = day_end
        self.lead_epoch = lead_epoch  # Unix time of engine time 0 (lead books, callbacks)
        self.timers = Timers()
        self.skipped_dnc = 0
        # The daemon is shutting down: place no new calls (not a campaign pause, not persisted).
        self.stop_dialing = False
        self.trunk_up = True  # the PBX link, as the adapter reports it (TrunkState)
        self.lead_imports = 0  # lead imports over the API (unique ids for rows without one)
        self._ended: list[CallDetail] = []
        self._agent_moves: list[tuple[str, AgentState]] = []
        self._cdr_sink: Callable[[CallDetail], None] | None = None
        # Live answers in the engine, until their record: call -> (campaign, lead, dialed at).
        self._cdr_info: dict[str, tuple[str, str, float, float]] = {}
        self._picked_up: dict[str, float] = {}
        self._live_answer: dict[str, float] = {}
        self._harbor_due: set[str] = set()
        self._harbor_held: dict[str, CallDetail] = {}
        self._index_campaigns()
        for rt in self.campaigns.values():
            self.timers.set(("pace", rt.name), 0.0)

    def _index_campaigns(self) -> None:
        """Which agents serve which campaign, and which inbound queues those agents serve."""
        self._by_queue = {
            rt.queue: rt for rt in [*self.campaigns.values(), *self._draining.values()]
        }
        self._agent_campaigns = {}
        self._inbound_for = {}
        for rt in self.campaigns.values():
            base = self.engine.queues[rt.queue].levels[0][0]
            members = [a for a in self.engine.agents.values() if base in a.pools]
            for a in members:
                self._agent_campaigns.setdefault(a.id, []).append(rt)
            # Inbound queues these agents also serve: their callers come first.
            self._inbound_for[rt.name] = [
                q
                for q in self.engine.queues.values()
                if q.name not in self._by_queue
                and not q.closed
                and any(q.levels[0][0] in a.pools for a in members)
            ]

    # --- the driver interface ---------------------------------------------------------------
    def handle(self, event: ev.Event, now: float) -> list[Command]:
        out: list[Command]
        touched: set[str] = set()
        if isinstance(event, ev.TrunkState):
            self.trunk_up = event.up
            if event.up:  # dial again at once, not at each campaign's next tick
                touched.update(self.campaigns)
            out = self.engine.handle(event, now)
        elif isinstance(event, ev.OutboundPickedUp):
            if event.call_id in self._call_campaign:  # the verdict (OutboundAnswered) follows
                self._picked_up[event.call_id] = now
            out = []
        elif isinstance(event, ev.OutboundAnswered | ev.OutboundFailed):
            out = self._outbound(event, now, touched)
        elif isinstance(event, ev.MessagePlayed):
            self._message_played(event, now)
            out = []
        elif isinstance(event, ev.PreviewDial | ev.PreviewSkip):
            out = self._preview_action(event, now)
        else:
            if isinstance(event, ev.AgentAnswered):
                rt = self._call_campaign.get(event.call_id)
                if rt is not None:
                    rt.connected(event.call_id, event.agent_id, now)
                    self._dead_air(rt, event.call_id, event.agent_id, now)
            elif isinstance(event, ev.CallArrived) and event.queue in self._arrivals:
                self._arrivals[event.queue].append(now)
            dispo = None
            if isinstance(event, ev.SetDisposition):
                dispo = self._disposition_target(event)  # refuses an unknown code first
            out = self.engine.handle(event, now)  # refuses an agent not on a call or wrap-up
            if dispo is not None:
                self._apply_disposition(*dispo, event, now)
            if isinstance(event, ev.SetAgentSkills):
                self._index_campaigns()
        return self._finish(out, now, touched)

    def _dead_air(self, rt: CampaignRuntime, call_id: str, agent_id: str, now: float) -> None:
        answered = self._live_answer.pop(call_id, None)
        if answered is None:
            return
        rt.fig.dead_air_seconds += now - answered
        if self._notices is not None:  # the live dead-air histogram
            self._notices.append(
                {
                    "type": "call",
                    "event": "dead_air",
                    "call_id": call_id,
                    "queue": rt.queue,
                    "campaign": rt.name,
                    "agent_id": agent_id,
                    "outcome": None,
                    "seconds": now - answered,
                }
            )

    def on_timer(self, now: float) -> list[Command]:
        touched: set[str] = set()
        out = self.engine.on_timer(now)
        if self.campaigns and self.engine.book.cal.interval(now) != self._ivl_seen:
            self._close_campaign_rows(now)
        while (key := self.timers.pop_due(now)) is not None:
            kind, ident = key  # type: ignore[misc]
            if kind == "harbor":
                self._harbor_timeout(ident)
                continue
            if kind == "preview":  # the campaign's auto-dial time-out
                prt = self._previewing.get(ident)
                if prt is not None and not self.trunk_up:
                    self.timers.set(key, now + TRUNK_RETRY)  # the lead stays on screen
                elif prt is not None:
                    out += self._dial_targeted(prt, ident, now)
                continue
            rt = self.campaigns.get(ident)
            if rt is None:
                continue  # removed by a reload
            touched.add(rt.name)
            if self.day_end is None or now < self.day_end:  # no ticks once the day is over
                self.timers.set(("pace", rt.name), now + rt.pacer.cadence)
        return self._finish(out, now, touched)

    def _finish(self, out: list[Command], now: float, touched: set[str]) -> list[Command]:
        """Follow up the engine (records, notices), then pace the campaigns that changed; an
        agent freed while pacing (a lead withdrawn) gets one more round."""
        out = self._after(out, now, touched)
        for _ in range(3):
            if not touched:
                break
            names = set(touched)
            touched.clear()
            for rt in [r for r in self.campaigns.values() if r.name in names]:
                out += self._pace(rt, now)
            out = self._after(out, now, touched)
        return out

    def next_deadline(self) -> float | None:
        a, b = self.engine.next_deadline(), self.timers.next_due()
        if a is None:
            return b
        return a if b is None else min(a, b)

    def in_progress(self) -> bool:
        if self.engine.in_progress() or self._harbor_held:
            return True
        return any(rt.inflight for rt in [*self.campaigns.values(), *self._draining.values()])

    def reset_stats(self, now: float) -> None:
        self.engine.reset_stats(now)
        self.engine.book.campaign_rows.clear()  # interval rows start afresh, as the queues' do
        for rt in self.campaigns.values():
            rt.reset_rows(now)

    @property
    def notices(self) -> list[dict[str, Any]] | None:
        """Observable changes for a live driver: the engine's and the Center's; None (the
        default) builds none."""
        return self._notices

    @notices.setter
    def notices(self, notices: list[dict[str, Any]] | None) -> None:
        self._notices = notices
        self.engine.notices = None if notices is None else []

    @property
    def cdr_sink(self) -> Callable[[CallDetail], None] | None:
        """Where complete call detail records go: the engine's, with campaign calls' campaign,
        lead and 2-second-rule flag added, and every dial that never reached a person."""
        return self._cdr_sink

    @cdr_sink.setter
    def cdr_sink(self, sink: Callable[[CallDetail], None] | None) -> None:
        self._cdr_sink = sink
        self.engine.cdr_sink = None if sink is None else self._on_cdr

    # --- acd.core.Core: the engine's lookups and views, forwarded --------------------------
    @property
    def agents(self) -> dict[str, AgentRt]:
        return self.engine.agents

    @property
    def calls(self) -> dict[str, CallRt]:
        return self.engine.calls

    @property
    def queues(self) -> dict[str, QueueRt]:
        """Every queue of the engine, campaign queues (``campaign:NAME``) included."""
        return self.engine.queues

    def snapshot(self, now: float) -> dict[str, Any]:
        return self.engine.snapshot(now)

    def queues_view(self, now: float, only: str | None = None) -> list[dict[str, Any]]:
        return self.engine.queues_view(now, only)

    def agent_view(self, a: AgentRt, now: float) -> dict[str, Any]:
        return self.engine.agent_view(a, now)

    def call_view(self, c: CallRt, now: float) -> dict[str, Any]:
        return self.engine.call_view(c, now)

    def report(self, now: float, *, whole_run: bool = False) -> dict[str, Any]:
        return self.engine.report(now, whole_run=whole_run)

    def flush_records(self, now: float) -> int:
        return self.engine.flush_records(now) + self.flush_harbor()
