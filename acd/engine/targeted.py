"""Agent-targeted calls, for the dialer's preview mode and callbacks: reserve a ready
agent, release it, dial for it, the dial ending unanswered, and connecting the answer.
"""

from __future__ import annotations

from acd.commands import Command
from acd.engine.base import MV, A, EngineBase
from acd.entities import CallRt
from acd.errors import IllegalTransition, InvalidEvent, UnknownEntity
from acd.records import Leg
from acd.states import CallMove, Outcome


class TargetedMixin(EngineBase):
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
            self._tally_entry(c, q, now)
            for s in c.tallies:
                s.answered_after(0.0)
        if self.notices is not None:
            self._notice_call("entered", c, None, 0.0)
            self.notices[-1]["caller"] = caller
        self._move(a, MV.ANSWER, now)
        a.missed = 0
        a.call = c
        self._call_move(c, CallMove.CONNECT)
        c.agent = a
        c.first_offer = c.answered_at = c.first_answer = now
        c.handled_by = a.id  # the record names the agent and the answer, as for any call
        c.legs.append(Leg(q.name, "answered", now, now, a.id))
        if self.notices is not None:
            self._notice_call("answered", c, Outcome.ANSWERED, 0.0, agent_id=a.id)
        return self._out
