"""Each strategy picks the agent it promises; escalation and call order behave as configured."""

from __future__ import annotations

from collections import Counter

import pytest

from acd import events as ev
from tests.helpers import Center, config, offers

AGENTS = [
    {"id": "a", "skills": {"s": 3}},
    {"id": "b", "skills": {"s": 9}},
    {"id": "c", "skills": {"s": 6}},
]


def take(c: Center, call: str, queue: str = "q") -> str:
    """Route one call, answer it at once, and return the agent who got it."""
    ((_, agent),) = offers(c.arrive(call, queue))
    c.answer(call, agent)
    return agent


def finish(c: Center, call: str, talk: float = 10.0) -> None:
    c.advance(talk)
    c.hangup(call)


def center(strategy: str, **q: object) -> Center:
    return Center(config([{"name": "q", "skills": {"s": 1}, "strategy": strategy, **q}], AGENTS))


def test_longest_idle_takes_the_agent_idle_longest() -> None:
    c = center("longest-idle")
    assert take(c, "1") == "a"  # all idle since login, in login order
    finish(c, "1")
    assert take(c, "2") == "b"
    finish(c, "2")
    assert take(c, "3") == "c"
    finish(c, "3")
    assert take(c, "4") == "a"


def test_linear_always_from_the_top() -> None:
    c = center("linear")
    assert take(c, "1") == "a"
    finish(c, "1")
    assert take(c, "2") == "a"
    assert take(c, "3") == "b"


def test_round_robin_remembers_where_it_stopped() -> None:
    c = center("round-robin")
    got = []
    for i in range(6):
        got.append(take(c, str(i)))
        finish(c, str(i))
    assert got == ["a", "b", "c", "a", "b", "c"]


def test_fewest_calls_and_least_talk_time() -> None:
    c = center("fewest-calls")
    assert take(c, "1") == "a"
    finish(c, "1", talk=100)
    assert take(c, "2") == "b"
    finish(c, "2", talk=5)
    assert take(c, "3") == "c"
    finish(c, "3", talk=50)
    assert take(c, "4") == "a"  # all have one call: longest idle of them
    c = center("least-talk-time")
    for call, talk in (("1", 100), ("2", 5), ("3", 50)):
        take(c, call)
        finish(c, call, talk)
    assert take(c, "4") == "b"
    assert take(c, "5") == "c"


def test_best_skill_takes_the_highest_level() -> None:
    c = center("best-skill")
    assert take(c, "1") == "b"
    assert take(c, "2") == "c"
    assert take(c, "3") == "a"


def test_random_and_weighted_random_are_seeded_and_weighted() -> None:
    def spread(strategy: str, seed: int) -> Counter[str]:
        c = Center(
            config([{"name": "q", "skills": {"s": 1}, "strategy": strategy}], AGENTS), seed=seed
        )
        n: Counter[str] = Counter()
        for i in range(3000):
            agent = take(c, str(i))
            n[agent] += 1
            c.hangup(str(i))
        return n

    r = spread("random", 1)
    assert r == spread("random", 1)  # same seed, same picks
    assert all(900 < r[x] < 1100 for x in "abc")
    w = spread("weighted-random", 2)
    # Weights 3 : 9 : 6 out of 18.
    assert w["b"] / 3000 == pytest.approx(9 / 18, abs=0.04)
    assert w["c"] / 3000 == pytest.approx(6 / 18, abs=0.04)
    assert w["a"] / 3000 == pytest.approx(3 / 18, abs=0.04)


def test_minimum_level_is_enforced_and_escalation_lowers_it() -> None:
    cfg = config(
        [
            {
                "name": "q",
                "skills": {"s": 7},
                "escalation": [
                    {"after_seconds": 30, "lower_levels_by": 2},
                    {"after_seconds": 60, "add_alternative": {"backup": 1}, "raise_priority": 3},
                ],
            }
        ],
        [
            {"id": "a", "skills": {"s": 5}},
            {"id": "z", "skills": {"backup": 2}},
            {"id": "b", "skills": {"s": 9}},
        ],
    )
    c = Center(cfg)
    c.do(ev.AgentPause("b"))
    assert offers(c.arrive("c1", "q")) == []
    assert offers(c.advance(29.9)) == []
    assert offers(c.advance(0.1)) == [("c1", "a")]  # level 7 lowered to 5 at 30 s
    c.answer("c1", "a")
    c.arrive("c2", "q")
    assert offers(c.advance(60)) == [("c2", "z")]  # widened to the backup group at 60 s


def test_agent_ready_takes_queue_priority_then_call_priority_then_wait() -> None:
    cfg = config(
        [{"name": "low", "priority": 0}, {"name": "high", "priority": 5}],
        [{"id": "a"}],
    )
    c = Center(cfg)
    c.do(ev.AgentPause("a"))
    c.arrive("l1", "low")
    c.advance(1)
    c.arrive("h1", "high")
    c.advance(1)
    c.arrive("h2", "high", priority=2)
    c.advance(1)
    c.arrive("h3", "high", priority=2)
    c.do(ev.AgentReady("a"))
    order = []
    for _ in range(4):
        call = offers(c.out)[-1][0]
        order.append(call)
        c.answer(call, "a")
        c.hangup(call)
    assert order == ["h2", "h3", "h1", "l1"]


def test_wait_only_call_order() -> None:
    cfg = config(
        [{"name": "low", "priority": 0}, {"name": "high", "priority": 5}],
        [{"id": "a"}],
        routing={"call_order": ["wait"]},
    )
    c = Center(cfg)
    c.do(ev.AgentPause("a"))
    c.arrive("l1", "low")
    c.advance(1)
    c.arrive("h1", "high")
    c.do(ev.AgentReady("a"))
    assert offers(c.out)[-1] == ("l1", "a")


def test_call_with_extra_skills_needs_them() -> None:
    cfg = config(
        [{"name": "q", "skills": {"s": 1}}],
        [{"id": "a", "skills": {"s": 5}}, {"id": "b", "skills": {"s": 5, "fr": 4}}],
    )
    c = Center(cfg)
    assert offers(c.arrive("c1", "q", skills={"fr": 3})) == [("c1", "b")]
    assert offers(c.arrive("c2", "q", skills={"fr": 3})) == []
