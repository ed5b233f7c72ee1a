"""The Asterisk Manager Interface adapter: a sans-I/O codec, an asyncio client, an emulator.

``AmiCodec`` and ``Correlator`` are the protocol (bytes in, messages out; actions in, bytes out;
answers matched to actions by ActionID), with no sockets and no clock. ``AmiClient`` is the thin
asyncio layer that keeps a connection logged in. ``AmiEmulator`` is an Asterisk stand-in on
127.0.0.1 for tests and CI (``python -m telephony_adapters.ami.emulator``).
"""

from telephony_adapters.ami.client import AmiClient, Backoff
from telephony_adapters.ami.codec import AmiCodec, Completed, Correlator, Role
from telephony_adapters.ami.emulator import (
    AmiEmulator,
    OriginateOutcome,
    OriginatePlan,
    ReceivedAction,
)
from telephony_adapters.ami.messages import (
    Action,
    AmiActionError,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    AmiInvalidAction,
    AmiProtocolError,
    AmiTimeout,
    Banner,
    Event,
    EventListResult,
    Message,
    Response,
)

__all__ = [
    "Action",
    "AmiActionError",
    "AmiAuthError",
    "AmiClient",
    "AmiCodec",
    "AmiConnectionLost",
    "AmiEmulator",
    "AmiError",
    "AmiInvalidAction",
    "AmiProtocolError",
    "AmiTimeout",
    "Backoff",
    "Banner",
    "Completed",
    "Correlator",
    "Event",
    "EventListResult",
    "Message",
    "OriginateOutcome",
    "OriginatePlan",
    "ReceivedAction",
    "Response",
    "Role",
]
