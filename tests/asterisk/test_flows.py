"""The call flows, sans-I/O: AMI events in, engine events out; commands in, actions out.

Replays of the real Asterisk 20 capture (``tests/data/ami/``) check that traffic not ours is
ignored and that the capture's own OriginateResponse, Hangup, PeerStatus and DeviceStateChange
lines map as the design says; synthetic events in the capture's shapes cover the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from acd import events as ev
from acd.commands import CancelOffer, HangUp, MoveToQueue, OfferCall, Originate, PlayMessage
from acd.errors import IllegalTransition, UnknownEntity
from telephony_adapters.ami import Action, AmiActionError, AmiCodec, AmiConnectionLost, Event
from telephony_adapters.ami.messages import Response
from telephony_adapters.asterisk import (
    CHANNEL_VARS,
    DEVICE_REASON,
    AsteriskSettings,
    CallFlows,
    Effects,
    Phase,
    failure_reason,
    parse_skills,
)

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = ROOT / "tests" / "data" / "ami" / "asterisk-20.20.1-server-bytes-filtered.txt"
SETTINGS = AsteriskSettings(secret="s")


def capture() -> list[Event]:
    codec = AmiCodec()
    codec.receive_data(CAPTURE.read_bytes())
    codec.receive_eof()
    return [m for m in codec if isinstance(m, Event)]


def event(name: str, *pairs: tuple[str, str], **fields: str | int) -> Event:
    items = [("Event", name), *pairs, *((k, str(v)) for k, v in fields.items())]
    msg = Event.from_pairs(items)
    assert isinstance(msg, Event)
    return msg


def chan(
    name: str,
    channel: str,
    uid: str,
    state: int = 6,
    variables: dict[str, str] | None = None,
    *extra: tuple[str, str],
    caller: str = "+15550001111",
) -> Event:
    """A channel event in the shape Asterisk sends (ChanVariable lines from channelvars)."""
    pairs = [
        ("Privilege", "call,all"),
        ("Channel", channel),
        ("ChannelState", str(state)),
        ("CallerIDNum", caller),
        ("Context", "acd-hold"),
        ("Uniqueid", uid),
        ("Linkedid", uid),
        *((("ChanVariable", f"{k}={v}")) for k, v in (variables or {}).items()),
        *extra,
    ]
    return event(name, *pairs)


def enqueue(channel: str, uid: str, queue: str = "support", **more: str) -> Event:
    """What ``UserEvent(AcdEnqueue,...)`` in [acd-inbound] sends: the snapshot, then headers."""
    headers = [("UserEvent", "AcdEnqueue"), ("AcdQueue", queue)]
    headers += [(f"Acd{k}", v) for k, v in more.items()]
    return chan("UserEvent", channel, uid, 6, None, *headers)


def originate_response(
    action: Action, ok: bool, channel: str = "", uid: str = "", reason: int = 4
) -> Event:
    assert action.action_id is not None
    return event(
        "OriginateResponse",
        ("Privilege", "call,all"),
        ("ActionID", action.action_id),
        ("Response", "Success" if ok else "Failure"),
        ("Channel", channel or (action.get("Channel") or "")),
        ("Reason", str(reason)),
        ("Uniqueid", uid or "<unknown>"),
    )


def names(effects: Effects) -> list[str]:
    return [a.name for a in effects.actions]


def variables(action: Action) -> dict[str, str]:
    return dict(v.partition("=")[::2] for v in action.get_all("Variable"))


class Agents:
    """The engine's view of agents, as the adapter's lookup gives it to the flows."""

    def __init__(self, **states: tuple[str, str]) -> None:
        self.states = dict(states)

    def __call__(self, agent: str) -> tuple[str, str] | None:
        return self.states.get(agent)


def flows(agents: Agents | None = None, **settings: Any) -> CallFlows:
    cfg = SETTINGS.model_copy(update=settings) if settings else SETTINGS
    return CallFlows(cfg, agent_state=agents or Agents(), id_prefix="t")


class Scripted(CallFlows):
    """Flows whose ActionIDs are given, to meet the capture's own (orig-1, orig-3)."""

    def __init__(self, ids: Iterable[str], **kw: Any) -> None:
        super().__init__(**kw)
        self.script = list(ids)

    def next_action_id(self) -> str:
        return self.script.pop(0) if self.script else super().next_action_id()


CALLER, CALLER_UID = "PJSIP/trunk-00000001", "1795460050.8"
A1_LEG, A1_UID = "PJSIP/a1-00000002", "1795460051.9"
A2_LEG, A2_UID = "PJSIP/a2-00000003", "1795460051.10"


def waiting_call(f: CallFlows) -> None:
    out = f.on_event(enqueue(CALLER, CALLER_UID, Priority="2", Skills="billing:5 lang_fr:7"))
    assert out.events == [
        ev.CallArrived(CALLER_UID, "support", 2, "+15550001111", {"billing": 5, "lang_fr": 7})
    ]


