"""Safe-harbor messages the PBX confirms: a dropped live answer's record carries
``safe_harbor_played_at`` only when the adapter says the message played to its end (Asterisk's
AcdPlayed, the simulated trunk's end of playback); a called party who hangs up during it gets
none, and the compliance report counts from the records.

The simulated day is checked against what its trunk did (a tap on its commands and events),
never against the Center's counters."""

from __future__ import annotations

from typing import Any

from acd import events as ev
from acd.commands import Command, HangUp, Originate, PlayMessage
from acd.live_calls import adopt, changed_calls
from acd.records import CallDetail
from acd.simulate import build
from dialer.center import Center
from dialer.center.harbor import HARBOR_WAIT
from dialer.compliance import compliance_report
from dialer.hours import CallingWindow
from dialer.pacing import Power
from dialer.scenarios import outbound_scenario
from telephony_adapters.simulated import MESSAGE_SECONDS, SimulatedTrunk
from tests.test_center import SAFE, Dials, center_config


def dropped(calls: int) -> tuple[Dials, list[CallDetail], list[str]]:
    """One agent, power dialing ``calls`` lines: the first answer talks to the agent, the
    others are live answers that no agent takes within 2 s."""
    d = Dials(center_config(agents=1), pacer=Power(float(calls)))
    records: list[CallDetail] = []
    d.c.cdr_sink = records.append
    d.c.engine.dirty_calls = set()  # as a persister sets it
    d.do(ev.AgentLogin("a0"))
    ids = [o.call_id for o in d.dialed()]
    d.do(ev.OutboundAnswered(ids[0]))
    d.do(ev.AgentAnswered(ids[0], "a0"))
    for call_id in ids[1:]:
        d.do(ev.OutboundAnswered(call_id))
    d.advance(2.0)
    assert [c.call_id for c in d.out if isinstance(c, PlayMessage)] == ids[1:]
    return d, records, ids[1:]


def test_the_record_waits_for_the_pbx_and_carries_the_time_the_message_ended() -> None:
    d, records, (played, cut, silent) = dropped(4)
    assert records == []  # held: the message is still playing
    # Held records are calls in progress to the persister, with their final outcome.
    kept = changed_calls(d.c, set(), [], d.now)
    assert {k for k, v in kept.items() if v and v["over"]} == {played, cut, silent}
    assert {kept[c]["record"]["abandoned_2s"] for c in (played, cut, silent)} == {True}  # type: ignore[index]
    d.advance(5.0)
    d.do(ev.MessagePlayed(played))
    d.do(ev.MessagePlayed(cut, complete=False))  # the person hung up during it
    got = {r.call_id: r for r in records}
    assert got[played].safe_harbor_played_at == d.now and got[played].abandoned_2s
    assert got[cut].safe_harbor_played_at is None and got[cut].abandoned_2s
    assert silent not in got and d.c.in_progress()
    # No word from the PBX: the record goes out unconfirmed, and a late word changes nothing.
    d.advance(HARBOR_WAIT)
    got = {r.call_id: r for r in records}
    assert got[silent].safe_harbor_played_at is None
    d.do(ev.MessagePlayed(silent))
    assert len(records) == 3


def test_a_stopping_daemon_flushes_the_held_records() -> None:
    d, records, ids = dropped(3)
    assert d.c.flush_records(d.now) == 2
    assert sorted(r.call_id for r in records) == sorted(ids)
    assert all(r.safe_harbor_played_at is None for r in records)
    d.advance(HARBOR_WAIT)
    assert len(records) == 2


def test_without_a_message_or_a_sink_nothing_is_held() -> None:
    d = Dials(center_config(agents=1), pacer=Power(2.0))
    d.do(ev.AgentLogin("a0"))  # no sink: nothing to hold
    a, b = (o.call_id for o in d.dialed())
    d.do(ev.OutboundAnswered(a))
    d.do(ev.AgentAnswered(a, "a0"))
    d.do(ev.OutboundAnswered(b))
    d.advance(2.0)
    assert not d.c._harbor_held and not d.c._harbor_due


