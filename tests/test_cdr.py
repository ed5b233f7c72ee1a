"""Call detail records: one complete record per call, after its wrap-up; call hold."""

from __future__ import annotations

import contextlib
from collections import Counter
from pathlib import Path
from random import Random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd import events as ev
from acd.commands import OfferCall, Originate, PlayMessage
from acd.config.files import load_config
from acd.errors import AcdError, IllegalTransition
from acd.records import CallDetail
from acd.simulate import build
from acd.states import CallState
from dialer.center import Center as DialerCenter
from dialer.pacing import Power
from tests.helpers import Center, config

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def one_queue(wrap: float = 30.0, **queue: Any) -> Center:
    c = Center(
        config(
            [{"name": "q", "skills": {"s": 1}, "wrap_up_seconds": wrap, **queue}],
            [{"id": "a1", "skills": {"s": 5}}, {"id": "a2", "skills": {"s": 5}}],
        )
    )
    c.cdrs: list[CallDetail] = []  # type: ignore[misc]
    c.engine.cdr_sink = c.cdrs.append  # type: ignore[attr-defined]
    return c


def test_handled_call_record_waits_for_the_wrap_up_and_has_every_part() -> None:
    c = one_queue(wrap=30)
    cdrs: list[CallDetail] = c.cdrs  # type: ignore[attr-defined]
    cmds = c.arrive("c1", "q", caller="+12125550100")
    agent, *_ = [o.agent_id for o in cmds if isinstance(o, OfferCall)]
    c.advance(5)
    c.answer("c1", agent)
    c.advance(15)
    c.do(ev.HoldCall("c1"))
    assert c.engine.call_view(c.engine.calls["c1"], c.now)["on_hold"] is True
    c.advance(30)
    c.do(ev.ResumeCall("c1"))
    c.advance(50)
    c.hangup("c1")
    assert cdrs == []  # the agent is in wrap-up: the record is not complete yet
    c.advance(10)
    c.do(ev.SetDisposition(agent, "sale"))
    c.advance(25)
    assert len(cdrs) == 1
    r = cdrs[0]
    assert (r.call_id, r.direction, r.queue, r.agent_id, r.caller) == (
        "c1",
        "inbound",
        "q",
        agent,
        "+12125550100",
    )
    assert (r.arrived, r.offered, r.answered, r.ended) == (0.0, 0.0, 5.0, 100.0)
    assert (r.wait_seconds, r.talk_seconds, r.hold_seconds, r.wrap_seconds) == (5, 65, 30, 30)
    assert (r.outcome, r.disposition, r.transfers, r.abandoned_2s) == ("answered", "sale", 0, False)
    [leg] = r.as_dict()["legs"]
    assert (leg["queue"], leg["outcome"], leg["agent_id"]) == ("q", "answered", r.agent_id)
    assert leg["left"] == r.answered and leg["talk_seconds"] == r.talk_seconds
    # The figures follow the same convention: talk excludes hold, AHT = talk + hold + wrap.
    k = c.kpis("q")
    assert k["aht_seconds"] == pytest.approx(125.0)
    a = c.engine.report(c.now)["agents"][agent]
    assert (a["talk_seconds"], a["hold_seconds"], a["wrap_seconds"]) == (65, 30, 30)


def test_ending_wrap_up_early_or_pausing_out_of_it_completes_the_record() -> None:
    c = one_queue(wrap=60)
    cdrs: list[CallDetail] = c.cdrs  # type: ignore[attr-defined]
    for cid in ("c1", "c2"):
        c.arrive(cid, "q")
    ringing = {o.call_id: o.agent_id for o in c.out if isinstance(o, OfferCall)}
    for cid, agent in ringing.items():
        c.answer(cid, agent)
    c.advance(10)
    c.hangup("c1")
    c.hangup("c2", party="agent")
    c.advance(4)
    c.do(ev.EndWrapUp(ringing["c1"]))
    c.advance(3)
    c.do(ev.AgentPause(ringing["c2"], "lunch"))
    assert [(r.call_id, r.wrap_seconds) for r in cdrs] == [("c1", 4.0), ("c2", 7.0)]


