"""The pacer's estimators on synthetic streams, against the theory of the tests they run.

Bernoulli CUSUM (Page's test) for a rise from p0 to p1 = ratio x p0, alarm at h: each
observation adds llr = x ln(p1/p0) + (1 - x) ln((1 - p1)/(1 - p0)). Under a true rate p the
drift is E[llr]; Wald's approximation gives a detection delay of about h / E[llr] when the
drift is positive and, when it is negative (no change), an average run to a false alarm of
about (e^h - h - 1) / |E[llr]| (Siegmund), the one-sided runs combining as rates.
"""

from __future__ import annotations

import math
import random
import statistics

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.stats import norm, poisson

from dialer.estimators import CensoredLogNormal, TrackedLogNormal, TrackedRate


def drift(p: float, p0: float, p1: float) -> float:
    """E[llr] of one observation of a Bernoulli(p) for the test p0 -> p1."""
    return p * math.log(p1 / p0) + (1 - p) * math.log((1 - p1) / (1 - p0))


def settled(p: float, rng: random.Random, n: int = 2000) -> TrackedRate:
    """A rate estimate that has seen ``n`` observations of a stationary Bernoulli(p)."""
    t = TrackedRate(p, weight=600.0)
    for _ in range(n):
        t.observe(rng.random() < p)
    return t


def test_a_step_of_the_answer_rate_from_015_to_045_is_detected_within_130_observations() -> None:
    h, ratio = TrackedRate(0.15).h, TrackedRate(0.15).ratio
    wald = h / drift(0.45, 0.15, 0.15 * ratio)  # about 49 observations
    delays = []
    for seed in range(200):
        rng = random.Random(seed)
        t = settled(0.15, rng)
        before = t.alarms
        for i in range(1, 1000):
            t.observe(rng.random() < 0.45)
            if t.alarms > before:
                delays.append(i)
                break
        else:
            delays.append(10_000)
    # The delay's spread (inverse Gaussian): sd = sqrt(h var / drift^3), about 15 here; the
    # bound is the Wald mean plus more than five of them.
    assert max(delays) <= 130
    assert 0.75 * wald <= statistics.mean(delays) <= 1.25 * wald


def test_after_the_alarm_the_estimate_is_the_new_regimes_not_a_blend() -> None:
    rng = random.Random(7)
    t = settled(0.15, rng)
    for _ in range(150):
        t.observe(rng.random() < 0.45)
    # Forgetting alone (memory 600) would be at about 0.15 + 150 / 600 x 0.30 = 0.22 by now.
    assert t.alarms >= 1
    assert abs(t.value - 0.45) < 0.1


def test_a_stationary_stream_trips_the_detector_no_more_than_its_false_alarm_rate() -> None:
    t0 = TrackedRate(0.15)
    p0, h = 0.15, t0.h
    arl_up = (math.exp(h) - h - 1) / -drift(p0, p0, p0 * t0.ratio)
    arl_down = (math.exp(h) - h - 1) / -drift(p0, p0, p0 / t0.ratio)
    n = 200_000
    expected = n * (1 / arl_up + 1 / arl_down)  # about 0.8 alarms
    rng = random.Random(11)
    t = settled(p0, rng, n=n)
    # No more than Poisson(expected) reaches with probability 99.9%; the estimate stays put.
    assert t.alarms <= poisson.ppf(0.999, expected)
    assert abs(t.value - p0) < 0.05


def test_a_doubled_ring_time_is_detected_and_followed() -> None:
    rng = random.Random(3)
    t = TrackedLogNormal(12.0, 0.5)
    sigma = math.sqrt(math.log1p(0.25))
    for _ in range(1000):
        t.observe(math.exp(rng.gauss(math.log(12.0) - sigma**2 / 2, sigma)))
    before = t.alarms
    delay = 0
    while t.alarms == before and delay < 200:
        delay += 1
        t.observe(math.exp(rng.gauss(math.log(24.0) - sigma**2 / 2, sigma)))
    # A shift of ln 2 / sigma = 1.4 sd against a test for 0.5 sd: drift 0.5 x 1.4 - 0.125 per
    # observation, about 17 observations to h = 10.
    assert delay <= 40
    for _ in range(50):
        t.observe(math.exp(rng.gauss(math.log(24.0) - sigma**2 / 2, sigma)))
    assert abs(t.frozen().mean - 24.0) < 4.0


def lognormal_handle(rng: random.Random, mean: float, cv: float) -> float:
    s2 = math.log1p(cv * cv)
    return math.exp(rng.gauss(math.log(mean) - s2 / 2, math.sqrt(s2)))


