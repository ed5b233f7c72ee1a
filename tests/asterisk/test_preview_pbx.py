"""Agent-targeted calls (preview mode, callbacks for an agent) through the PBX: the number is
dialed first; when a person answers, the reserved agent is connected at once in the engine and
its phone is rung with auto-answer and bridged to the called party (ACD_PEER), as for an offer."""

from __future__ import annotations

from random import Random

from acd import events as ev
from acd.config.schema import Config
from acd.states import AgentState
from dialer.center import Center
from telephony_adapters.ami import Action
from telephony_adapters.testing import OriginateOutcome, OriginatePlan
from tests.asterisk.test_adapter import DIALPLAN_MASK, running

A = AgentState
AGENT = OriginatePlan(OriginateOutcome.HUMAN, ring_seconds=0.02, amd=False)


def preview_center() -> Center:
    config = {
        "agents": [{"id": "a1"}],
        "campaigns": [
            {"name": "c", "mode": "preview", "caller_id": "+15559990000", "wrap_up_seconds": 0}
        ],
    }
    return Center(Config.model_validate(config), rng=Random(1))


def rule(person: OriginatePlan) -> object:
    def pick(action: Action) -> OriginatePlan:
        return person if (action.get("Channel") or "").endswith("@trunk") else AGENT

    return pick


def variables(action: Action) -> dict[str, str]:
    return dict(v.split("=", 1) for v in action.get_all("Variable"))


async def test_a_previewed_lead_answered_is_bridged_to_its_agent() -> None:
    center = preview_center()
    async with running(center, **DIALPLAN_MASK) as r:
        r.emu.originate_rule = rule(OriginatePlan(OriginateOutcome.HUMAN, ring_seconds=0.05))
        r.driver.submit(ev.AgentLogin("a1"))
        await r.until(lambda: center.engine.agents["a1"].state is A.RESERVED)
        assert not r.emu.actions_named("Originate")  # the agent looks at the lead first
        r.driver.submit(ev.PreviewDial("a1"))
        await r.until(lambda: center.engine.agents["a1"].state is A.ON_CALL)
        await r.until(lambda: len(r.emu.actions_named("Originate")) == 2)
        trunk, agent = r.emu.actions_named("Originate")
        assert (trunk.get("Channel") or "").endswith("@trunk")
        assert agent.get("Channel") == "PJSIP/a1"
        peer = next(c for c in r.emu.channels.values() if c.variables.get("ACD_ROLE") == "outbound")
        got = variables(agent)
        assert got["ACD_PEER"] == peer.name and got["ACD_ROLE"] == "agent"
        assert set(r.adapter.flows.settings.auto_answer_variables) <= set(got)
        (call,) = center.engine.calls.values()
        assert call.agent is not None and call.agent.id == "a1"
        # The agent's leg answering is no news to the engine (it is connected already).
        await r.until(
            lambda: any(c.variables.get("ACD_AGENT") == "a1" for c in r.emu.channels.values())
        )
        assert center.engine.agents["a1"].state is A.ON_CALL
        await r.emu.hangup(peer)  # the called party hangs up: the call ends for the engine
        await r.until(lambda: not center.engine.calls)
        assert center.campaigns["c"].fig.connected == 1


async def test_a_previewed_lead_not_answered_frees_the_agent_and_rings_no_phone() -> None:
    center = preview_center()
    async with running(center, **DIALPLAN_MASK) as r:
        r.emu.originate_rule = rule(OriginatePlan(OriginateOutcome.BUSY, ring_seconds=0.02))
        r.driver.submit(ev.AgentLogin("a1"))
        await r.until(lambda: center.engine.agents["a1"].state is A.RESERVED)
        r.driver.submit(ev.PreviewDial("a1"))
        await r.until(lambda: center.campaigns["c"].fig.busy == 1)
        assert center.engine.agents["a1"].state in (A.READY, A.RESERVED)  # the next lead
        channels = [a.get("Channel") or "" for a in r.emu.actions_named("Originate")]
        assert channels and all(c.endswith("@trunk") for c in channels)  # no phone rung
