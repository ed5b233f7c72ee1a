"""Simulated inbound callers of one queue: Poisson arrivals at a rate per interval of the day,
their handle times and patience."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from random import Random

from acd.config.simulation import Traffic
from acd.config.types import hhmm_seconds

DAY = 86400.0


def rate_segments(
    traffic: Traffic, start_tod: float, horizon: float
) -> list[tuple[float, float, float]]:
    """Piecewise-constant arrival rate as (t0, t1, calls per second) over [0, horizon)."""
    if traffic.calls_per_hour is not None:
        return [(0.0, horizon, traffic.calls_per_hour / 3600.0)]
    prof = [(hhmm_seconds(i.start), i.calls_per_hour / 3600.0) for i in traffic.profile or []]

    def rate_at(tod: float) -> float:
        r = prof[-1][1]  # before the first interval the day wraps to the last one
        for s, rate in prof:
            if s <= tod:
                r = rate
        return r

    # Boundaries in simulation time: every profile start, each day, inside the horizon.
    bounds = {0.0, horizon}
    day0 = -start_tod
    while day0 < horizon:
        for s, _ in prof:
            t = day0 + s
            if 0 < t < horizon:
                bounds.add(t)
        day0 += DAY
    pts = sorted(bounds)
    return [(a, b, rate_at((start_tod + a) % DAY)) for a, b in itertools.pairwise(pts)]


class QueueGen:
    """One queue's callers: when the next one arrives, how long they talk and wait."""

    __slots__ = ("_i", "_rng", "handle", "name", "patience", "priority", "repeat", "segments")

    def __init__(
        self,
        name: str,
        traffic: Traffic,
        segments: list[tuple[float, float, float]],
        rng: Random,
        handle: Callable[[], float],
        patience: Callable[[], float] | None,
    ) -> None:
        self.name = name
        self.priority = traffic.priority
        self.repeat = traffic.repeat_share
        self.segments = segments
        self._rng = rng
        self._i = 0
        self.handle = handle
        self.patience = patience

    def handle_at(self, now: float) -> float:
        """The talk of a call an agent answers at ``now`` (the same all day)."""
        return self.handle()

    def next_arrival(self, after: float) -> float | None:
        t = after
        while self._i < len(self.segments):
            t0, t1, rate = self.segments[self._i]
            t = max(t, t0)
            if rate > 0:
                t += self._rng.expovariate(rate)
                if t < t1:
                    return t
            # Poisson arrivals are memoryless: restart the draw at the next boundary.
            self._i += 1
            t = t1
        return None
