"""The VICIdial baseline the pacing benchmarks compare against, step by step against its
control law worked out by hand (ANCHORS.md: AST_VDadapt.pl, AST_VDauto_dial.pl at default
settings, ADAPT_TAPERED): 1 s samples, 15-sample means, every 15 s DL *= 1 + m with
m = (ready - waiting + diff_target) / logged-in, clamped to [1, 3]; halved when over half of the
last minute's calls (over 20) dropped; tapered by min(1, minutes left / 1000) while today's drop
percentage, refreshed each minute, is over 3% after 50 calls; every 2.5 s place
round(DL * (ready + in-call)) - calls in progress."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from benchmarks.vicidial import VicidialAdaptTapered
from dialer.pacing import Estimates, PacingInput


def inp(now: float, ready: int, waiting: int, logged: int, **kw: Any) -> PacingInput:
    busy = kw.pop("busy", 0)
    inflight = kw.pop("inflight", 0)
    return PacingInput(
        now=now,
        ready=ready,
        waiting=waiting,
        logged_in=logged,
        busy_elapsed=np.zeros(busy),
        inflight_elapsed=np.zeros(inflight),
        ring_timeout=25.0,
        connect_within=2.0,
        target=0.03,
        running_24h=0.0,
        answers_24h=0,
        est=Estimates(),
        **kw,
    )


def run(p: VicidialAdaptTapered, start: int, seconds: int, *args: int, **kw: Any) -> list[int]:
    """One sample a second from ``start`` for ``seconds`` seconds; what each placed."""
    return [p.launch(inp(float(t), *args, **kw)) for t in range(start, start + seconds)]


def test_the_level_moves_every_15_s_by_the_mean_of_the_last_15_samples() -> None:
    p = VicidialAdaptTapered()
    run(p, 0, 15, 4, 1, 10)  # t = 0..14: samples only; the first update is due at t = 15
    assert p.dl == 1.0
    run(p, 15, 1, 4, 1, 10)  # t = 15: m = (4 - 1) / 10 = 0.3
    assert p.dl == pytest.approx(1.3)
    # The window holds the last 15 samples, t = 16..30: ten of ready 7, then five of ready 2.
    run(p, 16, 10, 7, 0, 10)
    run(p, 26, 5, 2, 0, 10)  # t = 30: m = (10 * 7 + 5 * 2) / 15 / 10 = 0.5333
    assert p.dl == pytest.approx(1.3 * (1 + 80 / 150))


def test_the_level_is_clamped_to_one_and_three() -> None:
    p = VicidialAdaptTapered()
    run(p, 0, 16, 10, 0, 10)  # m = 1: 2.0
    run(p, 16, 15, 10, 0, 10)  # 4.0 -> 3
    assert p.dl == 3.0
    run(p, 31, 15, 0, 20, 10)  # m = -2: 3 * -1 -> 1
    assert p.dl == 1.0


def test_more_than_half_dropped_in_the_last_minute_halves_the_level() -> None:
    p = VicidialAdaptTapered()
    run(p, 0, 15, 10, 0, 10)
    run(p, 15, 1, 10, 0, 10, minute_calls=30, minute_drops=16)  # 2.0, halved: 1.0
    assert p.dl == 1.0
    p = VicidialAdaptTapered()
    run(p, 0, 15, 10, 0, 10)
    run(p, 15, 1, 10, 0, 10, minute_calls=20, minute_drops=16)  # 20 calls: not over 20
    assert p.dl == 2.0


def test_over_3_percent_today_tapers_with_the_minutes_left() -> None:
    p = VicidialAdaptTapered()
    kw = {"day_answers": 100, "day_drops": 5, "minutes_left": 500.0}  # 5% > 3%
    run(p, 0, 16, 10, 0, 10, **kw)  # 2.0 * 500 / 1000
    assert p.dl == 1.0
    p = VicidialAdaptTapered()
    run(p, 0, 16, 10, 0, 10, day_answers=40, day_drops=5, minutes_left=500.0)  # under 50
    assert p.dl == 2.0


def test_todays_drop_percentage_is_refreshed_once_a_minute() -> None:
    p = VicidialAdaptTapered()
    run(p, 0, 1, 10, 0, 10, day_answers=100, day_drops=0, minutes_left=500.0)  # 0% read at 0
    run(p, 1, 15, 10, 0, 10, day_answers=100, day_drops=10, minutes_left=500.0)  # not re-read
    assert p.dl == 2.0  # t = 15: m = 1, no taper: the 10% is not seen before t = 60
    run(p, 16, 45, 10, 0, 10, day_answers=100, day_drops=10, minutes_left=500.0)
    # t = 30 and 45: 4 -> 3 (clamp); t = 60 reads 10%: 3 * 2 * 0.5 = 3 (clamp)
    assert p.drop_pct == 10.0
    run(p, 61, 14, 2, 0, 10, day_answers=100, day_drops=10, minutes_left=200.0)
    # t = 75: the window is t = 61..75, 14 samples of ready 2 and this one of ready 2: m = 0.2;
    # 3 * 1.2 = 3.6, tapered by 200 / 1000: 0.72, clamped to 1
    run(p, 75, 1, 2, 0, 10, day_answers=100, day_drops=10, minutes_left=200.0)
    assert p.dl == 1.0
    run(p, 76, 15, 10, 0, 10, day_answers=100, day_drops=10, minutes_left=900.0)
    assert p.dl == pytest.approx(1.8)  # t = 90: 1 * 2 * 0.9


def test_calls_are_placed_every_2_5_s_to_the_goal() -> None:
    p = VicidialAdaptTapered()
    placed = run(p, 0, 10, 3, 0, 10, busy=4, inflight=2)
    # DL 1: goal round(1 * (3 + 4)) = 7; in progress 2 dialing + 4 in call = 6: one call;
    # placements at t = 0, 3, 6, 9 (2.5 s apart at least, on the 1 s samples).
    assert placed == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    p.dl = 2.0
    assert p.launch(inp(12.0, 3, 1, 10, busy=4, inflight=2)) == 14 - 7  # waiting counts too
