"""The daemon's business days: the calendar its core runs on, and "today" for a request."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from acd.config.files import host_zone
from acd.config.schema import Config
from acd.reporting.calendar import BusinessCalendar, calendar_for

if TYPE_CHECKING:  # the report command reads the calendar without the server's modules
    from acd.daemon.state import Daemon


def daemon_calendar(cfg: Config) -> BusinessCalendar:
    """The business days and report intervals of the daemon. Engine time is Unix time (epoch 0),
    in the embedded demo and with a simulated trunk too. The zone is ``center.time_zone``, else
    the host's: a scenario's ``simulation.time_zone`` names the zone of *simulated* time, which
    a daemon does not run on (its simulated callers follow the host's clock)."""
    live = cfg.model_copy(update={"simulation": None})
    return calendar_for(live, host_zone=host_zone())


def calendar_line(cal: BusinessCalendar) -> str:
    """What the daemon logs at start."""
    return (
        f"business day in {cal.zone_name}, starts {cal.day_starts:%H:%M}, "
        f"intervals of {int(cal.length // 60)} min"
    )


def today(d: Daemon) -> str:
    """Today's business date: the running engine's, else by the config's calendar."""
    if d.driver is not None:
        return d.driver.engine.book.cal.day(d.driver.now())
    return daemon_calendar(d.config).day(time.time())
