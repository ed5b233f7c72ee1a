"""Events: everything the engine learns, from the PBX, the API or a supervisor.

Small frozen dataclasses validated when built (h11's model); the engine has one entry point,
``Engine.handle(event, now)``, for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from acd.errors import InvalidEvent

MAX_ATTRIBUTES, MAX_ATTRIBUTE_CHARS = 32, 256


def _check_attributes(attrs: Mapping[str, str]) -> None:
    if len(attrs) > MAX_ATTRIBUTES:
        raise InvalidEvent(f"at most {MAX_ATTRIBUTES} call attributes, got {len(attrs)}")
    for k, v in attrs.items():
        if not isinstance(k, str) or not isinstance(v, str) or not k or len(k) > 64:
            raise InvalidEvent(f"call attribute {k!r}: a name of 1-64 characters and a text")
        if len(v) > MAX_ATTRIBUTE_CHARS:
            raise InvalidEvent(f"call attribute {k!r}: at most {MAX_ATTRIBUTE_CHARS} characters")


def _need_id(kind: str, value: str) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"{kind} must be a non-empty string, got {value!r}")


def _skill_levels(value: Mapping[str, int], what: str) -> Mapping[str, int]:
    for skill, level in value.items():
        if not isinstance(skill, str) or not skill:
            raise InvalidEvent(f"{what}: skill names must be non-empty strings")
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 10:
            raise InvalidEvent(f"{what}: level of {skill!r} must be an integer 1-10, got {level!r}")
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True)
class CallArrived:
    """A caller entered a queue (already answered by the PBX, hearing music on hold)."""

    call_id: str
    queue: str
    priority: int = 0
    caller: str = ""
    # Extra skills this call needs on top of the queue's (e.g. a language chosen in an IVR).
    skills: Mapping[str, int] = field(default_factory=dict)
    direction: Literal["inbound", "outbound"] = "inbound"
    # Wait at most this long for an agent, if sooner than the queue's max_wait_seconds (a live
    # answer whose 2-second window already began at the answer, before the AMD verdict).
    max_wait: float | None = None
    # What the IVR learnt (the dialplan's ACD_* variables): shown to the agent who answers.
    attributes: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)
        _need_id("queue", self.queue)
        if self.attributes:
            _check_attributes(self.attributes)
        if self.direction not in ("inbound", "outbound"):
            raise InvalidEvent(f"direction must be inbound or outbound, got {self.direction!r}")
        if not isinstance(self.priority, int) or isinstance(self.priority, bool):
            raise InvalidEvent(f"priority must be an integer, got {self.priority!r}")
        object.__setattr__(self, "skills", _skill_levels(self.skills, "call skills"))


@dataclass(frozen=True, slots=True)
class CallHungUp:
    """A call's leg hung up: the caller while waiting or talking, or the agent while talking."""

    call_id: str
    party: Literal["caller", "agent"] = "caller"

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)
        if self.party not in ("caller", "agent"):
            raise InvalidEvent(f"party must be 'caller' or 'agent', got {self.party!r}")


@dataclass(frozen=True, slots=True)
class AgentAnswered:
    """The agent's device answered an offer; the PBX bridged it to the caller."""

    call_id: str
    agent_id: str

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)
        _need_id("agent_id", self.agent_id)


@dataclass(frozen=True, slots=True)
class OfferFailed:
    """The agent's device could not be rung (busy, unreachable, rejected)."""

    call_id: str
    agent_id: str
    reason: str = "rejected"

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)
        _need_id("agent_id", self.agent_id)


@dataclass(frozen=True, slots=True)
class AgentLogin:
    agent_id: str
    ready: bool = True

    def __post_init__(self) -> None:
        _need_id("agent_id", self.agent_id)


@dataclass(frozen=True, slots=True)
class AgentLogout:
    agent_id: str

    def __post_init__(self) -> None:
        _need_id("agent_id", self.agent_id)


