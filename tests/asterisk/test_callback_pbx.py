"""A callback through the PBX (the AMI emulator playing deploy/asterisk/extensions.conf): the
caller of a callback queue is marked ``ACD_CALLBACK=1``, presses * ([acd-callback] raises
``AcdCallback`` and hangs up), the call keeps its place; when an agent logs in the number is
dialed on the trunk without AMD, and the person's answer rings the agent's phone and bridges
them. The record is the caller's, once."""

from __future__ import annotations

from random import Random

from acd import events as ev
from acd.config.schema import Config
from acd.engine import Engine
from acd.states import AgentState
from telephony_adapters.asterisk import CHANNEL_VARS
from telephony_adapters.testing import OriginateOutcome, OriginatePlan
from tests.asterisk.test_adapter import DIALPLAN_MASK, Dialplan, running
from tests.asterisk.test_preview_pbx import rule, variables

A = AgentState


async def test_a_caller_presses_star_and_is_called_back_with_an_agent() -> None:
    cfg = Config.model_validate(
        {
            "queues": [{"name": "q", "callback": {"retries": 0}}],
            "agents": [{"id": "a1"}],
        }
    )
    engine = Engine(cfg, rng=Random(1), keep_records=True)
    async with running(engine, **DIALPLAN_MASK) as r:
        r.adapter.flows.callbacks = frozenset({"q"})  # as the daemon passes them
        r.emu.originate_rule = rule(OriginatePlan(OriginateOutcome.HUMAN, ring_seconds=0.05))
        caller = await Dialplan(r.emu).inbound("+12125550142")
        await r.until(lambda: len(engine.calls) == 1)
        (call_id,) = engine.calls
        await r.until(lambda: caller.variables.get("ACD_CALLBACK") == "1")
        # [acd-callback]: the number confirmed, AcdCallback, then the caller's leg ends.
        await r.emu.emit(
            [
                ("Event", "UserEvent"),
                ("Privilege", "user,all"),
                *caller.snapshot(CHANNEL_VARS),
                ("UserEvent", "AcdCallback"),
                ("Number", "+12125550142"),
            ]
        )
        await r.until(lambda: engine.calls[call_id].callback is not None)
        await r.emu.hangup(caller)
        await r.until(lambda: caller.uniqueid not in r.adapter.flows.legs)
        assert call_id in engine.calls  # its place is kept
        r.driver.submit(ev.AgentLogin("a1"))
        await r.until(lambda: engine.agents["a1"].state is A.ON_CALL)
        await r.until(lambda: len(r.emu.actions_named("Originate")) == 2)
        trunk, agent = r.emu.actions_named("Originate")
        assert (trunk.get("Channel") or "").endswith("@trunk")
        assert "+12125550142" in (trunk.get("Channel") or "")
        assert variables(trunk).get("ACD_AMD") == "off"
        assert agent.get("Channel") == "PJSIP/a1"
        peer = next(c for c in r.emu.channels.values() if c.variables.get("ACD_ROLE") == "outbound")
        await r.until(
            lambda: any(c.variables.get("ACD_AGENT") == "a1" for c in r.emu.channels.values())
        )
        await r.emu.hangup(peer)
        await r.until(lambda: not engine.calls)
    records = engine.records or []
    assert [(x.callback_of, x.outcome, x.agent_id) for x in records] == [
        (call_id, "answered", "a1")
    ]
