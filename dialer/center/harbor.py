"""Safe-harbor messages the PBX confirms: the record of a dropped live answer waits for the
PBX's word that the message played to its end.

When the connect window drops a live answer, the Center plays the campaign's safe-harbor message
and hangs up (the PBX lets the message finish first). The call's record is built then, but held
here until the adapter reports the message's end (:class:`acd.events.MessagePlayed`): played to
its end, the record gets ``safe_harbor_played_at``; cut by the called party hanging up, or not
heard of within :data:`HARBOR_WAIT` seconds, it goes out without. A held record is a call in
progress to the persister, with its final outcome, so a crash in that time still leaves the
record (without the confirmation, which was never received).
"""

from __future__ import annotations

from dataclasses import replace

from acd import events as ev
from acd.records import CallDetail
from dialer.center.base import CenterBase

HARBOR_WAIT = 120.0  # far longer than a safe-harbor message: past this, no word will come


class HarborMixin(CenterBase):
    def _hold_for_harbor(self, cdr: CallDetail) -> bool:
        """Hold the record of a call whose hang-up carried a safe-harbor message; False if it
        had none (the record goes out now)."""
        if cdr.call_id not in self._harbor_due:
            return False
        self._harbor_due.discard(cdr.call_id)
        self._harbor_held[cdr.call_id] = cdr
        self.timers.set(("harbor", cdr.call_id), cdr.ended + HARBOR_WAIT)
        dirty = self.engine.dirty_calls
        if dirty is not None:  # the persister keeps it as a call in progress meanwhile
            dirty.add(cdr.call_id)
        return True

    def _message_played(self, e: ev.MessagePlayed, now: float) -> None:
        cdr = self._harbor_held.pop(e.call_id, None)
        if cdr is None:
            return  # not a safe-harbor message (an inbound prompt, a machine's message)
        self.timers.cancel(("harbor", e.call_id))
        self._emit(replace(cdr, safe_harbor_played_at=now) if e.complete else cdr)

    def _harbor_timeout(self, call_id: str) -> None:
        cdr = self._harbor_held.pop(call_id, None)
        if cdr is not None:
            self._emit(cdr)

    def flush_harbor(self) -> int:
        """Emit every held record as it is (the daemon is stopping); returns how many."""
        held, self._harbor_held = self._harbor_held, {}
        for call_id, cdr in held.items():
            self.timers.cancel(("harbor", call_id))
            self._emit(cdr)
        return len(held)

    def _emit(self, cdr: CallDetail) -> None:
        if self._cdr_sink is not None:
            self._cdr_sink(cdr)
