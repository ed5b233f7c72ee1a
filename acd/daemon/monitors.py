"""Supervisors' monitors of agents' calls, at the daemon's edge: the engine knows nothing of
them (a monitor changes no state of the ACD), so the daemon sends the adapter (or the simulated
trunk) ``Monitor`` and ``StopMonitor`` commands itself and keeps the list of active ones.

A monitor ends when it is stopped (``DELETE``), when the agent's call ends or leaves the agent
(seen whenever the list is read or changed), or when the PBX ends it (the supervisor hung up:
the Asterisk flows no longer hold its spy leg).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

from acd.commands import Command, Monitor, StopMonitor
from acd.store.cdr import iso


@dataclass(slots=True)
class Active:
    monitor_id: str
    agent_id: str
    call_id: str
    mode: str
    device: str
    who: str  # the supervisor's principal
    started: float

    def view(self) -> dict[str, Any]:
        return asdict(self) | {"started": iso(self.started)}


class Monitors:
    def __init__(self, prefix: str = "m") -> None:
        self.active: dict[str, Active] = {}
        self._ids = itertools.count(1)
        self.prefix = prefix

    def start(
        self, agent_id: str, call_id: str, mode: str, device: str, who: str, now: float
    ) -> tuple[Active, Monitor]:
        mid = f"{self.prefix}-{next(self._ids)}"
        m = self.active[mid] = Active(mid, agent_id, call_id, mode, device, who, now)
        return m, Monitor(mid, agent_id, call_id, mode, device)

    def stop(self, agent_id: str) -> tuple[list[Active], list[Command]]:
        gone = [m for m in self.active.values() if m.agent_id == agent_id]
        for m in gone:
            del self.active[m.monitor_id]
        return gone, [StopMonitor(m.monitor_id) for m in gone]

    def prune(self, current_call: dict[str, str | None], live: set[str] | None) -> list[Command]:
        """End the monitors whose agent is no longer on their call (``current_call``: agent ->
        its call id) or that the PBX ended (``live``: the monitors the adapter still carries;
        None: it cannot tell)."""
        out: list[Command] = []
        for mid, m in list(self.active.items()):
            if current_call.get(m.agent_id) != m.call_id:
                del self.active[mid]
                out.append(StopMonitor(mid, "call_ended"))
            elif live is not None and mid not in live:
                del self.active[mid]
        return out

    def of(self, agent_id: str | None = None) -> list[dict[str, Any]]:
        return [m.view() for m in self.active.values() if agent_id in (None, m.agent_id)]
