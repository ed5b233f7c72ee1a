"""The ``simulation:`` section of a scenario: traffic, simulated agents and called parties,
and the changes of the called parties' behaviour over the day; and the agents' shifts, which
the simulated agents follow.

Times of day are the scenario's clock: simulated time 0 is ``simulation.start``, so time ``t``
is ``(start + t) mod 24 h`` (in the daemon on the simulated trunk, ``start`` is the local time
at which it started), as the inbound traffic profiles are read.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from acd.config.callback import SimCallback
from acd.config.reporting import SimSurvey
from acd.config.types import (
    FieldProblem,
    Name,
    PositiveSeconds,
    Ratio,
    Seconds,
    Strict,
    hhmm_seconds,
)


class Distribution(Strict):
    distribution: Literal["exponential", "lognormal", "fixed"]
    mean: PositiveSeconds
    sd: PositiveSeconds | None = None  # lognormal only; default: sd = mean (cv 1)

    @model_validator(mode="after")
    def _sd(self) -> Distribution:
        if self.sd is not None and self.distribution != "lognormal":
            raise ValueError("sd applies to the lognormal distribution only")
        return self


class ArrivalInterval(Strict):
    start: str
    calls_per_hour: Annotated[float, Field(ge=0)]

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        hhmm_seconds(v)
        return v


class Traffic(Strict):
    """Inbound traffic of one queue: a constant rate or a per-interval profile."""

    calls_per_hour: Annotated[float, Field(ge=0)] | None = None
    profile: list[ArrivalInterval] | None = None
    handle_time: Distribution
    patience: Distribution | None = None  # none: callers never hang up while waiting
    priority: int = 0
    repeat_share: Ratio = 0.0  # callers who called recently (first-contact resolution)

    @model_validator(mode="after")
    def _rate(self) -> Traffic:
        if (self.calls_per_hour is None) == (self.profile is None):
            raise ValueError("give exactly one of calls_per_hour or profile")
        if self.profile is not None:
            starts = [hhmm_seconds(i.start) for i in self.profile]
            if not starts or starts != sorted(set(starts)):
                raise ValueError("profile intervals must have increasing start times")
        return self


class SimAgents(Strict):
    answer_delay: Distribution = Distribution(distribution="fixed", mean=1e-9)
    no_answer_probability: Ratio = 0.0
    login_at_start: bool = True  # in the daemon, log every agent in when it starts
    # Agents a person works from the desktop: the trunk neither logs them in nor answers,
    # codes or dials for them.
    people: Annotated[list[Name], Field(max_length=10_000)] = []
    # Simulated agents end wrap-up after this (the queue's wrap_up_seconds is then the cap).
    wrap_up: Distribution | None = None
    # Preview mode: simulated agents dial a previewed lead after this think time (none: they
    # never dial by themselves; the campaign's preview_timeout_seconds or the API does).
    preview_think: Distribution | None = None
    # Wrap-up codes simulated agents set on their calls, by queue or campaign name: code ->
    # weight (a campaign's codes must be its own, and not callbacks: those need a time).
    dispositions: dict[str, dict[str, Annotated[float, Field(gt=0)]]] = Field(default_factory=dict)


OUTCOMES = ("human_probability", "machine_probability", "busy_probability", "failed_probability")


def _outcomes_total(out: SimOutbound) -> float:
    return float(sum(getattr(out, k) for k in OUTCOMES))


class OutboundChange(Strict):
    """From ``at`` (HH:MM) on, the fields it names replace those of ``simulation.outbound``
    (and of the changes before it): probabilities, ring time and busy delay for calls dialed
    from then, talk time for calls connected to an agent from then."""

    at: str  # HH:MM on the scenario's clock; changes are listed in time order
    human_probability: Ratio | None = None  # omitted: as in force before (every field)
    machine_probability: Ratio | None = None
    busy_probability: Ratio | None = None
    failed_probability: Ratio | None = None
    ring_to_answer: Distribution | None = None
    busy_after_seconds: PositiveSeconds | None = None
    talk_time: Distribution | None = None  # for live answers connected to an agent from `at`
    message_hangup_probability: Ratio | None = None  # for safe-harbor messages played from `at`

    @field_validator("at")
    @classmethod
    def _at(cls, v: str) -> str:
        hhmm_seconds(v)
        return v

    @model_validator(mode="after")
    def _changes_something(self) -> OutboundChange:
        if not self.changed():
            raise ValueError("a change names at least one simulation.outbound field besides at")
        return self

    def changed(self) -> dict[str, object]:
        """The fields this change sets."""
        fields = (k for k in type(self).model_fields if k != "at")
        return {k: v for k in fields if (v := getattr(self, k)) is not None}


class SimOutbound(Strict):
    """How called parties respond to originated calls; the rest ring out (no answer)."""

    human_probability: Ratio = 0.3
    machine_probability: Ratio = 0.15
    busy_probability: Ratio = 0.05
    failed_probability: Ratio = 0.02
    ring_to_answer: Distribution = Distribution(distribution="lognormal", mean=12, sd=6)
    busy_after_seconds: PositiveSeconds = 3.0
    talk_time: Distribution = Distribution(distribution="lognormal", mean=90, sd=72)
    # A dropped live answer hears the safe-harbor message; this share of them hang up before
    # its end (at a uniform point of it), and the PBX then confirms no message.
    message_hangup_probability: Ratio = 0.0
    # The day's changes, in time order; each day starts again from the fields above.
    changes: Annotated[list[OutboundChange], Field(max_length=1440)] = []

    @model_validator(mode="after")
    def _sum(self) -> SimOutbound:
        total = _outcomes_total(self)
        if total > 1 + 1e-9:
            raise ValueError(f"outcome probabilities add up to {total:g}, more than 1")
        last = -1
        for k, (at, regime) in enumerate(self.regimes()[1:]):
            where = ("changes", k)
            if at <= last:
                raise FieldProblem((*where, "at"), "changes must be in increasing time order")
            last = at
            total = _outcomes_total(regime)
            if total > 1 + 1e-9:
                raise FieldProblem(
                    where,
                    f"from {self.changes[k].at} the outcome probabilities add up to {total:g}, "
                    "more than 1",
                )
        return self

    def regimes(self) -> list[tuple[int, SimOutbound]]:
        """(second of the day it starts, the fields then in force) from midnight: the fields
        above, then after each change (without ``changes``)."""
        cur = self.model_copy(update={"changes": []})
        out = [(0, cur)]
        for ch in self.changes:
            cur = cur.model_copy(update=ch.changed())
            out.append((hhmm_seconds(ch.at), cur))
        return out


class Shift(Strict):
    """A simulated agent logs in at ``start`` and, at ``end``, logs out once the call and
    wrap-up in progress are over (``end`` may be 24:00; split a night shift at midnight)."""

    start: str  # HH:MM on the scenario's clock
    end: str  # HH:MM, later than start; 24:00 for midnight

    @model_validator(mode="after")
    def _order(self) -> Shift:
        hhmm_seconds(self.start)
        if hhmm_seconds(self.start) >= hhmm_seconds(self.end, end=True):
            raise ValueError(f"a shift ends after it starts, got {self.start}-{self.end}")
        return self

    def seconds(self) -> tuple[int, int]:
        return hhmm_seconds(self.start), hhmm_seconds(self.end, end=True)


def check_shifts(shifts: list[Shift]) -> None:
    """An agent's shifts, in time order, neither overlap nor touch (touching ones are one)."""
    for j in range(1, len(shifts)):
        a, b = shifts[j - 1], shifts[j]
        if b.seconds()[0] <= a.seconds()[1]:
            raise FieldProblem(
                ("shifts", j),
                f"shift {b.start}-{b.end} must start after the one before it ends "
                f"({a.start}-{a.end}): list shifts in time order, without overlap",
            )


class Simulation(Strict):
    seed: int = 1
    hours: PositiveSeconds = 8.0
    start: str = "08:00"
    # The calendar day and zone of simulated time 0 (calling hours are checked in real dates).
    date: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] = "2026-03-02"
    time_zone: str = "America/New_York"
    warmup_seconds: Seconds = 0.0
    traffic: dict[str, Traffic] = Field(default_factory=dict)
    agents: SimAgents = SimAgents()
    outbound: SimOutbound = SimOutbound()
    survey: SimSurvey = SimSurvey()  # how simulated callers answer queues' surveys
    callback: SimCallback = SimCallback()  # how they take callbacks offered (virtual hold)

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        hhmm_seconds(v)
        return v
