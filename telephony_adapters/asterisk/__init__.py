"""The Asterisk adapter: the ACD holds the queues and decides, Asterisk holds the media.

``CallFlows`` is the sans-I/O mapping (AMI events to engine events, engine commands to AMI
actions, reconciliation after a reconnect); ``AsteriskSettings`` is its configuration
(``adapter.asterisk``). Only these pure parts are re-exported, so validating a configuration
loads no asyncio: ``telephony_adapters.asterisk.adapter.AsteriskAdapter`` runs the flows over an
``AmiClient`` for the live driver. The dialplan and manager.conf it expects are in
``deploy/asterisk/``.
"""

from telephony_adapters.asterisk.flows import (
    CHANNEL_VARS,
    DEVICE_REASON,
    CallFlows,
    Effects,
    Phase,
    failure_reason,
    parse_skills,
)
from telephony_adapters.asterisk.settings import AsteriskSettings, Contexts, Reconnect

__all__ = [
    "CHANNEL_VARS",
    "DEVICE_REASON",
    "AsteriskSettings",
    "CallFlows",
    "Contexts",
    "Effects",
    "Phase",
    "Reconnect",
    "failure_reason",
    "parse_skills",
]
