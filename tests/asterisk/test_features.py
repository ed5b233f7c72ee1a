"""Phone feature codes: ``UserEvent(AcdFeature,...)`` from [acd-features] becomes the engine
event the REST API would submit (log in/out, pause/unpause, pause reasons, dispositions).

The real Asterisk 20 capture of an agent's phone dialling ``*45`` and ``*461``
(``tests/data/ami/asterisk-20.20.1-feature-codes.txt``) is replayed whole; the emulator tests
send the UserEvent as the project's dialplan raises it, with its ``Arg`` and ``Pin`` headers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from acd import events as ev
from acd.config.schema import Config
from acd.engine import Engine
from acd.states import AgentState
from telephony_adapters.ami import AmiCodec, Event
from telephony_adapters.asterisk import AsteriskSettings, CallFlows
from telephony_adapters.asterisk.pins import check_pin, hash_pin
from tests.asterisk.test_adapter import running

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = ROOT / "tests" / "data" / "ami" / "asterisk-20.20.1-feature-codes.txt"
FEATURES = {"pause_reasons": {"1": "lunch", "2": "training"}, "dispositions": {"3": "sale"}}
PIN = hash_pin("2468", salt=b"0123456789abcdef", n=2**4)  # a cheap cost for tests only


def settings(**more: Any) -> AsteriskSettings:
    base = {"secret": "s", "agent_device": "SIP/{agent_id}", "features": FEATURES}
    return AsteriskSettings.model_validate(base | more)


def flows(states: dict[str, tuple[str, str]], **more: Any) -> CallFlows:
    return CallFlows(settings(**more), agent_state=states.get, id_prefix="t")


def capture() -> list[Event]:
    codec = AmiCodec()
    codec.receive_data(CAPTURE.read_bytes())
    codec.receive_eof()
    return [m for m in codec if isinstance(m, Event)]


def feature(code: str, arg: str = "", device: str = "agent1", pin: str | None = None) -> Event:
    """The UserEvent as [acd-feature] raises it (after the channel's snapshot)."""
    pairs = [
        ("Event", "UserEvent"),
        ("Privilege", "user,all"),
        ("Channel", f"SIP/{device}-0000002a"),
        ("ChannelState", "6"),
        ("Context", "acd-feature"),
        ("Exten", "s"),
        ("Uniqueid", "1796193600.50"),
        ("UserEvent", "AcdFeature"),
        ("Code", code),
        ("Arg", arg),
        ("Device", device),
    ]
    if pin is not None:
        pairs.append(("Pin", pin))
    msg = Event.from_pairs(pairs)
    assert isinstance(msg, Event)
    return msg


def events_of(f: CallFlows, *msgs: Event) -> list[ev.Event]:
    return [e for m in msgs for e in f.on_event(m).events]


def test_the_real_capture_logs_agent1_in_then_pauses_it_for_lunch() -> None:
    """The whole capture: REGISTER, *45 and *461 from agent1's phone, un-REGISTER. Only the two
    AcdFeature UserEvents mean something; agent1 is logged out, then (the engine having logged
    it in) ready, then paused for lunch, so the un-REGISTER at the end (device unavailable) leaves
    its own pause alone."""
    states = {"agent1": ("logged_out", "")}
    f = flows(states)
    out: list[ev.Event] = []
    for msg in capture():
        got = f.on_event(msg).events
        out += got
        for e in got:  # what the engine does with them
            if isinstance(e, ev.AgentLogin):
                states["agent1"] = ("ready", "")
            elif isinstance(e, ev.AgentPause):
                states["agent1"] = ("paused", e.reason)
    assert out == [ev.AgentLogin("agent1"), ev.AgentPause("agent1", "lunch")]


@pytest.mark.parametrize(
    ("state", "code", "arg", "want"),
    [
        ("logged_out", "45", "", ev.AgentLogin("agent1")),
        ("ready", "45", "", ev.AgentLogout("agent1")),
        ("paused", "45", "", ev.AgentLogout("agent1")),
        ("ready", "46", "", ev.AgentPause("agent1", "break")),
        ("wrap_up", "46", "", ev.AgentPause("agent1", "break")),
        ("paused", "46", "", ev.AgentReady("agent1")),
        ("ready", "46", "2", ev.AgentPause("agent1", "training")),
        ("wrap_up", "47", "3", ev.SetDisposition("agent1", "sale")),
    ],
)
def test_codes_toggle_and_map_digits(state: str, code: str, arg: str, want: ev.Event) -> None:
    f = flows({"agent1": (state, "")})
    assert events_of(f, feature(code, arg)) == [want]


@pytest.mark.parametrize(
    ("code", "arg", "device"),
    [
        ("46", "9", "agent1"),  # no reason for digit 9
        ("47", "1", "agent1"),  # 1 is a pause reason, not a disposition
        ("47", "", "agent1"),  # a disposition needs its digit
        ("45", "1", "agent1"),  # *45 takes no digit
        ("48", "", "agent1"),  # not a code of ours
        ("45", "", "stranger"),  # a device no agent has
    ],
)
def test_unknown_codes_digits_and_devices_are_ignored(code: str, arg: str, device: str) -> None:
    # "stranger" would match the template: an override gives that agent another device.
    f = flows(
        {"agent1": ("ready", "")},
        agent_devices={"stranger": "SIP/someone-else"},
    )
    assert events_of(f, feature(code, arg, device)) == []


def test_a_per_agent_device_override_is_matched_by_its_peer_name() -> None:
    f = flows({"boss": ("logged_out", "")}, agent_devices={"boss": "SIP/1001"})
    assert events_of(f, feature("45", device="1001")) == [ev.AgentLogin("boss")]


def test_a_pin_is_checked_and_a_wrong_or_missing_one_ignored() -> None:
    f = flows({"agent1": ("ready", "")}, features=FEATURES | {"pins": {"agent1": PIN}})
    assert events_of(f, feature("46", pin="1357")) == []
    assert events_of(f, feature("46", pin="")) == []
    assert events_of(f, feature("46")) == []
    assert events_of(f, feature("46", pin="2468")) == [ev.AgentPause("agent1", "break")]


def test_pins_are_salted_scrypt_hashes() -> None:
    a, b = hash_pin("2468", n=2**4), hash_pin("2468", n=2**4)
    assert a != b and "2468" not in a  # salted, never the digits
    assert a.startswith("scrypt$16$8$1$")
    assert check_pin(a, "2468") and not check_pin(a, "2469") and not check_pin("2468", "2468")
    with pytest.raises(ValueError, match="4 to 12 digits"):
        hash_pin("12")


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ({"pause_reasons": {"10": "lunch"}}, "must be one digit"),
        ({"pause_reasons": {"x": "lunch"}}, "must be one digit"),
        ({"dispositions": {"1": "no sale"}}, "name for '1' must be"),
        ({"pins": {"agent1": "2468"}}, "never the digits themselves"),
        ({"holidays": {}}, "Extra inputs"),
    ],
)
def test_feature_settings_are_validated(features: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        settings(features=features)


def test_the_deploy_dialplan_has_the_codes() -> None:
    dialplan = (ROOT / "deploy" / "asterisk" / "extensions.conf").read_text()
    for line in (
        "[acd-features]",
        "exten => *45,1,Gosub(acd-feature,s,1(45,))",
        "exten => *46,1,Gosub(acd-feature,s,1(46,))",
        "exten => _*46X,1,Gosub(acd-feature,s,1(46,${EXTEN:3}))",
        "exten => _*47X,1,Gosub(acd-feature,s,1(47,${EXTEN:3}))",
        "[acd-feature]",
        " same => n,Answer()",
        'GotoIf($["${ACD_FEATURE_PIN}" != "yes"]?send)',
        "Read(ACD_PIN,beep,12,,1,5)",
        "UserEvent(AcdFeature,Code: ${ARG1},Arg: ${ARG2},Device: ${CHANNEL(peername)},"
        "Pin: ${ACD_PIN})",
        " same => n,Playback(beep)",
    ):
        assert line in dialplan.splitlines() or line in dialplan, line


# --------------------------------------------------------------------------- on the emulator

CONFIG = {"queues": [{"name": "q"}], "agents": [{"id": "agent1"}]}


async def test_phone_codes_drive_the_engine_through_the_adapter() -> None:
    engine = Engine(Config.model_validate(CONFIG))
    more = {"agent_device": "SIP/{agent_id}", "features": FEATURES | {"pins": {"agent1": PIN}}}
    async with running(engine, **more) as rig:
        agent = lambda: engine.agents["agent1"]  # noqa: E731

        async def dial(code: str, arg: str = "", pin: str = "2468") -> None:
            await rig.emu.emit(feature(code, arg, pin=pin))

        await dial("45")
        await rig.until(lambda: agent().state is AgentState.READY)
        await dial("46", "1")
        await rig.until(lambda: agent().state is AgentState.PAUSED)
        assert agent().pause_reason == "lunch"
        await dial("46", pin="0000")  # wrong PIN: nothing happens
        await dial("47", "3")  # no call to set a disposition on: refused, logged, no crash
        await dial("46")
        await rig.until(lambda: agent().state is AgentState.READY)
        assert rig.adapter.refused == 1
        await dial("45")
        await rig.until(lambda: agent().state is AgentState.LOGGED_OUT)


# --------------------------------------------------------------------------- monitors (ChanSpy)

SPY_CAPTURE = ROOT / "tests" / "data" / "ami" / "asterisk-20.20.1-chanspy.txt"


def spy_capture() -> list[Event]:
    codec = AmiCodec()
    codec.receive_data(SPY_CAPTURE.read_bytes())
    codec.receive_eof()
    return [m for m in codec if isinstance(m, Event)]


async def test_monitor_on_the_emulator_listen_stop_and_end_with_the_call() -> None:
    from acd.commands import Monitor, StopMonitor
    from tests.asterisk.test_adapter import ANSWER, Dialplan, by_device

    engine = Engine(Config.model_validate(CONFIG))
    more = {"agent_device": "SIP/{agent_id}"}
    async with running(engine, **more) as rig:
        emu, flows = rig.emu, rig.adapter.flows
        seen: list[Event] = []
        codec_names = lambda: [e.name for e in seen]  # noqa: E731
        emu.originate_rule = by_device(SIP_agent1=ANSWER, SIP_sup1=ANSWER)
        rig.driver.submit(ev.AgentLogin("agent1"))
        caller = await Dialplan(emu).inbound(queue="q")
        await rig.until(lambda: engine.agents["agent1"].call is not None)
        await rig.until(
            lambda: any(c.name.startswith("SIP/agent1-") for c in emu.channels.values())
        )
        (agent_leg,) = [c for c in emu.channels.values() if c.name.startswith("SIP/agent1-")]
        await Dialplan(emu).bridge_agent(caller, agent_leg)
        call_id = engine.agents["agent1"].call.id
        original = flows.on_event

        def tap(msg: Event) -> Any:
            if msg.name.startswith("ChanSpy"):
                seen.append(msg)
            return original(msg)

        flows.on_event = tap  # type: ignore[method-assign]
        rig.adapter.execute(Monitor("m1", "agent1", call_id, "whisper", "SIP/sup1"), 0.0)
        await rig.until(lambda: codec_names() == ["ChanSpyStart"])
        (spy_orig,) = [a for a in emu.actions_named("Originate") if a.get("Context") == "acd-spy"]
        assert dict(v.partition("=")[::2] for v in spy_orig.get_all("Variable")) == {
            "ACD_SPY_TARGET": agent_leg.name,
            "ACD_SPY_OPTS": "qw",
            "ACD_MONITOR": "m1",
        }
        start = seen[0]
        assert start["SpyeeChannel"] == agent_leg.name
        assert start["SpyerChannel"] == flows.spies["m1"].channel
        # The emulator's ChanSpyStart carries the headers the real one does.
        real = next(e for e in spy_capture() if e.name == "ChanSpyStart")
        assert [k for k, _ in start.items()] == [k for k, _ in real.items()]
        rig.adapter.execute(StopMonitor("m1"), 0.0)
        await rig.until(lambda: codec_names() == ["ChanSpyStart", "ChanSpyStop"])
        assert "m1" not in flows.spies
        assert not any(c.name.startswith("SIP/sup1-") for c in emu.channels.values())
        # barge, then the call ends: the spy goes with it
        rig.adapter.execute(Monitor("m2", "agent1", call_id, "barge", "SIP/sup1"), 0.0)
        await rig.until(lambda: len(seen) == 3 and "m2" in flows.spies)
        assert emu.actions_named("Originate")[-1].get_all("Variable")[1] == "ACD_SPY_OPTS=qB"
        await emu.hangup(agent_leg)
        await rig.until(lambda: codec_names()[-1] == "ChanSpyStop" and "m2" not in flows.spies)
        assert not any(c.name.startswith("SIP/sup1-") for c in emu.channels.values())
