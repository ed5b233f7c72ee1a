"""Call flows between the engine and Asterisk, sans-I/O: AMI events in, engine events out;
engine commands in, AMI actions out.

``CallFlows`` keeps the mapping between the engine's calls and offers and Asterisk's channels
(legs), keyed by ``Uniqueid``. It never touches a socket or a clock: the adapter feeds it what
arrives (``on_event``, ``on_command``, ``on_refused``, ``on_action_failed``, ``resync``) and
carries out the ``Effects`` it returns, in order: engine events to submit, AMI actions to send.

How a channel becomes ours (see "Running against Asterisk" in README.md):

* a caller: the dialplan's ``UserEvent(AcdEnqueue,AcdQueue: q,AcdPriority: p,AcdSkills: s)``,
  or, on a resynchronisation, a channel that carries ``ACD_QUEUE`` (channelvars) in no bridge;
* an agent's leg or an outbound call: we originate it with ``ACD_CALL_ID``, ``ACD_ROLE`` (and
  ``ACD_AGENT`` and ``ACD_OFFER_ID`` for an agent); the leg is known from its variables
  (VarSet, or ChanVariable lines) or from the ``OriginateResponse`` of our ActionID.

Anything else is ignored (one dict lookup per uninteresting event).
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from acd import events as ev
from acd.commands import (
    CancelOffer,
    Command,
    HangUp,
    MoveToQueue,
    OfferCall,
    Originate,
    PlayMessage,
    ShowPreview,
)
from acd.errors import AcdError, InvalidEvent
from telephony_adapters.ami.messages import (
    Action,
    AmiActionError,
    AmiError,
    AmiInvalidAction,
    Event,
)
from telephony_adapters.asterisk.settings import AsteriskSettings, is_sound_name

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
CHANNEL_VARS = (V_CALL_ID, V_ROLE, V_AGENT, V_OFFER, V_QUEUE, V_PRIORITY, V_SKILLS, V_AMD)
_TRACKED = frozenset(CHANNEL_VARS)
_TAGS = (V_CALL_ID, V_ROLE, V_QUEUE)  # any of these set: the channel is ours

UP, RINGING = 6, 5
DEVICE_REASON = "device-unavailable"
_DEVICE_DOWN = frozenset({"UNAVAILABLE", "INVALID"})
_PEER_DOWN = frozenset({"UNREACHABLE", "UNREGISTERED", "REJECTED"})
_PEER_UP = frozenset({"REACHABLE", "REGISTERED"})
TARGETED_AGENT_RING = 20.0  # seconds the agent of an answered agent-targeted call may take
_NUMBER = re.compile(r"^[A-Za-z0-9+*#._-]{1,64}$")
_SKILL_SPLIT = re.compile(r"[\s,;|]+")

# An agent in the engine: (state, pause reason), the reason being the pause in force or, on a
# call, the one pending after it ("" for none); None for an unknown agent.
AgentLookup = Callable[[str], "tuple[str, str] | None"]


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


class CallFlows:
    def __init__(
        self,
        settings: AsteriskSettings,
        *,
        agent_state: AgentLookup | None = None,
        id_prefix: str = "acd",
    ) -> None:
        self.settings = settings
        self.agent_state: AgentLookup = agent_state or (lambda _agent: None)
        self.id_prefix = id_prefix
        self.calls: dict[str, Call] = {}
        self.legs: dict[str, Leg] = {}
        self.pending: dict[str, tuple[str, str]] = {}  # Originate ActionID -> (call, agent or "")
        self.originated: set[str] = set()  # outbound call ids: never originated twice
        self.doomed: dict[str, str] = {}  # Uniqueid -> channel of legs we have hung up
        self.after_play: dict[str, str] = {}  # Uniqueid -> channel: hang up after the message
        self.paused_by_us: set[str] = set()  # agents we paused for an unavailable device
        self._ended: dict[str, None] = {}  # recently hung-up Uniqueids (late events ignored)
        self.seq = 0  # one tick per input; "touched" stamps compare against a resync mark
        self._ids = 0
        self._devices = {dev: agent for agent, dev in settings.agent_devices.items()}
        head, _, tail = settings.agent_device.partition("{agent_id}")
        self._device_re = re.compile(f"^{re.escape(head)}(?P<agent>[^/@&,]+){re.escape(tail)}$")
        self._handlers: dict[str, Callable[[Event], Effects]] = {
            "Newchannel": self._on_channel,
            "Newstate": self._on_channel,
            "NewCallerid": self._on_channel,
            "VarSet": self._on_varset,
            "DialBegin": self._on_dest,
            "DialEnd": self._on_dest,
            "BridgeEnter": self._on_bridge,
            "BridgeLeave": self._on_bridge,
            "Rename": self._on_rename,
            "Hangup": self._on_hangup,
            "OriginateResponse": self._on_originate_response,
            "UserEvent": self._on_user_event,
            "DeviceStateChange": self._on_device_state,
            "PeerStatus": self._on_peer_status,
        }

    # ------------------------------------------------------------------ helpers

    def next_action_id(self) -> str:
        self._ids += 1
        return f"{self.id_prefix}-{self._ids}"

    def agent_for(self, device: str) -> str | None:
        """The agent whose device this is (per-agent overrides first, then the template)."""
        agent = self._devices.get(device)
        if agent is not None:
            return agent
        m = self._device_re.match(device)
        if m is None or m["agent"] in self.settings.agent_devices:
            return None
        return m["agent"]

    def _action(
        self, name: str, pairs: list[tuple[str, str | int | bool]], **more: list[str]
    ) -> Action:
        return Action(name, pairs, action_id=self.next_action_id(), **more)

    def _hangup_leg(self, leg: Leg) -> Effects:
        """Hang up a leg we no longer want; its Hangup event is then expected, not news."""
        self.legs.pop(leg.uniqueid, None)
        if leg.uniqueid in self.doomed or not leg.channel:
            return Effects()
        self.doomed[leg.uniqueid] = leg.channel
        return Effects(actions=[self._action("Hangup", [("Channel", leg.channel), ("Cause", 16)])])

    def _observe(
        self, uid: str, channel: str, state: int | None, variables: dict[str, str]
    ) -> Leg | None:
        """Update a tracked leg, or start tracking a channel that carries our tags."""
        leg = self.legs.get(uid)
        if leg is None:
            if uid in self.doomed or uid in self.after_play or uid in self._ended:
                return None
            if not any(variables.get(tag) for tag in _TAGS):
                return None
            leg = self.legs[uid] = Leg(uid, channel)
        leg.touched = self.seq
        if channel:
            leg.channel = channel
        if state is not None:
            leg.state = state
        for name, value in variables.items():
            if value:
                leg.vars[name] = value
        return leg

    def _adopt(self, uid: str, channel: str, role: str, call_id: str, agent: str = "") -> Leg:
        leg = self.legs.get(uid)
        if leg is None:
            leg = self.legs[uid] = Leg(uid, channel)
        leg.role, leg.call_id, leg.agent_id = role, call_id, agent
        leg.channel = channel or leg.channel
        leg.touched = self.seq
        return leg

    def _claim(self, leg: Leg) -> None:
        """Attach a tagged leg to our offer or outbound call once its variables are in."""
        role, call_id = leg.vars.get(V_ROLE, ""), leg.vars.get(V_CALL_ID, "")
        if role == "agent":
            agent, offer_id = leg.vars.get(V_AGENT, ""), leg.vars.get(V_OFFER, "")
            if not (call_id and agent and offer_id):
                return
            leg.role, leg.call_id, leg.agent_id = "agent", call_id, agent
            call = self.calls.get(call_id)
            offer = call.offers.get(agent) if call else None
            if offer is not None and offer.action_id == offer_id and offer.leg is None:
                offer.leg = leg.uniqueid
        elif role == "outbound" and call_id:
            leg.role, leg.call_id = "outbound", call_id
            call = self.calls.get(call_id)
            if call is not None and call.direction == "outbound" and call.caller is None:
                call.caller = leg.uniqueid

    def _progress(self, leg: Leg) -> Effects:
        """What a change on a tracked leg means: an answer, an AMD verdict, or a stray leg."""
        if not leg.role:
            self._claim(leg)
        call = self.calls.get(leg.call_id) if leg.call_id else None
        if leg.role == "agent":
            offer = call.offers.get(leg.agent_id) if call else None
            if call is None or offer is None or offer.leg != leg.uniqueid:
                return self._stray(leg, call)
            if leg.state == UP and not offer.answered:
                return self._answered(call, offer)
        elif leg.role == "outbound":
            if call is None or call.caller != leg.uniqueid:
                return self._stray(leg, call)
            if call.phase is Phase.DIALING and leg.state == UP:
                return self._outbound_up(call)
            if call.phase is Phase.AMD and leg.vars.get(V_AMD):
                return self._amd(call, leg.vars[V_AMD])
        return Effects()

    def _stray(self, leg: Leg, call: Call | None) -> Effects:
        """A leg of ours nobody wants: an offer cancelled, a call ended, a previous run's leg.

        A bridged leg whose call we do not know at all is left alone: a conversation from before
        a restart goes on without the ACD rather than being cut.
        """
        if call is None and leg.bridge:
            log.info("leaving %s alone: bridged, call %s unknown", leg.channel, leg.call_id)
            self.legs.pop(leg.uniqueid, None)
            return Effects()
        log.info("hanging up stray %s leg %s (call %s)", leg.role, leg.channel, leg.call_id)
        return self._hangup_leg(leg)

    def _answered(self, call: Call, offer: Offer) -> Effects:
        offer.answered = True
        if call.phase is not Phase.WAITING:  # another agent won (ring-all)
            leg = self.legs.get(offer.leg or "")
            call.offers.pop(offer.agent_id, None)
            return self._hangup_leg(leg) if leg else Effects()
        call.phase = Phase.CONNECTED
        call.agent = offer.agent_id
        return Effects(events=[ev.AgentAnswered(call.call_id, offer.agent_id)])

    def _outbound_up(self, call: Call) -> Effects:
        if call.target:
            return self._targeted_up(call)
        if not self.settings.amd:
            call.phase = Phase.WAITING
            return Effects(events=[ev.OutboundAnswered(call.call_id, machine=False)])
        call.phase = Phase.AMD
        leg = self.legs.get(call.caller or "")
        status = leg.vars.get(V_AMD) if leg else None
        return self._amd(call, status) if status else Effects()

    def _targeted_up(self, call: Call) -> Effects:
        """An agent-targeted call answered: the engine connects it to its agent at once (no AMD
        verdict is awaited; the agent hears a machine and says so), and the agent's phone is rung
        with auto-answer and bridged to the called party, as for an offer."""
        call.phase, call.agent = Phase.CONNECTED, call.target
        out = Effects(events=[ev.OutboundAnswered(call.call_id, machine=False)])
        caller = self.legs.get(call.caller or "")
        try:
            if caller is None:
                raise AmiInvalidAction("the answered leg is not known")
            out.actions.append(
                self._agent_leg(call, caller, call.target, True, TARGETED_AGENT_RING)
            )
        except AmiInvalidAction as exc:
            log.warning("call %s: agent %s cannot be rung: %s", call.call_id, call.target, exc)
            return out.add(self._end_call(call, ev.CallHungUp(call.call_id, "agent")))
        offer = call.offers[call.target]
        offer.answered = offer.targeted = True  # connected in the engine: no AgentAnswered
        return out

    def _amd(self, call: Call, status: str) -> Effects:
        if call.phase is not Phase.AMD:
            return Effects()
        call.phase = Phase.WAITING
        machine = status.strip().upper() == "MACHINE"  # HUMAN, NOTSURE, HANGUP: a person
        return Effects(events=[ev.OutboundAnswered(call.call_id, machine=machine)])

    def _end_call(self, call: Call, event: ev.Event | None) -> Effects:
        """The call is over for the engine: forget it and hang up whatever legs remain."""
        self.calls.pop(call.call_id, None)
        out = Effects(events=[event] if event is not None else [])
        for uid in [call.caller, *(o.leg for o in call.offers.values())]:
            leg = self.legs.get(uid) if uid else None
            if leg is not None:
                out.add(self._hangup_leg(leg))
        return out

    def _take_up(
        self,
        uid: str,
        channel: str,
        queue: str,
        priority: str | None,
        skills: str | None,
        caller: str | None,
    ) -> Effects:
        """A caller on hold in one of our queues becomes a call (its Uniqueid is the call id)."""
        if not queue:
            log.warning("caller %s has no ACD_QUEUE: not taken up", channel)
            return Effects()
        try:
            prio = int(priority) if priority else 0
        except ValueError:
            log.warning("caller %s: ACD_PRIORITY %r is not an integer, using 0", channel, priority)
            prio = 0
        number = caller if caller and caller != "<unknown>" else ""
        try:
            arrived = ev.CallArrived(uid, queue, prio, number, parse_skills(skills or ""))
        except InvalidEvent as exc:
            log.warning("caller %s not taken up: %s", channel, exc)
            return Effects()
        if not channel:
            log.warning("caller %s has no channel name: not taken up", uid)
            return Effects()
        leg = self._adopt(uid, channel, "caller", uid)
        self.calls[uid] = Call(
            uid, "inbound", Phase.WAITING, queue=queue, caller=uid, number=number, touched=self.seq
        )
        leg.vars.setdefault(V_QUEUE, queue)
        return Effects(events=[arrived])

    # ------------------------------------------------------------------ AMI events

    def on_event(self, msg: Event) -> Effects:
        """One AMI event; most are not ours and cost a dict lookup."""
        handler = self._handlers.get(msg.name)
        if handler is None:
            return Effects()
        self.seq += 1
        return handler(msg)

    def _chan(self, msg: Event, prefix: str = "") -> Leg | None:
        uid = msg.get(f"{prefix}Uniqueid")
        if not uid:
            return None
        state = msg.get(f"{prefix}ChannelState")
        variables = ours(msg.variables(f"{prefix}ChanVariable"))
        leg = self._observe(
            uid, msg.get(f"{prefix}Channel") or "", _int(state, 0) if state else None, variables
        )
        if leg is None:
            log.debug(
                "%s of a channel not ours (%s): ignored", msg.name, msg.get(f"{prefix}Channel")
            )
        return leg

    def _on_channel(self, msg: Event) -> Effects:
        leg = self._chan(msg)
        return self._progress(leg) if leg is not None else Effects()

    def _on_dest(self, msg: Event) -> Effects:
        leg = self._chan(msg, "Dest")
        return self._progress(leg) if leg is not None else Effects()

    def _on_varset(self, msg: Event) -> Effects:
        name = (msg.get("Variable") or "").lstrip("_")
        if name not in _TRACKED:
            return Effects()
        uid = msg.get("Uniqueid") or ""
        variables = ours(msg.variables("ChanVariable"))
        variables[name] = msg.get("Value") or ""
        leg = self._observe(uid, msg.get("Channel") or "", None, variables) if uid else None
        return self._progress(leg) if leg is not None else Effects()

    def _on_bridge(self, msg: Event) -> Effects:
        leg = self._chan(msg)
        if leg is None:
            return Effects()
        leg.bridge = (msg.get("BridgeUniqueid") or "") if msg.name == "BridgeEnter" else ""
        return self._progress(leg)

    def _on_rename(self, msg: Event) -> Effects:
        leg = self.legs.get(msg.get("Uniqueid") or "")
        if leg is not None and msg.get("Newname"):
            leg.channel = msg["Newname"]
        return Effects()

    def _on_hangup(self, msg: Event) -> Effects:
        uid = msg.get("Uniqueid") or ""
        channel = msg.get("Channel") or ""
        if "<ZOMBIE>" in channel or channel.startswith("Surrogate/"):
            return Effects()  # the husk of a masquerade, not the end of a call
        self._ended[uid] = None
        if len(self._ended) > 4096:
            del self._ended[next(iter(self._ended))]
        if self.after_play.pop(uid, None) is not None or self.doomed.pop(uid, None) is not None:
            return Effects()
        leg = self.legs.pop(uid, None)
        if leg is None:
            log.debug("Hangup of a channel not ours (%s): ignored", channel)
            return Effects()
        call = self.calls.get(leg.call_id) if leg.call_id else None
        if call is None:
            return Effects()
        cause = _int(msg.get("Cause"))
        if call.caller == uid:
            if call.phase is Phase.DIALING:  # the OriginateResponse that follows says why
                call.caller, call.cause = None, cause
                return Effects()
            if call.phase is Phase.AMD:  # answered, gone before AMD decided: nobody talked
                return self._end_call(call, ev.OutboundFailed(call.call_id, "no_answer"))
            return self._end_call(call, ev.CallHungUp(call.call_id, "caller"))
        offer = call.offers.get(leg.agent_id)
        if leg.role != "agent" or offer is None or offer.leg != uid:
            return Effects()
        if call.phase is Phase.CONNECTED and call.agent == leg.agent_id:
            return self._end_call(call, ev.CallHungUp(call.call_id, "agent"))
        offer.leg, offer.cause = None, cause  # rang and ended: the OriginateResponse says why
        return Effects()

    def _on_originate_response(self, msg: Event) -> Effects:
        aid = msg.action_id or ""
        entry = self.pending.pop(aid, None)
        if entry is None:
            log.debug("OriginateResponse for an action not ours (%s): ignored", aid)
            return Effects()
        call_id, agent = entry
        ok = (msg.get("Response") or "").lower() == "success"
        channel = msg.get("Channel") or ""
        uid = msg.get("Uniqueid") or ""
        uid = channel if uid in ("", "<unknown>") else uid
        reason = _int(msg.get("Reason"))
        call = self.calls.get(call_id)
        if agent:
            offer = call.offers.get(agent) if call else None
            live = offer is not None and offer.action_id == aid
            if ok:
                leg = self._adopt(uid, channel, "agent", call_id, agent)
                leg.state = UP
                if not live:
                    return self._stray(leg, call)
                assert offer is not None and call is not None
                offer.leg = uid
                return Effects() if offer.answered else self._answered(call, offer)
            if live and offer is not None and offer.targeted and call is not None:
                # The agent of an agent-targeted call did not answer: the called party is
                # connected to nobody, so the call ends.
                return self._end_call(call, ev.CallHungUp(call_id, "agent"))
            if not live or offer is None or offer.answered or call is None:
                return Effects()
            del call.offers[agent]
            reason_text = failure_reason(reason, offer.cause)
            return Effects(events=[ev.OfferFailed(call_id, agent, reason_text)])
        if call is None or call.action_id != aid:
            if ok and uid:
                return self._stray(self._adopt(uid, channel, "outbound", call_id), None)
            return Effects()
        if ok:
            self._adopt(uid, channel, "outbound", call_id).state = UP
            call.caller = uid
            return self._outbound_up(call) if call.phase is Phase.DIALING else Effects()
        if call.phase is not Phase.DIALING:
            return Effects()
        del self.calls[call_id]
        return Effects(events=[ev.OutboundFailed(call_id, failure_reason(reason, call.cause))])

    def _on_user_event(self, msg: Event) -> Effects:
        kind = (msg.get("UserEvent") or "").lower()
        uid = msg.get("Uniqueid") or ""
        if kind == "acdenqueue":
            if not uid or uid in self.doomed or uid in self._ended:
                return Effects()
            if uid in self.legs and self.legs[uid].role:
                return Effects()  # taken up already
            variables = ours(msg.variables("ChanVariable"))
            return self._take_up(
                uid,
                msg.get("Channel") or "",
                # Not "Priority": the channel snapshot carries the dialplan's priority so.
                msg.get("AcdQueue") or variables.get(V_QUEUE, ""),
                msg.get("AcdPriority") or variables.get(V_PRIORITY),
                msg.get("AcdSkills") or variables.get(V_SKILLS),
                msg.get("CallerIDNum"),
            )
        if kind == "acdamd":
            leg = self._chan(msg)
            if leg is None:
                return Effects()
            leg.vars[V_AMD] = msg.get("AmdStatus") or leg.vars.get(V_AMD, "")
            return self._progress(leg)
        if kind == "acdplayed":
            channel = self.after_play.get(uid)
            if channel is not None and (msg.get("After") or "").lower() != "hangup":
                # The message ended before our ACD_AFTER_PLAY=hangup reached the channel.
                del self.after_play[uid]
                self.doomed[uid] = channel
                return Effects(
                    actions=[self._action("Hangup", [("Channel", channel), ("Cause", 16)])]
                )
            leg = self.legs.get(uid)
            call = self.calls.get(leg.call_id) if leg else None
            if call is not None:
                call.playing = False
        return Effects()

    def _on_device_state(self, msg: Event) -> Effects:
        agent = self.agent_for(msg.get("Device") or "")
        if agent is None:
            return Effects()
        state = (msg.get("State") or "").upper()
        if state in _DEVICE_DOWN:
            return self._device_down(agent)
        if state in ("", "UNKNOWN"):
            return Effects()
        return self._device_up(agent)

    def _on_peer_status(self, msg: Event) -> Effects:
        agent = self.agent_for(msg.get("Peer") or "")
        status = (msg.get("PeerStatus") or "").upper()
        if agent is None:
            return Effects()
        if status in _PEER_DOWN:
            return self._device_down(agent)
        return self._device_up(agent) if status in _PEER_UP else Effects()

    def _device_down(self, agent: str) -> Effects:
        seen = self.agent_state(agent)
        if seen is None or agent in self.paused_by_us:
            return Effects()
        state, reason = seen
        if state == "logged_out":
            return Effects()
        if state == "paused" or reason:  # a pause of the agent's own (or pending) stays theirs
            if reason == DEVICE_REASON:
                self.paused_by_us.add(agent)
            return Effects()
        self.paused_by_us.add(agent)  # on a call the engine applies it after the call
        return Effects(events=[ev.AgentPause(agent, DEVICE_REASON)])

    def _device_up(self, agent: str) -> Effects:
        if agent not in self.paused_by_us:
            return Effects()
        self.paused_by_us.discard(agent)
        seen = self.agent_state(agent)
        if seen is not None and seen[1] == DEVICE_REASON:  # ours, in force or pending
            return Effects(events=[ev.AgentReady(agent)])
        return Effects()  # the agent changed the pause meanwhile (or logged out): theirs now

    # ------------------------------------------------------------------ engine commands

    def on_command(self, cmd: Command) -> Effects:
        self.seq += 1
        if isinstance(cmd, OfferCall):
            return self._offer(cmd)
        if isinstance(cmd, CancelOffer):
            return self._cancel(cmd)
        if isinstance(cmd, HangUp):
            return self._hangup(cmd)
        if isinstance(cmd, MoveToQueue):
            return self._move(cmd)
        if isinstance(cmd, Originate):
            return self._originate(cmd)
        if isinstance(cmd, PlayMessage):
            return self._play(cmd)
        if isinstance(cmd, ShowPreview):
            return Effects()  # the agent sees the lead in the API and the wallboard, not the PBX
        log.warning("unknown command %r: ignored", cmd)
        return Effects()

    def _offer(self, cmd: OfferCall) -> Effects:
        call = self.calls.get(cmd.call_id)
        caller = self.legs.get(call.caller) if call and call.caller else None
        if call is None or caller is None:
            log.warning("offer of call %s, which is not on the PBX: ignored", cmd.call_id)
            return Effects()
        try:
            action = self._agent_leg(call, caller, cmd.agent_id, cmd.auto_answer, cmd.ring_timeout)
        except AmiInvalidAction as exc:
            log.warning("offer of %s to %s cannot be sent: %s", cmd.call_id, cmd.agent_id, exc)
            return Effects(events=[ev.OfferFailed(cmd.call_id, cmd.agent_id, "failed")])
        return Effects(actions=[action])

    def _agent_leg(
        self, call: Call, caller: Leg, agent_id: str, auto_answer: bool, ring_timeout: float
    ) -> Action:
        """Ring the agent's device; the [acd-agent] context bridges it to ``caller`` (ACD_PEER)
        once answered. Records the offer; raises AmiInvalidAction if it cannot be sent."""
        aid = self.next_action_id()
        variables = [
            f"{V_CALL_ID}={call.call_id}",
            f"{V_ROLE}=agent",
            f"{V_AGENT}={agent_id}",
            f"{V_OFFER}={aid}",
            f"{V_PEER}={caller.channel}",
        ]
        if auto_answer:
            variables += [f"{k}={v}" for k, v in self.settings.auto_answer_variables.items()]
        number = call.number
        label = (call.queue or "acd").replace('"', "")
        pairs: list[tuple[str, str | int | bool]] = [
            ("Channel", self.settings.device_for(agent_id)),
            ("Context", self.settings.contexts.agent),
            ("Exten", "s"),
            ("Priority", 1),
            ("Timeout", max(1, round(ring_timeout * 1000))),
            ("CallerID", f'"{label}" <{number}>' if number else f'"{label}"'),
            ("Async", True),
        ]
        action = Action("Originate", pairs, Variable=variables, action_id=aid)
        self.pending[aid] = (call.call_id, agent_id)
        call.offers[agent_id] = Offer(agent_id, aid, touched=self.seq)
        return action

    def _cancel(self, cmd: CancelOffer) -> Effects:
        call = self.calls.get(cmd.call_id)
        offer = call.offers.pop(cmd.agent_id, None) if call else None
        if offer is None or offer.leg is None:
            # Not rung yet, or its leg not seen yet: hung up when it shows (or never sent).
            return Effects()
        leg = self.legs.get(offer.leg)
        return self._hangup_leg(leg) if leg is not None else Effects()

    def _hangup(self, cmd: HangUp) -> Effects:
        call = self.calls.pop(cmd.call_id, None)
        if call is None:
            return Effects()
        out = Effects()
        caller = self.legs.get(call.caller) if call.caller else None
        if caller is not None and call.playing:
            # Let the message finish: the play context hangs up after it.
            self.legs.pop(caller.uniqueid, None)
            self.after_play[caller.uniqueid] = caller.channel
            out.actions.append(self._setvar(caller.channel, V_AFTER_PLAY, "hangup"))
        elif caller is not None:
            out.add(self._hangup_leg(caller))
        for offer in call.offers.values():
            leg = self.legs.get(offer.leg) if offer.leg else None
            if leg is not None:
                out.add(self._hangup_leg(leg))
        return out

    def _move(self, cmd: MoveToQueue) -> Effects:
        call = self.calls.get(cmd.call_id)
        if call is None:
            return Effects()
        call.queue = cmd.queue
        if call.phase is not Phase.CONNECTED or call.agent is None:
            return Effects()  # still on hold: nothing changes on the PBX
        # Transferred back from an agent: the agent's leg goes, the caller returns to hold.
        offer = call.offers.pop(call.agent, None)
        call.phase, call.agent = Phase.WAITING, None
        out = Effects()
        leg = self.legs.get(offer.leg) if offer and offer.leg else None
        if leg is not None:
            out.add(self._hangup_leg(leg))
        caller = self.legs.get(call.caller) if call.caller else None
        if caller is not None:
            out.actions.append(self._redirect(caller.channel, self.settings.contexts.hold))
        return out

    def _originate(self, cmd: Originate) -> Effects:
        if cmd.call_id in self.originated:
            log.warning("call %s was originated already: not sent again", cmd.call_id)
            return Effects()
        self.originated.add(cmd.call_id)
        if not _NUMBER.match(cmd.number):
            log.warning("call %s: number %r cannot be dialled", cmd.call_id, cmd.number)
            return Effects(events=[ev.OutboundFailed(cmd.call_id, "failed")])
        aid = self.next_action_id()
        pairs: list[tuple[str, str | int | bool]] = [
            ("Channel", self.settings.outbound_channel.format(number=cmd.number)),
            ("Context", self.settings.contexts.outbound),
            ("Exten", "s"),
            ("Priority", 1),
            ("Timeout", max(1, round(cmd.ring_timeout * 1000))),
        ]
        caller_id = cmd.caller_id or self.settings.outbound_caller_id
        if caller_id:
            pairs.append(("CallerID", caller_id))
        pairs.append(("Async", True))
        variables = [f"{V_CALL_ID}={cmd.call_id}", f"{V_ROLE}=outbound"]
        try:
            action = Action("Originate", pairs, Variable=variables, action_id=aid)
        except AmiInvalidAction as exc:
            log.warning("call %s cannot be originated: %s", cmd.call_id, exc)
            return Effects(events=[ev.OutboundFailed(cmd.call_id, "failed")])
        self.pending[aid] = (cmd.call_id, "")
        self.calls[cmd.call_id] = Call(
            cmd.call_id,
            "outbound",
            Phase.DIALING,
            number=cmd.number,
            action_id=aid,
            touched=self.seq,
            target=cmd.agent_id,
        )
        return Effects(actions=[action])

    def _play(self, cmd: PlayMessage) -> Effects:
        call = self.calls.get(cmd.call_id)
        caller = self.legs.get(call.caller) if call and call.caller else None
        if call is None or caller is None:
            return Effects()
        if call.phase is Phase.CONNECTED:
            log.warning(
                "message for call %s, which is talking to an agent: not played", call.call_id
            )
            return Effects()
        sound = self.settings.messages.get(cmd.message, cmd.message)
        if not is_sound_name(sound):
            log.warning(
                "message %r has no sound file (adapter.asterisk.messages): not played", cmd.message
            )
            return Effects()
        call.playing = True
        return Effects(
            actions=[
                self._setvar(caller.channel, V_MESSAGE, sound),
                self._setvar(caller.channel, V_AFTER_PLAY, "hold"),
                self._redirect(caller.channel, self.settings.contexts.play),
            ]
        )

    def _setvar(self, channel: str, name: str, value: str) -> Action:
        return self._action("Setvar", [("Channel", channel), ("Variable", name), ("Value", value)])

    def _redirect(self, channel: str, context: str) -> Action:
        pairs: list[tuple[str, str | int | bool]] = [
            ("Channel", channel),
            ("Context", context),
            ("Exten", "s"),
            ("Priority", 1),
        ]
        return self._action("Redirect", pairs)

    # ------------------------------------------------------------------ feedback

    def should_send(self, action: Action) -> bool:
        """False for an Originate whose offer or call was cancelled before it went out."""
        if action.name != "Originate" or action.action_id not in self.pending:
            return True
        call_id, agent = self.pending[action.action_id]
        call = self.calls.get(call_id)
        if agent:
            offer = call.offers.get(agent) if call else None
            live = offer is not None and offer.action_id == action.action_id
        else:
            live = call is not None and call.action_id == action.action_id
        if not live:
            del self.pending[action.action_id]
        return live

    def on_refused(self, event: ev.Event, error: AcdError) -> Effects:
        """The engine refused an event we derived: where the PBX now disagrees, fix the PBX."""
        self.seq += 1
        if isinstance(event, ev.AgentAnswered):
            call = self.calls.get(event.call_id)
            if call is None:
                return Effects()
            if getattr(error, "kind", "") == "call":  # the engine has no such call any more
                return self._end_call(call, None)
            offer = call.offers.pop(event.agent_id, None)
            if call.agent == event.agent_id:
                call.phase, call.agent = Phase.WAITING, None
            leg = self.legs.get(offer.leg) if offer and offer.leg else None
            return self._hangup_leg(leg) if leg is not None else Effects()
        if isinstance(event, ev.CallArrived | ev.OutboundAnswered):
            call = self.calls.get(event.call_id)
            return self._end_call(call, None) if call is not None else Effects()
        if isinstance(event, ev.AgentPause):
            self.paused_by_us.discard(event.agent_id)
        return Effects()

    def on_action_failed(self, action: Action, error: AmiError, *, sent: bool) -> Effects:
        """An action failed. ``sent``: it may have reached Asterisk (a lost or late answer)."""
        self.seq += 1
        aid = action.action_id or ""
        refused = isinstance(error, AmiActionError)
        if action.name == "Hangup":
            if refused:  # "No such channel": it is gone already
                channel = action.get("Channel")
                for uid in [u for u, c in self.doomed.items() if c == channel]:
                    del self.doomed[uid]
            return Effects()
        if action.name != "Originate" or aid not in self.pending:
            return Effects()
        call_id, agent = self.pending[aid]
        if sent and not refused:
            return Effects()  # it may be ringing: the OriginateResponse or a resync will tell
        del self.pending[aid]
        call = self.calls.get(call_id)
        if agent:
            offer = call.offers.get(agent) if call else None
            if offer is None or offer.action_id != aid:
                return Effects()
            if not refused:
                return Effects()  # never sent: the engine's ring time-out moves the call on
            del call.offers[agent]  # type: ignore[union-attr]
            return Effects(events=[ev.OfferFailed(call_id, agent, "failed")])
        if call is None or call.action_id != aid or call.phase is not Phase.DIALING:
            return Effects()
        del self.calls[call_id]
        return Effects(events=[ev.OutboundFailed(call_id, "failed")])

    # ------------------------------------------------------------------ resynchronisation

    def resync_mark(self) -> int:
        """Call before asking for CoreShowChannels; pass the mark to ``resync``."""
        self.seq += 1
        return self.seq

    def resync(self, channels: Iterable[Event], mark: int) -> Effects:
        """Reconcile with the channels Asterisk has now (CoreShowChannel items).

        A leg or record touched by an event since ``mark`` is newer than the snapshot and is
        trusted over it. The rules: our call whose caller vanished ends (``CallHungUp`` caller;
        an outbound call being answered ends ``OutboundFailed``); an agent's leg that vanished
        fails the offer (``OfferFailed``) or ends the conversation (``CallHungUp`` agent); an
        agent leg found up is an answer; an Originate whose answer was lost is matched by its
        ``ACD_CALL_ID`` (and ``ACD_OFFER_ID``), never sent again, and fails when no channel
        carries it; legs we hung up that are still there are hung up again; a channel carrying
        ``ACD_QUEUE`` in no bridge that we do not know is a caller taken up (``CallArrived``);
        an unbridged leg tagged agent/outbound for a call we do not know is hung up.
        """
        self.seq += 1
        present: dict[str, Event] = {}
        for item in channels:
            uid = item.get("Uniqueid")
            if not uid:
                continue
            present[uid] = item
            leg = self._observe(
                uid,
                item.get("Channel") or "",
                _int(item.get("ChannelState")),
                ours(item.variables("ChanVariable")),
            )
            if leg is not None:
                leg.bridge = item.get("BridgeId") or ""
        out = Effects()
        for uid, channel in list(self.doomed.items()):  # our Hangup was lost: again
            if uid in present:
                out.actions.append(self._action("Hangup", [("Channel", channel), ("Cause", 16)]))
            else:
                del self.doomed[uid]
        for call in list(self.calls.values()):
            out.add(self._resync_call(call, present, mark))
        for uid, channel in list(self.after_play.items()):
            where = present.get(uid)
            if where is None:
                del self.after_play[uid]
            elif where.get("Context") == self.settings.contexts.hold:  # message over, on hold
                del self.after_play[uid]
                self.doomed[uid] = channel
                out.actions.append(self._action("Hangup", [("Channel", channel), ("Cause", 16)]))
        for uid, item in present.items():
            leg = self.legs.get(uid)
            if leg is None or leg.role or uid in self.doomed:
                continue
            role = leg.vars.get(V_ROLE, "")
            if leg.vars.get(V_QUEUE) and role in ("", "caller") and not leg.bridge:
                out.add(
                    self._take_up(
                        uid,
                        leg.channel,
                        leg.vars[V_QUEUE],
                        leg.vars.get(V_PRIORITY),
                        leg.vars.get(V_SKILLS),
                        item.get("CallerIDNum"),
                    )
                )
            elif role in ("agent", "outbound"):
                self._claim(leg)
                if leg.role and leg.call_id not in self.calls:
                    out.add(self._stray(leg, None))
        for uid in [u for u, leg in self.legs.items() if u not in present and leg.touched <= mark]:
            del self.legs[uid]  # gone while we were away, and no call of ours needed it
        return out

    def _find(self, present: dict[str, Event], call_id: str, role: str, **more: str) -> Leg | None:
        for uid, item in present.items():
            leg = self.legs.get(uid)
            if leg is None or uid in self.doomed or (leg.role and leg.role != role):
                continue
            v = leg.vars
            wanted = {V_CALL_ID: call_id, V_ROLE: role, **more}
            if all(v.get(k) == want for k, want in wanted.items()):
                leg.bridge = item.get("BridgeId") or leg.bridge
                return leg
        return None

    def _resync_call(self, call: Call, present: dict[str, Event], mark: int) -> Effects:
        gone = self._gone(present, mark)
        if call.caller is None and call.direction == "outbound" and call.phase is Phase.DIALING:
            leg = self._find(present, call.call_id, "outbound")
            if leg is not None:
                self._adopt(leg.uniqueid, leg.channel, "outbound", call.call_id)
                self.pending.pop(call.action_id, None)  # its OriginateResponse went by
                call.caller = leg.uniqueid
                return self._outbound_up(call) if leg.state == UP else Effects()
            if call.touched > mark:
                return Effects()  # sent since the resync began
            self.pending.pop(call.action_id, None)
            self.calls.pop(call.call_id, None)
            return Effects(events=[ev.OutboundFailed(call.call_id, "failed")])
        if call.caller is not None and gone(call.caller):
            self.legs.pop(call.caller, None)
            if call.phase is Phase.DIALING:
                return self._end_call(call, ev.OutboundFailed(call.call_id, "no_answer"))
            if call.phase is Phase.AMD:
                return self._end_call(call, ev.OutboundFailed(call.call_id, "no_answer"))
            return self._end_call(call, ev.CallHungUp(call.call_id, "caller"))
        if call.caller is not None and call.phase is Phase.DIALING:
            leg = self.legs.get(call.caller)
            if leg is not None and leg.state == UP:
                return self._outbound_up(call)
        if call.phase is Phase.AMD:
            return self._progress(self.legs[call.caller]) if call.caller in self.legs else Effects()
        out = Effects()
        for offer in list(call.offers.values()):
            if offer.leg is None:
                leg = self._find(
                    present,
                    call.call_id,
                    "agent",
                    ACD_AGENT=offer.agent_id,
                    ACD_OFFER_ID=offer.action_id,
                )
                if leg is not None:
                    self._adopt(leg.uniqueid, leg.channel, "agent", call.call_id, offer.agent_id)
                    self.pending.pop(offer.action_id, None)  # its OriginateResponse went by
                    offer.leg = leg.uniqueid
                elif offer.touched <= mark:
                    del call.offers[offer.agent_id]
                    self.pending.pop(offer.action_id, None)
                    out.events.append(ev.OfferFailed(call.call_id, offer.agent_id, "failed"))
                    continue
                else:
                    continue
            if gone(offer.leg or ""):
                self.legs.pop(offer.leg or "", None)
                if call.phase is Phase.CONNECTED and call.agent == offer.agent_id:
                    return out.add(self._end_call(call, ev.CallHungUp(call.call_id, "agent")))
                del call.offers[offer.agent_id]
                self.pending.pop(offer.action_id, None)
                if not offer.answered:
                    out.events.append(ev.OfferFailed(call.call_id, offer.agent_id, "failed"))
                continue
            leg = self.legs.get(offer.leg or "")
            if leg is not None and leg.state == UP and not offer.answered:
                out.add(self._answered(call, offer))
        return out

    def _gone(self, present: dict[str, Event], mark: int) -> Callable[[str], bool]:
        def gone(uid: str) -> bool:
            if uid in present:
                return False
            leg = self.legs.get(uid)
            return leg is None or leg.touched <= mark

        return gone
