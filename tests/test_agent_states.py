"""The agent state machine: the table, legal moves, and refusals that change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd import events as ev
from acd.commands import CancelOffer, HangUp, OfferCall
from acd.errors import IllegalTransition, InvalidEvent, UnknownEntity
from acd.states import (
    AGENT_TRANSITIONS,
    PENDING_MOVES,
    AgentMove,
    AgentState,
    PendingAction,
    mermaid,
    readme_block,
)
from tests.helpers import Center, config, offers

MV = AgentMove
ONE = config([{"name": "q", "wrap_up_seconds": 10}], [{"id": "a"}])


def test_every_state_is_reachable_and_table_is_drawn() -> None:
    reached = {AgentState.LOGGED_OUT} | set(AGENT_TRANSITIONS.values())
    assert reached == set(AgentState)
    diagram = mermaid()
    for (src, move), dst in AGENT_TRANSITIONS.items():
        assert f"{src.value} --> {dst.value}: {move.value}" in diagram


def test_login_ready_offer_answer_hangup_wrap_ready() -> None:
    c = Center(ONE, login=False)
    assert c.state("a") == "logged_out"
    c.do(ev.AgentLogin("a"))
    assert c.state("a") == "ready"
    assert offers(c.arrive("c1", "q")) == [("c1", "a")]
    assert c.state("a") == "ringing"
    c.answer("c1", "a")
    assert c.state("a") == "on_call"
    c.advance(60)
    c.hangup("c1")
    assert c.state("a") == "wrap_up"
    c.advance(9.9)
    assert c.state("a") == "wrap_up"
    c.advance(0.1)
    assert c.state("a") == "ready"


def test_illegal_transition_names_state_and_event_and_changes_nothing() -> None:
    c = Center(ONE)
    c.arrive("c1", "q")
    before = (c.state("a"), c.engine.next_deadline(), len(c.engine.calls))
    with pytest.raises(IllegalTransition) as exc:
        c.do(ev.AgentLogin("a"))
    assert "ringing" in str(exc.value) and "login" in str(exc.value)
    assert exc.value.code == "illegal_transition"
    assert (c.state("a"), c.engine.next_deadline(), len(c.engine.calls)) == before


def test_answer_of_a_call_not_offered_is_refused() -> None:
    c = Center(config([{"name": "q"}], [{"id": "a"}, {"id": "b"}]))
    c.arrive("c1", "q")
    ((_, agent),) = offers(c.out)
    other = "b" if agent == "a" else "a"
    with pytest.raises(IllegalTransition):
        c.answer("c1", other)
    assert c.state(other) == "ready"


def test_unknown_ids_and_bad_events() -> None:
    c = Center(ONE)
    with pytest.raises(UnknownEntity) as exc:
        c.do(ev.AgentReady("nobody"))
    assert exc.value.code == "unknown_agent"
    with pytest.raises(UnknownEntity):
        c.arrive("c1", "no-such-queue")
    with pytest.raises(InvalidEvent):
        ev.CallArrived("", "q")
    with pytest.raises(InvalidEvent):
        ev.SetAgentSkills("a", {"x": 11})
    c.arrive("c1", "q")
    with pytest.raises(InvalidEvent):
        c.arrive("c1", "q")


def test_pause_during_call_is_applied_after_wrap_up() -> None:
    c = Center(ONE)
    c.arrive("c1", "q")
    c.answer("c1", "a")
    c.do(ev.AgentPause("a", "lunch"))
    assert c.state("a") == "on_call"
    c.hangup("c1")
    c.advance(10)
    assert c.state("a") == "paused"
    assert c.engine.agents["a"].pause_reason == "lunch"
    assert offers(c.arrive("c2", "q")) == []
    c.do(ev.AgentReady("a"))
    assert offers(c.out)[-1] == ("c2", "a")


def test_ready_ends_wrap_up_early_and_logout_from_wrap() -> None:
    c = Center(ONE)
    c.arrive("c1", "q")
    c.answer("c1", "a")
    c.hangup("c1", "agent")
    c.advance(2)
    c.do(ev.AgentReady("a"))
    assert c.state("a") == "ready"
    c.arrive("c2", "q")
    c.answer("c2", "a")
    c.hangup("c2")
    c.do(ev.AgentLogout("a"))
    assert c.state("a") == "logged_out"
    assert c.engine.agents["a"].stats.wrap_seconds == pytest.approx(2.0)


def test_no_answer_offers_next_agent_then_auto_pauses() -> None:
    cfg = config(
        [{"name": "q", "ring_timeout_seconds": 10, "max_no_answer": 2, "retry_seconds": 1}],
        [{"id": "a"}, {"id": "b"}],
    )
    c = Center(cfg)
    ((_, first),) = offers(c.arrive("c1", "q"))
    second = "b" if first == "a" else "a"
    cmds = c.advance(10)
    assert CancelOffer("c1", first, "no_answer") in cmds
    assert offers(cmds) == [("c1", second)]
    assert c.state(first) == "ready"  # one miss: still ready, but skipped for this call
    cmds = c.advance(10)  # second agent misses too; retry offers the first again after 1 s
    assert c.state(second) == "ready"
    c.advance(1)
    assert offers(c.out)[-1] == ("c1", first)
    c.advance(10)  # first agent misses a second time in a row: auto-paused
    assert c.state(first) == "paused"
    assert c.engine.agents[first].pause_reason == "no-answer"


def test_offer_failed_counts_as_a_miss() -> None:
    c = Center(config([{"name": "q"}], [{"id": "a"}, {"id": "b"}]))
    ((_, first),) = offers(c.arrive("c1", "q"))
    cmds = c.do(ev.OfferFailed("c1", first, "busy"))
    assert len(offers(cmds)) == 1 and offers(cmds)[0][1] != first


def test_caller_hangs_up_while_ringing_releases_agent() -> None:
    c = Center(ONE)
    c.arrive("c1", "q")
    cmds = c.hangup("c1")
    assert cmds == [CancelOffer("c1", "a", "abandoned")]
    assert c.state("a") == "ready"
    k = c.kpis("q")
    assert (k["offered"], k["abandoned"], k["waiting"]) == (1, 1, 0)


def test_skills_change_live_takes_effect_for_the_next_routing() -> None:
    c = Center(config([{"name": "q", "skills": {"french": 3}}], [{"id": "a"}]))
    assert offers(c.arrive("c1", "q")) == []
    c.do(ev.SetAgentSkills("a", {"french": 5}))
    assert offers(c.out) == [("c1", "a")]
    c.answer("c1", "a")
    c.hangup("c1")
    c.do(ev.SetAgentSkills("a", {"german": 5}))
    assert offers(c.arrive("c2", "q")) == []


def test_max_wait_times_out_or_overflows() -> None:
    cfg = config(
        [
            {"name": "q1", "skills": {"x": 1}, "max_wait_seconds": 30, "overflow_queue": "q2"},
            {"name": "q2", "skills": {"y": 1}, "max_wait_seconds": 60},
        ],
        [{"id": "a", "skills": {"y": 1}}],
    )
    c = Center(cfg)
    c.do(ev.AgentPause("a"))
    c.arrive("c1", "q1")
    c.advance(30)
    assert c.kpis("q1")["overflowed"] == 1
    assert c.kpis("q2")["offered"] == 1
    cmds = c.advance(60)
    assert cmds == [HangUp("c1", "max wait")]
    rec = c.engine.records[-1]
    assert rec.outcome == "timed_out"
    assert [(leg.queue, leg.outcome, leg.entered, leg.left) for leg in rec.legs] == [
        ("q1", "overflowed", 0.0, 30.0),
        ("q2", "timed_out", 30.0, 90.0),
    ]


def test_join_and_leave_when_empty_and_max_length() -> None:
    cfg = config(
        [
            {"name": "strict", "skills": {"z": 1}, "join_when_empty": False},
            {"name": "leaver", "skills": {"x": 1}, "leave_when_empty": True},
            {"name": "small", "skills": {"x": 1}, "max_length": 1},
        ],
        [{"id": "a", "skills": {"x": 1}}],
    )
    c = Center(cfg)
    assert c.arrive("c0", "strict") == [HangUp("c0", "no agents logged in")]
    c.do(ev.AgentPause("a"))
    c.arrive("c1", "small")
    assert c.arrive("c2", "small") == [HangUp("c2", "queue full")]
    c.arrive("c3", "leaver")
    cmds = c.do(ev.AgentLogout("a"))
    assert HangUp("c3", "no agents") in cmds
    assert c.kpis("leaver")["left_empty"] == 1
    assert c.kpis("small")["rejected"] == 1 and c.kpis("strict")["rejected"] == 1


def test_ring_all_first_answer_wins_others_released() -> None:
    cfg = config([{"name": "q", "strategy": "ring-all"}], [{"id": "a"}, {"id": "b"}, {"id": "c"}])
    c = Center(cfg)
    assert sorted(offers(c.arrive("c1", "q"))) == [("c1", "a"), ("c1", "b"), ("c1", "c")]
    cmds = c.answer("c1", "b")
    assert sorted(x.agent_id for x in cmds if isinstance(x, CancelOffer)) == ["a", "c"]
    assert [c.state(x) for x in "abc"] == ["ready", "on_call", "ready"]


def test_offer_command_carries_ring_timeout() -> None:
    c = Center(config([{"name": "q", "ring_timeout_seconds": 20}], [{"id": "a"}]))
    assert c.arrive("c1", "q") == [OfferCall("c1", "a", 20.0)]


# --- pending moves: PENDING_MOVES governs what waits for the end of a call --------------------
def _busy(state: AgentState) -> Center:
    """A Center whose agent "a" is ringing, on a call or dialing."""
    c = Center(ONE)
    if state is AgentState.DIALING:
        c.engine.reserve_agent("a", c.now)
        c.engine.dial_agent("a", c.now)
    else:
        c.arrive("c1", "q")
        if state is AgentState.ON_CALL:
            c.answer("c1", "a")
    assert c.engine.agents["a"].state is state
    return c


def _request(c: Center, move: AgentMove) -> None:
    event = {
        AgentMove.PAUSE: ev.AgentPause("a", "lunch"),
        AgentMove.LOGOUT: ev.AgentLogout("a"),
        AgentMove.READY: ev.AgentReady("a"),
    }[move]
    c.do(event)


def _finish(c: Center, state: AgentState) -> None:
    """End the agent's call (and its wrap-up) the way its state allows."""
    if state is AgentState.DIALING:
        c.engine.dial_ended("a", c.now)
    elif state is AgentState.RINGING:
        c.answer("c1", "a")
        c.hangup("c1")
        c.advance(10)
    else:
        c.hangup("c1")
        c.advance(10)