@dataclass(frozen=True, slots=True)
class AgentReady:
    """The agent asks to take calls (from pause, or to end wrap-up early)."""

    agent_id: str

    def __post_init__(self) -> None:
        _need_id("agent_id", self.agent_id)


@dataclass(frozen=True, slots=True)
class EndWrapUp:
    """The agent finished after-call work; ignored if its wrap-up already ended by time-out."""

    agent_id: str

    def __post_init__(self) -> None:
        _need_id("agent_id", self.agent_id)


@dataclass(frozen=True, slots=True)
class SetDisposition:
    """The agent's wrap-up code for its current or last call (while on it or in wrap-up).

    A campaign's ``callback`` code needs ``callback_at``: an aware datetime, or a naive one read
    as wall time in the lead's zone; ``callback_agent`` names the agent who takes it (None:
    anyone)."""

    agent_id: str
    disposition: str
    callback_at: datetime | None = None
    callback_agent: str | None = None

    def __post_init__(self) -> None:
        _need_id("agent_id", self.agent_id)
        _need_id("disposition", self.disposition)
        if self.callback_at is not None and not isinstance(self.callback_at, datetime):
            raise InvalidEvent(f"callback_at must be a datetime, got {self.callback_at!r}")
        if self.callback_agent is not None:
            _need_id("callback_agent", self.callback_agent)
            if self.callback_at is None:
                raise InvalidEvent("callback_agent needs callback_at")


@dataclass(frozen=True, slots=True)
class PreviewDial:
    """The agent dials the lead it previews (preview mode, or a callback offered to it).

    With ``lead_id``, a dial of a lead no longer offered to the agent (auto-dialled, withdrawn)
    is ignored; without, the agent must have a preview."""

    agent_id: str
    lead_id: str = ""

    def __post_init__(self) -> None:
        _need_id("agent_id", self.agent_id)


@dataclass(frozen=True, slots=True)
class PreviewSkip:
    """The agent passes on the lead it previews; the campaign's ``preview_skip`` rule applies."""

    agent_id: str

    def __post_init__(self) -> None:
        _need_id("agent_id", self.agent_id)


@dataclass(frozen=True, slots=True)
class AgentPause:
    agent_id: str
    reason: str = "break"

    def __post_init__(self) -> None:
        _need_id("agent_id", self.agent_id)
        _need_id("reason", self.reason)


@dataclass(frozen=True, slots=True)
class SetAgentSkills:
    """A supervisor changes an agent's skills live; takes effect for the next routing."""

    agent_id: str
    skills: Mapping[str, int]

    def __post_init__(self) -> None:
        _need_id("agent_id", self.agent_id)
        object.__setattr__(self, "skills", _skill_levels(self.skills, "agent skills"))


@dataclass(frozen=True, slots=True)
class OutboundPickedUp:
    """The called party answered (the PBX reports the answer); an answering-machine verdict
    may follow with :class:`OutboundAnswered`. The FTC 2-second rule counts from here."""

    call_id: str

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)


@dataclass(frozen=True, slots=True)
class OutboundAnswered:
    """An originated call was answered: by a person, or by an answering machine."""

    call_id: str
    machine: bool = False

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)


OUTBOUND_FAILURES = ("no_answer", "busy", "failed")


@dataclass(frozen=True, slots=True)
class OutboundFailed:
    call_id: str
    reason: str

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)
        if self.reason not in OUTBOUND_FAILURES:
            raise InvalidEvent(f"reason must be one of {OUTBOUND_FAILURES}, got {self.reason!r}")


@dataclass(frozen=True, slots=True)
class TrunkState:
    """The link to the PBX went down or came back (the AMI connection). While it is down no
    call can be placed: a dialer must not dial, nor spend a lead's attempt on a sure failure."""

    up: bool


