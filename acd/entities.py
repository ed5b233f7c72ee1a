"""The engine's mutable entities: one object per agent, call and queue, slotted for speed.

They hold state only; the engine (``acd.engine``) is what moves them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from acd.config.schema import Queue as QueueConfig
from acd.history import QueueHistory
from acd.records import Leg
from acd.states import AgentState, CallState
from acd.stats import AgentStats, QueueStats
from routing.members import Member, Waiter
from routing.pools import Pool

if TYPE_CHECKING:
    from acd.reporting.book import IntervalBook

_NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})


class AgentRt(Member):
    __slots__ = (
        "acct",
        "base",
        "book",
        "call",
        "id",
        "last_call",
        "last_caller",
        "last_queue",
        "last_talk",
        "missed",
        "name",
        "pause_reason",
        "pending",
        "retiring",
        "row",
        "row_hi",
        "row_lo",
        "since",
        "state",
        "wrap_rows",
        "wrap_tallies",
    )

    def __init__(self, ix: int, agent_id: str, name: str, skills: dict[str, int]) -> None:
        super().__init__(ix, dict(skills))
        self.id = agent_id
        self.name = name
        self.state = AgentState.LOGGED_OUT
        self.since = 0.0
        self.pause_reason = ""
        self.call: CallRt | None = None
        self.missed = 0  # consecutive offers not answered
        # A move PENDING_MOVES deferred: ("pause", reason) or ("logout", "") (AgentMove values).
        self.pending: tuple[str, str] | None = None
        # Today's figures folded from closed intervals (acd.reporting.book); ``stats`` is the day.
        self.base = AgentStats()
        self.book: IntervalBook | None = None
        self.acct = 0.0  # time in state counted up to here (acd.reporting.book)
        self.row: AgentStats | None = None  # the interval row time in state goes to
        self.row_lo = -1.0  # its start and end
        self.row_hi = -1.0
        # Where the running wrap-up counts: the call's queue tallies and agent rows.
        self.wrap_tallies: tuple[QueueStats, ...] = ()
        self.wrap_rows: tuple[AgentStats, ...] = ()
        self.last_call = ""  # the call a disposition refers to during wrap-up
        self.last_queue = ""  # queue of the last call, and its talk time (for handle-time notices)
        self.last_talk = 0.0
        self.last_caller = ""  # its number (a callback booked in wrap-up calls it)
        self.retiring = False  # removed from the config: logged out once idle

    @property
    def stats(self) -> AgentStats:
        """Today's figures (a sum when rows are open: change ``base`` or a row, not this)."""
        book = self.book
        if book is None:
            return self.base
        return book.agent_view(self.id, self.base, book.today)


