"""Invariants under arbitrary sequences of every engine entry point (hypothesis): events,
timers, agent-targeted calls (reserve, dial, connect, dial ended, release) and config reloads.

- an agent is never on two calls, and a call never with two agents;
- a call is offered only to an agent who meets its requirement at the level in force, both
  worked out here from the config and the documented escalation rules (the queue's skills
  merged with the call's own, levels by the time since the call entered its current queue;
  agents' skills from the config, live changes and reloads), never read from the engine;
- every call ends exactly once, and per queue: offered = answered + abandoned + timed out +
  overflowed + rejected + left empty + transferred + still waiting;
- an input the engine refuses changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis import target as aim

from acd import events as ev
from acd.commands import Command, MoveToQueue, OfferCall
from acd.config.schema import Config
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
    st.tuples(
        st.just("targeted"),
        st.integers(0, 4),
        st.sampled_from(["reserve", "release", "dial", "dial_ended", "connect"]),
        st.integers(0, 2),
    ),
    st.tuples(st.just("reload"), st.integers(0, 2), skills_st, st.integers(0, 4), skills_st),
)


class Oracle:
    """What the config and the escalation rules say a call needs and an agent has."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.skills = {a.id: dict(a.skills) for a in cfg.agents}
        # call -> (queue it is in, when it entered that queue, its own skills)
        self.where: dict[str, tuple[str, float, dict[str, int]]] = {}

    def reload(self, cfg: Config) -> None:
        self.cfg = cfg
        self.skills = {a.id: dict(a.skills) for a in cfg.agents}  # the file wins on reload

    def requirement(self, call_id: str, now: float) -> list[list[dict[str, int]]]:
        """The alternatives of every escalation level whose time window holds ``now`` (both
        ends: at the instant of a step either level may have been used)."""
        queue, entered, own = self.where[call_id]
        q = next(q for q in self.cfg.queues if q.name == queue)
        primary = dict(q.skills)
        for s, lvl in own.items():
            primary[s] = max(primary.get(s, 0), lvl)
        extra: list[dict[str, int]] = []
        levels = [(0.0, [dict(primary)])]
        for step in q.escalation:
            if step.lower_levels_by:
                primary = {s: max(1, lvl - step.lower_levels_by) for s, lvl in primary.items()}
            primary.update(step.min_levels)
            if step.add_alternative and dict(step.add_alternative) not in extra:
                extra.append(dict(step.add_alternative))
            levels.append((step.after_seconds, [dict(primary), *extra]))
        waited = now - entered
        out = []
        for k, (start, alts) in enumerate(levels):
            end = levels[k + 1][0] if k + 1 < len(levels) else float("inf")
            if start - 1e-9 <= waited <= end + 1e-9:
                out.append(alts)
        return out

    def qualifies(self, agent_id: str, call_id: str, now: float) -> bool:
        have = self.skills[agent_id]
        return any(
            all(have.get(s, 0) >= lvl for s, lvl in alt.items())
            for alts in self.requirement(call_id, now)
            for alt in alts
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


def check(c: Center, oracle: Oracle, n_arrived: int, cmds: list[Command]) -> None:
    e = c.engine
    # Offers only to agents who meet the call's requirement in force, in command order (a
    # transfer or overflow moves the call before its next offer).
    for cmd in cmds:
        if isinstance(cmd, MoveToQueue):
            _, _, own = oracle.where[cmd.call_id]
            oracle.where[cmd.call_id] = (cmd.queue, c.now, own)
        elif isinstance(cmd, OfferCall):
            assert oracle.qualifies(cmd.agent_id, cmd.call_id, c.now), (
                cmd,
                oracle.skills[cmd.agent_id],
                oracle.requirement(cmd.call_id, c.now),
            )
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
            + k["hung_up"]
            - k["transferred_answered"]  # answered first: counted there
        )
        assert k["offered"] == ended + k["waiting"], (name, k)


def _reload(e: Any, cfg: Config, now: float) -> list[Command]:
    e.reconfigure(cfg, now)
    return []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Sequences long enough to reach the interesting states (short ones are mostly refusals).
