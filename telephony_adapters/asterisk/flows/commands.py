"""Engine commands in, AMI actions out: offers ring agents, cancels and hang-ups end legs, moves
return callers to hold, outbound calls are originated, and messages are played.
"""

from __future__ import annotations

import re

from acd import events as ev
from acd.commands import (
    Announce,
    CancelOffer,
    Command,
    HangUp,
    Monitor,
    MoveToQueue,
    OfferCall,
    Originate,
    PlayMessage,
    ShowPreview,
    StopMonitor,
)
from telephony_adapters.ami.messages import Action, AmiInvalidAction
from telephony_adapters.asterisk.flows.legs import (
    V_AFTER_PLAY,
    V_CALL_ID,
    V_LANGUAGE,
    V_MESSAGE,
    V_ROLE,
    V_SAY_MINUTES,
    V_SAY_POSITION,
    Call,
    Effects,
    Phase,
    log,
)
from telephony_adapters.asterisk.flows.spy import SpyMixin
from telephony_adapters.asterisk.settings import is_sound_name

_NUMBER = re.compile(r"^[A-Za-z0-9+*#._-]{1,64}$")


class CommandsMixin(SpyMixin):
    def on_command(self, cmd: Command) -> Effects:
        self.seq += 1
        if isinstance(cmd, OfferCall):
            return self._offer(cmd)
        if isinstance(cmd, CancelOffer):
            return self._cancel(cmd)
        if isinstance(cmd, HangUp):
            return self._hangup(cmd)
        if isinstance(cmd, MoveToQueue):
            return self._move(cmd)
        if isinstance(cmd, Originate):
            return self._originate(cmd)
        if isinstance(cmd, PlayMessage):
            return self._play(cmd)
        if isinstance(cmd, Monitor):
            return self._monitor(cmd)
        if isinstance(cmd, StopMonitor):
            return self._stop_monitor(cmd)
        if isinstance(cmd, Announce):
            return self._announce(cmd)
        if isinstance(cmd, ShowPreview):
            return Effects()  # the agent sees the lead in the API and the wallboard, not the PBX
        log.warning("unknown command %r: ignored", cmd)
        return Effects()

    def _offer(self, cmd: OfferCall) -> Effects:
        call = self.calls.get(cmd.call_id)
        caller = self.legs.get(call.caller) if call and call.caller else None
        if call is None or caller is None:
            log.warning("offer of call %s, which is not on the PBX: ignored", cmd.call_id)
            return Effects()
        try:
            action = self._agent_leg(call, caller, cmd.agent_id, cmd.auto_answer, cmd.ring_timeout)
        except AmiInvalidAction as exc:
            log.warning("call %s: offer to %s cannot be sent: %s", cmd.call_id, cmd.agent_id, exc)
            return Effects(events=[ev.OfferFailed(cmd.call_id, cmd.agent_id, "failed")])
        return Effects(actions=[action])

    def _cancel(self, cmd: CancelOffer) -> Effects:
        call = self.calls.get(cmd.call_id)
        offer = call.offers.pop(cmd.agent_id, None) if call else None
        if offer is None or offer.leg is None:
            # Not rung yet, or its leg not seen yet: hung up when it shows (or never sent).
            return Effects()
        leg = self.legs.get(offer.leg)
        return self._hangup_leg(leg) if leg is not None else Effects()

    def _hangup(self, cmd: HangUp) -> Effects:
        call = self.calls.pop(cmd.call_id, None)
        if call is None:
            return Effects()
        out = Effects()
        caller = self.legs.get(call.caller) if call.caller else None
        if caller is not None and call.playing:
            # Let the message finish: the play context hangs up after it.
            self.legs.pop(caller.uniqueid, None)
            self.after_play[caller.uniqueid] = caller.channel
            self.played_for[caller.uniqueid] = call.call_id
            out.actions.append(self._setvar(caller.channel, V_AFTER_PLAY, "hangup"))
        elif caller is not None:
            out.add(self._hangup_leg(caller))
        for offer in call.offers.values():
            leg = self.legs.get(offer.leg) if offer.leg else None
            if leg is not None:
                out.add(self._hangup_leg(leg))
        return out

    def _move(self, cmd: MoveToQueue) -> Effects:
        call = self.calls.get(cmd.call_id)
        if call is None:
            return Effects()
        moved_off = call.queue in self.callbacks and cmd.queue not in self.callbacks
        moved_on = cmd.queue in self.callbacks and call.queue not in self.callbacks
        call.queue = cmd.queue
        out = Effects()
        caller = self.legs.get(call.caller) if call.caller else None
        if caller is not None and (moved_on or moved_off):  # the digit follows the queue
            out.actions.append(
                self._setvar(caller.channel, "ACD_CALLBACK", "1" if moved_on else "")
            )
        if call.phase is not Phase.CONNECTED or call.agent is None:
            return out  # still on hold: nothing else changes on the PBX
        # Transferred back from an agent: the agent's leg goes, the caller returns to hold.
        offer = call.offers.pop(call.agent, None)
        call.phase, call.agent = Phase.WAITING, None
        leg = self.legs.get(offer.leg) if offer and offer.leg else None
        if leg is not None:
            out.add(self._hangup_leg(leg))
        if caller is not None:
            out.actions.append(self._redirect(caller.channel, self.settings.contexts.hold))
        return out

    def _originate(self, cmd: Originate) -> Effects:
        if cmd.call_id in self.originated:
            log.warning("call %s was originated already: not sent again", cmd.call_id)
            return Effects()
        self.originated.add(cmd.call_id)
        if not _NUMBER.match(cmd.number):
            log.warning("call %s: number %r cannot be dialled", cmd.call_id, cmd.number)
            return Effects(events=[ev.OutboundFailed(cmd.call_id, "failed")])
        aid = self.next_action_id()
        pairs: list[tuple[str, str | int | bool]] = [
            ("Channel", self.settings.outbound_channel.format(number=cmd.number)),
            ("Context", self.settings.contexts.outbound),
            ("Exten", "s"),
            ("Priority", 1),
            ("Timeout", max(1, round(cmd.ring_timeout * 1000))),
        ]
        caller_id = cmd.caller_id or self.settings.outbound_caller_id
        if caller_id:
            pairs.append(("CallerID", caller_id))
        pairs.append(("Async", True))
        variables = [f"{V_CALL_ID}={cmd.call_id}", f"{V_ROLE}=outbound"]
        if not cmd.amd:
            variables.append("ACD_AMD=off")  # [acd-outbound] skips AMD()
        try:
            action = Action("Originate", pairs, Variable=variables, action_id=aid)
        except AmiInvalidAction as exc:
            log.warning("call %s cannot be originated: %s", cmd.call_id, exc)
            return Effects(events=[ev.OutboundFailed(cmd.call_id, "failed")])
        self.pending[aid] = (cmd.call_id, "")
        self.calls[cmd.call_id] = Call(
            cmd.call_id,
            "outbound",
            Phase.DIALING,
            number=cmd.number,
            action_id=aid,
            touched=self.seq,
            target=cmd.agent_id,
            amd=cmd.amd,
        )
        return Effects(actions=[action])

    def _play(self, cmd: PlayMessage) -> Effects:
        call = self.calls.get(cmd.call_id)
        caller = self.legs.get(call.caller) if call and call.caller else None
        if call is None or caller is None:
            return Effects()
        # Not played: said at once, so a record waiting for the message's end need not wait.
        unplayed = Effects(events=[ev.MessagePlayed(call.call_id, complete=False)])
        if call.phase is Phase.CONNECTED:
            log.warning(
                "message for call %s, which is talking to an agent: not played", call.call_id
            )
            return unplayed
        sound = self.settings.messages.get(cmd.message, cmd.message)
        if not is_sound_name(sound):
            log.warning(
                "message %r has no sound file (adapter.asterisk.messages): not played", cmd.message
            )
            return unplayed
        call.playing = True
        return Effects(
            actions=[
                self._setvar(caller.channel, V_MESSAGE, sound),
                self._setvar(caller.channel, V_AFTER_PLAY, "hold"),
                self._redirect(caller.channel, self.settings.contexts.play),
            ]
        )

    def _announce(self, cmd: Announce) -> Effects:
        """Position, wait and message prompts in acd-announce, then back to the music: the
        caller's place is the engine's, so leaving MusicOnHold loses nothing."""
        call = self.calls.get(cmd.call_id)
        caller = self.legs.get(call.caller) if call and call.caller else None
        if call is None or caller is None or call.phase is not Phase.WAITING or call.playing:
            return Effects()  # gone, ringing an agent, connected, or still saying the last one
        sound = ""
        if cmd.message:
            sound = self.settings.messages.get(cmd.message, cmd.message)
            if not is_sound_name(sound):
                log.warning("message %r has no sound file: not played", cmd.message)
                sound = ""
        if cmd.position is None and cmd.minutes is None and not sound:
            return Effects()
        call.playing = True
        ch = caller.channel
        values = (
            (V_SAY_POSITION, "" if cmd.position is None else str(cmd.position)),
            (V_SAY_MINUTES, "" if cmd.minutes is None else str(cmd.minutes)),
            (V_MESSAGE, sound),
            (V_LANGUAGE, cmd.language),
            (V_AFTER_PLAY, "hold"),
        )
        actions = [self._setvar(ch, name, value) for name, value in values]
        actions.append(self._redirect(ch, self.settings.contexts.announce))
        return Effects(actions=actions)

    def _setvar(self, channel: str, name: str, value: str) -> Action:
        return self._action("Setvar", [("Channel", channel), ("Variable", name), ("Value", value)])

    def _redirect(self, channel: str, context: str) -> Action:
        pairs: list[tuple[str, str | int | bool]] = [
            ("Channel", channel),
            ("Context", context),
            ("Exten", "s"),
            ("Priority", 1),
        ]
        return self._action("Redirect", pairs)
