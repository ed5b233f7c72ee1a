"""Calls through a queue: arrive, wait, ring agents, answer, talk, leave, overflow, end.

Includes the call timers (ring timeout, retry, max wait, escalation). The hot path lives
here: ``_on_arrived`` -> ``_enter_queue`` -> ``_route_call`` -> ``_offer``, ``_on_answered``
and ``_talk_ended``.
"""

from __future__ import annotations

from acd import events as ev
from acd.commands import CancelOffer, HangUp, MoveToQueue, OfferCall
from acd.engine.base import MV, A, EngineBase, requirement_levels
from acd.entities import AgentRt, CallRt, QueueRt
from acd.errors import IllegalTransition, InvalidEvent, UnknownEntity
from acd.records import Leg
from acd.reporting.fcr import FirstContact, caller_key
from acd.states import FAST_CALL_TRANSITIONS, CallMove, CallState, Outcome
from acd.stats import AgentStats
from routing.members import Alternative
from routing.pools import Pool
from routing.strategies import Strategy

CM = CallMove


class CallsMixin(EngineBase):
    def _call_move(self, c: CallRt, move: CallMove) -> None:
        """The one place a call's state changes: a move the call table allows, or an error."""
        new = FAST_CALL_TRANSITIONS.get((c.state._value_, move._value_))
        if new is None:
            raise IllegalTransition("call", c.id, c.state.value, move.value)
        c.state = new

    def _pool(self, alt: Alternative, strategy: Strategy, queue: str) -> Pool:
        return self.router.pool(alt, strategy, queue)

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

    def _on_arrived(self, e: ev.CallArrived, now: float) -> None:
        q = self.queues.get(e.queue)
        if q is None or q.closed:
            raise UnknownEntity("queue", e.queue)
        if e.call_id in self.calls:
            raise InvalidEvent(f"call {e.call_id!r} is already in the system")
        c = CallRt(e.call_id, q, e.priority, e.caller, dict(e.skills), now, self._next_seq())
        if e.attributes:
            c.attributes = dict(e.attributes)
            need = q.cfg.languages.get(c.attributes.get("language", ""))
            if need is not None:  # the IVR's language: a skill the call needs (a queue option)
                for skill, level in ({need: 1} if isinstance(need, str) else need).items():
                    c.extra[skill] = max(c.extra.get(skill, 0), level)
        c.direction = e.direction
        c.max_wait = e.max_wait
        if e.direction == "inbound":
            key = caller_key(e.caller, c.attributes)
            if key is not None and not self.contacts.arrived(key, now) and now >= self.stats_epoch:
                c.contact = key
        self.calls[c.id] = c
        if self.dirty_calls is not None:
            self.dirty_calls.add(c.id)
        if self.orphans:
            self.orphans.pop(c.id, None)  # still up on the PBX after a crash: taken over
        self._enter_queue(c, q, now)

    def _enter_queue(self, c: CallRt, q: QueueRt, now: float) -> None:
        cfg = q.cfg
        c.queue = q
        c.entered = now
        c.counted = now >= self.stats_epoch
        c.declined.clear()
        self._call_move(c, CM.ENTER)
        self._set_level(c, 0)
        if c.counted:
            self._tally_entry(c, q, now)
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
        q.hist.arrivals.append((now, c.priority))
        limit = cfg.max_wait_seconds
        if c.max_wait is not None:
            limit = c.max_wait if limit is None else min(limit, c.max_wait)
            c.max_wait = None  # its first queue only (a transfer or overflow starts afresh)
        if limit is not None:
            self.timers.set(("maxwait", c.id), now + limit)
        if cfg.escalation:
            self.timers.set(("esc", c.id), now + cfg.escalation[0].after_seconds)
        if c.callback is not None:  # a booked (or restored) callback joins: no caller on hold
            self._callback_joined(c, now)  # type: ignore[attr-defined]
            return
        if cfg.announce is not None:
            self._start_announcements(c, now)  # type: ignore[attr-defined]
        if not self._route_call(c, now):
            for s in c.tallies:
                s.queued += 1
            if cfg.callback is not None and cfg.callback.offer_after_ewt_seconds is not None:
                self.timers.set(("cbo", c.id), now)

    def _tally_entry(self, c: CallRt, q: QueueRt, now: float) -> None:
        """Count the call's stay in ``q`` in today's figures and in the interval it entered."""
        book = self.book
        if now >= book.day_end or not book.today:  # before the day's first tick
            self.roll_day(book.cal.day(now), now)
        c.day_key = book.today
        if not self.intervals:
            c.tallies = (q.base,)
            q.base.offered += 1
            return
        row = q.row
        if row is None or not q.row_lo <= now < q.row_hi:
            lo = book.cal.interval(now)
            row = book.queue_row(q, lo)
            q.row, q.row_lo, q.row_hi = row, lo, lo + book.cal.length
            # The row alone: the day's figures take it when it is folded (acd.reporting.book).
            q.tallies = (row,) if not row.folded else (q.base, row)
        c.row_lo = q.row_lo
        c.tallies = q.tallies
        row.offered += 1

    def _agent_tallies(self, c: CallRt, a: AgentRt) -> tuple[AgentStats, ...]:
        """Where an agent's part of a counted call goes: its day's and the call's interval's
        agent figures (() for a call not counted)."""
        if not c.tallies:
            return ()
        book = self.book
        if not self.intervals:
            return (a.base if c.day_key == book.today else book.agent_day(c.day_key, a.id),)
        row = (
            a.row if a.row_lo == c.row_lo and a.row is not None else book.agent_row(c.row_lo, a.id)
        )
        if not row.folded:  # a call in the engine keeps its rows open
            return (row,)
        return (a.base if c.day_key == book.today else book.agent_day(c.day_key, a.id), row)

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
        if c.callback is not None and not c.callback.connected:
            self._place_callback(c, agents[0], now)  # type: ignore[attr-defined]
            return
        cfg = c.queue.cfg
        self._call_move(c, CM.OFFER)
        if c.first_offer is None:
            c.first_offer = now
        due = now + cfg.ring_timeout_seconds
        for a in agents:
            self._move(a, MV.OFFER, now)
            a.call = c
            c.ringing[a.ix] = a
            self.timers.set(("ring", (c.id, a.ix)), due)
            self._out.append(
                OfferCall(c.id, a.id, cfg.ring_timeout_seconds, cfg.auto_answer, queue=cfg.name)
            )
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
        for kind in ("maxwait", "esc", "retry", "ann", "msg", "cbo", "cbpark"):
            self.timers.cancel((kind, c.id))
        self._said.pop(c.id, None)

    def _leave(self, c: CallRt, outcome: Outcome, now: float, reason: str | None) -> None:
        """The call leaves its queue unanswered (and the system, unless it overflows)."""
        q = c.queue
        was_present = c.present
        if was_present:
            q.present -= 1
            c.present = False
        self.router.dequeue(c)
        if c.callback is not None and not c.callback.connected:
            self._callback_left(c)  # type: ignore[attr-defined]
        self._stop_call_timers(c)
        released = self._release_ringing(c, now, outcome.value)
        wait = now - c.entered
        if was_present:
            q.hist.departures.append((wait, outcome is Outcome.ABANDONED))
        if c.tallies and c.tallies[-1].key and c.row_lo <= now - self.book.cal.length:
            self.book.dirty.add(c.tallies[-1])  # an older interval's row: a drain must see it
        virtual = c.callback is not None  # its caller's hold ended at the request
        for s in c.tallies:
            if not virtual:
                s.ended_unanswered(wait)
            if outcome is Outcome.ABANDONED:
                s.abandoned_after(wait, wait < q.cfg.short_abandon_seconds)
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
            elif outcome is Outcome.TRANSFERRED:
                s.transferred += 1
            elif outcome is Outcome.HUNG_UP_BY_SYSTEM:
                s.hung_up += 1
        c.legs.append(Leg(q.name, outcome.value, c.entered, now))
        if self.notices is not None:
            self._notice_call("left", c, outcome, wait)
        if outcome not in (Outcome.OVERFLOWED, Outcome.TRANSFERRED):
            if reason is not None:
                if self.hooks is not None:
                    self._out += self.hooks.hang_up(c, reason)
                else:
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
        self._call_move(c, CM.END)
        del self.calls[c.id]
        if self._cb_offered:
            self._cb_offered.discard(c.id)
        if self.notices is not None:
            self._notice_call("ended", c, outcome, now - c.arrived)
        if self.records is None and self.hooks is None and self.cdr_sink is None:
            return
        cdr = self._detail(c, outcome, now)  # the call's one record, built once
        if self.records is not None:
            self.records.append(cdr)
        if self.hooks is not None:
            self.hooks.call_ended(cdr)
        if self.cdr_sink is not None:
            if wrap_agent is not None:
                self._wrap_cdr[wrap_agent.ix] = cdr
            else:
                self.cdr_sink(cdr)

    def _on_hung_up(self, e: ev.CallHungUp, now: float) -> None:
        c = self._call(e.call_id)
        if c.state is CallState.CONNECTED:
            c.hung_up_by = e.party
            self._talk_ended(c, now)
            return
        if c.callback is not None:
            return  # the caller's leg of a callback ends: the call keeps its place
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
        rang = now - a.since  # the agent rang from the offer on
        self._connect(c, a, now)
        hist = c.queue.hist
        wait = now - c.entered
        hist.ring.append(rang)
        hist.departures.append((wait, False))
        for s in c.tallies:
            s.answered_after(wait)
        if self.notices is not None:
            self._notice_call("answered", c, Outcome.ANSWERED, now - c.entered, agent_id=a.id)
        for r in released:
            self._route_agent(r, now)

    def _connect(self, c: CallRt, a: AgentRt, now: float) -> None:
        """Agent ``a`` takes call ``c`` out of its queue (an answer, or a callback reaching its
        caller): both move, the call's first answer (a first contact), its answered stay."""
        self._move(a, MV.ANSWER, now)
        a.missed = 0
        self._call_move(c, CM.ANSWER)
        c.agent = a
        c.answered_at = now
        q = c.queue
        if c.first_answer is None:
            c.first_answer = now
            if c.contact is not None and c.tallies:
                fc = FirstContact(c.contact, c.id, c.arrived, q.name, a.id, c.row_lo, c.day_key)
                self.contacts.answered(fc, (*c.tallies, *self._agent_tallies(c, a)))
        c.handled_by = a.id
        c.hold_mark = c.hold_seconds
        q.present -= 1
        c.present = False
        c.legs.append(Leg(q.name, "answered", c.entered, now, a.id))

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
        q.hist.handled(talk + hold)
        wrap = q.cfg.wrap_up_seconds
        a.calls += 1
        a.talk_ms += int((talk + hold) * 1000)
        self._idle_seq += 1
        a.idle_seq = self._idle_seq
        a.call = None
        a.last_call = c.id
        a.last_caller = c.caller
        a.last_queue = q.name
        a.last_talk = talk + hold
        c.legs[-1] = c.legs[-1]._replace(talk_seconds=talk, hold_seconds=hold)
        rows = self._agent_tallies(c, a)
        for s in c.tallies:
            s.talk_sum += talk
            s.hold_sum += hold
            s.handled += 1
        for r in rows:
            r.answered += 1
            r.talk_seconds += talk
            r.hold_seconds += hold
        if c.tallies and c.tallies[-1].key and c.row_lo <= now - self.book.cal.length:
            # Older than the current interval: a drain would not see these rows by their age.
            self.book.dirty.add(c.tallies[-1])
            self.book.dirty.add(rows[-1])
        if end_call:
            self._handled(c, rows)
            self._end(c, Outcome.ANSWERED, now, a if wrap > 0 else None)
        else:
            c.agent = None
        if wrap > 0:
            self._move(a, MV.CALL_END, now)
            self.timers.set(("wrap", a.ix), now + wrap)
            a.wrap_tallies = c.tallies
            a.wrap_rows = rows
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

    def _ring_timeout(self, ident: tuple[str, int], now: float) -> None:
        call_id, ix = ident
        c = self.calls[call_id]
        self._missed(c, c.ringing[ix], now, notify=True)

    def _missed(self, c: CallRt, a: AgentRt, now: float, notify: bool) -> None:
        cfg = c.queue.cfg
        del c.ringing[a.ix]
        a.call = None
        a.missed += 1
        for r in self._agent_tallies(c, a):
            r.missed += 1
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
            self._call_move(c, CM.ALL_MISSED)
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
