"""The Asterisk adapter: the ACD holds the queues and decides, Asterisk holds the media.

``CallFlows`` is the sans-I/O mapping (AMI events to engine events, engine commands to AMI
actions, reconciliation after a reconnect); ``AsteriskAdapter`` runs it over an ``AmiClient``
for the live driver; ``AsteriskSettings`` is its configuration (``adapter.asterisk``).
The dialplan and manager.conf it expects are in ``deploy/asterisk/``.
"""

from telephony_adapters.asterisk.adapter import AsteriskAdapter, Submitter
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
    "AsteriskAdapter",
    "AsteriskSettings",
    "CallFlows",
    "Contexts",
    "Effects",
    "Phase",
    "Reconnect",
    "Submitter",
    "failure_reason",
    "parse_skills",
]