def offer(f: CallFlows, agent: str = "a1", ring: float = 15.0, **kw: Any) -> Action:
    out = f.on_command(OfferCall(CALLER_UID, agent, ring, **kw))
    assert names(out) == ["Originate"] and not out.events
    return out.actions[0]


def agent_tags(action: Action, agent: str = "a1") -> dict[str, str]:
    v = variables(action)
    return {k: v[k] for k in ("ACD_CALL_ID", "ACD_ROLE", "ACD_AGENT", "ACD_OFFER_ID")}


def connect(f: CallFlows) -> Action:
    waiting_call(f)
    orig = offer(f)
    assert not f.on_event(chan("Newchannel", A1_LEG, A1_UID, 0, agent_tags(orig)))
    out = f.on_event(chan("Newstate", A1_LEG, A1_UID, 6, agent_tags(orig)))
    assert out.events == [ev.AgentAnswered(CALLER_UID, "a1")]
    assert not f.on_event(originate_response(orig, True, A1_LEG, A1_UID))  # already answered
    return orig


# --------------------------------------------------------------------------- the capture


def test_capture_traffic_not_ours_is_ignored() -> None:
    f = flows()
    for msg in capture():
        assert not f.on_event(msg), msg
    assert not f.legs and not f.calls and not f.doomed


def test_capture_trunk_caller_is_taken_up_then_hangs_up() -> None:
    """The capture's sipp call into the queue, with our dialplan's AcdEnqueue where it joined."""
    f = flows()
    got: list[ev.Event] = []
    for msg in capture():
        got += f.on_event(msg).events
        if msg.name == "QueueCallerJoin" and msg.get("Uniqueid") == "1795460050.8":
            snapshot = [
                (k, v) for k, v in msg.items() if k not in ("Event", "Queue", "Position", "Count")
            ]
            headers = [("UserEvent", "AcdEnqueue"), ("AcdQueue", "support"), ("AcdPriority", "0")]
            got += f.on_event(event("UserEvent", *snapshot, *headers)).events
    assert got == [
        ev.CallArrived("1795460050.8", "support", 0, "sipp"),
        ev.CallHungUp("1795460050.8", "caller"),
    ]
    assert not f.calls and not f.legs


@pytest.mark.parametrize("amd", [False, True])
def test_capture_originate_responses(amd: bool) -> None:
    """orig-1 (answered, hung up 5 s later) and orig-3 (Failure, Reason 0, no leg of ours)."""
    f = Scripted(["orig-1", "orig-3"], settings=SETTINGS.model_copy(update={"amd": amd}))
    assert names(f.on_command(Originate("o1", "5550001", ring_timeout=20))) == ["Originate"]
    assert names(f.on_command(Originate("o3", "5550003", ring_timeout=20))) == ["Originate"]
    got = [e for msg in capture() for e in f.on_event(msg).events]
    first = [
        ev.OutboundPickedUp("o1"),
        ev.OutboundAnswered("o1", machine=False),
        ev.CallHungUp("o1", "caller"),
    ]
    if amd:  # answered, gone before AMD decided
        first = [ev.OutboundPickedUp("o1"), ev.OutboundFailed("o1", "no_answer")]
    assert got == [*first, ev.OutboundFailed("o3", "failed")]
    assert not f.calls and not f.pending


def test_capture_agent_phone_unregisters_pauses_once_then_ready() -> None:
    agents = Agents(agent1=("ready", ""))
    f = flows(agents, agent_device="SIP/{agent_id}")
    got = [e for msg in capture() for e in f.on_event(msg).events]
    assert got == [ev.AgentPause("agent1", DEVICE_REASON)]  # PeerStatus, then DeviceStateChange
    agents.states["agent1"] = ("paused", DEVICE_REASON)
    back = event("PeerStatus", ("Peer", "SIP/agent1"), ("PeerStatus", "Registered"))
    assert f.on_event(back).events == [ev.AgentReady("agent1")]


# --------------------------------------------------------------------------- devices


def device(dev: str, state: str) -> Event:
    return event("DeviceStateChange", ("Device", dev), ("State", state))


def test_device_unavailable_keeps_the_agents_own_pause() -> None:
    agents = Agents(a1=("paused", "lunch"), a2=("logged_out", ""), a3=("on_call", ""))
    f = flows(agents)
    assert not f.on_event(device("PJSIP/a1", "UNAVAILABLE"))
    assert not f.on_event(device("PJSIP/a1", "NOT_INUSE"))
    assert not f.on_event(device("PJSIP/a2", "INVALID"))
    assert f.on_event(device("PJSIP/a3", "UNAVAILABLE")).events == [
        ev.AgentPause("a3", DEVICE_REASON)
    ]
    assert not f.on_event(device("PJSIP/a3", "UNAVAILABLE"))  # once
    agents.states["a3"] = ("paused", "break")  # the agent chose a pause meanwhile
    assert not f.on_event(device("PJSIP/a3", "NOT_INUSE"))
    assert not f.on_event(device("PJSIP/a3", "UNKNOWN"))
    assert not f.on_event(device("Queue:support", "UNAVAILABLE"))


