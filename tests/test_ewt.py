"""Estimated wait (acd.engine.ewt) against theory and against what the configuration says.

References are independent of the estimator: with exponential handle times and every agent
busy, the releases of N agents are a Poisson process of rate N mu (the memoryless property;
Erlang C's conditional wait), so the (k+1)-th comes after a Gamma(k+1, N mu) time; the estimate
is its median, the number that minimises the absolute error of what is announced; an escalation
step's time is in the config; a call no working agent can serve has no estimate.
"""

from __future__ import annotations

import math

from scipy.stats import gamma

from acd import events as ev
from acd.engine.ewt import estimator
from tests.helpers import Center, config, offers

MEAN = 120.0


def _release(k: int, n: int) -> float:
    """The median time of the k-th release of n busy agents, exponential handle times."""
    return float(gamma.median(k, scale=MEAN / n))


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
        expected = _release(k + 1, n)
        got = est.call(c.engine.calls[f"w{k}"])
        assert got is not None
        assert abs(got - expected) <= 0.08 * expected + 2.0, (k, got, expected)


def test_the_queue_estimate_is_that_of_the_next_caller() -> None:
    n = 4
    c = _busy_center(n)
    for k in range(3):
        c.arrive(f"w{k}", "q")
    view = c.engine.queues_view(c.now, "q")[0]
    expected = _release(4, n)  # three ahead of a caller arriving now
    assert abs(view["ewt_seconds"] - expected) <= 0.08 * expected + 2.0


def test_fixed_handle_times_free_each_agent_once_a_cycle_not_at_a_steady_rate() -> None:
    """Two agents whose calls last exactly 100 s, 50 s apart: releases at 49, 99, 149, 199,
    249 s from now, so the fifth caller in line (four ahead) is answered at 249 s. A steady
    rate after each agent's first release (one per 100 s from then) counts releases the
    agents cannot make yet and says about 208 s."""
    cfg = config(
        [{"name": "q", "skills": {"s": 1}}],
        [{"id": f"a{i}", "skills": {"s": 1}} for i in range(2)],
    )
    c = Center(cfg, login=False)
    c.do(ev.AgentLogin("a0"))
    _warm(c, "q", "a0", [100.0] * 200)
    c.do(ev.AgentLogin("a1"))
    for i, gap in enumerate((50.0, 1.0)):
        (offer,) = offers(c.arrive(f"busy{i}", "q"))
        c.answer(f"busy{i}", offer[1])
        c.advance(gap)
    for k in range(5):
        assert not offers(c.arrive(f"w{k}", "q"))
    got = estimator(c.engine, c.now).call(c.engine.calls["w4"])
    assert got is not None and abs(got - 249.0) <= 10.0, got


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
    # high goes first: one release for it, two for low.
    assert abs(high - _release(1, 2)) <= 0.1 * _release(1, 2) + 2
    assert abs(low - _release(2, 2)) <= 0.1 * _release(2, 2) + 2


def test_answered_calls_have_no_estimate() -> None:
    c = _busy_center(1)
    assert c.engine.call_view(c.engine.calls["busy0"], c.now)["ewt_seconds"] is None


def test_the_gauge_carries_the_estimate_and_is_absent_when_unknown() -> None:
    from tests.test_interval_metrics import scrape

    c = _busy_center(4)
    for k in range(3):
        c.arrive(f"w{k}", "q")
    got = scrape(c)
    want = _release(4, 4)
    assert abs(got['acd_estimated_wait_seconds{queue="q"}'] - want) <= 0.08 * want + 2
    cfg = config([{"name": "q", "skills": {"s": 1}}], [{"id": "a", "skills": {"s": 1}}])
    empty = Center(cfg, login=False)
    assert not any(k.startswith("acd_estimated_wait_seconds") for k in scrape(empty))
