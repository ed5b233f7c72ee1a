"""AMI events in, engine events out: channels, variables, bridges, hang-ups, Originate answers,
the dialplan's UserEvents, and agents' devices going down and coming back (pause and ready).
"""

from __future__ import annotations

from acd import events as ev
from acd.errors import InvalidEvent
from telephony_adapters.ami.messages import Event
from telephony_adapters.asterisk.flows.features import FeaturesMixin
from telephony_adapters.asterisk.flows.legs import (
    _TRACKED,
    UP,
    V_AMD,
    V_PRIORITY,
    V_QUEUE,
    V_SKILLS,
    Call,
    Effects,
    Leg,
    Phase,
    _int,
    failure_reason,
    log,
    ours,
)
from telephony_adapters.asterisk.flows.spy import SpyMixin

DEVICE_REASON = "device-unavailable"
_DEVICE_DOWN = frozenset({"UNAVAILABLE", "INVALID"})
_PEER_DOWN = frozenset({"UNREACHABLE", "UNREGISTERED", "REJECTED"})
_PEER_UP = frozenset({"REACHABLE", "REGISTERED"})


class AmiEventsMixin(FeaturesMixin, SpyMixin):
    def on_event(self, msg: Event) -> Effects:
        """One AMI event; most are not ours and cost a dict lookup."""
        handler = self._handlers.get(msg.name)
        if handler is None:
            return Effects()
        self.seq += 1
        return handler(msg)

    def _chan(self, msg: Event, prefix: str = "") -> Leg | None:
        uid = msg.get(f"{prefix}Uniqueid")
        if not uid:
            return None
        state = msg.get(f"{prefix}ChannelState")
        variables = ours(msg.variables(f"{prefix}ChanVariable"))
        leg = self._observe(
            uid, msg.get(f"{prefix}Channel") or "", _int(state, 0) if state else None, variables
        )
        if leg is None:
            log.debug(
                "%s of a channel not ours (%s): ignored", msg.name, msg.get(f"{prefix}Channel")
            )
        return leg

    def _on_channel(self, msg: Event) -> Effects:
        leg = self._chan(msg)
        return self._progress(leg) if leg is not None else Effects()

    def _on_dest(self, msg: Event) -> Effects:
        leg = self._chan(msg, "Dest")
        return self._progress(leg) if leg is not None else Effects()

    def _on_varset(self, msg: Event) -> Effects:
        name = (msg.get("Variable") or "").lstrip("_")
        if name not in _TRACKED:
            return Effects()
        uid = msg.get("Uniqueid") or ""
        variables = ours(msg.variables("ChanVariable"))
        variables[name] = msg.get("Value") or ""
        leg = self._observe(uid, msg.get("Channel") or "", None, variables) if uid else None
        return self._progress(leg) if leg is not None else Effects()

    def _on_bridge(self, msg: Event) -> Effects:
        leg = self._chan(msg)
        if leg is None:
            return Effects()
        leg.bridge = (msg.get("BridgeUniqueid") or "") if msg.name == "BridgeEnter" else ""
        return self._progress(leg)

    def _on_rename(self, msg: Event) -> Effects:
        leg = self.legs.get(msg.get("Uniqueid") or "")
        if leg is not None and msg.get("Newname"):
            leg.channel = msg["Newname"]
        return Effects()

    def _on_hangup(self, msg: Event) -> Effects:
        uid = msg.get("Uniqueid") or ""
        channel = msg.get("Channel") or ""
        if "<ZOMBIE>" in channel or channel.startswith("Surrogate/"):
            return Effects()  # the husk of a masquerade, not the end of a call
        self._ended[uid] = None
        self._spy_gone(uid)
        if self.surveyed.pop(uid, None) is not None:
            return Effects()  # a caller done with the survey (or who hung up on it)
        if len(self._ended) > 4096:
            del self._ended[next(iter(self._ended))]
        if self.after_play.pop(uid, None) is not None:
            # Gone before the message's end (its AcdPlayed would have come first): not heard.
            call_id = self.played_for.pop(uid, None)
            cut = [] if call_id is None else [ev.MessagePlayed(call_id, complete=False)]
            return Effects(events=cut)
        if self.doomed.pop(uid, None) is not None:
            return Effects()
        leg = self.legs.pop(uid, None)
        if leg is None:
            log.debug("Hangup of a channel not ours (%s): ignored", channel)
            return Effects()
        call = self.calls.get(leg.call_id) if leg.call_id else None
        if call is None:
            return Effects()
        cause = _int(msg.get("Cause"))
        if call.caller == uid:
            if call.phase is Phase.DIALING:  # the OriginateResponse that follows says why
                call.caller, call.cause = None, cause
                return Effects()
            if call.phase is Phase.AMD:  # answered, gone before AMD decided: nobody talked
                return self._end_call(call, ev.OutboundFailed(call.call_id, "no_answer"))
            return self._end_call(call, ev.CallHungUp(call.call_id, "caller"))
        offer = call.offers.get(leg.agent_id)
        if leg.role != "agent" or offer is None or offer.leg != uid:
            return Effects()
        if call.phase is Phase.CONNECTED and call.agent == leg.agent_id:
            return self._agent_ended(call)
        offer.leg, offer.cause = None, cause  # rang and ended: the OriginateResponse says why
        return Effects()

    def _on_survey(self, uid: str, digit: str) -> Effects:
        """[acd-survey]'s digit: a score of the call the caller just had (none pressed: none)."""
        entry = self.surveyed.get(uid)
        if entry is None:
            return Effects()
        call_id, scale = entry
        if not digit.isdigit() or not 1 <= int(digit) <= scale:
            log.info("survey of call %s: no score (%r)", call_id, digit)
            return Effects()
        del self.surveyed[uid]  # one score per call
        return Effects(events=[ev.CallScored(call_id, int(digit), scale)])

    def _agent_ended(self, call: Call) -> Effects:
        """The agent hung up on the caller: the call is over; in a queue with a survey the
        caller goes to it instead of being hung up (the engine counts the survey alike)."""
        scale = self.surveys.get(call.queue) if call.direction == "inbound" else None
        caller = self.legs.get(call.caller) if call.caller else None
        if scale is None or caller is None or not caller.channel:
            return self._end_call(call, ev.CallHungUp(call.call_id, "agent"))
        del self.legs[caller.uniqueid]  # no longer a leg of ours: not hung up with the call
        call.caller = None
        self.surveyed[caller.uniqueid] = (call.call_id, scale)
        if len(self.surveyed) > 4096:  # callers whose Hangup never came
            del self.surveyed[next(iter(self.surveyed))]
        out = self._end_call(call, ev.CallHungUp(call.call_id, "agent"))
        out.actions.append(self._redirect(caller.channel, self.settings.contexts.survey))
        return out

    def _on_originate_response(self, msg: Event) -> Effects:
        spied = self._spy_answer(msg)
        if spied is not None:
            return spied
        aid = msg.action_id or ""
        entry = self.pending.pop(aid, None)
        if entry is None:
            log.debug("OriginateResponse for an action not ours (%s): ignored", aid)
            return Effects()
        call_id, agent = entry
        ok = (msg.get("Response") or "").lower() == "success"
        channel = msg.get("Channel") or ""
        uid = msg.get("Uniqueid") or ""
        uid = channel if uid in ("", "<unknown>") else uid
        reason = _int(msg.get("Reason"))
        call = self.calls.get(call_id)
        if agent:
            offer = call.offers.get(agent) if call else None
            live = offer is not None and offer.action_id == aid
            if ok:
                leg = self._adopt(uid, channel, "agent", call_id, agent)
                leg.state = UP
                if not live:
                    return self._stray(leg, call)
                assert offer is not None and call is not None
                offer.leg = uid
                return Effects() if offer.answered else self._answered(call, offer)
            if live and offer is not None and offer.targeted and call is not None:
                # The agent of an agent-targeted call did not answer: the called party is
                # connected to nobody, so the call ends.
                return self._end_call(call, ev.CallHungUp(call_id, "agent"))
            if not live or offer is None or offer.answered or call is None:
                return Effects()
            del call.offers[agent]
            reason_text = failure_reason(reason, offer.cause)
            return Effects(events=[ev.OfferFailed(call_id, agent, reason_text)])
        if call is None or call.action_id != aid:
            if ok and uid:
                return self._stray(self._adopt(uid, channel, "outbound", call_id), None)
            return Effects()
        if ok:
            self._adopt(uid, channel, "outbound", call_id).state = UP
            call.caller = uid
            return self._outbound_up(call) if call.phase is Phase.DIALING else Effects()
        if call.phase is not Phase.DIALING:
            return Effects()
        del self.calls[call_id]
        self.failed_dials[call_id] = None
        if len(self.failed_dials) > 4096:
            del self.failed_dials[next(iter(self.failed_dials))]
        if call.caller and call.caller in self.legs and self.legs[call.caller].state != UP:
            self.legs.pop(call.caller)  # the PBX tears that leg down: nothing to hang up
        return Effects(events=[ev.OutboundFailed(call_id, failure_reason(reason, call.cause))])

    def _on_user_event(self, msg: Event) -> Effects:
        kind = (msg.get("UserEvent") or "").lower()
        uid = msg.get("Uniqueid") or ""
        if kind == "acdenqueue":
            if not uid or uid in self.doomed or uid in self._ended:
                return Effects()
            if uid in self.legs and self.legs[uid].role:
                return Effects()  # taken up already
            variables = ours(msg.variables("ChanVariable"))
            return self._take_up(
                uid,
                msg.get("Channel") or "",
                # Not "Priority": the channel snapshot carries the dialplan's priority so.
                msg.get("AcdQueue") or variables.get(V_QUEUE, ""),
                msg.get("AcdPriority") or variables.get(V_PRIORITY),
                msg.get("AcdSkills") or variables.get(V_SKILLS),
                msg.get("CallerIDNum"),
                ivr_attributes(msg),
            )
        if kind == "acdfeature":
            return self._on_feature(msg)
        if kind == "acdsurvey":
            return self._on_survey(uid, (msg.get("Score") or "").strip())
        if kind == "acdcallback":
            return self._on_callback(uid, (msg.get("Number") or "").strip())
        if kind == "acdamd":
            leg = self._chan(msg)
            if leg is None:
                return Effects()
            leg.vars[V_AMD] = msg.get("AmdStatus") or leg.vars.get(V_AMD, "")
            return self._progress(leg)
        if kind == "acdplayed":
            return self._on_played(uid, msg)
        return Effects()

    def _on_played(self, uid: str, msg: Event) -> Effects:
        """[acd-play] or [acd-announce] finished a message: the dialplan reaches its UserEvent
        only once Playback() returned, so it was heard to the end. For a call we hung up after
        the message (safe harbor), the engine hears that it played."""
        call_id = self.played_for.pop(uid, None)
        out = Effects(events=[] if call_id is None else [ev.MessagePlayed(call_id)])
        channel = self.after_play.get(uid)
        if channel is not None and (msg.get("After") or "").lower() != "hangup":
            # The message ended before our ACD_AFTER_PLAY=hangup reached the channel.
            del self.after_play[uid]
            self.doomed[uid] = channel
            out.actions.append(self._action("Hangup", [("Channel", channel), ("Cause", 16)]))
            return out
        leg = self.legs.get(uid)
        call = self.calls.get(leg.call_id) if leg else None
        if call is not None:
            call.playing = False
        return out

    def _on_callback(self, uid: str, number: str) -> Effects:
        """A waiting caller confirmed a callback in [acd-callback]; its leg ends next (the
        dialplan hangs up), and the call keeps its place in the ACD."""
        leg = self.legs.get(uid)
        call = self.calls.get(leg.call_id) if leg is not None else None
        if call is None or call.direction != "inbound":
            log.warning("AcdCallback from %s, which is no waiting caller: ignored", uid)
            return Effects()
        try:
            return Effects(events=[ev.CallbackRequested(call.call_id, number)])
        except InvalidEvent:
            log.warning("call %s: callback number %r is not one: its own is called", uid, number)
            return Effects(events=[ev.CallbackRequested(call.call_id)])

    def _on_device_state(self, msg: Event) -> Effects:
        agent = self.agent_for(msg.get("Device") or "")
        if agent is None:
            return Effects()
        state = (msg.get("State") or "").upper()
        if state in _DEVICE_DOWN:
            return self._device_down(agent)
        if state in ("", "UNKNOWN"):
            return Effects()
        return self._device_up(agent)

    def _on_peer_status(self, msg: Event) -> Effects:
        agent = self.agent_for(msg.get("Peer") or "")
        status = (msg.get("PeerStatus") or "").upper()
        if agent is None:
            return Effects()
        if status in _PEER_DOWN:
            return self._device_down(agent)
        return self._device_up(agent) if status in _PEER_UP else Effects()

    def _device_down(self, agent: str) -> Effects:
        seen = self.agent_state(agent)
        if seen is None or agent in self.paused_by_us:
            return Effects()
        state, reason = seen
        if state == "logged_out":
            return Effects()
        if state == "paused" or reason:  # a pause of the agent's own (or pending) stays theirs
            if reason == DEVICE_REASON:
                self.paused_by_us.add(agent)
            return Effects()
        self.paused_by_us.add(agent)  # on a call the engine applies it after the call
        return Effects(events=[ev.AgentPause(agent, DEVICE_REASON)])

    def _device_up(self, agent: str) -> Effects:
        if agent not in self.paused_by_us:
            return Effects()
        self.paused_by_us.discard(agent)
        seen = self.agent_state(agent)
        if seen is not None and seen[1] == DEVICE_REASON:  # ours, in force or pending
            return Effects(events=[ev.AgentReady(agent)])
        return Effects()  # the agent changed the pause meanwhile (or logged out): theirs now


# The ACD's own channel variables; every other ACD_* header of AcdEnqueue is the IVR's.
_OURS = frozenset(
    {
        "ACD_CALL_ID",
        "ACD_ROLE",
        "ACD_AGENT",
        "ACD_OFFER_ID",
        "ACD_QUEUE",
        "ACD_PRIORITY",
        "ACD_SKILLS",
    }
)


def ivr_attributes(msg: Event) -> dict[str, str]:
    """``ACD_ACCOUNT: 123`` on the dialplan's AcdEnqueue as ``{"account": "123"}``: what the
    IVR learnt, for the agent's screen. Empty values are left out; the rest are capped."""
    out: dict[str, str] = {}
    for key in msg:
        up = key.upper()
        if not up.startswith("ACD_") or up in _OURS or len(out) >= ev.MAX_ATTRIBUTES:
            continue
        value = (msg.get(key) or "").strip()[: ev.MAX_ATTRIBUTE_CHARS]
        name = up[4:].lower()[:64]
        if value and name:
            out[name] = value
    return out
