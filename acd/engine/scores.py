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
        """The call's talk ended for good: keep its rows for late scores; when its agent ended
        it in a queue with a survey, the caller goes to the survey (the adapters do the same)."""
        rows: tuple[Any, ...] = (*c.tallies, *agent_rows)
        if not rows:
            return
        self.scored[c.id] = (rows, agent_rows)
        if len(self.scored) > KEEP:
            del self.scored[next(iter(self.scored))]
        if c.hung_up_by == "agent" and c.queue.cfg.survey is not None:
            for r in rows:
                r.surveys += 1
            self._changed(rows)

    def _on_scored(self, e: ev.CallScored, now: float) -> None:
        entry = self.scored.get(e.call_id)
        if entry is None:
            raise UnknownEntity("call", e.call_id)
        rows = entry[0]
        top = e.score >= e.scale - 1
        for r in rows:
            r.csat_responses += 1
            r.csat_top2 += top
            r.csat_points += e.score / e.scale
        self._changed(rows)

    def _on_quality(self, e: ev.QualityScored, now: float) -> None:
        entry = self.scored.get(e.call_id)
        if entry is None or not entry[1]:
            raise UnknownEntity("call", e.call_id)
        for r in entry[1]:
            r.quality_count += 1
            r.quality_points += e.score
        self._changed(entry[1])

    def _changed(self, rows: tuple[Any, ...]) -> None:
        for r in rows:
            if r.key is not None:  # an interval row: the store is told
                self.book.dirty.add(r)
