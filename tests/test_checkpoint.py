"""Persistence, core side: change logs, dumps, and a core rebuilt from what a store holds.

The in-memory store (the model the Redis store is tested against) applies the batches; a core is
run, "crashes", and a fresh core restored from that store must agree with it."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import datetime
from pathlib import Path
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd import events as ev
from acd.checkpoint import RECOVERED, Collector, restore
from acd.commands import OfferCall
from acd.config.files import load_config
from acd.config.schema import Config
from acd.reporting.calendar import calendar_for
from acd.simulate import build, campaign_leads, sim_epoch
from acd.stats import AgentStats, QueueStats
from acd.store.batch import Batch, StoredState
from acd.store.memory import MemoryStore
from dialer.abandonment import DAY, AbandonLedger
from dialer.center import Center
from dialer.dnc import DoNotCallList
from dialer.hours import CallingWindow
from dialer.leadbook import LeadBook
from dialer.leads import Lead
from dialer.leadsource import BookLeads
from dialer.retries import Disposition, DispositionKind, Outcome, interrupted_attempt
from tests.helpers import Center as Clocked
from tests.helpers import config

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ALWAYS = CallingWindow("00:00", "24:00")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/New_York")).timestamp()


def apply(store: MemoryStore, batch: Batch) -> None:
    """The store's own apply (the merge rules every store shares), from a synchronous test."""
    asyncio.run(store.apply(batch))


def loaded(store: MemoryStore) -> StoredState:
    return asyncio.run(store.load())


def all_records(store: MemoryStore) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        return [r async for r in store.records(-math.inf, math.inf)]

    return asyncio.run(read())


# --- the lead book ------------------------------------------------------------------------------
def leads(n: int) -> list[Lead]:
    return [Lead(f"L{i}", f"+1212555{i:04d}", priority=i % 2) for i in range(n)]


def test_book_logs_changed_leads_and_dumps_a_dialing_lead_as_not_due_now() -> None:
    book = LeadBook()
    book.extend(leads(3), at=T0)
    assert sorted(book.drain_changes()) == ["L0", "L1", "L2"]
    assert book.drain_changes() == []
    lead = book.next_dialable(T0 + 5, ALWAYS, frozenset())
    assert lead is not None and book.drain_changes() == [lead.lead_id]
    d = book.dump(lead.lead_id)
    assert d["lead"]["phone"] == lead.phone and d["lead"]["zones"] == ["America/New_York"]
    st_ = d["state"]
    assert st_["dialing"] is True and st_["attempts"] == 1
    assert st_["last_attempt_at"] == T0 + 5
    assert st_["next_attempt_at"] == T0 + 5 + book.policy.no_answer.delay_seconds
    assert st_["done"] is False and json.loads(json.dumps(d)) == d
    book.record(lead.lead_id, Outcome.BUSY, T0 + 20)
    assert book.drain_changes() == [lead.lead_id]
    d = book.dump(lead.lead_id)["state"]
    assert "dialing" not in d and d["last_outcome"] == "busy"


def build_book() -> tuple[LeadBook, set[str]]:
    """Leads in every kind of state: fresh, retried, callback, done, do-not-call, dialing."""
    book = LeadBook()
    book.extend(leads(40), at=T0)
    dnc = DoNotCallList()
    dnc.add("+12125550007", "api", T0)
    now = T0
    kinds = [
        Outcome.NO_ANSWER,
        Outcome.BUSY,
        Outcome.MACHINE,
        Disposition("sale", DispositionKind.SUCCESS),
        Disposition("later", DispositionKind.CALLBACK),
        Outcome.ABANDONED,
    ]
    for i in range(18):
        now += 30
        lead = book.next_dialable(now, ALWAYS, dnc)
        assert lead is not None
        kind = kinds[i % len(kinds)]
        if isinstance(kind, Disposition) and kind.kind is DispositionKind.CALLBACK:
            book.record(lead.lead_id, kind, now, callback_at=now + 600, callback_agent="a1")
        else:
            book.record(lead.lead_id, kind, now)
    dialing = set()
    for _ in range(3):
        lead = book.next_dialable(now + 1, ALWAYS, dnc)
        assert lead is not None
        dialing.add(lead.lead_id)
    return book, dialing


def picks(book: LeadBook, t: float) -> list[str]:
    out = []
    while (lead := book.next_dialable(t, ALWAYS, frozenset())) is not None:
        out.append(lead.lead_id)
    return out


def test_book_restored_from_its_dumps_has_the_same_states_and_order() -> None:
    book, dialing = build_book()
    entries = json.loads(json.dumps({lid: book.dump(lid) for lid in book.drain_changes()}))
    fresh = LeadBook()
    counts = fresh.restore(entries, T0 + 1000)
    assert counts["restored"] == 40 and counts["dialing"] == 3 and counts["callbacks"] == 3
    # The leads dialling at the crash are written again, without the flag (nothing else is).
    again = fresh.drain_changes()
    assert sorted(again) == sorted(dialing)
    assert not any("dialing" in fresh.dump(lid)["state"] for lid in again)
    for lead in book:
        want = book.state(lead.lead_id)
        if lead.lead_id in dialing:
            zones = book.zones(lead.lead_id)
            want = interrupted_attempt(want, T0 + 18 * 30 + 1, zones, book.policy)
        assert fresh.state(lead.lead_id) == want, lead.lead_id
        assert fresh.lead(lead.lead_id) == lead
        assert fresh.zones(lead.lead_id) == book.zones(lead.lead_id)
        assert not fresh.dialing(lead.lead_id)
    c1, c2 = book.counts(T0 + 1000, ALWAYS), fresh.counts(T0 + 1000, ALWAYS)
    assert (c2.total, c2.done, c2.dialing) == (c1.total, c1.done, 0)
    assert c2.dialable + c2.scheduled == c1.dialable + c1.scheduled + 3
    # Picks follow the same order; the leads dialling at the crash do not come back at once.
    for t in (T0 + 1000, T0 + 3 * 3600, T0 + 30 * 3600):
        a, b = picks(book, t), picks(fresh, t)
        if t == T0 + 1000:
            assert not set(b) & dialing
        assert [x for x in b if x not in dialing] == a


def test_restore_keeps_lead_file_leads_the_store_lacks_and_reuses_known_leads() -> None:
    book = LeadBook()
    book.extend(leads(5), at=T0)
    saved = {"L0": book.dump("L0"), "L1": {"state": book.dump("L1")["state"]}}
    saved["L0"]["state"]["attempts"] = 1
    saved["L0"]["state"]["next_attempt_at"] = T0 + 99
    book2 = LeadBook()
    book2.extend(leads(5), at=T0)
    book2.drain_changes()
    counts = book2.restore(saved, T0)
    assert (counts["restored"], counts["kept"]) == (2, 3)
    assert sorted(book2.drain_changes()) == ["L2", "L3", "L4"]
    assert book2.state("L0").attempts == 1 and book2.state("L0").next_attempt_at == T0 + 99
    assert len(book2) == 5 and book2.lead("L1") == book.lead("L1")


def test_restore_of_many_leads_keeps_every_lead_dialable() -> None:
    # A correctness test at a size where a quadratic restore would show; how fast it runs is a
    # benchmark's business, not this test's.
    n = 100_000
    zones = [["America/New_York"], ["America/Chicago"], ["America/Denver", "America/Phoenix"]]
    state = {"attempts": 0, "next_attempt_at": T0}
    entries = {
        f"L{i}": {
            "lead": {"lead_id": f"L{i}", "phone": f"+1212{i:07d}", "zones": zones[i % 3]},
            "state": state,
        }
        for i in range(n)
    }
    book = LeadBook()
    counts = book.restore(entries, T0)
    assert counts["restored"] == n
    assert len(book) == n and book.counts(T0, ALWAYS).dialable == n
    assert book.lead("L99999").phone == "+12120099999"


