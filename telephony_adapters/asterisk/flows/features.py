"""Agents' phone feature codes: the dialplan's ``UserEvent(AcdFeature,Code: c,Arg: n,Device: d)``
([acd-features] in extensions.conf) becomes the engine event the REST API would submit.

``*45`` logs in (ready) or out, ``*46`` pauses (``features.pause_reason``) or unpauses, ``*46<n>``
pauses with the reason of digit n, ``*47<n>`` sets the disposition of digit n. A device no agent
has, a digit not configured, a wrong or missing PIN: logged and ignored. The PIN itself is never
logged.
"""

from __future__ import annotations

import re

from acd import events as ev
from telephony_adapters.ami.messages import Event
from telephony_adapters.asterisk.flows.legs import Effects, log
from telephony_adapters.asterisk.flows.progress import ProgressMixin
from telephony_adapters.asterisk.pins import check_pin

_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]+(;[12])?$")


class FeaturesMixin(ProgressMixin):
    def _feature_device(self, msg: Event) -> str:
        """The phone's device (``SIP/agent1``): the Device header is ``${CHANNEL(peername)}``,
        a peer name without its technology, which the channel's name supplies."""
        channel = msg.get("Channel") or ""
        device = (msg.get("Device") or "").strip()
        if "/" in device:
            return device
        tech = channel.partition("/")[0]
        if device and tech:
            return f"{tech}/{device}"
        return _CHANNEL_SUFFIX.sub("", channel)

    def _on_feature(self, msg: Event) -> Effects:
        code = (msg.get("Code") or "").strip()
        arg = (msg.get("Arg") or "").strip()
        device = self._feature_device(msg)
        agent = self.agent_for(device) if device else None
        what = f"feature *{code}{arg} from {device or msg.get('Channel') or '?'}"
        if agent is None:
            log.warning("%s: no agent has this device: ignored", what)
            return Effects()
        stored = self.settings.features.pins.get(agent)
        if stored is not None and not check_pin(stored, (msg.get("Pin") or "").strip()):
            log.warning("%s (agent %s): wrong or missing PIN: ignored", what, agent)
            return Effects()
        seen = self.agent_state(agent)
        state = seen[0] if seen is not None else ""
        event = self._feature_event(agent, code, arg, state)
        if event is None:
            log.warning("%s (agent %s, %s): not a configured code: ignored", what, agent, state)
            return Effects()
        log.info("%s: agent %s %s", what, agent, type(event).__name__)
        return Effects(events=[event])

    def _feature_event(self, agent: str, code: str, arg: str, state: str) -> ev.Event | None:
        features = self.settings.features
        if code == "45" and not arg:
            return ev.AgentLogin(agent) if state in ("", "logged_out") else ev.AgentLogout(agent)
        if code == "46" and not arg:
            if state == "paused":
                return ev.AgentReady(agent)
            return ev.AgentPause(agent, features.pause_reason)
        if code == "46" and arg in features.pause_reasons:
            return ev.AgentPause(agent, features.pause_reasons[arg])
        if code == "47" and arg in features.dispositions:
            return ev.SetDisposition(agent, features.dispositions[arg])
        return None