class CallRt(Waiter):
    __slots__ = (
        "agent",
        "answered_at",
        "arrived",
        "attributes",
        "callback",
        "caller",
        "contact",
        "counted",
        "day_key",
        "direction",
        "entered",
        "esc_level",
        "extra",
        "first_answer",
        "first_offer",
        "handled_by",
        "held_at",
        "hold_mark",
        "hold_seconds",
        "hung_up_by",
        "id",
        "legs",
        "max_wait",
        "present",
        "priority",
        "queue",
        "ringing",
        "row_lo",
        "seq",
        "state",
        "talk_seconds",
        "tallies",
        "transfers",
    )

    def __init__(
        self,
        call_id: str,
        queue: QueueRt,
        priority: int,
        caller: str,
        extra: dict[str, int],
        now: float,
        seq: int,
    ) -> None:
        super().__init__()
        self.id = call_id
        self.queue = queue
        self.priority = priority
        self.caller = caller
        self.direction = "inbound"  # outbound calls join with the dialer
        self.extra = extra
        self.attributes: Mapping[str, str] = _NO_ATTRIBUTES  # the IVR's, for the agent
        # The caller's hash while this call may become a first contact (acd.reporting.fcr):
        # None for outbound, anonymous and repeat calls.
        self.contact: str | None = None
        self.arrived = now
        self.entered = now
        self.seq = seq
        self.state = CallState.WAITING
        self.esc_level = 0
        self.ringing: dict[int, AgentRt] = {}
        self.agent: AgentRt | None = None
        self.answered_at: float | None = None
        self.first_offer: float | None = None
        self.first_answer: float | None = None
        self.handled_by: str | None = None  # the last agent who answered it
        self.held_at: float | None = None  # on hold since (None: not on hold)
        self.hold_seconds = 0.0  # on hold, over the whole call
        self.hold_mark = 0.0  # hold_seconds when the current agent answered
        self.talk_seconds = 0.0  # connected and not on hold, over the whole call
        self.hung_up_by: str | None = None  # who ended it while connected: caller, agent, system
        self.max_wait: float | None = None  # this call's own limit (CallArrived.max_wait)
        self.counted = True
        # Where this queue stay counts: its day's queue stats and its interval row (() when not
        # counted), the row's start and the business date.
        self.tallies: tuple[QueueStats, ...] = ()
        self.row_lo = 0.0
        self.day_key = ""
        self.present = False  # counted in queue.present (waiting or ringing)
        self.transfers = 0
        # (queue, outcome, entered, left, agent id, talk, hold) per stay in a queue.
        self.legs: list[Leg] = []
        self.callback: CallbackRt | None = None  # asked to be called back (virtual hold)


class CallbackRt:
    """A call's callback: the caller has hung up and the call keeps its place in the queue.
    ``parked``: out of the routing pools for now (outside calling hours, between attempts,
    PBX link down); ``dial_id``: the attempt being dialed (the wire's call id, then the call's
    once connected)."""

    __slots__ = (
        "agent",
        "attempts",
        "connected",
        "dial_id",
        "for_agent",
        "number",
        "origin",
        "parked",
        "requested",
    )

    def __init__(self, origin: str, number: str, requested: float) -> None:
        self.origin = origin  # the caller's call id: the record's and the API's
        self.number = number
        self.requested = requested
        self.attempts = 0
        self.dial_id = ""
        self.agent: AgentRt | None = None
        self.parked = ""  # why: "hours", "retry", "trunk", "agent" ("" in the pools)
        # Booked "to me": only this agent places it while logged in (parked "agent" until it
        # is free); None, or once that agent has logged out: any eligible agent.
        self.for_agent: str | None = None
        self.connected = False  # reached the caller: an ordinary connected call from then on


class QueueRt:
    __slots__ = (
        "base",
        "book",
        "cfg",
        "closed",
        "hist",
        "levels",
        "name",
        "present",
        "row",
        "row_hi",
        "row_lo",
        "tallies",
        "virtual",
    )

    def __init__(self, cfg: QueueConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        # Today's figures folded from closed intervals (acd.reporting.book); ``stats`` is the day.
        self.base = QueueStats(cfg)
        self.book: IntervalBook | None = None
        self.row: QueueStats | None = None  # the current interval's row, cached: [row_lo, row_hi)
        self.row_lo = self.row_hi = 0.0
        self.tallies: tuple[QueueStats, ...] = ()  # what a call entering now counts in (its row)
        self.present = 0  # calls in the queue: waiting or ringing
        self.virtual = 0  # of which callbacks (the caller hung up and is called back)
        self.closed = False  # removed from the config: takes no new calls, drains
        # Per escalation level (0 = on entry): the pools a call without extra skills uses.
        self.levels: list[tuple[Pool, ...]] = []
        self.hist = QueueHistory()  # recent calls, for the wait estimate (acd.engine.ewt)

    @property
    def stats(self) -> QueueStats:
        """Today's figures (a sum when rows are open: change ``base`` or a row, not this)."""
        book = self.book
        if book is None:
            return self.base
        return book.queue_view(self, self.base, book.today)
