"""The :class:`CallFlows` facade: one object, one mixin per concern (see the package docstring),
sharing the state declared in :mod:`.base`, which ``__init__`` sets up in full.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from telephony_adapters.ami.messages import Event
from telephony_adapters.asterisk.flows.ami_events import AmiEventsMixin
from telephony_adapters.asterisk.flows.base import AgentLookup
from telephony_adapters.asterisk.flows.commands import CommandsMixin
from telephony_adapters.asterisk.flows.feedback import FeedbackMixin
from telephony_adapters.asterisk.flows.legs import Call, Effects, Leg
from telephony_adapters.asterisk.flows.resync import ResyncMixin
from telephony_adapters.asterisk.flows.spy import Spy
from telephony_adapters.asterisk.settings import AsteriskSettings


class CallFlows(AmiEventsMixin, CommandsMixin, FeedbackMixin, ResyncMixin):
    """Feed it what arrives (``on_event``, ``on_command``, ``on_refused``, ``on_action_failed``,
    ``resync``); carry out the ``Effects`` it returns, in order."""

    def __init__(
        self,
        settings: AsteriskSettings,
        *,
        agent_state: AgentLookup | None = None,
        id_prefix: str = "acd",
        surveys: dict[str, int] | None = None,
        callbacks: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        # Queues that take callbacks: their callers may press the digit (ACD_CALLBACK=1).
        self.callbacks = callbacks
        # Queues with a post-call survey (queue -> its scale), and callers in one (Uniqueid ->
        # (call id, scale)) until they hang up.
        self.surveys: dict[str, int] = dict(surveys or {})
        self.surveyed: dict[str, tuple[str, int]] = {}
        self.agent_state: AgentLookup = agent_state or (lambda _agent: None)
        self.id_prefix = id_prefix
        self.calls: dict[str, Call] = {}
        self.legs: dict[str, Leg] = {}
        self.pending: dict[str, tuple[str, str]] = {}
        self.originated: set[str] = set()
        self.doomed: dict[str, str] = {}
        self.after_play: dict[str, str] = {}
        self.played_for: dict[str, str] = {}
        self.paused_by_us: set[str] = set()
        self._ended: dict[str, None] = {}
        self.failed_dials: dict[str, None] = {}
        self.spies: dict[str, Spy] = {}
        self._spy_actions: dict[str, Spy] = {}
        self.seq = 0
        self._ids = 0
        self._devices = {dev: agent for agent, dev in settings.agent_devices.items()}
        head, _, tail = settings.agent_device.partition("{agent_id}")
        self._device_re = re.compile(f"^{re.escape(head)}(?P<agent>[^/@&,]+){re.escape(tail)}$")
        self._handlers: dict[str, Callable[[Event], Effects]] = {
            "Newchannel": self._on_channel,
            "Newstate": self._on_channel,
            "NewCallerid": self._on_channel,
            "VarSet": self._on_varset,
            "DialBegin": self._on_dest,
            "DialEnd": self._on_dest,
            "BridgeEnter": self._on_bridge,
            "BridgeLeave": self._on_bridge,
            "Rename": self._on_rename,
            "Hangup": self._on_hangup,
            "OriginateResponse": self._on_originate_response,
            "UserEvent": self._on_user_event,
            "DeviceStateChange": self._on_device_state,
            "PeerStatus": self._on_peer_status,
            "ChanSpyStart": self._on_chanspy,
            "ChanSpyStop": self._on_chanspy,
        }
