"""A skill taken away from a ready agent: the pools forget the agent at once, whatever the
strategy (the heap pools keep stale entries, which must never be read as live)."""

from __future__ import annotations

import pytest

from acd import events as ev
from routing.strategies import Strategy
from tests.helpers import Center, config, offers


@pytest.mark.parametrize("strategy", [s.value for s in Strategy])
def test_a_ready_agent_who_loses_the_skill_is_not_offered(strategy: str) -> None:
    cfg = config(
        [{"name": "q", "skills": {"s3": 2}, "strategy": strategy}],
        [{"id": "a", "skills": {"s3": 5}}, {"id": "b", "skills": {"s3": 3, "x": 1}}],
    )
    c = Center(cfg)
    c.do(ev.SetAgentSkills("a", {"x": 1}))  # a is ready, and no longer meets s3 >= 2
    assert offers(c.arrive("c1", "q")) == [("c1", "b")]
    c.do(ev.SetAgentSkills("b", {}))
    c.advance(20.0)  # b's offer rings out; nobody left who may take c1
    assert [o for o in offers(c.out) if o[1] == "a"] == []
