"""Agents: every state move, login/logout/pause/ready, pending moves and wrap-up.

``_move`` is the one place an agent's state changes, through the transition table.
"""

from __future__ import annotations

from dataclasses import replace

from acd import events as ev
from acd.config.reporting import unresolved_codes
from acd.engine.base import MV, A, EngineBase
from acd.entities import AgentRt, CallRt
from acd.errors import IllegalTransition
from acd.states import (
    FAST_TRANSITIONS,
    PENDING_MOVES,
    AgentMove,
    AgentState,
    CallState,
    Outcome,
    PendingAction,
)
from acd.stats import AgentStats, QueueStats
from routing.strategies import Strategy

# Passes this long into an interval fold the last one's rows once its calls are answered and
# over: the day's figures then sum the base and the current row only (acd.reporting.book).
FOLD_AFTER = (120.0, 360.0)


class AgentsMixin(EngineBase):
    def _check(self, a: AgentRt, move: AgentMove) -> AgentState:
        new = FAST_TRANSITIONS.get((a.state._value_, move._value_))
        if new is None:
            raise IllegalTransition("agent", a.id, a.state.value, move.value)
        return new

    def _move(self, a: AgentRt, move: AgentMove, now: float) -> None:
        new = self._check(a, move)
        old = a.state
        t = a.acct
        if now > t:  # time in the old state: the interval row, rows off the day (inline: hot)
            st = old._value_
            a.acct = now
            row = a.row
            if row is not None and a.row_lo <= t and now <= a.row_hi and st != "paused":
                setattr(row, st, getattr(row, st) + now - t)
            elif self.intervals or st == "paused":
                self._account_rest(a, t, now, st)
            else:
                a.base.add_time(st, now - t)
        if old is A.READY and new is not A.READY:
            self.router.set_unready(a)
        if old is A.LOGGED_OUT:
            self.router.set_logged_in(a, True)
        elif new is A.LOGGED_OUT:
            self.router.set_logged_in(a, False)
            if self._cb_mine and a.id in self._cb_mine:
                self._personal_gone(a, now)  # type: ignore[attr-defined]
        a.state = new
        a.since = now
        if self.dirty_agents is not None:
            self.dirty_agents.add(a.id)
        if new is A.READY:
            self.router.set_ready(a)
        if self.notices is not None:
            self.notices.append({"type": "agent", "agent": self.agent_view(a, now)})
        if self.hooks is not None:
            self.hooks.agent_state(a)

    def _account(self, a: AgentRt, until: float) -> None:
        """Count the agent's time in its current state up to ``until`` (as ``_move`` does)."""
        t = a.acct
        if until <= t:
            return
        st = a.state._value_
        a.acct = until
        self._account_rest(a, t, until, st)

    def _account_rest(self, a: AgentRt, t: float, until: float, st: str) -> None:
        """Count [t, until) in state ``st`` (with the pause reason) in the interval rows, split
        where the time crosses interval starts; rows off, or logged out (no row for that), in
        today's base."""
        paused = st == "paused"
        if st == "logged_out" or not self.intervals:
            base = a.base
            base.add_time(st, until - t)
            if paused:
                base.add_paused(a.pause_reason, until - t)
            return
        book = self.book
        cal = book.cal
        while t < until:
            # The agent's row's interval if t is in it (the calendar caches only the newest).
            lo = a.row_lo if a.row_lo <= t < a.row_hi else cal.interval(t)
            end = min(until, lo + cal.length)
            if a.row_lo != lo or a.row is None:
                a.row, a.row_lo, a.row_hi = book.agent_row(lo, a.id), lo, lo + cal.length
            row = a.row
            row.add_time(st, end - t)
            if paused:
                row.add_paused(a.pause_reason, end - t)
            t = end

    def _interval_tick(self, _: object, now: float) -> None:
        """An interval starts: agents' time so far goes to the interval that ended, and at the
        start of a business day today's figures begin afresh."""
        cal = self.book.cal
        lo = cal.interval(now)
        for a in self.agents.values():
            self._account(a, lo)
        self._fold(lo)
        day = cal.day(now)
        if day != self.book.today:
            self.roll_day(day, now)
        self.timers.set(("ivl", 0), lo + cal.length)
        if self.intervals:  # the last interval's calls are mostly answered a minute or two on
            self.timers.set(("fold", 0), lo + FOLD_AFTER[0])

    def _fold_timer(self, _: object, now: float) -> None:
        cal = self.book.cal
        lo = cal.interval(now)
        self._fold(lo)
        later = [lo + t for t in FOLD_AFTER if lo + t > now and t < cal.length]
        if later and self.book.open_before(lo):
            self.timers.set(("fold", 0), later[0])

    def _fold(self, lo: float) -> None:
        """Fold the rows of intervals before ``lo`` into their days' figures, but those a call
        in the engine or a running wrap-up holds (its queue row, from its entry, and the rows
        its wrap-up counts in). Agent rows are found afresh at each change (``_agent_tallies``,
        which adds the day once its row is folded), so a call does not hold them open."""
        if not self.book.open_before(lo):
            return
        busy = {r.key for c in self.calls.values() for r in c.tallies if r.key is not None}
        for a in self.agents.values():
            if a.wrap_tallies or a.wrap_rows:
                busy.update(r.key for r in (*a.wrap_tallies, *a.wrap_rows) if r.key is not None)
        self.book.fold(lo, busy, self._queue_base, self._agent_base)

    def _queue_base(self, name: str, day: str) -> QueueStats | None:
        q = self.queues.get(name)
        if q is not None and day == self.book.today:
            return q.base
        return self.book.queue_days.get((day, name))

    def _agent_base(self, agent_id: str, day: str) -> AgentStats | None:
        a = self.agents.get(agent_id)
        if a is not None and day == self.book.today:
            return a.base
        return self.book.agent_days.get((day, agent_id))

    def roll_day(self, day: str, now: float) -> None:
        """Start business day ``day``: the day that ends keeps its figures in the book (calls
        that entered it still count there as they finish)."""
        book = self.book
        if book.today:
            for q in self.queues.values():
                book.queue_days[(book.today, q.name)] = q.base
                q.base = QueueStats(q.cfg)
            for a in self.agents.values():
                book.agent_days[(book.today, a.id)] = a.base
                a.base = AgentStats()
        book.today = day
        book.day_end = book.cal.day_bounds(day)[1]
        book.prune(now)

    def _wrap_done(self, ix: int, now: float) -> None:
        a = self.router.members[ix]
        assert isinstance(a, AgentRt)
        self._end_wrap(a, now, MV.WRAP_DONE)

    def _end_wrap(self, a: AgentRt, now: float, move: AgentMove) -> None:
        self.timers.cancel(("wrap", a.ix))
        if self.notices is not None:
            self._notice_handled(a, now - a.since)
        wrap = now - a.since
        q = self.queues.get(a.last_queue)
        if q is not None:
            q.hist.wrap.append(wrap)
        for s in a.wrap_tallies:
            s.wrap_sum += wrap
        for r in a.wrap_rows:
            r.wrap_seconds += wrap
        rows = a.wrap_rows
        if rows and rows[-1].key and rows[-1].key[1] <= now - self.book.cal.length:
            # Older than the current interval: a drain would not see these rows by their age.
            self.book.dirty.add(a.wrap_tallies[-1])
            self.book.dirty.add(rows[-1])
        a.wrap_tallies = a.wrap_rows = ()
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

    def _after_idle(self, a: AgentRt, now: float) -> None:
        """The agent became ready after a call: apply the move PENDING_MOVES deferred, else
        route."""
        if a.retiring:
            a.pending = (MV.LOGOUT.value, "")
        if a.pending is not None:
            kind, reason = a.pending
            a.pending = None
            move = AgentMove(kind)
            self._move(a, move, now)
            if move is MV.PAUSE:
                a.pause_reason = reason
            else:
                if a.retiring:
                    self.agents.pop(a.id, None)
                self._check_empty(now)
            return
        self._route_agent(a, now)

    def _route_agent(self, a: AgentRt, now: float) -> None:
        if a.state is not A.READY:
            return
        if self._cb_mine and a.id in self._cb_mine and self._personal_next(a, now):  # type: ignore[attr-defined]
            return  # a callback booked "to me" first: the agent's own promise, at its time
        c = self.router.pick_call(a)
        if c is None:
            return
        assert isinstance(c, CallRt)
        if c.queue.cfg.strategy is Strategy.RING_ALL:
            self._route_call(c, now)  # rings every ready eligible agent, this one included
        else:
            self.router.dequeue(c)
            self._offer(c, [a], now)

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
        if self._stop_taking_calls(a, MV.LOGOUT, "", now):
            self._check_empty(now)

    def _stop_taking_calls(self, a: AgentRt, move: AgentMove, reason: str, now: float) -> bool:
        """Pause or log out: deferred where PENDING_MOVES says so (applied by ``_after_idle``),
        at once otherwise, ending a wrap-up early. Returns whether it happened now."""
        if PENDING_MOVES.get((a.state, move)) is PendingAction.DEFER:
            a.pending = (move.value, reason)
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
        if PENDING_MOVES.get((a.state, MV.READY)) is PendingAction.CANCEL:
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
        if e.callback_at is not None:  # an inbound caller's "call me back at 3 pm" (checked first)
            self._book_from_code(a, call_id, queue, e.callback_at, now, e.callback_agent)  # type: ignore[attr-defined]
        self.dispositions[call_id] = e.disposition
        if len(self.dispositions) > 10_000:  # until a record store takes them: keep it bounded
            del self.dispositions[next(iter(self.dispositions))]
        q = self.queues.get(queue)
        if q is not None:  # judged by the codes of the queue whose agent coded it
            self.contacts.coded(call_id, e.disposition in unresolved_codes(q.cfg.dispositions))
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
        if self._stop_taking_calls(a, MV.PAUSE, e.reason, now):
            a.pause_reason = e.reason

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
