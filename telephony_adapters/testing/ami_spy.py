"""ChanSpy on the emulator, as ``tests/data/ami/asterisk-20.20.1-chanspy.txt`` shows Asterisk 20
doing it for [acd-spy]: the supervisor's device, originated into the spy context, answers
(OriginateResponse), then ``ChanSpyStart`` with the ``Spyer*`` and ``Spyee*`` snapshots; hanging up
the spying channel gives ``ChanSpyStop`` and its ``Hangup``; the end of the spied channel ends
every spy on it (``ChanSpyStop``, then the spy context's ``Hangup()``).

The capture's stuck case (a spied call without media whose spyers cannot be ended) is not copied.
"""

from __future__ import annotations

from telephony_adapters.ami.messages import Action
from telephony_adapters.testing.ami_model import CALL, Channel
from telephony_adapters.testing.ami_server import EmulatedPbx

SPY_CONTEXT = "acd-spy"


class ChanSpyMixin(EmulatedPbx):
    spies: dict[str, str]  # spying channel -> spied channel

    def _after_answer(self, ch: Channel, a: Action) -> None:
        """An answered Originate: in the spy context, ChanSpy() starts on ACD_SPY_TARGET."""
        if (a.get("Context") or "") != SPY_CONTEXT:
            return
        if not hasattr(self, "spies"):
            self.spies = {}
        target = ch.variables.get("ACD_SPY_TARGET", "")
        spyee = self.channels.get(target) or next(
            (c for name, c in self.channels.items() if target and name.startswith(target)), None
        )
        ch.priority = 2
        if spyee is None:  # nothing to spy on: ChanSpy() returns, the context hangs up
            self._hangup(ch, 16, request=False)
            return
        self.spies[ch.name] = spyee.name
        self._spy_event("ChanSpyStart", ch, spyee)

    def _spy_event(self, name: str, spyer: Channel, spyee: Channel | None) -> None:
        pairs = spyer.snapshot(self.manager_vars, "Spyer")
        if spyee is not None:
            pairs += spyee.snapshot(self.manager_vars, "Spyee")
        self._broadcast(name, CALL, pairs)

    def _hangup(self, ch: Channel, cause: int, request: bool = True) -> None:
        spies = getattr(self, "spies", {})
        spied = spies.pop(ch.name, None)
        if spied is not None:  # the spying channel goes: ChanSpy stops first
            self._spy_event("ChanSpyStop", ch, self.channels.get(spied))
            super()._hangup(ch, cause, request)
            return
        spyers = [self.channels[s] for s, t in spies.items() if t == ch.name and s in self.channels]
        super()._hangup(ch, cause, request)
        for spyer in spyers:  # the spied call ended: so does every spy on it
            del spies[spyer.name]
            self._spy_event("ChanSpyStop", spyer, None)
            super()._hangup(spyer, 16, request=False)
