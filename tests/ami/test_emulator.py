"""The AMI emulator speaks as the Asterisk 20.20.1 capture shows, and can be scripted."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import select
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from telephony_adapters.ami import Action, AmiCodec, Banner, Event, Response
from telephony_adapters.ami.codec import Incoming
from telephony_adapters.testing import AmiEmulator, OriginateOutcome, OriginatePlan

DATA = Path(__file__).resolve().parent.parent / "data" / "ami"
CAPTURE = (DATA / "asterisk-20.20.1-server-bytes-filtered.txt").read_bytes()
T0 = 1795460033.0


def capture_messages() -> list[Response | Event]:
    codec = AmiCodec()
    codec.receive_data(CAPTURE)
    return [m for m in codec.drain() if isinstance(m, Response | Event)]


CAPTURED = capture_messages()


def shapes(name: str) -> list[list[str]]:
    """Every key sequence an event of this name has in the capture."""
    return [[k for k, _ in m.items()] for m in CAPTURED if isinstance(m, Event) and m.name == name]


class Raw:
    """A bare AMI client over the codec, to see exactly what the emulator sends."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.codec = AmiCodec()
        self.seen: list[Incoming] = []

    @classmethod
    async def open(cls, emu: AmiEmulator) -> Raw:
        return cls(*await asyncio.open_connection("127.0.0.1", emu.port))

    async def until(self, pred: Callable[[Incoming], bool], timeout: float = 2.0) -> list[Incoming]:
        got: list[Incoming] = []
        async with asyncio.timeout(timeout):
            while True:
                for m in self.codec:
                    self.seen.append(m)
                    if not isinstance(m, Banner):
                        got.append(m)
                    if pred(m):
                        return got
                data = await self.reader.read(65536)
                if not data:
                    raise EOFError
                self.codec.receive_data(data)

    async def ask(self, action: Action, timeout: float = 2.0) -> list[Incoming]:
        """Send; read up to the answer (the response, or the list's Complete event) and return
        the messages carrying the action's ActionID (everything read stays in ``seen``)."""
        self.writer.write(action.to_bytes())

        def done(m: Incoming) -> bool:
            if not isinstance(m, Response | Event) or m.action_id != action.action_id:
                return False
            if isinstance(m, Event):
                return m.ends_list
            return not m.starts_list

        got = await self.until(done, timeout)
        return [
            m for m in got if isinstance(m, Response | Event) and m.action_id == action.action_id
        ]

    async def login(self, events: str | None = "on", secret: str = "acdsecret") -> Response:
        fields = {"Username": "acd", "Secret": secret}
        if events is not None:
            fields["Events"] = events
        got = await self.ask(Action("Login", fields, action_id="login-1"))
        assert isinstance(got[-1], Response)
        return got[-1]

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


@pytest.fixture
async def emu() -> AsyncIterator[AmiEmulator]:
    now = [T0]
    e = AmiEmulator(clock=lambda: now[0], manager_vars=())
    now[0] = T0 + 1
    async with e:
        yield e


