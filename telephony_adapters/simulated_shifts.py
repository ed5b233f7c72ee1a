"""Simulated agents' shifts: when each logs in and out, and how a simulated agent leaves.

An agent's shifts repeat every day of the scenario's clock. At a shift's start the agent logs
in; at its end it logs out once the call and the wrap-up in progress are over: the engine
holds a logout asked for during a call (``PENDING_MOVES``), and a logout during wrap-up is
sent when that wrap-up ends. The trunk sees the agent's state through an :class:`AgentDesk`
(what the agent's own desktop shows), which the edge that wires trunk and core provides.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Protocol

from acd.config.simulation import Shift
from acd.states import AgentState

DAY = 86400.0


class AgentDesk(Protocol):
    """What a simulated agent knows of itself (times in the trunk's clock)."""

    def state(self, agent_id: str) -> AgentState: ...

    def logout_pending(self, agent_id: str) -> bool: ...

    def wrap_ends(self, agent_id: str) -> float | None: ...


class ShiftDay:
    """One agent's shifts as the moments of the day its presence changes."""

    __slots__ = ("_edges", "_on")

    def __init__(self, shifts: list[Shift]) -> None:
        spans = [s.seconds() for s in shifts]
        edges: list[tuple[float, bool]] = []
        for start, end in spans:
            edges += [(float(start), True), (float(end) % DAY, False)]
        # A shift to 24:00 and one from 00:00 are one night shift: no edge at midnight.
        if spans and spans[-1][1] == DAY and spans[0][0] == 0:
            edges = [e for e in edges if e[0] != 0.0]
        edges.sort()
        if not edges:  # on all day: looked at again each midnight
            edges = [(0.0, True)]
        self._edges = [t for t, _ in edges]
        self._on = [on for _, on in edges]

    def on_shift(self, tod: float) -> bool:
        """Whether the agent works at this second of the day."""
        i = bisect_right(self._edges, tod) - 1
        return self._on[i]  # i = -1: before the first edge, as at the end of the day

    def next_edge(self, tod: float) -> float:
        """Seconds from ``tod`` to the next change of presence (strictly later)."""
        i = bisect_right(self._edges, tod)
        return self._edges[i] - tod if i < len(self._edges) else self._edges[0] + DAY - tod
