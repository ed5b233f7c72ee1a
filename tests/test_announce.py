"""Announcements to waiting callers: what is said, when, and that they never cut an offer.

Decision: an announcement is never started while its call rings an agent; when an offer comes
while one plays, the offer cuts it at that instant (the caller is bridged at once; on Asterisk
the agent's Bridge() takes the caller out of acd-announce). The property test checks both
against the log of every command and event of a simulated day, not the engine's own counters.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from acd import events as ev
from acd.commands import Announce, CancelOffer, OfferCall
from acd.config.schema import Config
from acd.engine.announce import spoken_minutes
from acd.simulate import build
from tests.helpers import Center, config, offers
from tests.test_ewt import MEAN, _exp_quantiles, _warm


def test_minutes_are_rounded_as_people_say_them() -> None:
    said = {
        s: spoken_minutes(s) for s in (30, 89, 91, 150, 599, 660, 800, 1000, 1900, 2400, 5400, 6300)
    }
    assert said == {
        30: 1,
        89: 1,
        91: 2,
        150: 2,  # 2.5 minutes: "about two"
        599: 10,
        660: 10,
        800: 15,
        1000: 15,
        1900: 30,
        2400: 40,
        5400: 90,
        6300: 105,
    }


def _center(**announce: Any) -> Center:
    cfg = config(
        [{"name": "q", "skills": {"s": 1}, "announce": announce}],
        [{"id": f"a{i}", "skills": {"s": 1}} for i in range(2)],
    )
    c = Center(cfg, login=False)
    c.do(ev.AgentLogin("a0"))
    _warm(c, "q", "a0", _exp_quantiles())
    c.do(ev.AgentLogin("a1"))
    for i in range(2):
        (offer,) = offers(c.arrive(f"busy{i}", "q"))
        c.answer(f"busy{i}", offer[1])
    c.out.clear()
    return c


def _said(cmds: list[Any], call_id: str) -> list[Announce]:
    return [x for x in cmds if isinstance(x, Announce) and x.call_id == call_id]


def test_position_and_wait_on_entry_then_every_n_seconds_when_they_change() -> None:
    c = _center(position=True, ewt=True, every_seconds=30)
    for k in range(4):
        c.arrive(f"w{k}", "q")
    c.advance(0.0)  # the entry announcements are due at once
    (first,) = _said(c.out, "w3")
    # Three ahead, two busy agents, exponential handle times: 4 * 120 / 2 = 240 s = 4 min.
    assert first.position == 4
    assert first.minutes == spoken_minutes(4 * MEAN / 2)
    c.out.clear()
    c.advance(30.0)  # the same words would be said again: not repeated
    assert _said(c.out, "w3") == [] or _said(c.out, "w3")[0] != first
    c.hangup("w0")  # one ahead abandons
    c.out.clear()
    c.advance(30.0)
    (later,) = _said(c.out, "w3")
    assert later.position == 3


def test_nothing_said_when_the_wait_is_about_to_end() -> None:
    c = _center(position=True, ewt=True, min_ewt_seconds=90)
    c.arrive("w0", "q")  # next in line, 60 s expected: below 90 s and position 1
    c.advance(0.0)
    assert _said(c.out, "w0") == []


def test_periodic_messages_in_turn() -> None:
    c = _center(messages=["recorded", "website"], messages_every_seconds=40)
    c.arrive("w0", "q")
    c.arrive("w1", "q")
    c.advance(130.0)
    got = [a.message for a in _said(c.out, "w1")]
    assert got[:3] == ["recorded", "website", "recorded"]


def _day(seed: int, agents: int, rate: float, every: float) -> Config:
    return Config.model_validate(
        {
            "queues": [
                {
                    "name": "q",
                    "wrap_up_seconds": 5,
                    "announce": {
                        "position": True,
                        "ewt": True,
                        "every_seconds": every,
                        "min_ewt_seconds": 0,
                        "messages": ["recorded"],
                        "messages_every_seconds": every * 1.5,
                    },
                }
            ],
            "agents": [{"id": f"a{i}"} for i in range(agents)],
            "simulation": {
                "seed": seed,
                "hours": 0.25,
                "agents": {
                    "answer_delay": {"distribution": "lognormal", "mean": 4, "sd": 2},
                    "no_answer_probability": 0.1,
                },
                "traffic": {
                    "q": {
                        "calls_per_hour": rate,
                        "handle_time": {"distribution": "exponential", "mean": 120},
                        "patience": {"distribution": "exponential", "mean": 200},
                    }
                },
            },
        }
    )


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    agents=st.integers(1, 6),
    rate=st.floats(20, 200),
    every=st.floats(5, 60),
)
def test_announcements_never_cut_an_offer(
    seed: int, agents: int, rate: float, every: float
) -> None:
    core, trunk, _ = build(_day(seed, agents, rate, every), seed=seed)
    ringing: dict[str, set[str]] = {}  # from the command and event log: who rings for a call
    offered_at: dict[str, list[float]] = {}
    announced: list[tuple[float, Announce]] = []
    until = 900.0
    while True:
        td, te = core.next_deadline(), trunk.next_time()
        if td is None and te is None:
            break
        timer_first = td is not None and (te is None or td <= te)
        now: float = td if timer_first else te  # type: ignore[assignment]
        if now > until and not core.in_progress():
            break
        if timer_first:
            cmds = core.on_timer(now)
        else:
            _, event = trunk.pop()
            if event is None:
                continue
            if isinstance(event, ev.AgentAnswered | ev.OfferFailed):
                ringing.get(event.call_id, set()).discard(event.agent_id)
            cmds = core.handle(event, now)
        for cmd in cmds:
            if isinstance(cmd, Announce):
                assert not ringing.get(cmd.call_id), f"announced while ringing at {now}"
                announced.append((now, cmd))
            elif isinstance(cmd, OfferCall):
                ringing.setdefault(cmd.call_id, set()).add(cmd.agent_id)
                offered_at.setdefault(cmd.call_id, []).append(now)
            elif isinstance(cmd, CancelOffer):
                ringing.get(cmd.call_id, set()).discard(cmd.agent_id)
            trunk.execute(cmd, now)
    # Played: what was announced, less what came while the last one still played.
    assert {(s.start, s.command) for s in trunk.said} <= set(announced)
    assert trunk.said or not announced
    for s in trunk.said:
        during = [t for t in offered_at.get(s.call_id, []) if s.start <= t < s.end]
        if during:
            assert s.cut == during[0]  # cut at the offer, never playing on past it
        else:
            assert s.cut is None


def test_announcements_are_counted_and_said_in_the_callers_language() -> None:
    c = _center(position=True, ewt=True, every_seconds=30, messages=["recorded"])
    for k in range(3):
        c.arrive(f"w{k}", "q", attributes={"language": "es"} if k == 2 else {})
    c.arrive("w3", "q", attributes={"language": "not a language"})
    c.advance(100.0)
    said = [x for x in c.out if isinstance(x, Announce)]
    assert {a.language for a in said if a.call_id == "w2"} == {"es"}
    assert {a.language for a in said if a.call_id == "w3"} == {"en"}  # unusable: the queue's
    assert c.kpis("q")["announcements"] == len(said)
