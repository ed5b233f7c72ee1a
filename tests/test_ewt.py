"""Estimated wait (acd.engine.ewt) against theory and against what the configuration says.

References are independent of the estimator: with exponential handle times and every agent
busy, the (k+1)-th release of N agents comes after (k+1) / (N mu) on average (the memoryless
property; Erlang C's conditional wait); an escalation step's time is in the config; a call no
working agent can serve has no estimate.
"""

from __future__ import annotations

import math

from acd import events as ev
from acd.engine.ewt import estimator
from tests.helpers import Center, config, offers

MEAN = 120.0


def _exp_quantiles(n: int = 400) -> list[float]:
    return [-MEAN * math.log(1 - (i + 0.5) / n) for i in range(n)]


def _warm(center: Center, queue: str, agent: str, durations: list[float]) -> None:
    """Calls of ``queue`` handled one after another by ``agent``, talking ``durations``."""
    for i, d in enumerate(durations):
        cid = f"warm-{queue}-{i}"
        cmds = center.arrive(cid, queue)
        assert offers(cmds) == [(cid, agent)]
        center.answer(cid, agent)
        center.advance(d)
        center.hangup(cid)


def _busy_center(n_agents: int) -> Center:
    cfg = config(
        [{"name": "q", "skills": {"s": 1}}],
        [{"id": f"a{i}", "skills": {"s": 1}} for i in range(n_agents)],
    )
    c = Center(cfg, login=False)
    c.do(ev.AgentLogin("a0"))
    _warm(c, "q", "a0", _exp_quantiles())
    for i in range(1, n_agents):
        c.do(ev.AgentLogin(f"a{i}"))
    for i in range(n_agents):  # every agent takes a call and talks
        cid = f"busy{i}"
        (offer,) = offers(c.arrive(cid, "q"))
        c.answer(cid, offer[1])
        c.advance(1.0)
    return c


def test_busy_agents_exponential_handle_times_match_the_memoryless_wait() -> None:
    n = 4
    c = _busy_center(n)
    for k in range(6):
        assert not offers(c.arrive(f"w{k}", "q"))
    est = estimator(c.engine, c.now)
    for k in range(6):
        expected = (k + 1) * MEAN / n
        got = est.call(c.engine.calls[f"w{k}"])
        assert got is not None
        assert abs(got - expected) <= 0.08 * expected + 2.0, (k, got, expected)


def test_the_queue_estimate_is_that_of_the_next_caller() -> None:
    n = 4
    c = _busy_center(n)
    for k in range(3):
        c.arrive(f"w{k}", "q")
    view = c.engine.queues_view(c.now, "q")[0]
    expected = 4 * MEAN / n  # three ahead of a caller arriving now
    assert abs(view["ewt_seconds"] - expected) <= 0.08 * expected + 2.0


def test_no_logged_in_agent_means_no_number() -> None:
    cfg = config([{"name": "q", "skills": {"s": 1}}], [{"id": "a", "skills": {"s": 1}}])
    c = Center(cfg, login=False)
    c.arrive("x", "q")
    assert c.engine.call_view(c.engine.calls["x"], c.now)["ewt_seconds"] is None
    assert c.engine.queues_view(c.now, "q")[0]["ewt_seconds"] is None


def test_only_paused_agents_means_no_number() -> None:
    cfg = config([{"name": "q", "skills": {"s": 1}}], [{"id": "a", "skills": {"s": 1}}])
    c = Center(cfg)
    c.do(ev.AgentPause("a", "lunch"))
    c.arrive("x", "q")
    assert c.engine.call_view(c.engine.calls["x"], c.now)["ewt_seconds"] is None


def test_agents_of_another_skill_do_not_count() -> None:
    cfg = config(
        [{"name": "q", "skills": {"s": 1}}, {"name": "other", "skills": {"t": 1}}],
        [{"id": "a", "skills": {"t": 1}}],
    )
    c = Center(cfg)
    c.arrive("x", "q")
    assert c.engine.call_view(c.engine.calls["x"], c.now)["ewt_seconds"] is None


def test_escalation_to_a_ready_agent_is_expected_when_the_step_is_due() -> None:
    cfg = config(
        [
            {
                "name": "q",
                "skills": {"s": 5},
                "escalation": [{"after_seconds": 40, "lower_levels_by": 4}],
            }
        ],
        [{"id": "a", "skills": {"s": 1}}],
    )
    c = Center(cfg)
    assert not offers(c.arrive("x", "q"))
    c.advance(10.0)
    got = c.engine.call_view(c.engine.calls["x"], c.now)["ewt_seconds"]
    assert got is not None and abs(got - 30.0) <= 1.0  # 40 s after entry, 10 s gone


def test_calls_of_agents_we_do_not_share_are_not_ahead() -> None:
    def build(with_other: bool) -> float | None:
        cfg = config(
            [
                {"name": "q", "skills": {"s": 1}, "priority": 0},
                {"name": "other", "skills": {"t": 1}, "priority": 9},
            ],
            [{"id": "a0", "skills": {"s": 1}}, {"id": "b0", "skills": {"t": 1}}],
        )
        c = Center(cfg, login=False)
        c.do(ev.AgentLogin("a0"))
        _warm(c, "q", "a0", _exp_quantiles(100))
        c.do(ev.AgentLogin("b0"))
        for q, agent in (("q", "a0"), ("other", "b0")):
            c.arrive(f"busy-{q}", q)
            c.answer(f"busy-{q}", agent)
        if with_other:
            for k in range(5):
                c.arrive(f"o{k}", "other")
        c.arrive("x", "q")
        return c.engine.call_view(c.engine.calls["x"], c.now)["ewt_seconds"]

    alone, beside = build(False), build(True)
    assert alone is not None and alone == beside


def test_a_higher_priority_caller_waits_less() -> None:
    c = _busy_center(2)
    c.arrive("low", "q", priority=0)
    c.arrive("high", "q", priority=5)
    est = estimator(c.engine, c.now)
    low, high = est.call(c.engine.calls["low"]), est.call(c.engine.calls["high"])
    assert low is not None and high is not None
    # high goes first: one release for it, two for low (memoryless: mean / N each).
    assert abs(high - MEAN / 2) <= 0.1 * MEAN / 2 + 2
    assert abs(low - 2 * MEAN / 2) <= 0.1 * MEAN + 2


def test_answered_calls_have_no_estimate() -> None:
    c = _busy_center(1)
    assert c.engine.call_view(c.engine.calls["busy0"], c.now)["ewt_seconds"] is None


def test_the_gauge_carries_the_estimate_and_is_absent_when_unknown() -> None:
    from tests.test_interval_metrics import scrape

    c = _busy_center(4)
    for k in range(3):
        c.arrive(f"w{k}", "q")
    got = scrape(c)
    assert abs(got['acd_estimated_wait_seconds{queue="q"}'] - 4 * MEAN / 4) <= 0.08 * MEAN + 2
    cfg = config([{"name": "q", "skills": {"s": 1}}], [{"id": "a", "skills": {"s": 1}}])
    empty = Center(cfg, login=False)
    assert not any(k.startswith("acd_estimated_wait_seconds") for k in scrape(empty))