def test_unanswered_calls_get_their_record_at_hang_up() -> None:
    c = one_queue(max_wait_seconds=20)
    cdrs: list[CallDetail] = c.cdrs  # type: ignore[attr-defined]
    for a in ("a1", "a2"):
        c.do(ev.AgentPause(a, "break"))
    c.arrive("c1", "q")
    c.arrive("c2", "q")
    c.advance(3)
    c.hangup("c1")
    c.advance(30)
    assert [(r.call_id, r.outcome, r.wait_seconds, r.agent_id) for r in cdrs] == [
        ("c1", "abandoned", 3.0, None),
        ("c2", "timed_out", 20.0, None),
    ]


def test_no_wrap_up_queue_records_at_hang_up_with_the_code_given_during_the_call() -> None:
    c = one_queue(wrap=0)
    cdrs: list[CallDetail] = c.cdrs  # type: ignore[attr-defined]
    c.arrive("c1", "q")
    (agent,) = [o.agent_id for o in c.out if isinstance(o, OfferCall)]
    c.answer("c1", agent)
    c.do(ev.SetDisposition(agent, "info"))
    c.advance(40)
    c.do(ev.HoldCall("c1"))
    c.advance(5)
    c.hangup("c1")  # while on hold: the hold ends with the call
    (r,) = cdrs
    assert (r.talk_seconds, r.hold_seconds, r.wrap_seconds, r.disposition) == (40, 5, 0, "info")


def test_a_transferred_call_has_one_record_with_the_last_agent() -> None:
    c = Center(
        config(
            [
                {"name": "q", "skills": {"s": 1}, "wrap_up_seconds": 5},
                {"name": "r", "skills": {"t": 1}, "wrap_up_seconds": 5},
            ],
            [{"id": "a1", "skills": {"s": 5}}, {"id": "a2", "skills": {"t": 5}}],
        )
    )
    cdrs: list[CallDetail] = []
    c.engine.cdr_sink = cdrs.append
    c.arrive("c1", "q")
    c.answer("c1", "a1")
    c.advance(10)
    c.do(ev.TransferCall("c1", "r"))
    c.advance(2)
    c.answer("c1", "a2")
    c.advance(20)
    c.hangup("c1")
    c.advance(10)
    (r,) = cdrs
    assert (r.agent_id, r.transfers, r.answered, r.talk_seconds, r.wait_seconds) == (
        "a2",
        1,
        0.0,
        30.0,
        2.0,
    )
    assert [(leg.queue, leg.outcome) for leg in r.legs] == [("q", "answered"), ("r", "answered")]


def test_hold_is_only_for_a_connected_call_and_a_refused_hold_changes_nothing() -> None:
    c = one_queue()
    for a in ("a1", "a2"):
        c.do(ev.AgentPause(a, "break"))
    c.arrive("c1", "q")
    with pytest.raises(IllegalTransition, match="waiting"):
        c.do(ev.HoldCall("c1"))
    with pytest.raises(IllegalTransition):
        c.do(ev.ResumeCall("c1"))
    c.do(ev.AgentReady("a1"))
    c.answer("c1", "a1")
    c.do(ev.HoldCall("c1"))
    with pytest.raises(IllegalTransition, match="held"):
        c.do(ev.HoldCall("c1"))
    assert c.engine.calls["c1"].held_at == 0.0
    with pytest.raises(AcdError):
        ev.HoldCall("")


def center_cfg(connect_within: float = 2.0) -> Any:
    return config(
        [],
        [{"id": "a1", "skills": {"out": 5}}],
        campaigns=[
            {
                "name": "c",
                "mode": "progressive",
                "skills": {"out": 1},
                "safe_harbor_message": "Acme: call 555-0100.",
                "wrap_up_seconds": 10,
                "connect_within_seconds": connect_within,
            }
        ],
    )


class Numbers:
    def __init__(self) -> None:
        self.n = 0

    def next_lead(self, now: float) -> tuple[str, str] | None:
        self.n += 1
        return f"L{self.n}", f"+1555000{self.n:04d}"

    def record(self, lead_id: str, outcome: Any, now: float) -> None:
        pass


