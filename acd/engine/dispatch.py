"""The engine: a deterministic state machine. Events and the time go in, commands come out.

It never reads a clock, sleeps or touches a socket. Drivers call ``handle(event, now)`` for
each input, ``next_deadline()`` to learn when to wake it, and ``on_timer(now)`` when that
time comes. Every handler validates before it mutates, so a refused event changes nothing.

``Engine`` is composed of one mixin per concern (calls, supervision, agents, targeted calls,
recording, views, reconfigure); they share the attributes declared in ``acd.engine.base``.
Mixins cost nothing per event: methods resolve through the class's cached lookup.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from random import Random
from types import MappingProxyType
from typing import Any

from acd import events as ev
from acd.commands import Command
from acd.config.schema import Config
from acd.engine.agents import AgentsMixin
from acd.engine.announce import AnnounceMixin
from acd.engine.base import ORDER_SIGN, EngineHooks
from acd.engine.callback_store import CallbackStoreMixin
from acd.engine.callbacks import CallbackHours, CallbacksMixin
from acd.engine.calls import CallsMixin
from acd.engine.reconfigure import ReconfigureMixin
from acd.engine.recording import RecordingMixin
from acd.engine.scores import ScoresMixin
from acd.engine.supervision import SupervisionMixin
from acd.engine.targeted import TargetedMixin
from acd.engine.views import ViewsMixin
from acd.entities import AgentRt, CallRt, QueueRt
from acd.errors import InvalidEvent, UnknownEntity
from acd.records import CallDetail
from acd.reporting.book import IntervalBook
from acd.reporting.calendar import BusinessCalendar, calendar_for
from acd.reporting.fcr import ContactIndex
from acd.timers import Timers
from routing.router import Router

_NO_CAMPAIGNS: Mapping[str, Any] = MappingProxyType({})


class Engine(
    CallsMixin,
    SupervisionMixin,
    AgentsMixin,
    TargetedMixin,
    RecordingMixin,
    ViewsMixin,
    ReconfigureMixin,
    ScoresMixin,
    AnnounceMixin,
    CallbacksMixin,
    CallbackStoreMixin,
):
    def __init__(
        self,
        config: Config,
        *,
        rng: Random | None = None,
        keep_records: bool = False,
        router_cls: type[Router] = Router,
        calendar: BusinessCalendar | None = None,
        keep_days: float | None = None,
        intervals: bool = True,
    ) -> None:
        self.config = config
        self.intervals = intervals  # off only to measure what interval rows cost (benchmarks)
        # Report intervals and business days; the first tick (due at once) sets "today".
        self.book = IntervalBook(calendar or calendar_for(config), keep_days=keep_days)
        # Recent first contacts by caller (first-contact resolution).
        self.contacts = ContactIndex(
            config.fcr.window_hours * 3600.0,
            self.book.dirty,
            lambda fc: self._rows_at(fc.queue, fc.agent, fc.start, fc.date),
        )
        self.rng = rng if rng is not None else Random(0)
        self.router = router_cls(self.rng)
        self.timers = Timers()
        self.agents: dict[str, AgentRt] = {}
        self.queues: dict[str, QueueRt] = {}
        self.calls: dict[str, CallRt] = {}
        # Each call's record as it ends (before wrap-up), for tests and simulations that ask.
        self.records: list[CallDetail] | None = [] if keep_records else None
        # The last disposition set on each call, until a record store takes it (bounded below).
        self.dispositions: dict[str, str] = {}
        # The rows of recently handled calls, for late scores (acd.engine.scores).
        self.scored: OrderedDict[str, tuple[str, str, float, str]] = OrderedDict()
        # Observable changes for metrics and live views; None (the default) costs nothing.
        self.notices: list[dict[str, Any]] | None = None
        # A core built on the engine hears of ended calls, agent moves and hang-ups here.
        self.hooks: EngineHooks | None = None
        # Complete call detail records (acd.records.CallDetail), when a call is really finished:
        # after its agent's wrap-up, or at hang-up. None (the default) builds none.
        self.cdr_sink: Callable[[CallDetail], None] | None = None
        self._wrap_cdr: dict[int, CallDetail] = {}  # agent ix -> its call's record, in wrap-up
        # Agents whose session (state, pause reason, pending move, skills) changed, for a
        # persister to drain; None (the default) tracks nothing.
        self.dirty_agents: set[str] | None = None
        # Calls that arrived since a persister last looked (None: not tracked), and the calls
        # a crash cut, as the store kept them, until the PBX link is up (acd.live_calls).
        self.dirty_calls: set[str] | None = None
        self.orphans: dict[str, dict[str, Any]] = {}
        self.stats_epoch = 0.0
        self.events_handled = 0
        self.stop_dialing = False  # nothing to dial without campaigns (acd.core.Core)
        self._seq = 0
        self._ewt: tuple[float, int, Any] | None = None  # the last wait estimator built
        self._said: dict[str, tuple[int | None, int | None]] = {}
        # Callbacks (acd.engine.callbacks): the calling hours the edge resolves (None: any
        # time), the PBX link, attempts being dialed, calls offered one, bookings for later,
        # and what changed for a persister (None: nothing tracked).
        self.callback_hours: CallbackHours | None = None
        self.trunk_up = True
        self._cb_dials: dict[str, str] = {}
        self._cb_offered: set[str] = set()
        self._cb_booked: dict[str, tuple[str, str, float, str | None]] = {}
        self._cb_mine: dict[str, list[str]] = {}  # agent -> callbacks parked for it, in order
        self.dirty_callbacks: set[str] | None = None
        self._idle_seq = 0
        self._out: list[Command] = []
        self._order = [(k, ORDER_SIGN[k]) for k in config.routing.call_order]
        for i, a in enumerate(config.agents):
            rt = AgentRt(i, a.id, a.name, dict(a.skills))
            rt.book = self.book
            self.agents[a.id] = rt
            self.router.add_member(rt)
        for q in config.queues:
            self._add_queue(q)
        self._handlers: dict[type, Callable[[Any, float], None]] = {
            ev.CallArrived: self._on_arrived,
            ev.CallHungUp: self._on_hung_up,
            ev.AgentAnswered: self._on_answered,
            ev.OfferFailed: self._on_offer_failed,
            ev.AgentLogin: self._on_login,
            ev.AgentLogout: self._on_logout,
            ev.AgentReady: self._on_ready,
            ev.EndWrapUp: self._on_end_wrap,
            ev.SetDisposition: self._on_disposition,
            ev.CallScored: self._on_scored,
            ev.QualityScored: self._on_quality,
            ev.AgentPause: self._on_pause,
            ev.SetAgentSkills: self._on_set_skills,
            ev.HangUpCall: self._on_hangup_request,
            ev.TransferCall: self._on_transfer,
            ev.HoldCall: self._on_hold,
            ev.ResumeCall: self._on_resume,
            ev.TrunkState: self._on_trunk_state,
            ev.OutboundPickedUp: self._for_the_dialer,
            ev.MessagePlayed: self._for_the_dialer,
            ev.OutboundAnswered: self._on_outbound,
            ev.OutboundFailed: self._on_outbound,
            ev.CallbackRequested: self._on_callback_requested,
            ev.ScheduleCallback: self._on_schedule_callback,
            ev.CancelCallback: self._on_cancel_callback,
        }
        self._timer_handlers: dict[str, Callable[[Any, float], None]] = {
            "ring": self._ring_timeout,
            "wrap": self._wrap_done,
            "maxwait": self._max_wait,
            "esc": self._escalate,
            "retry": self._retry,
            "ann": self._announce,
            "msg": self._periodic_message,
            "ivl": self._interval_tick,
            "fold": self._fold_timer,
            "cbo": self._callback_offer,
            "cbpark": self._callback_timer,
            "cbjoin": self._callback_join,
        }
        self.timers.set(("ivl", 0), 0.0)

    def _for_the_dialer(self, e: ev.OutboundPickedUp | ev.MessagePlayed, now: float) -> None:
        """Nothing to do for the ACD alone: a dial's pick-up (its AMD) and the end of a
        safe-harbor message are the dialer's."""

    def _on_trunk_state(self, e: ev.TrunkState, now: float) -> None:
        # Up means the adapter has resynchronised: calls of the crash it did not take over are
        # gone from the PBX, and get their records. Callbacks wait for the link (no attempt
        # spent on a sure failure).
        if e.up and self.orphans:
            self.settle_orphans(now)
        self._on_trunk(e, now)

    def handle(self, event: ev.Event, now: float) -> list[Command]:
        handler = self._handlers.get(type(event))
        if handler is None:
            raise InvalidEvent(f"unknown event type {type(event).__name__}")
        self._out = []
        handler(event, now)
        self.events_handled += 1
        return self._out

    def next_deadline(self) -> float | None:
        return self.timers.next_due()

    def in_progress(self) -> bool:
        """Calls are still in the system (a driver draining a day waits for none)."""
        return bool(self.calls)

    def on_timer(self, now: float) -> list[Command]:
        self._out = []
        while (key := self.timers.pop_due(now)) is not None:
            kind, ident = key  # type: ignore[misc]
            self._timer_handlers[kind](ident, now)
            self.events_handled += 1
        return self._out

    # --- the parts of acd.core.Core that only a center with campaigns fills -----------------
    @property
    def engine(self) -> Engine:
        return self

    @property
    def campaigns(self) -> Mapping[str, Any]:
        return _NO_CAMPAIGNS

    @property
    def dnc(self) -> None:
        return None

    def campaigns_view(self, now: float) -> list[dict[str, Any]]:
        return []

    def campaign_report(self, now: float) -> dict[str, dict[str, Any]]:
        return {}

    def preview_view(self, agent_id: str, now: float) -> None:
        return None

    def agent_work(self, now: float) -> dict[str, str]:
        """The campaign each agent works for: none without campaigns."""
        return {}

    def _agent(self, agent_id: str) -> AgentRt:
        a = self.agents.get(agent_id)
        if a is None:
            raise UnknownEntity("agent", agent_id)
        return a

    def _call(self, call_id: str) -> CallRt:
        c = self.calls.get(call_id)
        if c is None:
            raise UnknownEntity("call", call_id)
        return c

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq
