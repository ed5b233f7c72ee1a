"""Preview mode and callbacks: agent-targeted calls, in the Center and in simulation."""

from __future__ import annotations

from datetime import UTC, datetime
from random import Random

import pytest

from acd import events as ev
from acd.commands import HangUp, OfferCall, Originate, ShowPreview
from acd.config.schema import Config
from acd.errors import IllegalTransition, InvalidEvent, TrunkUnavailable
from acd.records import CallDetail
from acd.simulate import build, run_scenario
from dialer.center import Center
from dialer.dnc import DoNotCallList
from dialer.leads import Lead
from dialer.leadsource import book_leads
from dialer.scenarios import outbound_scenario
from tests.helpers import Clock

NUMBERS = [f"+1212555{i:04d}" for i in range(100, 130)]


def config(mode: str = "preview", agents: int = 2, **campaign: object) -> Config:
    return Config.model_validate(
        {
            "queues": [{"name": "inbound", "skills": {"in": 1}}],
            "campaigns": [
                {
                    "name": "c",
                    "mode": mode,
                    "skills": {"out": 1},
                    "wrap_up_seconds": 0,
                    "safe_harbor_message": "safe",
                    **campaign,
                }
            ],
            "agents": [{"id": f"a{i}", "skills": {"out": 5, "in": 5}} for i in range(agents)],
        }
    )


class Book(Clock):
    """A Center over a real lead book, with a clock (engine time is Unix time here)."""

    T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC).timestamp()  # 10:00 in New York

    def __init__(self, cfg: Config, numbers: list[str] = NUMBERS) -> None:
        self.dnc = DoNotCallList()
        leads = [
            Lead(f"L{i}", n, time_zone="America/New_York", priority=-i)
            for i, n in enumerate(numbers)
        ]
        self.src = book_leads(cfg.campaigns[0], self.dnc, 0.0, leads)
        self.c = Center(cfg, rng=Random(1), leads={"c": self.src}, dnc=self.dnc)
        super().__init__(self.c, self.T0)

    def state(self, agent: str) -> str:
        return str(self.c.engine.agents[agent].state.value)

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [c for c in self.out if isinstance(c, kind)]


def test_preview_reserves_a_ready_agent_and_shows_the_next_lead() -> None:
    b = Book(config())
    b.do(ev.AgentLogin("a0"))
    b.advance(0.0)
    (shown,) = b.of(ShowPreview)
    assert (shown.agent_id, shown.lead_id, shown.number) == ("a0", "L0", NUMBERS[0])
    assert b.state("a0") == "reserved" and not b.of(Originate)
    view = b.c.preview_view("a0", b.now)
    assert view is not None and view["lead"]["lead_id"] == "L0"
    # Reserved: an inbound caller is not offered to a0.
    b.do(ev.CallArrived("in1", "inbound"))
    assert not b.of(OfferCall)
    b.do(ev.PreviewDial("a0"))
    (o,) = b.of(Originate)
    assert o.agent_id == "a0" and o.number == NUMBERS[0] and b.state("a0") == "dialing"
    assert b.src.book.status("L0") == "dialing"


def test_live_answer_goes_to_the_dialing_agent_at_once_and_is_never_abandoned() -> None:
    b = Book(config())
    b.do(ev.AgentLogin("a0"))
    b.advance(0.0)
    b.do(ev.PreviewDial("a0"))
    (o,) = b.of(Originate)
    b.advance(10.0)
    b.do(ev.OutboundAnswered(o.call_id))
    assert b.state("a0") == "on_call"
    b.advance(30.0)  # far past the 2-second window: nothing is dropped
    assert not [h for h in b.of(HangUp) if h.call_id == o.call_id]
    b.do(ev.SetDisposition("a0", "sale"))
    b.do(ev.CallHungUp(o.call_id))
    rt = b.c.campaigns["c"]
    assert (rt.fig.human, rt.fig.connected, rt.fig.abandoned, rt.fig.success) == (1, 1, 0, 1)
    assert rt.ledger.counts(b.now, 86400) == (1, 0)
    assert b.src.book.state("L0").done_reason == "success"
    assert b.state("a0") == "reserved"  # free again (no wrap-up): the next lead is shown


@pytest.mark.parametrize("how", ["no_answer", "busy", "machine"])
def test_unanswered_preview_call_frees_the_agent_and_records_the_outcome(how: str) -> None:
    b = Book(config())
    b.do(ev.AgentLogin("a0"))
    b.advance(0.0)
    b.do(ev.PreviewDial("a0"))
    (o,) = b.of(Originate)
    if how == "machine":
        b.do(ev.OutboundAnswered(o.call_id, machine=True))
    else:
        b.do(ev.OutboundFailed(o.call_id, how))
    st = b.src.book.state("L0")
    assert st.last_outcome == how and st.attempts == 1
    assert b.state("a0") == "reserved"  # ready again, so shown the next lead at once
    assert [s.lead_id for s in b.of(ShowPreview)] == ["L0", "L1"]


def test_skip_requeues_or_closes_and_auto_dial_after_the_timeout() -> None:
    b = Book(config(preview_skip_delay_seconds=3600))
    b.do(ev.AgentLogin("a0"))
    b.advance(0.0)
    b.do(ev.PreviewSkip("a0"))
    assert [s.lead_id for s in b.of(ShowPreview)] == ["L0", "L1"]
    st = b.src.book.state("L0")
    assert st.attempts == 0 and st.next_attempt_at == pytest.approx(b.now + 3600)
    closing = Book(config(preview_skip="close"))
    closing.do(ev.AgentLogin("a0"))
    closing.advance(0.0)
    closing.do(ev.PreviewSkip("a0"))
    assert closing.src.book.state("L0").done_reason == "final"
    auto = Book(config(preview_timeout_seconds=20))
    auto.do(ev.AgentLogin("a0"))
    auto.advance(19.9)
    assert not auto.of(Originate)
    auto.advance(0.1)
    (o,) = auto.of(Originate)
    assert o.agent_id == "a0"
    assert auto.do(ev.PreviewDial("a0", "L0")) == []  # a late click on the same lead: ignored
    with pytest.raises(IllegalTransition):
        auto.do(ev.PreviewDial("a0"))


def test_pausing_while_previewing_puts_the_lead_back() -> None:
    b = Book(config())
    b.do(ev.AgentLogin("a0"))
    b.advance(0.0)
    b.do(ev.AgentPause("a0"))
    assert b.state("a0") == "paused" and b.c.preview_view("a0", b.now) is None
    assert b.src.book.status("L0") == "queued" and b.src.book.state("L0").attempts == 0
    b.do(ev.AgentLogin("a1"))
    b.advance(0.0)
    assert b.of(ShowPreview)[-1].lead_id == "L0"


def _talk_to(b: Book, agent: str) -> str:
    (o,) = [x for x in b.of(Originate) if x.call_id not in b.c.engine.calls][-1:]
    b.do(ev.OutboundAnswered(o.call_id))
    if b.state(agent) != "on_call":
        b.do(ev.AgentAnswered(o.call_id, agent))
    return o.call_id


def test_callback_for_an_agent_waits_for_that_agent_then_falls_back_to_anyone() -> None:
    b = Book(config(mode="progressive", agents=2, callback_grace_seconds=600))
    b.do(ev.AgentLogin("a0"))
    call = _talk_to(b, "a0")
    at = datetime.fromtimestamp(b.now + 3600, tz=UTC)
    with pytest.raises(InvalidEvent):
        b.do(ev.SetDisposition("a0", "callback"))  # a callback needs a time
    b.do(ev.SetDisposition("a0", "callback", callback_at=at, callback_agent="a0"))
    b.do(ev.CallHungUp(call))
    st = b.src.book.state("L0")
    assert st.callback and st.callback_agent == "a0" and b.src.book.status("L0") == "callback"
    b.do(ev.AgentPause("a0"))
    for o in b.of(Originate)[1:]:
        if o.call_id in b.c._call_campaign:
            b.do(ev.OutboundFailed(o.call_id, "no_answer"))
    b.do(ev.AgentLogin("a1"))
    b.advance(3600 + 300)  # due; a0 is logged in (paused): it waits for a0
    assert all(o.number != NUMBERS[0] for o in b.of(Originate)[1:])
    b.do(ev.AgentReady("a0"))  # a0 free: its callback comes first, with a0 on the line
    cb = [o for o in b.of(Originate) if o.number == NUMBERS[0]][1:]
    assert len(cb) == 1 and cb[0].agent_id == "a0"
    b.do(ev.OutboundAnswered(cb[0].call_id))
    assert b.c.engine.calls[cb[0].call_id].agent.id == "a0"  # type: ignore[union-attr]


def test_callback_for_an_agent_who_does_not_log_in_goes_to_anyone_after_the_grace() -> None:
    b = Book(config(mode="progressive", agents=2, callback_grace_seconds=600))
    b.do(ev.AgentLogin("a0"))
    call = _talk_to(b, "a0")
    at = datetime.fromtimestamp(b.now + 3600, tz=UTC)
    b.do(ev.SetDisposition("a0", "callback", callback_at=at, callback_agent="a0"))
    b.do(ev.CallHungUp(call))
    b.do(ev.AgentLogout("a0"))
    for o in b.of(Originate)[1:]:
        if o.call_id in b.c._call_campaign:
            b.do(ev.OutboundFailed(o.call_id, "no_answer"))
    b.do(ev.AgentLogin("a1"))
    b.do(ev.AgentPause("a1"))
    b.advance(3600 + 599)
    b.do(ev.AgentReady("a1"))
    assert all(o.number != NUMBERS[0] for o in b.of(Originate)[1:])
    for o in b.of(Originate):
        if o.call_id in b.c._call_campaign:
            b.do(ev.OutboundFailed(o.call_id, "busy"))
    b.do(ev.AgentPause("a1"))
    b.advance(2.0)  # past due + grace, a0 still logged out: anyone's now
    assert b.src.book.state("L0").callback_agent is None
    assert b.src.book.status("L0") == "callback"  # among due leads, by its time


def test_callback_local_wall_time_is_read_in_the_leads_zone() -> None:
    b = Book(config(mode="progressive", agents=1))
    b.do(ev.AgentLogin("a0"))
    call = _talk_to(b, "a0")
    b.do(ev.SetDisposition("a0", "callback", callback_at=datetime(2026, 3, 3, 9, 30)))
    b.do(ev.CallHungUp(call))
    st = b.src.book.state("L0")
    expected = datetime(2026, 3, 3, 14, 30, tzinfo=UTC).timestamp()  # 09:30 EST
    assert st.next_attempt_at == expected and st.callback_agent is None


def preview_scenario(seed: int) -> Config:
    data = outbound_scenario(5, 0.3, hours=1.0, seed=seed, mode="preview").model_dump()
    data["simulation"]["agents"]["preview_think"] = {
        "distribution": "lognormal",
        "mean": 6,
        "sd": 3,
    }
    return Config.model_validate(data)


def test_simulated_preview_campaign_dials_through_its_agents_deterministically() -> None:
    r1 = run_scenario(preview_scenario(3))["campaigns"]["c"]
    r2 = run_scenario(preview_scenario(3))["campaigns"]["c"]
    assert r1 == r2
    assert r1["dialed"] > 50 and r1["connected"] == r1["live_answers"] > 10
    assert r1["abandoned"] == 0
    core, _, driver = build(preview_scenario(4))
    assert isinstance(core, Center)
    driver.run(3600.0)
    # Never more calls in flight than agents: each is one agent's own call.
    assert r1["in_flight"] == 0 and len(core.campaigns["c"].inflight) <= 5


def _cfg_with(**changes: object) -> Config:
    base = config(mode="progressive", agents=2).model_dump()
    base["campaigns"][0].update(changes)
    return Config.model_validate(base)


