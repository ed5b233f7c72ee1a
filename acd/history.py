"""What a queue remembers of its recent calls, for the wait estimate (:mod:`acd.engine.ewt`).

Bounded samples, appended on the engine's hot path at O(1) each (a ``deque.append``); every
figure drawn from them (sorted handle times, rates, the abandonment hazard) is computed when an
estimate is read, not when a call moves. Samples:

- ``handle``: talk + hold of each call an agent of the queue finished;
- ``wrap``: each wrap-up after a call of the queue (as long as it really lasted);
- ``ring``: offer to answer of each answered offer;
- ``arrivals``: (time, call priority) of each call entering the queue;
- ``departures``: (wait, abandoned) of each call leaving the queue's waiting line (answered,
  abandoned, timed out...): the abandonment hazard is abandons over the time spent waiting.
"""

from __future__ import annotations

import bisect
from collections import deque

import numpy as np

SAMPLES = 512  # handle, wrap and ring times kept per queue
EVENTS = 256  # arrivals and departures kept per queue
# How far back arrival rates look, at most (seconds).
RATE_WINDOW = 1800.0
# The renewal excess (see :meth:`QueueHistory.renewal_excess`): its uniform grid, and how many
# new handle times make it worth computing again (a few more samples barely move it).
STEP = 5.0
HORIZON = 3600.0  # beyond it the excess has settled: held at its last value
RENEWAL_GRID = np.arange(0.0, HORIZON + STEP / 2, STEP)
STALE = 32


class QueueHistory:
    __slots__ = (
        "_excess",
        "_sorted",
        "arrivals",
        "departures",
        "handle",
        "handled_n",
        "ring",
        "wrap",
    )

    def __init__(self) -> None:
        self.handle: deque[float] = deque(maxlen=SAMPLES)
        self.wrap: deque[float] = deque(maxlen=SAMPLES)
        self.ring: deque[float] = deque(maxlen=SAMPLES)
        self.arrivals: deque[tuple[float, int]] = deque(maxlen=EVENTS)
        self.departures: deque[tuple[float, bool]] = deque(maxlen=EVENTS)
        self._sorted: tuple[int, list[float], list[float]] | None = None
        self.handled_n = 0  # handle times ever noted
        self._excess: tuple[int, float, np.ndarray] | None = None

    def handled(self, seconds: float) -> None:
        self.handle.append(seconds)
        self.handled_n += 1
        self._sorted = None

    # --- read side: computed on demand --------------------------------------------------------
    def sorted_handle(self) -> tuple[list[float], list[float]]:
        """The handle-time samples sorted, and their prefix sums (``sums[i]`` = the first i)."""
        if self._sorted is None:
            s = sorted(self.handle)
            sums = [0.0]
            for x in s:
                sums.append(sums[-1] + x)
            self._sorted = (len(s), s, sums)
        return self._sorted[1], self._sorted[2]

    def renewal_excess(self, shift: float) -> np.ndarray:
        """``U(x) - x / mean`` on a grid of ``STEP`` seconds up to ``HORIZON``, as its spectrum
        (``rfft`` over twice the grid, what the estimator convolves with): how many fewer (or
        more) times an agent who has just freed up frees up again within ``x`` than the steady
        rate says, for cycles of a recent handle time plus ``shift`` (wrap-up and ring). ``U`` is
        the renewal function, the sum over k of the k-fold convolutions of the cycle
        distribution. It starts below the rate (no second release before one cycle) and tends
        to ``(cv^2 - 1) / 2``: handle times less variable than exponential mean fewer releases
        than the rate counts, which the rate alone turns into waits estimated too short."""
        got = self._excess
        if got is not None and self.handled_n - got[0] < STALE and abs(got[1] - shift) < 1.0:
            return got[2]
        m = len(RENEWAL_GRID)
        cycles = np.asarray(self.handle, dtype=float) + shift
        if not len(cycles) or cycles.mean() <= 0:
            excess = np.zeros(m)
        else:
            pmf = np.bincount(np.clip(np.rint(cycles / STEP).astype(int), 1, m), minlength=m + 1)[
                :m
            ] / len(cycles)
            size = 2 * m
            spectrum = np.fft.rfft(pmf, size)
            renewals = np.zeros(m)
            k = pmf.copy()
            while k.sum() > 1e-6:  # the k-fold convolutions still reaching into the horizon
                renewals += np.cumsum(k)
                k = np.fft.irfft(np.fft.rfft(k, size) * spectrum, size)[:m].clip(0.0)
            excess = renewals - RENEWAL_GRID / cycles.mean()
        spectrum_out = np.fft.rfft(excess, 2 * m)  # what the estimator convolves with
        self._excess = (self.handled_n, shift, spectrum_out)
        return spectrum_out

    def mean_handle(self) -> float | None:
        return sum(self.handle) / len(self.handle) if self.handle else None

    def mean_wrap(self, configured: float) -> float:
        return sum(self.wrap) / len(self.wrap) if self.wrap else configured

    def mean_ring(self) -> float:
        return sum(self.ring) / len(self.ring) if self.ring else 0.0

    def hazard(self, waiting: float = 0.0) -> float:
        """Abandons per second of waiting, over the recent departures and ``waiting``: the
        seconds the callers still in the queue have waited (0 without any abandon)."""
        waited = waiting + sum(w for w, _ in self.departures)
        gone = sum(1 for _, ab in self.departures if ab)
        return gone / waited if waited > 0 else 0.0

    def arrival_rates(self, now: float) -> dict[int, float]:
        """Recent arrivals per second by call priority (empty with fewer than two arrivals)."""
        arr = self.arrivals
        if len(arr) < 2:
            return {}
        lo = max(arr[0][0], now - RATE_WINDOW)
        span = now - lo
        if span <= 0:
            return {}
        out: dict[int, float] = {}
        times = [t for t, _ in arr]
        for _, prio in list(arr)[bisect.bisect_left(times, lo) :]:
            out[prio] = out.get(prio, 0.0) + 1.0
        return {p: n / span for p, n in out.items()}