def test_device_pause_pending_on_a_call() -> None:
    agents = Agents(a1=("on_call", ""), a2=("on_call", "lunch"))
    f = flows(agents)
    assert f.on_event(device("PJSIP/a1", "UNAVAILABLE")).events == [
        ev.AgentPause("a1", DEVICE_REASON)
    ]
    agents.states["a1"] = ("on_call", DEVICE_REASON)  # pending until the call ends
    assert f.on_event(device("PJSIP/a1", "INUSE")).events == [ev.AgentReady("a1")]  # cancels it
    assert not f.on_event(device("PJSIP/a2", "UNAVAILABLE"))  # the agent's own pending pause


def test_device_templates_and_overrides() -> None:
    f = flows(agent_device="SIP/{agent_id}@agents", agent_devices={"boss": "PJSIP/1001"})
    assert f.agent_for("SIP/a7@agents") == "a7"
    assert f.agent_for("PJSIP/1001") == "boss"
    assert f.agent_for("SIP/boss@agents") is None  # boss rings elsewhere
    assert f.agent_for("SIP/a7") is None
    assert f.settings.device_for("boss") == "PJSIP/1001"
    assert f.settings.device_for("a7") == "SIP/a7@agents"


# --------------------------------------------------------------------------- inbound


def test_offer_is_an_async_originate_into_the_agent_context() -> None:
    f = flows()
    waiting_call(f)
    orig = offer(f, ring=12.5)
    assert orig.get("Channel") == "PJSIP/a1"
    assert (orig.get("Context"), orig.get("Exten"), orig.get("Priority")) == ("acd-agent", "s", "1")
    assert (orig.get("Timeout"), orig.get("Async")) == ("12500", "true")
    assert orig.get("CallerID") == '"support" <+15550001111>'
    assert variables(orig) == {
        "ACD_CALL_ID": CALLER_UID,
        "ACD_ROLE": "agent",
        "ACD_AGENT": "a1",
        "ACD_OFFER_ID": orig.action_id,
        "ACD_PEER": CALLER,
    }
    auto = flows(auto_answer_variables={"PJSIP_HEADER(add,Call-Info)": "answer-after=0"})
    waiting_call(auto)
    hdr = variables(offer(auto, auto_answer=True))
    assert hdr["PJSIP_HEADER(add,Call-Info)"] == "answer-after=0"


def test_inbound_answered_bridged_then_caller_hangs_up() -> None:
    f = flows()
    connect(f)
    bridge = ("BridgeUniqueid", "b-1")
    assert not f.on_event(chan("BridgeEnter", CALLER, CALLER_UID, 6, None, bridge))
    assert not f.on_event(chan("BridgeEnter", A1_LEG, A1_UID, 6, None, bridge))
    out = f.on_event(chan("Hangup", CALLER, CALLER_UID, 6, None, ("Cause", "16")))
    assert out.events == [ev.CallHungUp(CALLER_UID, "caller")]
    assert names(out) == ["Hangup"] and out.actions[0].get("Channel") == A1_LEG
    assert not f.on_event(chan("Hangup", A1_LEG, A1_UID, 6, None, ("Cause", "16")))
    assert not f.calls and not f.legs and not f.doomed


def test_agent_hangs_up_while_connected() -> None:
    f = flows()
    connect(f)
    out = f.on_event(chan("Hangup", A1_LEG, A1_UID, 6, None, ("Cause", "16")))
    assert out.events == [ev.CallHungUp(CALLER_UID, "agent")]
    assert [a.get("Channel") for a in out.actions] == [CALLER]


@pytest.mark.parametrize(
    ("reason", "cause", "outcome"),
    [
        (3, 0, "no_answer"),
        (5, 0, "busy"),
        (8, 0, "failed"),
        (0, 17, "busy"),
        (0, 19, "no_answer"),
        (0, 0, "failed"),
    ],
)
def test_offer_failures(reason: int, cause: int, outcome: str) -> None:
    f = flows()
    waiting_call(f)
    orig = offer(f)
    f.on_event(chan("Newchannel", A1_LEG, A1_UID, 5, agent_tags(orig)))
    if cause:
        assert not f.on_event(chan("Hangup", A1_LEG, A1_UID, 5, None, ("Cause", str(cause))))
    out = f.on_event(originate_response(orig, False, reason=reason))
    assert out.events == [ev.OfferFailed(CALLER_UID, "a1", outcome)]
    assert f.calls[CALLER_UID].phase is Phase.WAITING and not f.calls[CALLER_UID].offers


def test_failure_reason_table() -> None:
    assert [failure_reason(r) for r in (0, 1, 3, 4, 5, 8)] == [
        "failed",
        "no_answer",
        "no_answer",
        "failed",
        "busy",
        "failed",
    ]
    assert failure_reason(0, 17) == "busy" and failure_reason(0, 21) == "no_answer"