def test_campaign_records_carry_campaign_lead_and_the_two_second_rule() -> None:
    center = DialerCenter(
        center_cfg(), rng=Random(1), leads={"c": Numbers()}, pacers={"c": Power(3.0)}
    )
    cdrs: list[CallDetail] = []
    center.cdr_sink = cdrs.append
    dials = [o for o in center.handle(ev.AgentLogin("a1"), 0.0) if isinstance(o, Originate)]
    assert len(dials) == 3
    center.handle(ev.AgentPause("a1", "break"), 1.0)  # nobody will take the live answer
    center.handle(ev.OutboundFailed(dials[0].call_id, "busy"), 4.0)
    assert [(r.outcome, r.campaign, r.lead_id, r.dialed, r.direction) for r in cdrs] == [
        ("busy", "c", "L1", 0.0, "outbound")
    ]
    center.handle(ev.OutboundAnswered(dials[1].call_id, machine=True), 9.0)
    assert cdrs[-1].outcome == "machine" and cdrs[-1].lead_id == "L2"
    assert (cdrs[-1].arrived, cdrs[-1].ended, cdrs[-1].queue) == (0.0, 9.0, None)
    center.handle(ev.OutboundAnswered(dials[2].call_id), 15.0)
    center.on_timer(17.0)  # the connect window is over: dropped, safe harbor played
    assert len(cdrs) == 2  # the record waits for the PBX to say the message played
    center.handle(ev.MessagePlayed(dials[2].call_id), 22.0)
    r = cdrs[-1]
    assert r.safe_harbor_played_at == 22.0
    assert (r.outcome, r.abandoned_2s, r.lead_id, r.campaign, r.queue) == (
        "timed_out",
        True,
        "L3",
        "c",
        "campaign:c",
    )
    assert (r.dialed, r.arrived, r.wait_seconds) == (0.0, 15.0, 2.0)
    assert len(cdrs) == 3 and not center._cdr_info


def test_a_connected_campaign_call_is_not_abandoned_and_is_recorded_after_wrap_up() -> None:
    center = DialerCenter(center_cfg(), rng=Random(1), leads={"c": Numbers()})
    cdrs: list[CallDetail] = []
    center.cdr_sink = cdrs.append
    (dial,) = [o for o in center.handle(ev.AgentLogin("a1"), 0.0) if isinstance(o, Originate)]
    (offer,) = center.handle(ev.OutboundAnswered(dial.call_id), 3.0)
    assert isinstance(offer, OfferCall)
    center.handle(ev.AgentAnswered(dial.call_id, "a1"), 3.5)
    center.handle(ev.CallHungUp(dial.call_id), 60.0)
    center.handle(ev.SetDisposition("a1", "sale"), 62.0)
    assert cdrs == []
    center.on_timer(70.0)
    (r,) = cdrs
    assert (r.outcome, r.abandoned_2s, r.disposition, r.lead_id) == (
        "answered",
        False,
        "sale",
        "L1",
    )
    assert (r.wait_seconds, r.talk_seconds, r.wrap_seconds) == (0.5, 56.5, 10.0)


def test_blended_day_gives_one_record_per_call() -> None:
    cfg = load_config(EXAMPLES / "outbound.yaml")
    assert cfg.simulation is not None
    cfg = cfg.model_copy(update={"simulation": cfg.simulation.model_copy(update={"hours": 3})})
    core, trunk, driver = build(cfg, base_dir=EXAMPLES)
    assert isinstance(core, DialerCenter)
    cdrs: list[CallDetail] = []
    core.cdr_sink = cdrs.append
    end = driver.run(3 * 3600)
    core.on_timer(end + 3600)  # the last wrap-ups end
    dialed = sum(rt.fig.dialed for rt in core.campaigns.values())
    by_id = Counter(r.call_id for r in cdrs)
    assert max(by_id.values()) == 1
    assert len(cdrs) == trunk.arrivals + dialed
    out = [r for r in cdrs if r.direction == "outbound"]
    assert len(out) == dialed and all(r.campaign == "renewals" and r.lead_id for r in out)
    rt = core.campaigns["renewals"]
    assert sum(r.abandoned_2s for r in out) == rt.fig.abandoned
    assert Counter(r.outcome for r in out if r.queue is None) == {
        k: n for k in ("no_answer", "busy", "failed", "machine") if (n := getattr(rt.fig, k))
    }
    for r in cdrs:
        if r.queue is not None:  # dials that never reached a person have zero durations
            assert r.wait_seconds + r.talk_seconds + r.hold_seconds == pytest.approx(
                r.ended - r.arrived, abs=1e-6
            )


