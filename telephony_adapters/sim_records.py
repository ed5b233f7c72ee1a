"""What the simulated trunk records of what it carried out: supervisors' monitors and the
announcements its callers heard."""

from __future__ import annotations

from dataclasses import dataclass

from acd.commands import Announce


@dataclass(slots=True)
class MonitorRecord:
    """A supervisor's monitor of an agent's call, as the trunk carried it out (times: the
    ``now`` of the commands, or of the call's end)."""

    monitor_id: str
    agent_id: str
    call_id: str
    mode: str
    device: str  # who: the supervisor's device
    started: float
    ended: float | None = None
    reason: str = ""


@dataclass(slots=True)
class Said:
    """What a simulated caller heard: an announcement from ``start`` to ``end``, or to ``cut``
    when an offer to an agent cut it (the caller is bridged at once)."""

    call_id: str
    start: float
    end: float
    command: Announce
    cut: float | None = None


def saying_seconds(cmd: Announce) -> float:
    """How long the prompts take: a second of lead-in, about two per figure, four per message."""
    return (
        1.0
        + 2.0 * (cmd.position is not None)
        + 2.5 * (cmd.minutes is not None)
        + (4.0 if cmd.message else 0.0)
    )
