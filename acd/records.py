"""What the engine emits about finished calls: the call record and the call detail record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from acd.states import Outcome


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What is known of a call when it ends: the basis of call detail records."""

    call_id: str
    caller: str
    direction: str
    queue: str
    arrived: float
    first_offer: float | None
    answered: float | None
    ended: float
    agent_id: str | None
    outcome: Outcome
    legs: tuple[tuple[str, Outcome], ...] = field(default=())
    transfers: int = 0
    hold_seconds: float = 0.0  # on hold since the last answer

    @property
    def wait_seconds(self) -> float:
        end = self.answered if self.answered is not None else self.ended
        return end - self.arrived

    @property
    def talk_seconds(self) -> float:
        """Since the last answer, hold excluded."""
        return 0.0 if self.answered is None else self.ended - self.answered - self.hold_seconds


@dataclass(frozen=True, slots=True)
class CallDetail:
    """A call detail record (CDR): one per call, emitted when the call is really finished.

    For a call an agent handled that is when the agent leaves its wrap-up (so ``wrap_seconds``
    and ``disposition`` are known), otherwise when the call ends. Times are the core's clock
    (Unix seconds in the daemon). For a call that entered a queue, ``wait_seconds + talk_seconds
    + hold_seconds`` is its whole duration (``ended - arrived``): waiting covers every stay in a
    queue, an agent's phone ringing included;
    talk excludes hold (AHT = talk + hold + wrap). A transferred call keeps one record; its
    ``agent_id`` is the last agent who answered and ``wrap_seconds`` that agent's wrap-up.

    Outbound calls (``direction`` "outbound") also carry ``campaign``, ``lead_id``, ``dialed``
    (when the dialer placed the call; ``arrived`` is then when the called party answered) and
    ``abandoned_2s``: a live answer no agent took within the connect window (FTC 2-second rule).
    An attempt that never reached a person (no_answer, busy, failed, machine) has that outcome,
    no queue, ``arrived`` = ``dialed`` and zero durations (it rang for ``ended - dialed``).
    """

    call_id: str
    direction: str
    queue: str | None
    caller: str
    arrived: float
    offered: float | None  # first offer to an agent
    answered: float | None  # first answer by an agent
    ended: float
    agent_id: str | None
    outcome: str
    wait_seconds: float
    talk_seconds: float = 0.0
    hold_seconds: float = 0.0
    wrap_seconds: float = 0.0
    disposition: str | None = None
    transfers: int = 0
    legs: tuple[tuple[str, str], ...] = ()
    campaign: str | None = None
    lead_id: str | None = None
    dialed: float | None = None
    abandoned_2s: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (legs as lists), for a :class:`acd.store.batch.Batch`."""
        out = {name: getattr(self, name) for name in CDR_FIELDS}
        out["legs"] = [list(leg) for leg in self.legs]
        return out


CDR_FIELDS = tuple(CallDetail.__dataclass_fields__)
