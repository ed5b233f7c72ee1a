"""The engine: a deterministic state machine. Events and the time go in, commands come out.

It never reads a clock, sleeps or touches a socket. Drivers call ``handle(event, now)`` for
each input, ``next_deadline()`` to learn when to wake it, and ``on_timer(now)`` when that
time comes. Every handler validates before it mutates, so a refused event changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from random import Random
from typing import Any

from acd import events as ev
from acd.commands import CancelOffer, Command, HangUp, MoveToQueue, OfferCall
from acd.config.schema import Config, EscalationStep
from acd.entities import AgentRt, CallRt, QueueRt
from acd.errors import IllegalTransition, InvalidEvent, UnknownEntity
from acd.records import CallDetail, CallRecord
from acd.states import FAST_TRANSITIONS, AgentMove, AgentState, CallState, Outcome
from acd.timers import Timers
from routing.members import Alternative
from routing.pools import Pool
from routing.router import Router, alternative
from routing.strategies import Strategy

A = AgentState
MV = AgentMove

_ORDER_SIGN = {"queue_priority": -1, "call_priority": -1, "wait": 1}


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


class Engine:
    def __init__(
        self,
        config: Config,
        *,
        rng: Random | None = None,
        keep_records: bool = False,
        router_cls: type[Router] = Router,
    ) -> None:
        self.config = config
        self.rng = rng if rng is not None else Random(0)
        self.router = router_cls(self.rng)
        self.timers = Timers()
        self.agents: dict[str, AgentRt] = {}
        self.queues: dict[str, QueueRt] = {}
        self.calls: dict[str, CallRt] = {}
        self.records: list[CallRecord] | None = [] if keep_records else None
        # The last disposition set on each call, until a record store takes it (bounded below).
        self.dispositions: dict[str, str] = {}
        # Observable changes for metrics and live views; None (the default) costs nothing.
        self.notices: list[dict[str, Any]] | None = None
        self.record_sink: Callable[[CallRecord], None] | None = None
        # Complete call detail records (acd.records.CallDetail), when a call is really finished:
        # after its agent's wrap-up, or at hang-up. None (the default) builds none.
        self.cdr_sink: Callable[[CallDetail], None] | None = None
        self._wrap_cdr: dict[int, CallDetail] = {}  # agent ix -> its call's record, in wrap-up
        # Agents whose session (state, pause reason, pending move, skills) changed, for a
        # persister to drain; None (the default) tracks nothing.
        self.dirty_agents: set[str] | None = None
        self.stats_epoch = 0.0
        self.events_handled = 0
        self._seq = 0
        self._idle_seq = 0
        self._out: list[Command] = []
        self._order = [(k, _ORDER_SIGN[k]) for k in config.routing.call_order]
        for i, a in enumerate(config.agents):
            rt = AgentRt(i, a.id, a.name, dict(a.skills))
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
            ev.AgentPause: self._on_pause,
            ev.SetAgentSkills: self._on_set_skills,
            ev.HangUpCall: self._on_hangup_request,
            ev.TransferCall: self._on_transfer,
            ev.HoldCall: self._on_hold,
            ev.ResumeCall: self._on_resume,
        }
        self._timer_handlers: dict[str, Callable[[Any, float], None]] = {
            "ring": self._ring_timeout,
            "wrap": self._wrap_done,
            "maxwait": self._max_wait,
            "esc": self._escalate,
            "retry": self._retry,
        }

    def _add_queue(self, cfg: Any) -> None:
        q = QueueRt(cfg)
        for alts, _ in requirement_levels(dict(cfg.skills), cfg.escalation):
            q.levels.append(tuple(self._pool(a, cfg.strategy, cfg.name) for a in alts))
        self.queues[cfg.name] = q

    def _pool(self, alt: Alternative, strategy: Strategy, queue: str) -> Pool:
        return self.router.pool(alt, strategy, queue)

    # --- the driver interface -------------------------------------------------------------
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

    # --- helpers ----------------------------------------------------------------------------
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

    def _check(self, a: AgentRt, move: AgentMove) -> AgentState:
        new = FAST_TRANSITIONS.get((a.state._value_, move._value_))
        if new is None:
            raise IllegalTransition("agent", a.id, a.state.value, move.value)
        return new

    def _move(self, a: AgentRt, move: AgentMove, now: float) -> None:
        new = self._check(a, move)
        old = a.state
        a.stats.time_in[old._value_] += now - max(a.since, self.stats_epoch)
        if old is A.READY and new is not A.READY:
            self.router.set_unready(a)
        if old is A.LOGGED_OUT:
            self.router.set_logged_in(a, True)
        elif new is A.LOGGED_OUT:
            self.router.set_logged_in(a, False)
        a.state = new
        a.since = now
        if self.dirty_agents is not None:
            self.dirty_agents.add(a.id)
        if new is A.READY:
            self.router.set_ready(a)
        if self.notices is not None:
            self.notices.append({"type": "agent", "agent": self.agent_view(a, now)})

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _order_key(self, c: CallRt, bump: int = 0) -> tuple[int, ...]:
        """The call's place among waiting calls; ``bump`` is what escalation added."""
        parts = []
        for k, sign in self._order:
            if k == "queue_priority":
                parts.append(sign * c.queue.cfg.priority)
            elif k == "call_priority":
                parts.append(sign * (c.priority + bump))
            else:
                parts.append(c.seq)
        return tuple(parts)

    def _set_level(self, c: CallRt, level: int) -> None:
        q = c.queue
        c.esc_level = level
        if c.extra:
            base = dict(q.cfg.skills)
            for s, lvl in c.extra.items():
                base[s] = max(base.get(s, 0), lvl)
            alts, _ = requirement_levels(base, q.cfg.escalation[:level])[level]
            c.pools = tuple(self._pool(a, q.cfg.strategy, q.name) for a in alts)
        else:
            c.pools = q.levels[level]
        bump = sum(s.raise_priority for s in q.cfg.escalation[:level])
        c.order_key = self._order_key(c, bump)

    # --- calls ------------------------------------------------------------------------------
    def _on_arrived(self, e: ev.CallArrived, now: float) -> None:
        q = self.queues.get(e.queue)
        if q is None or q.closed:
            raise UnknownEntity("queue", e.queue)
        if e.call_id in self.calls:
            raise InvalidEvent(f"call {e.call_id!r} is already in the system")
        c = CallRt(e.call_id, q, e.priority, e.caller, dict(e.skills), now, self._next_seq())
        c.direction = e.direction
        self.calls[c.id] = c
        self._enter_queue(c, q, now)

    def _enter_queue(self, c: CallRt, q: QueueRt, now: float) -> None:
        cfg = q.cfg
        c.queue = q
        c.entered = now
        c.counted = now >= self.stats_epoch
        c.declined.clear()
        c.state = CallState.WAITING
        self._set_level(c, 0)
        if c.counted:
            q.stats.offered += 1
        if self.notices is not None:
            self._notice_call("entered", c, None, 0.0)
            self.notices[-1]["caller"] = c.caller
        if not cfg.join_when_empty and not any(p.logged_in for p in c.pools):
            self._leave(c, Outcome.REJECTED_EMPTY, now, "no agents logged in")
            return
        if cfg.max_length is not None and q.present >= cfg.max_length:
            if cfg.overflow_queue is not None:
                self._overflow(c, now)
            else:
                self._leave(c, Outcome.REJECTED_FULL, now, "queue full")
            return
        q.present += 1
        c.present = True
        if cfg.max_wait_seconds is not None:
            self.timers.set(("maxwait", c.id), now + cfg.max_wait_seconds)
        if cfg.escalation:
            self.timers.set(("esc", c.id), now + cfg.escalation[0].after_seconds)
        if not self._route_call(c, now) and c.counted:
            q.stats.queued += 1

    def _route_call(self, c: CallRt, now: float) -> bool:
        """Offer a waiting call if an agent is free; otherwise make sure it waits in its pools."""
        router = self.router
        if c.queue.cfg.strategy is Strategy.RING_ALL:
            agents = router.ring_all_agents(c)
        else:
            best = router.pick_agent(c)
            agents = [best] if best is not None else []
        if not agents:
            if not c.waiting:
                router.enqueue(c, c.seq)
            return False
        router.dequeue(c)
        self._offer(c, agents, now)
        return True

    def _offer(self, c: CallRt, agents: list[AgentRt], now: float) -> None:
        cfg = c.queue.cfg
        c.state = CallState.RINGING
        if c.first_offer is None:
            c.first_offer = now
        due = now + cfg.ring_timeout_seconds
        for a in agents:
            self._move(a, MV.OFFER, now)
            a.call = c
            c.ringing[a.ix] = a
            self.timers.set(("ring", (c.id, a.ix)), due)
            self._out.append(OfferCall(c.id, a.id, cfg.ring_timeout_seconds, cfg.auto_answer))
            if self.notices is not None:
                self._notice_call("offered", c, None, now - c.entered, agent_id=a.id)

    def _release_ringing(
        self, c: CallRt, now: float, reason: str, keep: AgentRt | None = None
    ) -> list[AgentRt]:
        released = []
        for ix, a in list(c.ringing.items()):
            if a is keep:
                continue
            self.timers.cancel(("ring", (c.id, ix)))
            self._move(a, MV.OFFER_CANCELLED, now)
            a.call = None
            self._out.append(CancelOffer(c.id, a.id, reason))
            released.append(a)
        c.ringing.clear()
        return released

    def _stop_call_timers(self, c: CallRt) -> None:
        for kind in ("maxwait", "esc", "retry"):
            self.timers.cancel((kind, c.id))

    def _leave(self, c: CallRt, outcome: Outcome, now: float, reason: str | None) -> None:
        """The call leaves its queue unanswered (and the system, unless it overflows)."""
        q = c.queue
        if c.present:
            q.present -= 1
            c.present = False
        self.router.dequeue(c)
        self._stop_call_timers(c)
        released = self._release_ringing(c, now, outcome.value)
        wait = now - c.entered
        if c.counted:
            s = q.stats
            s.ended_unanswered(wait)
            if outcome is Outcome.ABANDONED:
                s.abandoned += 1
                if wait < q.cfg.short_abandon_seconds:
                    s.short_abandoned += 1
            elif outcome is Outcome.TIMED_OUT:
                s.timed_out += 1
            elif outcome is Outcome.OVERFLOWED:
                s.overflowed += 1
            elif outcome is Outcome.REJECTED_FULL:
                s.rejected_full += 1
            elif outcome is Outcome.REJECTED_EMPTY:
                s.rejected_empty += 1
            elif outcome is Outcome.LEFT_EMPTY:
                s.left_empty += 1
            elif outcome in (Outcome.TRANSFERRED, Outcome.HUNG_UP_BY_SYSTEM):
                s.transferred += 1
        c.legs.append((q.name, outcome))
        if self.notices is not None:
            self._notice_call("left", c, outcome, wait)
        if outcome not in (Outcome.OVERFLOWED, Outcome.TRANSFERRED):
            if reason is not None:
                self._out.append(HangUp(c.id, reason))
            self._end(c, outcome, now)
        for a in released:
            self._route_agent(a, now)

    def _overflow(self, c: CallRt, now: float) -> None:
        target = self.queues[c.queue.cfg.overflow_queue]  # type: ignore[index]
        self._leave(c, Outcome.OVERFLOWED, now, None)
        self._out.append(MoveToQueue(c.id, target.name))
        self._enter_queue(c, target, now)

    def _end(
        self, c: CallRt, outcome: Outcome, now: float, wrap_agent: AgentRt | None = None
    ) -> None:
        """The call leaves the system; ``wrap_agent`` goes to wrap-up after it (its record is
        completed when that wrap-up ends)."""
        c.state = CallState.ENDED
        del self.calls[c.id]
        if self.notices is not None:
            self._notice_call("ended", c, outcome, now - c.arrived)
        if self.records is not None or self.record_sink is not None:
            rec = CallRecord(
                call_id=c.id,
                caller=c.caller,
                direction=c.direction,
                queue=c.queue.name,
                arrived=c.arrived,
                first_offer=c.first_offer,
                answered=c.answered_at,
                ended=now,
                agent_id=c.agent.id if c.agent is not None else None,
                outcome=outcome,
                transfers=c.transfers,
                legs=tuple(c.legs),
                hold_seconds=c.hold_seconds - c.hold_mark if c.agent is not None else 0.0,
            )
            if self.records is not None:
                self.records.append(rec)
            if self.record_sink is not None:
                self.record_sink(rec)
        if self.cdr_sink is not None:
            cdr = self._detail(c, outcome, now)
            if wrap_agent is not None:
                self._wrap_cdr[wrap_agent.ix] = cdr
            else:
                self.cdr_sink(cdr)

    def _detail(self, c: CallRt, outcome: Outcome, now: float) -> CallDetail:
        return CallDetail(
            call_id=c.id,
            direction=c.direction,
            queue=c.queue.name,
            caller=c.caller,
            arrived=c.arrived,
            offered=c.first_offer,
            answered=c.first_answer,
            ended=now,
            agent_id=c.handled_by,
            outcome=outcome.value,
            wait_seconds=max(0.0, now - c.arrived - c.talk_seconds - c.hold_seconds),
            talk_seconds=c.talk_seconds,
            hold_seconds=c.hold_seconds,
            disposition=self.dispositions.get(c.id),
            transfers=c.transfers,
            legs=tuple((q, o.value) for q, o in c.legs),
        )

    def _on_hung_up(self, e: ev.CallHungUp, now: float) -> None:
        c = self._call(e.call_id)
        if c.state is CallState.CONNECTED:
            self._talk_ended(c, now)
            return
        if e.party != "caller":
            raise IllegalTransition("call", c.id, c.state.value, "agent hang-up")
        self._leave(c, Outcome.ABANDONED, now, None)

    def _on_answered(self, e: ev.AgentAnswered, now: float) -> None:
        c = self._call(e.call_id)
        a = self._agent(e.agent_id)
        if a.state is not A.RINGING or a.call is not c or c.state is not CallState.RINGING:
            raise IllegalTransition("agent", a.id, a.state.value, f"answer of call {c.id}")
        self.timers.cancel(("ring", (c.id, a.ix)))
        released = self._release_ringing(c, now, "answered elsewhere", keep=a)
        self._stop_call_timers(c)
        self._move(a, MV.ANSWER, now)
        a.missed = 0
        c.state = CallState.CONNECTED
        c.agent = a
        c.answered_at = now
        if c.first_answer is None:
            c.first_answer = now
        c.handled_by = a.id
        c.hold_mark = c.hold_seconds
        q = c.queue
        q.present -= 1
        c.present = False
        c.legs.append((q.name, Outcome.ANSWERED))
        if c.counted:
            q.stats.answered_after(now - c.entered)
        if self.notices is not None:
            self._notice_call("answered", c, Outcome.ANSWERED, now - c.entered, agent_id=a.id)
        for r in released:
            self._route_agent(r, now)

    def _talk_ended(self, c: CallRt, now: float, *, end_call: bool = True) -> None:
        a = c.agent
        assert a is not None and c.answered_at is not None
        if c.held_at is not None:
            c.hold_seconds += now - c.held_at
            c.held_at = None
        hold = c.hold_seconds - c.hold_mark  # on hold during this agent's part of the call
        talk = now - c.answered_at - hold
        c.talk_seconds += talk
        q = c.queue
        wrap = q.cfg.wrap_up_seconds
        a.calls += 1
        a.talk_ms += int((talk + hold) * 1000)
        self._idle_seq += 1
        a.idle_seq = self._idle_seq
        a.call = None
        a.last_call = c.id
        a.last_queue = q.name
        a.last_talk = talk + hold
        if c.counted:
            q.stats.talk_sum += talk
            q.stats.hold_sum += hold
            q.stats.handled += 1
            a.stats.answered += 1
            a.stats.talk_seconds += talk
            a.stats.hold_seconds += hold
        if end_call:
            self._end(c, Outcome.ANSWERED, now, a if wrap > 0 else None)
        else:
            c.agent = None
        if wrap > 0:
            self._move(a, MV.CALL_END, now)
            self.timers.set(("wrap", a.ix), now + wrap)
            a.wrap_queue = q if c.counted else None
        else:
            if self.notices is not None:
                self._notice_handled(a, 0.0)
            self._move(a, MV.CALL_END_NO_WRAP, now)
            self._after_idle(a, now)

    def _on_offer_failed(self, e: ev.OfferFailed, now: float) -> None:
        c = self._call(e.call_id)
        a = self._agent(e.agent_id)
        if a.state is not A.RINGING or a.call is not c:
            raise IllegalTransition("agent", a.id, a.state.value, f"offer failure of call {c.id}")
        self.timers.cancel(("ring", (c.id, a.ix)))
        self._missed(c, a, now, notify=False)

    # --- timers -----------------------------------------------------------------------------
    def _ring_timeout(self, ident: tuple[str, int], now: float) -> None:
        call_id, ix = ident
        c = self.calls[call_id]
        self._missed(c, c.ringing[ix], now, notify=True)

    def _missed(self, c: CallRt, a: AgentRt, now: float, notify: bool) -> None:
        cfg = c.queue.cfg
        del c.ringing[a.ix]
        a.call = None
        a.missed += 1
        a.stats.missed += 1
        c.declined.add(a.ix)
        if notify:
            self._out.append(CancelOffer(c.id, a.id, "no_answer"))
        if cfg.max_no_answer and a.missed >= cfg.max_no_answer:
            self._move(a, MV.NO_ANSWER_PAUSE, now)
            a.pause_reason = "no-answer"
            a.missed = 0
        else:
            self._move(a, MV.NO_ANSWER, now)
        if not c.ringing:
            c.state = CallState.WAITING
            self.timers.set(("retry", c.id), now + cfg.retry_seconds)
            self._route_call(c, now)
        if a.state is A.READY:
            self._after_idle(a, now)

    def _retry(self, call_id: str, now: float) -> None:
        c = self.calls[call_id]
        c.declined.clear()
        if c.state is CallState.WAITING:
            self._route_call(c, now)

    def _max_wait(self, call_id: str, now: float) -> None:
        c = self.calls[call_id]
        if c.queue.cfg.overflow_queue is not None:
            self._overflow(c, now)
        else:
            self._leave(c, Outcome.TIMED_OUT, now, "max wait")

    def _escalate(self, call_id: str, now: float) -> None:
        c = self.calls[call_id]
        steps = c.queue.cfg.escalation
        level = c.esc_level + 1
        was_waiting = c.waiting
        self.router.dequeue(c)
        self._set_level(c, level)
        if level < len(steps):
            self.timers.set(("esc", c.id), c.entered + steps[level].after_seconds)
        if was_waiting:
            self._route_call(c, now)

    def _wrap_done(self, ix: int, now: float) -> None:
        a = self.router.members[ix]
        assert isinstance(a, AgentRt)
        self._end_wrap(a, now, MV.WRAP_DONE)

    def _end_wrap(self, a: AgentRt, now: float, move: AgentMove) -> None:
        self.timers.cancel(("wrap", a.ix))
        if self.notices is not None:
            self._notice_handled(a, now - a.since)
        if a.since >= self.stats_epoch:
            a.stats.wrap_seconds += now - a.since
            if a.wrap_queue is not None:
                a.wrap_queue.stats.wrap_sum += now - a.since
        a.wrap_queue = None
        cdr = self._wrap_cdr.pop(a.ix, None)
        if cdr is not None and self.cdr_sink is not None:
            self.cdr_sink(
                replace(
                    cdr,
                    wrap_seconds=now - a.since,
                    disposition=self.dispositions.get(cdr.call_id),
                )
            )
        self._move(a, move, now)
        if move is MV.WRAP_DONE:
            self._after_idle(a, now)

    def flush_records(self, now: float) -> int:
        """Emit the records held for agents still in wrap-up (wrap so far, the code set so far):
        the daemon is stopping and must not forget them. Returns how many."""
        held, self._wrap_cdr = self._wrap_cdr, {}
        if self.cdr_sink is not None:
            agents = {a.ix: a for a in self.agents.values()}
            for ix, cdr in held.items():
                wrap = max(0.0, now - agents[ix].since) if ix in agents else 0.0
                disposition = self.dispositions.get(cdr.call_id)
                self.cdr_sink(replace(cdr, wrap_seconds=wrap, disposition=disposition))
        return len(held)

    def _after_idle(self, a: AgentRt, now: float) -> None:
        """The agent became ready after a call: apply a pending pause/logout, else route."""
        if a.retiring:
            a.pending = ("logout", "")
        if a.pending is not None:
            kind, reason = a.pending
            a.pending = None
            if kind == "pause":
                self._move(a, MV.PAUSE, now)
                a.pause_reason = reason
            else:
                self._move(a, MV.LOGOUT, now)
                if a.retiring:
                    self.agents.pop(a.id, None)
                self._check_empty(now)
            return
        self._route_agent(a, now)

    def _route_agent(self, a: AgentRt, now: float) -> None:
        if a.state is not A.READY:
            return
        c = self.router.pick_call(a)
        if c is None:
            return
        assert isinstance(c, CallRt)
        if c.queue.cfg.strategy is Strategy.RING_ALL:
            self._route_call(c, now)  # rings every ready eligible agent, this one included
        else:
            self.router.dequeue(c)
            self._offer(c, [a], now)

    # --- agents -----------------------------------------------------------------------------
    def _on_login(self, e: ev.AgentLogin, now: float) -> None:
        a = self._agent(e.agent_id)
        self._check(a, MV.LOGIN)
        # Routing metrics must be set before the agent enters the ready pools.
        self._idle_seq += 1
        a.idle_seq = self._idle_seq
        a.missed = 0
        a.pending = None
        self._move(a, MV.LOGIN if e.ready else MV.LOGIN_PAUSED, now)
        if e.ready:
            self._route_agent(a, now)
        else:
            a.pause_reason = "login"

    def _on_logout(self, e: ev.AgentLogout, now: float) -> None:
        a = self._agent(e.agent_id)
        if self._stop_taking_calls(a, MV.LOGOUT, ("logout", ""), now):
            self._check_empty(now)

    def _stop_taking_calls(
        self, a: AgentRt, move: AgentMove, pending: tuple[str, str], now: float
    ) -> bool:
        """Pause or log out: held while ringing or on a call (applied after its wrap-up), at
        once otherwise, ending a wrap-up early. Returns whether it happened now."""
        if a.state in (A.RINGING, A.ON_CALL, A.DIALING):
            a.pending = pending
            if self.dirty_agents is not None:
                self.dirty_agents.add(a.id)
            return False
        self._check(a, move)
        if a.state is A.WRAP_UP:
            self._end_wrap(a, now, move)
        else:
            self._move(a, move, now)
        return True

    def _check_empty(self, now: float) -> None:
        """leave_when_empty: callers leave queues that no logged-in agent can serve any more."""
        for q in self.queues.values():
            if not q.cfg.leave_when_empty or not q.present:
                continue
            for c in [c for c in self.calls.values() if c.queue is q]:
                if c.state is CallState.WAITING and not any(p.logged_in for p in c.pools):
                    self._leave(c, Outcome.LEFT_EMPTY, now, "no agents")

    def _on_ready(self, e: ev.AgentReady, now: float) -> None:
        a = self._agent(e.agent_id)
        if a.state in (A.RINGING, A.ON_CALL, A.DIALING):
            if a.pending is None:
                raise IllegalTransition("agent", a.id, a.state.value, "ready")
            a.pending = None
            if self.dirty_agents is not None:
                self.dirty_agents.add(a.id)
            return
        if a.state is A.WRAP_UP:
            self._end_wrap(a, now, MV.WRAP_DONE)
            return
        self._move(a, MV.READY, now)
        a.pause_reason = ""
        a.missed = 0
        self._route_agent(a, now)

    def _on_disposition(self, e: ev.SetDisposition, now: float) -> None:
        a = self._agent(e.agent_id)
        if a.state is A.ON_CALL and a.call is not None:
            call_id, queue = a.call.id, a.call.queue.name
        elif a.state is A.WRAP_UP and a.last_call:
            call_id, queue = a.last_call, a.last_queue
        else:
            raise IllegalTransition("agent", a.id, a.state.value, "disposition")
        self.dispositions[call_id] = e.disposition
        if len(self.dispositions) > 10_000:  # until a record store takes them: keep it bounded
            del self.dispositions[next(iter(self.dispositions))]
        if self.notices is not None:
            self.notices.append(
                {
                    "type": "call",
                    "event": "disposition",
                    "call_id": call_id,
                    "queue": queue,
                    "outcome": None,
                    "seconds": 0.0,
                    "agent_id": a.id,
                    "disposition": e.disposition,
                }
            )

    def _on_end_wrap(self, e: ev.EndWrapUp, now: float) -> None:
        a = self._agent(e.agent_id)
        if a.state is A.WRAP_UP:
            self._end_wrap(a, now, MV.WRAP_DONE)

    def _on_pause(self, e: ev.AgentPause, now: float) -> None:
        a = self._agent(e.agent_id)
        if self._stop_taking_calls(a, MV.PAUSE, ("pause", e.reason), now):
            a.pause_reason = e.reason

    def _on_hangup_request(self, e: ev.HangUpCall, now: float) -> None:
        c = self._call(e.call_id)
        if c.state is CallState.CONNECTED:
            self._out.append(HangUp(c.id, e.reason))
            self._talk_ended(c, now)
        else:
            self._leave(c, Outcome.HUNG_UP_BY_SYSTEM, now, e.reason)

    def _on_transfer(self, e: ev.TransferCall, now: float) -> None:
        c = self._call(e.call_id)
        target = self.queues.get(e.queue)
        if target is None or target.closed:
            raise UnknownEntity("queue", e.queue)
        if target is c.queue and c.state is not CallState.CONNECTED:
            raise InvalidEvent(f"call {c.id!r} is already waiting in queue {e.queue!r}")
        c.transfers += 1
        if c.state is CallState.CONNECTED:
            self._talk_ended(c, now, end_call=False)
        else:
            self._leave(c, Outcome.TRANSFERRED, now, None)
        self._out.append(MoveToQueue(c.id, target.name))
        self._enter_queue(c, target, now)

    def _on_hold(self, e: ev.HoldCall, now: float) -> None:
        c = self._call(e.call_id)
        if c.state is not CallState.CONNECTED or c.held_at is not None:
            state = "held" if c.held_at is not None else c.state.value
            raise IllegalTransition("call", c.id, state, "hold")
        c.held_at = now
        if self.notices is not None:
            self._notice_call("held", c, None, 0.0, agent_id=c.handled_by or "")

    def _on_resume(self, e: ev.ResumeCall, now: float) -> None:
        c = self._call(e.call_id)
        if c.held_at is None:
            raise IllegalTransition("call", c.id, c.state.value, "resume")
        held = now - c.held_at
        c.hold_seconds += held
        c.held_at = None
        if self.notices is not None:
            self._notice_call("resumed", c, None, held, agent_id=c.handled_by or "")

    def _on_set_skills(self, e: ev.SetAgentSkills, now: float) -> None:
        a = self._agent(e.agent_id)
        was_ready = a.ready
        if was_ready:
            self.router.set_unready(a)
        self.router.set_skills(a, dict(e.skills))
        if self.dirty_agents is not None:
            self.dirty_agents.add(a.id)
        if was_ready:
            self.router.set_ready(a)
            self._route_agent(a, now)

    # --- agent-targeted calls (the dialer's preview mode and callbacks) -----------------------
    def reserve_agent(self, agent_id: str, now: float) -> list[Command]:
        """Hold a ready agent for an agent-targeted call: no other call is offered to it."""
        self._out = []
        self._move(self._agent(agent_id), MV.RESERVE, now)
        return self._out

    def release_agent(self, agent_id: str, now: float) -> list[Command]:
        """The reserved agent's lead was skipped or withdrawn: ready again (or its pending
        pause or logout)."""
        self._out = []
        a = self._agent(agent_id)
        self._move(a, MV.RELEASE, now)
        self._after_idle(a, now)
        return self._out

    def dial_agent(self, agent_id: str, now: float) -> list[Command]:
        """The reserved agent's call is placed; the agent waits on the line while it rings."""
        self._out = []
        self._move(self._agent(agent_id), MV.DIAL, now)
        return self._out

    def dial_ended(self, agent_id: str, now: float) -> list[Command]:
        """The agent-targeted call ended unanswered by a person: the agent is free again."""
        self._out = []
        a = self._agent(agent_id)
        self._move(a, MV.DIAL_ENDED, now)
        self._after_idle(a, now)
        return self._out

    def connect_agent(
        self, call_id: str, queue: str, agent_id: str, caller: str, now: float
    ) -> list[Command]:
        """A person answered the agent-targeted call: it is connected to the dialing agent at
        once (no queue, no routing); talk and wrap-up then run as for any call of ``queue``."""
        self._out = []
        a = self._agent(agent_id)
        new = self._check(a, MV.ANSWER)
        q = self.queues.get(queue)
        if q is None:
            raise UnknownEntity("queue", queue)
        if a.state is not A.DIALING or new is not A.ON_CALL:
            raise IllegalTransition("agent", a.id, a.state.value, f"connect of call {call_id}")
        if call_id in self.calls:
            raise InvalidEvent(f"call {call_id!r} is already in the system")
        c = CallRt(call_id, q, 0, caller, {}, now, self._next_seq())
        c.direction = "outbound"
        c.counted = now >= self.stats_epoch
        self._set_level(c, 0)
        self.calls[c.id] = c
        if c.counted:
            q.stats.offered += 1
            q.stats.answered_after(0.0)
        if self.notices is not None:
            self._notice_call("entered", c, None, 0.0)
            self.notices[-1]["caller"] = caller
        self._move(a, MV.ANSWER, now)
        a.missed = 0
        a.call = c
        c.state = CallState.CONNECTED
        c.agent = a
        c.first_offer = c.answered_at = now
        c.legs.append((q.name, Outcome.ANSWERED))
        if self.notices is not None:
            self._notice_call("answered", c, Outcome.ANSWERED, 0.0, agent_id=a.id)
        return self._out

    # --- figures ----------------------------------------------------------------------------
    def reset_stats(self, now: float) -> None:
        """Start counting afresh (after a warm-up); calls that entered before now do not count."""
        self.stats_epoch = now
        for q in self.queues.values():
            q.stats.reset()
        for a in self.agents.values():
            a.stats = type(a.stats)()
        for c in self.calls.values():
            c.counted = False

    def report(self, now: float) -> dict[str, Any]:
        waiting: dict[str, int] = dict.fromkeys(self.queues, 0)
        for c in self.calls.values():
            if c.counted and c.state in (CallState.WAITING, CallState.RINGING):
                waiting[c.queue.name] += 1
        queues = {name: q.stats.kpis(waiting[name]) for name, q in self.queues.items()}
        agents = {}
        for a in self.agents.values():
            # Close the open state interval without changing the agent.
            t = a.stats.time_in
            open_part = now - max(a.since, self.stats_epoch)
            t[a.state.value] += open_part
            agents[a.id] = a.stats.kpis()
            t[a.state.value] -= open_part
        return {"queues": queues, "agents": agents}

    # --- observation --------------------------------------------------------------------
    def _notice_call(
        self, event: str, c: CallRt, outcome: Outcome | None, seconds: float, agent_id: str = ""
    ) -> None:
        assert self.notices is not None
        self.notices.append(
            {
                "type": "call",
                "event": event,
                "call_id": c.id,
                "queue": c.queue.name,
                "outcome": outcome.value if outcome is not None else None,
                "seconds": seconds,
                "agent_id": agent_id or None,
            }
        )

    def _notice_handled(self, a: AgentRt, wrap: float) -> None:
        assert self.notices is not None
        self.notices.append(
            {
                "type": "call",
                "event": "handled",
                "call_id": None,
                "queue": a.last_queue,
                "outcome": None,
                "seconds": a.last_talk + wrap,
                "agent_id": a.id,
            }
        )

    def agent_view(self, a: AgentRt, now: float) -> dict[str, Any]:
        return {
            "id": a.id,
            "name": a.name,
            "state": a.state.value,
            "state_seconds": max(0.0, now - a.since),
            "pause_reason": a.pause_reason if a.state is A.PAUSED else "",
            "pending": a.pending[0] if a.pending else None,
            "call_id": a.call.id if a.call is not None else None,
            "skills": dict(a.skills),
        }

    def queue_view(self, q: QueueRt, now: float, waiting_calls: list[CallRt]) -> dict[str, Any]:
        waits = [now - c.entered for c in waiting_calls]
        base = q.levels[0][0]
        k = q.stats.kpis(sum(1 for c in waiting_calls if c.counted))
        return {
            "name": q.name,
            "strategy": q.cfg.strategy.value,
            "priority": q.cfg.priority,
            "closed": q.closed,
            "waiting": len(waiting_calls),
            "longest_wait_seconds": max(waits, default=0.0),
            "agents": {"logged_in": base.logged_in, "ready": base.ready},
            "service_level_target": q.cfg.service_level.target,
            **k,
        }

    def queues_view(self, now: float, only: str | None = None) -> list[dict[str, Any]]:
        by_queue: dict[str, list[CallRt]] = {name: [] for name in self.queues}
        for c in self.calls.values():
            if c.present:
                by_queue[c.queue.name].append(c)
        return [
            self.queue_view(q, now, by_queue[n])
            for n, q in self.queues.items()
            if only is None or n == only
        ]

    def snapshot(self, now: float) -> dict[str, Any]:
        """The whole observable state, for the API, the wallboard and metrics."""
        states = {s.value: 0 for s in AgentState}
        agents = []
        for a in self.agents.values():
            states[a.state.value] += 1
            agents.append(self.agent_view(a, now))
        return {
            "center": self.config.name,
            "queues": self.queues_view(now),
            "agents": agents,
            "agent_states": states,
            "calls": [self.call_view(c, now) for c in self.calls.values()],
        }

    def call_view(self, c: CallRt, now: float) -> dict[str, Any]:
        return {
            "id": c.id,
            "queue": c.queue.name,
            "state": c.state.value,
            "priority": c.priority,
            "caller": c.caller,
            "direction": c.direction,
            "waiting_seconds": now - c.entered if c.present else None,
            "agent_id": c.agent.id if c.agent is not None else None,
            "ringing": sorted(a.id for a in c.ringing.values()),
            "transfers": c.transfers,
            "on_hold": c.held_at is not None,
        }

    # --- live reconfiguration -------------------------------------------------------------
    def reconfigure(self, config: Config, now: float) -> dict[str, list[str]]:
        """Apply a new config without dropping a waiting caller or an agent's state.

        Queues: added; changed (waiting calls re-evaluated under the new rules); removed (closed
        to new calls, drained). Agents: added; skills or name changed; removed (logged out at
        once if idle, else when their call and wrap-up end).
        """
        changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
        new_agents = {a.id: a for a in config.agents}
        for aid, a in list(self.agents.items()):
            if aid not in new_agents:
                changes["removed"].append(f"agent {aid}")
                a.retiring = True
                if a.state in (A.READY, A.PAUSED, A.WRAP_UP, A.RESERVED):
                    if a.state is A.WRAP_UP:
                        self._end_wrap(a, now, MV.LOGOUT)
                    else:
                        self._move(a, MV.LOGOUT, now)
                if a.state is A.LOGGED_OUT:
                    del self.agents[aid]
        for ac in config.agents:
            rt = self.agents.get(ac.id)
            if rt is None:
                rt = AgentRt(len(self.router.members), ac.id, ac.name, dict(ac.skills))
                self.agents[ac.id] = rt
                self.router.add_member(rt)
                changes["added"].append(f"agent {ac.id}")
            elif dict(ac.skills) != rt.skills or ac.name != rt.name:
                rt.name = ac.name
                if dict(ac.skills) != rt.skills:
                    self._on_set_skills(ev.SetAgentSkills(ac.id, dict(ac.skills)), now)
                changes["changed"].append(f"agent {ac.id}")
        self.config = config
        self._order = [(k, _ORDER_SIGN[k]) for k in config.routing.call_order]
        new_queues = {q.name: q for q in config.queues}
        for name, q in self.queues.items():
            if name not in new_queues and not q.closed:
                q.closed = True
                changes["removed"].append(f"queue {name}")
        for qc in config.queues:
            q = self.queues.get(qc.name)
            if q is None:
                self._add_queue(qc)
                changes["added"].append(f"queue {qc.name}")
                continue
            if q.cfg == qc and not q.closed:
                continue
            q.cfg = qc
            q.closed = False
            q.stats.configure(qc)
            q.levels = [
                tuple(self._pool(a, qc.strategy, qc.name) for a in alts)
                for alts, _ in requirement_levels(dict(qc.skills), qc.escalation)
            ]
            changes["changed"].append(f"queue {qc.name}")
        # Waiting calls: re-evaluate requirement, order and timers under the new rules.
        for c in list(self.calls.values()):
            if not c.present:
                continue
            cfg = c.queue.cfg
            was_waiting = c.waiting
            self.router.dequeue(c)
            self._set_level(c, min(c.esc_level, len(cfg.escalation)))
            for kind in ("maxwait", "esc"):
                self.timers.cancel((kind, c.id))
            if cfg.max_wait_seconds is not None:
                self.timers.set(("maxwait", c.id), max(now, c.entered + cfg.max_wait_seconds))
            if c.esc_level < len(cfg.escalation):
                due = c.entered + cfg.escalation[c.esc_level].after_seconds
                self.timers.set(("esc", c.id), max(now, due))
            if was_waiting:
                self._route_call(c, now)
        return changes
