"""The Asterisk Manager Interface protocol, sans-I/O: the codec and the messages.

``AmiCodec`` and ``Correlator`` are the protocol (bytes in, messages out; actions in, bytes out;
answers matched to actions by ActionID), with no sockets and no clock; ``messages`` holds what
they carry and the error tree. Only these pure parts are re-exported, so importing the codec
loads no asyncio: the asyncio client is ``telephony_adapters.ami.client.AmiClient``, and the
Asterisk stand-in for tests is ``telephony_adapters.testing.AmiEmulator``.
"""

from telephony_adapters.ami.codec import AmiCodec, Completed, Correlator, Role
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
    "AmiCodec",
    "AmiConnectionLost",
    "AmiError",
    "AmiInvalidAction",
    "AmiProtocolError",
    "AmiTimeout",
    "Banner",
    "Completed",
    "Correlator",
    "Event",
    "EventListResult",
    "Message",
    "Response",
    "Role",
]
