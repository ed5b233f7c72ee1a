"""Inbound callbacks booked "to me": the agent who booked it places it while logged in.

The reference is who booked what (the test's own requests), not the engine's counters: the
dial must carry the booking agent's id, never another agent's while that one is logged in,
and go to anyone once it has logged out; a restart keeps whom it was booked to.
"""

from __future__ import annotations

from datetime import UTC, datetime
from random import Random

from acd import events as ev
from acd.checkpoint import Collector, restore
from acd.commands import Originate
from acd.config.schema import Config
from acd.engine import Engine
from acd.store.memory import MemoryStore
from tests.helpers import Center, Clock, config, offers

AT = 3600.0


def _cfg() -> Config:
    return config(
        [{"name": "q", "skills": {"s": 1}, "callback": {"retries": 1, "retry_seconds": 60}}],
        [{"id": "a0", "skills": {"s": 1}}, {"id": "a1", "skills": {"s": 1}}],
    )


def _dials(cmds: list[object]) -> list[Originate]:
    return [x for x in cmds if isinstance(x, Originate)]


def _book_to_me(c: Clock) -> None:
    """a0, the only agent logged in, answers a call from +12125550100 and books its callback
    for AT to itself; then a1 logs in."""
    c.do(ev.AgentLogin("a0"))
    assert offers(c.do(ev.CallArrived("x", "q", caller="+12125550100")))[0][1] == "a0"
    c.do(ev.AgentAnswered("x", "a0"))
    when = datetime.fromtimestamp(AT, UTC)
    c.do(ev.SetDisposition("a0", "later", callback_at=when, callback_agent="a0"))
    c.do(ev.CallHungUp("x", "caller"))
    c.advance(60)  # a0's wrap-up ends
    c.do(ev.AgentLogin("a1"))


def test_a_callback_booked_to_me_waits_for_me_while_another_agent_is_free() -> None:
    c = Center(_cfg(), login=False)
    _book_to_me(c)
    (booked,) = c.engine.pending_callbacks(c.now)
    assert (booked["state"], booked["for_agent"]) == ("booked", "a0")
    c.do(ev.AgentPause("a1", "brief"))
    c.advance_to(AT - 10)
    c.arrive("y", "q", caller="+12125550101")  # a0, the only one ready, takes it
    c.answer("y", "a0")
    c.do(ev.AgentReady("a1"))
    assert _dials(c.advance_to(AT + 30)) == []  # a1 is free, but it was booked to a0
    (pending,) = c.engine.pending_callbacks(c.now)
    assert (pending["parked"], pending["for_agent"]) == ("agent", "a0")
    (dial,) = _dials(c.hangup("y") + c.advance(60))  # a0 free after its wrap-up
    assert (dial.agent_id, dial.number) == ("a0", "+12125550100")


def test_a_callback_booked_to_me_goes_to_anyone_once_i_log_out() -> None:
    c = Center(_cfg(), login=False)
    _book_to_me(c)
    c.do(ev.AgentPause("a0", "meeting"))
    assert _dials(c.advance_to(AT + 30)) == []  # a0 paused, still logged in: it waits
    cmds = c.do(ev.AgentLogout("a0")) + c.advance(0)
    (dial,) = _dials(cmds)
    assert dial.agent_id == "a1"


async def test_whom_a_callback_was_booked_to_survives_a_restart() -> None:
    store = MemoryStore()
    c = Clock(Engine(_cfg(), rng=Random(1)))
    col = Collector(c.core)
    _book_to_me(c)
    await store.apply(col.collect(1, c.now, kpis=True))
    state = await store.load()

    c = Clock(Engine(_cfg(), rng=Random(1)), c.now + 30)
    c.do(ev.AgentLogin("a1"))
    c.do(ev.AgentLogin("a0"))
    c.do(ev.AgentPause("a0", "coffee"))
    restore(c.core, state, c.now)
    assert _dials(c.advance_to(AT + 30)) == []  # a1 is free; it was booked to a0
    (dial,) = _dials(c.do(ev.AgentReady("a0")))
    assert dial.agent_id == "a0"
