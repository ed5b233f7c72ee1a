"""Scores that come after a call: the caller's satisfaction (the post-call survey, or an
external survey tool) and a supervisor's quality score, counted in the rows of the call.

A handled call's rows (its queue's and its agent's, day and interval) stay known for the last
10,000 handled calls; a score for an older or unknown call is refused (UnknownEntity)."""

from __future__ import annotations

from typing import Any

from acd import events as ev
from acd.engine.base import EngineBase
from acd.entities import CallRt
from acd.errors import UnknownEntity
from acd.stats import AgentStats

KEEP = 10_000


class ScoresMixin(EngineBase):
    def _handled(self, c: CallRt, agent_rows: tuple[AgentStats, ...]) -> None:
        """The call's talk ended for good: keep where its rows are, for late scores; when its
        agent ended it in a queue with a survey, the caller goes to the survey (the adapters do
        the same)."""
        if not c.tallies:
            return
        agent = c.agent.id if c.agent is not None else ""
        scored = self.scored
        # Plain values, not the rows: the garbage collector stops scanning such tuples.
        scored[c.id] = (c.queue.name, agent, c.row_lo, c.day_key)
        if len(scored) > KEEP:
            scored.popitem(last=False)  # O(1); del of next(iter(...)) scans dead slots
        if c.hung_up_by == "agent" and c.queue.cfg.survey is not None:
            rows = (*c.tallies, *agent_rows)
            for r in rows:
                r.surveys += 1
            self._changed(rows)

    def _rows_at(self, queue: str, agent: str, start: float, day: str) -> tuple[Any, ...]:
        """A finished call's rows, found where they are: its queue's and its agent's figures of
        its business day and of the interval it entered (those the engine still holds)."""
        book = self.book
        today = day == book.today
        rows: tuple[Any, ...] = ()
        q = self.queues.get(queue)
        if q is not None:
            base = q.base if today else book.queue_days.get((day, queue))
            rows += book.targets(base, book.queue_rows.get((start, queue)))
        a = self.agents.get(agent) if agent else None
        if a is not None:
            base = a.base if today else book.agent_days.get((day, agent))
            rows += book.targets(base, book.agent_rows.get((start, agent)))
        return rows

    def _on_scored(self, e: ev.CallScored, now: float) -> None:
        where = self.scored.get(e.call_id)
        if where is None:
            raise UnknownEntity("call", e.call_id)
        rows = self._rows_at(*where)
        top = e.score >= e.scale - 1
        for r in rows:
            r.csat_responses += 1
            r.csat_top2 += top
            r.csat_points += e.score / e.scale
        self._changed(rows)

    def _on_quality(self, e: ev.QualityScored, now: float) -> None:
        where = self.scored.get(e.call_id)
        if where is None or not where[1]:
            raise UnknownEntity("call", e.call_id)
        _, agent, start, day = where
        rows = self._rows_at("", agent, start, day)  # the agent's only
        for r in rows:
            r.quality_count += 1
            r.quality_points += e.score
        self._changed(rows)

    def _changed(self, rows: tuple[Any, ...]) -> None:
        for r in rows:
            if r.key is not None:  # an interval row: the store is told
                self.book.dirty.add(r)