async def test_banner_and_login_are_byte_for_byte_the_capture(emu: AmiEmulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
    assert await reader.readline() == b"Asterisk Call Manager/9.0.0\r\n"
    writer.write(
        b"Action: Login\r\nUsername: acd\r\nSecret: acdsecret\r\nActionID: login-1\r\n"
        b"Events: system,call,agent,user,cdr\r\n\r\n"
    )
    expected = CAPTURE[len(b"Asterisk Call Manager/9.0.0\r\n") :].split(
        b"Response: Success\r\nActionID: cs-1"
    )[0]
    got = await asyncio.wait_for(reader.readexactly(len(expected)), 2)
    assert got == expected  # Response, ActionID, Message, then FullyBooted, all as recorded
    writer.write(b"Action: Logoff\r\nActionID: logoff-1\r\n\r\n")
    assert await asyncio.wait_for(reader.read(), 2) == (
        b"Response: Goodbye\r\nActionID: logoff-1\r\nMessage: Thanks for all the fish.\r\n\r\n"
    )
    writer.close()
    await writer.wait_closed()
    assert [a.name for a in emu.actions_named("login")] == ["Login"]


async def test_field_sets_match_the_capture(emu: AmiEmulator) -> None:
    raw = await Raw.open(emu)
    await raw.until(lambda m: isinstance(m, Banner))
    await raw.login("on")
    iface = "Local/agent1@agents"
    add = Action(
        "QueueAdd",
        [("Queue", "support"), ("Interface", iface), ("MemberName", "Agent One")],
        Penalty=0,
        Paused=False,
        action_id="qadd-1",
    )
    await raw.ask(add)
    pause = Action(
        "QueuePause", Queue="support", Interface=iface, Paused=True, Reason="lunch", action_id="qp"
    )
    await raw.ask(pause)
    await raw.ask(Action("QueueStatus", Queue="support", action_id="qs-paused"))
    await raw.ask(Action("QueueSummary", Queue="support", action_id="qsum-1"))
    await raw.ask(
        Action(
            "Originate",
            [("Channel", "Local/200@test"), ("Application", "Wait"), ("Data", "5")],
            Async=True,
            CallerID='"AMI Test" <5550001>',
            action_id="orig-1",
        )
    )
    await raw.until(lambda m: isinstance(m, Event) and m.name == "OriginateResponse")
    await emu.set_member_status("support", iface, 2, in_call=1)
    caller = await emu.inbound_call("sipp", exten="100", caller_name="sipp")
    await emu.queue_join(caller, "support")
    agent = next(c for c in emu.channels.values() if c.name.startswith("Local/200"))
    await emu.answer(caller)
    await emu.bridge(caller, agent)
    await emu.hangup(caller)
    await raw.ask(Action("QueueRemove", Queue="support", Interface=iface, action_id="qrem-1"))
    await raw.ask(Action("CoreSettings", action_id="cs-1"))
    await raw.ask(Action("CoreStatus", action_id="cst-1"))
    compared = set()
    for m in raw.seen:
        if isinstance(m, Event) and shapes(m.name):
            assert [k for k, _ in m.items()] in shapes(m.name), m.name
            compared.add(m.name)
    assert compared >= {
        "FullyBooted",
        "Newchannel",
        "NewCallerid",
        "Newstate",
        "DialBegin",
        "DialEnd",
        "OriginateResponse",
        "DeviceStateChange",
        "QueueMemberAdded",
        "QueueMemberPause",
        "QueueMemberStatus",
        "QueueMemberRemoved",
        "QueueParams",
        "QueueMember",
        "QueueStatusComplete",
        "QueueSummary",
        "QueueSummaryComplete",
        "QueueCallerJoin",
        "QueueCallerLeave",
        "BridgeCreate",
        "BridgeEnter",
        "HangupRequest",
        "Hangup",
    }
    # responses: same keys as the capture's answer to the same action, values where stable
    by_id = {m.action_id: m for m in CAPTURED if isinstance(m, Response)}
    mine = {m.action_id: m for m in raw.seen if isinstance(m, Response)}
    for aid in ("qadd-1", "qs-paused", "qsum-1", "orig-1", "qrem-1", "cs-1", "cst-1", "login-1"):
        assert [k for k, _ in mine[aid].items()] == [k for k, _ in by_id[aid].items()], aid
    for aid in ("qadd-1", "qs-paused", "qsum-1", "orig-1", "qrem-1", "cs-1", "login-1"):
        assert mine[aid] == by_id[aid], aid
    await raw.close()


async def test_originate_async_recorded_once_and_reported_by_event(emu: AmiEmulator) -> None:
    raw = await Raw.open(emu)
    await raw.login("on")
    action = Action(
        "Originate",
        Channel="SIP/trunk/5551234",
        Context="dialer",
        Exten="s",
        Priority=1,
        Async=True,
        Variable=["CAMPAIGN=c7", "LEAD=42"],
        action_id="o-1",
    )
    (resp,) = await raw.ask(action)
    assert isinstance(resp, Response) and resp.message == "Originate successfully queued"
    events = await raw.until(lambda m: isinstance(m, Event) and m.name == "OriginateResponse")
    names = [m.name for m in events if isinstance(m, Event)]
    assert names[:4] == ["Newchannel", "VarSet", "VarSet", "DialBegin"]
    orig = events[-1]
    assert isinstance(orig, Event) and orig["Response"] == "Success" and orig["Reason"] == "4"
    assert orig["Channel"] == "SIP/trunk-00000000" and orig.action_id == "o-1"
    assert [k for k, _ in orig.items()][5:7] == ["Context", "Exten"]  # the Context/Exten form
    varsets = [m for m in events if isinstance(m, Event) and m.name == "VarSet"]
    assert [(v["Variable"], v["Value"]) for v in varsets] == [("CAMPAIGN", "c7"), ("LEAD", "42")]
    assert len(emu.actions_named("Originate")) == 1
    assert emu.actions_named("originate")[0] == action
    await raw.close()


@pytest.mark.parametrize(
    ("outcome", "response", "reason", "amd", "cause"),
    [
        (OriginateOutcome.HUMAN, "Success", "4", "HUMAN", None),
        (OriginateOutcome.MACHINE, "Success", "4", "MACHINE", None),
        (OriginateOutcome.NO_ANSWER, "Failure", "3", None, "19"),
        (OriginateOutcome.BUSY, "Failure", "5", None, "17"),
        (OriginateOutcome.FAIL, "Failure", "0", None, None),
    ],
)
async def test_originate_outcomes_by_rule(
    emu: AmiEmulator,
    outcome: OriginateOutcome,
    response: str,
    reason: str,
    amd: str | None,
    cause: str | None,
) -> None:
    emu.originate_rule = lambda a: OriginatePlan(outcome, ring_seconds=0.01)
    raw = await Raw.open(emu)
    await raw.login("on")
    await raw.ask(
        Action("Originate", Channel="PJSIP/5551234@trunk", Application="Playback", Async=True)
    )
    got = await raw.until(lambda m: isinstance(m, Event) and m.name == "OriginateResponse")
    if amd:
        got += await raw.until(lambda m: isinstance(m, Event) and m.get("Variable") == "AMDCAUSE")
    events = [m for m in got if isinstance(m, Event)]
    orig = next(e for e in events if e.name == "OriginateResponse")
    assert orig["Response"] == response and orig["Reason"] == reason
    amds = [e["Value"] for e in events if e.name == "VarSet" and e["Variable"] == "AMDSTATUS"]
    assert amds == ([amd] if amd else [])
    hangups = [e["Cause"] for e in events if e.name == "Hangup"]
    assert hangups == ([cause] if cause else [])
    if outcome is OriginateOutcome.FAIL:
        assert "Newchannel" not in [e.name for e in events]
        assert orig["Channel"] == "PJSIP/5551234@trunk" and orig["Uniqueid"] == "<unknown>"
    else:
        assert events[0].name == "Newchannel" and events[0]["Channel"] == "PJSIP/trunk-00000000"
    await raw.close()


async def test_talk_time_hangs_up_and_sync_originate_answers_after(emu: AmiEmulator) -> None:
    emu.originate_rule = lambda a: OriginatePlan(talk_seconds=0.01)
    raw = await Raw.open(emu)
    await raw.login("call")
    got = await raw.ask(Action("Originate", Channel="SIP/trunk/1", Application="Wait", Data=1))
    assert isinstance(got[-1], Response) and got[-1].message == "Originate successfully queued"
    assert not any(isinstance(m, Event) and m.name == "OriginateResponse" for m in got)
    await raw.until(lambda m: isinstance(m, Event) and m.name == "Hangup")
    assert not emu.channels
    await raw.close()


async def test_event_mask_filters_by_privilege_class(emu: AmiEmulator) -> None:
    call_only, off, everything = await Raw.open(emu), await Raw.open(emu), await Raw.open(emu)
    await call_only.login("call")
    await off.login("off")
    await everything.login(None)  # no Events header: all
    await emu.inbound_call("+15551234567", variables={"LANG": "fr"})
    await emu.emit({"Event": "UserEvent", "Privilege": "user,all", "UserEvent": "Mark"})
    await everything.until(lambda m: isinstance(m, Event) and m.name == "UserEvent")
    await call_only.ask(Action("Ping", action_id="p"))
    await off.ask(Action("Ping", action_id="p"))
    names = {
        r: [m.name for m in r.seen if isinstance(m, Event)] for r in (call_only, off, everything)
    }
    assert names[everything] == ["FullyBooted", "Newchannel", "VarSet", "Newstate", "UserEvent"]
    assert names[call_only] == ["Newchannel", "Newstate"]  # no system, dialplan or user class
    assert names[off] == []
    for r in (call_only, off, everything):
        await r.close()


async def test_md5_login_and_failures(emu: AmiEmulator) -> None:
    raw = await Raw.open(emu)
    (denied,) = await raw.ask(Action("Ping", action_id="early"))
    assert isinstance(denied, Response) and denied.message == "Permission denied"
    (ch,) = await raw.ask(Action("Challenge", AuthType="MD5", action_id="ch"))
    assert isinstance(ch, Response) and ch["Challenge"].isdigit()
    key = hashlib.md5((ch["Challenge"] + "acdsecret").encode()).hexdigest()
    login = Action("Login", Username="acd", AuthType="MD5", Key=key, action_id="l")
    (ok,) = await raw.ask(login)
    assert isinstance(ok, Response) and ok.message == "Authentication accepted"
    await raw.close()
    bad = await Raw.open(emu)
    refused = await bad.login(secret="nope")
    assert refused.name == "Error" and refused.message == "Authentication failed"
    with pytest.raises(EOFError):  # Asterisk hangs up after a failed login
        await bad.until(lambda m: False)
    await bad.close()
    assert emu.logged_in == 0


async def test_lists_and_actions(emu: AmiEmulator) -> None:
    raw = await Raw.open(emu)
    await raw.login("on")
    ch = await emu.inbound_call("+15551234567", variables={"LANG": "fr"})
    got = await raw.ask(Action("CoreShowChannels", action_id="csc"))
    items = [m for m in got if isinstance(m, Event)]
    assert [e.name for e in items if e.action_id == "csc"] == [
        "CoreShowChannel",
        "CoreShowChannelsComplete",
    ]
    item = items[-2]
    keys = [k for k, _ in item.items()]
    assert keys[:3] == ["Event", "ActionID", "Channel"]
    assert keys[-4:] == ["Application", "ApplicationData", "Duration", "BridgeId"]
    assert item["Channel"] == ch.name and item["Duration"] == "00:00:00"
    assert items[-1]["ListItems"] == "1"
    (gv,) = await raw.ask(Action("Getvar", Channel=ch.name, Variable="LANG", action_id="g"))
    assert isinstance(gv, Response) and gv.items()[2:] == [("Variable", "LANG"), ("Value", "fr")]
    (sv,) = await raw.ask(Action("Setvar", Channel=ch.name, Variable="X", Value="1"))
    assert isinstance(sv, Response) and sv.message == "Variable Set"
    redirect = Action("Redirect", Channel=ch.name, Context="agents", Exten="agent1", Priority=1)
    (rd,) = await raw.ask(redirect)
    assert isinstance(rd, Response) and rd.message == "Redirect successful"
    assert ch.context == "agents"
    (nope,) = await raw.ask(Action("Hangup", Channel="SIP/none-1", action_id="h0"))
    assert isinstance(nope, Response) and nope.message == "No such channel"
    (hung,) = await raw.ask(Action("Hangup", Channel=ch.name, action_id="h1"))
    assert isinstance(hung, Response) and hung.message == "Channel Hungup"
    hangup = (await raw.until(lambda m: isinstance(m, Event) and m.name == "Hangup"))[-1]
    assert isinstance(hangup, Event) and hangup["Cause-txt"] == "Normal Clearing"
    user = Action("UserEvent", [("UserEvent", "CampaignPaused"), ("Campaign", "c7")], action_id="u")
    (sent,) = await raw.ask(user)
    assert isinstance(sent, Response) and sent.message == "Event Sent"
    ue = (await raw.until(lambda m: isinstance(m, Event) and m.name == "UserEvent"))[-1]
    assert isinstance(ue, Event)
    assert ue.items() == [
        ("Event", "UserEvent"),
        ("Privilege", "user,all"),
        ("UserEvent", "CampaignPaused"),
        ("ActionID", "u"),
        ("Campaign", "c7"),
    ]
    (cmd,) = await raw.ask(Action("Command", Command="core show version", action_id="c"))
    assert isinstance(cmd, Response) and cmd.message == "Command output follows"
    assert cmd.output and cmd.output[0].startswith("Asterisk 20.20.1")
    (bad,) = await raw.ask(Action("Command", Command="frobnicate", action_id="c2"))
    assert isinstance(bad, Response) and bad.name == "Error" and "No such command" in bad.output[0]
    (unknown,) = await raw.ask(Action("Frobnicate", action_id="f"))
    assert isinstance(unknown, Response) and unknown.message is not None
    assert unknown.message.startswith("Invalid/unknown command: Frobnicate.")
    (pong,) = await raw.ask(Action("Ping", action_id="p"))
    assert isinstance(pong, Response) and [k for k, _ in pong.items()] == [
        "Response",
        "ActionID",
        "Ping",
        "Timestamp",
    ]
    await raw.close()
    assert len(emu.actions) == 12


async def test_manager_vars_show_as_chanvariable_lines() -> None:
    async with AmiEmulator(manager_vars=("CAMPAIGN", "LEAD")) as emu:
        raw = await Raw.open(emu)
        await raw.login("call")
        await emu.inbound_call("+15550001", variables={"CAMPAIGN": "c7"})
        (ev,) = [m for m in await raw.until(lambda m: isinstance(m, Event)) if isinstance(m, Event)]
        assert ev.name == "Newchannel" and ev.get_all("ChanVariable") == ["CAMPAIGN=", "LEAD="]
        state = (await raw.until(lambda m: isinstance(m, Event) and m.name == "Newstate"))[-1]
        assert isinstance(state, Event) and state.variables() == {"CAMPAIGN": "c7", "LEAD": ""}
        await raw.close()


async def test_drop_connections_cuts_every_client(emu: AmiEmulator) -> None:
    a, b = await Raw.open(emu), await Raw.open(emu)
    await a.login()
    await b.login()
    await emu.wait_until(lambda: emu.logged_in == 2)
    await emu.drop_connections()
    for r in (a, b):
        with pytest.raises((EOFError, ConnectionError)):
            await r.until(lambda m: False)
        r.writer.close()
        with contextlib.suppress(ConnectionError):
            await r.writer.wait_closed()
    assert emu.logged_in == 0


async def test_unanswered_actions_are_recorded(emu: AmiEmulator) -> None:
    emu.unanswered.add("ping")
    raw = await Raw.open(emu)
    await raw.login()
    raw.writer.write(Action("Ping", action_id="lost").to_bytes())
    assert (await emu.wait_for_action("Ping"))[0].action_id == "lost"
    with pytest.raises(TimeoutError):
        await raw.until(lambda m: isinstance(m, Response) and m.action_id == "lost", 0.05)
    await raw.close()


async def test_runs_standalone() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "telephony_adapters.testing.ami_emulator",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        port = int(line.split(b":")[-1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await reader.readline() == b"Asterisk Call Manager/9.0.0\r\n"
        writer.close()
        await writer.wait_closed()
    finally:
        proc.terminate()
        await proc.wait()


@pytest.mark.parametrize(
    "module", ["telephony_adapters.testing", "telephony_adapters.testing.ami_emulator"]
)
def test_the_documented_command_runs_cleanly(module: str) -> None:
    """``python -m telephony_adapters.testing`` (docs/ami.md), and the module itself: no runpy
    warning about a module imported twice; it listens, and Ctrl-C stops it."""
    argv = [sys.executable, "-W", "error", "-m", module, "--port", "0", "--user", "acd:x"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None
        ready, _, _ = select.select([p.stdout], [], [], 30)  # a deadline, not a delay
        first = p.stdout.readline() if ready else ""
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert first.startswith("AMI emulator on 127.0.0.1:"), (first, err)
    assert "Warning" not in err and "Traceback" not in err, err
    assert p.returncode == 0
