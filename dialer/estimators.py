"""Online estimates the pacer needs: the live-answer rate and two lognormal time models.

Priors keep the early decisions sensible; observations take over as they accumulate.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr


class Rate:
    """A Beta-Bernoulli estimate of a probability (e.g. a dial ends in a live answer)."""

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

    @property
    def mu(self) -> float:
        return self.s1 / self.n

    @property
    def sigma(self) -> float:
        return math.sqrt(max(self.s2 / self.n - self.mu**2, 1e-6))

    def frozen(self) -> Frozen:
        """The current fit, for a burst of evaluations (one decision)."""
        return Frozen(self.mu, self.sigma)


class Frozen:
    """A fixed lognormal: CDF and conditional completion probabilities, vectorised."""

    __slots__ = ("mu", "sigma")

    def __init__(self, mu: float, sigma: float) -> None:
        self.mu = mu
        self.sigma = sigma

    def cdf(self, t: np.ndarray) -> np.ndarray:
        # t <= 0 maps to log(1e-12): a CDF of zero to double precision for any sane fit.
        return ndtr((np.log(np.maximum(t, 1e-12)) - self.mu) / self.sigma)

    def p_done_within(self, elapsed: np.ndarray, horizons: np.ndarray) -> np.ndarray:
        """P(duration <= elapsed + h | duration > elapsed), shape (len(elapsed), len(h))."""
        f_e = self.cdf(elapsed)[:, None]
        f_eh = self.cdf(elapsed[:, None] + horizons[None, :])
        return np.clip((f_eh - f_e) / np.maximum(1.0 - f_e, 1e-12), 0.0, 1.0)
