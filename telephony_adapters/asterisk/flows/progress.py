"""What a change on one of our legs means for its call: a leg claimed by its offer or outbound
call, an answer, an AMD verdict, a stray leg hung up, a caller taken up, a call ended.

AMI events, engine commands, feedback and resync all lead here, so their mixins subclass this one.
"""

from __future__ import annotations

from acd import events as ev
from acd.errors import InvalidEvent
from telephony_adapters.ami.messages import Action, AmiInvalidAction
from telephony_adapters.asterisk.flows.base import FlowsBase
from telephony_adapters.asterisk.flows.legs import (
    UP,
    V_AGENT,
    V_AMD,
    V_CALL_ID,
    V_OFFER,
    V_PEER,
    V_QUEUE,
    V_ROLE,
    Call,
    Effects,
    Leg,
    Offer,
    Phase,
    log,
    parse_skills,
)

TARGETED_AGENT_RING = 20.0  # seconds the agent of an answered agent-targeted call may take


class ProgressMixin(FlowsBase):
    def _claim(self, leg: Leg) -> None:
        """Attach a tagged leg to our offer or outbound call once its variables are in."""
        role, call_id = leg.vars.get(V_ROLE, ""), leg.vars.get(V_CALL_ID, "")
        if role == "agent":
            agent, offer_id = leg.vars.get(V_AGENT, ""), leg.vars.get(V_OFFER, "")
            if not (call_id and agent and offer_id):
                return
            leg.role, leg.call_id, leg.agent_id = "agent", call_id, agent
            call = self.calls.get(call_id)
            offer = call.offers.get(agent) if call else None
            if offer is not None and offer.action_id == offer_id and offer.leg is None:
                offer.leg = leg.uniqueid
        elif role == "outbound" and call_id:
            leg.role, leg.call_id = "outbound", call_id
            call = self.calls.get(call_id)
            if call is not None and call.direction == "outbound" and call.caller is None:
                call.caller = leg.uniqueid

    def _progress(self, leg: Leg) -> Effects:
        """What a change on a tracked leg means: an answer, an AMD verdict, or a stray leg."""
        if not leg.role:
            self._claim(leg)
        call = self.calls.get(leg.call_id) if leg.call_id else None
        if leg.role == "agent":
            offer = call.offers.get(leg.agent_id) if call else None
            if call is None or offer is None or offer.leg != leg.uniqueid:
                return self._stray(leg, call)
            if leg.state == UP and not offer.answered:
                return self._answered(call, offer)
        elif leg.role == "outbound":
            if call is None and leg.call_id in self.failed_dials and leg.state != UP:
                self.legs.pop(leg.uniqueid, None)  # a failed dial's leg, ending by itself
                return Effects()
            if call is None or call.caller != leg.uniqueid:
                return self._stray(leg, call)
            if call.phase is Phase.DIALING and leg.state == UP:
                return self._outbound_up(call)
            if call.phase is Phase.AMD and leg.vars.get(V_AMD):
                return self._amd(call, leg.vars[V_AMD])
        return Effects()

    def _stray(self, leg: Leg, call: Call | None) -> Effects:
        """A leg of ours nobody wants: an offer cancelled, a call ended, a previous run's leg.

        A bridged leg whose call we do not know at all is left alone: a conversation from before
        a restart goes on without the ACD rather than being cut.
        """
        if call is None and leg.bridge:
            log.info("leaving %s alone: bridged, call %s unknown", leg.channel, leg.call_id)
            self.legs.pop(leg.uniqueid, None)
            return Effects()
        log.info("hanging up stray %s leg %s (call %s)", leg.role, leg.channel, leg.call_id)
        return self._hangup_leg(leg)

    def _answered(self, call: Call, offer: Offer) -> Effects:
        offer.answered = True
        if call.phase is not Phase.WAITING:  # another agent won (ring-all)
            leg = self.legs.get(offer.leg or "")
            call.offers.pop(offer.agent_id, None)
            return self._hangup_leg(leg) if leg else Effects()
        call.phase = Phase.CONNECTED
        call.agent = offer.agent_id
        # Bridge() took the caller out of acd-play or acd-announce if it was there: a prompt
        # playing is cut, and the caller is no longer in the play context.
        call.playing = False
        return Effects(events=[ev.AgentAnswered(call.call_id, offer.agent_id)])

    def _outbound_up(self, call: Call) -> Effects:
        if call.target:
            return self._targeted_up(call)
        # The answer itself: the 2-second rule counts from here, not from an AMD verdict.
        picked_up = Effects(events=[ev.OutboundPickedUp(call.call_id)])
        if not (self.settings.amd and call.amd):
            call.phase = Phase.WAITING
            return picked_up.add(Effects(events=[ev.OutboundAnswered(call.call_id)]))
        call.phase = Phase.AMD
        leg = self.legs.get(call.caller or "")
        status = leg.vars.get(V_AMD) if leg else None
        return picked_up.add(self._amd(call, status)) if status else picked_up

    def _targeted_up(self, call: Call) -> Effects:
        """An agent-targeted call answered: the engine connects it to its agent at once (no AMD
        verdict is awaited; the agent hears a machine and says so), and the agent's phone is rung
        with auto-answer and bridged to the called party, as for an offer."""
        call.phase, call.agent = Phase.CONNECTED, call.target
        out = Effects(events=[ev.OutboundAnswered(call.call_id, machine=False)])
        caller = self.legs.get(call.caller or "")
        try:
            if caller is None:
                raise AmiInvalidAction("the answered leg is not known")
            out.actions.append(
                self._agent_leg(call, caller, call.target, True, TARGETED_AGENT_RING)
            )
        except AmiInvalidAction as exc:
            log.warning("call %s: agent %s cannot be rung: %s", call.call_id, call.target, exc)
            return out.add(self._end_call(call, ev.CallHungUp(call.call_id, "agent")))
        offer = call.offers[call.target]
        offer.answered = offer.targeted = True  # connected in the engine: no AgentAnswered
        return out

    def _agent_leg(
        self, call: Call, caller: Leg, agent_id: str, auto_answer: bool, ring_timeout: float
    ) -> Action:
        """Ring the agent's device; the [acd-agent] context bridges it to ``caller`` (ACD_PEER)
        once answered. Records the offer; raises AmiInvalidAction if it cannot be sent."""
        aid = self.next_action_id()
        variables = [
            f"{V_CALL_ID}={call.call_id}",
            f"{V_ROLE}=agent",
            f"{V_AGENT}={agent_id}",
            f"{V_OFFER}={aid}",
            f"{V_PEER}={caller.channel}",
        ]
        if auto_answer:
            variables += [f"{k}={v}" for k, v in self.settings.auto_answer_variables.items()]
        number = call.number
        label = (call.queue or "acd").replace('"', "")
        pairs: list[tuple[str, str | int | bool]] = [
            ("Channel", self.settings.device_for(agent_id)),
            ("Context", self.settings.contexts.agent),
            ("Exten", "s"),
            ("Priority", 1),
            ("Timeout", max(1, round(ring_timeout * 1000))),
            ("CallerID", f'"{label}" <{number}>' if number else f'"{label}"'),
            ("Async", True),
        ]
        action = Action("Originate", pairs, Variable=variables, action_id=aid)
        self.pending[aid] = (call.call_id, agent_id)
        call.offers[agent_id] = Offer(agent_id, aid, touched=self.seq)
        return action

    def _amd(self, call: Call, status: str) -> Effects:
        if call.phase is not Phase.AMD:
            return Effects()
        call.phase = Phase.WAITING
        machine = status.strip().upper() == "MACHINE"  # HUMAN, NOTSURE, HANGUP: a person
        return Effects(events=[ev.OutboundAnswered(call.call_id, machine=machine)])

    def _end_call(self, call: Call, event: ev.Event | None) -> Effects:
        """The call is over for the engine: forget it and hang up whatever legs remain."""
        self.calls.pop(call.call_id, None)
        out = Effects(events=[event] if event is not None else [])
        for uid in [call.caller, *(o.leg for o in call.offers.values())]:
            leg = self.legs.get(uid) if uid else None
            if leg is not None:
                out.add(self._hangup_leg(leg))
        return out

    def _take_up(
        self,
        uid: str,
        channel: str,
        queue: str,
        priority: str | None,
        skills: str | None,
        caller: str | None,
        attributes: dict[str, str] | None = None,
    ) -> Effects:
        """A caller on hold in one of our queues becomes a call (its Uniqueid is the call id)."""
        if not queue:
            log.warning("caller %s has no ACD_QUEUE: not taken up", channel)
            return Effects()
        try:
            prio = int(priority) if priority else 0
        except ValueError:
            log.warning("caller %s: ACD_PRIORITY %r is not an integer, using 0", channel, priority)
            prio = 0
        number = caller if caller and caller != "<unknown>" else ""
        try:
            arrived = ev.CallArrived(
                uid, queue, prio, number, parse_skills(skills or ""), attributes=attributes or {}
            )
        except InvalidEvent as exc:
            log.warning("caller %s not taken up: %s", channel, exc)
            return Effects()
        if not channel:
            log.warning("caller %s has no channel name: not taken up", uid)
            return Effects()
        leg = self._adopt(uid, channel, "caller", uid)
        self.calls[uid] = Call(
            uid, "inbound", Phase.WAITING, queue=queue, caller=uid, number=number, touched=self.seq
        )
        leg.vars.setdefault(V_QUEUE, queue)
        if queue in self.callbacks:  # [acd-hold] then takes the callback digit
            setvar = [("Channel", channel), ("Variable", "ACD_CALLBACK"), ("Value", "1")]
            return Effects(events=[arrived], actions=[self._action("Setvar", setvar)])
        return Effects(events=[arrived])
