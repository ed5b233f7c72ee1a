"""The regime benchmark's days are what they say, and its abandonment figures match a hand
count."""

from __future__ import annotations

import pytest

from acd.records import CallDetail
from benchmarks.regimes import abandonment
from dialer.scenarios import REGIMES, START
from telephony_adapters.simulated_shifts import ShiftDay


def by_name(name: str) -> object:
    return next(r for r in REGIMES if r.name == name)


def working(cfg: object, second: float) -> int:
    """Agents on shift at ``second`` into the day (all day: no shifts)."""
    agents = cfg.agents  # type: ignore[attr-defined]
    return sum(not a.shifts or ShiftDay(a.shifts).on_shift(START + second) for a in agents)


@pytest.mark.parametrize(("agents", "hours"), [(40, 8.0), (20, 2.0)])
def test_every_day_builds_and_changes_inside_the_day(agents: int, hours: float) -> None:
    for r in REGIMES:
        cfg = r.build(agents, hours, 1)
        assert len(cfg.agents) == agents
        assert all(0 <= c < hours * 3600 for c in r.changes(hours)), r.name


def test_the_team_days_follow_the_issue() -> None:
    ramp = by_name("morning ramp").build(40, 8.0, 1)  # type: ignore[attr-defined]
    ramp_up = [working(ramp, m * 60) for m in range(21)]
    assert ramp_up[0] == 2 and ramp_up[20] == 40 and ramp_up == sorted(ramp_up)
    assert all(abs(n - (2 + 38 * m / 20)) <= 2 for m, n in enumerate(ramp_up))  # even
    half = by_name("half leave").build(40, 8.0, 1)  # type: ignore[attr-defined]
    assert [working(half, h * 3600) for h in (2.9, 3.0, 5.9, 6.0)] == [40, 20, 20, 40]  # 11-14
    x3 = by_name("answer x3").build(40, 8.0, 1).simulation.outbound.regimes()  # type: ignore[attr-defined]
    assert [(at, o.human_probability) for at, o in x3] == [(0, 0.15), (12 * 3600, 0.45)]
    talk = by_name("talk x2.5").build(40, 8.0, 1).simulation.outbound.regimes()  # type: ignore[attr-defined]
    assert [o.talk_time.mean for _, o in talk] == [90, 225]


def live(minute: float, dropped: bool) -> CallDetail:
    t = minute * 60
    return CallDetail(
        "x", "outbound", "campaign:c", "+1", t, t, t, t + 1, None, "answered", 0.0,
        abandoned_2s=dropped,
    )  # fmt: skip


def test_abandonment_counts_by_answer_time_in_full_hours() -> None:
    # First hour: 30 live answers, 3 dropped (minute 10). Second: 40, 8 dropped (minute 100).
    records = [live(10, True)] * 3 + [live(5, False)] * 27
    records += [live(100, True)] * 8 + [live(70, False)] * 32
    records.append(  # a dial that never reached a person
        CallDetail("n", "outbound", None, "+1", 0.0, None, None, 25.0, None, "no_answer", 0.0)
    )
    got = abandonment(records, 2 * 3600.0, [0.0, 3600.0, 90 * 60.0])
    assert got["live"] == 70
    assert got["day"] == pytest.approx(11 / 70)
    # The hour from 1:30 holds 8 answers, too few to say anything.
    assert got["after"] == [pytest.approx(3 / 30), pytest.approx(8 / 40), None]
    # Worst full hour: minutes 41-100 hold the second hour's 40 answers and 8 drops, none of
    # the first hour's (minutes 5 and 10).
    assert got["worst_hour"] == pytest.approx(8 / 40)