# --- do-not-call, abandonment, statistics ---------------------------------------------------------
def test_dnc_logs_additions_and_removals_and_restores() -> None:
    dnc = DoNotCallList()
    dnc.add("+1 212 555 0100", "agent", 5.0)
    dnc.add("+12125550100", "api", 6.0)  # already listed: no change
    dnc.load_registry_text("+12125550101\n+12125550102\n", at=7.0, name="reg.txt")
    dnc.remove("+12125550102")
    changes = dnc.drain_changes()
    assert {k: (v and (v.source, v.at)) for k, v in changes.items()} == {
        "+12125550100": ("agent", 5.0),
        "+12125550101": ("registry:reg.txt", 7.0),
        "+12125550102": None,
    }
    assert dnc.drain_changes() == {}
    other = DoNotCallList()
    other.load_registry_text("+12125550101\n", at=99.0, name="reg.txt")
    saved = {n: {"source": e.source, "at": e.at} for n, e in changes.items() if e is not None}
    assert other.restore(saved) == 1
    assert other.drain_changes() == {}  # what the store has is not pending
    assert set(other) == set(dnc) and other.entry("+12125550101").at == 7.0  # type: ignore[union-attr]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 40 * DAY), st.booleans()), max_size=80),
    st.floats(0, 5 * DAY),
)
def test_ledger_restored_from_a_snapshot_or_its_changes_counts_the_same(
    events: list[tuple[float, bool]], later: float
) -> None:
    ledger = AbandonLedger()
    stored: dict[float, tuple[float, int, int]] = {}
    for i, (ts, drop) in enumerate(sorted(events)):
        (ledger.abandon if drop else ledger.live_answer)(ts)
        if i % 7 == 0:
            stored.update({b[0]: b for b in ledger.drain_changes()})
    stored.update({b[0]: b for b in ledger.drain_changes()})
    now = max((t for t, _ in events), default=0.0)
    restored = []
    for buckets in (ledger.snapshot(), [stored[k] for k in sorted(stored)]):
        restored.append(AbandonLedger())
        restored[-1].restore(buckets, now)
    for t in (now, now + later):  # in time order: windows expire as time goes on
        for seconds in (DAY, 30 * DAY, 1800.0, 7 * DAY):
            want = ledger.counts(t, seconds)
            assert [r.counts(t, seconds) for r in restored] == [want, want], (t, seconds)


def test_stats_survive_a_round_trip_through_json() -> None:
    c = Clocked(config([{"name": "q", "skills": {"s": 1}}], [{"id": "a", "skills": {"s": 1}}]))
    c.arrive("c1", "q")
    c.answer("c1", "a")
    c.advance(30)
    c.hangup("c1")
    c.advance(5)
    q = c.engine.queues["q"].stats
    fresh = QueueStats(c.engine.queues["q"].cfg)
    fresh.load_dict(json.loads(json.dumps(q.to_dict())))
    assert fresh.kpis(0) == q.kpis(0)
    a = c.engine.agents["a"].stats
    b = AgentStats()
    b.load_dict(json.loads(json.dumps(a.to_dict())))
    assert b.kpis() == a.kpis()


# --- sessions ----------------------------------------------------------------------------------
def test_sessions_come_back_as_a_supervisor_expects() -> None:
    cfg = config(
        [{"name": "q", "skills": {"s": 1}, "wrap_up_seconds": 30}],
        [
            {"id": a, "skills": {"s": 5}}
            for a in ("ready", "ring", "talk", "wrap", "brk", "out", "asks")
        ],
    )
    c = Clocked(cfg, login=False)
    col = Collector(c.engine)
    store = MemoryStore()
    for a in ("talk", "wrap", "asks"):
        c.do(ev.AgentLogin(a))
    for cid in ("c1", "c2", "c3"):
        c.arrive(cid, "q")
    busy = {o.agent_id: o.call_id for o in c.out if isinstance(o, OfferCall)}
    for agent, call in busy.items():
        c.answer(call, agent)
    c.advance(10)
    c.hangup(busy["wrap"])
    c.do(ev.AgentPause("asks", "lunch"))  # applied after the call
    c.do(ev.SetAgentSkills("talk", {"s": 7}))
    c.do(ev.AgentLogin("ready"))
    c.do(ev.AgentLogin("ring"))
    c.arrive("c4", "q")  # rings "ready" or "ring"
    c.do(ev.AgentLogin("brk", ready=False))
    c.do(ev.AgentPause("brk", "training"))
    c.do(ev.AgentLogin("out"))
    c.do(ev.AgentLogout("out"))
    apply(store, col.collect(1, c.now))
    states = {a.id: a.state.value for a in c.engine.agents.values()}
    assert states["wrap"] == "wrap_up" and "ringing" in states.values()
    assert set(loaded(store).sessions) == {"ready", "ring", "talk", "wrap", "brk", "asks"}

    fresh = Clocked(cfg, login=False)
    counts = restore(fresh.engine, loaded(store), c.now + 60)
    assert (counts["sessions"], counts["recovered"]) == (6, 1)
    got = {
        a.id: (a.state.value, a.pause_reason if a.state.value == "paused" else "")
        for a in fresh.engine.agents.values()
    }
    assert got == {
        "ready": ("ready", ""),
        "ring": ("ready", ""),
        "talk": ("paused", RECOVERED),
        "wrap": ("ready", ""),  # the call is over; the restart ended the wrap-up
        "brk": ("paused", "training"),
        "out": ("logged_out", ""),
        "asks": ("paused", "lunch"),
    }
    assert fresh.engine.agents["talk"].skills == {"s": 7}  # the live change is kept


