"""The records the flows keep and what they read off channels: the channel variables, the legs
(one per channel of ours), offers and calls, the ``Effects`` handed back to the adapter, and the
parsing of what Asterisk reports (skills, Originate failures).

Data and pure functions only: the state that holds them lives in :mod:`.base`.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass, field

from acd import events as ev
from telephony_adapters.ami.messages import Action

# One logger for every module of the flows: the name operators filter on predates the split.
log = logging.getLogger("telephony_adapters.asterisk")

# Channel variables the flows read (list them in manager.conf ``channelvars``).
V_CALL_ID = "ACD_CALL_ID"
V_ROLE = "ACD_ROLE"  # agent | outbound (callers need none)
V_AGENT = "ACD_AGENT"
V_OFFER = "ACD_OFFER_ID"  # the ActionID of the Originate that rang this agent leg
V_QUEUE = "ACD_QUEUE"
V_PRIORITY = "ACD_PRIORITY"
V_SKILLS = "ACD_SKILLS"
V_AMD = "AMDSTATUS"
# Variables the flows set on channels.
V_PEER = "ACD_PEER"  # on an agent leg: the caller's channel, for Bridge()
V_MESSAGE = "ACD_MESSAGE"
V_AFTER_PLAY = "ACD_AFTER_PLAY"  # hold | hangup
# Announcements (acd-announce): what to say; empty values are skipped.
V_SAY_POSITION = "ACD_SAY_POSITION"
V_SAY_MINUTES = "ACD_SAY_MINUTES"
V_LANGUAGE = "ACD_LANGUAGE"
CHANNEL_VARS = (V_CALL_ID, V_ROLE, V_AGENT, V_OFFER, V_QUEUE, V_PRIORITY, V_SKILLS, V_AMD)
_TRACKED = frozenset(CHANNEL_VARS)
_TAGS = (V_CALL_ID, V_ROLE, V_QUEUE)  # any of these set: the channel is ours

UP, RINGING = 6, 5
_SKILL_SPLIT = re.compile(r"[\s,;|]+")


class Phase(enum.Enum):
    DIALING = "dialing"  # outbound: Originate sent, not answered yet
    AMD = "amd"  # outbound: answered, waiting for AMD's verdict
    WAITING = "waiting"  # the caller is on hold (perhaps being offered to agents)
    CONNECTED = "connected"  # bridged to an agent


@dataclass(slots=True)
class Leg:
    """One channel we track: tagged with our variables, or adopted from an OriginateResponse."""

    uniqueid: str
    channel: str
    role: str = ""  # caller | agent | outbound; "" while its variables are still arriving
    call_id: str = ""
    agent_id: str = ""
    state: int = 0
    bridge: str = ""
    vars: dict[str, str] = field(default_factory=dict)
    touched: int = 0


@dataclass(slots=True)
class Offer:
    agent_id: str
    action_id: str
    leg: str | None = None
    answered: bool = False
    cause: int = 0
    touched: int = 0
    targeted: bool = False  # the agent of an agent-targeted call: already connected in the engine


@dataclass(slots=True)
class Call:
    call_id: str
    direction: str  # inbound | outbound
    phase: Phase
    queue: str = ""
    caller: str | None = None  # Uniqueid of the caller's (or called party's) leg
    offers: dict[str, Offer] = field(default_factory=dict)
    agent: str | None = None  # the connected agent
    number: str = ""  # the caller's number (inbound) or the number dialled (outbound)
    action_id: str = ""  # outbound: our Originate
    cause: int = 0  # outbound: the hang-up cause of a leg that failed before the answer
    playing: bool = False
    touched: int = 0
    target: str = ""  # outbound: the agent an agent-targeted call (preview, callback) is for
    amd: bool = True  # outbound: the campaign wants answering-machine detection


@dataclass(slots=True)
class Effects:
    """What the adapter must do, in order: submit ``events``, then send ``actions``."""

    events: list[ev.Event] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    def add(self, other: Effects) -> Effects:
        self.events += other.events
        self.actions += other.actions
        return self

    def __bool__(self) -> bool:
        return bool(self.events or self.actions)


def ours(variables: dict[str, str]) -> dict[str, str]:
    """The tracked variables among ``NAME=value`` pairs (inheritance underscores stripped)."""
    out = {}
    for name, value in variables.items():
        bare = name.lstrip("_")
        if bare in _TRACKED:
            out[bare] = value
    return out


def parse_skills(text: str) -> dict[str, int]:
    """``"billing:5 lang_fr:7"`` (spaces, commas, ``;`` or ``|`` between) -> levels 1-10."""
    skills: dict[str, int] = {}
    for token in _SKILL_SPLIT.split(text.strip()):
        if not token:
            continue
        name, _, level = token.partition(":")
        try:
            value = int(level or "1")
        except ValueError:
            value = 0
        if not name or not 1 <= value <= 10:
            log.warning("ACD_SKILLS: ignoring %r (want name:level, level 1-10)", token)
            continue
        skills[name] = value
    return skills


def failure_reason(reason: int, cause: int = 0) -> str:
    """An OriginateResponse failure as an engine outcome: no_answer, busy or failed.

    ``Reason`` is the last control frame Asterisk saw: 3 ringing (the time-out ran out), 1 hung
    up, 5 busy, 8 congestion; 0 means none came (the channel could not be created, or ended
    without a control frame: the capture shows a busy callee reported so, with Hangup cause 17
    just before), so the leg's hang-up cause decides, and without a leg it is a failure.
    """
    if reason == 5:
        return "busy"
    if reason in (1, 3):
        return "no_answer"
    if reason == 0 and cause:
        if cause == 17:
            return "busy"
        if cause in (16, 18, 19, 21):
            return "no_answer"
    return "failed"


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default