def test_cancel_hangs_up_the_leg_whenever_it_shows() -> None:
    f = flows()
    waiting_call(f)
    first = offer(f)
    # Cancelled before sending: the Originate is not sent at all.
    assert not f.on_command(CancelOffer(CALLER_UID, "a1", "no_answer"))
    assert not f.should_send(first)
    # Cancelled while ringing, leg not seen yet: hung up when its variables arrive.
    second = offer(f)
    assert f.should_send(second)
    assert not f.on_command(CancelOffer(CALLER_UID, "a1", "no_answer"))
    out = f.on_event(chan("Newstate", A1_LEG, A1_UID, 5, agent_tags(second)))
    assert names(out) == ["Hangup"] and out.actions[0].get("Channel") == A1_LEG
    assert not f.on_event(chan("Hangup", A1_LEG, A1_UID, 5))
    assert not f.on_event(originate_response(second, False, reason=1))  # no OfferFailed
    # Cancelled with the leg known: hung up at once; a late answer of it changes nothing.
    third = offer(f)
    f.on_event(chan("Newstate", A2_LEG, A2_UID, 5, agent_tags(third)))
    out = f.on_command(CancelOffer(CALLER_UID, "a1", "abandoned"))
    assert [a.get("Channel") for a in out.actions] == [A2_LEG]
    assert not f.on_event(originate_response(third, True, A2_LEG, A2_UID))
    # A success for a cancelled offer whose leg we never saw: that leg is hung up.
    fourth = offer(f)
    f.on_command(CancelOffer(CALLER_UID, "a1", "no_answer"))
    out = f.on_event(originate_response(fourth, True, "PJSIP/a1-0000000f", "99.1"))
    assert [a.get("Channel") for a in out.actions] == ["PJSIP/a1-0000000f"]
    assert not out.events


def test_ring_all_second_answer_is_hung_up() -> None:
    f = flows()
    waiting_call(f)
    o1, o2 = offer(f, "a1"), offer(f, "a2")
    f.on_event(chan("Newstate", A1_LEG, A1_UID, 5, agent_tags(o1)))
    f.on_event(chan("Newstate", A2_LEG, A2_UID, 5, agent_tags(o2)))
    assert f.on_event(chan("Newstate", A1_LEG, A1_UID, 6)).events == [
        ev.AgentAnswered(CALLER_UID, "a1")
    ]
    out = f.on_event(chan("Newstate", A2_LEG, A2_UID, 6))
    assert not out.events and [a.get("Channel") for a in out.actions] == [A2_LEG]


def test_refused_answer_hangs_up_the_stray_leg() -> None:
    f = flows()
    connect(f)
    refusal = IllegalTransition("agent", "a1", "ready", "answer")
    out = f.on_refused(ev.AgentAnswered(CALLER_UID, "a1"), refusal)
    assert [a.get("Channel") for a in out.actions] == [A1_LEG]
    assert f.calls[CALLER_UID].phase is Phase.WAITING
    # The engine no longer has the call at all: every leg goes.
    g = flows()
    connect(g)
    out = g.on_refused(ev.AgentAnswered(CALLER_UID, "a1"), UnknownEntity("call", CALLER_UID))
    assert sorted(a.get("Channel") or "" for a in out.actions) == sorted([CALLER, A1_LEG])
    assert not g.calls


def test_refused_arrival_hangs_up_the_caller() -> None:
    f = flows()
    waiting_call(f)
    out = f.on_refused(ev.CallArrived(CALLER_UID, "support"), UnknownEntity("queue", "support"))
    assert [a.get("Channel") for a in out.actions] == [CALLER] and not f.calls


def test_enqueue_is_taken_once_and_needs_a_queue() -> None:
    f = flows()
    waiting_call(f)
    assert not f.on_event(enqueue(CALLER, CALLER_UID))
    assert not f.on_event(enqueue("PJSIP/trunk-9", "9.9", queue=""))
    bad = f.on_event(enqueue("PJSIP/trunk-8", "8.8", Priority="high", Skills="x:11 ok:3"))
    assert bad.events == [ev.CallArrived("8.8", "support", 0, "+15550001111", {"ok": 3})]


def test_parse_skills() -> None:
    assert parse_skills("billing:5, tech:3|lang_fr:7;vip") == {
        "billing": 5,
        "tech": 3,
        "lang_fr": 7,
        "vip": 1,
    }
    assert parse_skills("") == {} and parse_skills("a:0 b:x") == {}


def test_hangup_and_transfer_commands() -> None:
    f = flows()
    waiting_call(f)
    assert not f.on_command(MoveToQueue(CALLER_UID, "sales"))  # on hold: nothing on the PBX
    assert f.calls[CALLER_UID].queue == "sales"
    orig = offer(f)
    f.on_event(chan("Newstate", A1_LEG, A1_UID, 6, agent_tags(orig)))
    out = f.on_command(MoveToQueue(CALLER_UID, "support"))  # back from the agent to hold
    assert names(out) == ["Hangup", "Redirect"]
    assert out.actions[1].get("Context") == "acd-hold" and out.actions[1].get("Channel") == CALLER
    assert not f.on_event(chan("Hangup", A1_LEG, A1_UID, 6))  # expected: no CallHungUp(agent)
    out = f.on_command(HangUp(CALLER_UID, "max wait"))
    assert [a.get("Channel") for a in out.actions] == [CALLER]
    assert not f.on_event(chan("Hangup", CALLER, CALLER_UID, 6))
    assert not f.on_command(HangUp(CALLER_UID, "again"))