# --- a whole blended center: run, crash, restore -----------------------------------------------
def scenario() -> Config:
    cfg = load_config(EXAMPLES / "outbound.yaml")
    assert cfg.simulation is not None
    return cfg.model_copy(update={"simulation": cfg.simulation.model_copy(update={"hours": 2})})


def fresh_center(cfg: Config) -> Center:
    """What the daemon builds at start: the lead files and registries read, nobody logged in."""
    assert cfg.simulation is not None
    epoch = sim_epoch(cfg.simulation)
    lead_sources, dnc = campaign_leads(cfg, EXAMPLES, epoch)
    return Center(
        cfg,
        rng=Random(1),
        leads=lead_sources,
        dnc=dnc,
        day_end=cfg.simulation.hours * 3600,
        calendar=calendar_for(cfg, epoch=epoch),  # the scenario's dates, as build() gives
    )


def book(core: Center) -> LeadBook:
    src = core.campaigns["renewals"].leads
    assert isinstance(src, BookLeads)
    return src.book  # type: ignore[no-any-return]


def test_a_core_restored_from_the_store_agrees_with_the_one_that_crashed() -> None:
    cfg = scenario()
    core, _, driver = build(cfg, base_dir=EXAMPLES)
    assert isinstance(core, Center)
    col = Collector(core)
    store = MemoryStore()
    seq = 0
    crash = 3600.0  # 10:00 in New York: the Central zone's window opens and leads are dialled
    core.dnc.add("+12125550199", "api", 10.0)
    t = 0.0
    while t < crash:
        t = min(t + 300.0, crash)
        driver.run(t, drain=False)
        seq += 1
        apply(store, col.collect(seq, t, kpis=True))
        if t == 1800.0:
            core.campaigns["renewals"].paused = True  # a supervisor pauses the campaign
        if t == 2400.0:
            core.dnc.remove("+12125550199")
            core.campaigns["renewals"].paused = False
    now = crash
    seq += 1
    apply(store, col.collect(seq, now, kpis=True))
    assert loaded(store).last_seq == seq
    old_book = book(core)
    dialing = {lead.lead_id for lead in old_book if old_book.dialing(lead.lead_id)}
    assert dialing, "the crash should catch calls being dialled"
    # Every record is complete and JSON-able; none twice.
    ids = [r["call_id"] for r in all_records(store)]
    assert len(ids) == len(set(ids)) and len(ids) > 30

    fresh = fresh_center(cfg)
    counts = restore(fresh, loaded(store), now)
    assert counts["leads"] == len(old_book) and counts["leads_dialing"] == len(dialing)
    assert counts["leads_kept"] == 0 and counts["skipped"] == 0
    # A collector on the restored core sends only what the store lacks: sessions, campaigns,
    # and the leads that were being dialled, now queued.
    b = Collector(fresh).collect(seq + 1, now)
    assert set(b.leads["renewals"]) == dialing
    assert not any("dialing" in e["state"] for e in b.leads["renewals"].values())
    assert not b.dnc and not b.abandon and not b.records
    assert set(b.sessions) == set(fresh.engine.agents) and set(b.campaigns) == {"renewals"}
    new_book = book(fresh)
    for lead in old_book:
        want = old_book.state(lead.lead_id)
        if lead.lead_id in dialing:  # counted as an attempt, retried later
            got = new_book.state(lead.lead_id)
            assert got.attempts == want.attempts + 1 and not got.done
            assert (got.next_attempt_at or 0) > now + sim_epoch_of(cfg)
        else:
            assert new_book.state(lead.lead_id) == want
    # Right after the restart the leads that were being dialled are not dialled again.
    src = fresh.campaigns["renewals"].leads
    picked = []
    while (x := src.next_lead(now)) is not None:
        picked.append(x[0])
    assert not set(picked) & dialing
    # DNC, abandonment windows, campaign state, sessions and KPIs.
    assert {n: core.dnc.entry(n) for n in core.dnc} == {n: fresh.dnc.entry(n) for n in fresh.dnc}
    assert "+12125550199" not in fresh.dnc
    old_rt, new_rt = core.campaigns["renewals"], fresh.campaigns["renewals"]
    for seconds in (DAY, 30 * DAY, 1800.0):
        assert new_rt.ledger.counts(now, seconds) == old_rt.ledger.counts(now, seconds)
    assert old_rt.ledger.counts(now, DAY)[0] > 0
    assert (new_rt.paused, new_rt.day_answers, new_rt.day_drops) == (
        old_rt.paused,
        old_rt.day_answers,
        old_rt.day_drops,
    )
    assert new_rt.report(now, 1, 1) == old_rt.report(now, 1, 1) | {"in_flight": 0}
    for a in core.engine.agents.values():
        b = fresh.engine.agents[a.id]
        if a.state.value in ("on_call", "wrap_up"):
            assert (b.state.value, b.pause_reason) == ("paused", RECOVERED)
        elif a.state.value == "ringing":
            assert b.state.value == "ready"
        else:
            assert b.state == a.state
    report = core.engine.report(now)
    restored = fresh.engine.report(now)
    for name, k in report["queues"].items():
        r = restored["queues"][name]
        assert r["offered"] == k["offered"] - k["waiting"]
        for key in ("answered", "abandoned", "timed_out"):
            assert r[key] == k[key], (name, key)
        # Rebuilt as the sum of today's rows: summed in another order, to the last digits.
        for key in ("asa_seconds", "aht_seconds"):
            assert r[key] == pytest.approx(k[key], rel=1e-12), (name, key)
    for agent_id, k in report["agents"].items():
        got = dict(restored["agents"][agent_id])
        assert got.pop("paused_by_reason") == pytest.approx(k.pop("paused_by_reason"))
        assert got == pytest.approx(k), agent_id


