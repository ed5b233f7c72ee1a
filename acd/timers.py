"""Timers as data: a heap of (due, seq, key) with cancellation by key.

Re-arming a key replaces its timer; stale heap entries are skipped on pop and the heap is
compacted when they outnumber the live ones, so memory stays proportional to live timers.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable


class Timers:
    __slots__ = ("_heap", "_live", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Hashable]] = []
        self._live: dict[Hashable, int] = {}
        self._seq = 0

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._live

    def set(self, key: Hashable, due: float) -> None:
        self._seq += 1
        self._live[key] = self._seq
        heapq.heappush(self._heap, (due, self._seq, key))
        if len(self._heap) > 64 and len(self._heap) > 3 * len(self._live):
            self._compact()

    def cancel(self, key: Hashable) -> None:
        self._live.pop(key, None)

    def due(self, key: Hashable) -> float | None:
        """When ``key``'s timer is due, or None; a scan (for views, not the event path)."""
        seq = self._live.get(key)
        if seq is None:
            return None
        return next((d for d, s, k in self._heap if s == seq and k == key), None)

    def next_due(self) -> float | None:
        heap, live = self._heap, self._live
        while heap:
            due, seq, key = heap[0]
            if live.get(key) == seq:
                return due
            heapq.heappop(heap)
        return None

    def pop_due(self, now: float) -> Hashable | None:
        """Remove and return the earliest key due at or before ``now``."""
        heap, live = self._heap, self._live
        while heap:
            due, seq, key = heap[0]
            if live.get(key) != seq:
                heapq.heappop(heap)
                continue
            if due > now:
                return None
            heapq.heappop(heap)
            del live[key]
            return key
        return None

    def _compact(self) -> None:
        live = self._live
        self._heap = [e for e in self._heap if live.get(e[2]) == e[1]]
        heapq.heapify(self._heap)
