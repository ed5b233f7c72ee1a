"""Calling hours in the called party's local time: when a number may be dialled.

US TSR (16 CFR 310.4(c)) and TCPA (47 CFR 64.1200(c)(1)) allow 08:00-21:00 in the called party's
local time; that is :class:`CallingWindow`'s default. A window is half-open: 08:00:00 may be
dialled, 21:00:00 may not.

A number can map to several zones (some area codes straddle a zone line; mobile and toll-free
numbers map to a whole country). A number may be called only when the local time in EVERY
candidate zone is inside the window on an allowed, non-holiday local day: the most restrictive
reading. A number with no known zone is refused unless a fallback list of zones is given.

:func:`next_allowed` is exact across DST changes. For each zone and local date it computes the
Unix-time intervals whose wall clock lies in the window, from the zone's UTC offsets and the
instants where they change (found by bisection on whole seconds), and then intersects the zones'
interval lists. It never steps minute by minute.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as pn_timezone

from acd.config.callback import Window
from acd.errors import LocalError

if TYPE_CHECKING:
    from dialer.leads import Lead

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = frozenset(range(7))
UNKNOWN_ZONE = "Etc/Unknown"
# Every zone of the North American Numbering Plan's US states, west to east: a fallback that makes
# a US number with an unknown zone callable only when it is inside the window everywhere.
US_ZONES = (
    "Pacific/Honolulu",
    "America/Adak",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Phoenix",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
)

_HHMM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY = 86_400
_HOUR = 3_600
# Wider than any UTC offset in the tz database (LMT offsets reach about +-15:57).
_MAX_OFFSET = 16 * _HOUR
# How far ahead next_allowed looks (past the last holiday) before answering "never".
HORIZON_DAYS = 371


class InvalidWindow(LocalError):
    code = "invalid_calling_window"


class NonexistentTime(LocalError):
    """A local wall time that a DST gap skips (with ``gap="raise"``)."""

    code = "nonexistent_local_time"


class AmbiguousTime(LocalError):
    """A local wall time that a DST fold repeats (with ``fold="raise"``)."""

    code = "ambiguous_local_time"


def _minutes(text: str, what: str) -> int:
    if not isinstance(text, str) or not _HHMM.fullmatch(text):
        raise InvalidWindow(f"{what} must be HH:MM (00:00-23:59, end may be 24:00), got {text!r}")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _day_number(day: object) -> int:
    if isinstance(day, str) and day[:3].lower() in DAY_NAMES:
        return DAY_NAMES.index(day[:3].lower())
    if isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6:
        return day
    raise InvalidWindow(f"days are 0-6 (Monday=0) or mon..sun, got {day!r}")


def _as_date(day: object) -> date:
    if isinstance(day, datetime):
        raise InvalidWindow(f"holidays are dates, not datetimes: {day!r}")
    if isinstance(day, date):
        return day
    if not isinstance(day, str):
        raise InvalidWindow(f"holidays are ISO dates (YYYY-MM-DD), got {day!r}")
    try:
        return date.fromisoformat(day)
    except ValueError:
        raise InvalidWindow(f"holidays are ISO dates (YYYY-MM-DD), got {day!r}") from None


@dataclass(frozen=True, slots=True)
class CallingWindow:
    """Local wall-clock hours ``[start, end)`` on allowed days, minus holidays.

    ``days`` are weekday numbers (Monday=0) or names ("mon".."sun"); ``holidays`` are dates (or ISO
    strings) in the called party's local calendar. Both are normalised to frozensets.
    """

    start: str = "08:00"
    end: str = "21:00"
    days: frozenset[int] = ALL_DAYS
    holidays: frozenset[date] = frozenset()
    start_s: int = field(init=False, repr=False, compare=False)
    end_s: int = field(init=False, repr=False, compare=False)
    last_holiday: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        start = _minutes(self.start, "start")
        end = _minutes(self.end, "end")
        if self.start == "24:00":
            raise InvalidWindow("start must be before 24:00")
        if start >= end:
            raise InvalidWindow(f"start {self.start} must be before end {self.end}")
        days = frozenset(_day_number(d) for d in _iterable(self.days, "days"))
        holidays = frozenset(_as_date(d) for d in _iterable(self.holidays, "holidays"))
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "start_s", start * 60)
        object.__setattr__(self, "end_s", end * 60)
        object.__setattr__(self, "last_holiday", max((d.toordinal() for d in holidays), default=0))

    def allows_day(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays


def _iterable(value: object, what: str) -> Iterable[object]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidWindow(f"{what} must be a collection, got {value!r}")
    return value


# --- zones of a number ------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def known_zone(name: str) -> bool:
    """True if ``name`` is an IANA zone this machine's tz database has."""
    if not name or name == UNKNOWN_ZONE:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zones_for(lead: Lead | str, *, fallback: Iterable[str] = ()) -> tuple[str, ...]:
    """The candidate zones of a lead (or an E.164 number), sorted.

    The lead's own ``time_zone`` wins. Otherwise the number's zones from libphonenumber's
    metadata; if that is unknown (or names a zone this machine lacks), ``fallback``; an empty
    result means "refuse to dial" (the default policy).
    """
    if not isinstance(lead, str):
        if lead.time_zone is not None:
            return (lead.time_zone,)
        lead = lead.phone
    try:
        number = phonenumbers.parse(lead, None)
    except phonenumbers.NumberParseException:
        return _fallback(fallback)
    zones = pn_timezone.time_zones_for_number(number)
    if not zones or not all(known_zone(z) for z in zones):
        return _fallback(fallback)
    return tuple(sorted(set(zones)))


