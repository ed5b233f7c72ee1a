"""Sampling the scenario's distributions from an injected ``random.Random``."""

from __future__ import annotations

import math
from collections.abc import Callable
from random import Random

from acd.config.simulation import Distribution


def sampler(dist: Distribution | None, rng: Random) -> Callable[[], float] | None:
    """A zero-argument sampler for ``dist``; None when the distribution is absent."""
    if dist is None:
        return None
    mean = dist.mean
    if dist.distribution == "fixed":
        return lambda: mean
    if dist.distribution == "exponential":
        rate = 1.0 / mean
        expo = rng.expovariate
        return lambda: expo(rate)
    sd = dist.sd if dist.sd is not None else mean
    sigma2 = math.log1p((sd / mean) ** 2)
    mu = math.log(mean) - sigma2 / 2
    sigma = math.sqrt(sigma2)
    lognorm = rng.lognormvariate
    return lambda: lognorm(mu, sigma)
