"""The adapter against the AMI emulator on 127.0.0.1, with a real engine in a live driver.

The emulator has no dialplan, so ``Dialplan`` below plays ``deploy/asterisk/extensions.conf``:
it raises ``AcdEnqueue`` for a caller, bridges an answered agent leg to its caller (``Bridge()``
in [acd-agent]) and hangs up after a message when ``ACD_AFTER_PLAY=hangup`` ([acd-play]). No
test sleeps: each awaits a condition (``adapter.wait_for`` / ``emu.wait_until``) with a time-out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from random import Random
from typing import Any

import pytest

from acd import events as ev
from acd.commands import Command, HangUp, Originate, PlayMessage
from acd.config.schema import Config
from acd.drivers.live import LiveDriver
from acd.engine import Engine
from acd.states import AgentState
from dialer.center import Center
from telephony_adapters.ami import Action
from telephony_adapters.asterisk import CHANNEL_VARS, DEVICE_REASON, AsteriskSettings
from telephony_adapters.asterisk.adapter import AsteriskAdapter
from telephony_adapters.testing import AmiEmulator, Channel, OriginateOutcome, OriginatePlan

A = AgentState
CONFIG = {
    "queues": [
        {"name": "q", "ring_timeout_seconds": 0.4, "retry_seconds": 0.2, "wrap_up_seconds": 0}
    ],
    "agents": [{"id": "a1"}, {"id": "a2"}],
}


class Dialing(Engine):
    """The engine plus the dialer's part in miniature (the Center does this for campaigns): an
    answered person enters queue q, a machine gets a message and is hung up."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.outcomes: list[ev.Event] = []

    def handle(self, event: ev.Event, now: float) -> list[Command]:
        if isinstance(event, ev.OutboundAnswered | ev.OutboundFailed):
            self.outcomes.append(event)
            if isinstance(event, ev.OutboundFailed):
                return []
            if event.machine:
                return [
                    PlayMessage(event.call_id, "custom/leave-message"),
                    HangUp(event.call_id, "machine"),
                ]
            arrived = ev.CallArrived(event.call_id, "q", direction="outbound")
            return super().handle(arrived, now)
        return super().handle(event, now)