def _fallback(fallback: Iterable[str]) -> tuple[str, ...]:
    zones = tuple(sorted(set(fallback)))
    for z in zones:
        if not known_zone(z):
            raise InvalidWindow(f"fallback zone {z!r} is not a known IANA zone")
    return zones


# --- one zone, one local day --------------------------------------------------------------------


def _offset(zone: ZoneInfo, ts: float) -> float:
    off = datetime.fromtimestamp(ts, zone).utcoffset()
    assert off is not None
    return off.total_seconds()


def _transitions(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int, float]]:
    """(instant, offset from that instant on) for every offset change in ``(lo, hi]``.

    Offsets are sampled hourly and each change is located to the second by bisection; real zones
    never change offset twice within an hour.
    """
    out: list[tuple[int, float]] = []
    prev_t, prev_off = lo, _offset(zone, lo)
    t = lo
    while t < hi:
        t = min(t + _HOUR, hi)
        off = _offset(zone, t)
        if off != prev_off:
            a, b = prev_t, t  # offset(a) == prev_off, offset(b) == off
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(zone, mid) == prev_off:
                    a = mid
                else:
                    b = mid
            out.append((b, off))
            prev_off = off
        prev_t = t
    return out


@lru_cache(maxsize=200_000)
def _day_intervals(
    zone_name: str, ordinal: int, start_s: int, end_s: int
) -> tuple[tuple[float, float], ...]:
    """Unix-time intervals ``[a, b)`` whose wall clock in the zone is on local date ``ordinal``
    between ``start_s`` and ``end_s`` seconds after local midnight (merged, ascending)."""
    zone = ZoneInfo(zone_name)
    midnight = (ordinal - _EPOCH_ORDINAL) * _DAY  # local midnight as naive seconds
    lo = midnight + start_s - _MAX_OFFSET
    hi = midnight + end_s + _MAX_OFFSET
    segments: list[tuple[float, float, float]] = []  # (from, to, offset)
    seg_from: float = float("-inf")
    off = _offset(zone, lo)
    for instant, new_off in _transitions(zone, lo, hi):
        segments.append((seg_from, instant, off))
        seg_from, off = instant, new_off
    segments.append((seg_from, float("inf"), off))
    out: list[tuple[float, float]] = []
    for seg_lo, seg_hi, seg_off in segments:
        a = max(midnight + start_s - seg_off, seg_lo)
        b = min(midnight + end_s - seg_off, seg_hi)
        if a < b:
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
    return tuple(out)


