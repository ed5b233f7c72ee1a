"""The state every part of :class:`CallFlows` shares, declared once, and the primitives they
all use: ActionIDs, the agent behind a device, and tracking, adopting and hanging up legs.

Each mixin subclasses :class:`FlowsBase` (through :class:`.progress.ProgressMixin`) so that the
state it reads and writes is named and typed in one place; ``CallFlows.__init__`` sets it all.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from telephony_adapters.ami.messages import Action, Event
from telephony_adapters.asterisk.flows.legs import _TAGS, Call, Effects, Leg
from telephony_adapters.asterisk.settings import AsteriskSettings

# An agent in the engine: (state, pause reason), the reason being the pause in force or, on a
# call, the one pending after it ("" for none); None for an unknown agent.
AgentLookup = Callable[[str], "tuple[str, str] | None"]


class FlowsBase:
    """The flows' state. Public names are read by the adapter and the tests."""

    settings: AsteriskSettings
    agent_state: AgentLookup
    id_prefix: str
    calls: dict[str, Call]
    legs: dict[str, Leg]
    pending: dict[str, tuple[str, str]]  # Originate ActionID -> (call, agent or "")
    originated: set[str]  # outbound call ids: never originated twice
    doomed: dict[str, str]  # Uniqueid -> channel of legs we have hung up
    after_play: dict[str, str]  # Uniqueid -> channel: hang up after the message
    played_for: dict[str, str]  # Uniqueid in after_play -> its call: AcdPlayed says it ended
    surveys: dict[str, int]  # queue -> its survey's scale
    callbacks: frozenset[str]  # queues that take callbacks (virtual hold)
    surveyed: dict[str, tuple[str, int]]  # a caller in the survey: Uniqueid -> (call, scale)
    paused_by_us: set[str]  # agents we paused for an unavailable device
    _ended: dict[str, None]  # recently hung-up Uniqueids (late events ignored)
    # Outbound calls whose Originate failed (busy, no answer): their leg's events may still
    # come, and the PBX is ending that leg itself, so it gets no Hangup of ours.
    failed_dials: dict[str, None]
    seq: int  # one tick per input; "touched" stamps compare against a resync mark
    _ids: int  # the last ActionID number handed out
    _devices: dict[str, str]  # device -> agent, from the per-agent overrides
    _device_re: re.Pattern[str]  # the agent_device template, its {agent_id} captured
    _handlers: dict[str, Callable[[Event], Effects]]  # AMI event name -> its handler

    def next_action_id(self) -> str:
        self._ids += 1
        return f"{self.id_prefix}-{self._ids}"

    def agent_for(self, device: str) -> str | None:
        """The agent whose device this is (per-agent overrides first, then the template)."""
        agent = self._devices.get(device)
        if agent is not None:
            return agent
        m = self._device_re.match(device)
        if m is None or m["agent"] in self.settings.agent_devices:
            return None
        return m["agent"]

    def _action(
        self, name: str, pairs: list[tuple[str, str | int | bool]], **more: list[str]
    ) -> Action:
        return Action(name, pairs, action_id=self.next_action_id(), **more)

    def _hangup_leg(self, leg: Leg) -> Effects:
        """Hang up a leg we no longer want; its Hangup event is then expected, not news."""
        self.legs.pop(leg.uniqueid, None)
        if leg.uniqueid in self.doomed or not leg.channel:
            return Effects()
        self.doomed[leg.uniqueid] = leg.channel
        return Effects(actions=[self._action("Hangup", [("Channel", leg.channel), ("Cause", 16)])])

    def _observe(
        self, uid: str, channel: str, state: int | None, variables: dict[str, str]
    ) -> Leg | None:
        """Update a tracked leg, or start tracking a channel that carries our tags."""
        leg = self.legs.get(uid)
        if leg is None:
            if uid in self.doomed or uid in self.after_play or uid in self._ended:
                return None
            if uid in self.surveyed:  # the caller of a finished call, in the survey
                return None
            if not any(variables.get(tag) for tag in _TAGS):
                return None
            leg = self.legs[uid] = Leg(uid, channel)
        leg.touched = self.seq
        if channel:
            leg.channel = channel
        if state is not None:
            leg.state = state
        for name, value in variables.items():
            if value:
                leg.vars[name] = value
        return leg

    def _adopt(self, uid: str, channel: str, role: str, call_id: str, agent: str = "") -> Leg:
        leg = self.legs.get(uid)
        if leg is None:
            leg = self.legs[uid] = Leg(uid, channel)
        leg.role, leg.call_id, leg.agent_id = role, call_id, agent
        leg.channel = channel or leg.channel
        leg.touched = self.seq
        return leg
