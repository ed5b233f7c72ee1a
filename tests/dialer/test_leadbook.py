"""The lead book: the next dialable lead, never outside its local window, never on the DNC list."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.errors import IllegalTransition, UnknownEntity
from dialer.dnc import DoNotCallList
from dialer.hours import US_ZONES, CallingWindow, may_call, zones_for
from dialer.leadbook import AmbiguousZone, BookCounts, DuplicateLead, LeadBook
from dialer.leads import Lead
from dialer.retries import Disposition, DispositionKind, DoneReason, Outcome, RetryPolicy

NY = "America/New_York"
TSR = CallingWindow()
ALWAYS = CallingWindow("00:00", "24:00")
NO_DNC: frozenset[str] = frozenset()


def at(zone: str, y: int, mo: int, d: int, h: int = 0, mi: int = 0, fold: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(zone), fold=fold).timestamp()


def drain(
    book: LeadBook, now: float, window: CallingWindow = TSR, dnc: object = NO_DNC
) -> list[str]:
    out = []
    while (lead := book.next_dialable(now, window, dnc)) is not None:  # type: ignore[arg-type]
        out.append(lead.lead_id)
    return out


def test_due_leads_come_out_by_time_then_priority_then_insertion() -> None:
    book = LeadBook()
    noon = at(NY, 2026, 7, 1, 12)
    book.add(Lead("late", "+12125550100", priority=9), at=noon + 60)
    book.extend(
        [
            Lead("low", "+12125550101", priority=0),
            Lead("high", "+12125550102", priority=5),
            Lead("low2", "+12125550103", priority=0),
        ],
        at=noon,
    )
    assert drain(book, noon) == ["high", "low", "low2"]
    assert drain(book, noon + 60) == ["late"]
    assert book.dialing("late") and len(book) == 4 and "low" in book


def test_a_lead_outside_its_window_waits_for_it() -> None:
    book = LeadBook()
    book.add(Lead("ny", "+12125550100"))
    book.add(Lead("la", "+12135550100"))
    early = at(NY, 2026, 7, 1, 7, 30)  # 04:30 in Los Angeles
    assert drain(book, early) == []
    assert book.counts(early) == BookCounts(total=2, dialable=0, scheduled=2, dialing=0, done={})
    assert drain(book, at(NY, 2026, 7, 1, 8, 0)) == ["ny"]
    assert drain(book, at(NY, 2026, 7, 1, 10, 59)) == []
    assert drain(book, at(NY, 2026, 7, 1, 11, 0)) == ["la"]  # 08:00 in Los Angeles


def test_window_change_is_taken_at_once() -> None:
    book = LeadBook()
    book.add(Lead("ny", "+12125550100"))
    evening = at(NY, 2026, 7, 1, 21, 30)
    assert drain(book, evening) == []
    assert drain(book, evening, CallingWindow("08:00", "22:00")) == ["ny"]


def test_do_not_call_leads_are_closed_and_never_returned() -> None:
    dnc = DoNotCallList()
    dnc.add("(212) 555-0101", "agent", 0.0)
    book = LeadBook()
    book.extend([Lead("a", "+12125550100"), Lead("b", "+12125550101"), Lead("c", "+12125550102")])
    noon = at(NY, 2026, 7, 1, 12)
    assert drain(book, noon, dnc=dnc) == ["a", "c"]
    assert book.state("b").done_reason is DoneReason.DO_NOT_CALL
    counts = book.counts(noon)
    assert counts.done == {"do_not_call": 1} and counts.dialing == 2
    # Added to the list while queued: caught at the moment of dialling.
    book.record("a", Outcome.BUSY, noon)
    dnc.add("+1 212 555 0100", "api", noon)
    assert drain(book, noon + 3600, dnc=dnc) == []
    assert book.state("a").done_reason is DoneReason.DO_NOT_CALL


def test_agent_do_not_call_disposition_goes_on_the_list() -> None:
    dnc = DoNotCallList()
    book = LeadBook()
    book.add(Lead("a", "+12125550100"))
    noon = at(NY, 2026, 7, 1, 12)
    assert drain(book, noon) == ["a"]
    state = book.record(
        "a", Disposition("stop calling", DispositionKind.DO_NOT_CALL), noon, dnc=dnc
    )
    assert state.done and "+12125550100" in dnc
    assert dnc.entry("+12125550100") is not None
    assert dnc.entry("+12125550100").source == "agent"  # type: ignore[union-attr]
    with pytest.raises(IllegalTransition):
        book.record("a", Outcome.BUSY, noon)


def test_record_requeues_by_the_retry_rules() -> None:
    book = LeadBook(RetryPolicy(max_attempts_per_day=None))
    book.add(Lead("a", "+12125550100"))
    noon = at(NY, 2026, 7, 1, 12)
    assert drain(book, noon) == ["a"]
    assert book.counts(noon).dialing == 1
    state = book.record("a", Outcome.NO_ANSWER, noon)
    assert state.next_attempt_at == noon + 7200 and not book.dialing("a")
    assert drain(book, noon + 7199) == []
    assert book.counts(noon + 7199) == BookCounts(1, 0, 1, 0, {})
    assert book.counts(noon + 7200) == BookCounts(1, 1, 0, 0, {})
    assert drain(book, noon + 7200) == ["a"]
    book.record("a", Disposition("sale", DispositionKind.SUCCESS), noon + 7300)
    assert book.counts(noon + 7300).done == {"success": 1}


def test_unknown_zone_is_refused_unless_a_fallback_is_given() -> None:
    odd = Lead("odd", "+80012345678")  # international freephone: no zone
    assert zones_for(odd) == ()
    book = LeadBook()
    book.add(odd)
    assert book.state("odd").done_reason is DoneReason.UNKNOWN_TIME_ZONE
    assert drain(book, at(NY, 2026, 7, 1, 12), ALWAYS) == []
    assert book.counts(0.0).done == {"unknown_time_zone": 1}
    us = LeadBook(fallback_zones=US_ZONES)
    us.add(odd)
    # Only while every US zone is in its window: from 08:00 in Honolulu to 21:00 in New York.
    hnl = "Pacific/Honolulu"
    us.add(Lead("odd2", "+80012345679"), at=at(hnl, 2026, 7, 1, 15, 0))
    assert drain(us, at(hnl, 2026, 7, 1, 7, 59)) == []
    assert drain(us, at(hnl, 2026, 7, 1, 8, 0)) == ["odd"]
    assert drain(us, at(hnl, 2026, 7, 1, 15, 0)) == []  # 21:00 in New York
    assert drain(us, at(hnl, 2026, 7, 2, 8, 0)) == ["odd2"]


def test_callbacks_at_local_wall_times_across_dst() -> None:
    book = LeadBook()
    book.add(Lead("ny", "+12125550100"))
    book.add(Lead("nf", "+17095550100"))  # Halifax and St John's
    book.add(Lead("nf-known", "+17095550101", time_zone="America/St_Johns"))
    # 02:30 does not exist on 2026-03-08 in New York: the callback is at 03:00 EDT.
    book.schedule_callback("ny", datetime(2026, 3, 8, 2, 30), "agent-1")
    assert book.state("ny").next_attempt_at == at(NY, 2026, 3, 8, 3, 0)
    assert book.state("ny").callback_agent == "agent-1"
    # 01:30 happens twice on 2026-11-01: the first one.
    book.schedule_callback("ny", datetime(2026, 11, 1, 1, 30))
    assert book.state("ny").next_attempt_at == at(NY, 2026, 11, 1, 1, 30, fold=0)
    # An aware datetime or a Unix time is taken as it is.
    book.schedule_callback("ny", datetime(2026, 11, 1, 6, 30, tzinfo=ZoneInfo("UTC")))
    assert book.state("ny").next_attempt_at == at(NY, 2026, 11, 1, 1, 30, fold=1)
    with pytest.raises(AmbiguousZone):
        book.schedule_callback("nf", datetime(2026, 7, 1, 10, 0))
    book.schedule_callback("nf-known", datetime(2026, 7, 1, 10, 0))
    assert book.state("nf-known").next_attempt_at == at("America/St_Johns", 2026, 7, 1, 10, 0)
    # The callback comes out at its time, inside the window, before older leads.
    book.add(Lead("other", "+12125550199"))
    book.schedule_callback("ny", at(NY, 2026, 11, 2, 9, 0))
    # Due since the epoch (in the order added), then the callbacks in time order.
    assert drain(book, at(NY, 2026, 11, 2, 9, 0)) == ["nf", "other", "nf-known", "ny"]


def test_record_a_callback_disposition_with_local_time() -> None:
    book = LeadBook()
    book.add(Lead("ny", "+12125550100"))
    t = at(NY, 2026, 3, 7, 19, 0)
    assert drain(book, t) == ["ny"]
    cb = Disposition("call back", DispositionKind.CALLBACK)
    state = book.record("ny", cb, t, callback_at=datetime(2026, 3, 8, 9, 0), callback_agent="a")
    assert state.next_attempt_at == at(NY, 2026, 3, 8, 9, 0) and state.callback
    assert drain(book, at(NY, 2026, 3, 8, 8, 59)) == []
    # Held for agent "a": not handed to anyone, only to "a" once due.
    assert drain(book, at(NY, 2026, 3, 8, 9, 0)) == []
    assert book.callback_agents(at(NY, 2026, 3, 8, 8, 59)) == []
    assert book.callback_agents(at(NY, 2026, 3, 8, 9, 0)) == ["a"]
    lead = book.next_for_agent("a", at(NY, 2026, 3, 8, 9, 0), CallingWindow(), set())
    assert lead is not None and lead.lead_id == "ny" and book.dialing("ny")


def test_a_callback_for_an_agent_can_be_handed_to_anyone() -> None:
    book = LeadBook()
    book.add(Lead("ny", "+12125550100"))
    t = at(NY, 2026, 3, 7, 19, 0)
    assert drain(book, t) == ["ny"]
    cb = Disposition("call back", DispositionKind.CALLBACK)
    book.record("ny", cb, t, callback_at=t + 3600, callback_agent="a")
    assert book.to_anyone("a", t + 3599) == 0
    assert book.to_anyone("a", t + 3600) == 1
    st = book.state("ny")
    assert st.callback and st.callback_agent is None and st.next_attempt_at == t + 3600
    assert drain(book, t + 3600) == ["ny"]


def test_uk_72_hours_after_an_abandoned_call() -> None:
    book = LeadBook(RetryPolicy(uk_72h_rule=True))
    book.add(Lead("uk", "+442079460000"))
    london = "Europe/London"
    t = at(london, 2026, 7, 1, 12)
    assert drain(book, t) == ["uk"]
    book.record("uk", Outcome.ABANDONED, t)
    for day in (1, 2):
        assert drain(book, t + day * 86_400) == []
    assert drain(book, t + 3 * 86_400) == ["uk"]
    book.record("uk", Outcome.ABANDONED, t + 3 * 86_400)
    assert book.state("uk").done_reason is DoneReason.MAX_ABANDONED


def test_uk_callback_with_a_reserved_agent_may_come_sooner() -> None:
    book = LeadBook(RetryPolicy(uk_72h_rule=True))
    book.add(Lead("uk", "+442079460000"))
    book.add(Lead("uk2", "+442079460001"))
    t = at("Europe/London", 2026, 7, 1, 12)
    assert drain(book, t) == ["uk", "uk2"]
    book.record("uk", Outcome.ABANDONED, t)
    book.record("uk2", Outcome.ABANDONED, t)
    book.schedule_callback("uk", t + 3600, "agent-9")
    book.schedule_callback("uk2", t + 3600)  # no agent: moved to the end of the 72 h
    assert drain(book, t + 3600) == []  # "uk" is held for agent-9
    lead = book.next_for_agent("agent-9", t + 3600, CallingWindow(), set())
    assert lead is not None and lead.lead_id == "uk"
    assert book.state("uk").callback_agent == "agent-9"
    assert book.state("uk2").next_attempt_at == t + 72 * 3600


def test_errors() -> None:
    book = LeadBook()
    book.add(Lead("a", "+12125550100"))
    with pytest.raises(DuplicateLead):
        book.add(Lead("a", "+12125550101"))
    with pytest.raises(UnknownEntity):
        book.record("zzz", Outcome.BUSY, 0.0)
    with pytest.raises(UnknownEntity):
        book.state("zzz")


def test_many_leads_in_many_zones() -> None:
    areas = ["212", "312", "303", "602", "213", "907", "808", "709", "208"]
    leads = [
        Lead(f"L{i}", f"+1{areas[i % len(areas)]}555{i // len(areas):04d}", priority=i % 4)
        for i in range(900)
    ]
    book = LeadBook()
    assert book.extend(leads) == 900
    # 12:00 in New York is 08:00 in Anchorage but 07:00 on Adak (907 has both) and 06:00 in
    # Honolulu (808): those wait.
    t = at(NY, 2026, 7, 1, 12)
    out = drain(book, t)
    assert len(out) == 900 - 200
    zones = {lead.lead_id: zones_for(lead) for lead in leads}
    assert all(may_call(zones[i], t, TSR) for i in out)
    # Each waiting group is re-keyed to its opening time: Adak opens an hour before Honolulu.
    by_priority = sorted(range(900), key=lambda i: (-(i % 4), i))
    assert drain(book, at("Pacific/Honolulu", 2026, 7, 1, 8)) == [
        *(f"L{i}" for i in by_priority if i % 9 == 5),
        *(f"L{i}" for i in by_priority if i % 9 == 6),
    ]


# --- the invariants -------------------------------------------------------------------------

REGIONS = ["US", "CA", "GB", "DE", "AU", "BR", "RU", "MX", "ID", "NZ", "CL", "IN", "ZA", "JP"]
ZONES = sorted(available_timezones() - {"Factory", "localtime"})


@cache
def number_pool() -> list[str]:
    """Valid numbers of several countries (many map to several zones)."""
    pool: set[str] = set()
    for region in REGIONS:
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            base = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            for tail in range(12):
                n = phonenumbers.parse(f"{base[:-2]}{tail:02d}")
                if phonenumbers.is_valid_number(n):
                    pool.add(phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164))
    pool |= {
        f"+1{a}5550{i:03d}" for a in ("709", "208", "605", "800", "907", "808") for i in range(4)
    }
    return sorted(pool)


@cache
def dst_days() -> list[float]:
    """Midnight UTC of days when a US, EU or Australian zone changes offset, 2024-2030."""
    out: set[float] = set()
    for zone in (NY, "America/Denver", "Europe/London", "Europe/Berlin", "Australia/Sydney"):
        tz, day = ZoneInfo(zone), datetime(2024, 1, 1, tzinfo=ZoneInfo("UTC"))
        while day.year < 2031:
            nxt = day + timedelta(days=1)
            if day.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
                out.add(day.timestamp() - 86_400)
            day = nxt
    return sorted(out)


@st.composite
def leads(draw: st.DrawFn) -> list[Lead]:
    phones = draw(st.lists(st.sampled_from(number_pool()), min_size=1, max_size=25, unique=True))
    out = []
    for i, phone in enumerate(phones):
        zone = draw(st.sampled_from(ZONES)) if draw(st.integers(0, 3)) == 0 else None
        out.append(Lead(f"L{i}", phone, time_zone=zone, priority=draw(st.integers(0, 3))))
    return out


WINDOWS = [
    TSR,
    CallingWindow("09:00", "17:30", frozenset(range(5))),
    CallingWindow("02:15", "03:45"),
]
STEPS = [60.0, 1800.0, 3 * 3600.0, 11 * 3600.0, 86_400.0]
OUTCOMES = [*Outcome, Disposition("dnc", DispositionKind.DO_NOT_CALL)]


@given(leads(), st.data())
@settings(max_examples=60, deadline=None)
def test_no_lead_is_returned_outside_its_window_or_on_the_dnc_list(
    batch: list[Lead], data: st.DataObject
) -> None:
    window = data.draw(st.sampled_from(WINDOWS))
    if data.draw(st.booleans()):
        now = data.draw(st.sampled_from(dst_days())) + data.draw(st.integers(0, 48)) * 1800.0
    else:
        now = float(data.draw(st.integers(1_704_067_200, 1_924_905_600)))
    dnc = DoNotCallList()
    for listed in data.draw(st.sets(st.sampled_from(batch), max_size=4)):
        dnc.add(listed.phone, "test", 0.0)
    book = LeadBook(RetryPolicy(uk_72h_rule=data.draw(st.booleans())))
    book.extend(batch, at=now)
    zones = {lead.lead_id: zones_for(lead) for lead in batch}
    for _ in range(data.draw(st.integers(1, 12))):
        now += data.draw(st.sampled_from(STEPS))
        while (picked := book.next_dialable(now, window, dnc)) is not None:
            assert picked.phone not in dnc
            assert may_call(zones[picked.lead_id], now, window)
            state = book.state(picked.lead_id)
            assert state.next_attempt_at is not None and state.next_attempt_at <= now
            outcome = data.draw(st.sampled_from(OUTCOMES))
            book.record(picked.lead_id, outcome, now, dnc=dnc)
        # Nothing left behind: every queued lead that is due is outside its window (or listed).
        for lead in batch:
            state = book.state(lead.lead_id)
            if not state.done and state.next_attempt_at is not None:
                due = state.next_attempt_at <= now
                assert not (due and may_call(zones[lead.lead_id], now, window))
        c = book.counts(now)
        assert c.total == c.dialable + c.scheduled + c.dialing + sum(c.done.values())
        assert c.dialable == 0 and c.dialing == 0