# --- a simulated day, against its trunk ---------------------------------------------------------
def tapped(trunk: SimulatedTrunk) -> tuple[dict[str, float], dict[str, float], dict[str, bool]]:
    """When the trunk hung up each call it was told to, and the message ends it reported."""
    hung_up: dict[str, float] = {}
    dialed: dict[str, float] = {}
    ends: dict[str, bool] = {}
    pop, execute = trunk.pop, trunk.execute

    def tapped_pop() -> tuple[float, ev.Event | None]:
        t, event = pop()
        if isinstance(event, ev.MessagePlayed):
            ends[event.call_id] = event.complete
        return t, event

    def tapped_execute(command: Command, now: float) -> Any:
        if isinstance(command, HangUp):
            hung_up[command.call_id] = now
        elif isinstance(command, Originate):
            dialed[command.call_id] = now
        return execute(command, now)

    trunk.pop = tapped_pop  # type: ignore[method-assign]
    trunk.execute = tapped_execute  # type: ignore[method-assign]
    return hung_up, dialed, ends


def simulated_day(
    hangup_share: float,
) -> tuple[list[CallDetail], dict[str, float], dict[str, bool]]:
    cfg = outbound_scenario(10, 0.6, hours=1.0, seed=4, mode="power")
    sim = cfg.simulation
    assert sim is not None
    outbound = sim.outbound.model_copy(update={"message_hangup_probability": hangup_share})
    cfg = cfg.model_copy(update={"simulation": sim.model_copy(update={"outbound": outbound})})
    core, trunk, driver = build(cfg)
    assert isinstance(core, Center)
    records: list[CallDetail] = []
    core.cdr_sink = records.append
    hung_up, _, ends = tapped(trunk)
    driver.run(3600.0, drain=True)
    return records, hung_up, ends


def test_a_simulated_day_confirms_the_messages_heard_to_the_end() -> None:
    records, hung_up, ends = simulated_day(0.4)
    drops = [r for r in records if r.abandoned_2s]
    assert len(drops) >= 20, len(drops)
    # Every drop's message ended one way or the other before the day was drained.
    assert {r.call_id for r in drops} == set(ends)
    heard = {c for c, complete in ends.items() if complete}
    assert 0 < len(heard) < len(ends)  # some heard it out, some hung up during it
    for r in drops:
        if r.call_id in heard:  # the message ran its length from our hang-up
            assert r.safe_harbor_played_at == hung_up[r.call_id] + MESSAGE_SECONDS
        else:
            assert r.safe_harbor_played_at is None
    # The compliance report counts from the records: the heard ones, and lists the others.
    report = compliance_report(
        [r.as_dict() for r in records],
        campaign="c",
        first="1970-01-01",
        last="1970-01-01",
        day_of=lambda t: "1970-01-01",
        window=CallingWindow("00:00", "24:00"),
        zones_of=lambda r: ("UTC",),
    )
    totals = report["totals"]
    assert totals["safe_harbor_played"] == len(heard)
    assert totals["abandoned_without_message"] == len(ends) - len(heard)
    unheard = {a["call_id"] for a in report["abandoned_without_message"]}
    assert unheard == set(ends) - heard


def test_nobody_hangs_up_during_the_message_by_default() -> None:
    records, _, ends = simulated_day(0.0)
    drops = [r for r in records if r.abandoned_2s]
    assert drops and all(r.safe_harbor_played_at is not None for r in drops)
    assert set(ends.values()) == {True}


def test_the_message_is_the_campaigns() -> None:
    d, _, ids = dropped(2)
    assert PlayMessage(ids[0], SAFE) in d.out


def test_a_crash_while_the_message_plays_still_leaves_the_abandoned_record() -> None:
    """What the persister wrote for a held record comes back after a crash with its outcome
    and the 2-second flag (not as an interrupted call), unconfirmed."""
    d, _, (first, second) = dropped(3)
    kept = changed_calls(d.c, set(), [], d.now)
    again, records, _ = dropped(1)  # a fresh Center: the restarted daemon
    adopt(again.c, {k: v for k, v in kept.items() if v is not None and k in (first, second)})
    again.c.engine.settle_orphans(d.now + 60.0)
    got = {r.call_id: r for r in records}
    assert set(got) == {first, second}
    assert all(r.outcome == "timed_out" and r.abandoned_2s for r in got.values())
    assert all(r.safe_harbor_played_at is None for r in got.values())
