"""Supervisor actions and live reconfiguration: nothing waiting is dropped, no state is lost."""

from __future__ import annotations

import pytest

from acd import events as ev
from acd.commands import HangUp, MoveToQueue
from acd.errors import UnknownEntity
from tests.helpers import Center, config, offers

TWO = config(
    [
        {"name": "sales", "skills": {"sales": 1}, "wrap_up_seconds": 5},
        {"name": "support", "skills": {"support": 1}},
    ],
    [{"id": "s", "skills": {"sales": 5}}, {"id": "t", "skills": {"support": 5}}],
)


def test_transfer_from_agent_to_another_queue() -> None:
    c = Center(TWO)
    c.arrive("c1", "sales")
    c.answer("c1", "s")
    c.advance(30)
    cmds = c.do(ev.TransferCall("c1", "support"))
    assert MoveToQueue("c1", "support") in cmds
    assert offers(cmds) == [("c1", "t")]
    assert c.state("s") == "wrap_up"
    c.answer("c1", "t")
    c.hangup("c1")
    rec = c.engine.records[-1]
    assert (rec.agent_id, rec.transfers) == ("t", 1)
    assert [leg.queue for leg in rec.legs] == ["sales", "support"]
    assert c.kpis("sales")["answered"] == 1 and c.kpis("support")["answered"] == 1


def test_transfer_waiting_call_and_supervisor_hangup() -> None:
    c = Center(TWO)
    c.do(ev.AgentPause("t"))
    c.do(ev.AgentPause("s"))
    c.arrive("c1", "sales")
    c.do(ev.TransferCall("c1", "support"))
    k = c.kpis("sales")
    assert (k["offered"], k["transferred"], k["waiting"]) == (1, 1, 0)
    assert c.do(ev.HangUpCall("c1")) == [HangUp("c1", "supervisor")]
    assert not c.engine.calls
    with pytest.raises(UnknownEntity):
        c.do(ev.TransferCall("c1", "support"))


def test_notices_report_agent_and_call_changes() -> None:
    c = Center(TWO)
    c.engine.notices = []
    c.arrive("c1", "sales")
    c.answer("c1", "s")
    c.hangup("c1")
    c.advance(5)
    kinds = [(n["type"], n.get("event")) for n in c.engine.notices]
    assert ("call", "entered") in kinds and ("call", "answered") in kinds
    assert ("call", "handled") in kinds and ("call", "ended") in kinds
    states = [n["agent"]["state"] for n in c.engine.notices if n["type"] == "agent"]
    assert states == ["ringing", "on_call", "wrap_up", "ready"]
    handled = next(n for n in c.engine.notices if n.get("event") == "handled")
    assert handled["seconds"] == pytest.approx(5.0)


def test_reload_adds_changes_and_removes_without_dropping_callers() -> None:
    c = Center(TWO)
    c.do(ev.AgentPause("t"))
    c.arrive("w1", "support")  # waiting: nobody ready for support
    c.arrive("c2", "sales")
    c.answer("c2", "s")  # s is on a call
    new = config(
        [
            {"name": "support", "skills": {"support": 1}, "max_wait_seconds": 100},
            {"name": "billing"},
        ],
        [{"id": "t", "skills": {"support": 5}}, {"id": "n", "skills": {"support": 2}}],
    )
    changes = c.engine.reconfigure(new, c.now)
    assert "queue billing" in changes["added"] and "agent n" in changes["added"]
    assert "queue sales" in changes["removed"] and "agent s" in changes["removed"]
    # The waiting caller is still there and now reaches the new agent once it logs in.
    assert "w1" in c.engine.calls
    c.do(ev.AgentLogin("n"))
    assert offers(c.out)[-1] == ("w1", "n")
    # The removed agent keeps its call; it is logged out when the call and wrap-up end.
    assert c.state("s") == "on_call"
    c.hangup("c2")
    c.advance(5)
    assert "s" not in c.engine.agents
    with pytest.raises(UnknownEntity):
        c.arrive("c3", "sales")  # the removed queue takes no new calls
    c.arrive("c4", "billing")
