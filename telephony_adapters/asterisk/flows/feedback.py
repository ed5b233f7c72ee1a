"""What comes back from the adapter about our own output: an Originate to drop before it is sent,
an engine event the engine refused, and an AMI action that failed.
"""

from __future__ import annotations

from acd import events as ev
from acd.errors import AcdError
from telephony_adapters.ami.messages import Action, AmiActionError, AmiError
from telephony_adapters.asterisk.flows.legs import Effects, Phase
from telephony_adapters.asterisk.flows.progress import ProgressMixin


class FeedbackMixin(ProgressMixin):
    def should_send(self, action: Action) -> bool:
        """False for an Originate whose offer or call was cancelled before it went out."""
        if action.name != "Originate" or action.action_id not in self.pending:
            return True
        call_id, agent = self.pending[action.action_id]
        call = self.calls.get(call_id)
        if agent:
            offer = call.offers.get(agent) if call else None
            live = offer is not None and offer.action_id == action.action_id
        else:
            live = call is not None and call.action_id == action.action_id
        if not live:
            del self.pending[action.action_id]
        return live

    def on_refused(self, event: ev.Event, error: AcdError) -> Effects:
        """The engine refused an event we derived: where the PBX now disagrees, fix the PBX."""
        self.seq += 1
        if isinstance(event, ev.AgentAnswered):
            call = self.calls.get(event.call_id)
            if call is None:
                return Effects()
            if getattr(error, "kind", "") == "call":  # the engine has no such call any more
                return self._end_call(call, None)
            offer = call.offers.pop(event.agent_id, None)
            if call.agent == event.agent_id:
                call.phase, call.agent = Phase.WAITING, None
            leg = self.legs.get(offer.leg) if offer and offer.leg else None
            return self._hangup_leg(leg) if leg is not None else Effects()
        if isinstance(event, ev.CallArrived | ev.OutboundAnswered):
            call = self.calls.get(event.call_id)
            return self._end_call(call, None) if call is not None else Effects()
        if isinstance(event, ev.AgentPause):
            self.paused_by_us.discard(event.agent_id)
        return Effects()

    def on_action_failed(self, action: Action, error: AmiError, *, sent: bool) -> Effects:
        """An action failed. ``sent``: it may have reached Asterisk (a lost or late answer)."""
        self.seq += 1
        self._spy_failed(action)
        aid = action.action_id or ""
        refused = isinstance(error, AmiActionError)
        if action.name == "Hangup":
            if refused:  # "No such channel": it is gone already
                channel = action.get("Channel")
                for uid in [u for u, c in self.doomed.items() if c == channel]:
                    del self.doomed[uid]
            return Effects()
        if action.name != "Originate" or aid not in self.pending:
            return Effects()
        call_id, agent = self.pending[aid]
        if sent and not refused:
            return Effects()  # it may be ringing: the OriginateResponse or a resync will tell
        del self.pending[aid]
        call = self.calls.get(call_id)
        if agent:
            offer = call.offers.get(agent) if call else None
            if offer is None or offer.action_id != aid:
                return Effects()
            if not refused:
                return Effects()  # never sent: the engine's ring time-out moves the call on
            del call.offers[agent]  # type: ignore[union-attr]
            return Effects(events=[ev.OfferFailed(call_id, agent, "failed")])
        if call is None or call.action_id != aid or call.phase is not Phase.DIALING:
            return Effects()
        del self.calls[call_id]
        return Effects(events=[ev.OutboundFailed(call_id, "failed")])
