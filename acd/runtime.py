"""Mutable runtime records the engine keeps for agents, calls and queues."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from acd.config.schema import Queue as QueueConfig
from acd.states import AgentState, CallState, Outcome
from acd.stats import AgentStats, QueueStats
from routing.members import Member, Waiter
from routing.pools import Pool


class AgentRt(Member):
    __slots__ = (
        "call",
        "id",
        "last_call",
        "last_queue",
        "last_talk",
        "missed",
        "name",
        "pause_reason",
        "pending",
        "retiring",
        "since",
        "state",
        "stats",
        "wrap_queue",
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
        self.pending: tuple[str, str] | None = None  # ("pause", reason) or ("logout", "")
        self.stats = AgentStats()
        self.wrap_queue: QueueRt | None = None  # whose AHT the running wrap-up counts toward
        self.last_call = ""  # the call a disposition refers to during wrap-up
        self.last_queue = ""  # queue of the last call, and its talk time (for handle-time notices)
        self.last_talk = 0.0
        self.retiring = False  # removed from the config: logged out once idle


class CallRt(Waiter):
    __slots__ = (
        "agent",
        "answered_at",
        "arrived",
        "caller",
        "counted",
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
        "id",
        "legs",
        "present",
        "priority",
        "queue",
        "ringing",
        "seq",
        "state",
        "talk_seconds",
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
        self.counted = True
        self.present = False  # counted in queue.present (waiting or ringing)
        self.transfers = 0
        self.legs: list[tuple[str, Outcome]] = []


class QueueRt:
    __slots__ = ("cfg", "closed", "levels", "name", "present", "stats")

    def __init__(self, cfg: QueueConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.stats = QueueStats(cfg)
        self.present = 0  # calls in the queue: waiting or ringing
        self.closed = False  # removed from the config: takes no new calls, drains
        # Per escalation level (0 = on entry): the pools a call without extra skills uses.
        self.levels: list[tuple[Pool, ...]] = []


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What is known of a call when it ends: the basis of call detail records."""

    call_id: str
    caller: str
    direction: str
    queue: str
    arrived: float
    first_offer: float | None
    answered: float | None
    ended: float
    agent_id: str | None
    outcome: Outcome
    legs: tuple[tuple[str, Outcome], ...] = field(default=())
    transfers: int = 0
    hold_seconds: float = 0.0  # on hold since the last answer

    @property
    def wait_seconds(self) -> float:
        end = self.answered if self.answered is not None else self.ended
        return end - self.arrived

    @property
    def talk_seconds(self) -> float:
        """Since the last answer, hold excluded."""
        return 0.0 if self.answered is None else self.ended - self.answered - self.hold_seconds


@dataclass(frozen=True, slots=True)
class CallDetail:
    """A call detail record (CDR): one per call, emitted when the call is really finished.

    For a call an agent handled that is when the agent leaves its wrap-up (so ``wrap_seconds``
    and ``disposition`` are known), otherwise when the call ends. Times are the core's clock
    (Unix seconds in the daemon). For a call that entered a queue, ``wait_seconds + talk_seconds
    + hold_seconds`` is its whole duration (``ended - arrived``): waiting covers every stay in a
    queue, an agent's phone ringing included;
    talk excludes hold (AHT = talk + hold + wrap). A transferred call keeps one record; its
    ``agent_id`` is the last agent who answered and ``wrap_seconds`` that agent's wrap-up.

    Outbound calls (``direction`` "outbound") also carry ``campaign``, ``lead_id``, ``dialed``
    (when the dialer placed the call; ``arrived`` is then when the called party answered) and
    ``abandoned_2s``: a live answer no agent took within the connect window (FTC 2-second rule).
    An attempt that never reached a person (no_answer, busy, failed, machine) has that outcome,
    no queue, ``arrived`` = ``dialed`` and zero durations (it rang for ``ended - dialed``).
    """

    call_id: str
    direction: str
    queue: str | None
    caller: str
    arrived: float
    offered: float | None  # first offer to an agent
    answered: float | None  # first answer by an agent
    ended: float
    agent_id: str | None
    outcome: str
    wait_seconds: float
    talk_seconds: float = 0.0
    hold_seconds: float = 0.0
    wrap_seconds: float = 0.0
    disposition: str | None = None
    transfers: int = 0
    legs: tuple[tuple[str, str], ...] = ()
    campaign: str | None = None
    lead_id: str | None = None
    dialed: float | None = None
    abandoned_2s: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (legs as lists), for a :class:`acd.store.batch.Batch`."""
        out = {name: getattr(self, name) for name in CDR_FIELDS}
        out["legs"] = [list(leg) for leg in self.legs]
        return out


CDR_FIELDS = tuple(CallDetail.__dataclass_fields__)
