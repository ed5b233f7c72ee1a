"""What the snapshot gives the wall, against figures counted by hand from a day driven by hand.

Every expected number below is worked out in the comments from the events the test sends, not
read from the engine's counters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from acd import events as ev
from acd.config.schema import Config
from acd.daemon.snapshot import build_snapshot, snapshot_message
from tests.helpers import Center, config
from tests.test_preview import Book
from tests.test_preview import config as preview_config

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()  # an interval start (UTC center)


def one_queue() -> Config:
    return config(
        [
            {
                "name": "q",
                "wrap_up_seconds": 10,
                "ring_timeout_seconds": 60,
                "service_level": {"threshold_seconds": 20, "target": 0.8},
            }
        ],
        [{"id": "a1", "name": "Ann"}],
        center={"time_zone": "UTC"},
        reporting={"interval_minutes": 15},
    )


def queue(snap: dict[str, Any], name: str) -> dict[str, Any]:
    (q,) = [q for q in snap["queues"] if q["name"] == name]
    return q


def agent(snap: dict[str, Any], agent_id: str) -> dict[str, Any]:
    (a,) = [a for a in snap["agents"] if a["id"] == agent_id]
    return a


def handled_day() -> Center:
    """One agent, four calls: three in the 09:00 interval, one in 09:15 (times from T0).

    c1 arrives 10, answered 15 (wait 5), talks to 75, wraps to 85.
    c2 arrives 100, answered 130 (wait 30: over the 20 s threshold), talks to 190, wraps to 200.
    c3 arrives 150 while a1 is busy, abandons at 170 (waited 20 s: not a short abandon).
    c4 arrives 1000 (09:16:40), answered 1002 (wait 2), talks to 1062, wraps to 1072.
    """
    c = Center(one_queue(), login=False)
    c.now = T0
    c.do(ev.AgentLogin("a1"))
    steps: list[tuple[float, ev.Event]] = [
        (10, ev.CallArrived("c1", "q")),
        (15, ev.AgentAnswered("c1", "a1")),
        (75, ev.CallHungUp("c1", "caller")),
        (100, ev.CallArrived("c2", "q")),
        (130, ev.AgentAnswered("c2", "a1")),
        (150, ev.CallArrived("c3", "q")),
        (170, ev.CallHungUp("c3", "caller")),
        (190, ev.CallHungUp("c2", "caller")),
        (1000, ev.CallArrived("c4", "q")),
        (1002, ev.AgentAnswered("c4", "a1")),
        (1062, ev.CallHungUp("c4", "caller")),
    ]
    for at, e in steps:
        c.advance_to(T0 + at)
        c.do(e)
    c.advance_to(T0 + 1100)
    return c


def test_queue_today_and_last_interval_equal_a_count_by_hand() -> None:
    c = handled_day()
    snap = build_snapshot(c.engine, c.now)
    q = queue(snap, "q")
    # Today: 4 offered, 3 answered (waits 5, 30, 2), 1 abandoned; within 20 s: c1, c4.
    assert (q["offered"], q["answered"], q["abandoned"]) == (4, 3, 1)
    assert q["service_level"] == pytest.approx(2 / 4)
    assert q["asa_seconds"] == pytest.approx((5 + 30 + 2) / 3)
    assert q["aht_seconds"] == pytest.approx(70.0)  # 60 s talk + 10 s wrap, each call
    assert q["abandon_rate"] == pytest.approx(1 / 4)
    assert q["service_level_target"] == 0.8
    # The last closed interval is 09:00-09:15: c1, c2, c3 (c4 entered at 09:16:40).
    assert snap["interval"] == {
        "start": T0,
        "local": "2026-03-02T09:00:00+00:00",
        "minutes": 15,
    }
    last = q["last_interval"]
    assert (last["offered"], last["answered"], last["abandoned"]) == (3, 2, 1)
    assert last["service_level"] == pytest.approx(1 / 3)  # c1 only, of 3 ended
    assert last["asa_seconds"] == pytest.approx((5 + 30) / 2)
    assert last["aht_seconds"] == pytest.approx(70.0)
    assert last["abandon_rate"] == pytest.approx(1 / 3)
    assert last["max_wait_seconds"] == pytest.approx(30.0)
    # The figures of today are the engine's report (one definition).
    report = c.engine.report(c.now)["queues"]["q"]
    assert {k: q[k] for k in report} == report


def test_last_interval_is_empty_before_any_call_entered_in_it() -> None:
    c = handled_day()
    c.advance_to(T0 + 2 * 900 + 5)  # 09:30:05: the last closed interval is 09:15 (c4 only)
    last = queue(build_snapshot(c.engine, c.now), "q")["last_interval"]
    assert (last["offered"], last["answered"], last["service_level"]) == (1, 1, 1.0)
    c.advance_to(T0 + 3 * 900 + 5)  # 09:45:05: nothing entered 09:30-09:45
    last = queue(build_snapshot(c.engine, c.now), "q")["last_interval"]
    assert (last["offered"], last["service_level"], last["asa_seconds"]) == (0, None, None)


def test_agent_calls_aht_and_occupancy_equal_a_count_by_hand() -> None:
    c = handled_day()
    a = agent(build_snapshot(c.engine, c.now), "a1")
    # Logged in 0-1100: ringing 5 + 30 + 2, on call 3 x 60, wrap-up 3 x 10, ready the rest.
    ringing, on_call, wrap = 37.0, 180.0, 30.0
    ready = 1100.0 - ringing - on_call - wrap
    assert a["calls_today"] == 3
    assert a["aht_seconds"] == pytest.approx(70.0)
    assert a["occupancy"] == pytest.approx((on_call + wrap) / (on_call + wrap + ready + ringing))
    assert (a["queue"], a["campaign"]) == (None, None)  # ready: working on nothing


def test_agent_shows_the_queue_it_rings_talks_and_wraps_up_for() -> None:
    c = Center(one_queue())
    c.arrive("x", "q")
    assert agent(build_snapshot(c.engine, c.now), "a1")["queue"] == "q"  # ringing
    c.answer("x", "a1")
    assert agent(build_snapshot(c.engine, c.now), "a1")["queue"] == "q"  # on call
    c.hangup("x")
    a = agent(build_snapshot(c.engine, c.now), "a1")
    assert (a["state"], a["queue"]) == ("wrap_up", "q")
    c.advance(10)
    a = agent(build_snapshot(c.engine, c.now), "a1")
    assert (a["state"], a["queue"]) == ("ready", None)


def escalating() -> Config:
    """tech asks for tech 4, tech 1 after 60 s; fr asks sales 3 and french 5, never less."""
    return config(
        [
            {
                "name": "tech",
                "skills": {"tech": 4},
                "escalation": [{"after_seconds": 60, "min_levels": {"tech": 1}}],
            },
            {"name": "fr", "skills": {"sales": 3, "french": 5}},
        ],
        [
            {"id": "senior", "skills": {"tech": 8}},
            {"id": "junior1", "skills": {"tech": 2}},
            {"id": "junior2", "skills": {"tech": 2}},
            {"id": "biller", "skills": {"billing": 5}},
            {"id": "seller", "skills": {"sales": 5}},
            {"id": "learner", "skills": {"sales": 5, "french": 2}},
        ],
    )


def test_why_callers_wait_while_agents_are_ready() -> None:
    c = Center(escalating())
    c.arrive("busy", "tech")
    c.answer("busy", "senior")  # the one agent who meets tech 4 is on a call
    c.advance_to(10)
    c.arrive("t1", "tech")
    c.arrive("f1", "fr")
    c.advance_to(30)
    snap = build_snapshot(c.engine, c.now)
    tech = queue(snap, "tech")
    # junior1 and junior2 are ready with tech 2: eligible at the 60 s step, at 10 + 60 = 70.
    # biller has no tech skill (another queue's agent); seller and learner neither.
    assert tech["waiting"] == 1
    assert tech["why_waiting"] == {
        "ready_not_eligible": 2,
        "awaiting_escalation": 2,
        "below_level": 0,
        "missing_skill": 0,
        "missed_offer": 0,
        "next_escalation_seconds": 40.0,
    }
    # fr: seller lacks french altogether, learner has french 2 of 5; no step lowers them.
    assert queue(snap, "fr")["why_waiting"] == {
        "ready_not_eligible": 2,
        "awaiting_escalation": 0,
        "below_level": 1,
        "missing_skill": 1,
        "missed_offer": 0,
        "next_escalation_seconds": None,
    }
    c.advance_to(70)  # the step: t1 rings a junior
    tech = queue(build_snapshot(c.engine, c.now), "tech")
    assert tech["why_waiting"]["ready_not_eligible"] == 0
    assert c.state("junior1") == "ringing" or c.state("junior2") == "ringing"


def test_a_ready_agent_who_let_the_call_ring_out_is_a_missed_offer() -> None:
    c = Center(config([{"name": "q", "ring_timeout_seconds": 15}], [{"id": "a1"}]))
    c.arrive("x", "q")
    c.advance(15)  # rang out: a1 ready again, x waits for the 5 s retry without a1
    assert (c.state("a1"), c.engine.calls["x"].state.value) == ("ready", "waiting")
    why = queue(build_snapshot(c.engine, c.now), "q")["why_waiting"]
    assert (why["missed_offer"], why["ready_not_eligible"]) == (1, 0)


def test_campaigns_on_the_wall_and_no_campaign_queue_rows() -> None:
    b = Book(preview_config())
    b.do(ev.AgentLogin("a0"))
    b.advance(0.0)  # a0 reserved for L0's preview
    snap = build_snapshot(b.c, b.now)
    assert [q["name"] for q in snap["queues"]] == ["inbound"]  # not campaign:c
    assert "campaign:c" in b.c.engine.queues
    a0 = agent(snap, "a0")
    assert (a0["state"], a0["campaign"], a0["queue"]) == ("reserved", "c", None)
    (camp,) = snap["campaigns"]
    # 30 leads imported, none dialed yet; L0 shown is still open.
    assert (camp["dialed"], camp["hit_rate"], camp["leads_left"], camp["paused"]) == (
        0,
        None,
        30,
        False,
    )
    b.do(ev.PreviewDial("a0"))
    a0 = agent(build_snapshot(b.c, b.now), "a0")
    assert (a0["state"], a0["campaign"]) == ("dialing", "c")
    (o,) = [x for x in b.out if type(x).__name__ == "Originate"]
    b.do(ev.OutboundFailed(o.call_id, "no_answer"))  # L0 retried later, a0 shown L1
    b.do(ev.PreviewDial("a0"))
    (o2,) = [x for x in b.out if type(x).__name__ == "Originate" and x is not o]
    b.do(ev.OutboundAnswered(o2.call_id))
    snap = build_snapshot(b.c, b.now)
    a0 = agent(snap, "a0")
    assert (a0["state"], a0["campaign"], a0["queue"]) == ("on_call", "c", None)
    (camp,) = snap["campaigns"]
    # 2 dialed, 1 person answered: hit rate 1/2; both leads still open (L0 to retry, L1 live).
    assert (camp["dialed"], camp["hit_rate"], camp["leads_left"]) == (2, 0.5, 30)
    b.do(ev.SetDisposition("a0", "sale"))
    b.do(ev.CallHungUp(o2.call_id))
    (camp,) = build_snapshot(b.c, b.now)["campaigns"]
    assert camp["leads_left"] == 29  # L1 closed by the sale


def test_the_push_message_keeps_the_wall_figures_and_drops_calls_and_reports() -> None:
    c = handled_day()
    full = build_snapshot(c.engine, c.now)
    push = snapshot_message(c.engine, c.now)
    assert "calls" in full and "calls" not in push
    assert push["type"] == "snapshot"
    assert push["queues"] == full["queues"] and push["agents"] == full["agents"]
    assert push["interval"] == full["interval"]
