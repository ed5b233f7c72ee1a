"""The one record of a call, the call detail record, and the two places it is built: from a
call the engine held (inbound, outbound answered, agent-targeted) and for a dial that never
reached a person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from acd.states import Outcome

if TYPE_CHECKING:
    from acd.entities import CallRt


class Leg(NamedTuple):
    """One stay of a call in a queue: when it entered and left (answered, abandoned, moved...),
    and for an answered stay the agent and that agent's talk and hold."""

    queue: str
    outcome: str
    entered: float
    left: float
    agent_id: str | None = None
    talk_seconds: float = 0.0
    hold_seconds: float = 0.0


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
    legs: tuple[Leg, ...] = ()
    campaign: str | None = None
    lead_id: str | None = None
    dialed: float | None = None
    abandoned_2s: bool = False
    amd_verdict_at: float | None = None  # outbound: when the AMD verdict came (after arrived)
    connected_to_agent_at: float | None = None  # outbound: when an agent took the live answer
    # A dropped live answer: when the PBX said the safe-harbor message had played to its end.
    safe_harbor_played_at: float | None = None
    hung_up_by: str | None = None  # a call that ended connected: "caller", "agent" or "system"
    # A caller's callback (virtual hold): the caller's own call id (``call_id`` is then the
    # connected attempt's), when it was asked for and how many attempts were dialed.
    callback_of: str | None = None
    callback_requested_at: float | None = None
    callback_attempts: int = 0
    # What the IVR learnt (ACD_LANGUAGE, ACD_ACCOUNT, ACD_ATTR_*), as on the agent's screen.
    attributes: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (legs as objects), for a :class:`acd.store.batch.Batch`."""
        out = {name: getattr(self, name) for name in CDR_FIELDS}
        out["legs"] = [leg._asdict() for leg in self.legs]
        return out


CDR_FIELDS = tuple(CallDetail.__dataclass_fields__)
# The outcome of a call a crash cut: in progress when the daemon died, gone from the PBX (or never
# taken over) when it came back.
INTERRUPTED = "interrupted"


def record_from_dict(d: dict[str, Any]) -> CallDetail:
    """A record as :meth:`CallDetail.as_dict` gave it (unknown keys are ignored)."""
    values = {k: d[k] for k in CDR_FIELDS if k in d}
    values["legs"] = tuple(Leg(**leg) for leg in d.get("legs") or ())
    return CallDetail(**values)


def call_record(c: CallRt, outcome: Outcome, now: float, disposition: str | None) -> CallDetail:
    """The record of a call that was in the engine, as it ends (wrap-up is added later)."""
    cb = c.callback
    return CallDetail(
        call_id=c.id,
        direction=c.direction,
        queue=c.queue.name,
        caller=c.caller,
        arrived=c.arrived,
        offered=c.first_offer,
        answered=c.first_answer,
        ended=now,
        agent_id=c.handled_by,
        outcome=outcome.value,
        wait_seconds=max(0.0, now - c.arrived - c.talk_seconds - c.hold_seconds),
        talk_seconds=c.talk_seconds,
        hold_seconds=c.hold_seconds,
        disposition=disposition,
        transfers=c.transfers,
        legs=tuple(c.legs),
        hung_up_by=c.hung_up_by if outcome is Outcome.ANSWERED else None,
        callback_of=cb.origin if cb is not None else None,
        callback_requested_at=cb.requested if cb is not None else None,
        callback_attempts=cb.attempts if cb is not None else 0,
        attributes=dict(c.attributes) if c.attributes else None,
    )


def dial_record(
    call_id: str,
    number: str,
    dialed: float,
    ended: float,
    outcome: str,
    *,
    campaign: str,
    lead_id: str,
) -> CallDetail:
    """The record of a dial that never reached a person (no answer, busy, failed, machine):
    no queue, ``arrived`` = ``dialed``, zero durations."""
    return CallDetail(
        call_id=call_id,
        direction="outbound",
        queue=None,
        caller=number,
        arrived=dialed,
        offered=None,
        answered=None,
        ended=ended,
        agent_id=None,
        outcome=outcome,
        wait_seconds=0.0,
        campaign=campaign,
        lead_id=lead_id,
        dialed=dialed,
    )
