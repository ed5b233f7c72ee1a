"""acd-dialer: the sans-I/O engine of an automatic call distributor and predictive dialer."""

from acd.commands import CancelOffer, Command, HangUp, MoveToQueue, OfferCall
from acd.engine import Engine
from acd.errors import AcdError, ConfigError, IllegalTransition, LocalError, RemoteError
from acd.events import (
    AgentAnswered,
    AgentLogin,
    AgentLogout,
    AgentPause,
    AgentReady,
    CallArrived,
    CallHungUp,
    Event,
    OfferFailed,
    SetAgentSkills,
)
from acd.states import AgentState, CallState, Outcome

__all__ = [
    "AcdError",
    "AgentAnswered",
    "AgentLogin",
    "AgentLogout",
    "AgentPause",
    "AgentReady",
    "AgentState",
    "CallArrived",
    "CallHungUp",
    "CallState",
    "CancelOffer",
    "Command",
    "ConfigError",
    "Engine",
    "Event",
    "HangUp",
    "IllegalTransition",
    "LocalError",
    "MoveToQueue",
    "OfferCall",
    "OfferFailed",
    "Outcome",
    "RemoteError",
    "SetAgentSkills",
]