# --- property: every call that ends gets exactly one record, whatever happens -----------------
action_st = st.one_of(
    st.tuples(st.just("arrive"), st.integers(0, 1)),
    st.tuples(
        st.sampled_from(
            ["answer", "answer", "answer", "fail", "hold", "hold", "resume", "kill", "transfer"]
        ),
        st.integers(0, 20),
    ),
    st.tuples(st.just("hangup"), st.integers(0, 20), st.sampled_from(["caller", "agent"])),
    st.tuples(
        st.just("agent"),
        st.integers(0, 2),
        st.sampled_from(["login", "logout", "ready", "pause", "end_wrap", "code"]),
    ),
    st.tuples(st.just("advance"), st.sampled_from([0.0, 1.0, 4.0, 30.0])),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action_st, min_size=20, max_size=80), st.sampled_from([0, 5]), st.booleans())
def test_every_call_gets_exactly_one_complete_record(
    actions: list[Any], wrap: int, login: bool
) -> None:
    cfg = config(
        [
            {"name": "q0", "skills": {"s": 1}, "wrap_up_seconds": wrap, "max_wait_seconds": 60},
            {"name": "q1", "skills": {"s": 1}, "wrap_up_seconds": 5},
        ],
        [{"id": f"a{i}", "skills": {"s": 5}} for i in range(3)],
    )
    c = Center(cfg, login=login)  # agents ready from the start: calls get answered and held
    cdrs: list[CallDetail] = []
    c.engine.cdr_sink = cdrs.append
    n = 0
    # A recount from the events themselves: when each call was connected and on hold.
    since: dict[str, float] = {}  # connected since
    held: dict[str, float] = {}  # on hold since
    connected: Counter[str] = Counter()
    on_hold: Counter[str] = Counter()

    def recount(event: ev.Event) -> None:
        cid, now = getattr(event, "call_id", ""), c.now
        if isinstance(event, ev.AgentAnswered):
            since[cid] = now
        elif isinstance(event, ev.HoldCall):
            held[cid] = now
        elif isinstance(event, ev.ResumeCall):
            on_hold[cid] += now - held.pop(cid)
        elif isinstance(event, ev.CallHungUp | ev.HangUpCall | ev.TransferCall) and cid in since:
            connected[cid] += now - since.pop(cid)
            if cid in held:
                on_hold[cid] += now - held.pop(cid)

    for action in actions:
        kind = action[0]
        live = sorted(c.engine.calls)
        event: ev.Event | None = None
        if kind == "arrive":
            n += 1
            event = ev.CallArrived(f"c{n}", f"q{action[1]}")
        elif kind == "advance":
            c.advance(action[1])
        elif kind == "agent":
            aid = f"a{action[1]}"
            event = {
                "login": ev.AgentLogin(aid),
                "logout": ev.AgentLogout(aid),
                "ready": ev.AgentReady(aid),
                "pause": ev.AgentPause(aid),
                "end_wrap": ev.EndWrapUp(aid),
                "code": ev.SetDisposition(aid, "done"),
            }[action[2]]
        elif live:
            # Hold, resume and hang-up go mostly to talking calls (choosing by state is fine:
            # the figures are checked against the recount, not the engine).
            talking = [i for i in live if c.engine.calls[i].state is CallState.CONNECTED]
            pool = talking if kind in ("hold", "resume", "hangup") and talking else live
            call = c.engine.calls[pool[action[1] % len(pool)]]
            ringing = sorted(a.id for a in call.ringing.values()) or ["a0"]
            who = ringing[action[1] % len(ringing)]
            cid = call.id
            if kind == "answer":
                event = ev.AgentAnswered(cid, who)
            elif kind == "fail":
                event = ev.OfferFailed(cid, who)
            elif kind == "hold":
                event = ev.HoldCall(cid)
            elif kind == "resume":
                event = ev.ResumeCall(cid)
            elif kind == "kill":
                event = ev.HangUpCall(cid)
            elif kind == "transfer":
                event = ev.TransferCall(cid, f"q{action[1] % 2}")
            else:
                event = ev.CallHungUp(cid, action[-1])
        if event is not None:
            with contextlib.suppress(AcdError):
                c.do(event)
                recount(event)  # only what the engine took
        ids = Counter(r.call_id for r in cdrs)
        assert not ids or max(ids.values()) == 1
        assert not set(ids) & set(c.engine.calls)  # no record while the call is up
    for call_id in sorted(c.engine.calls):
        c.do(ev.HangUpCall(call_id))
        recount(ev.HangUpCall(call_id))
    c.advance(100)  # every wrap-up ends
    assert sorted(r.call_id for r in cdrs) == sorted(f"c{i}" for i in range(1, n + 1))
    for r in cdrs:
        assert min(r.wait_seconds, r.talk_seconds, r.hold_seconds, r.wrap_seconds) >= 0
        # Against the recount: talk is connected time less hold, waiting the rest of the stay.
        cid = r.call_id
        assert r.hold_seconds == pytest.approx(on_hold[cid], abs=1e-9), cid
        assert r.talk_seconds == pytest.approx(connected[cid] - on_hold[cid], abs=1e-9), cid
        assert r.wait_seconds == pytest.approx(r.ended - r.arrived - connected[cid], abs=1e-9)
        assert (r.answered is None) == (r.agent_id is None)
        assert r.wrap_seconds <= wrap or r.queue == "q1"


