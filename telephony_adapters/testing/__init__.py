"""Test doubles that ship with the package: ``AmiEmulator``, an Asterisk stand-in on 127.0.0.1.

For tests, CI, benchmarks and demos; nothing in the adapters imports this package, so the
emulator loads only where it is used. ``python -m telephony_adapters.testing`` runs it
standalone. The names below are imported on first use, so that running a module of this
package with ``python -m`` does not import it twice.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telephony_adapters.testing.ami_emulator import AmiEmulator
    from telephony_adapters.testing.ami_model import (
        Channel,
        OriginateOutcome,
        OriginatePlan,
        OriginateRule,
        ReceivedAction,
    )

_WHERE = {
    "AmiEmulator": "ami_emulator",
    "Channel": "ami_model",
    "OriginateOutcome": "ami_model",
    "OriginatePlan": "ami_model",
    "OriginateRule": "ami_model",
    "ReceivedAction": "ami_model",
}
__all__ = [
    "AmiEmulator",
    "Channel",
    "OriginateOutcome",
    "OriginatePlan",
    "OriginateRule",
    "ReceivedAction",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
