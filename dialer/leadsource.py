"""Where a campaign's numbers come from: a lead list, or synthetic leads for simulations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from acd.config.schema import Campaign
    from dialer.dnc import DoNotCallList
    from dialer.retries import RetryPolicy


class LeadSource(Protocol):
    def next_lead(self, now: float) -> tuple[str, str] | None:
        """The next lead that may be dialed now, as (lead_id, E.164 number), or None."""

    def record(self, lead_id: str, outcome: Any, now: float) -> None:
        """The outcome of an attempt: human, machine, no_answer, busy, failed, abandoned,
        do_not_call, or an agent's Disposition (a callback one with ``callback_at`` and
        ``callback_agent`` keywords)."""


# A lead book (BookLeads) also offers, and the Center uses when present: ``release(lead_id,
# now)`` (a preview not dialed goes back), ``callback_agents(now)``, ``next_for_agent(agent_id,
# now)`` and ``to_anyone(agent_id, due_by)`` (callbacks for a given agent), ``callback_time``,
# ``account_of(lead_id)`` (the lead's account for the figures; without it, the number) and
# ``last_attempt(lead_id)`` (a restarted daemon's rows count a lead once a day all the same).


class SyntheticLeads:
    """An endless supply of distinct numbers (simulations and benchmarks)."""

    def __init__(self, prefix: str = "+1555") -> None:
        self.prefix = prefix
        self.n = 0
        self.outcomes: dict[str, int] = {}

    def next_lead(self, now: float) -> tuple[str, str] | None:
        self.n += 1
        return f"L{self.n}", f"{self.prefix}{self.n:07d}"

    def record(self, lead_id: str, outcome: Any, now: float, **callback: Any) -> None:
        key = str(getattr(outcome, "kind", outcome))
        self.outcomes[key] = self.outcomes.get(key, 0) + 1

    def release(self, lead_id: str, at: float | None = None) -> None:
        """A synthetic number not dialed is simply dropped."""


class BookLeads:
    """A campaign's lead book as a lead source: calling hours and the DNC list are checked at
    the moment of picking; outcomes schedule retries by the campaign's rules."""

    def __init__(self, book: Any, window: Any, dnc: Any, epoch: float = 0.0) -> None:
        self.book = book
        self.window = window
        self.dnc = dnc
        self.epoch = epoch  # Unix time of engine time 0 (simulations start at 0)

    def next_lead(self, now: float) -> tuple[str, str] | None:
        lead = self.book.next_dialable(now + self.epoch, self.window, self.dnc)
        return None if lead is None else (lead.lead_id, lead.phone)

    @property
    def dnc_blocked(self) -> int:
        """Leads the do-not-call list stopped when they came up (since the book was made)."""
        n: int = self.book.dnc_blocked
        return n

    def last_attempt(self, lead_id: str) -> float | None:
        """When the book last recorded an attempt of the lead (engine time), if ever."""
        at: float | None = self.book.state(lead_id).last_attempt_at
        return None if at is None else at - self.epoch

    def account_of(self, lead_id: str) -> str:
        """The account the lead's figures count by (its number if the file gave none)."""
        key: str = self.book.lead(lead_id).account_key
        return key

    def release(self, lead_id: str, at: float | None = None) -> None:
        """Not dialed after all: due again at ``at`` (engine time), or in its old place."""
        self.book.release(lead_id, None if at is None else at + self.epoch)

    def callback_agents(self, now: float) -> list[str]:
        agents: list[str] = self.book.callback_agents(now + self.epoch)
        return agents

    def next_for_agent(self, agent_id: str, now: float) -> tuple[str, str] | None:
        lead = self.book.next_for_agent(agent_id, now + self.epoch, self.window, self.dnc)
        return None if lead is None else (lead.lead_id, lead.phone)

    def to_anyone(self, agent_id: str, due_by: float) -> int:
        n: int = self.book.to_anyone(agent_id, due_by + self.epoch)
        return n

    def callback_time(self, lead_id: str, at: datetime) -> datetime:
        """``at`` as an aware datetime (a naive one is wall time in the lead's zone); raises
        the book's errors (unknown lead, a number spanning several zones)."""
        if at.tzinfo is not None:
            return at
        ts = self.book.timestamp(lead_id, at)
        return datetime.fromtimestamp(ts, tz=UTC)

    def record(self, lead_id: str, outcome: Any, now: float, **callback: Any) -> None:
        now += self.epoch
        from dialer.retries import Disposition, DispositionKind

        if isinstance(outcome, Disposition):
            self.book.record(lead_id, outcome, now, dnc=self.dnc, **callback)
        elif outcome == "human":
            # Connected to an agent; with no disposition from the agent it counts as a contact.
            self.book.record(lead_id, Disposition("connected", DispositionKind.CONTACT), now)
        elif outcome == "do_not_call":
            self.book.record(
                lead_id, Disposition("do_not_call", DispositionKind.DO_NOT_CALL), now, dnc=self.dnc
            )
        else:
            self.book.record(lead_id, outcome, now)


def retry_policy(c: Campaign) -> RetryPolicy:
    """The campaign's retry rules (``retries:``; omitted rules keep their defaults)."""
    from dialer.retries import FrequencyCap, RetryPolicy, RetryRule

    r = c.retries
    rules = {
        name: RetryRule(rule.delay_seconds, rule.max_attempts)
        for name in ("no_answer", "busy", "machine", "abandoned", "failed", "not_contacted")
        if (rule := getattr(r, name)) is not None
    }
    return RetryPolicy(
        **rules,
        max_attempts=r.max_attempts,
        max_attempts_per_day=r.max_attempts_per_day,
        uk_72h_rule=c.uk_72h_rule,
        frequency_cap=None
        if (f := c.frequency_cap) is None
        else FrequencyCap(f.calls, f.days, f.per),
    )


def calling_window(c: Campaign) -> Any:
    from dialer.hours import CallingWindow

    w = c.calling_window
    return CallingWindow(w.start, w.end, days=w.days, holidays=frozenset(w.holidays))


def book_leads(c: Campaign, dnc: DoNotCallList, epoch: float, leads: Any = ()) -> BookLeads:
    """A lead book for the campaign (its retry rules and calling window) as a lead source."""
    from dialer.leadbook import LeadBook

    book = LeadBook(retry_policy(c))
    book.extend(leads, at=epoch)
    return BookLeads(book, calling_window(c), dnc, epoch)


def configure(source: Any, c: Campaign) -> None:
    """Apply a changed campaign's retry rules and calling window to its lead book (live)."""
    if isinstance(source, BookLeads):
        source.book.policy = retry_policy(c)
        source.window = calling_window(c)