def test_calls_running_past_the_old_mean_raise_the_estimate_before_any_of_them_ends() -> None:
    rng = random.Random(5)
    m = CensoredLogNormal(240.0, 1.0, weight=20.0)
    for i in range(400):  # the old regime: 105 s, all ended
        m.started(f"old{i}", 0.0)
        m.ended(f"old{i}", lognormal_handle(rng, 105.0, 0.7))
    old = m.completed().mean
    assert 85.0 < old < 125.0
    for i in range(30):  # thirty calls connect at t = 1000 and are still talking
        m.started(f"new{i}", 1000.0)
    means = [m.frozen(1000.0 + e).mean for e in (10.0, 200.0, 400.0, 600.0)]
    # Nothing ended: a model of completed calls sees nothing yet.
    assert m.completed().mean == pytest.approx(old)
    assert means[0] < old * 1.05  # just connected: no news yet
    assert means[1] < means[2] < means[3]
    assert means[3] > 1.3 * old


def censored_mle(
    done: np.ndarray, w_done: np.ndarray, cens: np.ndarray, w_cens: np.ndarray
) -> tuple[float, float]:
    """The weighted censored maximum likelihood of a normal on log durations, found by a
    general-purpose optimiser (independent of the EM in the model)."""

    def nll(theta: np.ndarray) -> float:
        mu, log_s = theta
        s = math.exp(log_s)
        ll = (w_done * norm.logpdf(done, mu, s)).sum() + (w_cens * norm.logsf(cens, mu, s)).sum()
        return -float(ll)

    x0 = np.array([done.mean(), math.log(done.std() + 1e-3)])
    opts = {"xatol": 1e-6, "fatol": 1e-9, "maxiter": 4000}
    res = minimize(nll, x0=x0, method="Nelder-Mead", options=opts)
    return float(res.x[0]), math.exp(float(res.x[1]))


def test_the_censored_fit_is_the_censored_maximum_likelihood() -> None:
    rng = random.Random(9)
    m = CensoredLogNormal(100.0, 0.7, weight=1e-9, memory=1e9)  # no prior, no forgetting
    done = [lognormal_handle(rng, 100.0, 0.7) for _ in range(300)]
    for i, d in enumerate(done):
        m.started(f"d{i}", 0.0)
        m.ended(f"d{i}", d)
    elapsed = [rng.uniform(10.0, 400.0) for _ in range(60)]
    for i, e in enumerate(elapsed):
        m.started(f"o{i}", 1000.0 - e)
    fit = m.frozen(1000.0, steps=200)
    ones = np.ones
    mu, s = censored_mle(np.log(done), ones(300), np.log(elapsed), ones(60))
    assert abs(fit.mu - mu) < 1e-3
    assert abs(fit.sigma - s) < 1e-3


def test_outcomes_are_taken_in_dial_order_so_a_batchs_fast_answers_trip_nothing() -> None:
    """Batches of 40 calls a second: answers end after about 12 s, no-answers at the 25 s
    timeout, so in the order they end a batch's answers all come first. Taken in dial order the
    stream is a stationary Bernoulli(0.15) again: no more alarms than its false-alarm rate."""
    from dialer.estimators import Estimates

    rng = random.Random(2)
    est = Estimates()
    ends: list[tuple[float, str, str, float]] = []  # (ends at, call, outcome, ring)
    for second in range(600):
        for j in range(40):
            key = f"{second}-{j}"
            est.dialed(key, float(second))
            u = rng.random()
            outcome = "human" if u < 0.15 else "machine" if u < 0.30 else "no_answer"
            ring = rng.uniform(6.0, 18.0) if outcome != "no_answer" else 25.0
            ends.append((second + ring, key, outcome, ring))
    ends.sort()
    for at, key, outcome, ring in ends:
        est.dial_ended(key, outcome, ring, at)
    assert est.human_answers == sum(1 for e in ends if e[2] == "human")
    assert est.p_human.alarms + est.p_no_answer.alarms <= 2  # 24,000 dials: theory says ~0.1
    assert abs(est.p_human.value - 0.15) < 0.04
    assert abs(est.p_no_answer.value - 0.70) < 0.05


def test_a_fit_asked_once_a_second_tracks_the_censored_maximum_likelihood() -> None:
    # Each ask takes EM one step from the last fit: over a minute of asks the fit is the
    # maximum likelihood of the moment, which three steps from the completed calls miss.
    rng = random.Random(11)
    m = CensoredLogNormal(100.0, 0.7, weight=1e-9, memory=1e9)
    done = [lognormal_handle(rng, 100.0, 0.7) for _ in range(300)]
    for i, d in enumerate(done):
        m.started(f"d{i}", 0.0)
        m.ended(f"d{i}", d)
    connected = [1000.0 - rng.uniform(10.0, 400.0) for _ in range(60)]
    for i, at in enumerate(connected):
        m.started(f"o{i}", at)
    for s in range(61):
        fit = m.frozen(1000.0 + s)
    elapsed = 1060.0 - np.array(connected)
    mu, sigma = censored_mle(np.log(done), np.ones(300), np.log(elapsed), np.ones(60))
    assert abs(fit.mu - mu) < 1e-3  # three cold steps: off by 2e-3 in mu, 4e-3 in sigma
    assert abs(fit.sigma - sigma) < 1e-3