def test_unknown_channels_and_commands_are_ignored() -> None:
    f = flows()
    assert not f.on_event(chan("Hangup", "PJSIP/x-1", "1.1"))
    assert not f.on_event(chan("Newstate", "PJSIP/x-1", "1.1", 6, {"OTHER": "1"}))
    assert not f.on_command(OfferCall("nope", "a1", 10))
    assert not f.on_command(CancelOffer("nope", "a1", "x"))
    assert not f.on_command(PlayMessage("nope", "hello"))
    assert not f.on_event(
        event("OriginateResponse", ("ActionID", "someone-else"), ("Response", "Success"))
    )


# --------------------------------------------------------------------------- outbound


def outbound(f: CallFlows, call: str = "o1", number: str = "+15551230000") -> Action:
    out = f.on_command(Originate(call, number, caller_id="+15559990000", ring_timeout=25))
    assert names(out) == ["Originate"]
    return out.actions[0]


def test_originate_once_to_the_trunk() -> None:
    f = flows()
    orig = outbound(f)
    assert orig.get("Channel") == "PJSIP/+15551230000@trunk"
    assert (orig.get("Context"), orig.get("Timeout"), orig.get("Async")) == (
        "acd-outbound",
        "25000",
        "true",
    )
    assert orig.get("CallerID") == "+15559990000"
    assert variables(orig) == {"ACD_CALL_ID": "o1", "ACD_ROLE": "outbound"}
    assert not f.on_command(Originate("o1", "+15551230000", ring_timeout=25))  # never twice
    bad = f.on_command(Originate("o2", "123&PJSIP/evil", ring_timeout=25))
    assert bad.events == [ev.OutboundFailed("o2", "failed")] and not bad.actions


LEG, LEG_UID = "PJSIP/trunk-00000007", "1795460060.20"


@pytest.mark.parametrize("how", ["varset", "chanvariable", "userevent"])
@pytest.mark.parametrize("status", ["HUMAN", "MACHINE", "NOTSURE"])
def test_outbound_answer_waits_for_amd(how: str, status: str) -> None:
    f = flows()
    orig = outbound(f)
    tags = {"ACD_CALL_ID": "o1", "ACD_ROLE": "outbound"}
    assert not f.on_event(chan("Newstate", LEG, LEG_UID, 5, tags))
    # Answered: the 2-second rule starts now, while AMD() runs.
    assert f.on_event(chan("Newstate", LEG, LEG_UID, 6, tags)).events == [ev.OutboundPickedUp("o1")]
    assert not f.on_event(originate_response(orig, True, LEG, LEG_UID))
    assert f.calls["o1"].phase is Phase.AMD
    if how == "varset":
        msg = chan("VarSet", LEG, LEG_UID, 6, None, ("Variable", "AMDSTATUS"), ("Value", status))
    elif how == "chanvariable":
        msg = chan("Newstate", LEG, LEG_UID, 6, {**tags, "AMDSTATUS": status})
    else:
        msg = chan(
            "UserEvent", LEG, LEG_UID, 6, tags, ("UserEvent", "AcdAmd"), ("AmdStatus", status)
        )
    assert f.on_event(msg).events == [ev.OutboundAnswered("o1", machine=status == "MACHINE")]
    assert not f.on_event(msg)  # once


@pytest.mark.parametrize(
    ("reason", "cause", "outcome"), [(3, 19, "no_answer"), (5, 17, "busy"), (0, 0, "failed")]
)
def test_outbound_failures(reason: int, cause: int, outcome: str) -> None:
    f = flows()
    orig = outbound(f)
    if cause:
        f.on_event(
            chan("Newchannel", LEG, LEG_UID, 0, {"ACD_CALL_ID": "o1", "ACD_ROLE": "outbound"})
        )
        assert not f.on_event(chan("Hangup", LEG, LEG_UID, 5, None, ("Cause", str(cause))))
    assert f.on_event(originate_response(orig, False, reason=reason)).events == [
        ev.OutboundFailed("o1", outcome)
    ]
    assert not f.calls and not f.legs


def test_amd_off_reports_a_person_at_the_answer() -> None:
    f = flows(amd=False)
    orig = outbound(f)
    out = f.on_event(originate_response(orig, True, LEG, LEG_UID))
    assert out.events == [ev.OutboundPickedUp("o1"), ev.OutboundAnswered("o1", machine=False)]


def test_refused_outbound_answer_hangs_up_the_leg() -> None:
    f = flows(amd=False)
    orig = outbound(f)
    f.on_event(originate_response(orig, True, LEG, LEG_UID))
    out = f.on_refused(ev.OutboundAnswered("o1"), UnknownEntity("call", "o1"))
    assert [a.get("Channel") for a in out.actions] == [LEG]


