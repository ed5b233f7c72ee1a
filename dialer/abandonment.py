"""Abandonment the legal way: abandoned / live-answered, per campaign, over rolling windows.

Counts are kept in one-minute buckets, so the 24-hour and 30-day windows are exact to the
minute and survive a restart when the buckets are persisted.
"""

from __future__ import annotations

from collections import deque

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

    def add(self, ts: float, answered: int, abandoned: int) -> None:
        start = ts - ts % BUCKET
        b = self.buckets
        if b and b[-1][0] == start:
            b[-1][1] += answered
            b[-1][2] += abandoned
        else:
            b.append([start, answered, abandoned])
        self.answered += answered
        self.abandoned += abandoned

    def expire(self, now: float) -> None:
        edge = now - self.seconds
        b = self.buckets
        while b and b[0][0] + BUCKET <= edge:
            _, ans, ab = b.popleft()
            self.answered -= int(ans)
            self.abandoned -= int(ab)


class AbandonLedger:
    """Live answers and abandons per minute, with running sums for each legal window."""

    __slots__ = ("_windows", "abandoned_total", "answered_total")

    def __init__(self) -> None:
        self._windows = {name: _Window(seconds) for name, seconds in WINDOWS.items()}
        self.answered_total = 0
        self.abandoned_total = 0

    def live_answer(self, ts: float) -> None:
        for w in self._windows.values():
            w.add(ts, 1, 0)
        self.answered_total += 1

    def abandon(self, ts: float) -> None:
        for w in self._windows.values():
            w.add(ts, 0, 1)
        self.abandoned_total += 1

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
