"""The simulated trunk: arrivals follow the profile, outbound outcomes follow the probabilities."""

from __future__ import annotations

from collections import Counter

import pytest

from acd import events as ev
from acd.commands import HangUp, Originate
from acd.config.schema import Config
from acd.errors import InvalidEvent
from telephony_adapters.simulated import SimulatedTrunk, rate_segments


def cfg(**sim: object) -> Config:
    return Config.model_validate(
        {"queues": [{"name": "q"}], "agents": [], "simulation": {"hours": 10, **sim}}
    )


def test_profile_segments_follow_time_of_day() -> None:
    c = cfg(
        start="08:00",
        traffic={
            "q": {
                "profile": [
                    {"start": "09:00", "calls_per_hour": 100},
                    {"start": "12:00", "calls_per_hour": 50},
                ],
                "handle_time": {"distribution": "fixed", "mean": 60},
            }
        },
    )
    segs = rate_segments(c.simulation.traffic["q"], 8 * 3600, 10 * 3600)  # type: ignore[union-attr]
    # 08:00-09:00 wraps to the last interval of the day (50/h), then 100/h, then 50/h.
    assert [(a / 3600, b / 3600, round(r * 3600)) for a, b, r in segs] == [
        (0, 1, 50),
        (1, 4, 100),
        (4, 10, 50),
    ]


def test_arrival_count_matches_the_rate() -> None:
    c = cfg(
        traffic={"q": {"calls_per_hour": 360, "handle_time": {"distribution": "fixed", "mean": 1}}}
    )
    trunk = SimulatedTrunk(c, c.simulation)  # type: ignore[arg-type]
    n = 0
    while trunk.next_time() is not None:
        _, e = trunk.pop()
        n += isinstance(e, ev.CallArrived)
    assert n == pytest.approx(3600, rel=0.06)


def test_outbound_outcomes_follow_the_probabilities() -> None:
    c = cfg(
        outbound={
            "human_probability": 0.3,
            "machine_probability": 0.15,
            "busy_probability": 0.1,
            "failed_probability": 0.05,
            "ring_to_answer": {"distribution": "fixed", "mean": 10},
        }
    )
    trunk = SimulatedTrunk(c, c.simulation)  # type: ignore[arg-type]
    for i in range(20_000):
        trunk.execute(Originate(f"o{i}", "+15551230000", ring_timeout=25), 0.0)
    got: Counter[str] = Counter()
    while trunk.next_time() is not None:
        t, e = trunk.pop()
        if isinstance(e, ev.OutboundAnswered):
            got["machine" if e.machine else "human"] += 1
            assert t == 10
        elif isinstance(e, ev.OutboundFailed):
            got[e.reason] += 1
            assert t == {"no_answer": 25, "busy": 3, "failed": 0}[e.reason]
    share = {k: v / 20_000 for k, v in got.items()}
    expected = {"human": 0.3, "machine": 0.15, "busy": 0.1, "failed": 0.05, "no_answer": 0.4}
    for k, p in expected.items():
        assert share[k] == pytest.approx(p, abs=0.015)


def test_late_answer_is_no_answer_and_hangup_cancels() -> None:
    c = cfg(
        outbound={
            "human_probability": 1.0,
            "machine_probability": 0.0,
            "busy_probability": 0.0,
            "failed_probability": 0.0,
            "ring_to_answer": {"distribution": "fixed", "mean": 30},
        }
    )
    trunk = SimulatedTrunk(c, c.simulation)  # type: ignore[arg-type]
    trunk.execute(Originate("a", "+15551230000", ring_timeout=20), 0.0)
    trunk.execute(Originate("b", "+15551230001", ring_timeout=20), 0.0)
    trunk.execute(HangUp("b", "abandon"), 1.0)
    events = []
    while trunk.next_time() is not None:
        events.append(trunk.pop())
    assert events == [(20.0, ev.OutboundFailed("a", "no_answer")), (20.0, None)]


def test_ring_time_under_15_seconds_is_refused() -> None:
    with pytest.raises(InvalidEvent):
        Originate("x", "+15551230000", ring_timeout=10)