def test_message_then_hangup_lets_the_message_finish() -> None:
    f = flows(amd=False, messages={"safe harbor": "custom/safe-harbor"})
    orig = outbound(f)
    f.on_event(originate_response(orig, True, LEG, LEG_UID))
    out = f.on_command(PlayMessage("o1", "safe harbor"))
    assert [(a.name, a.get("Variable"), a.get("Value"), a.get("Context")) for a in out.actions] == [
        ("Setvar", "ACD_MESSAGE", "custom/safe-harbor", None),
        ("Setvar", "ACD_AFTER_PLAY", "hold", None),
        ("Redirect", None, None, "acd-play"),
    ]
    out = f.on_command(HangUp("o1", "abandoned"))
    assert [(a.name, a.get("Value")) for a in out.actions] == [("Setvar", "hangup")]
    # The play context reached the end before our Setvar: we hang up ourselves.
    played = chan("UserEvent", LEG, LEG_UID, 6, None, ("UserEvent", "AcdPlayed"), ("After", "hold"))
    out = f.on_event(played)
    assert names(out) == ["Hangup"] and out.actions[0].get("Channel") == LEG
    assert out.events == [ev.MessagePlayed("o1")]  # it played to the end: the engine hears so
    assert not f.on_event(chan("Hangup", LEG, LEG_UID, 6))
    # A message that is no sound file is not played, and the engine is told at once.
    g = flows(amd=False)
    g.on_event(originate_response(outbound(g), True, LEG, LEG_UID))
    out = g.on_command(PlayMessage("o1", "Hello, this is ACME; call us back"))
    assert out.events == [ev.MessagePlayed("o1", complete=False)] and not out.actions


def played_event(after: str) -> Event:
    return chan("UserEvent", LEG, LEG_UID, 6, None, ("UserEvent", "AcdPlayed"), ("After", after))


def safe_harbor_dropped() -> CallFlows:
    """A live answer dropped: the safe-harbor message, then our HangUp (ACD_AFTER_PLAY=hangup)."""
    f = flows(amd=False, messages={"safe harbor": "custom/safe-harbor"})
    f.on_event(originate_response(outbound(f), True, LEG, LEG_UID))
    f.on_command(PlayMessage("o1", "safe harbor"))
    f.on_command(HangUp("o1", "abandoned"))
    return f


def test_the_pbx_confirms_a_safe_harbor_message_played_to_its_end() -> None:
    f = safe_harbor_dropped()
    # [acd-play]: Playback() returned, UserEvent(AcdPlayed,After: hangup), then Hangup().
    out = f.on_event(played_event("hangup"))
    assert out.events == [ev.MessagePlayed("o1")] and not out.actions
    assert not f.on_event(chan("Hangup", LEG, LEG_UID, 6, None, ("Cause", "16")))
    assert not f.after_play and not f.played_for


def test_a_called_party_who_hangs_up_during_the_message_gets_none() -> None:
    f = safe_harbor_dropped()
    # Playback() cut by the hang-up: the dialplan never reaches its UserEvent.
    out = f.on_event(chan("Hangup", LEG, LEG_UID, 6, None, ("Cause", "16")))
    assert out.events == [ev.MessagePlayed("o1", complete=False)] and not out.actions
    assert not f.on_event(played_event("hangup"))  # nothing late turns it into a played one
    assert not f.after_play and not f.played_for


# --------------------------------------------------------------------------- action failures


def test_action_failures() -> None:
    f = flows()
    orig = outbound(f)
    lost = AmiConnectionLost("gone")
    assert f.on_action_failed(orig, lost, sent=False).events == [ev.OutboundFailed("o1", "failed")]
    g = flows()
    orig = outbound(g)
    assert not g.on_action_failed(orig, lost, sent=True)  # may be ringing: left to the resync
    assert "o1" in g.calls
    h = flows()
    waiting_call(h)
    orig = offer(h)
    refusal = AmiActionError(
        "Originate", Response.from_pairs({"Response": "Error", "Message": "nope"})
    )  # type: ignore[arg-type]
    assert h.on_action_failed(orig, refusal, sent=True).events == [
        ev.OfferFailed(CALLER_UID, "a1", "failed")
    ]
    orig = offer(h)
    assert not h.on_action_failed(orig, lost, sent=False)  # the ring time-out moves it on
    h.doomed["x.1"] = "PJSIP/x-1"
    gone = Action("Hangup", Channel="PJSIP/x-1")
    h.on_action_failed(gone, refusal, sent=True)
    assert "x.1" not in h.doomed


# --------------------------------------------------------------------------- resynchronisation


def listed(
    channel: str,
    uid: str,
    state: int = 6,
    variables: dict[str, str] | None = None,
    bridge: str = "",
    context: str = "acd-hold",
) -> Event:
    """A CoreShowChannel item, as the emulator and Asterisk's manager.c send it."""
    pairs = [
        ("ActionID", "t-resync"),
        ("Channel", channel),
        ("ChannelState", str(state)),
        ("CallerIDNum", "+15550002222"),
        ("Context", context),
        ("Uniqueid", uid),
        *(("ChanVariable", f"{k}={v}") for k, v in (variables or {}).items()),
        ("BridgeId", bridge),
    ]
    return event("CoreShowChannel", *pairs)


