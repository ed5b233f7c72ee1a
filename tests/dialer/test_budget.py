"""The predictive pacer's budget: what is left of the day's target is spent, gradually, and no
window the rule is counted over (the day, 24 hours, 30 days, the last half hour) is let past
the 3% cap by the answers expected next."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.estimators import Estimates
from dialer.pacing import CAP, PacingInput, Predictive


def inp(**kw: Any) -> PacingInput:
    est = Estimates()
    est.p_human.p = kw.pop("p_human", 0.3)
    base: dict[str, Any] = {
        "now": 1000.0,
        "ready": 0,
        "waiting": 0,
        "logged_in": 20,
        "busy_elapsed": np.zeros(0),
        "inflight_elapsed": np.zeros(0),
        "ring_timeout": 25.0,
        "connect_within": 2.0,
        "target": 0.025,
        "running_24h": 0.0,
        "answers_24h": 0,
        "est": est,
        "dial_rate": 5.0,
    }
    base.update(kw)
    return PacingInput(**base)


def test_the_days_unspent_abandons_are_spread_over_the_next_half_hour() -> None:
    # 1,000 answers and 20 drops: 5 abandons of the 2.5% left; the next 30 minutes bring
    # 5 dials/s x 0.3 x 1,800 s = 2,700 answers, so 5 / 2,700 on top of the target.
    i = inp(day_answers=1000, day_drops=20, answers_24h=1000, running_24h=0.02)
    assert Predictive().budget(i) == pytest.approx(0.025 + 5 / 2700)
    # Nothing left unspent: the target; overspent: less, paid back over the same half hour.
    assert Predictive().budget(inp(day_answers=1000, day_drops=25)) == pytest.approx(0.025)
    assert Predictive().budget(inp(day_answers=1000, day_drops=27)) == pytest.approx(
        0.025 - 2 / 2700
    )


def test_a_quiet_morning_raises_the_budget_but_never_past_95_percent_of_the_cap() -> None:
    i = inp(day_answers=4000, day_drops=0, answers_24h=4000)
    assert Predictive().budget(i) == pytest.approx(0.95 * CAP)


counts = st.integers(min_value=0, max_value=20_000)


@settings(max_examples=300, deadline=None)
@given(
    day=st.tuples(counts, st.floats(0.0, 0.06)),
    h24=st.tuples(counts, st.floats(0.0, 0.06)),
    d30=st.tuples(counts, st.floats(0.0, 0.06)),
    recent=st.tuples(counts, st.floats(0.0, 0.10)),
    dial_rate=st.floats(0.0, 40.0),
    p_human=st.floats(0.05, 0.8),
)
def test_no_window_passes_the_cap_once_the_next_answers_are_in(
    day: tuple[int, float],
    h24: tuple[int, float],
    d30: tuple[int, float],
    recent: tuple[int, float],
    dial_rate: float,
    p_human: float,
) -> None:
    i = inp(
        day_answers=day[0],
        day_drops=int(day[0] * day[1]),
        answers_24h=h24[0],
        running_24h=h24[1],
        answers_30d=d30[0],
        running_30d=d30[1],
        answers_recent=recent[0],
        running_recent=recent[1],
        dial_rate=dial_rate,
        p_human=p_human,
    )
    r = Predictive().budget(i)
    assert 0.1 * i.target - 1e-12 <= r <= 0.95 * CAP + 1e-12
    if r <= 0.1 * i.target + 1e-12:
        return  # the floor: some window was already at or past the cap
    a = max(dial_rate * p_human * 300.0, 10.0)  # the answers of the next five minutes
    for answers, drops in (
        (i.day_answers, i.day_drops),
        (i.answers_24h, i.running_24h * i.answers_24h),
        (i.answers_30d, i.running_30d * i.answers_30d),
        (i.answers_recent, i.running_recent * i.answers_recent),
    ):
        assert (drops + r * a) / (answers + a) <= CAP + 1e-9


def test_calibration_follows_drops_seen_over_drops_predicted_and_forgets() -> None:
    p = Predictive()
    p.launch(inp(now=0.0, day_drops=0))  # the first look (progressive: too little data)
    p.drops_predicted += 40.0  # the model expected 40 drops...
    p.launch(inp(now=1.0, day_drops=20))  # ... and 20 came
    assert p.calibration() == pytest.approx((3 + 20) / (3 + 40), rel=1e-3)
    p.launch(inp(now=1.0 + 10 * 1800.0, day_drops=20))  # five hours later, nothing new
    assert p.calibration() == pytest.approx(1.0, abs=1e-3)
