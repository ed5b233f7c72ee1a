"""The center's calendar and report settings: ``center:`` and ``reporting:``."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from acd.config.types import Name, Strict, hhmm_seconds


def zone_name(value: str) -> str:
    """An IANA time-zone name the zone database knows, or a ValueError saying so."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (an IANA name: America/New_York)") from None
    return value


class Center(Strict):
    """Where "today" is: the business day runs from ``day_starts`` to the next ``day_starts``
    in ``time_zone`` (default: the host's zone in the daemon, the scenario's zone in a
    simulation)."""

    time_zone: str | None = None
    day_starts: str = "00:00"

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        return None if v is None else zone_name(v)

    @field_validator("day_starts")
    @classmethod
    def _starts(cls, v: str) -> str:
        hhmm_seconds(v)
        if int(v[3:]) % 15:
            raise ValueError(
                f"day_starts must fall on a quarter hour (an interval start), got {v!r}"
            )
        return v

    def day_start_time(self) -> time:
        return time(int(self.day_starts[:2]), int(self.day_starts[3:]))


class Reporting(Strict):
    """Interval figures: their length and how long the store keeps them."""

    interval_minutes: Literal[15, 30, 60] = 15
    retention_days: Annotated[int, Field(ge=1, le=3660)] = 400


class QueueCode(Strict):
    """A queue's disposition code, and whether a call so coded was resolved (first-contact
    resolution); a bare name in ``dispositions`` is a resolving code."""

    name: Name
    resolved: bool = True


class Fcr(Strict):
    """First-contact resolution: a contact from the same caller (or account) within the window
    marks the earlier first contact as not resolved."""

    window_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 72.0


def code_names(codes: list[str | QueueCode]) -> list[str]:
    """A queue's disposition codes by name."""
    return [c if isinstance(c, str) else c.name for c in codes]


def unresolved_codes(codes: list[str | QueueCode]) -> frozenset[str]:
    """The codes of a queue that leave the caller's matter open."""
    return frozenset(c.name for c in codes if not isinstance(c, str) and not c.resolved)


class Survey(Strict):
    """A queue's post-call survey: when the agent ends the call, the caller is asked for one
    digit, 1 to ``scale`` (CSAT)."""

    scale: Annotated[int, Field(ge=2, le=10)] = 5


class SimSurvey(Strict):
    """Simulated callers in a survey: the share who answer, and the weights of their scores
    (score -> weight, scores within the queue's scale)."""

    response_rate: Annotated[float, Field(ge=0, le=1)] = 0.35
    scores: dict[int, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {5: 5.0, 4: 3.0, 3: 1.0, 2: 0.5, 1: 0.5}
    )
