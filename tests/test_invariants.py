"""Invariants under arbitrary sequences of events (hypothesis).

- an agent is never on two calls, and a call never with two agents;
- a call is offered only to an agent who meets its requirement at the level in force;
- every call ends exactly once, and per queue: offered = answered + abandoned + timed out +
  overflowed + rejected + left empty + transferred + still waiting;
- an event the engine refuses changes nothing.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd import events as ev
from acd.commands import OfferCall
from acd.errors import AcdError
from acd.states import AgentState, CallState
from routing.strategies import Strategy
from tests.helpers import Center, config

SKILLS = ["s1", "s2", "s3"]

skills_st = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10), max_size=3)

queue_st = st.fixed_dictionaries(
    {
        "skills": st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10), max_size=2),
        "strategy": st.sampled_from([s.value for s in Strategy]),
        "wrap_up_seconds": st.sampled_from([0, 5]),
        "ring_timeout_seconds": st.sampled_from([5, 15]),
        "max_no_answer": st.integers(0, 3),
        "join_when_empty": st.booleans(),
        "leave_when_empty": st.booleans(),
    },
    optional={
        "max_wait_seconds": st.sampled_from([20, 60]),
        "max_length": st.integers(1, 4),
        "escalation": st.just(
            [
                {"after_seconds": 10, "lower_levels_by": 4},
                {"after_seconds": 25, "add_alternative": {"s3": 1}, "raise_priority": 1},
            ]
        ),
    },
)


@st.composite
def centers(draw: st.DrawFn) -> dict[str, Any]:
    nq = draw(st.integers(1, 3))
    queues = [dict(draw(queue_st), name=f"q{i}") for i in range(nq)]
    if nq > 1 and draw(st.booleans()):
        queues[0]["overflow_queue"] = "q1"
        queues[0].setdefault("max_wait_seconds", 20)
    agents = [{"id": f"a{i}", "skills": draw(skills_st)} for i in range(draw(st.integers(1, 5)))]
    return {"queues": queues, "agents": agents}


action_st = st.one_of(
    st.tuples(st.just("arrive"), st.integers(0, 2), st.integers(0, 2), skills_st),
    st.tuples(st.just("answer"), st.integers(0, 30)),
    st.tuples(st.just("hangup"), st.integers(0, 30), st.sampled_from(["caller", "agent"])),
    st.tuples(st.just("fail"), st.integers(0, 30)),
    st.tuples(st.just("transfer"), st.integers(0, 30), st.integers(0, 2)),
    st.tuples(st.just("kill"), st.integers(0, 30)),
    st.tuples(
        st.just("agent"),
        st.integers(0, 4),
        st.sampled_from(["login", "login_paused", "logout", "ready", "pause", "skills"]),
        skills_st,
    ),
    st.tuples(st.just("advance"), st.sampled_from([0.0, 0.5, 3.0, 10.0, 40.0])),
)


def snapshot(c: Center) -> Any:
    e = c.engine
    return (
        {
            a.id: (a.state, a.pending, a.call and a.call.id, dict(a.skills))
            for a in e.agents.values()
        },
        {k: (v.state, tuple(sorted(v.ringing))) for k, v in e.calls.items()},
        e.next_deadline(),
        [(q.stats.offered, q.stats.answered, q.present) for q in e.queues.values()],
    )


def check(c: Center, n_arrived: int, cmds: list[Any]) -> None:
    e = c.engine
    # Offers only to agents who meet the call's requirement in force.
    for cmd in cmds:
        if isinstance(cmd, OfferCall):
            call = e.calls[cmd.call_id]
            agent = e.agents[cmd.agent_id]
            assert any(
                all(agent.skills.get(skill, 0) >= lvl for skill, lvl in p.alt) for p in call.pools
            ), (cmd, agent.skills)
    # An agent holds at most one call; a call holds the agents that point at it.
    holders: dict[str, list[str]] = {}
    for a in e.agents.values():
        if a.state in (AgentState.RINGING, AgentState.ON_CALL):
            assert a.call is not None
            holders.setdefault(a.call.id, []).append(a.id)
        else:
            assert a.call is None
        assert a.ready == (a.state is AgentState.READY)
    for cid, call in e.calls.items():
        if call.state is CallState.CONNECTED:
            assert holders.get(cid) == [call.agent.id]  # type: ignore[union-attr]
        elif call.state is CallState.RINGING:
            assert sorted(holders.get(cid, [])) == sorted(a.id for a in call.ringing.values())
            assert call.ringing
        else:
            assert call.state is CallState.WAITING and cid not in holders
    # Every call ends exactly once.
    assert e.records is not None
    ids = [r.call_id for r in e.records]
    assert len(ids) == len(set(ids))
    assert len(ids) + len(e.calls) == n_arrived
    assert not set(ids) & set(e.calls)
    # Counts add up per queue.
    for name, k in e.report(c.now)["queues"].items():
        ended = (
            k["answered"]
            + k["abandoned"]
            + k["timed_out"]
            + k["overflowed"]
            + k["rejected"]
            + k["left_empty"]
            + k["transferred"]
        )
        assert k["offered"] == ended + k["waiting"], (name, k)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(centers(), st.lists(action_st, max_size=60), st.integers(0, 3))
def test_invariants_hold_under_any_event_sequence(
    center: dict[str, Any], actions: list[Any], seed: int
) -> None:
    cfg = config(**center)
    c = Center(cfg, seed=seed, login=False)
    qnames = [q.name for q in cfg.queues]
    agents = [a.id for a in cfg.agents]
    n_arrived = 0
    for action in actions:
        kind = action[0]
        live = sorted(c.engine.calls)
        event: ev.Event | None = None
        if kind == "arrive":
            n_arrived += 1
            event = ev.CallArrived(
                f"c{n_arrived}",
                qnames[action[1] % len(qnames)],
                action[2],
                skills=action[3] if action[2] == 2 else {},
            )
        elif kind in ("answer", "fail") and live:
            call = c.engine.calls[live[action[1] % len(live)]]
            ringing = sorted(a.id for a in call.ringing.values()) or agents
            who = ringing[action[1] % len(ringing)]
            event = (ev.AgentAnswered if kind == "answer" else ev.OfferFailed)(call.id, who)
        elif kind == "hangup" and live:
            event = ev.CallHungUp(live[action[1] % len(live)], action[2])
        elif kind == "transfer" and live:
            event = ev.TransferCall(live[action[1] % len(live)], qnames[action[2] % len(qnames)])
        elif kind == "kill" and live:
            event = ev.HangUpCall(live[action[1] % len(live)])
        elif kind == "agent":
            aid = agents[action[1] % len(agents)]
            verb = action[2]
            if verb == "login":
                event = ev.AgentLogin(aid)
            elif verb == "login_paused":
                event = ev.AgentLogin(aid, ready=False)
            elif verb == "logout":
                event = ev.AgentLogout(aid)
            elif verb == "ready":
                event = ev.AgentReady(aid)
            elif verb == "pause":
                event = ev.AgentPause(aid, "break")
            else:
                event = ev.SetAgentSkills(aid, action[3])
        if kind == "advance":
            # Fire timers one instant at a time so every batch of commands is checked.
            target = c.now + action[1]
            while (due := c.engine.next_deadline()) is not None and due <= target:
                c.now = due
                check(c, n_arrived, c.engine.on_timer(due))
            c.now = target
            continue
        if event is not None:
            before = snapshot(c)
            try:
                cmds = c.do(event)
            except AcdError:
                assert snapshot(c) == before  # refused: nothing changed
                if isinstance(event, ev.CallArrived):
                    n_arrived -= 1
                continue
        else:
            continue
        check(c, n_arrived, cmds)
