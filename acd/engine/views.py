"""Figures and JSON views: KPI report, statistics reset, notices, and the snapshot and
per-agent/queue/call views the API, wallboard and metrics read."""

from __future__ import annotations

from typing import Any

from acd.engine.base import A, EngineBase
from acd.engine.ewt import estimator
from acd.entities import AgentRt, CallRt, QueueRt
from acd.states import AgentState, Outcome
from acd.stats import AgentStats, QueueStats


class ViewsMixin(EngineBase):
    def reset_stats(self, now: float) -> None:
        """Start counting afresh (after a warm-up); calls that entered before now do not count."""
        self.stats_epoch = now
        for q in self.queues.values():
            q.base = QueueStats(q.cfg)
            q.row = None
        for a in self.agents.values():
            a.base = AgentStats()
            a.acct = max(a.acct, now)
            a.row, a.row_lo, a.row_hi = None, -1.0, -1.0
            a.wrap_tallies = a.wrap_rows = ()
        for c in self.calls.values():
            c.counted = False
            c.tallies = ()
        book = self.book
        for rows in (book.queue_rows, book.agent_rows, book.queue_days, book.agent_days):
            rows.clear()
        book.dirty.clear()
        book.forget_open()
        book.by_start.clear()
        for (start, _), crow in book.campaign_rows.items():  # the dialer's, kept
            book.register(start, crow)

    def interval_figures(self, now: float) -> dict[str, Any]:
        """The last closed interval's figures per queue (its start, local label and length),
        and each agent's occupancy today: what metrics and alerts watch between reports."""
        cal = self.book.cal
        start = cal.interval(now) - cal.length
        queues = {}
        for name, q in self.queues.items():
            row = self.book.queue_rows.get((start, name))
            queues[name] = (row if row is not None else QueueStats(q.cfg)).kpis(0)
        agents = {}
        for a in self.agents.values():
            t = dict(a.stats.time_in)
            t[a.state.value] += max(0.0, now - a.acct)
            busy = t["on_call"] + t["wrap_up"]
            agents[a.id] = {"busy": busy, "available": busy + t["ready"] + t["ringing"]}
        return {
            "start": cal.unix(start),
            "local": cal.label(start),
            "minutes": int(cal.length // 60),
            "queues": queues,
            "agents": agents,
        }

    def open_rows(self) -> list[QueueStats | AgentStats]:
        """Interval rows that calls in the engine or running wrap-ups may still change."""
        out: list[QueueStats | AgentStats] = []
        rows = self.book.agent_rows
        for c in self.calls.values():
            if c.tallies and c.tallies[-1].key is not None:
                out.append(c.tallies[-1])
                if c.agent is not None:
                    r = rows.get((c.row_lo, c.agent.id))
                    if r is not None:
                        out.append(r)
        for a in self.agents.values():
            out.extend(r for r in (*a.wrap_tallies, *a.wrap_rows) if r.key is not None)
        return out

    def counts_today(self, c: CallRt) -> bool:
        """The call's current queue stay is in today's figures (not a past day's, not warm-up)."""
        return bool(c.tallies) and c.day_key == self.book.today

    def run_stats(self) -> tuple[dict[str, QueueStats], dict[str, AgentStats]]:
        """Each queue's and agent's figures over every business day the book still holds (a
        simulation's whole run), today's included."""
        book = self.book
        queues = {}
        for name, q in self.queues.items():
            st = QueueStats(q.cfg)
            st.absorb(q.base)
            for (_, n), past in book.queue_days.items():
                if n == name:
                    st.absorb(past)
            for qrow in book.open.get(("queue", name), ()):  # the rows not yet in a day's base
                st.absorb(qrow)
            queues[name] = st
        agents = {}
        for agent_id, a in self.agents.items():
            ag = AgentStats()
            ag.absorb(a.base)
            for (_, n), past_a in book.agent_days.items():
                if n == agent_id:
                    ag.absorb(past_a)
            for arow in book.open.get(("agent", agent_id), ()):
                ag.absorb(arow)
            agents[agent_id] = ag
        return queues, agents

    def report(self, now: float, *, whole_run: bool = False) -> dict[str, Any]:
        """Today's figures per queue and agent (``whole_run``: every day the book holds)."""
        waiting: dict[str, int] = dict.fromkeys(self.queues, 0)
        for c in self.calls.values():
            if (
                c.present
                and c.callback is None
                and (c.tallies if whole_run else self.counts_today(c))
            ):
                waiting[c.queue.name] += 1
        if whole_run:
            qstats, astats = self.run_stats()
        else:
            qstats = {name: q.stats for name, q in self.queues.items()}
            astats = {agent_id: a.stats for agent_id, a in self.agents.items()}
        queues = {name: st.kpis(waiting[name]) for name, st in qstats.items()}
        agents = {}
        for a in self.agents.values():
            # Close the open state interval without changing the agent.
            agents[a.id] = astats[a.id].kpis(a.state.value, max(0.0, now - a.acct))
        return {"queues": queues, "agents": agents}

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
                "call_id": a.last_call or None,  # the call whose talk and wrap-up this is
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
        real = [c for c in waiting_calls if c.callback is None]  # callbacks: the caller is gone
        waits = [now - c.entered for c in real]
        base = q.levels[0][0]
        k = q.stats.kpis(sum(1 for c in real if self.counts_today(c)))
        return {
            "name": q.name,
            "strategy": q.cfg.strategy.value,
            "priority": q.cfg.priority,
            "closed": q.closed,
            "waiting": len(real),
            "callbacks_pending": len(waiting_calls) - len(real),
            "longest_wait_seconds": max(waits, default=0.0),
            "agents": {"logged_in": base.logged_in, "ready": base.ready},
            "service_level_target": q.cfg.service_level.target,
            # The estimated wait of a caller entering now (None: unknown, see acd.engine.ewt).
            "ewt_seconds": None if q.closed else estimator(self, now).arriving(q),  # type: ignore[arg-type]
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
        view = {
            "id": c.id,
            "queue": c.queue.name,
            "state": c.state.value,
            "priority": c.priority,
            "caller": c.caller,
            "direction": c.direction,
            "waiting_seconds": now - c.entered if c.present else None,
            # Seconds until an agent answers (None: not waiting, or unknown: acd.engine.ewt).
            "ewt_seconds": estimator(self, now).call(c),  # type: ignore[arg-type]
            "agent_id": c.agent.id if c.agent is not None else None,
            "ringing": sorted(a.id for a in c.ringing.values()),
            "transfers": c.transfers,
            "on_hold": c.held_at is not None,
        }
        if c.attributes:
            view["attributes"] = dict(c.attributes)
        cb = c.callback
        if cb is not None:
            view["callback"] = {
                "of": cb.origin,
                "number": cb.number,
                "requested_at": cb.requested,
                "attempts": cb.attempts,
                "parked": cb.parked or None,
                "connected": cb.connected,
            }
        return view
