"""The center's calendar and report settings: ``center:`` and ``reporting:``."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from acd.config.types import Strict, hhmm_seconds


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
