"""The interval gauges at /metrics: the last closed interval's service level, ASA and offered
calls per queue, and occupancy, worked out by hand for a day driven with the engine's clock."""

from __future__ import annotations

from prometheus_client import generate_latest

from acd.daemon.metrics import Metrics
from tests.helpers import Center, config


def scrape(c: Center) -> dict[str, float]:
    m = Metrics("test")
    m.attach(
        lambda: c.engine.snapshot(c.now),
        dict,
        figures=lambda: c.engine.interval_figures(c.now),
    )
    out = {}
    for line in generate_latest(m.registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def day() -> Center:
    cfg = config(
        [{"name": "q", "wrap_up_seconds": 0, "short_abandon_seconds": 5}],
        [{"id": "a1", "skills": {}}],
        center={"time_zone": "UTC"},
        reporting={"interval_minutes": 15},
    )
    c = Center(cfg)
    c.advance_to(10)
    c.arrive("c1", "q")  # rings a1 at once
    c.advance_to(15)
    c.answer("c1", "a1")  # waited 5 s
    c.advance_to(50)
    c.arrive("c2", "q")  # a1 busy: waits
    c.advance_to(100)
    c.hangup("c1")  # a1 ready: c2 rings
    c.advance_to(105)
    c.answer("c2", "a1")  # waited 55 s
    c.advance_to(200)
    c.arrive("c3", "q")
    c.advance_to(260)
    c.hangup("c3")  # abandoned after 60 s
    c.advance_to(300)
    c.hangup("c2")
    return c


def test_last_interval_figures_are_the_closed_interval_s_by_hand() -> None:
    c = day()
    c.advance_to(950)  # the interval [0, 900) is closed; [900, 1800) has no call
    got = scrape(c)
    # Answered within 20 s: c1 only, over the 3 calls that ended (no short abandon).
    assert got['acd_interval_service_level_ratio{queue="q"}'] == 1 / 3
    assert got['acd_interval_asa_seconds{queue="q"}'] == (5 + 55) / 2
    assert got['acd_interval_offered{queue="q"}'] == 3
    assert got['acd_asa_seconds{queue="q"}'] == 30


def test_occupancy_is_busy_over_busy_ready_and_ringing_time() -> None:
    """Center-wide only: no agent id is a label."""
    c = day()
    c.advance_to(950)
    got = scrape(c)
    assert not any("a1" in name for name in got)
    busy = (100 - 15) + (300 - 105)  # on a call (no wrap-up)
    ringing = 5 + 5
    ready = 10 + (950 - 300)
    assert got["acd_occupancy_ratio"] == busy / (busy + ringing + ready)


def test_a_queue_without_calls_in_the_last_interval_has_no_service_level() -> None:
    c = day()
    c.advance_to(1850)  # the last closed interval is [900, 1800): nothing offered
    got = scrape(c)
    assert got['acd_interval_offered{queue="q"}'] == 0
    assert 'acd_interval_service_level_ratio{queue="q"}' not in got
