"""A campaign's figures over a report interval (or a day): every attempt counts in the interval
in which it was **dialed**, whatever interval its answer, talk or disposition falls in.

The dialer fills the rows (``dialer.campaign``); they live here, beside the queue and agent
figures, so that reports (:mod:`acd.reporting.report`) compute a campaign's KPIs from summed
counts with the same code as the live figures.

Distinct leads and accounts do not add up: a lead dialed at 09:05 and again at 11:40 is one
lead in each of two rows but one lead of the day. So a row keeps both: ``leads`` (distinct
leads dialed in the interval) and ``day_leads`` (those of them dialed for the first time that
business day); the day's distinct leads are the sum of its rows' ``day_leads``
(:meth:`CampaignStats.day_total`). Likewise ``accounts`` and ``day_accounts`` (a lead's
account, or its number when it has none).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COUNTS = (
    "dials",
    "human",
    "machine",
    "no_answer",
    "busy",
    "failed",
    "connected",
    "abandoned",
    "contacts",
    "success",
    "first_call_close",
    "day_leads",
    "day_accounts",
    "dnc_blocked",  # dials the do-not-call list stopped at the moment of dialing
)
DISTINCT = ("leads", "accounts")  # per row; unknown (None) for a sum of rows within a day
SECONDS = ("talk_seconds", "handle_seconds", "agent_seconds")


class CampaignStats:
    """Counts of a campaign's attempts. ``agent_seconds`` is the logged-in time of the agents
    who can take the campaign (its queue's agents), filled in when the interval closes."""

    __slots__ = ("key", *COUNTS, *DISTINCT, *SECONDS)

    def __init__(self) -> None:
        self.key: tuple[str, float, str] | None = None  # an interval row's (kind, start, name)
        for k in COUNTS:
            setattr(self, k, 0)
        self.leads: int | None = 0
        self.accounts: int | None = 0
        for k in SECONDS:
            setattr(self, k, 0.0)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CampaignStats:
        st = cls()
        st.load_dict(data)
        return st

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (*COUNTS, *DISTINCT, *SECONDS)}

    def load_dict(self, data: dict[str, Any]) -> None:
        for k in COUNTS:
            setattr(self, k, int(data.get(k) or 0))
        for k in DISTINCT:
            v = data.get(k, 0)
            setattr(self, k, None if v is None else int(v))
        for k in SECONDS:
            setattr(self, k, float(data.get(k) or 0.0))

    def absorb(self, other: CampaignStats) -> None:
        """Add another row's counts; distinct leads and accounts of the sum are unknown (see
        :meth:`day_total` for a whole day's)."""
        for k in (*COUNTS, *SECONDS):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.leads = self.accounts = None

    @classmethod
    def day_total(cls, rows: Iterable[CampaignStats]) -> CampaignStats:
        """The rows of one business day summed: distinct leads and accounts are those first
        dialed that day, summed over the rows."""
        total = cls()
        for r in rows:
            total.absorb(r)
        total.leads, total.accounts = total.day_leads, total.day_accounts
        return total

    @classmethod
    def total(cls, rows: list[CampaignStats], *, whole_day: bool = False) -> CampaignStats:
        """Rows summed: one row as it is; the rows of a whole business day by
        :meth:`day_total`; other sums with distinct leads and accounts unknown."""
        if whole_day:
            return cls.day_total(rows)
        total = cls()
        if len(rows) == 1:
            total.load_dict(rows[0].to_dict())
            return total
        for r in rows:
            total.absorb(r)
        return total

    def kpis(self) -> dict[str, Any]:
        hours = self.agent_seconds / 3600.0
        return {
            **self.to_dict(),
            "hit_rate": _ratio(self.human, self.dials),  # live answers per dial
            "abandonment_rate": _ratio(self.abandoned, self.human),
            "connects_per_agent_hour": _ratio(self.connected, hours),
            "conversion_rate": _ratio(self.success, self.contacts),
            "first_call_close_rate": _ratio(self.first_call_close, self.success),
            "talk_avg_seconds": _ratio(self.talk_seconds, self.contacts),
            "contacts_per_lead": _ratio(self.contacts, self.leads),
            "contacts_per_account": _ratio(self.contacts, self.accounts),
        }


def _ratio(num: float, den: float | None) -> float | None:
    return num / den if den else None