@dataclass
class Rig:
    emu: AmiEmulator
    adapter: AsteriskAdapter
    engine: Any  # Dialing, or the dialer's Center
    driver: LiveDriver

    async def until(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        await self.adapter.wait_for(predicate, timeout)

    def agent(self, agent_id: str) -> AgentState:
        return self.engine.agents[agent_id].state

    def legs_of(self, agent_id: str) -> list[Channel]:
        return [c for c in self.emu.channels.values() if c.variables.get("ACD_AGENT") == agent_id]

    def originates(self, call_id: str) -> list[Action]:
        """The outbound Originate actions the emulator received for ``call_id``."""
        want = {f"ACD_CALL_ID={call_id}", "ACD_ROLE=outbound"}
        return [
            a for a in self.emu.actions_named("Originate") if want <= set(a.get_all("Variable"))
        ]


class Dialplan:
    """What extensions.conf does, played on the emulator."""

    def __init__(self, emu: AmiEmulator) -> None:
        self.emu = emu

    async def inbound(
        self, number: str = "+15551230001", queue: str = "q", priority: int = 0
    ) -> Channel:
        """[acd-inbound]: answer, set the tags, raise AcdEnqueue, hold."""
        emu = self.emu
        ch = await emu.inbound_call(
            number, variables={"ACD_PRIORITY": str(priority), "ACD_QUEUE": queue}
        )
        await emu.answer(ch)
        headers = [("UserEvent", "AcdEnqueue"), ("AcdQueue", queue), ("AcdPriority", str(priority))]
        await emu.emit(
            [
                ("Event", "UserEvent"),
                ("Privilege", "user,all"),
                *ch.snapshot(CHANNEL_VARS),
                *headers,
            ]
        )
        return ch

    async def bridge_agent(self, caller: Channel, agent: Channel) -> None:
        """[acd-agent]: Bridge(${ACD_PEER},F(acd-hold^s^1)) once the agent answers."""
        assert agent.variables["ACD_PEER"] == caller.name
        await self.emu.bridge(caller, agent)


def settings(port: int, **more: Any) -> AsteriskSettings:
    base: dict[str, Any] = {
        "port": port,
        "username": "acd",
        "secret": "acdsecret",
        "reconnect": {"initial": 0.05, "maximum": 0.2, "jitter": 0},
        "health_interval": 0.02,
        "ping_interval": None,
        "action_timeout": 2.0,
    }
    return AsteriskSettings.model_validate({**base, **more})


@asynccontextmanager
async def running(engine: Any, **more: Any) -> AsyncIterator[Rig]:
    """The emulator, the adapter and ``engine`` in a live driver, connected and resynchronised."""
    emu = AmiEmulator(users={"acd": "acdsecret"}, manager_vars=CHANNEL_VARS, rng=Random(7))
    await emu.start()
    adapter = AsteriskAdapter(settings(emu.port, **more), rng=Random(3))
    driver = LiveDriver(engine, execute=adapter.execute)
    adapter.attach(driver)
    await adapter.start()
    r = Rig(emu, adapter, engine, driver)
    try:
        await r.until(lambda: adapter.up)
        driver.start()
        yield r
    finally:
        await adapter.close()
        driver.close()
        await emu.stop()


@pytest.fixture
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    more: dict[str, Any] = getattr(request, "param", {})
    async with running(Dialing(Config.model_validate(CONFIG)), **more) as r:
        yield r


def by_device(**plans: OriginatePlan) -> Callable[[Action], OriginatePlan]:
    """An originate rule: the plan for the agent's device (or the trunk), by channel prefix."""

    def rule(action: Action) -> OriginatePlan:
        channel = action.get("Channel") or ""
        for prefix, plan in plans.items():
            if channel.startswith(prefix.replace("_", "/", 1)):
                return plan
        raise AssertionError(f"no plan for {channel}")

    return rule


ANSWER = OriginatePlan(OriginateOutcome.HUMAN, ring_seconds=0.05, amd=False)


# --------------------------------------------------------------------------- inbound


async def test_inbound_offered_answered_bridged_hung_up(rig: Rig) -> None:
    rig.driver.submit(ev.AgentLogin("a1"))
    rig.emu.originate_rule = by_device(PJSIP_a1=ANSWER)
    caller = await Dialplan(rig.emu).inbound("+15551230001")
    await rig.until(lambda: rig.agent("a1") is A.ON_CALL)
    call = rig.engine.calls[caller.uniqueid]
    assert (call.queue.name, call.caller) == ("q", "+15551230001")
    (orig,) = rig.emu.actions_named("Originate")
    assert (orig.get("Channel"), orig.get("Context"), orig.get("Async")) == (
        "PJSIP/a1",
        "acd-agent",
        "true",
    )
    assert orig.get("Timeout") == "400"
    (leg,) = rig.legs_of("a1")
    await Dialplan(rig.emu).bridge_agent(caller, leg)
    await rig.emu.hangup(caller)  # the caller ends the conversation
    await rig.until(lambda: not rig.engine.calls and rig.agent("a1") is A.READY)
    await rig.emu.wait_until(lambda: leg.name not in rig.emu.channels)  # we hung up its leg
    assert [a.get("Channel") for a in rig.emu.actions_named("Hangup")] == [leg.name]
    stats = rig.engine.queues["q"].stats
    assert (stats.offered, stats.answered, stats.abandoned) == (1, 1, 0)


async def test_agent_ends_the_conversation(rig: Rig) -> None:
    rig.driver.submit(ev.AgentLogin("a1"))
    rig.emu.originate_rule = by_device(PJSIP_a1=ANSWER)
    caller = await Dialplan(rig.emu).inbound()
    await rig.until(lambda: rig.agent("a1") is A.ON_CALL)
    (leg,) = rig.legs_of("a1")
    await rig.emu.hangup(leg)
    await rig.until(lambda: not rig.engine.calls)
    await rig.emu.wait_until(lambda: caller.name not in rig.emu.channels)


async def test_no_answer_moves_the_offer_to_the_next_agent(rig: Rig) -> None:
    rig.driver.submit(ev.AgentLogin("a1"))  # idle longest: offered first
    rig.driver.submit(ev.AgentLogin("a2"))
    never = OriginatePlan(OriginateOutcome.NO_ANSWER, ring_seconds=30)
    rig.emu.originate_rule = by_device(PJSIP_a1=never, PJSIP_a2=ANSWER)
    caller = await Dialplan(rig.emu).inbound()
    await rig.until(lambda: rig.agent("a2") is A.ON_CALL, timeout=5)
    assert rig.agent("a1") is A.READY and rig.engine.agents["a1"].stats.missed == 1
    assert [a.get("Channel") for a in rig.emu.actions_named("Originate")] == [
        "PJSIP/a1",
        "PJSIP/a2",
    ]
    (a1_leg,) = [r.action for r in rig.emu.actions if r.action.name == "Hangup"]
    assert a1_leg.get("Channel", "").startswith("PJSIP/a1-")  # the ringing leg, cut at time-out
    assert rig.engine.calls[caller.uniqueid].agent is rig.engine.agents["a2"]


async def test_busy_device_fails_the_offer_at_once() -> None:
    # A ring time-out far beyond the wait below: only the busy answer can move the offer on to
    # a2 in time, so the outcome does not depend on how fast this machine is.
    long_ring = {"queues": [{**CONFIG["queues"][0], "ring_timeout_seconds": 600}]}  # type: ignore[index]
    async with running(Dialing(Config.model_validate({**CONFIG, **long_ring}))) as rig:
        rig.driver.submit(ev.AgentLogin("a1"))
        rig.driver.submit(ev.AgentLogin("a2"))
        busy = OriginatePlan(OriginateOutcome.BUSY, ring_seconds=0.01)
        rig.emu.originate_rule = by_device(PJSIP_a1=busy, PJSIP_a2=ANSWER)
        await Dialplan(rig.emu).inbound()
        await rig.until(lambda: rig.agent("a2") is A.ON_CALL, timeout=10)
        assert rig.agent("a1") is A.READY and rig.engine.agents["a1"].stats.missed == 1
        assert not rig.emu.actions_named("Hangup")


async def test_caller_abandons_while_waiting(rig: Rig) -> None:
    caller = await Dialplan(rig.emu).inbound()  # nobody logged in: the caller waits
    await rig.until(lambda: caller.uniqueid in rig.engine.calls)
    await rig.emu.hangup(caller)
    await rig.until(lambda: not rig.engine.calls)
    stats = rig.engine.queues["q"].stats
    assert (stats.offered, stats.abandoned) == (1, 1)
    assert not rig.emu.actions_named("Originate")


async def test_caller_abandons_while_an_agent_rings(rig: Rig) -> None:
    rig.driver.submit(ev.AgentLogin("a1"))
    rig.emu.originate_rule = by_device(
        PJSIP_a1=OriginatePlan(OriginateOutcome.NO_ANSWER, ring_seconds=30)
    )
    caller = await Dialplan(rig.emu).inbound()
    await rig.until(lambda: rig.agent("a1") is A.RINGING and rig.legs_of("a1"))
    (leg,) = rig.legs_of("a1")
    await rig.emu.hangup(caller)
    await rig.until(lambda: not rig.engine.calls and rig.agent("a1") is A.READY)
    await rig.emu.wait_until(lambda: leg.name not in rig.emu.channels)


async def test_device_unavailable_pauses_and_returns_the_agent(rig: Rig) -> None:
    rig.driver.submit(ev.AgentLogin("a1"))
    rig.driver.submit(ev.AgentLogin("a2"))
    rig.driver.submit(ev.AgentPause("a2", "lunch"))
    for agent in ("a1", "a2"):
        await rig.emu.emit(
            {"Event": "DeviceStateChange", "Device": f"PJSIP/{agent}", "State": "UNAVAILABLE"},
            "call,all",
        )
    await rig.until(lambda: rig.engine.agents["a1"].pause_reason == DEVICE_REASON)
    for agent in ("a1", "a2"):
        await rig.emu.emit(
            {"Event": "DeviceStateChange", "Device": f"PJSIP/{agent}", "State": "NOT_INUSE"},
            "call,all",
        )
    await rig.until(lambda: rig.agent("a1") is A.READY)
    assert (rig.agent("a2"), rig.engine.agents["a2"].pause_reason) == (A.PAUSED, "lunch")


async def test_device_back_during_the_call_cancels_our_pending_pause(rig: Rig) -> None:
    rig.driver.submit(ev.AgentLogin("a1"))
    rig.emu.originate_rule = by_device(PJSIP_a1=ANSWER)
    caller = await Dialplan(rig.emu).inbound()
    await rig.until(lambda: rig.agent("a1") is A.ON_CALL)
    down = {"Event": "DeviceStateChange", "Device": "PJSIP/a1", "State": "UNAVAILABLE"}
    await rig.emu.emit(down, "call,all")
    await rig.until(lambda: rig.engine.agents["a1"].pending == ("pause", DEVICE_REASON))
    await rig.emu.emit({**down, "State": "INUSE"}, "call,all")
    await rig.until(lambda: rig.engine.agents["a1"].pending is None)
    await rig.emu.hangup(caller)
    await rig.until(lambda: rig.agent("a1") is A.READY)


# --------------------------------------------------------------------------- outbound

DIALPLAN_MASK = {"events": "system,call,user,dialplan"}  # VarSet AMDSTATUS, as the emulator sets it


@pytest.mark.parametrize("rig", [DIALPLAN_MASK], indirect=True)
async def test_outbound_person_is_connected_to_an_agent(rig: Rig) -> None:
    rig.driver.submit(ev.AgentLogin("a1"))
    person = OriginatePlan(OriginateOutcome.HUMAN, ring_seconds=0.05)
    rig.emu.originate_rule = by_device(PJSIP_a1=ANSWER, **{"PJSIP_+1555": person})
    rig.adapter.execute(Originate("o1", "+15551230000", caller_id="+15559990000"), rig.driver.now())
    await rig.until(lambda: rig.agent("a1") is A.ON_CALL)
    assert rig.engine.outcomes == [ev.OutboundAnswered("o1", machine=False)]
    (trunk,) = rig.originates("o1")
    assert (trunk.get("Channel"), trunk.get("Context")) == (
        "PJSIP/+15551230000@trunk",
        "acd-outbound",
    )
    assert (trunk.get("Timeout"), trunk.get("CallerID")) == ("25000", "+15559990000")
    called = next(c for c in rig.emu.channels.values() if c.variables.get("ACD_ROLE") == "outbound")
    (leg,) = rig.legs_of("a1")
    assert leg.variables["ACD_PEER"] == called.name
    assert rig.engine.calls["o1"].direction == "outbound"


@pytest.mark.parametrize("rig", [DIALPLAN_MASK], indirect=True)
async def test_outbound_machine_gets_the_message_then_hung_up(rig: Rig) -> None:
    rig.emu.originate_rule = lambda _a: OriginatePlan(OriginateOutcome.MACHINE, ring_seconds=0.02)
    rig.adapter.execute(Originate("o2", "+15551230002"), rig.driver.now())
    await rig.emu.wait_for_action("Redirect")
    await rig.emu.wait_until(lambda: len(rig.emu.actions_named("Setvar")) == 3)
    setvars = [(a.get("Variable"), a.get("Value")) for a in rig.emu.actions_named("Setvar")]
    assert setvars == [
        ("ACD_MESSAGE", "custom/leave-message"),
        ("ACD_AFTER_PLAY", "hold"),
        ("ACD_AFTER_PLAY", "hangup"),
    ]
    (redirect,) = rig.emu.actions_named("Redirect")
    assert redirect.get("Context") == "acd-play"
    channel = rig.emu.channels[redirect.get("Channel") or ""]
    await rig.emu.hangup(channel)  # [acd-play]: Playback, then Hangup as ACD_AFTER_PLAY says
    assert rig.engine.outcomes == [ev.OutboundAnswered("o2", machine=True)]
    assert not rig.emu.actions_named("Hangup") and not rig.engine.calls


@pytest.mark.parametrize("rig", [DIALPLAN_MASK], indirect=True)
@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (OriginateOutcome.NO_ANSWER, "no_answer"),
        (OriginateOutcome.BUSY, "busy"),
        (OriginateOutcome.FAIL, "failed"),
    ],
)
async def test_outbound_not_answered(rig: Rig, outcome: OriginateOutcome, reason: str) -> None:
    rig.emu.originate_rule = lambda _a: OriginatePlan(outcome, ring_seconds=0.02)
    rig.adapter.execute(Originate("o3", "+15551230003"), rig.driver.now())
    await rig.until(lambda: rig.engine.outcomes)
    assert rig.engine.outcomes == [ev.OutboundFailed("o3", reason)]
    assert not rig.adapter.flows.calls and not rig.adapter.flows.pending


