"""A day's figures are its folded rows plus its open ones (acd.reporting.book): a row is folded
only once nothing can change it, and a later change to a folded row reaches the day too.

Each scenario is small enough to count by hand: the expected figures are written out, not read
from the engine's counters."""

from __future__ import annotations

from acd import events as ev
from acd.stats import AgentStats
from tests.helpers import Center, config

# 15-minute intervals in UTC: engine time 0 is an interval (and day) start.
CFG = config(
    [{"name": "q", "wrap_up_seconds": 0}],
    [{"id": "a1"}, {"id": "a2"}],
    center={"time_zone": "UTC"},
)


def rows_of(c: Center, agent_id: str) -> AgentStats:
    total = AgentStats()
    for (_, a), row in c.engine.book.agent_rows.items():
        if a == agent_id:
            total.absorb(row)
    return total


def test_a_call_answered_after_its_agents_row_was_folded_counts_in_the_day() -> None:
    """a2's row of the first interval (paused time) is folded at the tick; a call of that
    interval still waits and a2 answers it later: the row and the day both count it."""
    c = Center(CFG, login=False)
    c.advance_to(10)
    c.do(ev.AgentLogin("a1"))
    c.do(ev.AgentLogin("a2", ready=False))
    c.arrive("c1", "q")  # to a1, who talks past the fold passes
    c.answer("c1", "a1")
    c.advance_to(890)
    c.arrive("c2", "q")  # nobody free: waits into the next interval
    c.advance_to(1300)  # the tick at 900, the passes at 1020 and 1260
    c.do(ev.AgentReady("a2"))
    c.answer("c2", "a2")
    c.advance_to(1400)
    c.hangup("c2")
    c.advance_to(1500)
    c.hangup("c1")
    c.advance_to(2000)  # the next tick and its passes: everything folds now
    c.advance_to(2200)
    a2 = c.engine.agents["a2"].stats
    assert (a2.answered, a2.talk_seconds) == (1, 100.0)
    a1 = c.engine.agents["a1"].stats
    assert (a1.answered, a1.talk_seconds) == (1, 1490.0)
    for agent_id in ("a1", "a2"):
        day, rows = c.engine.agents[agent_id].stats.to_dict(), rows_of(c, agent_id).to_dict()
        for d in (day, rows):  # time logged out is the day's only: no row for it
            d["time_in"].pop("logged_out")
        assert day == rows, agent_id
    q = c.engine.queues["q"].stats
    assert (q.offered, q.answered, q.handled) == (2, 2, 2)
    assert q.wait_answered_sum == 410.0 + 0.0  # c2 waited 890 -> 1300, c1 none
    assert not c.engine.book.open_before(1800.0)  # nothing left open before this interval


def test_a_score_after_the_fold_reaches_the_row_and_the_day() -> None:
    c = Center(CFG, login=False)
    c.do(ev.AgentLogin("a1"))
    c.arrive("c1", "q")
    c.answer("c1", "a1")
    c.advance_to(100)
    c.hangup("c1")
    c.advance_to(1200)  # folded at 900 and after
    assert c.engine.book.agent_rows[(0.0, "a1")].folded
    c.do(ev.CallScored("c1", 5, 5))
    for st in (c.engine.agents["a1"].stats, c.engine.book.agent_rows[(0.0, "a1")]):
        assert (st.csat_responses, st.csat_top2) == (1, 1)
    q = c.engine.queues["q"].stats
    assert (q.csat_responses, q.csat_top2) == (1, 1)
    assert c.engine.book.queue_rows[(0.0, "q")].csat_responses == 1
