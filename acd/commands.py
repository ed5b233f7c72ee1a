"""Commands: what the engine asks the telephony side to do. Adapters carry them out."""

from __future__ import annotations

from dataclasses import dataclass, field

from acd.errors import InvalidEvent


@dataclass(frozen=True, slots=True)
class OfferCall:
    """Ring the agent's device; on answer bridge it to the caller and report AgentAnswered."""

    call_id: str
    agent_id: str
    ring_timeout: float
    # The agent's line answers at once (a dialer's agents sit on an open line or auto-answer).
    auto_answer: bool = False
    # The call's queue, for adapters that care (the simulated agents' wrap-up codes).
    queue: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.ring_timeout <= 0:
            raise InvalidEvent(f"ring_timeout must be positive, got {self.ring_timeout!r}")


@dataclass(frozen=True, slots=True)
class CancelOffer:
    """Stop ringing the agent (no answer in time, the caller left, or another agent won)."""

    call_id: str
    agent_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class HangUp:
    """End the caller's leg (timed out, queue full, no agents)."""

    call_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class PlayMessage:
    """Play a recorded or synthesised message to the called party (e.g. the safe-harbor one)."""

    call_id: str
    message: str


@dataclass(frozen=True, slots=True)
class Announce:
    """Say something to a waiting caller between the hold music, then back to the music; the
    caller keeps its place (the queue is the engine's). Any of: its ``position`` (1 = next),
    the estimated wait in ``minutes`` (rounded as people say it), a periodic ``message``.
    Never sent while the call rings an agent; an offer that comes while it plays cuts it."""

    call_id: str
    language: str = "en"
    position: int | None = None
    minutes: int | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if self.position is None and self.minutes is None and not self.message:
            raise InvalidEvent("an announcement must say something")
        if self.position is not None and self.position < 1:
            raise InvalidEvent(f"position must be 1 or more, got {self.position!r}")
        if self.minutes is not None and self.minutes < 1:
            raise InvalidEvent(f"minutes must be 1 or more, got {self.minutes!r}")


@dataclass(frozen=True, slots=True)
class MoveToQueue:
    """The caller stays on hold; tells the PBX side the call now belongs to another queue."""

    call_id: str
    queue: str


@dataclass(frozen=True, slots=True)
class Originate:
    """Place an outbound call; the adapter reports OutboundAnswered or OutboundFailed."""

    call_id: str
    number: str
    caller_id: str = ""
    ring_timeout: float = 25.0
    # Agent-targeted (preview, callback): this agent is on the line while the number rings and
    # is bridged to a live answer at once; empty: the answer is routed by the engine.
    agent_id: str = ""
    # Answering-machine detection on this call (the campaign's ``amd``); off: every answer is
    # a person, routed at once (no AMD dead air; machines reach agents).
    amd: bool = True
    # The campaign's queue of an agent-targeted call (the simulated agents' wrap-up codes).
    queue: str = field(default="", compare=False)
    # A caller's callback (virtual hold): the party asked for it (the simulated trunk's odds).
    callback: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if not self.call_id or not self.number:
            raise InvalidEvent("an originate needs a call id and a number")
        if self.ring_timeout < 15:
            raise InvalidEvent("ring at least 15 s before treating a call as no answer")


@dataclass(frozen=True, slots=True)
class ShowPreview:
    """Show the agent a lead to dial (preview mode, callbacks); the agent answers with
    PreviewDial or PreviewSkip. ``auto_dial_after`` > 0: the dialer dials by itself then."""

    agent_id: str
    campaign: str
    lead_id: str
    number: str
    auto_dial_after: float = 0.0


MONITOR_MODES = ("listen", "whisper", "barge")


@dataclass(frozen=True, slots=True)
class Monitor:
    """A supervisor listens to (``listen``), coaches (``whisper``: only the agent hears) or joins
    (``barge``) an agent's call from ``device``. Issued at the daemon's edge for a supervisor's
    request, not by the engine; it ends with :class:`StopMonitor` or with the agent's call."""

    monitor_id: str
    agent_id: str
    call_id: str
    mode: str
    device: str

    def __post_init__(self) -> None:
        if not (self.monitor_id and self.agent_id and self.call_id and self.device):
            raise InvalidEvent("a monitor needs an id, an agent, a call and a device")
        if self.mode not in MONITOR_MODES:
            raise InvalidEvent(f"mode must be one of {MONITOR_MODES}, got {self.mode!r}")


@dataclass(frozen=True, slots=True)
class StopMonitor:
    monitor_id: str
    reason: str = "stopped"


Command = (
    OfferCall
    | CancelOffer
    | HangUp
    | MoveToQueue
    | Originate
    | PlayMessage
    | ShowPreview
    | Monitor
    | StopMonitor
    | Announce
)
