"""What a supervisor or the API does to a call: hang it up, transfer it, hold and resume."""

from __future__ import annotations

from acd import events as ev
from acd.commands import HangUp, MoveToQueue
from acd.engine.base import EngineBase
from acd.errors import IllegalTransition, InvalidEvent, UnknownEntity
from acd.states import CallState, Outcome


class SupervisionMixin(EngineBase):
    def _on_hangup_request(self, e: ev.HangUpCall, now: float) -> None:
        c = self._call(e.call_id)
        if c.state is CallState.CONNECTED:
            self._out.append(HangUp(c.id, e.reason))
            c.hung_up_by = "system"
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
        if c.callback is not None and not c.callback.connected:
            raise IllegalTransition("call", c.id, "a callback", "transfer")
        c.transfers += 1
        if c.state is CallState.CONNECTED:
            for s in c.tallies:
                s.transferred += 1
                s.transferred_answered += 1
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
