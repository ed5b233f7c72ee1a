"""The daemon on the simulated trunk plays the scenario's day changes and shifts by the local
time of day it started at: driven through the live driver on a loop whose clock the test
moves (no sleeps, no wall clock)."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import datetime
from random import Random
from typing import Any

from acd.config import config_from_text
from acd.daemon.simtrunk import simulated_trunk, start_simulated_agents
from acd.drivers.live import LiveDriver
from acd.records import CallDetail
from dialer.center import Center

SCENARIO = """\
campaigns:
  - name: c
    mode: progressive
    skills: {out: 1}
    wrap_up_seconds: 600
    safe_harbor_message: sh
    calling_window: {start: "00:00", end: "24:00"}
agents:
  - {id: a0, skills: {out: 5}}
  - id: s0
    skills: {out: 5}
    shifts: [{start: "10:10", end: "10:30"}]
simulation:
  agents: {wrap_up: {distribution: fixed, mean: 10}}
  outbound:
    human_probability: 0.0
    machine_probability: 0.0
    busy_probability: 0.0
    failed_probability: 0.0
    ring_to_answer: {distribution: fixed, mean: 5}
    talk_time: {distribution: fixed, mean: 50}
    changes:
      - {at: "10:15", human_probability: 1.0}
      - {at: "10:20", talk_time: {distribution: fixed, mean: 80}}
"""


class _Handle:
    def __init__(self, loop: ClockLoop, when: float, callback: Callable[[], None]) -> None:
        self.when, self.callback, self.cancelled = when, callback, False

    def cancel(self) -> None:
        self.cancelled = True


class ClockLoop:
    """The two things the live driver asks of its loop: the time, and a call at a time."""

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, _Handle]] = []
        self._seq = 0

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> _Handle:
        h = _Handle(self, when, callback)
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, h))
        return h

    def run_until(self, t: float) -> None:
        while self._heap and self._heap[0][0] <= t:
            when, _, h = heapq.heappop(self._heap)
            if not h.cancelled:
                self.now = max(self.now, when)
                h.callback()
        self.now = t


def test_the_daemon_plays_changes_and_shifts_by_the_local_time_of_day() -> None:
    cfg = config_from_text(SCENARIO, "day.yaml")
    # 09:59:40 local time: the day's 10:10 is 620 s in (to the second, not the minute).
    epoch = datetime(2026, 3, 2, 9, 59, 40).timestamp()
    ten = epoch + 20  # 10:00
    core = Center(cfg, rng=Random(1))
    records: list[CallDetail] = []
    core.cdr_sink = records.append
    loop = ClockLoop()
    trunk = simulated_trunk(cfg, demo=False, prefix="t.", now=epoch)
    driver = LiveDriver(core, trunk=trunk, loop=loop, epoch=epoch)  # type: ignore[arg-type]
    start_simulated_agents(cfg, trunk, core, driver, login=True)
    driver.start()
    seen: dict[int, dict[str, Any]] = {}
    for t in range(0, 2460, 10):
        loop.run_until(float(t))
        seen[t] = {a: core.agents[a].state.value for a in ("a0", "s0")}
    assert seen[0]["a0"] != "logged_out"
    on = [t for t in seen if seen[t]["s0"] != "logged_out"]
    assert on[0] == 620 and all(t in on for t in range(620, 1820, 10))
    assert seen[2450]["s0"] == "logged_out"
    dials = [r for r in records if r.dialed is not None]
    live = [r for r in dials if r.queue is not None]
    # Nobody answers before 10:15, everybody from then on (by the time of dialing).
    assert all(r.dialed - ten >= 15 * 60 for r in live)  # type: ignore[operator]
    assert all(r.queue is None for r in dials if r.dialed < ten + 15 * 60)  # type: ignore[operator]
    assert all(r.queue is not None for r in dials if r.dialed >= ten + 15 * 60)  # type: ignore[operator]
    # Talk time by the moment the agent connects; s0 took calls only in its shift.
    for r in live:
        want = 80 if r.connected_to_agent_at >= ten + 20 * 60 else 50  # type: ignore[operator]
        assert round(r.talk_seconds) == want
    s0 = [r for r in live if r.agent_id == "s0"]
    assert s0 and all(ten + 600 <= r.answered < ten + 1800 for r in s0)  # type: ignore[operator]
    last = max(s0, key=lambda r: r.ended)
    out_at = core.agents["s0"].since
    assert out_at == max(ten + 1800.0, last.ended + last.wrap_seconds)