async def test_the_dialers_center_drives_the_pbx() -> None:
    """A progressive campaign in the real Center: it originates through the trunk, the answered
    person enters the campaign's queue and is bridged to the agent."""
    config = {
        "agents": [{"id": "a1"}],
        "campaigns": [{"name": "c", "mode": "progressive", "caller_id": "+15559990000"}],
    }
    center = Center(Config.model_validate(config), rng=Random(1))
    async with running(center, **DIALPLAN_MASK) as r:
        r.emu.originate_rule = lambda _a: OriginatePlan(OriginateOutcome.HUMAN, ring_seconds=0.02)
        r.driver.submit(ev.AgentLogin("a1"))
        await r.until(lambda: center.engine.agents["a1"].state is A.ON_CALL)
        trunk, agent = r.emu.actions_named("Originate")
        assert (
            trunk.get("Channel", "").endswith("@trunk") and trunk.get("CallerID") == "+15559990000"
        )
        assert agent.get("Channel") == "PJSIP/a1"
        (call,) = center.engine.calls.values()
        assert call.direction == "outbound" and call.queue.name == "campaign:c"


# --------------------------------------------------------------------------- reconnection


@pytest.mark.parametrize(
    "rig",
    [{**DIALPLAN_MASK, "reconnect": {"initial": 0.6, "maximum": 1, "jitter": 0}}],
    indirect=True,
)
async def test_reconnect_reconciles_and_never_originates_twice(rig: Rig) -> None:
    emu, dialplan = rig.emu, Dialplan(rig.emu)
    waiting = await dialplan.inbound("+15550000001")  # nobody logged in: it waits
    await rig.until(lambda: waiting.uniqueid in rig.engine.calls)
    emu.originate_rule = lambda _a: OriginatePlan(OriginateOutcome.HUMAN, ring_seconds=0.05)
    rig.adapter.execute(Originate("x", "+15551230010"), rig.driver.now())
    await emu.wait_for_action("Originate")
    emu.unanswered.add("originate")  # y's Originate arrives, its answer never leaves
    rig.adapter.execute(Originate("y", "+15551230011"), rig.driver.now())
    await emu.wait_for_action("Originate", count=2)
    await emu.drop_connections()  # mid-stream: x is ringing, y's answer is pending

    # While the adapter is away (it reconnects 0.6 s after the drop):
    def x_answered() -> bool:
        return any(c.variables.get("AMDSTATUS") == "HUMAN" for c in emu.channels.values())

    await emu.wait_until(x_answered)  # x answered: its OriginateResponse and AMD result are lost
    await emu.hangup(waiting)  # the waiting caller gave up
    newcomer = await emu.inbound_call(
        "+15550000002", variables={"ACD_QUEUE": "q", "ACD_PRIORITY": "3"}
    )
    await emu.answer(newcomer)  # a caller entered our context; its AcdEnqueue is lost
    assert not rig.adapter.up or rig.adapter.resyncs == 1
    emu.unanswered.clear()

    await rig.until(lambda: rig.adapter.resyncs == 2 and rig.adapter.up, timeout=5)
    assert waiting.uniqueid not in rig.engine.calls  # vanished while away: abandoned
    assert rig.engine.queues["q"].stats.abandoned == 1
    assert rig.engine.calls[newcomer.uniqueid].priority == 3  # taken up
    assert sorted(rig.engine.outcomes, key=repr) == sorted(
        [ev.OutboundAnswered("x", machine=False), ev.OutboundFailed("y", "failed")], key=repr
    )
    assert "x" in rig.engine.calls  # the answered person waits for an agent
    assert len(rig.originates("x")) == 1 and len(rig.originates("y")) == 1
    assert rig.adapter.client.reconnects == 1
