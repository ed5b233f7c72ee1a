"""Calling hours: the local window in every candidate zone, exact across DST changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dialer.hours import (
    US_ZONES,
    AmbiguousTime,
    CallingWindow,
    InvalidWindow,
    NonexistentTime,
    may_call,
    next_allowed,
    open_until,
    wall_to_timestamp,
    zones_for,
)
from dialer.leads import Lead

NY = "America/New_York"
TSR = CallingWindow()


def at(
    zone: str, y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, fold: int = 0
) -> float:
    return datetime(y, mo, d, h, mi, s, tzinfo=ZoneInfo(zone), fold=fold).timestamp()


def local(zone: str, ts: float) -> datetime:
    return datetime.fromtimestamp(ts, ZoneInfo(zone))


# --- the window ---------------------------------------------------------------------------


def test_default_window_is_8_to_21_local_half_open() -> None:
    z = (NY,)
    assert not may_call(z, at(NY, 2026, 7, 1, 7, 59, 59), TSR)
    assert may_call(z, at(NY, 2026, 7, 1, 8, 0), TSR)
    assert may_call(z, at(NY, 2026, 7, 1, 20, 59, 59), TSR)
    assert not may_call(z, at(NY, 2026, 7, 1, 21, 0), TSR)
    assert TSR.days == frozenset(range(7)) and TSR.holidays == frozenset()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": "8:00"}, "HH:MM"),
        ({"start": "08:60"}, "HH:MM"),
        ({"end": "25:00"}, "HH:MM"),
        ({"start": "24:00", "end": "24:00"}, "before 24:00"),
        ({"start": "21:00", "end": "08:00"}, "before end"),
        ({"start": "09:00", "end": "09:00"}, "before end"),
        ({"days": {7}}, "days are 0-6"),
        ({"days": "mon"}, "collection"),
        ({"holidays": {"2026-13-01"}}, "ISO dates"),
    ],
)
def test_window_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidWindow, match=message):
        CallingWindow(**kwargs)  # type: ignore[arg-type]


def test_window_accepts_day_names_iso_holidays_and_midnight_end() -> None:
    names: Any = {"Mon", "tue", 2}  # names and ISO strings, as a config file gives them
    w = CallingWindow("09:00", "24:00", days=names, holidays=cast(Any, {"2026-12-25"}))
    assert w.days == frozenset({0, 1, 2})
    assert w.holidays == frozenset({date(2026, 12, 25)})
    assert may_call((NY,), at(NY, 2026, 7, 1, 23, 59, 59), w)  # a Wednesday


def test_days_and_holidays_in_the_local_calendar() -> None:
    weekdays = CallingWindow(days=frozenset(range(5)), holidays=frozenset({date(2026, 9, 7)}))
    friday_late = at(NY, 2026, 9, 4, 21, 30)
    # Saturday and Sunday are not allowed, Monday is a holiday: Tuesday 08:00.
    assert local(NY, next_allowed((NY,), friday_late, weekdays) or 0) == datetime(
        2026, 9, 8, 8, 0, tzinfo=ZoneInfo(NY)
    )
    # The same instant is Saturday 10:30 in Sydney: no weekday there until Monday.
    sydney = ("Australia/Sydney",)
    assert local(sydney[0], friday_late).weekday() == 5
    assert not may_call(sydney, friday_late, weekdays)


def test_never_allowed_is_none() -> None:
    no_days = CallingWindow(days=frozenset())
    assert next_allowed((NY,), at(NY, 2026, 1, 1, 12, 0), no_days) is None
    # 09:00-10:00 in UTC+14 and in UTC-11 never overlap.
    narrow = CallingWindow("09:00", "10:00")
    kiritimati = ("Pacific/Kiritimati", "Pacific/Pago_Pago")  # UTC+14 since 1995
    assert next_allowed(kiritimati, at(NY, 2026, 1, 1, 12, 0), narrow) is None
    assert next_allowed((), 0.0, TSR) is None
    assert not may_call((), 0.0, TSR)


def test_open_until_is_the_end_of_the_shared_stretch() -> None:
    zones = ("America/Chicago", NY)
    ts = at(NY, 2026, 7, 1, 12, 0)
    assert open_until(zones, ts, TSR) == at(NY, 2026, 7, 1, 21, 0)  # New York closes first
    assert open_until(zones, at(NY, 2026, 7, 1, 8, 30), TSR) is None  # Chicago not open yet


# --- DST ----------------------------------------------------------------------------------


def test_spring_forward_day() -> None:
    # 2026-03-08: New York clocks go from 02:00 EST to 03:00 EDT.
    z = (NY,)
    saturday_night = at(NY, 2026, 3, 7, 22, 0)
    nxt = next_allowed(z, saturday_night, TSR)
    assert nxt == at(NY, 2026, 3, 8, 8, 0)
    assert nxt - saturday_night == 9 * 3600  # 10 wall hours, 9 real ones
    # A window that starts inside the gap opens when the gap ends.
    gap = CallingWindow("02:30", "03:30")
    assert local(NY, next_allowed(z, saturday_night, gap) or 0).isoformat() == (
        "2026-03-08T03:00:00-04:00"
    )


def test_fall_back_day() -> None:
    # 2026-11-01: New York clocks go from 02:00 EDT back to 01:00 EST; 01:30 happens twice.
    z = (NY,)
    w = CallingWindow("01:15", "01:45")
    first = at(NY, 2026, 11, 1, 1, 50)  # EDT, after the first pass through the window
    nxt = next_allowed(z, first, w)
    assert nxt == at(NY, 2026, 11, 1, 1, 15, fold=1)  # the second 01:15, in EST
    assert nxt - first == 25 * 60
    assert open_until(z, nxt, w) == at(NY, 2026, 11, 1, 1, 45, fold=1)
    saturday_night = at(NY, 2026, 10, 31, 22, 0)
    assert next_allowed(z, saturday_night, TSR) == saturday_night + 11 * 3600


def test_southern_hemisphere_and_half_hour_zones() -> None:
    # Lord Howe moves by 30 minutes; Sydney springs forward on 2026-10-04.
    for zone in ("Australia/Lord_Howe", "Australia/Sydney", "Asia/Kolkata", "Asia/Kathmandu"):
        ts = at(zone, 2026, 10, 3, 23, 0)
        assert local(zone, next_allowed((zone,), ts, TSR) or 0).replace(tzinfo=None) == datetime(
            2026, 10, 4, 8, 0
        )


# --- wall time to Unix time ---------------------------------------------------------------


def test_wall_to_timestamp_gap_and_fold() -> None:
    assert wall_to_timestamp(NY, datetime(2026, 7, 1, 12, 0)) == at(NY, 2026, 7, 1, 12, 0)
    gap = datetime(2026, 3, 8, 2, 30)
    assert wall_to_timestamp(NY, gap) == at(NY, 2026, 3, 8, 3, 0)
    with pytest.raises(NonexistentTime):
        wall_to_timestamp(NY, gap, gap="raise")
    fold = datetime(2026, 11, 1, 1, 30)
    assert wall_to_timestamp(NY, fold) == at(NY, 2026, 11, 1, 1, 30, fold=0)
    assert wall_to_timestamp(NY, fold, fold="later") == at(NY, 2026, 11, 1, 1, 30, fold=1)
    assert wall_to_timestamp(NY, fold, fold="later") - wall_to_timestamp(NY, fold) == 3600
    with pytest.raises(AmbiguousTime):
        wall_to_timestamp(NY, fold, fold="raise")
    with pytest.raises(InvalidWindow):
        wall_to_timestamp(NY, datetime(2026, 7, 1, tzinfo=ZoneInfo(NY)))
    with pytest.raises(InvalidWindow):
        wall_to_timestamp("Mars/Olympus", datetime(2026, 7, 1))
    # Midnight skipped (Chile springs forward at 24:00): the day starts at 01:00.
    santiago = wall_to_timestamp("America/Santiago", datetime(2026, 9, 6, 0, 0))
    assert local("America/Santiago", santiago).replace(tzinfo=None) == datetime(2026, 9, 6, 1, 0)


# --- zones of a lead ----------------------------------------------------------------------


def test_zones_for_a_lead() -> None:
    assert zones_for(Lead("a", "+12125550100")) == (NY,)
    assert zones_for(Lead("a", "+12125550100", time_zone="America/Denver")) == ("America/Denver",)
    assert zones_for("+17095550100") == ("America/Halifax", "America/St_Johns")
    assert zones_for("+442079460000") == ("Europe/London",)
    # An invalid number has no zone: refused unless a fallback is given.
    assert zones_for("+15555550100") == ()
    assert zones_for("+15555550100", fallback=US_ZONES) == tuple(sorted(US_ZONES))
    with pytest.raises(InvalidWindow):
        zones_for("+15555550100", fallback=["Mars/Olympus"])


def test_a_number_spanning_two_zones_needs_both_open() -> None:
    zones = zones_for("+17095550100")  # Newfoundland: St John's is 30 minutes ahead of Halifax
    assert not may_call(zones, at("America/Halifax", 2026, 7, 1, 7, 40), TSR)  # St John's 08:10
    assert may_call(zones, at("America/Halifax", 2026, 7, 1, 8, 0), TSR)
    assert may_call(zones, at("America/Halifax", 2026, 7, 1, 20, 29), TSR)
    assert not may_call(zones, at("America/Halifax", 2026, 7, 1, 20, 40), TSR)  # St John's 21:10
    late = at("America/Halifax", 2026, 7, 1, 20, 40)
    assert next_allowed(zones, late, TSR) == at("America/Halifax", 2026, 7, 2, 8, 0)


# --- properties ---------------------------------------------------------------------------

ZONES = sorted(available_timezones() - {"Factory", "localtime"})
DST_ZONES = [
    NY,
    "America/Los_Angeles",
    "America/Chicago",
    "America/Denver",
    "America/St_Johns",
    "America/Santiago",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
]
REGIONS = ["US", "CA", "GB", "DE", "AU", "BR", "RU", "MX", "ID", "KZ", "IN", "NZ", "AR", "CL"]
TYPES = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]


@cache
def number_zones() -> list[tuple[str, ...]]:
    """The zones of example numbers of several countries (many span several zones)."""
    out = {
        zones_for(phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164))
        for r in REGIONS
        for t in TYPES
        if (n := phonenumbers.example_number_for_type(r, t)) is not None
    }
    out |= {zones_for("+17095550100"), zones_for("+18005550100"), zones_for("+12085550100")}
    return sorted(z for z in out if z)


@cache
def dst_days() -> list[float]:
    """Noon UTC of every day on which one of DST_ZONES changes offset, 2024-2030."""
    days: set[float] = set()
    for zone in DST_ZONES:
        tz = ZoneInfo(zone)
        day = datetime(2024, 1, 1, 12, tzinfo=ZoneInfo("UTC"))
        prev = day.astimezone(tz).utcoffset()
        while day.year < 2031:
            day += timedelta(days=1)
            off = day.astimezone(tz).utcoffset()
            if off != prev:
                days.add((day - timedelta(days=1)).timestamp())
                days.add(day.timestamp())
            prev = off
    return sorted(days)


START_2024 = int(datetime(2024, 1, 1, tzinfo=ZoneInfo("UTC")).timestamp())
END_2030 = int(datetime(2030, 12, 31, tzinfo=ZoneInfo("UTC")).timestamp())


@st.composite
def timestamps(draw: st.DrawFn) -> float:
    """Whole minutes across seven years, half of them within a day and a half of a DST change."""
    if draw(st.booleans()):
        base = draw(st.sampled_from(dst_days()))
        return float(int(base + draw(st.integers(-36 * 60, 36 * 60)) * 60) // 60 * 60)
    return float(draw(st.integers(START_2024 // 60, END_2030 // 60)) * 60)


@st.composite
def zone_sets(draw: st.DrawFn) -> tuple[str, ...]:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return (draw(st.sampled_from(ZONES)),)
    if kind == 1:
        return (draw(st.sampled_from(DST_ZONES)),)
    if kind == 2:
        return draw(st.sampled_from(number_zones()))
    return tuple(sorted(set(draw(st.lists(st.sampled_from(DST_ZONES), min_size=2, max_size=3)))))


@st.composite
def windows(draw: st.DrawFn, *, all_days: bool = False) -> CallingWindow:
    start = draw(st.integers(0, 23 * 60))
    end = draw(st.integers(start + 30, 24 * 60))
    days = frozenset(range(7)) if all_days else draw(st.frozensets(st.integers(0, 6), min_size=1))
    return CallingWindow(hhmm(start), hhmm(end), days)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def brute_force_next(
    zones: tuple[str, ...], ts: float, window: CallingWindow, limit: float
) -> float:
    t = ts
    while t <= limit:
        if may_call(zones, t, window):
            return t
        t += 60
    return float("inf")


@given(zone_sets(), timestamps(), windows(all_days=True))
@settings(max_examples=120, deadline=None)
def test_next_allowed_is_the_first_allowed_minute(
    zones: tuple[str, ...], ts: float, window: CallingWindow
) -> None:
    nxt = next_allowed(zones, ts, window)
    if nxt is None:
        assert brute_force_next(zones, ts, window, ts + 3 * 86_400) == float("inf")
        return
    assert nxt >= ts
    assert may_call(zones, nxt, window)
    assert (nxt - ts) % 60 == 0  # whole-minute windows and offsets: a boundary on the grid
    assume(nxt - ts <= 3 * 86_400)
    assert brute_force_next(zones, ts, window, nxt) == nxt
    if nxt > ts:
        assert not may_call(zones, nxt - 1, window)


@given(zone_sets(), timestamps(), windows())
@settings(max_examples=80, deadline=None)
def test_next_allowed_with_days_off(
    zones: tuple[str, ...], ts: float, window: CallingWindow
) -> None:
    nxt = next_allowed(zones, ts, window)
    if nxt is None:
        return  # windows of several zones that never overlap on allowed days
    assert nxt >= ts and may_call(zones, nxt, window)
    if nxt > ts:
        assert not may_call(zones, nxt - 1, window)
    if nxt - ts <= 2 * 86_400:
        assert brute_force_next(zones, ts, window, nxt) == nxt
    end = open_until(zones, nxt, window)
    assert end is not None and end > nxt
    assert may_call(zones, (nxt + end) / 2, window)


@given(zone_sets(), timestamps(), windows())
@settings(max_examples=150, deadline=None)
def test_several_zones_means_the_most_restrictive_window(
    zones: tuple[str, ...], ts: float, window: CallingWindow
) -> None:
    assert may_call(zones, ts, window) == all(may_call((z,), ts, window) for z in zones)


@given(st.sampled_from(DST_ZONES + ZONES[::7]), timestamps())
@settings(max_examples=150, deadline=None)
def test_wall_to_timestamp_round_trips(zone: str, ts: float) -> None:
    wall = local(zone, ts).replace(tzinfo=None)
    earlier = wall_to_timestamp(zone, wall, fold="earlier")
    later = wall_to_timestamp(zone, wall, fold="later")
    assert ts in (earlier, later)
    assert local(zone, earlier).replace(tzinfo=None) == wall
    assert local(zone, later).replace(tzinfo=None) == wall
