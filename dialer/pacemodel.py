"""The predictive pacer's model: for each batch size, the probability that a live answer of a
call placed now finds no agent free within the connect window (see ``dialer.pacing``).

A decision comes about twice a second at 100 agents, so the model is computed with what does not
move between decisions kept aside:

- what depends only on a fit (when live answers come, the wrap-up curve on the talk-end grid)
  is kept until that fit moves (the ring-time fit stays put over about three decisions in
  four, the wrap-up fit over one in two);
- what does not depend on the batch size (agents free, answers ahead) is summed once per
  decision, not once per range of sizes looked at;
- the arrays are worked in place, one ufunc at a time, in the order of the formulas: at a few
  hundred elements a numpy call's overhead, not its arithmetic, is the cost, and the same
  operations in the same order give the same bits, so the same decisions
  (tests/dialer/test_pacing_decisions.py).
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
_MID = 0.5 * (TALK_GRID[1:] + TALK_GRID[:-1])  # the middle of each talk-end step
# The answers of calls still to be placed are integrated on this grid (HORIZONS lie on it).
_GRID = np.linspace(0.0, HORIZONS[-1], 65)
_HALF_STEP = np.diff(_GRID) * 0.5
# Adding a horizon of 0 leaves an elapsed time as it is: the first column of "elapsed + h" is
# the elapsed time itself, so one CDF call serves both.
assert HORIZONS[0] == 0.0 and TALK_GRID[0] == 0.0


def _clip01(x: np.ndarray) -> None:
    np.maximum(x, 0.0, out=x)
    np.minimum(x, 1.0, out=x)


class Sums:
    """One decision's sums that do not depend on the batch size: per horizon, the mean and
    variance of the live answers ahead (``mu_a``, ``var_a``) and of the agents free (``mu_f``,
    ``var_f``), the chance that one other new call has answered (``q0``) and the share of
    answers in each horizon bin (``w``)."""

    __slots__ = ("mu_a", "mu_f", "q0", "qq", "var_a", "var_f", "w")

    def __init__(
        self,
        mu_a: np.ndarray,
        var_a: np.ndarray,
        mu_f: np.ndarray,
        var_f: np.ndarray,
        q0: np.ndarray,
        w: np.ndarray,
    ) -> None:
        self.mu_a, self.var_a, self.mu_f, self.var_f, self.w = mu_a, var_a, mu_f, var_f, w
        self.q0 = q0
        self.qq = q0 * (1 - q0)

    def p(self, n: np.ndarray) -> np.ndarray:
        """For each batch size in ``n``: the probability a live answer is abandoned. The
        answers ahead, less the agents free, are taken as normal (continuity-corrected)."""
        others = np.maximum(n - 1, 0)[:, None]  # the other new calls
        x = others * self.q0
        x += self.mu_a
        x -= self.mu_f  # mean of answers ahead less agents free
        x += 0.5
        v = others * self.qq
        v += self.var_a
        v += self.var_f
        v += 0.25
        np.sqrt(v, out=v)
        x /= v
        ndtr(x, out=x)  # P(answers ahead >= agents free)
        x *= self.w
        return x.sum(axis=1)  # type: ignore[no-any-return]


class AbandonModel:
    """The model with its caches (one per pacer; nothing in it is state to save)."""

    def __init__(self) -> None:
        self._ring_key: tuple[float, float] | None = None
        self._ring_cdf = np.zeros(len(HORIZONS))
        self._w: np.ndarray | None = None
        self._future = np.zeros(len(HORIZONS))
        self._wrap_key: tuple[float, float, float] | None = None
        self._within = HORIZONS.copy()
        self._w_cdf = np.zeros((len(_MID), len(HORIZONS)))

    def _ring(self, ring: Frozen) -> None:
        """When live answers come (the ring-time fit): the CDF at each horizon, the share of
        answers in each horizon bin, and the integral of the CDF up to each horizon."""
        key = (ring.mu, ring.sigma)
        if key == self._ring_key:
            return
        self._ring_cdf = ring_cdf = ring.cdf(HORIZONS)
        w = np.diff(ring_cdf, prepend=0.0)
        self._w = w / w.sum() if w.sum() > 0 else None
        f_grid = ring.cdf(_GRID)
        integral = np.concatenate(([0.0], np.cumsum(_HALF_STEP * (f_grid[1:] + f_grid[:-1]))))
        self._future = np.interp(HORIZONS, _GRID, integral)
        self._ring_key = key

    def _wrap(self, wrap: Frozen, connect_within: float) -> None:
        """The wrap-up fit at each horizon plus the connect window, less each talk-end step."""
        key = (wrap.mu, wrap.sigma, connect_within)
        if key == self._wrap_key:
            return
        self._within = within = HORIZONS + connect_within
        self._w_cdf = wrap.cdf(within[None, :] - _MID[:, None])
        self._wrap_key = key

    def sums(self, inp: PacingInput) -> Sums | None:
        """The decision's sums (None when the ring-time fit puts no answer within the
        horizons).

        Every busy agent and every call in flight is a row of one array, so that each step
        (the CDF of its fit, the chance of being done given not done so far, the clip) is one
        numpy call for all of them: in wrap-up, its wrap-up so far, then plus each horizon and
        the connect window; talking, its talk so far plus each step of the talk-end grid; in
        flight, its ring time so far plus each horizon. Column 0 is the time so far.
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
        r = inp.inflight_elapsed
        nw, nt, nr = len(wrapping), len(talking), len(r)
        nb = nw + nt  # the busy agents' rows
        talk = est.talk_fit(inp.now) if nt else wrap
        nh = len(HORIZONS)
        x = np.empty((nb + nr, len(TALK_GRID)))
        x[:nw, 0] = wrapping
        np.add(wrapping[:, None], self._within, out=x[:nw, 1 : nh + 1])
        x[:nw, nh + 1 :] = 1.0
        np.add(talking[:, None], TALK_GRID, out=x[nw:nb])
        np.add(r[:, None], HORIZONS, out=x[nb:, :nh])
        x[nb:, nh:] = 1.0
        # Each row's fit: x -> F(x), as Frozen.cdf computes it.
        counts = (nw, nt, nr)
        np.maximum(x, 1e-12, out=x)
        np.log(x, out=x)
        x -= np.repeat((wrap.mu, talk.mu, ring.mu), counts)[:, None]
        x /= np.repeat((wrap.sigma, talk.sigma, ring.sigma), counts)[:, None]
        ndtr(x, out=x)
        f0 = x[:, :1].copy()  # F(so far)
        x -= f0
        # Busy: P(done by e + u | not by e). In flight: P(live answer by r + h | unresolved).
        x[:nb] /= np.maximum(1.0 - f0[:nb], 1e-12)
        ph, pm, pna = est.p_human.value, est.p_machine.value, est.p_no_answer.value
        f_r = f0[nb:, 0]
        unresolved = np.maximum((ph + pm) * (1 - f_r) + pna * (r < inp.ring_timeout), 1e-9)
        q = x[nb:, :nh]
        q *= ph
        q /= unresolved[:, None]
        np.maximum(x, 0.0, out=x)
        np.minimum(x, 1.0, out=x)
        # Agents free by each answer time plus the connect window: in wrap-up, at the rest of
        # it; talking, at the rest of the talk (ending in each grid step) plus a wrap-up.
        p_free = np.empty((nb, nh))
        p_free[:nw] = x[:nw, 1 : nh + 1]
        d_end = x[nw:nb, 1:] - x[nw:nb, :-1]
        np.matmul(d_end, self._w_cdf, out=p_free[nw:])
        mu_f = inp.ready + p_free.sum(axis=0)
        c = 1 - p_free
        c *= p_free
        var_f = c.sum(axis=0)
        # Live answers by each horizon from the calls in flight.
        mu_a = inp.waiting + q.sum(axis=0)
        c = 1 - q
        c *= q
        var_a = c.sum(axis=0)
        # Calls the pacer will place in the next seconds answer too, some before ours: at the
        # recent dial rate, lam * ph * integral_0^h F(u) du of them by h (Poisson).
        if inp.dial_rate > 0:
            future = inp.dial_rate * ph * self._future
            mu_a = mu_a + future
            var_a = var_a + future
        return Sums(mu_a, var_a, mu_f, var_f, ph * self._ring_cdf, w)

    def abandon_probability(self, inp: PacingInput, n: np.ndarray) -> np.ndarray:
        sums = self.sums(inp)
        return np.zeros(len(n)) if sums is None else sums.p(n)
