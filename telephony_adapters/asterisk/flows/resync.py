"""Reconciliation after a reconnect: the channels Asterisk has now (CoreShowChannels) against the
legs, offers and calls we keep, trusting whatever an event touched since the resync began.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from acd import events as ev
from telephony_adapters.ami.messages import Event
from telephony_adapters.asterisk.flows.legs import (
    UP,
    V_CALL_ID,
    V_PRIORITY,
    V_QUEUE,
    V_ROLE,
    V_SKILLS,
    Call,
    Effects,
    Leg,
    Phase,
    _int,
    ours,
)
from telephony_adapters.asterisk.flows.progress import ProgressMixin


class ResyncMixin(ProgressMixin):
    def resync_mark(self) -> int:
        """Call before asking for CoreShowChannels; pass the mark to ``resync``."""
        self.seq += 1
        return self.seq

    def resync(self, channels: Iterable[Event], mark: int) -> Effects:
        """Reconcile with the channels Asterisk has now (CoreShowChannel items).

        A leg or record touched by an event since ``mark`` is newer than the snapshot and is
        trusted over it. The rules: our call whose caller vanished ends (``CallHungUp`` caller;
        an outbound call being answered ends ``OutboundFailed``); an agent's leg that vanished
        fails the offer (``OfferFailed``) or ends the conversation (``CallHungUp`` agent); an
        agent leg found up is an answer; an Originate whose answer was lost is matched by its
        ``ACD_CALL_ID`` (and ``ACD_OFFER_ID``), never sent again, and fails when no channel
        carries it; legs we hung up that are still there are hung up again; a channel carrying
        ``ACD_QUEUE`` in no bridge that we do not know is a caller taken up (``CallArrived``);
        an unbridged leg tagged agent/outbound for a call we do not know is hung up.
        """
        self.seq += 1
        present: dict[str, Event] = {}
        for item in channels:
            uid = item.get("Uniqueid")
            if not uid:
                continue
            present[uid] = item
            leg = self._observe(
                uid,
                item.get("Channel") or "",
                _int(item.get("ChannelState")),
                ours(item.variables("ChanVariable")),
            )
            if leg is not None:
                leg.bridge = item.get("BridgeId") or ""
        out = Effects()
        for uid, channel in list(self.doomed.items()):  # our Hangup was lost: again
            if uid in present:
                out.actions.append(self._action("Hangup", [("Channel", channel), ("Cause", 16)]))
            else:
                del self.doomed[uid]
        for call in list(self.calls.values()):
            out.add(self._resync_call(call, present, mark))
        for uid, channel in list(self.after_play.items()):
            where = present.get(uid)
            if where is None:
                del self.after_play[uid]
                self.played_for.pop(uid, None)  # gone: whether it heard the end is unknown
            elif where.get("Context") == self.settings.contexts.hold:  # message over, on hold
                del self.after_play[uid]
                call_id = self.played_for.pop(uid, None)
                if call_id is not None:  # it heard the message out; the AcdPlayed was lost
                    out.events.append(ev.MessagePlayed(call_id))
                self.doomed[uid] = channel
                out.actions.append(self._action("Hangup", [("Channel", channel), ("Cause", 16)]))
        for uid, item in present.items():
            leg = self.legs.get(uid)
            if leg is None or leg.role or uid in self.doomed:
                continue
            role = leg.vars.get(V_ROLE, "")
            if leg.vars.get(V_QUEUE) and role in ("", "caller") and not leg.bridge:
                out.add(
                    self._take_up(
                        uid,
                        leg.channel,
                        leg.vars[V_QUEUE],
                        leg.vars.get(V_PRIORITY),
                        leg.vars.get(V_SKILLS),
                        item.get("CallerIDNum"),
                    )
                )
            elif role in ("agent", "outbound"):
                self._claim(leg)
                if leg.role and leg.call_id not in self.calls:
                    out.add(self._stray(leg, None))
        for uid in [u for u, leg in self.legs.items() if u not in present and leg.touched <= mark]:
            del self.legs[uid]  # gone while we were away, and no call of ours needed it
        return out

    def _find(self, present: dict[str, Event], call_id: str, role: str, **more: str) -> Leg | None:
        for uid, item in present.items():
            leg = self.legs.get(uid)
            if leg is None or uid in self.doomed or (leg.role and leg.role != role):
                continue
            v = leg.vars
            wanted = {V_CALL_ID: call_id, V_ROLE: role, **more}
            if all(v.get(k) == want for k, want in wanted.items()):
                leg.bridge = item.get("BridgeId") or leg.bridge
                return leg
        return None

    def _resync_call(self, call: Call, present: dict[str, Event], mark: int) -> Effects:
        gone = self._gone(present, mark)
        if call.caller is None and call.direction == "outbound" and call.phase is Phase.DIALING:
            leg = self._find(present, call.call_id, "outbound")
            if leg is not None:
                self._adopt(leg.uniqueid, leg.channel, "outbound", call.call_id)
                self.pending.pop(call.action_id, None)  # its OriginateResponse went by
                call.caller = leg.uniqueid
                return self._outbound_up(call) if leg.state == UP else Effects()
            if call.touched > mark:
                return Effects()  # sent since the resync began
            self.pending.pop(call.action_id, None)
            self.calls.pop(call.call_id, None)
            return Effects(events=[ev.OutboundFailed(call.call_id, "failed")])
        if call.caller is not None and gone(call.caller):
            self.legs.pop(call.caller, None)
            if call.phase is Phase.DIALING:
                return self._end_call(call, ev.OutboundFailed(call.call_id, "no_answer"))
            if call.phase is Phase.AMD:
                return self._end_call(call, ev.OutboundFailed(call.call_id, "no_answer"))
            return self._end_call(call, ev.CallHungUp(call.call_id, "caller"))
        if call.caller is not None and call.phase is Phase.DIALING:
            leg = self.legs.get(call.caller)
            if leg is not None and leg.state == UP:
                return self._outbound_up(call)
        if call.phase is Phase.AMD:
            return self._progress(self.legs[call.caller]) if call.caller in self.legs else Effects()
        out = Effects()
        for offer in list(call.offers.values()):
            if offer.leg is None:
                leg = self._find(
                    present,
                    call.call_id,
                    "agent",
                    ACD_AGENT=offer.agent_id,
                    ACD_OFFER_ID=offer.action_id,
                )
                if leg is not None:
                    self._adopt(leg.uniqueid, leg.channel, "agent", call.call_id, offer.agent_id)
                    self.pending.pop(offer.action_id, None)  # its OriginateResponse went by
                    offer.leg = leg.uniqueid
                elif offer.touched <= mark:
                    del call.offers[offer.agent_id]
                    self.pending.pop(offer.action_id, None)
                    out.events.append(ev.OfferFailed(call.call_id, offer.agent_id, "failed"))
                    continue
                else:
                    continue
            if gone(offer.leg or ""):
                self.legs.pop(offer.leg or "", None)
                if call.phase is Phase.CONNECTED and call.agent == offer.agent_id:
                    return out.add(self._end_call(call, ev.CallHungUp(call.call_id, "agent")))
                del call.offers[offer.agent_id]
                self.pending.pop(offer.action_id, None)
                if not offer.answered:
                    out.events.append(ev.OfferFailed(call.call_id, offer.agent_id, "failed"))
                continue
            leg = self.legs.get(offer.leg or "")
            if leg is not None and leg.state == UP and not offer.answered:
                out.add(self._answered(call, offer))
        return out

    def _gone(self, present: dict[str, Event], mark: int) -> Callable[[str], bool]:
        def gone(uid: str) -> bool:
            if uid in present:
                return False
            leg = self.legs.get(uid)
            return leg is None or leg.touched <= mark

        return gone