def test_reload_applies_campaign_changes_live() -> None:
    from dialer.pacing import Power

    b = Book(_cfg_with())
    b.do(ev.AgentLogin("a0"))
    (first,) = b.of(Originate)
    new = _cfg_with(
        mode="power",
        power_ratio=2.0,
        caller_id="+12125550100",
        abandonment_target=0.02,
        calling_window={"start": "09:00", "end": "20:00"},
        retries={"busy": {"delay_seconds": 60, "max_attempts": 2}},
        dispositions=[{"name": "won", "kind": "success"}],
    )
    changes = b.c.reconfigure(new, b.now)
    assert changes["changed"] == ["campaign c"]
    rt = b.c.campaigns["c"]
    assert isinstance(rt.pacer, Power) and rt.cfg.abandonment_target == 0.02
    assert set(rt.kinds) == {"won"} and b.src.book.policy.busy.delay_seconds == 60
    assert b.src.window.start == "09:00"
    b.do(ev.OutboundFailed(first.call_id, "busy"))
    b.advance(1.0)
    assert [o.caller_id for o in b.of(Originate)][1:3] == ["+12125550100"] * 2


def test_reload_adds_and_removes_campaigns_and_refuses_only_file_changes() -> None:
    from acd.errors import ConfigError

    b = Book(_cfg_with())
    b.do(ev.AgentLogin("a0"))
    (first,) = b.of(Originate)
    with pytest.raises(ConfigError, match="leads changed"):
        b.c.reconfigure(_cfg_with(leads="other.csv"), b.now)
    assert b.c.campaigns["c"].cfg.leads is None  # nothing changed
    data = _cfg_with().model_dump()
    data["campaigns"][0]["name"] = "d"
    changes = b.c.reconfigure(Config.model_validate(data), b.now)
    assert changes["added"] == ["campaign d"] and changes["removed"] == ["campaign c"]
    assert list(b.c.campaigns) == ["d"]
    # c's call in flight still connects to an agent (its queue drains), d dials from now on.
    b.do(ev.OutboundAnswered(first.call_id))
    (offer,) = [o for o in b.of(OfferCall) if o.call_id == first.call_id]
    b.do(ev.AgentAnswered(first.call_id, offer.agent_id))
    b.do(ev.CallHungUp(first.call_id))
    book = b.c.lead_book("d")  # a new campaign starts with an empty book: post leads to it
    assert book is not None
    book.book.add(Lead("n1", "+12125550177", time_zone="America/New_York"), at=b.now)
    b.advance(1.0)
    assert b.of(Originate)[-1].call_id.startswith("d-")
    assert b.of(Originate)[-1].number == "+12125550177"
    assert b.c.campaign_report(b.now)["d"]["dialed"] >= 1


def test_a_preview_cannot_be_dialed_while_the_pbx_link_is_down() -> None:
    b = Book(config(preview_timeout_seconds=10))
    b.do(ev.AgentLogin("a0"))
    b.advance(0.0)
    (shown,) = b.of(ShowPreview)
    b.do(ev.TrunkState(False))
    with pytest.raises(TrunkUnavailable):
        b.do(ev.PreviewDial("a0"))
    b.advance(60.0)  # the auto-dial time-out passes too: nothing placed, the lead stays shown
    assert not b.of(Originate) and b.state("a0") == "reserved"
    b.do(ev.TrunkState(True))
    b.advance(10.0)
    (dial,) = b.of(Originate)
    assert dial.number == shown.number


def test_a_previewed_call_record_names_its_agent_and_answer() -> None:
    b = Book(config())
    records: list[CallDetail] = []
    b.c.cdr_sink = records.append
    b.do(ev.AgentLogin("a0"))
    b.advance(0.0)
    b.do(ev.PreviewDial("a0"))
    (dial,) = b.of(Originate)
    b.advance(3.0)
    answered_at = b.now
    b.do(ev.OutboundAnswered(dial.call_id))
    b.advance(40.0)
    b.do(ev.CallHungUp(dial.call_id))
    b.advance(60.0)  # wrap-up over: the record is complete
    (rec,) = [r for r in records if r.call_id == dial.call_id]
    assert (rec.agent_id, rec.answered, rec.outcome) == ("a0", answered_at, "answered")
    assert rec.talk_seconds == 40.0 and rec.wait_seconds == 0.0
