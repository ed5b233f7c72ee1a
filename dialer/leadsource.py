"""Where a campaign's numbers come from: a lead list, or synthetic leads for simulations."""

from __future__ import annotations

from typing import Any, Protocol


class LeadSource(Protocol):
    def next_lead(self, now: float) -> tuple[str, str] | None:
        """The next lead that may be dialed now, as (lead_id, E.164 number), or None."""

    def record(self, lead_id: str, outcome: Any, now: float) -> None:
        """The outcome of an attempt: human, machine, no_answer, busy, failed, abandoned,
        do_not_call, or an agent's Disposition."""


class SyntheticLeads:
    """An endless supply of distinct numbers (simulations and benchmarks)."""

    def __init__(self, prefix: str = "+1555") -> None:
        self.prefix = prefix
        self.n = 0
        self.outcomes: dict[str, int] = {}

    def next_lead(self, now: float) -> tuple[str, str] | None:
        self.n += 1
        return f"L{self.n}", f"{self.prefix}{self.n:07d}"

    def record(self, lead_id: str, outcome: Any, now: float) -> None:
        key = str(getattr(outcome, "kind", outcome))
        self.outcomes[key] = self.outcomes.get(key, 0) + 1


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

    def record(self, lead_id: str, outcome: Any, now: float) -> None:
        now += self.epoch
        from dialer.retries import Disposition, DispositionKind

        if isinstance(outcome, Disposition):
            self.book.record(lead_id, outcome, now, dnc=self.dnc)
        elif outcome == "human":
            # Connected to an agent; with no disposition from the agent it counts as a contact.
            self.book.record(lead_id, Disposition("connected", DispositionKind.CONTACT), now)
        elif outcome == "do_not_call":
            self.book.record(
                lead_id, Disposition("do_not_call", DispositionKind.DO_NOT_CALL), now, dnc=self.dnc
            )
        else:
            self.book.record(lead_id, outcome, now)
