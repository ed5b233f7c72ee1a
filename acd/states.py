"""Agent and call states, and the tables of their legal moves.

Three tables are the single source of truth: ``AGENT_TRANSITIONS`` and ``CALL_TRANSITIONS``
(state x move -> new state) and ``PENDING_MOVES`` (which agent moves are held while the
agent is busy, and what cancels them). The engine applies them and the docs' diagrams
are drawn from them (``python -m acd.states`` prints the Mermaid block of
``docs/agents-and-supervisors.md``).
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


# What people read for each agent state (the wallboard, the console), in the order shown.
AGENT_STATE_LABELS: dict[AgentState, str] = {
    AgentState.READY: "Ready",
    AgentState.RINGING: "Ringing",
    AgentState.ON_CALL: "On call",
    AgentState.WRAP_UP: "Wrap-up",
    AgentState.RESERVED: "Reserved",
    AgentState.DIALING: "Dialing",
    AgentState.PAUSED: "Paused",
    AgentState.LOGGED_OUT: "Logged out",
}


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
    ENDED = "ended"


class CallMove(Enum):
    ENTER = "enter"  # joins a queue: on arrival, overflow or transfer
    OFFER = "offer"  # rings one agent, or several under ring-all
    ANSWER = "answer"
    ALL_MISSED = "all_missed"  # every ringing agent missed it: back to waiting
    CONNECT = "connect"  # an agent-targeted call answered straight to its dialing agent
    END = "end"  # leaves the system: hung up, abandoned, rejected, timed out


CS, CM = CallState, CallMove

CALL_TRANSITIONS: dict[tuple[CallState, CallMove], CallState] = {
    (CS.WAITING, CM.ENTER): CS.WAITING,
    (CS.RINGING, CM.ENTER): CS.WAITING,  # overflowed or transferred while ringing
    (CS.CONNECTED, CM.ENTER): CS.WAITING,  # transferred by its agent
    (CS.WAITING, CM.OFFER): CS.RINGING,
    (CS.RINGING, CM.ANSWER): CS.CONNECTED,
    (CS.RINGING, CM.ALL_MISSED): CS.WAITING,
    (CS.WAITING, CM.CONNECT): CS.CONNECTED,
    (CS.WAITING, CM.END): CS.ENDED,
    (CS.RINGING, CM.END): CS.ENDED,
    (CS.CONNECTED, CM.END): CS.ENDED,
}

# Str-keyed, as FAST_TRANSITIONS: a call moves several times in its life.
FAST_CALL_TRANSITIONS: dict[tuple[str, str], CallState] = {
    (src.value, move.value): dst for (src, move), dst in CALL_TRANSITIONS.items()
}


class PendingAction(Enum):
    """What a requested agent move does while the agent is busy with a call."""

    DEFER = "defer"  # held in ``AgentRt.pending``; a later request replaces it
    CANCEL = "cancel"  # drops the held move (refused if nothing is held)


# Pause or log out while ringing, dialing or on a call: held, and applied (as the move from
# ready) when the agent is next idle: after the call's wrap-up, a missed offer, or a dial that
# ended unanswered. Asking for ready meanwhile cancels it. In any other state these moves go
# through AGENT_TRANSITIONS at once (a wrap-up is then ended early).
PENDING_MOVES: dict[tuple[AgentState, AgentMove], PendingAction] = {
    (busy, move): action
    for busy in (S.RINGING, S.ON_CALL, S.DIALING)
    for move, action in (
        (M.PAUSE, PendingAction.DEFER),
        (M.LOGOUT, PendingAction.DEFER),
        (M.READY, PendingAction.CANCEL),
    )
}


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
    # A callback closed without reaching the caller: every attempt failed, a supervisor
    # cancelled it, or a restart found it being dialed (never dialed twice).
    CALLBACK_FAILED = "callback_failed"
    CALLBACK_CANCELLED = "callback_cancelled"
    CALLBACK_INTERRUPTED = "callback_interrupted"


def mermaid() -> str:
    """The agent state diagram, generated from the transition and pending-move tables."""
    lines = ["stateDiagram-v2", "    [*] --> logged_out"]
    for (src, move), dst in AGENT_TRANSITIONS.items():
        lines.append(f"    {src.value} --> {dst.value}: {move.value}")
    by_state: dict[AgentState, list[str]] = {}
    for (state, move), action in PENDING_MOVES.items():
        by_state.setdefault(state, []).append(f"{move.value}: {action.value}")
    for state, entries in by_state.items():
        lines.append(f"    note right of {state.value}")
        lines += [f"        {e}" for e in entries]
        lines.append("    end note")
    return "\n".join(lines)


def call_mermaid() -> str:
    """The call state diagram, generated from the call transition table."""
    lines = ["stateDiagram-v2", "    [*] --> waiting", "    ended --> [*]"]
    for (src, move), dst in CALL_TRANSITIONS.items():
        lines.append(f"    {src.value} --> {dst.value}: {move.value}")
    return "\n".join(lines)


def readme_block() -> str:
    """The diagrams of docs/agents-and-supervisors.md, exactly as they appear there."""
    return (
        f"Agent states (notes: moves held while busy, see `PENDING_MOVES` in `acd/states.py`):\n\n"
        f"```mermaid\n{mermaid()}\n```\n\n"
        f"Call states:\n\n```mermaid\n{call_mermaid()}\n```\n"
    )


if __name__ == "__main__":
    print(readme_block(), end="")
