"""Pacing: how many calls a campaign launches now.

- progressive: one call per ready agent (no abandonment by construction);
- power: a fixed ratio of calls per ready agent;
- predictive (ours): model-based. From each busy agent's elapsed handle time and the handle-
  time model it predicts how many agents will be free at each moment over the next seconds;
  from each call in flight (its elapsed ring time), the calls still to be placed at the recent
  dial rate, and the live-answer and ring-time models it predicts how many live answers will
  arrive by then. A new call answered at t is abandoned when the answers ahead of it are at least
  the agents free by t plus the connect window; that probability, averaged over the ring-time
  distribution, sets the largest batch whose expected abandons fit the budget (plus a small
  credit earlier batches left unused). The budget shrinks when the realized 24-hour or 30-minute
  rate passes a guard, so the legal windows stay under target. Never fewer calls than
  progressive; with too few agents or too little data, progressive (see ``Predictive``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy.special import ndtr

from dialer.estimators import LogNormalTime, Rate

HORIZONS = np.array([0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 18.0, 22.0, 26.0, 32.0])


@dataclass
class Estimates:
    """What the campaign has learned so far (priors until calls come in)."""

    p_human: Rate = field(default_factory=lambda: Rate(0.25))
    p_machine: Rate = field(default_factory=lambda: Rate(0.15))
    p_no_answer: Rate = field(default_factory=lambda: Rate(0.45))
    ring: LogNormalTime = field(default_factory=lambda: LogNormalTime(12.0, 0.5))
    # A long, wide prior: the first completed calls are the short ones (the long ones are still
    # talking), so early data understates handle time; erring long errs toward fewer drops.
    handle: LogNormalTime = field(default_factory=lambda: LogNormalTime(240.0, 1.0, weight=20.0))
    human_answers: int = 0
    handles: int = 0


@dataclass
class PacingInput:
    now: float
    ready: int  # agents free to take this campaign's calls now
    waiting: int  # live answers waiting for an agent right now
    logged_in: int  # agents serving the campaign
    busy_elapsed: np.ndarray  # seconds since each busy agent connected its current call
    inflight_elapsed: np.ndarray  # seconds since each call in flight was dialed
    ring_timeout: float
    connect_within: float  # the 2-second rule
    target: float  # abandonment target (<= 0.03)
    running_24h: float  # abandonment ratio over the last 24 h
    answers_24h: int
    est: Estimates
    running_recent: float = 0.0  # over the last 30 minutes (a faster feedback signal)
    answers_recent: int = 0
    dial_rate: float = 0.0  # calls placed per second lately: the calls still to come
    # For peer laws that look back (VICIdial's): the day so far and the last minute.
    day_answers: int = 0
    day_drops: int = 0
    minute_calls: int = 0
    minute_drops: int = 0
    minutes_left: float = 0.0


class Pacer(Protocol):
    cadence: float  # seconds between decisions when nothing happens

    def launch(self, inp: PacingInput) -> int: ...


class Progressive:
    cadence = 1.0

    def launch(self, inp: PacingInput) -> int:
        return max(0, inp.ready - len(inp.inflight_elapsed) - inp.waiting)


class Power:
    cadence = 1.0

    def __init__(self, ratio: float) -> None:
        self.ratio = ratio

    def launch(self, inp: PacingInput) -> int:
        goal = math.ceil(self.ratio * max(0, inp.ready - inp.waiting))
        return max(0, goal - len(inp.inflight_elapsed))


class Predictive:
    """Model-based pacing under the abandonment budget.

    Falls back to progressive while fewer than ``min_agents`` agents serve the campaign or
    fewer than ``min_answers`` live answers and ``min_handles`` completed calls have been seen:
    with little data or a tiny team, prediction errors cost more than they win.
    """

    cadence = 1.0

    def __init__(
        self,
        *,
        aim: float = 1.0,
        guard: float = 0.8,
        min_agents: int = 2,
        min_answers: int = 30,
        min_handles: int = 30,
        max_lines_per_agent: float = 8.0,
    ) -> None:
        self.aim = aim  # the per-call abandonment probability allowed, as a share of the target
        self.guard = guard  # realized rates above this share of the target are clawed back
        self.min_agents = min_agents
        self.min_answers = min_answers
        self.min_handles = min_handles
        self.max_lines_per_agent = max_lines_per_agent
        self._progressive = Progressive()
        # Expected abandons the budget allowed but earlier decisions did not use (capped).
        self.credit = 0.0
        self.credit_cap = 1.0

    def budget(self, inp: PacingInput) -> float:
        """The abandonment ratio to allow for the calls launched now."""
        aim = self.aim * inp.target
        guard = self.guard * inp.target
        budget = aim
        if inp.answers_24h >= 50 and inp.running_24h > guard:
            budget -= 2.0 * (inp.running_24h - guard)  # claw back what the legal window overshot
        if inp.answers_recent >= 30 and inp.running_recent > guard:
            budget -= 0.5 * (inp.running_recent - guard)  # and react to the last half hour
        # Never zero, or one bad minute would stop the campaign for the rest of the window.
        return float(max(budget, 0.1 * aim))

    def launch(self, inp: PacingInput) -> int:
        est = inp.est
        if (
            inp.logged_in < self.min_agents
            or est.human_answers < self.min_answers
            or est.handles < self.min_handles
        ):
            return self._progressive.launch(inp)
        # Calls for agents free now with nothing in flight carry no abandonment risk: never
        # place fewer than progressive would.
        floor = self._progressive.launch(inp)
        n_max = int(self.max_lines_per_agent * max(inp.logged_in, 1)) - len(inp.inflight_elapsed)
        if n_max <= floor:
            return floor
        n = np.arange(n_max + 1)
        p = self.abandon_probability(inp, n)  # p[k]: for each of k calls placed now
        ph = inp.est.p_human.value
        budget = self.budget(inp)
        # Expected abandons of a batch of k against what the budget allows for its live answers,
        # plus the credit left by earlier batches that were placed below budget.
        expected = n * ph * p
        allowed = n * ph * budget + self.credit
        ok = expected <= allowed
        bad = np.flatnonzero(~ok[1:])
        k = int(bad[0]) if bad.size else int(n_max)
        k = max(floor, k)
        self.credit = min(self.credit_cap, max(0.0, allowed[k] - expected[k]))
        return k

    @staticmethod
    def abandon_probability(inp: PacingInput, n: np.ndarray) -> np.ndarray:
        """For each batch size n: the probability that one of n calls dialed now, if a person
        answers it, finds no agent free within the connect window.

        A person answering at time t is abandoned when the live answers ahead of it by t (those
        waiting now, from calls in flight, from the other new calls) are at least the agents
        free by t plus the connect window. Both counts are sums of independent Bernoullis,
        taken as normal; t runs over the ring-time distribution of live answers.
        """
        est = inp.est
        h = HORIZONS
        ring = est.ring.frozen()
        # When a live answer comes: the share of answers in each horizon bin.
        ring_cdf = ring.cdf(h)
        w = np.diff(ring_cdf, prepend=0.0)
        if w.sum() <= 0:
            return np.zeros(len(n))
        w = w / w.sum()
        # Agents free by each answer time plus the connect window.
        p_free = est.handle.frozen().p_done_within(inp.busy_elapsed, h + inp.connect_within)
        mu_f = inp.ready + p_free.sum(axis=0)
        var_f = (p_free * (1 - p_free)).sum(axis=0)
        # Live answers by each horizon from the calls in flight.
        ph, pm, pna = est.p_human.value, est.p_machine.value, est.p_no_answer.value
        r = inp.inflight_elapsed
        f_r = ring.cdf(r)
        unresolved = np.maximum((ph + pm) * (1 - f_r) + pna * (r < inp.ring_timeout), 1e-9)
        q = ph * (ring.cdf(r[:, None] + h[None, :]) - f_r[:, None]) / unresolved[:, None]
        q = np.clip(q, 0.0, 1.0)
        mu_a = inp.waiting + q.sum(axis=0)
        var_a = (q * (1 - q)).sum(axis=0)
        # Calls the pacer will place in the next seconds answer too, some before ours: at the
        # recent dial rate, lam * ph * integral_0^h F(u) du of them by h (Poisson).
        if inp.dial_rate > 0:
            grid = np.linspace(0.0, h[-1], 65)
            f_grid = ring.cdf(grid)
            integral = np.concatenate(
                ([0.0], np.cumsum(np.diff(grid) * 0.5 * (f_grid[1:] + f_grid[:-1])))
            )
            future = inp.dial_rate * ph * np.interp(h, grid, integral)
            mu_a = mu_a + future
            var_a = var_a + future
        # The other new calls answered by each horizon.
        q0 = ph * ring_cdf
        others = np.maximum(n[:, None] - 1, 0)
        mu = mu_a[None, :] + others * q0[None, :] - mu_f[None, :]
        sd = np.sqrt(var_a[None, :] + others * (q0 * (1 - q0))[None, :] + var_f[None, :] + 0.25)
        p_none = ndtr((mu + 0.5) / sd)  # P(answers ahead >= agents free), continuity-corrected
        return (p_none * w[None, :]).sum(axis=1)