def test_resync_ends_vanished_calls_and_takes_up_new_callers() -> None:
    f = flows()
    waiting_call(f)
    mark = f.resync_mark()
    out = f.resync(
        [
            listed("PJSIP/trunk-2", "2.2", 6, {"ACD_QUEUE": "sales", "ACD_PRIORITY": "4"}),
            listed("PJSIP/trunk-3", "3.3", 6, {"ACD_QUEUE": "sales"}, bridge="b-9"),  # talking
            listed("PJSIP/other-4", "4.4", 6, {}),
        ],
        mark,
    )
    assert out.events == [
        ev.CallHungUp(CALLER_UID, "caller"),
        ev.CallArrived("2.2", "sales", 4, "+15550002222"),
    ]
    assert set(f.calls) == {"2.2"}


def test_resync_trusts_events_newer_than_the_snapshot() -> None:
    f = flows()
    mark = f.resync_mark()
    waiting_call(f)  # arrived while CoreShowChannels was under way
    assert not f.resync([], mark)
    assert CALLER_UID in f.calls


def test_resync_reconciles_lost_originate_results_without_resending() -> None:
    f = flows()
    answered, lost = outbound(f, "o1"), outbound(f, "o2", "+15551230002")
    waiting_call(f)
    ringing = offer(f, "a1")
    missing = offer(f, "a2")
    mark = f.resync_mark()
    tags = {"ACD_CALL_ID": "o1", "ACD_ROLE": "outbound", "AMDSTATUS": "MACHINE"}
    out = f.resync(
        [
            listed(LEG, LEG_UID, 6, tags),
            listed(CALLER, CALLER_UID, 6, {"ACD_QUEUE": "support"}),
            listed(A1_LEG, A1_UID, 6, agent_tags(ringing)),  # answered while we were away
        ],
        mark,
    )
    assert out.events == [
        ev.OutboundPickedUp("o1"),
        ev.OutboundAnswered("o1", machine=True),
        ev.OutboundFailed("o2", "failed"),
        ev.AgentAnswered(CALLER_UID, "a1"),
        ev.OfferFailed(CALLER_UID, "a2", "failed"),
    ]
    assert not out.actions  # nothing is originated again
    assert lost.action_id not in f.pending and answered.action_id not in f.pending
    assert missing.action_id not in f.pending


def test_resync_hangs_up_leftovers() -> None:
    f = flows()
    connect(f)
    f.on_command(HangUp(CALLER_UID, "supervisor"))  # our Hangup actions were lost
    stray = {"ACD_CALL_ID": "old", "ACD_ROLE": "agent", "ACD_AGENT": "a9", "ACD_OFFER_ID": "x-1"}
    mark = f.resync_mark()
    out = f.resync(
        [
            listed(CALLER, CALLER_UID, 6, {"ACD_QUEUE": "support"}, bridge="b-1"),
            listed(A1_LEG, A1_UID, 6, None, bridge="b-1"),
            listed("PJSIP/a9-00000001", "9.1", 5, stray),  # a previous run's offer, ringing
            listed("PJSIP/a8-00000001", "8.1", 6, {**stray, "ACD_AGENT": "a8"}, bridge="b-2"),
        ],
        mark,
    )
    assert not out.events
    assert sorted(a.get("Channel") or "" for a in out.actions) == sorted(
        [CALLER, A1_LEG, "PJSIP/a9-00000001"]
    )


def test_resync_ends_a_conversation_whose_agent_leg_vanished() -> None:
    f = flows()
    connect(f)
    mark = f.resync_mark()
    out = f.resync([listed(CALLER, CALLER_UID, 6, {"ACD_QUEUE": "support"}, bridge="b-1")], mark)
    assert out.events == [ev.CallHungUp(CALLER_UID, "agent")]
    assert [a.get("Channel") for a in out.actions] == [CALLER]


# --------------------------------------------------------------------------- the deploy kit


def test_deploy_kit_matches_the_flows() -> None:
    """manager.conf lists the variables the flows read; extensions.conf has every context the
    adapter names and raises the UserEvents with the headers the flows read."""
    kit = ROOT / "deploy" / "asterisk"
    manager = (kit / "manager.conf").read_text()
    (line,) = [x for x in manager.splitlines() if x.startswith("channelvars")]
    assert tuple(v.strip() for v in line.split("=", 1)[1].split(",")) == CHANNEL_VARS
    dialplan = (kit / "extensions.conf").read_text()
    contexts = set(re.findall(r"^\[([\w.-]+)\]", dialplan, re.M))
    # Reached from the dialplan only: the phones' codes, and the callback digit in [acd-hold].
    features = {"acd-features", "acd-feature", "acd-callback"}
    assert contexts == {
        "globals",
        "acd-inbound",
        *features,
        *SETTINGS.contexts.model_dump().values(),
    }
    for needle in (
        "UserEvent(AcdEnqueue,AcdQueue: ${ACD_QUEUE},AcdPriority: ${ACD_PRIORITY},AcdSkills:",
        "UserEvent(AcdAmd,AmdStatus: ${AMDSTATUS}",
        "UserEvent(AcdPlayed,After: ${ACD_AFTER_PLAY})",
        "UserEvent(AcdCallback,Number: ${CB_NUM})",
        'GotoIf($["${ACD_CALLBACK}" = "1"]?digits)',
        "Bridge(${ACD_PEER},F(acd-hold^s^1))",
        "Playback(${ACD_MESSAGE})",
    ):
        assert needle in dialplan, needle
    trunk = (kit / "pjsip-trunk.conf.example").read_text()
    assert "context = acd-inbound" in trunk and SETTINGS.outbound_channel.endswith("@trunk")