def sim_epoch_of(cfg: Config) -> float:
    assert cfg.simulation is not None
    return sim_epoch(cfg.simulation)


def test_a_callback_held_for_an_agent_survives_a_restore_and_stays_that_agents() -> None:
    book = LeadBook()
    book.add(Lead("ny", "+12125550100"))
    book.add(Lead("la", "+13105550100"))
    t = datetime(2026, 3, 7, 19, 0, tzinfo=ZoneInfo("America/New_York")).timestamp()
    window = CallingWindow()
    assert book.next_dialable(t, window, set()).lead_id == "ny"  # type: ignore[union-attr]
    cb = Disposition("call back", DispositionKind.CALLBACK)
    book.record("ny", cb, t, callback_at=t + 3600, callback_agent="a")
    book.drain_changes()
    book.set_priority("la", 5)  # a lead's priority is part of what is persisted
    assert book.drain_changes() == ["la"]
    dumps = json.loads(json.dumps({i: book.dump(i) for i in ("ny", "la")}))
    fresh = LeadBook()
    fresh.restore(dumps, t)
    assert fresh.lead("la").priority == 5
    assert fresh.callback_agents(t + 3600) == ["a"]
    # Only agent "a" gets it; anyone else's pick skips it.
    assert fresh.next_dialable(t + 3600, window, set()).lead_id == "la"  # type: ignore[union-attr]
    assert fresh.next_dialable(t + 3600, window, set()) is None
    lead = fresh.next_for_agent("a", t + 3600, window, set())
    assert lead is not None and lead.lead_id == "ny"
    assert "ny" in fresh.drain_changes()  # handed out: its dialing state is persisted
