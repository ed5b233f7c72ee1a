"""Callbacks held for a given agent: per agent, a heap of ``(at, seq, lead index)``.

They wait apart from the due-lead heap so only that agent is offered them. Entries are deleted
lazily, as in :mod:`dialer.dueleads`: an entry is live while its sequence number is its lead's
token in the book's shared ``token`` list.
"""

from __future__ import annotations

import heapq

HeldEntry = tuple[float, int, int]  # (at, seq, lead index)


class HeldCallbacks:
    __slots__ = ("_heaps", "_token")

    def __init__(self, token: list[int]) -> None:
        self._token = token
        self._heaps: dict[str, list[HeldEntry]] = {}

    def append(self, agent_id: str, entry: HeldEntry) -> None:
        """Add without ordering (bulk restore): :meth:`heapify_all` must follow."""
        self._heaps.setdefault(agent_id, []).append(entry)

    def heapify_all(self) -> None:
        for heap in self._heaps.values():
            heapq.heapify(heap)

    def push(self, agent_id: str, entry: HeldEntry) -> None:
        heapq.heappush(self._heaps.setdefault(agent_id, []), entry)

    def live(self, agent_id: str) -> list[HeldEntry]:
        """The agent's heap with stale entries dropped from its head (an empty one is removed)."""
        heap = self._heaps.get(agent_id, [])
        tok = self._token
        while heap and tok[heap[0][2]] != heap[0][1]:
            heapq.heappop(heap)
        if not heap:
            self._heaps.pop(agent_id, None)
        return heap

    def agents_due(self, now: float) -> list[str]:
        """Agents with a callback for them due at ``now`` (costs O(agents with callbacks))."""
        return [a for a in list(self._heaps) if (h := self.live(a)) and h[0][0] <= now]

    def due(self, agent_id: str, now: float) -> list[HeldEntry]:
        """The agent's entries due at ``now``, earliest first (some may be stale)."""
        return sorted(e for e in self.live(agent_id) if e[0] <= now)
