"""Interval figures add up (hypothesis, over random simulated days): every queue's and agent's
interval rows summed equal its day figures (``engine.report(whole_run=True)``, and each business
date's own), and both equal an independent recount from the call detail records.

The recount reads only each record's ``legs`` (queue, outcome, entered, left, agent, talk, hold)
and the record's wrap-up, and attributes a stay to the interval and business date in which it
entered its queue, worked out here with ``zoneinfo`` from the center's zone, day start and
interval length. Days are random: one to three queues (overflow, maximum wait and length,
extra thresholds), impatient callers, a warm-up, runs across the day's start, zones with
half-hour offsets, and supervisors who put callers on hold and transfer calls (waiting or
answered) during the run.

Wrap-up: a record carries the wrap-up of the last agent who answered; the wrap of an agent who
transferred the call is on no record. So a queue row's wrap is compared only where no call of
it was transferred after an answer (elsewhere the recount is a lower bound), and an agent's only
as a lower bound when that agent transferred calls.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd import events as ev
from acd.config.schema import Config
from acd.engine import Engine
from acd.records import CallDetail
from acd.simulate import build, sim_epoch
from acd.states import CallState
from acd.stats import QueueStats

INTS = (
    "callbacks_requested",
    "callbacks_placed",
    "callbacks_connected",
    "callbacks_within",
    "callbacks_failed",
    "callbacks_cancelled",
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "timed_out",
    "overflowed",
    "rejected_full",
    "rejected_empty",
    "left_empty",
    "transferred",
    "transferred_answered",
    "hung_up",
    "handled",
)
SUMS = (
    "wait_answered_sum",
    "abandon_wait_sum",
    "talk_sum",
    "hold_sum",
    "max_wait",
    "callback_wait_sum",
)
LEFT = {
    "abandoned": "abandoned",
    "timed_out": "timed_out",
    "overflowed": "overflowed",
    "rejected_full": "rejected_full",
    "rejected_empty": "rejected_empty",
    "left_empty": "left_empty",
    "transferred": "transferred",
    "hung_up_by_system": "hung_up",
    "callback_failed": "callbacks_failed",
    "callback_interrupted": "callbacks_failed",
    "callback_cancelled": "callbacks_cancelled",
}


@st.composite
def days(draw: st.DrawFn) -> dict[str, Any]:
    nq = draw(st.integers(1, 3))
    queues = []
    for i in range(nq):
        q: dict[str, Any] = {
            "name": f"q{i}",
            "skills": {"s": 1},
            "wrap_up_seconds": draw(st.sampled_from([0, 5, 30])),
            "short_abandon_seconds": draw(st.sampled_from([0, 5, 15])),
            "service_level": {"threshold_seconds": draw(st.sampled_from([10, 20])), "target": 0.8},
            "extra_thresholds_seconds": draw(st.sampled_from([[], [5, 60]])),
        }
        if draw(st.booleans()):
            q["max_wait_seconds"] = draw(st.sampled_from([30, 120]))
        if draw(st.booleans()):
            q["max_length"] = draw(st.integers(1, 5))
        if draw(st.booleans()):  # virtual hold: callers offered a callback past 20 s
            q["callback"] = {
                "offer_after_ewt_seconds": 20,
                "retries": 1,
                "retry_seconds": 60,
                "service_level_seconds": draw(st.sampled_from([60, 600])),
                "calling_hours": {"start": "00:00", "end": "24:00"},
            }
        queues.append(q)
    if nq > 1 and draw(st.booleans()):
        queues[0]["overflow_queue"] = "q1"
        queues[0]["max_wait_seconds"] = 30
    agents = [{"id": f"a{i}", "skills": {"s": 5}} for i in range(draw(st.integers(1, 4)))]
    traffic = {}
    for q in queues:
        t: dict[str, Any] = {
            "calls_per_hour": draw(st.sampled_from([20, 60, 150])),
            "handle_time": {
                "distribution": "exponential",
                "mean": draw(st.sampled_from([40, 150])),
            },
        }
        if draw(st.booleans()):
            t["patience"] = {"distribution": "exponential", "mean": draw(st.sampled_from([15, 90]))}
        traffic[q["name"]] = t
    start, day_starts = draw(
        st.sampled_from([("09:07", "00:00"), ("23:10", "00:00"), ("05:20", "06:00")])
    )
    zone = draw(st.sampled_from(["America/New_York", "Asia/Kolkata", "UTC"]))
    return {
        "name": "prop",
        "center": {"time_zone": zone, "day_starts": day_starts},
        "reporting": {"interval_minutes": draw(st.sampled_from([15, 30]))},
        "queues": queues,
        "agents": agents,
        "simulation": {
            "seed": draw(st.integers(0, 10_000)),
            "hours": draw(st.sampled_from([0.75, 1.5])),
            "start": start,
            "time_zone": zone,
            "warmup_seconds": draw(st.sampled_from([0, 600])),
            "traffic": traffic,
            "agents": {"wrap_up": {"distribution": "fixed", "mean": 4}},
            "callback": {"accept_probability": 0.7, "answer_probability": 0.6},
        },
    }


def simulate(cfg: Config, meddle: int) -> tuple[Engine, list[CallDetail], float]:
    """Run the day in five-minute steps; between steps a supervisor may hold, resume or
    transfer calls. Returns the engine, the call records and the end."""
    assert cfg.simulation is not None
    core, trunk, driver = build(cfg, keep_records=True)
    engine = core.engine
    records: list[CallDetail] = []
    engine.cdr_sink = records.append
    rng = Random(meddle)
    sim = cfg.simulation
    until, warmup = sim.hours * 3600.0, sim.warmup_seconds
    queues = [q.name for q in cfg.queues]
    t = 0.0
    while t < until:
        nxt = min(t + 300.0, until)
        # The warm-up ends at the first happening from its end on, whichever step holds it.
        pending = warmup if engine.stats_epoch < warmup else 0.0
        driver.run(nxt, warmup=pending, drain=False)
        t = nxt
        if engine.stats_epoch < warmup:
            continue  # not during the warm-up (a call moved at its very end is not counted)
        for c in list(engine.calls.values()):
            if c.callback is not None and not c.callback.connected:
                continue  # a callback keeps its place: not moved
            u = rng.random()
            event: ev.Event | None = None
            if c.state is CallState.CONNECTED and c.held_at is None and u < 0.3:
                event = ev.HoldCall(c.id)
            elif c.held_at is not None and u < 0.6:
                event = ev.ResumeCall(c.id)
            elif u < 0.15 and len(queues) > 1:
                other = rng.choice([q for q in queues if q != c.queue.name])
                event = ev.TransferCall(c.id, other)
            if event is not None:
                for cmd in engine.handle(event, driver.now):
                    trunk.execute(cmd, driver.now)
    end = driver.run(until, warmup=warmup if engine.stats_epoch < warmup else 0.0, drain=True)
    driver.run(end + 120.0, drain=False)  # the last wrap-ups end: their records come out
    return engine, records, driver.now


class Recount:
    """Queue and agent figures from the records alone."""

    def __init__(self, cfg: Config) -> None:
        assert cfg.simulation is not None
        self.zone = ZoneInfo(cfg.center.time_zone or "UTC")
        self.epoch = sim_epoch(cfg.simulation)
        self.minutes = cfg.reporting.interval_minutes
        ds = cfg.center.day_start_time()
        self.day_shift = timedelta(hours=ds.hour, minutes=ds.minute)
        self.warmup = cfg.simulation.warmup_seconds
        self.cfg = {q.name: q for q in cfg.queues}
        self.queues: dict[tuple[str, str], dict[str, Any]] = {}
        self.agents: dict[tuple[str, str], dict[str, float]] = defaultdict(
            lambda: defaultdict(float)
        )
        self.moved_after_answer: set[tuple[str, str]] = set()  # queue rows
        self.agents_who_transferred: set[str] = set()

    def where(self, t: float) -> tuple[str, str]:
        """(interval start as local ISO time, business date) of engine time ``t``."""
        local = datetime.fromtimestamp(t + self.epoch, self.zone)
        start = local.replace(minute=local.minute - local.minute % self.minutes, second=0)
        start = start.replace(microsecond=0)
        naive = local.replace(tzinfo=None)
        return start.isoformat(timespec="seconds"), (naive - self.day_shift).date().isoformat()

    def queue(self, name: str, at: str) -> dict[str, Any]:
        row = self.queues.get((name, at))
        if row is None:
            n = 1 + len(self.cfg[name].extra_thresholds_seconds)
            row = dict.fromkeys(INTS, 0) | dict.fromkeys(SUMS, 0.0)
            row |= {"answered_within": [0] * n, "abandoned_within": [0] * n, "wrap_sum": 0.0}
            self.queues[(name, at)] = row
        return row

    def add(self, r: CallDetail) -> None:
        asked = r.callback_requested_at
        connect = next((i for i, g in enumerate(r.legs) if g.outcome == "answered"), None)
        for i, leg in enumerate(r.legs):
            if leg.entered < self.warmup:
                continue  # entered during the warm-up: not counted
            at, _ = self.where(leg.entered)
            q = self.cfg[leg.queue]
            thresholds = (q.service_level.threshold_seconds, *q.extra_thresholds_seconds)
            row = self.queue(leg.queue, at)
            wait = leg.left - leg.entered
            row["offered"] += 1
            held = wait
            if asked is not None and leg.entered <= asked <= leg.left:
                held = asked - leg.entered  # a callback's caller held until asking
            row["max_wait"] = max(row["max_wait"], held)
            last = i == len(r.legs) - 1
            asked_here = connect if connect is not None else len(r.legs) - 1
            if asked is not None and i == asked_here:
                row["callbacks_requested"] += 1  # the stay it was asked in
                row["callbacks_placed"] += r.callback_attempts
            if leg.outcome == "answered":
                if i == connect and asked is not None:
                    # A callback reaching its caller: reported apart, not a queue's answer.
                    assert q.callback is not None
                    waited = leg.left - asked
                    row["callbacks_connected"] += 1
                    row["callback_wait_sum"] += waited
                    row["callbacks_within"] += waited <= q.callback.service_level_seconds
                else:
                    row["answered"] += 1
                    row["wait_answered_sum"] += wait
                    for j, limit in enumerate(thresholds):
                        row["answered_within"][j] += wait <= limit
                row["handled"] += 1
                row["talk_sum"] += leg.talk_seconds
                row["hold_sum"] += leg.hold_seconds
                assert leg.agent_id is not None
                agent = self.agents[(leg.agent_id, at)]
                agent["answered"] += 1
                agent["talk_seconds"] += leg.talk_seconds
                agent["hold_seconds"] += leg.hold_seconds
                if last:
                    row["wrap_sum"] += r.wrap_seconds
                    agent["wrap_seconds"] += r.wrap_seconds
                else:  # an agent transferred it
                    row["transferred"] += 1
                    row["transferred_answered"] += 1
                    self.moved_after_answer.add((leg.queue, at))
                    self.agents_who_transferred.add(leg.agent_id)
                continue
            row[LEFT[leg.outcome]] += 1
            if leg.outcome == "abandoned":
                row["abandon_wait_sum"] += wait
                row["short_abandoned"] += wait < q.short_abandon_seconds
                for j, limit in enumerate(thresholds):
                    row["abandoned_within"][j] += wait <= limit


def as_counts(st_: QueueStats) -> dict[str, Any]:
    return st_.to_dict()  # wrap_sum is among the summed counts


def check_queue(got: dict[str, Any], want: dict[str, Any], where: Any, wrap: str) -> None:
    for k in (*INTS, "answered_within", "abandoned_within"):
        assert got[k] == want[k], (where, k, got[k], want[k])
    for k in SUMS:
        assert got[k] == pytest.approx(want[k], abs=1e-6), (where, k)
    if wrap == "exact":
        assert got["wrap_sum"] == pytest.approx(want["wrap_sum"], abs=1e-6), where
    else:
        assert got["wrap_sum"] >= want["wrap_sum"] - 1e-6, where


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days(), st.integers(0, 1000))
def test_interval_rows_add_up_to_the_day_and_to_a_recount_from_the_records(
    raw: dict[str, Any], meddle: int
) -> None:
    cfg = Config.model_validate(raw)
    engine, records, now = simulate(cfg, meddle)
    assert not engine.calls  # every call ended: every stay is on a record
    book, cal = engine.book, engine.book.cal
    count = Recount(cfg)
    for r in records:
        count.add(r)

    # 1. Rows against the recount, row by row (the interval and date each stay entered).
    got_rows = {(name, cal.label(start)): row for (start, name), row in book.queue_rows.items()}
    nonempty = {k: v for k, v in got_rows.items() if v.offered}
    assert set(nonempty) == set(count.queues), "rows of other intervals than the stays entered"
    for key, want in count.queues.items():
        wrap = "at least" if key in count.moved_after_answer else "exact"
        check_queue(as_counts(nonempty[key]), want, key, wrap)

    # 2. Rows summed per business date against that date's day figures, and over the run
    #    against the whole-run report.
    by_date: dict[tuple[str, str], QueueStats] = {}
    for (start, name), row in book.queue_rows.items():
        day = cal.day(start)
        assert day == count.where(start)[1]  # the book's date is the recount's
        st_ = by_date.setdefault((day, name), QueueStats(engine.queues[name].cfg))
        st_.absorb(row)
    for (day, name), total in by_date.items():
        past = book.queue_days.get((day, name))  # that day's base: its rows not yet folded too
        q = engine.queues[name]
        figures = book.queue_view(q, past, day) if past is not None else q.stats
        if past is None:
            assert day == book.today, (day, name)
        check_queue(
            total.to_dict() | {"wrap_sum": total.wrap_sum},
            figures.to_dict() | {"wrap_sum": figures.wrap_sum},
            (day, name),
            "exact",
        )
    report = engine.report(now, whole_run=True)["queues"]
    for name, k in report.items():
        mine = [row for (_, n), row in book.queue_rows.items() if n == name]
        total = QueueStats(engine.queues[name].cfg)
        for row in mine:
            total.absorb(row)
        assert total.kpis(0) == pytest.approx(k, rel=1e-9, abs=1e-9), name

    # 3. Agents: calls and talk per interval against the recount, time in state per day.
    for (agent_id, at), want in count.agents.items():
        (row,) = [
            r for (s, a), r in book.agent_rows.items() if a == agent_id and cal.label(s) == at
        ]
        assert row.answered == want["answered"], (agent_id, at)
        assert row.talk_seconds == pytest.approx(want["talk_seconds"], abs=1e-6)
        assert row.hold_seconds == pytest.approx(want["hold_seconds"], abs=1e-6)
        if agent_id in count.agents_who_transferred:
            assert row.wrap_seconds >= want["wrap_seconds"] - 1e-6
        else:
            assert row.wrap_seconds == pytest.approx(want["wrap_seconds"], abs=1e-6)
    recounted = {k for k, v in count.agents.items() if v["answered"]}
    assert {(a, cal.label(s)) for (s, a), r in book.agent_rows.items() if r.answered} == recounted
    agents = engine.report(now, whole_run=True)["agents"]
    for agent_id, k in agents.items():
        mine = [r for (_, a), r in book.agent_rows.items() if a == agent_id]
        assert sum(r.answered for r in mine) == k["answered"]
        logged_in = sum(v for r in mine for s, v in r.time_in.items() if s != "logged_out")
        a = engine.agents[agent_id]
        if a.state.value != "logged_out":  # the open stretch: in the report, in no row yet
            logged_in += max(0.0, now - a.acct)
        assert logged_in == pytest.approx(k["logged_in_seconds"], rel=1e-9, abs=1e-6), agent_id
