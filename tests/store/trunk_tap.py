"""``python trunk_tap.py TAPFILE run CONFIG ...``: the daemon, with its simulated trunk reporting
to TAPFILE every call it sees end, one ``<call id>`` a line, as the far end sees it: a caller or
a called party hanging up, a dial failing (no answer, busy, failed), or our side hanging up;
and to ``TAPFILE.dials`` every number it is asked to dial, one a line.

Tests compare this with the call records in the store, id by id: the daemon's own counters
play no part in it."""

from __future__ import annotations

import sys
from typing import Any

from acd import events as ev
from acd.cli import main
from acd.commands import Command, HangUp, Originate
from telephony_adapters.simulated import SimulatedTrunk


def tap(path: str) -> None:
    out = open(path, "a", buffering=1)  # noqa: SIM115 - open for the life of the process
    dials = open(path + ".dials", "a", buffering=1)  # noqa: SIM115
    pop, execute = SimulatedTrunk.pop, SimulatedTrunk.execute

    def ended(call_id: str) -> None:
        out.write(call_id + "\n")

    def tapped_pop(self: SimulatedTrunk) -> tuple[float, ev.Event | None]:
        t, event = pop(self)
        if isinstance(event, ev.CallHungUp | ev.OutboundFailed):
            ended(event.call_id)
        return t, event

    def tapped_execute(self: SimulatedTrunk, command: Command, now: float) -> Any:
        if isinstance(command, HangUp):
            ended(command.call_id)
        elif isinstance(command, Originate):
            dials.write(command.number + "\n")
        return execute(self, command, now)

    SimulatedTrunk.pop = tapped_pop  # type: ignore[method-assign]
    SimulatedTrunk.execute = tapped_execute  # type: ignore[method-assign]


if __name__ == "__main__":
    tap(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
