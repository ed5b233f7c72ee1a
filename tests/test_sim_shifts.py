"""Simulated agents follow their shifts: logged in only within them, and at a shift's end they
finish the call and wrap-up in progress, then log out. Recounted from the agents' state changes
(the engine's notices, stamped with the time of the step) and the call records."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acd.config.schema import Config
from acd.config.simulation import Shift
from acd.records import CallDetail
from acd.simulate import build
from dialer.scenarios import outbound_scenario
from telephony_adapters.simulated_shifts import ShiftDay

START = 10 * 3600  # the scenarios start at 10:00
WRAP = 100.0  # long, so that shifts also end during wrap-ups


def at(hhmm: str) -> float:
    h, m = hhmm.split(":")
    return int(h) * 3600 + int(m) * 60 - START


def scenario(shifts: dict[str, list[dict[str, str]]], *, sim_wrap: bool, talk: float) -> Config:
    base = outbound_scenario(4, 0.3, hours=3.0).model_dump(exclude_defaults=True)
    base["simulation"]["start"] = "10:00"
    base["simulation"]["outbound"]["talk_time"] = {"distribution": "fixed", "mean": talk}
    if sim_wrap:  # the simulated agents end their wrap-up, after exactly WRAP seconds
        base["simulation"]["agents"]["wrap_up"] = {"distribution": "fixed", "mean": WRAP}
    else:  # the campaign's wrap-up, timed by the engine
        del base["simulation"]["agents"]["wrap_up"]
        base["campaigns"][0]["wrap_up_seconds"] = WRAP
    for i, (aid, s) in enumerate(shifts.items()):
        base["agents"].append({"id": aid, "skills": {"out": 5}, "shifts": s})
        assert i < 4, "four simulated agents at most beside the four of the scenario"
    return Config.model_validate(base)


def run(cfg: Config) -> tuple[dict[str, list[tuple[float, str]]], list[CallDetail]]:
    """Each agent's states over the run, as (time, state) changes; and the call records."""
    core, _, driver = build(cfg)
    records: list[CallDetail] = []
    core.cdr_sink = records.append  # type: ignore[attr-defined]
    states: dict[str, list[tuple[float, str]]] = {}
    core.notices = []  # type: ignore[misc]
    handle, on_timer = core.handle, core.on_timer

    def drain(now: float) -> None:
        for n in core.notices or ():
            if n["type"] == "agent":
                log = states.setdefault(n["agent"]["id"], [])
                if not log or log[-1][1] != n["agent"]["state"]:
                    log.append((now, n["agent"]["state"]))
        core.notices = []  # type: ignore[misc]

    def step(e: Any, now: float) -> Any:
        out = handle(e, now)
        drain(now)
        return out

    def tick(now: float) -> Any:
        out = on_timer(now)
        drain(now)
        return out

    core.handle, core.on_timer = step, tick  # type: ignore[method-assign]
    driver.run(cfg.simulation.hours * 3600.0)  # type: ignore[union-attr]
    return states, records


def presence(log: list[tuple[float, str]]) -> list[tuple[float, float]]:
    """Logged-in spans from the state changes (an open one ends at infinity)."""
    spans, since = [], None
    for t, state in log:
        if state != "logged_out" and since is None:
            since = t
        elif state == "logged_out" and since is not None:
            spans.append((since, t))
            since = None
    if since is not None:
        spans.append((since, float("inf")))
    return spans


@pytest.mark.parametrize("sim_wrap", [True, False])
def test_agents_work_their_shifts_and_finish_the_call_in_progress(sim_wrap: bool) -> None:
    shifts = {
        "s0": [{"start": "10:30", "end": "11:10"}, {"start": "11:50", "end": "12:30"}],
        "s1": [{"start": "09:00", "end": "10:45"}, {"start": "11:20", "end": "12:05"}],
        "s2": [{"start": "10:10", "end": "10:35"}, {"start": "11:00", "end": "11:35"}],
        "s3": [{"start": "10:05", "end": "10:25"}, {"start": "10:55", "end": "12:15"}],
    }
    states, records = run(scenario(shifts, sim_wrap=sim_wrap, talk=100))
    on_call = in_wrap = 0
    for aid, spans in shifts.items():
        want = [(max(0.0, at(s["start"])), at(s["end"])) for s in spans]
        got = presence(states[aid])
        assert [s for s, _ in got] == [s for s, _ in want], aid  # logged in at each start
        calls = sorted((r for r in records if r.agent_id == aid), key=lambda r: r.ended)
        for (login, logout), (_, end) in zip(got, want, strict=True):
            assert logout >= end
            mine = [r for r in calls if login <= r.answered < logout]  # type: ignore[operator]
            assert all(r.offered < end for r in mine)  # type: ignore[operator]  # none after
            if logout > end:  # busy at the end: out once the last call's wrap-up is over
                last = mine[-1]
                assert logout == pytest.approx(last.ended + last.wrap_seconds, abs=0.01)
                on_call += last.ended > end
                in_wrap += last.ended <= end
        # Every wrap-up ran its full length, the last one of a shift included.
        assert all(r.wrap_seconds == pytest.approx(WRAP, abs=0.01) for r in calls)
        # No call reached the agent while logged out.
        assert all(any(s <= r.answered < e for s, e in got) for r in calls)  # type: ignore[operator]
    assert on_call and in_wrap  # shifts ended during a call, and during a wrap-up


def test_a_call_that_runs_into_the_next_shift_keeps_the_agent_logged_in() -> None:
    shifts = {"s0": [{"start": "10:00", "end": "10:40"}, {"start": "10:41", "end": "11:30"}]}
    states, records = run(scenario(shifts, sim_wrap=True, talk=1200))
    (call,) = [
        r
        for r in records
        if r.agent_id == "s0" and r.answered < at("10:40") < r.ended + r.wrap_seconds  # type: ignore[operator]
    ]
    assert call.ended > at("10:41")  # so the second shift began while the agent was busy
    (span,) = presence(states["s0"])  # never logged out in between
    assert span[0] == 0.0 and span[1] > at("11:30")


@given(
    st.lists(st.integers(0, 24 * 4), min_size=2, max_size=8, unique=True).map(sorted),
    st.integers(0, 24 * 3600 - 1),
)
def test_shift_day_agrees_with_the_shifts(marks: list[int], tod: int) -> None:
    if len(marks) % 2:
        marks = marks[:-1]
    spans = [(marks[i] * 900, marks[i + 1] * 900) for i in range(0, len(marks), 2)]
    if any(b - a == 0 for a, b in spans) or any(
        spans[i + 1][0] <= spans[i][1] for i in range(len(spans) - 1)
    ):
        return
    hm = [f"{s // 3600:02d}:{s % 3600 // 60:02d}" for span in spans for s in span]
    day = ShiftDay([Shift(start=hm[i], end=hm[i + 1]) for i in range(0, len(hm), 2)])
    on = any(a <= tod < b for a, b in spans)
    assert day.on_shift(tod) == on
    # The next edge is the first later second where presence differs; on all day, there is
    # none, and the agent is looked at again at midnight.
    nxt = tod + day.next_edge(tod)
    if spans == [(0, 86400)]:
        assert on and nxt == 86400
        return
    assert day.on_shift(nxt % 86400) != on
    assert all(day.on_shift(s % 86400) == on for s in range(tod, int(nxt), 900)[1:])
