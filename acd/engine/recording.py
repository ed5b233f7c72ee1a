"""Call detail records: built when a call ends, held through its agent's wrap-up, and
flushed when the daemon stops; the record a call in progress would get if cut now, and the
records of the calls a crash cut (``orphans``, see :mod:`acd.live_calls`)."""

from __future__ import annotations

from dataclasses import replace

from acd.engine.base import EngineBase
from acd.entities import CallRt
from acd.records import INTERRUPTED, CallDetail, call_record, record_from_dict
from acd.states import Outcome


class RecordingMixin(EngineBase):
    def _detail(self, c: CallRt, outcome: Outcome, now: float) -> CallDetail:
        return call_record(c, outcome, now, self.dispositions.get(c.id))

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

    def call_in_progress(self, call_id: str, now: float) -> CallDetail | None:
        """The record of a call still in the engine if it were cut now (outcome
        ``interrupted``), or None."""
        c = self.calls.get(call_id)
        if c is None:
            return None
        cdr = call_record(c, Outcome.ABANDONED, now, self.dispositions.get(c.id))
        return replace(cdr, outcome=INTERRUPTED)

    def held_record(self, agent_id: str) -> CallDetail | None:
        """The record held through the agent's wrap-up, if it is in one."""
        a = self.agents.get(agent_id)
        return None if a is None else self._wrap_cdr.get(a.ix)

    def settle_orphans(self, now: float) -> int:
        """Emit the records of the calls a crash cut (those no resync took over): a call that
        was up ends ``interrupted`` now; one whose talk was over keeps its outcome (only its
        wrap-up was cut). Returns how many."""
        orphans, self.orphans = self.orphans, {}
        for entry in orphans.values():
            cdr = record_from_dict(entry["record"])
            if not entry.get("over"):
                cdr = replace(cdr, outcome=INTERRUPTED, ended=max(now, cdr.ended))
            if self.cdr_sink is not None:
                self.cdr_sink(cdr)
        return len(orphans)
