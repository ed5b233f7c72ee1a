"""Test doubles that ship with the package: ``AmiEmulator``, an Asterisk stand-in on 127.0.0.1.

For tests, CI, benchmarks and demos; nothing in the adapters imports this package, so the
emulator loads only where it is used (``python -m telephony_adapters.testing.ami_emulator``
runs it standalone).
"""

from telephony_adapters.testing.ami_emulator import AmiEmulator
from telephony_adapters.testing.ami_model import (
    Channel,
    OriginateOutcome,
    OriginatePlan,
    OriginateRule,
    ReceivedAction,
)

__all__ = [
    "AmiEmulator",
    "Channel",
    "OriginateOutcome",
    "OriginatePlan",
    "OriginateRule",
    "ReceivedAction",
]
