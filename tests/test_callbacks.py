"""Callbacks that keep the caller's place (virtual hold), driven through the engine's clock.

The reference for "keeps its place" is the call order a queue without callbacks would serve:
a virtual call is served exactly where the caller would have been, ahead of every later caller
of the same priority and eligibility.
"""

from __future__ import annotations

from typing import Any

import pytest

from acd import events as ev
from acd.commands import Announce, HangUp, Originate
from acd.config.callback import Window
from acd.errors import AcdError
from tests.helpers import Center, config, offers

CB = {"retries": 1, "retry_seconds": 60}


def _center(n_agents: int = 1, **callback: Any) -> Center:
    cfg = config(
        [{"name": "q", "skills": {"s": 1}, "callback": {**CB, **callback}}],
        [{"id": f"a{i}", "skills": {"s": 1}} for i in range(n_agents)],
    )
    return Center(cfg)


def _busy(c: Center, call_id: str = "busy") -> str:
    (offer,) = offers(c.arrive(call_id, "q", caller="+12125550100"))
    c.answer(call_id, offer[1])
    return offer[1]


def _dials(cmds: list[Any]) -> list[Originate]:
    return [x for x in cmds if isinstance(x, Originate)]


def test_a_callback_is_placed_with_the_agent_on_the_line_when_its_turn_comes() -> None:
    c = _center()
    agent = _busy(c)
    c.arrive("c1", "q", caller="+12125550101")
    c.advance(10)
    assert c.do(ev.CallbackRequested("c1")) == []
    c.hangup("c1")  # the dialplan ends the caller's leg: the call keeps its place
    assert c.engine.calls["c1"].callback is not None
    c.advance(50)
    cmds = c.hangup("busy")
    (dial,) = _dials(cmds)
    assert (dial.number, dial.agent_id, dial.amd, dial.callback) == (
        "+12125550101",
        agent,
        False,
        True,
    )
    assert c.state(agent) == "dialing"
    c.advance(8)
    c.do(ev.OutboundAnswered(dial.call_id))
    assert c.state(agent) == "on_call"
    c.advance(100)
    c.hangup(dial.call_id)
    rec = c.engine.records[-1]
    assert (rec.outcome, rec.callback_of, rec.callback_attempts) == ("answered", "c1", 1)
    assert rec.callback_requested_at == 10.0 and rec.agent_id == agent
    k = c.kpis("q")
    assert (k["callbacks_requested"], k["callbacks_connected"], k["abandoned"]) == (1, 1, 0)
    # The callback is reported apart: not in the queue's service level or abandonment.
    assert k["service_level"] == 1.0 and k["abandon_rate"] == 0.0


def test_a_callback_is_served_before_later_callers_of_the_same_priority() -> None:
    c = _center()
    _busy(c)
    c.arrive("early", "q", caller="+12125550102")
    c.do(ev.CallbackRequested("early"))
    c.hangup("early")
    c.advance(5)
    c.arrive("later", "q", caller="+12125550103")
    (dial,) = _dials(c.hangup("busy"))
    assert dial.call_id.startswith("early.")
    assert offers(c.out) == [("busy", "a0")]  # "later" was not offered


def test_an_unanswered_callback_is_retried_then_closed_never_dialed_twice_at_once() -> None:
    c = _center()
    _busy(c)
    c.arrive("c1", "q", caller="+12125550104")
    c.do(ev.CallbackRequested("c1", hang_up=True))
    assert HangUp("c1", "callback") in c.out
    (first,) = _dials(c.hangup("busy"))
    c.advance(30)
    assert _dials(c.do(ev.OutboundFailed(first.call_id, "no_answer"))) == []
    assert c.state("a0") == "ready"  # free for others while the callback waits its retry
    (second,) = _dials(c.advance(60))
    assert second.call_id != first.call_id
    c.do(ev.OutboundFailed(second.call_id, "busy"))
    c.advance(600)
    assert "c1" not in c.engine.calls
    rec = c.engine.records[-1]
    assert (rec.outcome, rec.callback_attempts) == ("callback_failed", 2)
    assert c.kpis("q")["callbacks_failed"] == 1
    assert len([d for d in _dials(c.out) if d.call_id.startswith("c1.")]) == 2


def test_no_attempt_is_spent_while_the_pbx_link_is_down() -> None:
    c = _center()
    _busy(c)
    c.arrive("c1", "q", caller="+12125550105")
    c.do(ev.CallbackRequested("c1"))
    c.do(ev.TrunkState(False))
    assert _dials(c.hangup("busy")) == []
    assert c.state("a0") == "ready"
    (dial,) = _dials(c.do(ev.TrunkState(True)))
    assert dial.call_id == "c1.cb1"


