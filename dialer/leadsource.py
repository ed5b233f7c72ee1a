"""Where a campaign's numbers come from: a lead list, or synthetic leads for simulations."""

from __future__ import annotations

from typing import Protocol


class LeadSource(Protocol):
    def next_lead(self, now: float) -> tuple[str, str] | None:
        """The next lead that may be dialed now, as (lead_id, E.164 number), or None."""

    def record(self, lead_id: str, outcome: str, now: float) -> None:
        """The outcome of an attempt: human, machine, no_answer, busy, failed, abandoned."""


class SyntheticLeads:
    """An endless supply of distinct numbers (simulations and benchmarks)."""

    def __init__(self, prefix: str = "+1555") -> None:
        self.prefix = prefix
        self.n = 0
        self.outcomes: dict[str, int] = {}

    def next_lead(self, now: float) -> tuple[str, str] | None:
        self.n += 1
        return f"L{self.n}", f"{self.prefix}{self.n:07d}"

    def record(self, lead_id: str, outcome: str, now: float) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
