"""Pacing: how many calls a campaign launches now.

- progressive: one call per ready agent (no abandonment by construction);
- power: a fixed ratio of calls per ready agent;
- predictive (ours): model-based. From each busy agent's elapsed handle time and the handle-
  time model it predicts how many agents will be free at each moment over the next seconds;
  from each call in flight (its elapsed ring time), the calls still to be placed at the recent
  dial rate, and the live-answer and ring-time models it predicts how many live answers will
  arrive by then. A new call answered at t is abandoned when the answers ahead of it are at least
  the agents free by t plus the connect window; that probability, averaged over the ring-time
  distribution and scaled by how the model's predictions have compared with the drops that
  followed, sets the largest batch whose expected abandons fit the budget. The budget is the
  target plus the day's unspent abandons spread over the next half hour of live answers, kept
  so that the day, the 24-hour and the 30-day windows stay under the legal cap (see
  ``Predictive.budget``). Never fewer calls than progressive; with too few agents or too little
  data, progressive (see ``Predictive``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from dialer.estimators import Estimates
from dialer.pacemodel import HORIZONS, AbandonModel

CAP = 0.03  # the legal ceiling on abandonment (FTC TSR, 30 days; Ofcom, 24 hours)
__all__ = ["CAP", "HORIZONS", "Pacer", "PacingInput", "Power", "Predictive", "Progressive"]


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
    running_30d: float = 0.0  # over the last 30 days
    answers_30d: int = 0
    dial_rate: float = 0.0  # calls placed per second lately: the calls still to come
    # The busy agents apart: still talking (seconds since connected) and in wrap-up (seconds
    # since the talk ended). Without them, all busy agents count as talking.
    talk_elapsed: np.ndarray | None = None
    wrap_elapsed: np.ndarray | None = None
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
        min_agents: int = 2,
        min_answers: int = 30,
        min_handles: int = 30,
        max_lines_per_agent: float = 8.0,
        spend_seconds: float = 1800.0,
        cap_seconds: float = 300.0,
        ceiling: float = 0.95,
        calibration_seconds: float = 1800.0,
    ) -> None:
        self.min_agents = min_agents
        self.min_answers = min_answers
        self.min_handles = min_handles
        self.max_lines_per_agent = max_lines_per_agent
        self.spend_seconds = spend_seconds  # unspent budget is spread over this much dialing
        self.cap_seconds = cap_seconds  # each window must stay under the cap after this much
        self.ceiling = ceiling  # the ratio aimed at never passes this share of the cap
        self.calibration_seconds = calibration_seconds  # memory of drops vs predictions
        self._progressive = Progressive()
        # Expected abandons the budget allowed but earlier decisions did not use (capped).
        self.credit = 0.0
        self.credit_cap = 1.0
        # Drops seen and drops the model predicted, decayed with time (a prior of 3 each):
        # their ratio corrects the model's bias, whichever way it runs.
        self.drops_seen = 3.0
        self.drops_predicted = 3.0
        self._seen_at = -1.0
        self._day_drops = 0
        self._model = AbandonModel()  # and what it keeps between decisions

    def calibration(self) -> float:
        """Drops per drop predicted, lately (1 with no evidence), kept within [0.25, 4]."""
        return min(max(self.drops_seen / self.drops_predicted, 0.25), 4.0)

    def _observe(self, inp: PacingInput) -> None:
        """Age the calibration sums to ``inp.now`` and take in the drops since the last look."""
        if self._seen_at >= 0.0:
            keep = math.exp(-max(inp.now - self._seen_at, 0.0) / self.calibration_seconds)
            # Decay toward the prior, so an idle spell returns to "no evidence".
            self.drops_seen = 3.0 + (self.drops_seen - 3.0) * keep
            self.drops_predicted = 3.0 + (self.drops_predicted - 3.0) * keep
        self._seen_at = inp.now
        new = inp.day_drops - self._day_drops
        self.drops_seen += max(new, 0)  # a new day starts its count again: nothing new then
        self._day_drops = inp.day_drops

    def budget(self, inp: PacingInput) -> float:
        """The abandonment ratio to allow for the live answers of the calls launched now.

        The target, plus the day's unspent abandons (target x live answers - drops) spread over
        the live answers expected in the next ``spend_seconds``; then, for the day, the 24-hour
        and the 30-day window, no more than keeps that window under the cap once the answers
        expected in the next ``cap_seconds`` are in: (D + r a) / (A + a) <= cap. Never above
        ``ceiling`` x cap, never below a tenth of the target (one bad minute must not stop the
        campaign for the rest of the window).
        """
        target = inp.target
        per_second = max(inp.dial_rate * inp.est.p_human.value, 1e-3)
        spend = max(per_second * self.spend_seconds, 30.0)
        aim = target + (target * inp.day_answers - inp.day_drops) / spend
        soon = max(per_second * self.cap_seconds, 10.0)
        for answers, drops in (
            (inp.day_answers, inp.day_drops),
            (inp.answers_24h, inp.running_24h * inp.answers_24h),
            (inp.answers_30d, inp.running_30d * inp.answers_30d),
            (inp.answers_recent, inp.running_recent * inp.answers_recent),
        ):
            aim = min(aim, CAP + (CAP * answers - drops) / soon)
        return float(min(max(aim, 0.1 * target), self.ceiling * CAP))

    def launch(self, inp: PacingInput) -> int:
        est = inp.est
        self._observe(inp)
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
        ph = inp.est.p_human.value
        cal = self.calibration()
        budget = self.budget(inp)
        sums = self._model.sums(inp)
        credit = self.credit
        # The first batch size over budget is nearly always within a few of the floor: look
        # there first, then in ranges three times as long (a size's probability does not
        # depend on which others are looked at); each range starts at the last size of the
        # one before, and the sizes are walked in plain Python (a dozen numbers).
        lo, top = 0, min(n_max, floor + 8)
        while True:
            ps = [0.0] * (top - lo + 1) if sums is None else sums.p(lo, top).tolist()
            # Expected abandons of a batch of n (the model's, corrected by how it has fared)
            # against what the budget allows for its live answers, plus the credit left.
            k = next(
                (
                    n - 1
                    for n in range(lo + 1, top + 1)
                    if not n * ph * ps[n - lo] * cal <= n * ph * budget + credit
                ),
                None,
            )
            if k is not None or top == n_max:
                break
            lo, top = top, min(n_max, top + 2 * (top - lo))
        k = n_max if k is None else max(floor, k)  # below the floor: only in the first range
        answers, p_k = k * ph, ps[k - lo]
        expected, allowed = answers * p_k * cal, answers * budget + credit
        self.credit = min(self.credit_cap, max(0.0, allowed - expected))
        self.drops_predicted += answers * p_k
        return k

    def state(self) -> dict[str, Any]:
        """The budget's state (for the store)."""
        return {
            "credit": self.credit,
            "drops_seen": self.drops_seen,
            "drops_predicted": self.drops_predicted,
            "day_drops": self._day_drops,
        }

    def load(self, saved: dict[str, Any]) -> None:
        self.credit = float(saved.get("credit", 0.0))
        self.drops_seen = float(saved.get("drops_seen", 3.0))
        self.drops_predicted = float(saved.get("drops_predicted", 3.0))
        self._seen_at = -1.0  # engine time may restart: no decay until the next look
        self._day_drops = int(saved.get("day_drops", 0))

    def abandon_probability(self, inp: PacingInput, n: np.ndarray) -> np.ndarray:
        """For each batch size n: the probability that one of n calls dialed now, if a person
        answers it, finds no agent free within the connect window.

        A person answering at time t is abandoned when the live answers ahead of it by t (those
        waiting now, from calls in flight, from the other new calls) are at least the agents
        free by t plus the connect window. Both counts are sums of independent Bernoullis,
        taken as normal; t runs over the ring-time distribution of live answers
        (``dialer.pacemodel``).
        """
        if len(n) == 0:
            return np.zeros(0)
        top = int(np.max(n))
        return self._model.abandon_probability(inp, top)[np.asarray(n, dtype=int)]
