"""The call flows, sans-I/O: AMI events in, engine events out; commands in, actions out.

Replays of the real Asterisk 20 capture (``tests/data/ami/``) check that traffic not ours is
ignored and that the capture's own OriginateResponse, Hangup, PeerStatus and DeviceStateChange
lines map as the design says; synthetic events in the capture's shapes cover the rest.
"""

from __future__ import annotations

import pytest

from acd import events as ev
from acd.commands import CancelOffer, HangUp, MoveToQueue, OfferCall, Originate, PlayMessage
from acd.errors import IllegalTransition, UnknownEntity
from telephony_adapters.ami import Event
from telephony_adapters.asterisk import (
    DEVICE_REASON,
    Phase,
    failure_reason,
    parse_skills,
)
from tests.asterisk.flowkit import (
    A1_LEG,
    A1_UID,
    A2_LEG,
    A2_UID,
    CALLER,
    CALLER_UID,
    SETTINGS,
    Agents,
    Scripted,
    agent_tags,
    capture,
    chan,
    connect,
    enqueue,
    event,
    flows,
    names,
    offer,
    originate_response,
    variables,
    waiting_call,
)

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