def _local_date(ts: float, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(ts, zone).date()


def _zone_next(
    name: str, ts: float, window: CallingWindow, horizon_days: int = HORIZON_DAYS
) -> tuple[float, float] | None:
    """The first interval ``[a, b)`` of allowed time in one zone with ``b > ts``, searching the
    local days from yesterday to ``horizon_days`` ahead."""
    zone = ZoneInfo(name)
    first = _local_date(ts, zone).toordinal() - 1  # a fold at midnight can revisit yesterday
    last = first + horizon_days
    if horizon_days == HORIZON_DAYS:
        last = max(last, window.last_holiday + 8)
    days, holidays = window.days, window.holidays
    for ordinal in range(first, last + 1):
        day = date.fromordinal(ordinal)
        if day.weekday() not in days or day in holidays:
            continue
        for a, b in _day_intervals(name, ordinal, window.start_s, window.end_s):
            if b > ts:
                return a, b
    return None


# --- the public predicates ------------------------------------------------------------------------


def may_call(zones: Iterable[str], ts: float, window: CallingWindow) -> bool:
    """True if at ``ts`` the wall clock in every zone is inside the window on an allowed day.

    No zones means the number's zone is unknown: refused.
    """
    any_zone = False
    for name in zones:
        any_zone = True
        local = datetime.fromtimestamp(ts, ZoneInfo(name))
        if not window.allows_day(local.date()):
            return False
        wall = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        if not window.start_s <= wall < window.end_s:
            return False
    return any_zone


def next_allowed(
    zones: Iterable[str], ts: float, window: CallingWindow, *, horizon_days: int = HORIZON_DAYS
) -> float | None:
    """The earliest Unix time ``>= ts`` at which :func:`may_call` is true.

    None if there is none within the horizon: by default :data:`HORIZON_DAYS` days (and past the
    window's last holiday), which in practice means never. With a shorter ``horizon_days`` (at
    least 3), None guarantees that calling is not allowed before ``ts + (horizon_days - 2)`` days.
    """
    names = tuple(zones)
    if not names or not window.days:
        return None
    if horizon_days < 3:
        raise InvalidWindow(f"horizon_days must be at least 3, got {horizon_days}")
    t = float(ts)
    limit = t + horizon_days * _DAY
    if horizon_days == HORIZON_DAYS:
        limit = max(limit, (window.last_holiday + 9 - _EPOCH_ORDINAL) * float(_DAY))
    while t <= limit:
        best = t
        for name in names:
            interval = _zone_next(name, t, window, horizon_days)
            if interval is None:
                return None
            best = max(best, interval[0])
        if best == t:
            return t
        t = best
    return None


def open_until(zones: Iterable[str], ts: float, window: CallingWindow) -> float | None:
    """If :func:`may_call` is true at ``ts``: a time ``> ts`` until which it stays true (the
    earliest end of the zones' current intervals). None if calling is not allowed at ``ts``."""
    names = tuple(zones)
    if not names:
        return None
    end = float("inf")
    for name in names:
        interval = _zone_next(name, ts, window)
        if interval is None or interval[0] > ts:
            return None
        end = min(end, interval[1])
    return end


# --- local wall time to Unix time -----------------------------------------------------------------


def wall_to_timestamp(
    zone: str,
    wall: datetime,
    *,
    gap: Literal["shift_forward", "raise"] = "shift_forward",
    fold: Literal["earlier", "later", "raise"] = "earlier",
) -> float:
    """The Unix time at which the wall clock in ``zone`` reads ``wall`` (a naive datetime).

    DST is explicit: a wall time skipped by a spring-forward gap (02:30 on a US spring-forward
    day) raises :class:`NonexistentTime` with ``gap="raise"``, or becomes the instant the gap ends
    (03:00 local) with ``gap="shift_forward"``. A wall time repeated by a fall-back fold (01:30 on
    a US fall-back day) is its first occurrence with ``fold="earlier"``, its second with
    ``fold="later"``, or raises :class:`AmbiguousTime` with ``fold="raise"``.
    """
    if wall.tzinfo is not None:
        raise InvalidWindow(f"wall time must be naive (local to {zone}), got {wall!r}")
    if not known_zone(zone):
        raise InvalidWindow(f"unknown time zone {zone!r}")
    tz = ZoneInfo(zone)
    readings: set[float] = set()
    for f in (0, 1):
        u = wall.replace(tzinfo=tz, fold=f).timestamp()
        if datetime.fromtimestamp(u, tz).replace(tzinfo=None) == wall:
            readings.add(u)
    candidates = sorted(readings)
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        if fold == "raise":
            raise AmbiguousTime(f"{wall.isoformat()} happens twice in {zone}")
        return candidates[0] if fold == "earlier" else candidates[-1]
    if gap == "raise":
        raise NonexistentTime(f"{wall.isoformat()} does not exist in {zone}")
    # In a gap the two readings of the wall time bracket the transition; find it to the second.
    u0 = wall.replace(tzinfo=tz, fold=0).timestamp()
    u1 = wall.replace(tzinfo=tz, fold=1).timestamp()
    lo, hi = int(min(u0, u1)) - 1, int(max(u0, u1)) + 1
    transitions = _transitions(tz, lo, hi)
    if not transitions:  # pragma: no cover - tz database without the gap it reported
        raise NonexistentTime(f"{wall.isoformat()} does not exist in {zone}")
    return float(transitions[-1][0])


def local_date(zone: str, ts: float) -> date:
    """The calendar date in ``zone`` at Unix time ``ts``."""
    return _local_date(ts, ZoneInfo(zone))


def next_local_midnight(zone: str, ts: float) -> float:
    """The instant the local date in ``zone`` next changes after ``ts`` (DST-safe)."""
    tomorrow = local_date(zone, ts) + timedelta(days=1)
    return wall_to_timestamp(zone, datetime(tomorrow.year, tomorrow.month, tomorrow.day))


def callback_hours(
    epoch: float, fallback: Iterable[str]
) -> Callable[[str, Window, float], tuple[bool, float | None]]:
    """The calling hours of inbound callers' callbacks, for the engine
    (:data:`acd.engine.callbacks.CallbackHours`): in the number's zones (else ``fallback``,
    the center's), engine time ``t`` being Unix time ``t + epoch``."""
    zones_of = lru_cache(maxsize=4096)(lambda n: zones_for(n, fallback=tuple(fallback)))
    windows: dict[int, tuple[Window, CallingWindow]] = {}

    def hours(number: str, window: Window, now: float) -> tuple[bool, float | None]:
        held = windows.get(id(window))
        if held is None or held[0] is not window:
            cw = CallingWindow(window.start, window.end, window.days, frozenset(window.holidays))
            held = windows[id(window)] = (window, cw)
        zones, ts = zones_of(number), now + epoch
        if may_call(zones, ts, held[1]):
            until = open_until(zones, ts, held[1])
            return True, None if until is None else until - epoch
        nxt = next_allowed(zones, ts, held[1])
        return False, None if nxt is None else nxt - epoch

    return hours
