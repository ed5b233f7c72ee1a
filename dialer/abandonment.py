"""Abandonment the legal way: abandoned / live-answered, per campaign, over rolling windows.

Counts are kept in one-minute buckets, so the 24-hour and 30-day windows are exact to the
minute and survive a restart when the buckets are persisted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

BUCKET = 60.0
DAY = 86400.0
WINDOWS = {"24h": DAY, "30d": 30 * DAY}


class _Window:
    """Running sums over the buckets of one rolling window."""

    __slots__ = ("abandoned", "answered", "buckets", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.buckets: deque[list[float]] = deque()
        self.answered = 0
        self.abandoned = 0

    def add(self, ts: float, answered: int, abandoned: int) -> list[float]:
        """Count in the bucket of ``ts``; returns that bucket."""
        start = ts - ts % BUCKET
        b = self.buckets
        if b and b[-1][0] == start:
            b[-1][1] += answered
            b[-1][2] += abandoned
        else:
            b.append([start, answered, abandoned])
        self.answered += answered
        self.abandoned += abandoned
        return b[-1]

    def load(self, buckets: list[tuple[float, int, int]], now: float) -> None:
        """Hold the given buckets (sorted by start) that are still inside the window at now."""
        edge = now - self.seconds
        self.buckets = deque([s, a, b] for s, a, b in buckets if s + BUCKET > edge)
        self.answered = sum(int(x[1]) for x in self.buckets)
        self.abandoned = sum(int(x[2]) for x in self.buckets)

    def expire(self, now: float) -> None:
        edge = now - self.seconds
        b = self.buckets
        while b and b[0][0] + BUCKET <= edge:
            _, ans, ab = b.popleft()
            self.answered -= int(ans)
            self.abandoned -= int(ab)


class AbandonLedger:
    """Live answers and abandons per minute, with running sums for each legal window."""

    __slots__ = ("_dirty", "_windows", "abandoned_total", "answered_total")

    def __init__(self) -> None:
        self._windows = {name: _Window(seconds) for name, seconds in WINDOWS.items()}
        self.answered_total = 0
        self.abandoned_total = 0
        self._dirty: dict[float, list[float]] = {}  # changed buckets (the 30-day window's)

    def _add(self, ts: float, answered: int, abandoned: int) -> None:
        for name, w in self._windows.items():
            bucket = w.add(ts, answered, abandoned)
            if name == "30d":
                self._dirty[bucket[0]] = bucket

    def live_answer(self, ts: float) -> None:
        self._add(ts, 1, 0)
        self.answered_total += 1

    def abandon(self, ts: float) -> None:
        self._add(ts, 0, 1)
        self.abandoned_total += 1

    def drain_changes(self) -> list[tuple[float, int, int]]:
        """Buckets counted in since the last call, as absolute (start, answered, abandoned)."""
        out = [(s, int(a), int(b)) for s, a, b in self._dirty.values()]
        self._dirty = {}
        return out

    def restore(self, buckets: Iterable[tuple[float, int, int]], now: float) -> int:
        """Take saved buckets (as :meth:`snapshot` or :meth:`drain_changes` give them) in place of
        the ledger's: every window's counts at ``now`` and later are then exactly the saved
        ledger's. Returns how many buckets are within 30 days of ``now``."""
        merged: dict[float, tuple[float, int, int]] = {}
        for s, a, b in buckets:
            merged[float(s)] = (float(s), int(a), int(b))
        ordered = [merged[s] for s in sorted(merged)]
        for w in self._windows.values():
            w.load(ordered, now)
        self.answered_total = self._windows["30d"].answered
        self.abandoned_total = self._windows["30d"].abandoned
        self._dirty = {}
        return len(self._windows["30d"].buckets)

    def counts(self, now: float, seconds: float) -> tuple[int, int]:
        """(live answers, abandons) in the window (now - seconds, now], to the minute."""
        for w in self._windows.values():
            if w.seconds == seconds:
                w.expire(now)
                return w.answered, w.abandoned
        # Another length: sum the 30-day buckets (the windows above are the fast path).
        longest = self._windows["30d"]
        edge = now - seconds
        answered = abandoned = 0
        for start, ans, ab in reversed(longest.buckets):
            if start + BUCKET <= edge:
                break
            answered += int(ans)
            abandoned += int(ab)
        return answered, abandoned

    def ratio(self, now: float, seconds: float) -> float:
        answered, abandoned = self.counts(now, seconds)
        return abandoned / answered if answered else 0.0

    def snapshot(self) -> list[tuple[float, int, int]]:
        """The per-minute buckets of the last 30 days (for persistence)."""
        return [(s, int(a), int(b)) for s, a, b in self._windows["30d"].buckets]
