"""Supervisors' monitors on Asterisk: a ``Monitor`` command originates the supervisor's device
into [acd-spy], whose ``ChanSpy(${ACD_SPY_TARGET},${ACD_SPY_OPTS})`` listens to the agent's leg
(options ``q`` listen, ``qw`` whisper, ``qB`` barge); ``StopMonitor`` hangs the spying channel up.

The spying channel ends by itself when the agent's call ends (ChanSpy returns, the dialplan hangs
up) or when the supervisor hangs up: ``ChanSpyStop`` or its ``Hangup`` drop it from ``spies``,
which is how the daemon learns the monitor is over.
"""

from __future__ import annotations

from dataclasses import dataclass

from acd.commands import Monitor, StopMonitor
from telephony_adapters.ami.messages import Action, AmiInvalidAction, Event
from telephony_adapters.asterisk.flows.legs import Effects, log
from telephony_adapters.asterisk.flows.progress import ProgressMixin

SPY_OPTIONS = {"listen": "q", "whisper": "qw", "barge": "qB"}
SPY_RING_MS = 15000


@dataclass(slots=True)
class Spy:
    monitor_id: str
    action_id: str
    channel: str = ""
    uniqueid: str = ""
    stop: bool = False  # stopped before the Originate answered: hang up when it does


class SpyMixin(ProgressMixin):
    spies: dict[str, Spy]  # monitor id -> its spying channel, while it lasts
    _spy_actions: dict[str, Spy]  # Originate ActionID -> spy, until the OriginateResponse

    def _monitor(self, cmd: Monitor) -> Effects:
        call = self.calls.get(cmd.call_id)
        offer = call.offers.get(cmd.agent_id) if call is not None else None
        leg = self.legs.get(offer.leg) if offer is not None and offer.leg else None
        if leg is None or not leg.channel:
            log.warning("monitor of %s: no leg of agent %s on the PBX", cmd.call_id, cmd.agent_id)
            return Effects()
        aid = self.next_action_id()
        pairs: list[tuple[str, str | int | bool]] = [
            ("Channel", cmd.device),
            ("Context", self.settings.contexts.spy),
            ("Exten", "s"),
            ("Priority", 1),
            ("Timeout", SPY_RING_MS),
            ("CallerID", f'"Monitor {cmd.agent_id}"'),
            ("Async", True),
        ]
        variables = [
            f"ACD_SPY_TARGET={leg.channel}",
            f"ACD_SPY_OPTS={SPY_OPTIONS[cmd.mode]}",
            f"ACD_MONITOR={cmd.monitor_id}",
        ]
        try:
            action = Action("Originate", pairs, Variable=variables, action_id=aid)
        except AmiInvalidAction as exc:
            log.warning("monitor %s cannot be sent: %s", cmd.monitor_id, exc)
            return Effects()
        spy = self.spies[cmd.monitor_id] = Spy(cmd.monitor_id, aid)
        self._spy_actions[aid] = spy
        return Effects(actions=[action])

    def _stop_monitor(self, cmd: StopMonitor) -> Effects:
        spy = self.spies.pop(cmd.monitor_id, None)
        if spy is None:
            return Effects()
        if not spy.channel:
            spy.stop = True
            return Effects()
        return Effects(actions=[self._action("Hangup", [("Channel", spy.channel), ("Cause", 16)])])

    def _spy_answer(self, msg: Event) -> Effects | None:
        """The OriginateResponse of a spying channel; None if the action is not one of ours."""
        spy = self._spy_actions.pop(msg.action_id or "", None)
        if spy is None:
            return None
        if (msg.get("Response") or "").lower() != "success":
            log.warning("monitor %s: the supervisor's device did not answer", spy.monitor_id)
            self.spies.pop(spy.monitor_id, None)
            return Effects()
        spy.channel, spy.uniqueid = msg.get("Channel") or "", msg.get("Uniqueid") or ""
        if spy.stop and spy.channel:
            return Effects(
                actions=[self._action("Hangup", [("Channel", spy.channel), ("Cause", 16)])]
            )
        return Effects()

    def _spy_failed(self, action: Action) -> None:
        spy = self._spy_actions.pop(action.action_id or "", None)
        if spy is not None:
            self.spies.pop(spy.monitor_id, None)

    def _spy_gone(self, uid: str) -> None:
        for mid, spy in list(self.spies.items()):
            if spy.uniqueid and spy.uniqueid == uid:
                del self.spies[mid]

    def _on_chanspy(self, msg: Event) -> Effects:
        uid = msg.get("SpyerUniqueid") or ""
        if msg.name == "ChanSpyStop":
            self._spy_gone(uid)
        else:
            log.info("%s spies on %s", msg.get("SpyerChannel"), msg.get("SpyeeChannel"))
        return Effects()
