"""Callbacks that keep the caller's place (``queues[].callback``), the calling hours they and
the campaigns keep (``Window``), and the IVR's language mapped to a skill (``languages``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from acd.config.types import Level, PositiveSeconds, Seconds, Strict, hhmm_seconds

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Window(Strict):
    """Calling hours in the called party's local time (US TSR/TCPA default 08:00-21:00)."""

    start: str = "08:00"
    end: str = "21:00"
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: list(DAYS)
    )
    holidays: list[str] = Field(default_factory=list)  # YYYY-MM-DD, local calendar

    @model_validator(mode="after")
    def _order(self) -> Window:
        if hhmm_seconds(self.start) >= hhmm_seconds(self.end, end=True):
            raise ValueError(f"calling window start {self.start} must be before end {self.end}")
        return self


class Callback(Strict):
    """A waiting caller may ask to be called back (a digit, the API, or an offer once the
    estimated wait passes ``offer_after_ewt_seconds``): the caller hangs up and a virtual call
    keeps the place and priority; at the head of the queue, with an eligible agent free, the
    agent is reserved and the number dialed with the agent on the line."""

    # Offer it to callers whose estimated wait reaches this (None: only on request).
    offer_after_ewt_seconds: Seconds | None = None
    retries: Annotated[int, Field(ge=0, le=10)] = 2  # after the first attempt
    retry_seconds: PositiveSeconds = 300.0
    ring_timeout_seconds: Annotated[float, Field(ge=15, le=120)] = 30.0
    caller_id: Annotated[str, Field(max_length=32)] = ""
    # Reported apart: callbacks connected within this of the request, over callbacks closed.
    service_level_seconds: PositiveSeconds = 1800.0
    # In the called party's zone where the number resolves to one (else the center's).
    calling_hours: Window = Window()


LanguageSkills = dict[
    Annotated[str, Field(pattern=r"^[a-z]{2}(_[A-Z]{2})?$")],
    Annotated[str, Field(min_length=1, max_length=64)] | dict[str, Level],
]


class SimCallback(Strict):
    """Simulated callers and callbacks: the share who take a callback offered to them, and the
    share of callbacks the caller answers (after ``ring_seconds``)."""

    accept_probability: Annotated[float, Field(ge=0, le=1)] = 0.5
    answer_probability: Annotated[float, Field(ge=0, le=1)] = 0.85
    ring_seconds: Annotated[float, Field(gt=0, le=60)] = 8.0
