"""Ready-made outbound scenarios: one campaign, a team of agents, and how called parties respond.

The pacing benchmark runs its grid and its regimes on these, and the tests check the pacer on
them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from acd.config.schema import Config

START = 8 * 3600  # the scenarios' days start at 08:00


def outbound_scenario(
    agents: int,
    p_live: float,
    *,
    talk: float = 90.0,
    hours: float = 8.0,
    seed: int = 1,
    mode: str = "predictive",
    changes: Sequence[dict[str, Any]] = (),
    shifts: dict[int, list[tuple[str, str]]] | None = None,
    target: float = 0.03,
) -> Config:
    """Live answers with probability ``p_live``, machines 0.15, the rest ring out at 25 s; ring
    time to answer lognormal (mean 12 s, sd 6 s); talk lognormal (mean ``talk``, cv 0.8); wrap-up
    exponential (mean 15 s, ended by the simulated agents; the campaign's wrap-up is only a cap).
    The day starts at 08:00; ``changes`` are ``simulation.outbound.changes``, ``shifts`` the
    (start, end) shifts of agents by index (the others work all day). The campaign aims at
    ``target``, by default the legal maximum (the hardest case for the cap; a campaign left at
    the product's default aims at 2.5%).
    """
    shifts = shifts or {}
    roster = []
    for i in range(agents):
        a: dict[str, Any] = {"id": f"a{i}", "skills": {"out": 5}}
        if i in shifts:
            a["shifts"] = [{"start": s, "end": e} for s, e in shifts[i]]
        roster.append(a)
    return Config.model_validate(
        {
            "name": "outbound",
            "campaigns": [
                {
                    "name": "c",
                    "mode": mode,
                    "skills": {"out": 1},
                    "wrap_up_seconds": 600,
                    "ring_seconds": 25,
                    "safe_harbor_message": "safe-harbor",
                    "abandonment_target": target,
                }
            ],
            "agents": roster,
            "simulation": {
                "seed": seed,
                "hours": hours,
                "start": hhmm(START),
                "agents": {"wrap_up": {"distribution": "exponential", "mean": 15}},
                "outbound": {
                    "human_probability": p_live,
                    "machine_probability": 0.15,
                    "busy_probability": 0.0,
                    "failed_probability": 0.0,
                    "ring_to_answer": {"distribution": "lognormal", "mean": 12, "sd": 6},
                    "talk_time": _talk(talk),
                    "changes": list(changes),
                },
            },
        }
    )


def hhmm(seconds: float) -> str:
    s = int(seconds) % 86400
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def _talk(mean: float) -> dict[str, Any]:
    return {"distribution": "lognormal", "mean": mean, "sd": 0.8 * mean}


@dataclass(frozen=True, slots=True)
class Regime:
    """A day in which the world changes and the pacer is told nothing. ``build(agents, hours,
    seed)`` makes the scenario; ``changes(hours)`` the seconds into the day where it changes
    (the hours after them are the ones to watch)."""

    name: str
    what: str
    build: Callable[[int, float, int], Config]
    changes: Callable[[float], list[float]]


def _at(day: float, share: float) -> float:
    """The second ``share`` of the way into a day of ``day`` hours, on a whole minute."""
    return round(day * 3600 * share / 60) * 60


def _step(name: str, what: str, p_live: float, talk: float = 90.0, **new: Any) -> Regime:
    """At midday (12:00 in an 8-hour day) the fields ``new`` change."""

    def build(n: int, h: float, seed: int) -> Config:
        change = {"at": hhmm(START + _at(h, 0.5)), **new}
        return outbound_scenario(n, p_live, talk=talk, hours=h, seed=seed, changes=[change])

    return Regime(name, what, build, lambda h: [_at(h, 0.5)])


def _half_leave(n: int, h: float, seed: int) -> Config:
    """Half the team leaves at 3/8 of the day for 3/8 of it (11:00-14:00) and comes back."""
    off, back = START + _at(h, 3 / 8), START + _at(h, 6 / 8)
    day = [(hhmm(START), hhmm(off)), (hhmm(back), "24:00")]
    return outbound_scenario(n, 0.30, hours=h, seed=seed, shifts={i: day for i in range(n // 2)})


def _ramp(n: int, h: float, seed: int) -> Config:
    """Two agents at the start, the rest logging in one after another over 20 minutes."""
    shifts = {
        i: [(hhmm(START + 60 * (1 + (i - 2) * 19 // max(1, n - 3))), "24:00")] for i in range(2, n)
    }
    return outbound_scenario(n, 0.30, hours=h, seed=seed, shifts=shifts)


def _spike(n: int, h: float, seed: int) -> Config:
    """The answer rate quadruples for 30 minutes at midday, then falls back."""
    mid = START + _at(h, 0.5)
    changes = [
        {"at": hhmm(mid), "human_probability": 0.60},
        {"at": hhmm(mid + 1800), "human_probability": 0.15},
    ]
    return outbound_scenario(n, 0.15, hours=h, seed=seed, changes=changes)


def _compound(n: int, h: float, seed: int) -> Config:
    """At midday the answer rate triples and talk time grows 2.5 times, at once."""
    change = {"at": hhmm(START + _at(h, 0.5)), "human_probability": 0.45, "talk_time": _talk(225)}
    return outbound_scenario(n, 0.15, hours=h, seed=seed, changes=[change])


def _drift(n: int, h: float, seed: int) -> Config:
    """The answer rate climbs from 0.10 to 0.50 in eight even steps between 1/4 and 3/4 of the
    day (10:00 to 14:00, every 30 minutes)."""
    steps = [
        {"at": hhmm(START + _at(h, 0.25 + k / 16)), "human_probability": round(0.15 + 0.05 * k, 2)}
        for k in range(8)
    ]
    return outbound_scenario(n, 0.10, hours=h, seed=seed, changes=steps)


# The regime benchmark's days (benchmarks/pacing.py --regimes), 40 agents and 8 hours in full.
REGIMES: tuple[Regime, ...] = (
    _step("answer x3", "live answers 0.15 -> 0.45 at midday", 0.15, human_probability=0.45),
    _step("answer x0.5", "live answers 0.30 -> 0.15 at midday", 0.30, human_probability=0.15),
    _step("talk x2.5", "talk 90 s -> 225 s at midday", 0.30, talk_time=_talk(225)),
    Regime(
        "half leave",
        "half the agents away 11:00-14:00",
        _half_leave,
        lambda h: [_at(h, 3 / 8), _at(h, 6 / 8)],
    ),
    Regime("morning ramp", "2 agents, then all over 20 min", _ramp, lambda h: [0.0]),
    Regime(
        "spike",
        "live answers x4 for 30 min at midday",
        _spike,
        lambda h: [_at(h, 0.5), _at(h, 0.5) + 1800],
    ),
    Regime("compound", "answers x3 and talk x2.5 at midday", _compound, lambda h: [_at(h, 0.5)]),
    Regime(
        "drift",
        "answers 0.10 -> 0.50 in 8 steps",
        _drift,
        lambda h: [_at(h, 0.25 + k / 16) for k in range(8)],
    ),
)
