"""Day changes in scenarios: the called parties' behaviour changes at a time of day, and
simulated agents follow shifts. Figures are recounted from the call records and the agents'
state changes, and compared with the configured (true) values."""

from __future__ import annotations

import math
from typing import Any

import pytest

from acd.config import config_from_text
from acd.config.schema import Config
from acd.errors import ConfigError
from acd.records import CallDetail
from acd.simulate import build
from dialer.scenarios import outbound_scenario

NOON = 2 * 3600.0  # the scenarios start at 10:00


def scenario(
    agents: int, hours: float, changes: list[dict[str, Any]], start: str = "10:00", **out: Any
) -> Config:
    base = outbound_scenario(agents, 0.15, hours=hours).model_dump(exclude_defaults=True)
    sim = base["simulation"]
    sim["start"] = start
    sim["outbound"] |= {"ring_to_answer": {"distribution": "fixed", "mean": 10}, **out}
    sim["outbound"]["changes"] = changes
    return Config.model_validate(base)


def run(cfg: Config) -> tuple[Any, list[CallDetail], float]:
    core, _, driver = build(cfg)
    records: list[CallDetail] = []
    core.cdr_sink = records.append  # type: ignore[attr-defined]
    end = driver.run(cfg.simulation.hours * 3600.0)  # type: ignore[union-attr]
    return core, records, end


def live_share(records: list[CallDetail]) -> tuple[float, int]:
    """Live answers per dial, recounted from the records: a live answer reached the campaign's
    queue; machines, no answers and busies did not."""
    dials = [r for r in records if r.direction == "outbound"]
    return sum(r.queue is not None for r in dials) / len(dials), len(dials)


def test_a_change_of_the_answer_rate_at_noon_applies_to_calls_dialed_from_noon() -> None:
    cfg = scenario(6, 4.0, [{"at": "12:00", "human_probability": 0.45}])
    _, records, _ = run(cfg)
    before = [r for r in records if r.dialed is not None and r.dialed < NOON]
    after = [r for r in records if r.dialed is not None and r.dialed >= NOON]
    for part, p in ((before, 0.15), (after, 0.45)):
        share, n = live_share(part)
        assert n > 500
        assert share == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n)), (p, share, n)
    # The calls dialed before noon met the same far ends as in the day without the change
    # (common random numbers): the change did not reach back.
    _, plain, _ = run(scenario(6, 4.0, []))
    live = {r.call_id: r.queue is not None for r in before}
    same = {r.call_id: r.queue is not None for r in plain if r.dialed is not None}
    assert live and all(same[k] == v for k, v in live.items())
    assert live_share([r for r in plain if (r.dialed or 0) >= NOON])[0] < 0.2


def test_a_talk_time_change_applies_to_calls_connected_from_then() -> None:
    cfg = scenario(
        3,
        4.0,
        [{"at": "12:00", "talk_time": {"distribution": "fixed", "mean": 225}}],
        talk_time={"distribution": "fixed", "mean": 90},
    )
    _, records, _ = run(cfg)
    talked = [r for r in records if r.connected_to_agent_at is not None and r.talk_seconds]
    early = {round(r.talk_seconds, 6) for r in talked if r.connected_to_agent_at < NOON}  # type: ignore[operator]
    late = {round(r.talk_seconds, 6) for r in talked if r.connected_to_agent_at >= NOON}  # type: ignore[operator]
    assert early == {90.0} and late == {225.0}
    # Dialed before noon, connected after: the new talk time.
    straddling = [r for r in talked if r.dialed < NOON <= r.connected_to_agent_at]  # type: ignore[operator]
    assert all(round(r.talk_seconds) == 225 for r in straddling)


def test_changes_repeat_every_day_from_the_base() -> None:
    cfg = scenario(3, 3.0, [{"at": "23:00", "human_probability": 0.6}], start="22:00")
    _, records, _ = run(cfg)
    for lo, hi, p in ((0, 3600, 0.15), (3600, 7200, 0.6), (7200, 3 * 3600, 0.15)):
        share, n = live_share([r for r in records if lo <= (r.dialed or -1) < hi])
        assert n > 100 and share == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n)), lo


# --- the config: bad changes and shifts are named by file, line and field ---------------------
SCENARIO = """\
campaigns:
  - {name: c, mode: predictive, skills: {out: 1}, safe_harbor_message: sh}
agents:
  - {id: a0, skills: {out: 5}}
  - id: a1
    shifts:
      - {start: "08:00", end: "12:00"}
      - {start: "%s", end: "16:00"}
simulation:
  outbound:
    changes:
      - {at: "11:00", human_probability: 0.4}
      - {at: "%s", %s}
"""


def load(shift: str = "13:00", at: str = "12:00", change: str = "talk_time_x: 2") -> Config:
    return config_from_text(SCENARIO % (shift, at, change), "day.yaml")


def test_a_good_scenario_loads() -> None:
    cfg = load(change="machine_probability: 0.3")
    assert cfg.agents[1].shifts[1].start == "13:00"
    regimes = cfg.simulation.outbound.regimes()  # type: ignore[union-attr]
    assert [(at, r.human_probability, r.machine_probability) for at, r in regimes] == [
        (0, 0.3, 0.15),
        (11 * 3600, 0.4, 0.15),
        (12 * 3600, 0.4, 0.3),
    ]


@pytest.mark.parametrize(
    ("shift", "at", "change", "line", "field", "words"),
    [
        (
            "13:00",
            "12:00",
            "talk_time_x: 2",
            13,
            "simulation.outbound.changes[1].talk_time_x",
            "unknown key 'talk_time_x'",
        ),
        (
            "13:00",
            "12:00",
            "changes: []",
            13,
            "simulation.outbound.changes[1].changes",
            "unknown key",
        ),
        (
            "13:00",
            "12:61",
            "busy_probability: 0.1",
            13,
            "simulation.outbound.changes[1].at",
            "HH:MM",
        ),
        (
            "13:00",
            "10:00",
            "busy_probability: 0.1",
            13,
            "simulation.outbound.changes[1].at",
            "increasing time order",
        ),
        (
            "13:00",
            "12:00",
            "human_probability: 0.9",
            13,
            "simulation.outbound.changes[1]",
            "add up to 1.1",
        ),
        ("13:00", "12:00", "", 13, "simulation.outbound.changes[1]", "at least one"),
        ("11:00", "12:00", "busy_probability: 0.1", 8, "agents[1].shifts[1]", "must start after"),
        ("12:00", "12:00", "busy_probability: 0.1", 8, "agents[1].shifts[1]", "must start after"),
        (
            "17:00",
            "12:00",
            "busy_probability: 0.1",
            8,
            "agents[1].shifts[1]",
            "ends after it starts",
        ),
    ],
)
def test_bad_changes_and_shifts_name_file_line_and_field(
    shift: str, at: str, change: str, line: int, field: str, words: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load(shift, at, change)
    e = err.value
    assert (e.file, e.line, e.field) == ("day.yaml", line, field), str(e)
    assert words in str(e)


def test_a_person_has_no_simulated_shifts() -> None:
    text = (SCENARIO % ("13:00", "12:00", "busy_probability: 0.1")).replace(
        "  outbound:", "  agents: {people: [a1]}\n  outbound:"
    )
    with pytest.raises(ConfigError) as err:
        config_from_text(text, "day.yaml")
    assert (err.value.line, err.value.field) == (7, "agents[1].shifts")
