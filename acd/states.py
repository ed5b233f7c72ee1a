"""Agent and call states, and the one table of legal agent moves.

The table is the single source of truth: the engine applies it, the README's state diagram
is drawn from it (``python -m acd.states`` prints Mermaid).
"""

from __future__ import annotations

from enum import Enum


class AgentState(Enum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    RINGING = "ringing"  # reserved: an offer is ringing the agent's device
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"
    RESERVED = "reserved"  # held for an agent-targeted call: previewing a lead, or a callback
    DIALING = "dialing"  # on the line while the agent-targeted call rings the called party


class AgentMove(Enum):
    LOGIN = "login"
    LOGIN_PAUSED = "login_paused"
    OFFER = "offer"
    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    NO_ANSWER_PAUSE = "no_answer_pause"  # missed max_no_answer offers in a row
    OFFER_CANCELLED = "offer_cancelled"  # caller left, or another agent won a ring-all
    CALL_END = "call_end"
    CALL_END_NO_WRAP = "call_end_no_wrap"
    WRAP_DONE = "wrap_done"
    READY = "ready"
    PAUSE = "pause"
    LOGOUT = "logout"
    RESERVE = "reserve"  # the dialer holds a ready agent for a lead (preview, callback)
    RELEASE = "release"  # the lead was skipped or withdrawn
    DIAL = "dial"  # the agent-targeted call is placed; the agent waits on the line
    DIAL_ENDED = "dial_ended"  # no answer, busy, machine or failure: the agent is free again


S, M = AgentState, AgentMove

AGENT_TRANSITIONS: dict[tuple[AgentState, AgentMove], AgentState] = {
    (S.LOGGED_OUT, M.LOGIN): S.READY,
    (S.LOGGED_OUT, M.LOGIN_PAUSED): S.PAUSED,
    (S.READY, M.OFFER): S.RINGING,
    (S.READY, M.PAUSE): S.PAUSED,
    (S.READY, M.READY): S.READY,
    (S.READY, M.LOGOUT): S.LOGGED_OUT,
    (S.RINGING, M.ANSWER): S.ON_CALL,
    (S.RINGING, M.NO_ANSWER): S.READY,
    (S.RINGING, M.NO_ANSWER_PAUSE): S.PAUSED,
    (S.RINGING, M.OFFER_CANCELLED): S.READY,
    (S.ON_CALL, M.CALL_END): S.WRAP_UP,
    (S.ON_CALL, M.CALL_END_NO_WRAP): S.READY,
    (S.WRAP_UP, M.WRAP_DONE): S.READY,
    (S.WRAP_UP, M.PAUSE): S.PAUSED,
    (S.WRAP_UP, M.LOGOUT): S.LOGGED_OUT,
    (S.PAUSED, M.READY): S.READY,
    (S.PAUSED, M.PAUSE): S.PAUSED,
    (S.PAUSED, M.LOGOUT): S.LOGGED_OUT,
    (S.READY, M.RESERVE): S.RESERVED,
    (S.RESERVED, M.RELEASE): S.READY,
    (S.RESERVED, M.DIAL): S.DIALING,
    (S.RESERVED, M.PAUSE): S.PAUSED,
    (S.RESERVED, M.LOGOUT): S.LOGGED_OUT,
    (S.DIALING, M.ANSWER): S.ON_CALL,
    (S.DIALING, M.DIAL_ENDED): S.READY,
}


# The same table keyed by the members' string values: str hashes are cached, Enum hashes are
# computed in Python, and this lookup runs on every agent move.
FAST_TRANSITIONS: dict[tuple[str, str], AgentState] = {
    (src.value, move.value): dst for (src, move), dst in AGENT_TRANSITIONS.items()
}


class CallState(Enum):
    WAITING = "waiting"
    RINGING = "ringing"  # offered to one agent, or to several under ring-all
    CONNECTED = "connected"
    WRAP = "wrap"  # the call is over; only kept while its record is written
    ENDED = "ended"


class Outcome(Enum):
    """The one terminal outcome of a call's stay in a queue."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    OVERFLOWED = "overflowed"
    REJECTED_FULL = "rejected_full"
    REJECTED_EMPTY = "rejected_empty"
    LEFT_EMPTY = "left_empty"
    TRANSFERRED = "transferred"  # moved to another queue by a transfer
    HUNG_UP_BY_SYSTEM = "hung_up_by_system"  # ended by a supervisor or the API while waiting


def mermaid() -> str:
    """The agent state diagram, generated from the transition table."""
    lines = ["stateDiagram-v2", "    [*] --> logged_out"]
    for (src, move), dst in AGENT_TRANSITIONS.items():
        lines.append(f"    {src.value} --> {dst.value}: {move.value}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