def test_a_busy_dials_leg_reported_after_its_failure_gets_no_hangup() -> None:
    """As seen on a real Asterisk 20: the OriginateResponse failure (busy) comes before the
    leg's own events; the PBX ends that leg itself, so no Hangup action is sent for it."""
    f = flows()
    orig = outbound(f)
    tags = {"ACD_CALL_ID": "o1", "ACD_ROLE": "outbound"}
    assert f.on_event(originate_response(orig, False, reason=5)).events == [
        ev.OutboundFailed("o1", "busy")
    ]
    late = [
        chan("Newchannel", LEG, LEG_UID, 0, tags),
        chan("Newstate", LEG, LEG_UID, 5, tags),
        event("DialBegin", ("Uniqueid", LEG_UID), ("DestChannel", LEG)),
        chan("Hangup", LEG, LEG_UID, 5, tags, ("Cause", "17")),
    ]
    for msg in late:
        assert names(f.on_event(msg)) == [], msg
    assert not f.calls and not f.legs


def test_a_campaign_without_amd_is_routed_at_the_answer() -> None:
    """``amd: off`` on the campaign: the Originate tells the dialplan to skip AMD(), and the
    answer is a person at once, whatever the adapter's default."""
    f = flows(amd=True)
    out = f.on_command(Originate("o1", "+15551230000", ring_timeout=25, amd=False))
    assert variables(out.actions[0])["ACD_AMD"] == "off"
    tags = {"ACD_CALL_ID": "o1", "ACD_ROLE": "outbound"}
    got = f.on_event(chan("Newstate", LEG, LEG_UID, 6, tags)).events
    assert got == [ev.OutboundPickedUp("o1"), ev.OutboundAnswered("o1", machine=False)]


def test_the_ivrs_acd_headers_reach_the_call_and_ours_do_not() -> None:
    f = flows()
    msg = chan(
        "UserEvent",
        "PJSIP/trunk-7",
        "7.7",
        6,
        {"ACD_QUEUE": "support"},
        ("UserEvent", "AcdEnqueue"),
        ("AcdQueue", "support"),
        ("ACD_ACCOUNT", "A-1001"),
        ("ACD_REASON", ""),  # the dialplan set nothing: left out
        ("ACD_QUEUE", "support"),
    )
    out = f.on_event(msg)
    (arrived,) = out.events
    assert isinstance(arrived, ev.CallArrived)
    assert dict(arrived.attributes) == {"account": "A-1001"}


def test_the_kits_amd_is_tuned_as_documented() -> None:
    """extensions.conf calls AMD() with its own arguments (not amd.conf's 5 s worst case), and
    docs/asterisk.md's table names the same nine values in AMD()'s order."""
    dialplan = (ROOT / "deploy" / "asterisk" / "extensions.conf").read_text()
    (line,) = re.findall(r"^ACD_AMD_PARAMS=(.*)$", dialplan, re.M)
    kit = [int(v) for v in line.split(",")]
    assert " same => n,AMD(${ACD_AMD_PARAMS})" in dialplan
    doc = (ROOT / "docs" / "asterisk.md").read_text()
    section = doc.split("## Answering-machine detection", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (\d+)", section, re.M)
    names = [
        "initialSilence",
        "greeting",
        "afterGreetingSilence",
        "totalAnalysisTime",
        "minimumWordLength",
        "betweenWordsSilence",
        "maximumNumberOfWords",
        "silenceThreshold",
        "maximumWordLength",
    ]
    assert [n for n, _ in rows] == names
    assert [int(v) for _, v in rows] == kit
    got = dict(zip(names, kit, strict=True))
    # A person's verdict soon after the greeting; no verdict after 3 s; a silent line within 2 s.
    assert got["afterGreetingSilence"] <= 500 and got["totalAnalysisTime"] <= 3000
    assert got["initialSilence"] <= 2000


def test_resync_after_a_lost_acdplayed() -> None:
    """The link went down during a safe-harbor message: a caller found back in acd-hold heard
    it out (confirmed, and hung up); one gone meanwhile may not have (no word)."""
    f = safe_harbor_dropped()
    out = f.resync([listed(LEG, LEG_UID, 6, None, context="acd-hold")], f.resync_mark())
    assert out.events == [ev.MessagePlayed("o1")]
    assert names(out) == ["Hangup"] and not f.played_for
    g = safe_harbor_dropped()
    assert not g.resync([], g.resync_mark())
    assert not g.after_play and not g.played_for
