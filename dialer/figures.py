"""A campaign's figures over a report interval (or a day): every attempt counts in the interval
in which it was dialed, whatever interval its answer, talk or disposition falls in."""

from __future__ import annotations

from typing import Any

_COUNTS = (
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
)
_SECONDS = ("talk_seconds", "handle_seconds", "agent_seconds")


class CampaignStats:
    """Counts of a campaign's attempts; ``agent_seconds`` is the logged-in time of the agents
    who can take the campaign, filled in when the interval closes."""

    __slots__ = ("key", *_COUNTS, *_SECONDS)

    def __init__(self) -> None:
        self.key: tuple[str, float, str] | None = None
        for k in _COUNTS:
            setattr(self, k, 0)
        for k in _SECONDS:
            setattr(self, k, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (*_COUNTS, *_SECONDS)}

    def load_dict(self, data: dict[str, Any]) -> None:
        for k in _COUNTS:
            setattr(self, k, int(data.get(k, 0)))
        for k in _SECONDS:
            setattr(self, k, float(data.get(k, 0.0)))

    def absorb(self, other: CampaignStats) -> None:
        for k in (*_COUNTS, *_SECONDS):
            setattr(self, k, getattr(self, k) + getattr(other, k))

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
        }


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None
