"""The call state machine: every move goes through CALL_TRANSITIONS, and a move the table
lacks is refused without changing anything."""

from __future__ import annotations

import pytest

from acd import events as ev
from acd.errors import IllegalTransition
from acd.states import CALL_TRANSITIONS, CallMove, CallState, call_mermaid
from tests.helpers import Center, config, offers

CFG = config(
    [
        {"name": "q", "ring_timeout_seconds": 5, "retry_seconds": 1, "wrap_up_seconds": 0},
        {"name": "q2", "wrap_up_seconds": 0},
        {"name": "slow", "max_wait_seconds": 1, "overflow_queue": "q2", "wrap_up_seconds": 0},
    ],
    [{"id": "a"}],
)


def test_every_call_state_is_reachable_and_drawn() -> None:
    assert {CallState.WAITING} | set(CALL_TRANSITIONS.values()) == set(CallState)
    diagram = call_mermaid()
    for (src, move), dst in CALL_TRANSITIONS.items():
        assert f"{src.value} --> {dst.value}: {move.value}" in diagram


@pytest.mark.parametrize(
    ("state", "move"),
    [(s, m) for s in CallState for m in CallMove if (s, m) not in CALL_TRANSITIONS],
    ids=lambda x: x.value,
)
def test_every_illegal_call_move_raises_and_changes_nothing(
    state: CallState, move: CallMove
) -> None:
    c = Center(CFG)
    c.do(ev.AgentPause("a"))
    c.arrive("c1", "q")
    call = c.engine.calls["c1"]
    call.state = state  # the test puts the call in each state; the engine never does this
    with pytest.raises(IllegalTransition) as exc:
        c.engine._call_move(call, move)
    assert (exc.value.machine, exc.value.state, exc.value.event) == (
        "call",
        state.value,
        move.value,
    )
    assert call.state is state


class Recorder(Center):
    """A Center that notes every call move the engine makes."""

    def __init__(self) -> None:
        super().__init__(CFG)
        self.seen: set[tuple[CallState, CallMove]] = set()
        engine = self.engine
        real = engine._call_move

        def spy(call: object, move: CallMove) -> None:
            before = call.state  # type: ignore[attr-defined]
            real(call, move)  # type: ignore[arg-type]
            self.seen.add((before, move))

        engine._call_move = spy  # type: ignore[method-assign]


def test_every_call_transition_is_used() -> None:
    c = Recorder()
    c.arrive("c1", "q")  # enter, offer
    c.advance(6)  # all missed; a second later (retry) offered again
    c.answer("c1", "a")  # answer
    c.do(ev.TransferCall("c1", "q2"))  # connected -> enter
    c.advance(5)
    c.hangup("c1")  # the call rang again in q2: ringing -> end
    c.do(ev.AgentPause("a"))
    c.arrive("c2", "slow")
    c.advance(1)  # waited too long: overflows to q2 (waiting -> enter)
    c.do(ev.TransferCall("c2", "q"))
    c.hangup("c2")  # waiting -> end
    c.do(ev.AgentReady("a"))
    c.arrive("c3", "q")
    c.do(ev.TransferCall("c3", "q2"))  # ringing -> enter
    c.answer("c3", "a")
    c.hangup("c3")  # connected -> end
    c.engine.reserve_agent("a", c.now)
    c.engine.dial_agent("a", c.now)
    c.engine.connect_agent("c4", "q", "a", "555", c.now)  # waiting -> connect
    assert c.seen == set(CALL_TRANSITIONS)


def test_a_refused_offer_leaves_a_waiting_call_untouched() -> None:
    c = Center(CFG)
    c.do(ev.AgentPause("a"))
    c.arrive("c1", "q")
    call = c.engine.calls["c1"]
    with pytest.raises(IllegalTransition):
        c.engine._call_move(call, CallMove.ANSWER)
    assert call.state is CallState.WAITING
    c.do(ev.AgentReady("a"))
    assert offers(c.out) == [("c1", "a")] and call.state is CallState.RINGING
