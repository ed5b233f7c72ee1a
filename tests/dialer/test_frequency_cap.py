"""The debt-collection call-frequency cap (CFPB Regulation F, 12 CFR 1006.14(b), ANCHORS.md): at
most 7 attempts to a lead in 7 days, none within 7 days after a conversation; hand-worked cases,
properties over random attempt histories (as calling hours are tested), the lead book and the
config."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.config import config_from_text
from acd.errors import ConfigError
from dialer.leadbook import LeadBook
from dialer.leads import Lead
from dialer.leadsource import retry_policy
from dialer.retries import (
    NEW_LEAD,
    Disposition,
    DispositionKind,
    FrequencyCap,
    InvalidRetryPolicy,
    LeadState,
    Outcome,
    RetryPolicy,
    RetryRule,
    after_attempt,
    state_from_dict,
    state_to_dict,
)

HOUR, DAY = 3600.0, 86400.0
T0 = 1_767_268_800.0  # 2026-01-01 12:00 UTC
# Only the cap: every outcome retried an hour later, no per-day or total cap.
ONLY_CAP = RetryPolicy(
    **{
        name: RetryRule(HOUR, 1000)
        for name in ("no_answer", "busy", "machine", "abandoned", "failed", "not_contacted")
    },
    max_attempts=1000,
    max_attempts_per_day=None,
    frequency_cap=FrequencyCap(7, 7),
)
CONTACT = Disposition("not_interested", DispositionKind.CONTACT)
CALLBACK = Disposition("callback", DispositionKind.CALLBACK)
NOBODY = Disposition("no_contact", DispositionKind.NOT_CONTACTED)


def test_the_eighth_attempt_waits_until_the_first_is_seven_days_old() -> None:
    state, now = NEW_LEAD, T0
    for _ in range(6):  # attempts 1-6, an hour apart: the cap does not bind yet
        state = after_attempt(state, Outcome.NO_ANSWER, now, (), ONLY_CAP)
        assert state.next_attempt_at == now + HOUR
        now += HOUR
    state = after_attempt(state, Outcome.NO_ANSWER, now, (), ONLY_CAP)  # the 7th, at T0 + 6 h
    assert state.next_attempt_at == T0 + 7 * DAY  # the window (T0, T0 + 7 d] holds attempts 2-7
    state = after_attempt(state, Outcome.BUSY, T0 + 7 * DAY, (), ONLY_CAP)  # the 8th
    assert state.next_attempt_at == T0 + HOUR + 7 * DAY  # the 2nd attempt must age out too


def test_no_call_for_seven_days_after_a_conversation_unless_asked_back() -> None:
    state = after_attempt(NEW_LEAD, Outcome.NO_ANSWER, T0, (), ONLY_CAP)
    # The person spoke with an agent and asked to be called tomorrow: that call is theirs.
    state = after_attempt(state, CALLBACK, T0 + HOUR, (), ONLY_CAP, callback_at=T0 + DAY)
    assert state.next_attempt_at == T0 + DAY and state.conversation_at == T0 + HOUR
    # The callback rings out: the automatic retry waits 7 days from the conversation.
    state = after_attempt(state, Outcome.NO_ANSWER, T0 + DAY, (), ONLY_CAP)
    assert state.next_attempt_at == T0 + HOUR + 7 * DAY
    # An agent connected to nobody useful is no conversation: an hour later as usual.
    other = after_attempt(NEW_LEAD, NOBODY, T0, (), ONLY_CAP)
    assert other.next_attempt_at == T0 + HOUR and other.conversation_at is None


def test_the_cap_and_the_daily_cap_together() -> None:
    """3 a day (UTC days) and 7 a week: the 8th attempt is both a new day and 7 days on."""
    policy = RetryPolicy(
        no_answer=RetryRule(HOUR, 100),
        max_attempts=100,
        max_attempts_per_day=3,
        frequency_cap=FrequencyCap(7, 7),
    )
    state, now, times = NEW_LEAD, T0, []
    for _ in range(8):
        times.append(now)
        state = after_attempt(state, Outcome.NO_ANSWER, now, (), policy)
        assert state.next_attempt_at is not None
        now = state.next_attempt_at
    # Day 1: 12:00, 13:00, 14:00; day 2 from midnight: 00:00, 01:00, 02:00; day 3: 00:00,
    # 01:00; the 9th: 7 days after the 2nd (T0 + 1 h), which is on a day with no attempt.
    assert times[3] == T0 + 12 * HOUR and times[6] == T0 + 36 * HOUR
    assert now == T0 + HOUR + 7 * DAY


def test_a_cap_is_validated_and_a_state_round_trips() -> None:
    for bad in ({"calls": 0}, {"days": 0}, {"days": -1.0}):
        with pytest.raises(InvalidRetryPolicy):
            FrequencyCap(**bad)  # type: ignore[arg-type]
    state = after_attempt(NEW_LEAD, CALLBACK, T0, (), ONLY_CAP, callback_at=T0 + DAY)
    assert state_from_dict(state_to_dict(state)) == state
    assert state_from_dict({k: v for k, v in state_to_dict(state).items()}).conversation_at == T0


# --- properties over random histories ------------------------------------------------------
RESULTS = [*Outcome, NOBODY, CALLBACK]


@given(
    st.lists(
        st.tuples(st.sampled_from(RESULTS), st.floats(0, 3 * DAY), st.floats(60, 10 * DAY)),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 9),
    st.sampled_from([1, 2, 7, 30]),
)
@settings(max_examples=200, deadline=None)
def test_every_automatic_attempt_keeps_the_cap(
    steps: list[tuple[object, float, float]], calls: int, days: int
) -> None:
    """Attempts happen at or after the time the rules give (the calling window may push them
    later); at every automatic attempt, the window of ``days`` days ending at it holds at most
    ``calls`` attempts and no conversation; and the time given is the first such time."""
    cap = FrequencyCap(calls, days)
    policy = RetryPolicy(
        no_answer=ONLY_CAP.no_answer,
        busy=ONLY_CAP.busy,
        machine=ONLY_CAP.machine,
        abandoned=ONLY_CAP.abandoned,
        failed=ONLY_CAP.failed,
        not_contacted=ONLY_CAP.not_contacted,
        max_attempts=1000,
        max_attempts_per_day=None,
        frequency_cap=cap,
    )
    w = days * DAY
    state: LeadState = NEW_LEAD
    now = T0
    attempts: list[float] = []
    conversations: list[float] = []
    for result, late, callback_in in steps:
        automatic = not state.callback
        if automatic and attempts:
            assert sum(1 for t in attempts if now - w < t <= now) <= calls - 1
            assert all(now >= c + w for c in conversations)
        attempts.append(now)
        if result is CALLBACK:
            conversations.append(now)
            state = after_attempt(state, CALLBACK, now, (), policy, callback_at=now + callback_in)
            assert state.next_attempt_at == now + callback_in  # asked for: exempt
        else:
            assert isinstance(result, Outcome | Disposition)
            state = after_attempt(state, result, now, (), policy)
            nxt = state.next_attempt_at
            assert nxt is not None and nxt >= now + HOUR
            if nxt > now + HOUR:  # the cap moved it: one second earlier breaks it
                e = nxt - 1
                crowded = sum(1 for t in attempts if e - w < t <= e) >= calls
                assert crowded or any(e < c + w for c in conversations)
        assert state.next_attempt_at is not None
        now = state.next_attempt_at + late


@given(st.lists(st.floats(0, 2 * DAY), min_size=1, max_size=25), st.integers(1, 5))
@settings(max_examples=100, deadline=None)
def test_the_lead_book_never_hands_out_a_lead_early(gaps: list[float], calls: int) -> None:
    """The book's own check: a lead scheduled before the cap existed (a reload adds it) is not
    handed out before the cap allows it."""
    book = LeadBook(
        RetryPolicy(no_answer=RetryRule(60.0, 1000), max_attempts=1000, max_attempts_per_day=None)
    )
    book.add(Lead("l1", "+12125550123"), at=T0)
    from dialer.hours import CallingWindow

    always = CallingWindow("00:00", "24:00")
    now, handed = T0, []
    for i, gap in enumerate(gaps):
        if i == len(gaps) // 2:
            book.policy = RetryPolicy(
                no_answer=RetryRule(60.0, 1000),
                max_attempts=1000,
                max_attempts_per_day=None,
                frequency_cap=FrequencyCap(calls, 1),
            )
        lead = book.next_dialable(now, always, ())
        if lead is not None:
            if book.policy.frequency_cap is not None:
                assert sum(1 for t in handed if now - DAY < t <= now) <= calls - 1
            handed.append(now)
            book.record("l1", Outcome.NO_ANSWER, now)
        now += 60.0 + gap


# --- the config ----------------------------------------------------------------------------
CONFIG = """queues: [{name: q}]
agents: [{id: a}]
campaigns:
  - name: c
    mode: progressive
    leads: leads.csv
"""


def test_the_campaign_option_builds_the_cap_and_bad_values_name_their_line() -> None:
    cfg = config_from_text(CONFIG + "    frequency_cap: {calls: 7, days: 7}\n", "center.yaml")
    assert retry_policy(cfg.campaigns[0]).frequency_cap == FrequencyCap(7, 7)
    assert retry_policy(config_from_text(CONFIG, "c.yaml").campaigns[0]).frequency_cap is None
    text = CONFIG + "    frequency_cap:\n      calls: 0\n      days: 7\n"
    with pytest.raises(ConfigError) as exc:
        config_from_text(text, "center.yaml")
    assert exc.value.field == "campaigns[0].frequency_cap.calls"
    assert exc.value.line == 8
