"""Call detail records: built when a call ends, held through its agent's wrap-up, and
flushed when the daemon stops."""

from __future__ import annotations

from dataclasses import replace

from acd.engine.base import EngineBase
from acd.entities import CallRt
from acd.records import CallDetail, call_record
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
