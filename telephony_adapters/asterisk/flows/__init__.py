"""Call flows between the engine and Asterisk, sans-I/O: AMI events in, engine events out;
engine commands in, AMI actions out.

``CallFlows`` keeps the mapping between the engine's calls and offers and Asterisk's channels
(legs), keyed by ``Uniqueid``. It never touches a socket or a clock: the adapter feeds it what
arrives (``on_event``, ``on_command``, ``on_refused``, ``on_action_failed``, ``resync``) and
carries out the ``Effects`` it returns, in order: engine events to submit, AMI actions to send.

How a channel becomes ours (see docs/asterisk.md):

* a caller: the dialplan's ``UserEvent(AcdEnqueue,AcdQueue: q,AcdPriority: p,AcdSkills: s)``,
  or, on a resynchronisation, a channel that carries ``ACD_QUEUE`` (channelvars) in no bridge;
* an agent's leg or an outbound call: we originate it with ``ACD_CALL_ID``, ``ACD_ROLE`` (and
  ``ACD_AGENT`` and ``ACD_OFFER_ID`` for an agent); the leg is known from its variables
  (VarSet, or ChanVariable lines) or from the ``OriginateResponse`` of our ActionID.

Anything else is ignored (one dict lookup per uninteresting event).

Modules: ``legs`` (channel variables, legs, offers, calls and ``Effects``), ``base`` (the shared
state), ``progress`` (what a leg's change means for its call), ``ami_events``, ``commands``,
``feedback`` (refusals and failed actions), ``resync`` and ``callflows`` (the facade).
"""

from telephony_adapters.asterisk.flows.ami_events import DEVICE_REASON
from telephony_adapters.asterisk.flows.base import AgentLookup
from telephony_adapters.asterisk.flows.callflows import CallFlows
from telephony_adapters.asterisk.flows.legs import (
    CHANNEL_VARS,
    RINGING,
    UP,
    V_AFTER_PLAY,
    V_AGENT,
    V_AMD,
    V_CALL_ID,
    V_MESSAGE,
    V_OFFER,
    V_PEER,
    V_PRIORITY,
    V_QUEUE,
    V_ROLE,
    V_SKILLS,
    Call,
    Effects,
    Leg,
    Offer,
    Phase,
    failure_reason,
    ours,
    parse_skills,
)
from telephony_adapters.asterisk.flows.progress import TARGETED_AGENT_RING

__all__ = [
    "CHANNEL_VARS",
    "DEVICE_REASON",
    "RINGING",
    "TARGETED_AGENT_RING",
    "UP",
    "V_AFTER_PLAY",
    "V_AGENT",
    "V_AMD",
    "V_CALL_ID",
    "V_MESSAGE",
    "V_OFFER",
    "V_PEER",
    "V_PRIORITY",
    "V_QUEUE",
    "V_ROLE",
    "V_SKILLS",
    "AgentLookup",
    "Call",
    "CallFlows",
    "Effects",
    "Leg",
    "Offer",
    "Phase",
    "failure_reason",
    "ours",
    "parse_skills",
]
