"""The predictive pacer's model: for each batch size, the probability that a live answer of a
call placed now finds no agent free within the connect window (see ``dialer.pacing``).

A decision comes about twice a second at 100 agents and must stay cheap, so:

- what depends only on a fit (when live answers come, the wrap-up curve on the talk-end grid)
  is kept until that fit moves (the ring-time fit stays put over about three decisions in
  four, the wrap-up fit over one in two);
- every busy agent and every call in flight is a column of one array (the calls of a batch,
  dialed at the same moment, share one: a quarter fewer columns at 100 agents), so that each
  step of the model is one numpy call for all of them: at a few hundred elements a call's
  overhead, not its arithmetic, is much of the cost;
- what does not depend on the batch size is summed once per decision, and linear steps
  (differences, integrals, sums over columns) are products with matrices made once.

The model is the one described in ``dialer.pacing``, its formulas in another order: its
probabilities move in the last bits only (1e-14 against the model computed as written), and
the pacer's decisions not at all on the recorded campaigns (tests/dialer/test_pacing_decisions.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from dialer.estimators import Frozen

if TYPE_CHECKING:
    from dialer.pacing import PacingInput

# When a live answer may come, from a call placed now (seconds; the first is now).
HORIZONS = np.array([0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 18.0, 22.0, 26.0, 32.0])
TALK_GRID = np.arange(0.0, 36.0, 2.0)  # when a talk may end, within the longest horizon
_NH, _NU = len(HORIZONS), len(TALK_GRID)
_MID = 0.5 * (TALK_GRID[1:] + TALK_GRID[:-1])  # the middle of each talk-end step
# Adding a horizon of 0 leaves an elapsed time as it is: the first column of "elapsed + h" is
# the elapsed time itself, so one CDF call serves both.
assert HORIZONS[0] == 0.0 and TALK_GRID[0] == 0.0 and _NU > _NH


def _ring_matrix() -> tuple[np.ndarray, np.ndarray]:
    """The ring-time CDF is taken on a fine grid (HORIZONS lie on it); one product with this
    matrix gives the CDF at each horizon, its increase over each horizon bin, and its
    integral from 0 to each horizon (trapezoids: the live answers of calls still to come)."""
    grid = np.linspace(0.0, HORIZONS[-1], 65)
    at = np.searchsorted(grid, HORIZONS)
    assert np.array_equal(grid[at], HORIZONS)
    m = np.zeros((3 * _NH, len(grid)))
    m[np.arange(_NH), at] = 1.0
    m[_NH + np.arange(_NH), at] = 1.0
    m[_NH + np.arange(1, _NH), at[:-1]] -= 1.0
    half = 0.5 * np.diff(grid)
    for k, i in enumerate(at):
        m[2 * _NH + k, :i] += half[:i]
        m[2 * _NH + k, 1 : i + 1] += half[:i]
    return grid, m


_GRID, _RING_MATRIX = _ring_matrix()
_LOG_GRID = np.log(np.maximum(_GRID, 1e-12))  # as ``Frozen.cdf`` takes it, once
_RING_OFFSETS = np.concatenate((HORIZONS, [HORIZONS[-1]] * (_NU - _NH)))


def _runs(r: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The calls of a batch are dialed at the same moment, so their elapsed ring times are
    equal and next to each other (in dial order): one column serves each such run. Returns
    the runs' values and their lengths (None when no two neighbours are equal)."""
    n = len(r)
    if n < 2:
        return r, None
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(r[1:], r[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    m = len(starts)
    if m == n:
        return r, None
    lengths = np.empty(m)
    np.subtract(starts[1:], starts[:-1], out=lengths[:-1])
    lengths[-1] = n - starts[-1]
    return r[starts], lengths


class Sums:
    """One decision's sums that do not depend on the batch size, per horizon: ``base``, the
    mean (continuity-corrected) and variance of answers ahead less agents free, with no other
    new call; ``per_call``, what each other new call adds to both; ``w``, the share of live
    answers in each horizon bin."""

    __slots__ = ("base", "per_call", "w")

    def __init__(self, base: np.ndarray, per_call: np.ndarray, w: np.ndarray) -> None:
        self.base, self.per_call, self.w = base, per_call, w

    def p(self, lo: int, top: int) -> np.ndarray:
        """For each batch size from ``lo`` to ``top``: the probability a live answer is
        abandoned, the answers ahead less the agents free taken as normal."""
        others = np.arange(lo - 1.0, top)  # the other new calls: n - 1, none for n = 0
        if lo == 0:
            others[0] = 0.0
        y = self.per_call[:, None, :] * others[:, None]  # (mean, variance) x size x horizon
        y += self.base[:, None, :]
        mean, sd = y
        np.sqrt(sd, out=sd)
        mean /= sd
        ndtr(mean, out=mean)  # P(answers ahead >= agents free) at each horizon
        return mean @ self.w  # type: ignore[no-any-return]


class AbandonModel:
    """The model with its caches (one per pacer; nothing in it is state to save)."""

    def __init__(self) -> None:
        self._ring_key: tuple[float, float] | None = None
        self._ring_cdf2 = np.zeros((2, _NH))  # the CDF at each horizon, twice
        self._w: np.ndarray | None = None
        self._future = np.zeros(_NH)
        self._wrap_key: tuple[float, float, float] | None = None
        self._wrap_within = -1.0
        self._offsets = np.zeros((_NU, 3))
        self._left = np.zeros(1)
        self._log_left = np.zeros(1)
        self._left_at = np.zeros((_NU - 1, _NH), dtype=np.intp)
        self._talk_to_free = np.zeros((_NH, _NU))

    def _ring(self, ring: Frozen) -> None:
        """When live answers come (the ring-time fit): the CDF at each horizon, the share of
        answers in each horizon bin, and the integral of the CDF up to each horizon."""
        key = (ring.mu, ring.sigma)
        if key == self._ring_key:
            return
        y = _RING_MATRIX @ ring.cdf_of_log(_LOG_GRID)
        self._ring_cdf2[:] = y[:_NH]
        w, self._future = y[_NH : 2 * _NH], y[2 * _NH :]
        total = w.sum()
        self._w = w / total if total > 0 else None
        self._ring_key = key

    def _wrap(self, wrap: Frozen, connect_within: float) -> None:
        """From a talking agent's chances of having ended its talk by each grid point to its
        chance of being free by each horizon plus the connect window: a talk ending in grid
        step j (taken at its middle) is followed by a wrap-up, over within the time left."""
        key = (wrap.mu, wrap.sigma, connect_within)
        if key == self._wrap_key:
            return
        if connect_within != self._wrap_within:
            within = HORIZONS + connect_within
            wrap_offsets = np.concatenate(([0.0], within, [within[-1]] * (_NU - _NH - 1)))
            # Each column's offsets: in wrap-up, talking, in flight.
            self._offsets = np.stack((wrap_offsets, TALK_GRID, _RING_OFFSETS), axis=1)
            # The time left for a wrap-up after each talk-end step, by horizon: on a 1 s
            # lattice, so a few dozen distinct values among the 204.
            left = within[None, :] - _MID[:, None]  # (steps, horizons)
            self._left, self._left_at = np.unique(left, return_inverse=True)
            self._log_left = np.log(np.maximum(self._left, 1e-12))
            self._wrap_within = connect_within
        w_cdf = wrap.cdf_of_log(self._log_left)[self._left_at]
        # Done by u_j+1 less done by u_j, times w_cdf[j], summed over j: done by u_k times
        # (w_cdf[k - 1] - w_cdf[k]), one product per decision instead of a difference too.
        m = self._talk_to_free  # (horizons, grid points)
        np.negative(w_cdf[0], out=m[:, 0])
        np.subtract(w_cdf[:-1], w_cdf[1:], out=m[:, 1:-1].T)
        m[:, -1] = w_cdf[-1]
        self._wrap_key = key

    def sums(self, inp: PacingInput) -> Sums | None:
        """The decision's sums (None when the ring-time fit puts no answer within the
        horizons).

        One column per busy agent and call in flight (calls dialed together share one, see
        ``_runs``): its time so far (row 0) plus offsets.
        In wrap-up: its wrap-up so far, then plus each horizon and the connect window;
        talking: its talk so far plus each point of the talk-end grid; in flight: its ring
        time so far plus each horizon (a short column is padded with its last offset). Each
        column goes through its fit's CDF, then becomes the chance of being done by then
        given not done so far.
        """
        est = inp.est
        ring = est.ring.frozen()
        self._ring(ring)
        w = self._w
        if w is None:
            return None
        wrap = est.wrap.frozen()
        self._wrap(wrap, inp.connect_within)
        talking = inp.busy_elapsed if inp.talk_elapsed is None else inp.talk_elapsed
        wrapping = np.zeros(0) if inp.wrap_elapsed is None else inp.wrap_elapsed
        r, alike = _runs(inp.inflight_elapsed)
        nw, nt, nr = len(wrapping), len(talking), len(r)
        nb = nw + nt  # the busy agents' columns
        counts = (nw, nt, nr)
        # One column per agent or call, one row per offset: the long axis is the inner one,
        # so that broadcasting a column's value down it costs one pass, not one per column.
        x = np.repeat(self._offsets, counts, axis=1)
        x += np.concatenate((wrapping, talking, r))
        np.maximum(x[0], 1e-12, out=x[0])  # only "so far" can be 0: every offset after is > 0
        np.log(x, out=x)
        talk = est.talk_fit(inp.now) if nt else wrap
        fits = np.repeat(
            ((wrap.mu, talk.mu, ring.mu), (wrap.sigma, talk.sigma, ring.sigma)), counts, axis=1
        )
        x -= fits[0]
        x /= fits[1]
        ndtr(x, out=x)  # each column's fit's CDF at each of its times
        f0 = x[0].copy()  # F(so far)
        x -= f0
        # Busy: P(done by e + u | not by e). In flight: P(live answer by r + h | unresolved),
        # that is ph (F(r + h) - F(r)) / unresolved. Both lie in [0, 1] (within rounding).
        den = 1.0 - f0
        np.maximum(den[:nb], 1e-12, out=den[:nb])
        ph, pm, pna = est.p_human.value, est.p_machine.value, est.p_no_answer.value
        unresolved = den[nb:]
        unresolved *= ph + pm
        if nr and r.max() < inp.ring_timeout:  # no call has rung out yet: the usual case
            unresolved += pna
        else:
            unresolved += pna * (r < inp.ring_timeout)
        np.maximum(unresolved, 1e-9, out=unresolved)
        if ph > 0:
            unresolved /= ph
            x /= den
        else:
            x /= den
            x[:, nb:] = 0.0
        # Each column's chance p by each horizon (agents: free; calls: answered live). In
        # wrap-up: free at the end of it; talking, at the end of the talk plus a wrap-up.
        per_col = np.empty((2, _NH, nb + nr))
        p, var = per_col
        p[:, :nw] = x[1 : _NH + 1, :nw]
        np.matmul(self._talk_to_free, x[:, nw:nb], out=p[:, nw:nb])
        p[:, nb:] = x[:_NH, nb:]
        np.subtract(1.0, p, out=var)
        var *= p
        # Answers ahead less agents free: the calls' p less the agents', and the variances of
        # both, summed over the columns in one product.
        signs = np.ones((2, nb + nr, 1))
        signs[0, :nb] = -1.0
        if alike is not None:  # a column stands for the calls dialed at the same moment
            signs[:, nb:, 0] = alike
        base = (per_col @ signs).reshape(2, _NH)
        # Calls the pacer will place in the next seconds answer too, some before ours: at the
        # recent dial rate, lam * ph * integral_0^h F(u) du of them by h (Poisson).
        if inp.dial_rate > 0:
            base += (inp.dial_rate * ph) * self._future
        base[0] += inp.waiting - inp.ready + 0.5  # (a continuity correction)
        base[1] += 0.25
        per_call = ph * self._ring_cdf2  # one other new call answered by each horizon
        per_call[1] *= 1.0 - per_call[0]
        return Sums(base, per_call, w)

    def abandon_probability(self, inp: PacingInput, top: int) -> np.ndarray:
        """The probability for each batch size from 0 to ``top``."""
        sums = self.sums(inp)
        return np.zeros(top + 1) if sums is None else sums.p(0, top)