@pytest.mark.parametrize(("state", "move"), list(PENDING_MOVES), ids=str)
def test_every_pending_entry_governs_behaviour(state: AgentState, move: AgentMove) -> None:
    c = _busy(state)
    a = c.engine.agents["a"]
    if PENDING_MOVES[(state, move)] is PendingAction.DEFER:
        _request(c, move)
        assert a.state is state and a.pending == (move.value, "lunch" if move is MV.PAUSE else "")
        _finish(c, state)
        assert a.state is AGENT_TRANSITIONS[(AgentState.READY, move)] and a.pending is None
    else:
        c.do(ev.AgentPause("a", "lunch"))
        _request(c, move)  # cancels the held pause
        assert a.state is state and a.pending is None
        _finish(c, state)
        assert a.state is AgentState.READY


@pytest.mark.parametrize("state", [AgentState.RINGING, AgentState.ON_CALL, AgentState.DIALING])
def test_ready_with_nothing_held_is_refused_and_changes_nothing(state: AgentState) -> None:
    c = _busy(state)
    with pytest.raises(IllegalTransition):
        c.do(ev.AgentReady("a"))
    a = c.engine.agents["a"]
    assert a.state is state and a.pending is None


def test_without_its_pending_entry_a_pause_on_a_call_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without = {k: v for k, v in PENDING_MOVES.items() if k != (AgentState.ON_CALL, MV.PAUSE)}
    monkeypatch.setattr("acd.engine.agents.PENDING_MOVES", without)
    c = _busy(AgentState.ON_CALL)
    with pytest.raises(IllegalTransition):
        c.do(ev.AgentPause("a", "lunch"))
    assert c.engine.agents["a"].pending is None


def test_ready_during_a_call_cancels_the_pending_pause() -> None:
    c = Center(ONE)
    c.arrive("c1", "q")
    c.answer("c1", "a")
    c.do(ev.AgentPause("a", "lunch"))
    c.do(ev.AgentReady("a"))
    c.hangup("c1")
    c.advance(10)
    assert c.state("a") == "ready"
    assert offers(c.arrive("c2", "q")) == [("c2", "a")]


def test_pending_moves_are_drawn_and_the_docs_show_both_diagrams() -> None:
    diagram = mermaid()
    for (state, move), action in PENDING_MOVES.items():
        assert f"note right of {state.value}" in diagram
        assert f"{move.value}: {action.value}" in diagram
    root = Path(__file__).resolve().parent.parent
    page = (root / "docs" / "agents-and-supervisors.md").read_text()
    assert readme_block() in page
