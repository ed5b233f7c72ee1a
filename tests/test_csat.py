"""CSAT and quality scores: counted in the rows of the call they score, worked out by hand;
the post-call survey is offered only when the agent ends a call in a survey queue."""

from __future__ import annotations

import pytest

from acd import events as ev
from acd.errors import InvalidEvent, UnknownEntity
from tests.helpers import Center, config


def center() -> Center:
    cfg = config(
        [{"name": "q", "survey": {"scale": 5}}, {"name": "plain"}],
        [{"id": "a1"}],
    )
    return Center(cfg)


def handled(c: Center, cid: str, queue: str = "q", party: str = "agent") -> None:
    c.arrive(cid, queue, caller="+12125550101")
    c.answer(cid, "a1")
    c.advance(30)
    c.hangup(cid, party)


def test_the_survey_is_offered_when_the_agent_ends_the_call_in_a_survey_queue() -> None:
    c = center()
    handled(c, "c1")  # the agent ends it: the caller stays for the survey
    handled(c, "c2", party="caller")  # the caller hung up: nobody to ask
    handled(c, "c3", queue="plain")  # no survey in this queue
    assert c.kpis("q")["surveys"] == 1
    assert c.kpis("plain")["surveys"] == 0


def test_csat_is_the_top_two_box_share_the_mean_and_the_response_rate() -> None:
    c = center()
    for cid in ("c1", "c2", "c3", "c4"):
        handled(c, cid)
    c.do(ev.CallScored("c1", 5))
    c.do(ev.CallScored("c2", 4))
    c.do(ev.CallScored("c3", 2))
    k = c.kpis("q")
    assert (k["surveys"], k["csat_responses"]) == (4, 3)
    assert k["csat"] == 2 / 3  # 5 and 4 are the top two boxes of 1-5
    assert k["csat_mean_ratio"] == pytest.approx((5 + 4 + 2) / 15)
    assert k["csat_response_rate"] == 3 / 4
    agent = c.engine.report(c.now)["agents"]["a1"]
    assert (agent["csat_responses"], agent["csat"]) == (3, 2 / 3)
    # A score on another scale is judged on its own: 9 of 10 is a top-two box.
    c.do(ev.CallScored("c4", 9, 10))
    assert c.kpis("q")["csat"] == 3 / 4


def test_quality_scores_go_to_the_agent() -> None:
    c = center()
    handled(c, "c1")
    handled(c, "c2")
    c.do(ev.QualityScored("c1", 80, "standard"))
    c.do(ev.QualityScored("c2", 90))
    agent = c.engine.report(c.now)["agents"]["a1"]
    assert (agent["quality_scores"], agent["quality_avg"]) == (2, 85)


def test_bad_scores_are_refused_and_change_nothing() -> None:
    c = center()
    handled(c, "c1")
    with pytest.raises(UnknownEntity):
        c.do(ev.CallScored("nope", 5))
    with pytest.raises(InvalidEvent):
        ev.CallScored("c1", 6, 5)
    with pytest.raises(InvalidEvent):
        ev.QualityScored("c1", 101)
    assert c.kpis("q")["csat_responses"] == 0


def test_a_score_counts_in_the_interval_the_call_entered() -> None:
    c = center()
    handled(c, "c1")
    c.advance(3600)  # hours later, the survey tool reports
    c.do(ev.CallScored("c1", 5))
    rows = {
        start: r.csat_responses
        for (start, name), r in c.engine.book.queue_rows.items()
        if name == "q"
    }
    assert rows == {c.engine.book.cal.interval(0.0): 1}
    assert any(
        r.key == ("queue", c.engine.book.cal.interval(0.0), "q") for r in c.engine.book.dirty
    )


def test_the_csat_gauge() -> None:
    from tests.test_interval_metrics import scrape

    c = center()
    handled(c, "c1")
    handled(c, "c2")
    c.do(ev.CallScored("c1", 5))
    c.do(ev.CallScored("c2", 1))
    assert scrape(c)['acd_csat_ratio{queue="q"}'] == 0.5