def test_calling_hours_park_a_callback_until_they_open() -> None:
    c = _center()

    def hours(number: str, window: Window, now: float) -> tuple[bool, float | None]:
        assert window.start == "08:00"
        return (now >= 1000.0, None if now >= 1000.0 else 1000.0)

    c.engine.callback_hours = hours
    c.arrive("c1", "q", caller="+12125550106")  # offered to a0 at once: take it first
    c.hangup("c1")
    _busy(c)
    c.arrive("c2", "q", caller="+12125550107")
    c.do(ev.CallbackRequested("c2"))
    assert _dials(c.hangup("busy")) == []
    assert _dials(c.advance_to(999)) == []
    (dial,) = _dials(c.advance_to(1000))
    assert dial.call_id == "c2.cb1"


def test_a_proactive_offer_is_said_once_the_estimate_passes_the_threshold() -> None:
    c = _center(offer_after_ewt_seconds=60)
    from tests.test_ewt import _exp_quantiles, _warm

    c = Center(c.engine.config, login=False)
    c.do(ev.AgentLogin("a0"))
    _warm(c, "q", "a0", _exp_quantiles())
    _busy(c)
    c.out.clear()
    c.arrive("c1", "q", caller="+12125550108")
    c.advance(1)
    said = [x for x in c.out if isinstance(x, Announce)]
    assert [(a.call_id, a.message) for a in said] == [("c1", "acd/callback-offer")]
    c.advance(600)
    assert len([x for x in c.out if isinstance(x, Announce)]) == 1  # once
    c.hangup("c1")  # it leaves: nothing of it is kept (the set stays bounded by callers waiting)
    assert not c.engine._cb_offered


def test_a_supervisor_cancels_a_pending_callback_but_not_one_being_dialed() -> None:
    c = _center(n_agents=1)
    _busy(c)
    for cid in ("c1", "c2"):
        c.arrive(cid, "q", caller="+12125550109")
        c.do(ev.CallbackRequested(cid))
    c.do(ev.CancelCallback("c2"))
    assert c.engine.records[-1].outcome == "callback_cancelled"
    (dial,) = _dials(c.hangup("busy"))
    with pytest.raises(AcdError):
        c.do(ev.CancelCallback("c1"))
    assert dial.call_id == "c1.cb1"
    assert c.kpis("q")["callbacks_cancelled"] == 1


def test_a_request_is_refused_where_callbacks_are_off_or_the_call_is_not_waiting() -> None:
    cfg = config([{"name": "q"}], [{"id": "a0"}])
    c = Center(cfg)
    c.arrive("c1", "q", caller="+12125550110")  # rings a0
    with pytest.raises(AcdError):
        c.do(ev.CallbackRequested("c1"))
    with pytest.raises(AcdError):
        ev.CallbackRequested("c1", number="not a number")


def test_a_booked_callback_joins_the_queue_at_its_time() -> None:
    c = _center()
    agent = _busy(c)
    c.do(ev.ScheduleCallback("busy", at=5000.0))
    c.hangup("busy")
    assert [p["state"] for p in c.engine.pending_callbacks(c.now)] == ["booked"]
    assert _dials(c.advance_to(4999)) == []
    (dial,) = _dials(c.advance_to(5000))
    assert (dial.number, dial.agent_id) == ("+12125550100", agent)


def test_a_request_while_an_agent_rings_cancels_the_offer_and_keeps_the_call() -> None:
    c = _center(n_agents=1)
    (offer,) = offers(c.arrive("c1", "q", caller="+12125550111"))  # rings a0
    cmds = c.do(ev.CallbackRequested("c1"))
    assert [type(x).__name__ for x in cmds] == ["CancelOffer", "Originate"]
    (dial,) = _dials(cmds)
    assert (dial.call_id, dial.agent_id) == ("c1.cb1", offer[1])


def test_an_agent_books_a_callback_with_the_code_of_an_inbound_call() -> None:
    from datetime import UTC, datetime

    c = _center()
    agent = _busy(c)
    at = datetime.fromtimestamp(3600.0, UTC)
    c.do(ev.SetDisposition(agent, "done", callback_at=at))
    c.hangup("busy")
    (booked,) = c.engine.pending_callbacks(c.now)
    assert (booked["state"], booked["due_at"], booked["number"]) == (
        "booked",
        3600.0,
        "+12125550100",
    )
    (dial,) = _dials(c.advance_to(3600.0))
    assert dial.call_id == "busy.later.cb1"
    plain = Center(config([{"name": "q"}], [{"id": "a0"}]))
    (offer,) = offers(plain.arrive("x", "q", caller="+12125550100"))
    plain.answer("x", offer[1])
    with pytest.raises(AcdError):  # the queue takes none: said, not silently dropped
        plain.do(ev.SetDisposition("a0", "done", callback_at=at))