def test_the_two_second_rule_counts_from_the_answer_not_the_amd_verdict() -> None:
    """AMD took 1.5 s: 0.5 s of the window is left, and the agent who answers within it keeps
    the call (dead air 1.5 s on the record); a verdict 2.5 s after the answer is a drop with
    the safe-harbor message, though an agent is free."""
    center = DialerCenter(center_cfg(), rng=Random(1), leads={"c": Numbers()})
    cdrs: list[CallDetail] = []
    center.cdr_sink = cdrs.append
    (dial,) = [o for o in center.handle(ev.AgentLogin("a1"), 0.0) if isinstance(o, Originate)]
    center.handle(ev.OutboundPickedUp(dial.call_id), 10.0)
    offer = center.handle(ev.OutboundAnswered(dial.call_id), 11.5)  # human, after 1.5 s
    assert [o.agent_id for o in offer if isinstance(o, OfferCall)] == ["a1"]
    center.handle(ev.AgentAnswered(dial.call_id, "a1"), 11.9)  # 1.9 s after the answer
    center.handle(ev.CallHungUp(dial.call_id), 40.0)
    after: list[Any] = []
    for t in range(50, 56):  # wrap-up over (the record), then the next pacing tick dials
        after += center.on_timer(float(t))
    r = next(x for x in cdrs if x.call_id == dial.call_id)
    assert (r.outcome, r.abandoned_2s, r.arrived) == ("answered", False, 10.0)
    assert (r.amd_verdict_at, r.connected_to_agent_at) == (11.5, 11.9)
    assert r.wait_seconds == pytest.approx(1.9)  # dead air: the answer to the agent
    assert center.campaigns["c"].fig.dead_air_seconds == pytest.approx(1.9)
    report = center.campaign_report(50.0)["c"]
    assert report["dead_air_avg_seconds"] == pytest.approx(1.9)
    (dial2,) = [o for o in after if isinstance(o, Originate)]
    center.handle(ev.OutboundPickedUp(dial2.call_id), 60.0)
    out = center.handle(ev.OutboundAnswered(dial2.call_id), 62.5)  # AMD took 2.5 s
    out += center.on_timer(62.5)
    assert PlayMessage(dial2.call_id, "Acme: call 555-0100.") in out
    center.handle(ev.MessagePlayed(dial2.call_id, complete=False), 64.0)  # hung up during it
    r = cdrs[-1]
    assert r.safe_harbor_played_at is None
    assert (r.call_id, r.outcome, r.abandoned_2s, r.arrived) == (
        dial2.call_id,
        "timed_out",
        True,
        60.0,
    )
    assert center.campaigns["c"].fig.abandoned == 1
