"""The call flows, outbound and after: dials and AMD, safe-harbor messages, action failures,
resynchronisation after a cut, and the deploy kit against the flows (sans-I/O, as
``test_flows.py``)."""

import re

import pytest

from acd import events as ev
from acd.commands import HangUp, Originate, PlayMessage
from acd.errors import UnknownEntity
from telephony_adapters.ami import Action, AmiActionError, AmiConnectionLost, Event
from telephony_adapters.ami.messages import Response
from telephony_adapters.asterisk import (
    CHANNEL_VARS,
    CallFlows,
    Phase,
)
from tests.asterisk.flowkit import (
    A1_LEG,
    A1_UID,
    CALLER,
    CALLER_UID,
    ROOT,
    SETTINGS,
    agent_tags,
    chan,
    connect,
    event,
    flows,
    names,
    offer,
    originate_response,
    variables,
    waiting_call,
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
