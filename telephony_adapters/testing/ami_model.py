"""The emulated Asterisk's data: channels, queue members, originate plans, recorded actions.

Plain dataclasses and the field sets they put on the wire (as the Asterisk 20.20.1 capture in
``tests/data/ami/`` shows them); no I/O. The server and the action handlers build on these.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from telephony_adapters.ami.messages import Action

Pairs = list[tuple[str, str]]
CALL, SYSTEM, AGENT = "call,all", "system,all", "agent,all"
USER, DIALPLAN = "user,all", "dialplan,all"
STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}
CAUSE_TEXT = {0: "Unknown", 16: "Normal Clearing", 17: "User busy", 19: "User alerting, no answer"}
LIST_COMMANDS = "Use Action: ListCommands to show available commands."
_CLASSES = frozenset(
    {"system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf"}
    | {"reporting", "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security"}
    | {"message"}
)


class OriginateOutcome(enum.Enum):
    HUMAN = "human"  # answered; AMDSTATUS=HUMAN
    MACHINE = "machine"  # answered; AMDSTATUS=MACHINE
    NO_ANSWER = "no_answer"  # rings, then OriginateResponse Failure, Reason 3
    BUSY = "busy"  # OriginateResponse Failure, Reason 5, Hangup cause 17
    FAIL = "fail"  # no channel at all: OriginateResponse Failure, Reason 0


@dataclass(frozen=True, slots=True)
class OriginatePlan:
    outcome: OriginateOutcome = OriginateOutcome.HUMAN
    ring_seconds: float = 0.0
    talk_seconds: float | None = None  # the far end hangs up after this; None: stays up
    amd: bool = True  # answered calls get VarSet AMDSTATUS / AMDCAUSE (class dialplan)


OriginateRule = Callable[[Action], "OriginateOutcome | OriginatePlan"]


@dataclass(slots=True)
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    priority: int = 1
    state: int = 0
    caller_num: str = "<unknown>"
    caller_name: str = "<unknown>"
    connected_num: str = "<unknown>"
    connected_name: str = "<unknown>"
    application: str = ""
    app_data: str = ""
    bridge_id: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    created: float = 0.0

    def snapshot(self, manager_vars: Sequence[str] = (), prefix: str = "") -> Pairs:
        p = prefix
        pairs = [
            (f"{p}Channel", self.name),
            (f"{p}ChannelState", str(self.state)),
            (f"{p}ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (f"{p}CallerIDNum", self.caller_num),
            (f"{p}CallerIDName", self.caller_name),
            (f"{p}ConnectedLineNum", self.connected_num),
            (f"{p}ConnectedLineName", self.connected_name),
            (f"{p}Language", "en"),
            (f"{p}AccountCode", ""),
            (f"{p}Context", self.context),
            (f"{p}Exten", self.exten),
            (f"{p}Priority", str(self.priority)),
            (f"{p}Uniqueid", self.uniqueid),
            (f"{p}Linkedid", self.linkedid),
        ]
        pairs += [(f"{p}ChanVariable", f"{v}={self.variables.get(v, '')}") for v in manager_vars]
        return pairs


@dataclass(slots=True)
class QueueMember:
    interface: str
    name: str
    penalty: int = 0
    paused: bool = False
    reason: str = ""
    status: int = 1
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    in_call: int = 0

    def event_fields(self, queue: str) -> Pairs:
        """QueueMemberAdded / Pause / Status / Removed, as in the capture."""
        return [
            ("Queue", queue),
            ("MemberName", self.name),
            ("Interface", self.interface),
            ("StateInterface", self.interface),
            ("Membership", "dynamic"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", str(self.in_call)),
            ("Status", str(self.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.reason),
            ("Ringinuse", "0"),
            ("Wrapuptime", "0"),
        ]

    def status_fields(self, queue: str) -> Pairs:
        """The QueueMember item of a QueueStatus list, as in the capture."""
        return [
            ("Queue", queue),
            ("Name", self.name),
            ("Location", self.interface),
            ("StateInterface", self.interface),
            ("Membership", "dynamic"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", str(self.in_call)),
            ("Status", str(self.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.reason),
            ("Wrapuptime", "0"),
        ]


@dataclass(slots=True)
class Queue:
    name: str
    strategy: str = "ringall"
    members: dict[str, QueueMember] = field(default_factory=dict)
    callers: list[Channel] = field(default_factory=list)
    completed: int = 0


@dataclass(frozen=True, slots=True)
class ReceivedAction:
    session: int
    action: Action
    at: float


def parse_mask(value: str | None) -> frozenset[str] | None:
    """An ``Events:`` value as the classes it takes; None for every class ("on")."""
    if value is None or value.strip().lower() in ("on", "all", "yes", "true", ""):
        return None
    if value.strip().lower() in ("off", "no", "false", "none"):
        return frozenset()
    return frozenset(c.strip().lower() for c in value.split(",")) & _CLASSES


def parse_callerid(value: str) -> tuple[str, str]:
    """``"Name" <number>`` -> (name, number)."""
    if "<" in value and value.endswith(">"):
        name, _, num = value[:-1].rpartition("<")
        return name.strip().strip('"'), num
    return "", value


VERSION_LINE = "Asterisk 20.20.1 built by acd-dialer emulator on a x86_64 running Linux"