@given(centers(), st.lists(action_st, min_size=15, max_size=80), st.integers(0, 3), st.booleans())
def test_invariants_hold_under_any_event_sequence(
    center: dict[str, Any], actions: list[Any], seed: int, login: bool
) -> None:
    cfg = config(**center)
    c = Center(cfg, seed=seed, login=login)
    oracle = Oracle(cfg)
    qnames = [q.name for q in cfg.queues]
    agents = [a.id for a in cfg.agents]
    n_arrived = 0
    n_targeted = 0
    accepted = 0
    for action in actions:
        kind = action[0]
        live = sorted(c.engine.calls)
        e = c.engine
        step: Callable[[], list[Command]] | None = None
        new_call: tuple[str, str, dict[str, int]] | None = None  # id, queue, own skills
        if kind == "arrive":
            cid, queue = f"c{n_arrived + 1}", qnames[action[1] % len(qnames)]
            own = action[3] if action[2] == 2 else {}
            new_call = (cid, queue, own)
            event: ev.Event = ev.CallArrived(cid, queue, action[2], skills=own)
            step = partial(c.do, event)
        elif kind in ("answer", "fail") and live:
            call = e.calls[live[action[1] % len(live)]]
            ringing = sorted(a.id for a in call.ringing.values()) or agents
            who = ringing[action[1] % len(ringing)]
            event = (ev.AgentAnswered if kind == "answer" else ev.OfferFailed)(call.id, who)
            step = partial(c.do, event)
        elif kind == "hangup" and live:
            event = ev.CallHungUp(live[action[1] % len(live)], action[2])
            step = partial(c.do, event)
        elif kind == "transfer" and live:
            event = ev.TransferCall(live[action[1] % len(live)], qnames[action[2] % len(qnames)])
            step = partial(c.do, event)
        elif kind == "kill" and live:
            event = ev.HangUpCall(live[action[1] % len(live)])
            step = partial(c.do, event)
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
            step = partial(c.do, event)
        elif kind == "targeted":
            aid, verb = agents[action[1] % len(agents)], action[2]
            if verb == "connect":
                cid, queue = f"t{n_targeted + 1}", qnames[action[3] % len(qnames)]
                new_call = (cid, queue, {})
                step = partial(e.connect_agent, cid, queue, aid, "5550100", c.now)
            else:
                fn = getattr(e, f"{verb}_agent" if verb != "dial_ended" else "dial_ended")
                step = partial(fn, aid, c.now)
        elif kind == "reload":
            doc = {
                "queues": [dict(q) for q in center["queues"]],
                "agents": [dict(a) for a in center["agents"]],
            }
            doc["queues"][action[1] % len(doc["queues"])]["skills"] = action[2]
            doc["agents"][action[3] % len(doc["agents"])]["skills"] = action[4]
            center = doc
            new_cfg = config(**doc)
            step = partial(_reload, e, new_cfg, c.now)
        if kind == "advance":
            # Fire timers one instant at a time so every batch of commands is checked.
            target = c.now + action[1]
            while (due := e.next_deadline()) is not None and due <= target:
                c.now = due
                check(c, oracle, n_arrived, e.on_timer(due))
            c.now = target
            continue
        if step is None:
            continue
        before = snapshot(c)
        if new_call is not None:
            oracle.where[new_call[0]] = (new_call[1], c.now, new_call[2])
        try:
            cmds = step()
        except AcdError:
            assert snapshot(c) == before  # refused: nothing changed
            if new_call is not None:
                del oracle.where[new_call[0]]
            continue
        if new_call is not None:
            if new_call[0].startswith("t"):
                n_targeted += 1
            n_arrived += 1
        if kind == "agent" and action[2] == "skills":
            oracle.skills[event.agent_id] = dict(action[3])  # type: ignore[attr-defined]
        if kind == "reload":
            oracle.reload(new_cfg)
        if kind in ("targeted", "reload"):
            accepted += 1
        check(c, oracle, n_arrived, cmds)
    aim(accepted, label="targeted calls and reloads accepted")
