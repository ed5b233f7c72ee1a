"""The center's calendar: business days in its time zone and the report intervals in them.

Engine time ``t`` is Unix time ``t + epoch`` (``epoch`` is 0 in the daemon and the scenario's
start in a simulation). A business day starts at ``day_starts`` local time; intervals are
``interval_minutes`` of local wall-clock time, so a day has 96 quarter hours, 92 on the day
clocks spring forward and 100 on the day they fall back. Looking up the interval of "now" costs
a comparison: the current interval is cached, and the time-zone database is read only when time
leaves it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from acd.config.schema import Config


class BusinessCalendar:
    __slots__ = (
        "_day",
        "_day_hi",
        "_day_lo",
        "_hi",
        "_lo",
        "day_starts",
        "epoch",
        "length",
        "zone",
    )

    def __init__(
        self,
        zone: tzinfo | str = "UTC",
        *,
        day_starts: time = time(0, 0),
        interval_minutes: int = 15,
        epoch: float = 0.0,
    ) -> None:
        self.zone = ZoneInfo(zone) if isinstance(zone, str) else zone
        self.day_starts = day_starts
        self.length = interval_minutes * 60.0
        self.epoch = epoch
        self._lo = self._hi = 0.0  # the cached interval [lo, hi), engine time
        self._day_lo = self._day_hi = 0.0
        self._day = ""

    @property
    def zone_name(self) -> str:
        return str(getattr(self.zone, "key", self.zone))

    def interval(self, t: float) -> float:
        """The start (engine time) of the interval holding ``t``."""
        if self._lo <= t < self._hi:
            return self._lo
        u = t + self.epoch
        local = datetime.fromtimestamp(u, self.zone)
        off = local.utcoffset()
        wall = u + (off.total_seconds() if off is not None else 0.0)
        # The start in Unix time is exact (a whole second), so every t of an interval gets the
        # same start in engine time; t - wall % length would differ in the last bits with a
        # simulation's epoch, and one interval would make two rows.
        lo = (u - wall % self.length) - self.epoch
        if t >= self._lo:  # moving forward: cache the new interval
            self._lo, self._hi = lo, lo + self.length
        return lo

    def next_boundary(self, t: float) -> float:
        """The first interval start after ``t``."""
        return self.interval(t) + self.length

    def day(self, t: float) -> str:
        """The business date (``YYYY-MM-DD``) holding ``t``."""
        if self._day_lo <= t < self._day_hi:
            return self._day
        d = self._date(t)
        lo, hi = self.day_bounds(d)
        if t >= self._day_lo:
            self._day_lo, self._day_hi, self._day = lo, hi, d.isoformat()
        return d.isoformat()

    def _date(self, t: float) -> date:
        local = datetime.fromtimestamp(t + self.epoch, self.zone).replace(tzinfo=None)
        shift = timedelta(hours=self.day_starts.hour, minutes=self.day_starts.minute)
        return (local - shift).date()

    def day_bounds(self, d: date | str) -> tuple[float, float]:
        """[start, end) of business date ``d``, engine time."""
        if isinstance(d, str):
            d = date.fromisoformat(d)
        start = datetime.combine(d, self.day_starts, self.zone).timestamp() - self.epoch
        nxt = d + timedelta(days=1)
        end = datetime.combine(nxt, self.day_starts, self.zone).timestamp() - self.epoch
        return start, end

    def label(self, t: float) -> str:
        """Local ISO-8601 time with its offset, to the second (how rows name their start)."""
        return datetime.fromtimestamp(t + self.epoch, self.zone).isoformat(timespec="seconds")

    def unix(self, t: float) -> float:
        return t + self.epoch


def calendar_for(config: Config, *, epoch: float = 0.0, host_zone: str = "UTC") -> BusinessCalendar:
    """The calendar a config asks for. Its zone is ``center.time_zone``; without one, a
    scenario's zone in a simulation and ``host_zone`` (the daemon passes the host's) otherwise."""
    zone = config.center.time_zone
    if zone is None:
        zone = config.simulation.time_zone if config.simulation is not None else host_zone
    return BusinessCalendar(
        zone,
        day_starts=config.center.day_start_time(),
        interval_minutes=config.reporting.interval_minutes,
        epoch=epoch,
    )
