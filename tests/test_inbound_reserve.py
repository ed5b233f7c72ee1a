"""The inbound reserve of a blended campaign against Erlang C computed in the test.

Blended agents keep back, from the dialer, the agents the inbound queue needs for its service
level at the arrival rate of the last 15 minutes and its measured handle time: the smallest N
whose Erlang C service level reaches the queue's target. The pacer sees the ready agents left
after the reserve; the test reads them from the pacer's input and compares with N from
tests/erlang_ref.py (Erlang C from its definition, exact fractions)."""

from __future__ import annotations

from random import Random

import pytest

from acd import events as ev
from acd.config.schema import Config
from dialer.center import Center
from dialer.pacing import PacingInput
from tests import erlang_ref as ref
from tests.helpers import Clock

BLENDED = 40  # blended agents logged in when the reserve is read: more than any reserve below
HANDLERS = 4  # inbound-only agents that set the queue's handle time


class Watch:
    """A pacer that places nothing and remembers how many ready agents it was given."""

    cadence = 1.0

    def __init__(self) -> None:
        self.ready: list[int] = []

    def launch(self, inp: PacingInput) -> int:
        self.ready.append(inp.ready)
        return 0


class NoLeads:
    def next_lead(self, now: float) -> tuple[str, str] | None:
        return None

    def record(self, lead_id: str, outcome: str, now: float) -> None:
        pass


def blended(target: float, threshold: float, reserve: bool = True) -> Config:
    return Config.model_validate(
        {
            "queues": [
                {
                    "name": "inbound",
                    "skills": {"in": 1},
                    "wrap_up_seconds": 0,
                    "service_level": {"threshold_seconds": threshold, "target": target},
                }
            ],
            "campaigns": [
                {
                    "name": "c",
                    "mode": "progressive",
                    "skills": {"out": 1},
                    "wrap_up_seconds": 0,
                    "inbound_reserve": reserve,
                }
            ],
            "agents": [
                *({"id": f"b{i}", "skills": {"out": 5, "in": 5}} for i in range(BLENDED)),
                *({"id": f"h{i}", "skills": {"in": 5}} for i in range(HANDLERS)),
            ],
        }
    )


def ready_after_reserve(
    per_hour: float, aht: float, target: float, threshold: float, reserve: bool = True
) -> tuple[int, float]:
    """Drive a center to a measured arrival rate and handle time; returns the ready agents the
    pacer is given with every blended agent ready, and the arrival rate per second."""
    watch = Watch()
    c = Center(
        blended(target, threshold, reserve),
        rng=Random(1),
        leads={"c": NoLeads()},
        pacers={"c": watch},
    )
    clock = Clock(c)
    do, advance_to = clock.do, clock.advance_to

    # The handle time: HANDLERS calls, each talked for exactly ``aht`` (no hold, no wrap-up),
    # long enough ago to be out of the 15-minute arrival window.
    for i in range(HANDLERS):
        do(ev.AgentLogin(f"h{i}"))
    for i in range(HANDLERS):
        do(ev.CallArrived(f"warm{i}", "inbound"))
    for i in range(HANDLERS):
        do(ev.AgentAnswered(f"warm{i}", f"h{i}"))
    advance_to(aht)
    for i in range(HANDLERS):
        do(ev.CallHungUp(f"warm{i}", "caller"))
        do(ev.AgentPause(f"h{i}"))
    # The arrival rate: callers in (1000 s, 1800 s), each giving up at once (nobody is ready).
    m = round(per_hour * 900 / 3600)
    for j in range(m):
        advance_to(1000 + (j + 0.5) * 800 / m)
        do(ev.CallArrived(f"in{j}", "inbound"))
        do(ev.CallHungUp(f"in{j}", "caller"))
    # 1850 s: the window (950 s, 1850 s] holds exactly the m arrivals; nobody waits or talks.
    advance_to(1850)
    assert c.engine.queues["inbound"].present == 0
    for i in range(BLENDED):
        do(ev.AgentLogin(f"b{i}"))
    advance_to(1852)
    assert watch.ready, "the campaign was never paced"
    return watch.ready[-1], m / 900


CASES = [  # calls per hour, AHT seconds, service-level target, answer-within seconds
    (120, 180, 0.8, 20),
    (360, 60, 0.9, 15),
    (40, 300, 0.8, 30),
    (600, 120, 0.95, 10),
    (240, 90, 0.5, 5),
]


@pytest.mark.parametrize(("per_hour", "aht", "target", "threshold"), CASES)
def test_the_reserve_is_the_erlang_c_staffing_of_the_inbound_queue(
    per_hour: float, aht: float, target: float, threshold: float
) -> None:
    ready, rate = ready_after_reserve(per_hour, aht, target, threshold)
    need = ref.agents_for(rate * aht, aht, threshold, target)
    assert 0 < need < BLENDED
    assert ready == BLENDED - need, (need, ready)


def test_no_reserve_when_the_campaign_turns_it_off() -> None:
    ready, _ = ready_after_reserve(360, 60, 0.9, 15, reserve=False)
    assert ready == BLENDED
