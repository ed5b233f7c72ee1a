"""When to try a lead again: retry rules per call outcome, daily caps, callbacks, Ofcom's 72 hours.

Each attempt ends in a dialer :class:`Outcome` (no answer, busy, answering machine, abandoned,
failed) or, when an agent spoke to the lead, an agent's :class:`Disposition`. :func:`after_attempt`
turns a :class:`LeadState` and that result into the next state: a time for the next attempt, or
done with a :class:`DoneReason`. States are immutable; every function returns a new one.

Rules, in the order they apply to an automatic retry:

1. the outcome's :class:`RetryRule`: ``max_attempts`` attempts may end in this outcome (the one
   that reaches it closes the lead); otherwise retry ``delay_seconds`` later;
2. ``RetryPolicy.max_attempts`` attempts in total close the lead;
3. ``uk_72h_rule`` (Ofcom): no automatic redial within 72 h of an abandoned call; only an attempt
   with an agent reserved for it (a callback with an agent) may come sooner;
4. ``max_attempts_per_day``: at most this many attempts on one calendar day in the lead's local
   time, in every candidate zone of the lead (the next attempt moves to the next local midnight);
5. ``frequency_cap`` (US debt collection, Regulation F): at most ``calls`` attempts in any
   ``days`` x 24 h, and none within ``days`` x 24 h after a conversation (an agent's disposition
   of kind success, contact, callback or do_not_call). Every attempt counts, callbacks included
   (stricter than the rule, which leaves out calls the person consented to). Here the cap counts
   the lead's own attempts; with ``per="account"`` the lead book also counts those of every lead
   of the account when it picks a lead (:mod:`dialer.accounts`).

A callback (a :class:`Disposition` of kind ``callback``, or :func:`schedule_callback`) is asked for
by the called party, so it is exempt from rules 1, 2, 4 and 5; it still obeys rule 3 unless an
agent is named, and the dialer still checks the calling window and the do-not-call list when it is
due. The rules that move the next attempt later (3, 4, 5) are applied until none moves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from acd.errors import IllegalTransition, InvalidEvent, LocalError
from dialer.hours import local_date, next_local_midnight

UK_NO_REDIAL_SECONDS = 72 * 3600.0
RULES = ("no_answer", "busy", "machine", "abandoned", "failed", "not_contacted")


class Outcome(StrEnum):
    """How the dialer saw an attempt end when no agent disposition applies."""

    NO_ANSWER = "no_answer"
    BUSY = "busy"
    MACHINE = "machine"  # answering machine detected
    ABANDONED = "abandoned"  # answered, but no agent was free in time
    FAILED = "failed"  # network failure, congestion, invalid route


class DispositionKind(StrEnum):
    SUCCESS = "success"  # the goal was reached: done
    CONTACT = "contact"  # the right person was reached, no success (not interested): done
    NOT_CONTACTED = "not_contacted"  # an agent was connected but reached nobody useful: retry
    FINAL = "final"  # never call again (wrong number, fax, deceased): done
    CALLBACK = "callback"  # the called party asked to be called at a given time
    DO_NOT_CALL = "do_not_call"  # asked not to be called: done, and the number goes on the DNC


class DoneReason(StrEnum):
    SUCCESS = "success"
    CONTACT = "contact"
    FINAL = "final"
    DO_NOT_CALL = "do_not_call"
    MAX_ATTEMPTS = "max_attempts"
    MAX_NO_ANSWER = "max_no_answer"
    MAX_BUSY = "max_busy"
    MAX_MACHINE = "max_machine"
    MAX_ABANDONED = "max_abandoned"
    MAX_FAILED = "max_failed"
    MAX_NOT_CONTACTED = "max_not_contacted"
    UNKNOWN_TIME_ZONE = "unknown_time_zone"
    CLOSED = "closed"  # closed by hand (a supervisor, the API)


class InvalidRetryPolicy(LocalError):
    code = "invalid_retry_policy"


# Dispositions that mean the agent spoke with the person (Regulation F: a conversation).
CONVERSATION = frozenset(
    {
        DispositionKind.SUCCESS,
        DispositionKind.CONTACT,
        DispositionKind.CALLBACK,
        DispositionKind.DO_NOT_CALL,
    }
)


CAP_PER = ("account", "lead")


@dataclass(frozen=True, slots=True)
class FrequencyCap:
    """At most ``calls`` attempts in any ``days`` x 24 h, none that long after a conversation;
    ``per`` says whose attempts count: every lead of the lead's account (Regulation F counts
    calls to a person about a debt, whichever number) or the lead's own."""

    calls: int = 7
    days: float = 7
    per: str = "account"

    def __post_init__(self) -> None:
        if not isinstance(self.calls, int) or self.calls < 1:
            raise InvalidRetryPolicy(f"frequency_cap.calls must be >= 1, got {self.calls!r}")
        if not isinstance(self.days, int | float) or not self.days > 0:
            raise InvalidRetryPolicy(f"frequency_cap.days must be > 0, got {self.days!r}")
        if self.per not in CAP_PER:
            raise InvalidRetryPolicy(f"frequency_cap.per must be account or lead, got {self.per!r}")

    @property
    def seconds(self) -> float:
        return float(self.days) * 86400.0

    def earliest(self, times: tuple[float, ...], conversation_at: float | None) -> float:
        """The first time an attempt may be made after ``times`` (the attempts so far) and the
        last conversation: the window ``(t - seconds, t]`` then holds at most ``calls``."""
        t = float("-inf")
        if conversation_at is not None:
            t = conversation_at + self.seconds
        if len(times) >= self.calls:
            t = max(t, sorted(times)[-self.calls] + self.seconds)
        return t


