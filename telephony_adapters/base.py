"""The adapter contract: how the telephony side meets the engine.

An adapter carries out the engine's commands and turns what happens on the PBX into engine
events. The simulated trunk and the Asterisk (AMI) adapter both meet this protocol; drivers
(simulation or live asyncio) move events and commands between adapter and engine.
"""

from __future__ import annotations

from typing import Protocol

from acd.commands import Command


class Adapter(Protocol):
    def execute(self, command: Command, now: float) -> None:
        """Carry out one engine command issued at ``now``."""
