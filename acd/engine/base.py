"""What every part of the engine shares: the attributes, declared once, and escalation levels.

Each mixin of :class:`acd.engine.Engine` subclasses :class:`EngineBase` so that the state it
reads and writes is named and typed in one place; ``Engine.__init__`` sets it all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from random import Random
from typing import Any, Protocol

from acd.commands import Command
from acd.config.schema import Config, EscalationStep
from acd.entities import AgentRt, CallRt, QueueRt
from acd.records import CallDetail
from acd.reporting.book import IntervalBook
from acd.reporting.fcr import ContactIndex
from acd.states import AgentMove, AgentState
from acd.timers import Timers
from routing.members import Alternative
from routing.router import Router, alternative

A = AgentState
MV = AgentMove


class EngineHooks(Protocol):
    """What a core built on the engine (the dialer's Center) is told, typed, as it happens.

    Called inside the engine's step: an implementation records what it needs and acts after
    the step; it must not call back into the engine from here.
    """

    def call_ended(self, record: CallDetail) -> None:
        """A call left the system (its record as at the end; wrap-up not yet known)."""

    def agent_state(self, agent: AgentRt) -> None:
        """An agent's state changed (``agent.state`` is the new one)."""

    def hang_up(self, call: CallRt, reason: str) -> list[Command]:
        """The commands that end a call the engine hangs up unanswered (reject, time-out,
        no agents, supervisor): normally ``[HangUp(call.id, reason)]``."""
        ...


# Sign of each call-order key: higher priority first, earlier arrival first.
ORDER_SIGN = {"queue_priority": -1, "call_priority": -1, "wait": 1}


def requirement_levels(
    base: dict[str, int], steps: list[EscalationStep]
) -> list[tuple[list[Alternative], int]]:
    """For each escalation level (0 = on entry): the requirement alternatives and priority bump."""
    primary = dict(base)
    extra: list[Alternative] = []
    bump = 0
    out = [([alternative(primary)], 0)]
    for step in steps:
        if step.lower_levels_by:
            primary = {s: max(1, lvl - step.lower_levels_by) for s, lvl in primary.items()}
        primary.update(step.min_levels)
        if step.add_alternative:
            alt = alternative(dict(step.add_alternative))
            if alt not in extra:
                extra.append(alt)
        bump += step.raise_priority
        alts = [alternative(primary)]
        alts += [a for a in extra if a != alts[0]]
        out.append((alts, bump))
    return out


class EngineBase:
    """The engine's state. Public names are read by the Center, the daemon and persistence."""

    config: Config
    rng: Random
    router: Router
    # Timer keys: ("ring", (call_id, agent ix)), ("wrap", ix), ("maxwait"|"esc"|"retry", call_id),
    # ("ivl", 0): the next interval start; ("fold", 0): a pass folding closed intervals
    timers: Timers
    book: IntervalBook  # interval and day figures (acd.reporting.book)
    contacts: ContactIndex  # recent first contacts (acd.reporting.fcr)
    intervals: bool  # interval rows kept (day figures always are)
    agents: dict[str, AgentRt]
    queues: dict[str, QueueRt]
    calls: dict[str, CallRt]  # every call in the system: waiting, ringing or connected
    records: list[CallDetail] | None
    dispositions: dict[str, str]
    scored: OrderedDict[str, tuple[str, str, float, str]]  # call -> rows (scores)
    notices: list[dict[str, Any]] | None
    cdr_sink: Callable[[CallDetail], None] | None
    hooks: EngineHooks | None
    dirty_agents: set[str] | None
    dirty_calls: set[str] | None  # calls that arrived, for a persister (acd.live_calls)
    orphans: dict[str, dict[str, Any]]  # calls a crash cut, until settled (acd.live_calls)
    stats_epoch: float
    events_handled: int
    stop_dialing: bool
    _wrap_cdr: dict[int, CallDetail]  # agent ix -> its call's record, held during wrap-up
    _seq: int  # arrival order of calls
    _idle_seq: int  # order agents became idle (longest-idle routing)
    _out: list[Command]  # the commands of the input being handled
    _order: list[tuple[str, int]]  # the call-order keys and their signs
    _handlers: dict[type, Callable[[Any, float], None]]
    _timer_handlers: dict[str, Callable[[Any, float], None]]
    _said: dict[str, tuple[int | None, int | None]]  # last announcement per call (announce)
    _ewt: tuple[float, int, Any] | None  # (now, events handled, Estimator): acd.engine.ewt
    _cb_offered: set[str]  # calls offered a callback, once each (acd.engine.callbacks)
    _cb_mine: dict[str, list[str]]  # agent -> callbacks booked "to me" parked for it