@dataclass(frozen=True, slots=True)
class Disposition:
    """An agent's wrap-up code: a campaign-defined ``name`` and what it means for the lead."""

    name: str
    kind: DispositionKind

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidEvent(f"disposition name must be a non-empty string, got {self.name!r}")
        try:
            object.__setattr__(self, "kind", DispositionKind(self.kind))
        except ValueError:
            kinds = ", ".join(k.value for k in DispositionKind)
            raise InvalidEvent(
                f"disposition kind must be one of {kinds}, got {self.kind!r}"
            ) from None


@dataclass(frozen=True, slots=True)
class RetryRule:
    delay_seconds: float
    max_attempts: int

    def __post_init__(self) -> None:
        if not isinstance(self.delay_seconds, int | float) or not self.delay_seconds >= 0:
            raise InvalidRetryPolicy(f"delay_seconds must be >= 0, got {self.delay_seconds!r}")
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise InvalidRetryPolicy(f"max_attempts must be an int >= 1, got {self.max_attempts!r}")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry rules per outcome and the caps that apply to every lead. Defaults are documented in
    docs/compliance.md: unanswered calls spread over the day, busy retried soon, machines a few
    hours later, an abandoned call a day later (72 h under the UK rule) and closed after the
    second."""

    no_answer: RetryRule = RetryRule(2 * 3600, 4)
    busy: RetryRule = RetryRule(10 * 60, 5)
    machine: RetryRule = RetryRule(4 * 3600, 3)
    abandoned: RetryRule = RetryRule(24 * 3600, 2)
    failed: RetryRule = RetryRule(30 * 60, 3)
    not_contacted: RetryRule = RetryRule(3600, 3)
    max_attempts: int = 10
    max_attempts_per_day: int | None = 3
    uk_72h_rule: bool = False
    frequency_cap: FrequencyCap | None = None

    def __post_init__(self) -> None:
        for name in RULES:
            if not isinstance(getattr(self, name), RetryRule):
                raise InvalidRetryPolicy(f"{name} must be a RetryRule")
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise InvalidRetryPolicy(f"max_attempts must be >= 1, got {self.max_attempts!r}")
        cap = self.max_attempts_per_day
        if cap is not None and (not isinstance(cap, int) or cap < 1):
            raise InvalidRetryPolicy(f"max_attempts_per_day must be >= 1 or None, got {cap!r}")
        if self.frequency_cap is not None and not isinstance(self.frequency_cap, FrequencyCap):
            raise InvalidRetryPolicy("frequency_cap must be a FrequencyCap or None")

    def rule(self, outcome: Outcome | str) -> RetryRule:
        """The rule for an :class:`Outcome` or ``"not_contacted"``."""
        if str(outcome) not in RULES:
            raise InvalidRetryPolicy(f"no retry rule for {outcome!r}")
        rule: RetryRule = getattr(self, str(outcome))
        return rule


@dataclass(frozen=True, slots=True)
class LeadState:
    """Where a lead stands. ``next_attempt_at`` is None once the lead is done.

    ``outcome_counts`` holds (outcome, attempts that ended in it) pairs; ``attempt_times`` every
    attempt's Unix time (bounded by ``max_attempts`` plus callbacks) and ``attempt_outcomes``
    how each ended (the outcome or disposition; "interrupted" for one cut by a stop; a state
    saved before outcomes were kept has fewer, for its latest attempts); ``abandoned_at`` the last
    abandoned call (for the 72 h rule); ``callback``/``callback_agent`` mark a pending callback.
    """

    attempts: int = 0
    attempt_times: tuple[float, ...] = ()
    attempt_outcomes: tuple[str, ...] = ()
    outcome_counts: tuple[tuple[str, int], ...] = ()
    last_outcome: str | None = None
    last_attempt_at: float | None = None
    next_attempt_at: float | None = 0.0
    done: bool = False
    done_reason: DoneReason | None = None
    abandoned_at: float | None = None
    callback: bool = False
    callback_agent: str | None = None
    conversation_at: float | None = None

    def count(self, outcome: Outcome | str) -> int:
        return dict(self.outcome_counts).get(str(outcome), 0)

    def attempts_by_day(self, zone: str) -> dict[date, int]:
        """Attempts per calendar day in ``zone``."""
        out: dict[date, int] = {}
        for t in self.attempt_times:
            d = local_date(zone, t)
            out[d] = out.get(d, 0) + 1
        return out


NEW_LEAD = LeadState()


def after_attempt(
    state: LeadState,
    outcome: Outcome | Disposition,
    now: float,
    zones: Iterable[str],
    policy: RetryPolicy,
    *,
    callback_at: float | None = None,
    callback_agent: str | None = None,
    lead_id: str = "",
) -> LeadState:
    """The state after an attempt at ``now`` ended in ``outcome``.

    ``zones`` are the lead's candidate zones (for the per-day cap; none means UTC days). A
    ``callback`` disposition needs ``callback_at`` (Unix time; see
    :func:`dialer.hours.wall_to_timestamp` for local wall times) and may name ``callback_agent``.
    Raises :class:`~acd.errors.IllegalTransition` for a lead that is already done.
    """
    if state.done:
        raise IllegalTransition("lead", lead_id, f"done ({state.done_reason})", str(outcome))
    is_callback = isinstance(outcome, Disposition) and outcome.kind is DispositionKind.CALLBACK
    if not is_callback and (callback_at is not None or callback_agent is not None):
        raise InvalidEvent(f"callback_at/callback_agent given for {outcome!r}")
    base = replace(
        state,
        attempts=state.attempts + 1,
        attempt_times=(*state.attempt_times, now),
        last_attempt_at=now,
        callback=False,
        callback_agent=None,
    )
    if isinstance(outcome, Disposition):
        base = replace(
            base,
            last_outcome=outcome.name,
            attempt_outcomes=(*state.attempt_outcomes, outcome.name),
        )
        kind = outcome.kind
        if kind in CONVERSATION:
            base = replace(base, conversation_at=now)
        if kind is DispositionKind.CALLBACK:
            if callback_at is None:
                raise InvalidEvent(
                    f"disposition {outcome.name!r} schedules a callback: need a time"
                )
            return schedule_callback(base, callback_at, callback_agent, policy, lead_id=lead_id)
        if kind is not DispositionKind.NOT_CONTACTED:
            return _finish(base, DoneReason(kind.value))
        key = "not_contacted"
    else:
        key = Outcome(outcome).value
        base = replace(base, last_outcome=key, attempt_outcomes=(*state.attempt_outcomes, key))
        if key == Outcome.ABANDONED:
            base = replace(base, abandoned_at=now)
    counts = dict(base.outcome_counts)
    counts[key] = counts.get(key, 0) + 1
    base = replace(base, outcome_counts=tuple(sorted(counts.items())))
    rule = policy.rule(key)
    if counts[key] >= rule.max_attempts:
        return _finish(base, DoneReason(f"max_{key}"))
    if base.attempts >= policy.max_attempts:
        return _finish(base, DoneReason.MAX_ATTEMPTS)
    return replace(base, next_attempt_at=_next_time(now + rule.delay_seconds, base, zones, policy))


def schedule_callback(
    state: LeadState,
    at: float,
    agent_id: str | None,
    policy: RetryPolicy,
    *,
    lead_id: str = "",
) -> LeadState:
    """Schedule the lead's next attempt at ``at`` (Unix time), for ``agent_id`` if given.

    Under the UK rule a callback without a reserved agent moves to 72 h after the last abandoned
    call. Raises :class:`~acd.errors.IllegalTransition` for a lead that is already done.
    """
    if state.done:
        raise IllegalTransition("lead", lead_id, f"done ({state.done_reason})", "callback")
    if agent_id is not None and (not isinstance(agent_id, str) or not agent_id):
        raise InvalidEvent(f"callback agent must be a non-empty string or None, got {agent_id!r}")
    if agent_id is None:
        at = _after_72h(at, state, policy)
    return replace(state, next_attempt_at=float(at), callback=True, callback_agent=agent_id)


def interrupted_attempt(
    state: LeadState, at: float, zones: Iterable[str], policy: RetryPolicy
) -> LeadState:
    """The state to keep for an attempt begun at ``at`` whose result may be lost (the dialer
    stopped while the lead was being dialled): it counts as an attempt and the lead is tried again
    after the no-answer delay (and the 72 h and per-day rules), so a restart does not redial it at
    once; it never closes the lead, and a pending callback stays a callback."""
    base = replace(
        state,
        attempts=state.attempts + 1,
        attempt_times=(*state.attempt_times, at),
        attempt_outcomes=(*state.attempt_outcomes, "interrupted"),
        last_attempt_at=at,
    )
    t = at + policy.no_answer.delay_seconds
    t = _after_72h(t, base, policy) if base.callback else _next_time(t, base, zones, policy)
    return replace(base, next_attempt_at=t)


def state_to_dict(state: LeadState) -> dict[str, Any]:
    """A lead state as JSON-able data (tuples as lists, the done reason as its string)."""
    return {
        "attempts": state.attempts,
        "attempt_times": list(state.attempt_times),
        "attempt_outcomes": list(state.attempt_outcomes),
        "outcome_counts": [list(pair) for pair in state.outcome_counts],
        "last_outcome": state.last_outcome,
        "last_attempt_at": state.last_attempt_at,
        "next_attempt_at": state.next_attempt_at,
        "done": state.done,
        "done_reason": None if state.done_reason is None else state.done_reason.value,
        "abandoned_at": state.abandoned_at,
        "callback": state.callback,
        "callback_agent": state.callback_agent,
        "conversation_at": state.conversation_at,
    }


def state_from_dict(data: Mapping[str, Any]) -> LeadState:
    """A lead state saved by :func:`state_to_dict` (other keys, like "dialing", are ignored)."""
    nxt = data.get("next_attempt_at")
    reason = data.get("done_reason")
    get = data.get
    return LeadState(
        attempts=int(get("attempts", 0)),
        attempt_times=tuple(map(float, get("attempt_times") or ())),
        attempt_outcomes=tuple(map(str, get("attempt_outcomes") or ())),
        outcome_counts=tuple([(str(k), int(n)) for k, n in get("outcome_counts") or ()]),
        last_outcome=get("last_outcome"),
        last_attempt_at=get("last_attempt_at"),
        next_attempt_at=None if nxt is None else float(nxt),
        done=bool(get("done", False)),
        done_reason=None if reason is None else DoneReason(reason),
        abandoned_at=get("abandoned_at"),
        callback=bool(get("callback", False)),
        callback_agent=get("callback_agent"),
        conversation_at=None if get("conversation_at") is None else float(get("conversation_at")),
    )


def attempt_history(state: LeadState) -> list[dict[str, Any]]:
    """Each attempt, oldest first: its time and how it ended (None where a state saved before
    outcomes were kept does not say)."""
    times, outcomes = state.attempt_times, state.attempt_outcomes
    known: list[str | None] = [None] * (len(times) - len(outcomes)) + list(outcomes)
    return [{"at": t, "outcome": o} for t, o in zip(times, known, strict=True)]


def redial_allowed(
    state: LeadState, at: float, policy: RetryPolicy, *, agent_reserved: bool = False
) -> bool:
    """True if the lead may be dialled at ``at``: not done, and under the UK rule not within 72 h
    of an abandoned call unless an agent is reserved for the attempt."""
    if state.done:
        return False
    if agent_reserved or not policy.uk_72h_rule or state.abandoned_at is None:
        return True
    return at >= state.abandoned_at + UK_NO_REDIAL_SECONDS


def blocked_until(state: LeadState, at: float, policy: RetryPolicy) -> float | None:
    """None if the lead may be dialled at ``at``; else the first time the 72 h rule (unless an
    agent is reserved) and the frequency cap (unless a callback is due) allow it."""
    t = at
    if not redial_allowed(state, at, policy, agent_reserved=state.callback_agent is not None):
        assert state.abandoned_at is not None
        t = state.abandoned_at + UK_NO_REDIAL_SECONDS
    cap = policy.frequency_cap
    if cap is not None and not state.callback:
        t = max(t, cap.earliest(state.attempt_times, state.conversation_at))
    return t if t > at else None


def _next_time(t: float, state: LeadState, zones: Iterable[str], policy: RetryPolicy) -> float:
    """The first time >= t that the 72 h rule, the daily cap and the frequency cap allow."""
    names = tuple(zones)
    cap = policy.frequency_cap
    floor = cap.earliest(state.attempt_times, state.conversation_at) if cap else t
    for _ in range(16):
        before = t
        t = max(_after_72h(t, state, policy), floor)
        t = _after_day_cap(t, state.attempt_times, names, policy.max_attempts_per_day)
        if t == before:
            break
    return t


def _finish(state: LeadState, reason: DoneReason) -> LeadState:
    return replace(state, done=True, done_reason=reason, next_attempt_at=None)


def _after_72h(t: float, state: LeadState, policy: RetryPolicy) -> float:
    if policy.uk_72h_rule and state.abandoned_at is not None:
        return max(t, state.abandoned_at + UK_NO_REDIAL_SECONDS)
    return t


def _after_day_cap(
    t: float, times: tuple[float, ...], zones: tuple[str, ...], cap: int | None
) -> float:
    """The first time >= t on a local day (in every zone) with fewer than ``cap`` attempts."""
    if cap is None:
        return t
    names = zones or ("UTC",)
    for _ in range(4 * len(names) + 8):
        moved = False
        for zone in names:
            day = local_date(zone, t)
            if sum(1 for x in times if local_date(zone, x) == day) >= cap:
                t = next_local_midnight(zone, t)
                moved = True
        if not moved:
            break
    return t
