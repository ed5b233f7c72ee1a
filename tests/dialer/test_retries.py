"""Retries: per-outcome and total caps, the daily cap in the lead's local day, Ofcom's 72 hours,
dispositions and callbacks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.errors import IllegalTransition, InvalidEvent
from dialer.retries import (
    NEW_LEAD,
    UK_NO_REDIAL_SECONDS,
    Disposition,
    DispositionKind,
    DoneReason,
    InvalidRetryPolicy,
    LeadState,
    Outcome,
    RetryPolicy,
    RetryRule,
    after_attempt,
    attempt_history,
    interrupted_attempt,
    redial_allowed,
    schedule_callback,
    state_from_dict,
    state_to_dict,
)

NY = ("America/New_York",)
LA = ("America/Los_Angeles",)
HOUR = 3600.0
NO_CAPS = RetryPolicy(max_attempts=100, max_attempts_per_day=None)


def at(zone: str, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(zone)).timestamp()


def local(zone: str, ts: float | None) -> datetime:
    assert ts is not None
    return datetime.fromtimestamp(ts, ZoneInfo(zone)).replace(tzinfo=None)


def test_documented_defaults() -> None:
    p = RetryPolicy()
    assert p.no_answer == RetryRule(2 * HOUR, 4)
    assert p.busy == RetryRule(10 * 60, 5)
    assert p.machine == RetryRule(4 * HOUR, 3)
    assert p.abandoned == RetryRule(24 * HOUR, 2)
    assert p.failed == RetryRule(30 * 60, 3)
    assert p.not_contacted == RetryRule(HOUR, 3)
    assert (p.max_attempts, p.max_attempts_per_day, p.uk_72h_rule) == (10, 3, False)


def test_retry_after_the_outcomes_delay() -> None:
    now = at("America/New_York", 2026, 7, 1, 10, 0)
    for outcome, delay in [
        (Outcome.NO_ANSWER, 2 * HOUR),
        (Outcome.BUSY, 600.0),
        (Outcome.MACHINE, 4 * HOUR),
        (Outcome.ABANDONED, 24 * HOUR),
        (Outcome.FAILED, 1800.0),
    ]:
        state = after_attempt(NEW_LEAD, outcome, now, NY, RetryPolicy())
        assert state.next_attempt_at == now + delay
        assert (state.attempts, state.last_outcome, state.last_attempt_at) == (1, outcome, now)
        assert state.count(outcome) == 1 and not state.done
    assert after_attempt(NEW_LEAD, "busy", now, NY, RetryPolicy()).count("busy") == 1  # type: ignore[arg-type]


def test_the_attempt_that_reaches_an_outcomes_max_closes_the_lead() -> None:
    state, now = NEW_LEAD, 0.0
    for _ in range(4):
        state = after_attempt(state, Outcome.BUSY, now, NY, NO_CAPS)
        assert not state.done
        now = state.next_attempt_at or 0.0
    # other outcomes have their own counters
    state = after_attempt(state, Outcome.NO_ANSWER, now, NY, NO_CAPS)
    state = after_attempt(state, Outcome.BUSY, state.next_attempt_at or 0.0, NY, NO_CAPS)
    assert state.done and state.done_reason is DoneReason.MAX_BUSY
    assert state.next_attempt_at is None and state.attempts == 6
    with pytest.raises(IllegalTransition, match="done"):
        after_attempt(state, Outcome.BUSY, now, NY, NO_CAPS)


def test_total_attempts_cap() -> None:
    policy = RetryPolicy(max_attempts=5, max_attempts_per_day=None)
    state = NEW_LEAD
    outcomes = [Outcome.BUSY, Outcome.NO_ANSWER, Outcome.FAILED, Outcome.MACHINE, Outcome.BUSY]
    for i, outcome in enumerate(outcomes):
        state = after_attempt(state, outcome, i * HOUR, NY, policy)
    assert state.done and state.done_reason is DoneReason.MAX_ATTEMPTS and state.attempts == 5


def test_daily_cap_counts_attempts_in_the_leads_local_day() -> None:
    policy = RetryPolicy(busy=RetryRule(600, 50), max_attempts=50, max_attempts_per_day=3)
    # 19:00, 19:10, 19:20 in New York: the third attempt of the local day moves the next one to
    # local midnight (the calling window will move it again, to 08:00).
    start = at("America/New_York", 2026, 7, 1, 19, 0)
    state = NEW_LEAD
    for i in range(3):
        state = after_attempt(state, Outcome.BUSY, start + i * 600, NY, policy)
    assert local(NY[0], state.next_attempt_at) == datetime(2026, 7, 2, 0, 0)
    assert state.attempts_by_day(NY[0]) == {datetime(2026, 7, 1).date(): 3}
    # The same instants are 16:00-16:20 in Los Angeles, also one local day: midnight there.
    la = NEW_LEAD
    for i in range(3):
        la = after_attempt(la, Outcome.BUSY, start + i * 600, LA, policy)
    assert local(LA[0], la.next_attempt_at) == datetime(2026, 7, 2, 0, 0)
    # Attempts either side of New York midnight are on two local days: no cap reached.
    late = at("America/New_York", 2026, 7, 1, 23, 50)
    two_days = NEW_LEAD
    for t in (late - 600, late, late + 900):
        two_days = after_attempt(two_days, Outcome.BUSY, t, NY, policy)
    assert two_days.next_attempt_at == late + 900 + 600


def test_daily_cap_holds_in_every_zone_of_the_number() -> None:
    policy = RetryPolicy(busy=RetryRule(600, 50), max_attempts=50, max_attempts_per_day=2)
    zones = ("America/Chicago", "America/New_York")
    # 23:20 and 23:30 New York = 22:20 and 22:30 Chicago.
    t0 = at("America/New_York", 2026, 7, 1, 23, 20)
    state = after_attempt(NEW_LEAD, Outcome.BUSY, t0, zones, policy)
    state = after_attempt(state, Outcome.BUSY, t0 + 600, zones, policy)
    # New York's next day starts at 00:00 NY, but that is still July 1st (23:00) in Chicago,
    # where both attempts were: wait for Chicago's midnight.
    assert local("America/Chicago", state.next_attempt_at) == datetime(2026, 7, 2, 0, 0)


def test_daily_cap_across_dst() -> None:
    # New York falls back on 2026-11-01: that local day has 25 hours; its midnight is exact.
    policy = RetryPolicy(busy=RetryRule(600, 50), max_attempts=50, max_attempts_per_day=1)
    t = at("America/New_York", 2026, 10, 31, 22, 0)
    state = after_attempt(NEW_LEAD, Outcome.BUSY, t, NY, policy)
    assert local(NY[0], state.next_attempt_at) == datetime(2026, 11, 1, 0, 0)
    t2 = state.next_attempt_at or 0.0
    state = after_attempt(state, Outcome.BUSY, t2, NY, policy)
    assert state.next_attempt_at == t2 + 25 * HOUR


def test_uk_72_hour_rule_after_an_abandoned_call() -> None:
    uk = RetryPolicy(uk_72h_rule=True)
    now = 1_800_000_000.0
    zones = ("Europe/London",)
    state = after_attempt(NEW_LEAD, Outcome.ABANDONED, now, zones, uk)
    assert state.abandoned_at == now
    assert state.next_attempt_at == now + 72 * HOUR
    assert after_attempt(
        NEW_LEAD, Outcome.ABANDONED, now, zones, RetryPolicy()
    ).next_attempt_at == (now + 24 * HOUR)
    # Within the 72 h only an attempt with an agent reserved for it may be made.
    assert not redial_allowed(state, now + 71 * HOUR, uk)
    assert redial_allowed(state, now + 71 * HOUR, uk, agent_reserved=True)
    assert redial_allowed(state, now + 72 * HOUR, uk)
    assert redial_allowed(state, now + HOUR, RetryPolicy())
    # A callback without an agent moves to the end of the 72 h; with one it stays.
    unreserved = schedule_callback(state, now + 2 * HOUR, None, uk)
    assert unreserved.next_attempt_at == now + UK_NO_REDIAL_SECONDS and unreserved.callback
    reserved = schedule_callback(state, now + 2 * HOUR, "agent-7", uk)
    assert reserved.next_attempt_at == now + 2 * HOUR and reserved.callback_agent == "agent-7"
    # The reserved callback is not answered: the automatic retry still waits out the 72 h.
    after = after_attempt(reserved, Outcome.NO_ANSWER, now + 2 * HOUR, zones, uk)
    assert after.next_attempt_at == now + 72 * HOUR
    assert not after.callback and after.callback_agent is None


def test_dispositions() -> None:
    now = 1_800_000_000.0
    p = RetryPolicy()
    for kind, reason in [
        (DispositionKind.SUCCESS, DoneReason.SUCCESS),
        (DispositionKind.CONTACT, DoneReason.CONTACT),
        (DispositionKind.FINAL, DoneReason.FINAL),
        (DispositionKind.DO_NOT_CALL, DoneReason.DO_NOT_CALL),
    ]:
        state = after_attempt(NEW_LEAD, Disposition("x", kind), now, NY, p)
        assert state.done and state.done_reason is reason and state.last_outcome == "x"
    retry = after_attempt(NEW_LEAD, Disposition("dead air", "not_contacted"), now, NY, p)  # type: ignore[arg-type]
    assert retry.next_attempt_at == now + HOUR and retry.count("not_contacted") == 1
    with pytest.raises(InvalidEvent, match="kind"):
        Disposition("x", "maybe")  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent, match="name"):
        Disposition("", DispositionKind.FINAL)


def test_callback_disposition_needs_a_time_and_is_exempt_from_the_caps() -> None:
    now = at("America/New_York", 2026, 7, 1, 19, 0)
    p = RetryPolicy(max_attempts=2, max_attempts_per_day=1)
    cb = Disposition("call me later", DispositionKind.CALLBACK)
    with pytest.raises(InvalidEvent, match="need a time"):
        after_attempt(NEW_LEAD, cb, now, NY, p)
    with pytest.raises(InvalidEvent, match="callback_at"):
        after_attempt(NEW_LEAD, Outcome.BUSY, now, NY, p, callback_at=now)
    state = after_attempt(NEW_LEAD, Outcome.BUSY, now - 600, NY, RetryPolicy())
    state = after_attempt(state, cb, now, NY, p, callback_at=now + 1800, callback_agent="a1")
    # Two attempts today and two in all, yet the asked-for callback stands.
    assert state.next_attempt_at == now + 1800 and state.callback_agent == "a1" and not state.done
    assert state.attempts == 2 and state.last_outcome == "call me later"
    done = replace(state, done=True, done_reason=DoneReason.SUCCESS)
    with pytest.raises(IllegalTransition):
        schedule_callback(done, now, None, p)
    with pytest.raises(InvalidEvent):
        schedule_callback(state, now, "", p)


def test_policy_validation() -> None:
    with pytest.raises(InvalidRetryPolicy):
        RetryRule(-1, 3)
    with pytest.raises(InvalidRetryPolicy):
        RetryRule(60, 0)
    with pytest.raises(InvalidRetryPolicy):
        RetryPolicy(max_attempts=0)
    with pytest.raises(InvalidRetryPolicy):
        RetryPolicy(max_attempts_per_day=0)
    with pytest.raises(InvalidRetryPolicy):
        RetryPolicy(busy=(60, 3))  # type: ignore[arg-type]
    with pytest.raises(InvalidRetryPolicy):
        RetryPolicy().rule("max_attempts")
    with pytest.raises(ValueError):
        after_attempt(NEW_LEAD, "answered", 0.0, NY, RetryPolicy())  # type: ignore[arg-type]


# --- properties ------------------------------------------------------------------------------

ZONE_SETS = [NY, LA, ("Europe/London",), ("Australia/Sydney",), ("America/Chicago", NY), ()]


@given(
    st.lists(st.sampled_from(list(Outcome)), min_size=1, max_size=30),
    st.sampled_from(ZONE_SETS),
    st.booleans(),
    st.integers(1_700_000_000, 1_900_000_000),
)
@settings(max_examples=150, deadline=None)
def test_caps_hold_whatever_the_outcomes(
    outcomes: list[Outcome], zones: tuple[str, ...], uk: bool, start: int
) -> None:
    policy = RetryPolicy(uk_72h_rule=uk)
    state: LeadState = NEW_LEAD
    now = float(start)
    for outcome in outcomes:
        if state.done:
            break
        state = after_attempt(state, outcome, now, zones, policy)
        assert state.attempts <= policy.max_attempts
        for o in Outcome:
            assert state.count(o) <= policy.rule(o).max_attempts
        if state.done:
            assert state.next_attempt_at is None and state.done_reason is not None
            break
        nxt = state.next_attempt_at
        assert nxt is not None and nxt >= now + policy.rule(outcome).delay_seconds
        if uk and state.abandoned_at is not None:
            assert nxt >= state.abandoned_at + UK_NO_REDIAL_SECONDS
        for zone in zones or ("UTC",):
            day = datetime.fromtimestamp(nxt, ZoneInfo(zone)).date()
            assert state.attempts_by_day(zone).get(day, 0) < (policy.max_attempts_per_day or 0)
        now = nxt


@given(st.lists(st.sampled_from(list(Outcome)), max_size=8))
def test_the_history_is_every_attempt_in_order_and_survives_a_save(outcomes: list[Outcome]) -> None:
    state, expected = NEW_LEAD, []
    t = at("America/New_York", 2026, 7, 1, 9, 0)
    for i, outcome in enumerate(outcomes):
        if state.done:
            break
        if i == 3:  # a stop cut this one: it is an attempt, of unknown result
            state = interrupted_attempt(state, t, NY, NO_CAPS)
            expected.append({"at": t, "outcome": "interrupted"})
            t += 60.0
        state = after_attempt(state, outcome, t, NY, NO_CAPS)
        expected.append({"at": t, "outcome": outcome.value})
        t += 60.0
    assert attempt_history(state) == expected
    assert attempt_history(state_from_dict(state_to_dict(state))) == expected


def test_a_state_saved_before_outcomes_were_kept_says_it_does_not_know() -> None:
    saved = state_to_dict(after_attempt(NEW_LEAD, Outcome.BUSY, 100.0, NY, NO_CAPS))
    del saved["attempt_outcomes"]
    old = state_from_dict(saved)
    assert attempt_history(old) == [{"at": 100.0, "outcome": None}]
    newer = after_attempt(old, Outcome.NO_ANSWER, 200.0, NY, NO_CAPS)
    assert attempt_history(newer) == [
        {"at": 100.0, "outcome": None},
        {"at": 200.0, "outcome": "no_answer"},
    ]
