"""The predictive pacer as it landed (commit d2bba7f), frozen as a baseline for the benchmarks.

Its pacing law and estimators are unchanged since then on main up to the estimators' rework
(only ``dialer/models.py`` was renamed ``dialer/estimators.py``). Self-contained so that later
changes to ``dialer/`` do not move the baseline: the whole-day pooled estimates (a Beta-
Bernoulli rate, lognormal fits by running moments of logs, a handle time counted once talk and
wrap are over), the budget (target times the batch's expected live answers, credit capped at one
expected abandon, cut when the 24-hour or 30-minute rate passes 80% of the target) and the
abandonment probability of a batch. The pacer carries its own estimates (``est``); the campaign
feeds them through the same calls as the current ones.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from dialer.pacing import PacingInput

HORIZONS = np.array([0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 18.0, 22.0, 26.0, 32.0])


class Rate:
    """A Beta-Bernoulli estimate of a probability, pooled over the whole day."""

    __slots__ = ("hits", "trials")

    def __init__(self, prior: float, weight: float = 20.0) -> None:
        self.hits = prior * weight
        self.trials = weight

    def observe(self, hit: bool) -> None:
        self.hits += hit
        self.trials += 1

    @property
    def value(self) -> float:
        return self.hits / self.trials


class Frozen:
    """A fixed lognormal: CDF and conditional completion probabilities, vectorised."""

    __slots__ = ("mu", "sigma")

    def __init__(self, mu: float, sigma: float) -> None:
        self.mu = mu
        self.sigma = sigma

    def cdf(self, t: np.ndarray) -> np.ndarray:
        return ndtr((np.log(np.maximum(t, 1e-12)) - self.mu) / self.sigma)

    def p_done_within(self, elapsed: np.ndarray, horizons: np.ndarray) -> np.ndarray:
        f_e = self.cdf(elapsed)[:, None]
        f_eh = self.cdf(elapsed[:, None] + horizons[None, :])
        return np.clip((f_eh - f_e) / np.maximum(1.0 - f_e, 1e-12), 0.0, 1.0)


class LogNormalTime:
    """A lognormal fit of durations by running moments of their logs, with a prior."""

    __slots__ = ("n", "s1", "s2")

    def __init__(self, mean: float, cv: float, weight: float = 10.0) -> None:
        sigma2 = math.log1p(cv * cv)
        mu = math.log(mean) - sigma2 / 2
        self.n = weight
        self.s1 = mu * weight
        self.s2 = (sigma2 + mu * mu) * weight

    def observe(self, seconds: float) -> None:
        x = math.log(max(seconds, 0.05))
        self.n += 1
        self.s1 += x
        self.s2 += x * x

    def frozen(self) -> Frozen:
        mu = self.s1 / self.n
        return Frozen(mu, math.sqrt(max(self.s2 / self.n - mu**2, 1e-6)))


class LandedEstimates:
    """The landed estimates, fed by the campaign like :class:`dialer.estimators.Estimates`."""

    def __init__(self) -> None:
        self.p_human = Rate(0.25)
        self.p_machine = Rate(0.15)
        self.p_no_answer = Rate(0.45)
        self.ring = LogNormalTime(12.0, 0.5)
        self.handle = LogNormalTime(240.0, 1.0, weight=20.0)
        self.human_answers = 0
        self.handles = 0

    def dialed(self, key: str, now: float) -> None:
        pass  # the landed estimates take outcomes in the order they come

    def dial_ended(self, key: str, outcome: str, ring_seconds: float, now: float) -> None:
        self.p_human.observe(outcome == "human")
        self.p_machine.observe(outcome == "machine")
        self.p_no_answer.observe(outcome == "no_answer")
        if outcome in ("human", "machine"):
            self.ring.observe(ring_seconds)
        self.human_answers += outcome == "human"

    def handle_started(self, key: str, now: float) -> None:
        pass  # the landed estimate sees a call only once talk and wrap are over

    def talk_ended(self, key: str, seconds: float, now: float) -> None:
        pass

    def handle_ended(self, key: str, seconds: float, now: float) -> None:
        self.handle.observe(seconds)
        self.handles += 1


class LandedPredictive:
    """The landed model-based pacer (see the module docstring)."""

    cadence = 1.0

    def __init__(self) -> None:
        self.aim = 1.0
        self.guard = 0.8
        self.min_agents = 2
        self.min_answers = 30
        self.min_handles = 30
        self.max_lines_per_agent = 8.0
        self.credit = 0.0
        self.credit_cap = 1.0
        self.est = LandedEstimates()

    @staticmethod
    def _progressive(inp: PacingInput) -> int:
        return max(0, inp.ready - len(inp.inflight_elapsed) - inp.waiting)

    def budget(self, inp: PacingInput) -> float:
        aim = self.aim * inp.target
        guard = self.guard * inp.target
        budget = aim
        if inp.answers_24h >= 50 and inp.running_24h > guard:
            budget -= 2.0 * (inp.running_24h - guard)
        if inp.answers_recent >= 30 and inp.running_recent > guard:
            budget -= 0.5 * (inp.running_recent - guard)
        return float(max(budget, 0.1 * aim))

    def launch(self, inp: PacingInput) -> int:
        est = self.est
        if (
            inp.logged_in < self.min_agents
            or est.human_answers < self.min_answers
            or est.handles < self.min_handles
        ):
            return self._progressive(inp)
        floor = self._progressive(inp)
        n_max = int(self.max_lines_per_agent * max(inp.logged_in, 1)) - len(inp.inflight_elapsed)
        if n_max <= floor:
            return floor
        n = np.arange(n_max + 1)
        p = self.abandon_probability(inp, n)
        ph = est.p_human.value
        expected = n * ph * p
        allowed = n * ph * self.budget(inp) + self.credit
        bad = np.flatnonzero(~(expected <= allowed)[1:])
        k = max(floor, int(bad[0]) if bad.size else int(n_max))
        self.credit = min(self.credit_cap, max(0.0, allowed[k] - expected[k]))
        return k

    def abandon_probability(self, inp: PacingInput, n: np.ndarray) -> np.ndarray:
        est = self.est
        h = HORIZONS
        ring = est.ring.frozen()
        ring_cdf = ring.cdf(h)
        w = np.diff(ring_cdf, prepend=0.0)
        if w.sum() <= 0:
            return np.zeros(len(n))
        w = w / w.sum()
        p_free = est.handle.frozen().p_done_within(inp.busy_elapsed, h + inp.connect_within)
        mu_f = inp.ready + p_free.sum(axis=0)
        var_f = (p_free * (1 - p_free)).sum(axis=0)
        ph, pm, pna = est.p_human.value, est.p_machine.value, est.p_no_answer.value
        r = inp.inflight_elapsed
        f_r = ring.cdf(r)
        unresolved = np.maximum((ph + pm) * (1 - f_r) + pna * (r < inp.ring_timeout), 1e-9)
        q = ph * (ring.cdf(r[:, None] + h[None, :]) - f_r[:, None]) / unresolved[:, None]
        q = np.clip(q, 0.0, 1.0)
        mu_a = inp.waiting + q.sum(axis=0)
        var_a = (q * (1 - q)).sum(axis=0)
        if inp.dial_rate > 0:
            grid = np.linspace(0.0, h[-1], 65)
            f_grid = ring.cdf(grid)
            integral = np.concatenate(
                ([0.0], np.cumsum(np.diff(grid) * 0.5 * (f_grid[1:] + f_grid[:-1])))
            )
            future = inp.dial_rate * ph * np.interp(h, grid, integral)
            mu_a = mu_a + future
            var_a = var_a + future
        q0 = ph * ring_cdf
        others = np.maximum(n[:, None] - 1, 0)
        mu = mu_a[None, :] + others * q0[None, :] - mu_f[None, :]
        sd = np.sqrt(var_a[None, :] + others * (q0 * (1 - q0))[None, :] + var_f[None, :] + 0.25)
        p_none = ndtr((mu + 0.5) / sd)
        return (p_none * w[None, :]).sum(axis=1)