@dataclass(frozen=True, slots=True)
class MessagePlayed:
    """The PBX finished a message it played to a call (``PlayMessage``): to its end, or, with
    ``complete`` False, cut because the called party hung up first. A dialer's safe-harbor
    message counts as played only on this word from the PBX."""

    call_id: str
    complete: bool = True

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)


@dataclass(frozen=True, slots=True)
class HangUpCall:
    """A supervisor (or the API) ends a call, whatever its state."""

    call_id: str
    reason: str = "supervisor"

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)


@dataclass(frozen=True, slots=True)
class TransferCall:
    """Move a call to another queue: from waiting, or from an agent (who goes to wrap-up)."""

    call_id: str
    queue: str

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)
        _need_id("queue", self.queue)


@dataclass(frozen=True, slots=True)
class HoldCall:
    """The agent put its connected caller on hold (from the phone or the API)."""

    call_id: str

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)


@dataclass(frozen=True, slots=True)
class ResumeCall:
    """The agent took its caller off hold."""

    call_id: str

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)


@dataclass(frozen=True, slots=True)
class CallScored:
    """The caller's satisfaction score for a finished call: the post-call survey's digit, or an
    external survey tool's (``1 <= score <= scale``)."""

    call_id: str
    score: int
    scale: int = 5

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)
        if not (2 <= self.scale <= 10 and 1 <= self.score <= self.scale):
            raise InvalidEvent(f"a score is 1 to its scale (2-10), got {self.score}/{self.scale}")


@dataclass(frozen=True, slots=True)
class QualityScored:
    """A supervisor's quality score (0-100) of an agent's handling of a finished call."""

    call_id: str
    score: float
    form: str = ""

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)
        if not 0 <= self.score <= 100:
            raise InvalidEvent(f"a quality score is 0 to 100, got {self.score}")


@dataclass(frozen=True, slots=True)
class CallbackRequested:
    """A waiting caller asks to be called back at ``number`` (empty: the number it called
    from) and keeps its place: the dialplan's digit (``hang_up`` False: the dialplan confirms
    and ends the caller's leg itself), or the API (``hang_up``: the engine ends the leg)."""

    call_id: str
    number: str = ""
    hang_up: bool = False

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)
        _check_number(self.number)


@dataclass(frozen=True, slots=True)
class ScheduleCallback:
    """The agent on an inbound call (or in its wrap-up) books a callback for ``at`` (engine
    time) into the call's queue: a virtual call joins the queue then, as a requested one."""

    call_id: str
    at: float
    number: str = ""

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)
        _check_number(self.number)
        if self.at != self.at or self.at in (float("inf"), float("-inf")):
            raise InvalidEvent(f"at must be a finite time, got {self.at!r}")


@dataclass(frozen=True, slots=True)
class CancelCallback:
    """A supervisor cancels a pending callback (not while it is being dialed)."""

    call_id: str
    reason: str = "cancelled"

    def __post_init__(self) -> None:
        _need_id("call_id", self.call_id)


def _check_number(number: str) -> None:
    if not isinstance(number, str) or len(number) > 32:
        raise InvalidEvent(f"number must be a text of at most 32 characters, got {number!r}")
    if number and not number.lstrip("+").isdigit():
        raise InvalidEvent(f"number must be digits with an optional leading +, got {number!r}")


Event = (
    CallArrived
    | CallHungUp
    | AgentAnswered
    | OfferFailed
    | AgentLogin
    | AgentLogout
    | AgentReady
    | EndWrapUp
    | SetDisposition
    | AgentPause
    | SetAgentSkills
    | OutboundPickedUp
    | OutboundAnswered
    | OutboundFailed
    | TrunkState
    | HangUpCall
    | MessagePlayed
    | TransferCall
    | PreviewDial
    | PreviewSkip
    | HoldCall
    | ResumeCall
    | CallScored
    | QualityScored
    | CallbackRequested
    | ScheduleCallback
    | CancelCallback
)
