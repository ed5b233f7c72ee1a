"""Property: a callback keeps its place and is placed at most once, whatever the interleaving.

One FIFO queue, callers of one priority, a few agents; callers arrive, some ask for a callback
and hang up, agents finish calls, callbacks ring and answer or not. The reference is a plain
list of callers in arrival order: each caller's first service (an offer to an agent, or its
callback's first dial) must come in that order, no callback attempt may start while another of
the same caller is in flight, and every caller must end with exactly one record.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from acd import events as ev
from acd.commands import OfferCall, Originate
from tests.helpers import Center, config

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["arrive", "ask", "finish", "dial_ok", "dial_fail", "wait"]),
        st.integers(0, 50),
    ),
    min_size=5,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(steps=STEPS, agents=st.integers(1, 3))
def test_callbacks_keep_their_place_and_are_placed_at_most_once(
    steps: list[tuple[str, int]], agents: int
) -> None:
    cfg = config(
        [{"name": "q", "callback": {"retries": 1, "retry_seconds": 30}}],
        [{"id": f"a{i}"} for i in range(agents)],
    )
    c = Center(cfg)
    arrived: list[str] = []
    served: list[str] = []  # first service per caller, in order
    in_flight: dict[str, str] = {}  # caller -> attempt ringing
    talking: dict[str, str] = {}  # agent -> the wire id of its call

    def note(cmds: list[object]) -> None:
        for cmd in cmds:
            if isinstance(cmd, OfferCall):
                if cmd.call_id not in served:
                    served.append(cmd.call_id)
                c.answer(cmd.call_id, cmd.agent_id)
                talking[cmd.agent_id] = cmd.call_id
            elif isinstance(cmd, Originate):
                origin = cmd.call_id.split(".")[0]
                assert origin not in in_flight, "a callback placed twice at once"
                in_flight[origin] = cmd.call_id
                if origin not in served:
                    served.append(origin)

    n = 0
    for kind, k in steps:
        if kind == "arrive":
            n += 1
            arrived.append(f"c{n}")
            note(c.arrive(f"c{n}", "q", caller=f"+1212555{n:04d}"))
        elif kind == "ask":
            waiting = [x for x in arrived if x in c.engine.calls and x not in served]
            if waiting:
                who = waiting[k % len(waiting)]
                if c.engine.calls[who].callback is None:
                    note(c.do(ev.CallbackRequested(who)))
        elif kind == "finish" and talking:
            agent = sorted(talking)[k % len(talking)]
            wire = talking.pop(agent)
            note(c.hangup(wire))
            c.advance(1)
        elif kind in ("dial_ok", "dial_fail") and in_flight:
            origin = sorted(in_flight)[k % len(in_flight)]
            wire = in_flight.pop(origin)
            if kind == "dial_ok":
                note(c.do(ev.OutboundAnswered(wire)))
                agent = c.engine.calls[wire].agent
                assert agent is not None
                talking[agent.id] = wire
            else:
                note(c.do(ev.OutboundFailed(wire, "no_answer")))
        else:
            note(c.advance(float(k)))
    # Drain: finish every call, answer every callback.
    for _ in range(400):
        if talking:
            note(c.hangup(talking.pop(sorted(talking)[0])))
        elif in_flight:
            origin = sorted(in_flight)[0]
            wire = in_flight.pop(origin)
            note(c.do(ev.OutboundAnswered(wire)))
            agent = c.engine.calls[wire].agent
            assert agent is not None
            talking[agent.id] = wire
        elif c.engine.calls or c.engine.next_deadline() is not None:
            note(c.advance(60))
            if not c.engine.calls and not talking and not in_flight:
                break
        else:
            break
    assert served == [x for x in arrived if x in served]  # first services in arrival order
    assert set(served) == set(arrived)
    records = c.engine.records
    assert records is not None
    ids = sorted(r.callback_of or r.call_id for r in records)
    assert ids == sorted(arrived)  # one record per caller, none lost or doubled
