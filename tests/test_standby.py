"""A warm standby's core, kept current by the leader's batches, against a cold load of the store.

The leader is a blended center run by the simulation; its batches go to the in-memory store
(the reference: a cold load from it, restored into a fresh core, is what a restart builds) and,
through the stream's encoding, to a :class:`WarmCore`. At every batch the two agree on what is
in the core (leads, do-not-call) and on what a take-over will restore; after the take-over the
two cores agree on agents, campaigns, abandonment windows and the day's figures.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from acd.checkpoint import Collector, restore
from acd.simulate import build
from acd.standby import WarmCore
from acd.store import stream
from acd.store.batch import Batch, StoredState
from acd.store.memory import MemoryStore
from dialer.abandonment import DAY
from dialer.booksnapshot import update
from dialer.center import Center
from dialer.hours import CallingWindow
from dialer.leadbook import LeadBook
from dialer.leads import Lead
from dialer.retries import DoneReason, LeadState, state_to_dict
from tests.test_checkpoint import EXAMPLES, T0, apply, fresh_center, loaded, scenario

ALWAYS = CallingWindow("00:00", "24:00")


def book_view(core: Center) -> dict[str, Any]:
    """Every lead's state and status, per campaign, and the books' counts."""
    out: dict[str, Any] = {}
    for name, rt in core.campaigns.items():
        book = rt.leads.book  # type: ignore[attr-defined]
        leads = {x.lead_id: (book.state(x.lead_id), book.status(x.lead_id)) for x in book}
        out[name] = (leads, book.counts(T0, ALWAYS))
    return out


def dnc_view(core: Center) -> dict[str, Any]:
    return {n: core.dnc.entry(n) for n in core.dnc}


def small(state: StoredState) -> StoredState:
    """A loaded state without leads and do-not-call, contacts in a set order."""
    s = replace(state, leads={}, dnc={})
    s.contacts = sorted(s.contacts, key=lambda c: str(c["call_id"]))
    return s


def core_view(core: Center, now: float) -> dict[str, Any]:
    agents = {a.id: (a.state, a.pause_reason, dict(a.skills)) for a in core.engine.agents.values()}
    camps = {
        n: (rt.paused, rt.day_answers, rt.day_drops, [rt.ledger.counts(now, s) for s in (DAY,)])
        for n, rt in core.campaigns.items()
    }
    return {
        "agents": agents,
        "campaigns": camps,
        "report": core.engine.report(now),
        "rows": sorted(map(repr, core.engine.book.records("2000-01-01", "2100-01-01", {}))),
    }


def leader_batches(seconds: float, step: float) -> list[tuple[float, Batch]]:
    """The batches a leader writes while it runs the scenario (one per ``step``)."""
    cfg = scenario()
    core, _, driver = build(cfg, base_dir=EXAMPLES)
    assert isinstance(core, Center)
    col = Collector(core)
    out = []
    t, seq = 0.0, 0
    while t < seconds:
        t += step
        driver.run(t, drain=False)
        if t == 1200.0:
            core.dnc.add("+12125550199", "api", t)
            core.campaigns["renewals"].paused = True
        if t == 2400.0:
            core.dnc.remove("+12125550199")
            core.campaigns["renewals"].paused = False
        seq += 1
        out.append((t, col.collect(seq, t, kpis=seq % 3 == 0)))
    return out


def streamed(batch: Batch) -> Batch:
    """The batch as a standby reads it from the stream."""
    text = stream.encode(batch)
    assert text, "a test batch fits in a stream entry"
    return stream.decode(batch.seq, text)


def test_a_warm_core_equals_a_cold_load_after_every_batch_and_at_take_over() -> None:
    batches = leader_batches(7200.0, 180.0)
    store = MemoryStore()
    warm = WarmCore(fresh_center(scenario()), loaded(store), 0.0)  # the standby started first
    for t, b in batches:
        apply(store, b)
        assert warm.apply(streamed(b), t)
        cold = fresh_center(scenario())
        state = loaded(store)
        restore(cold, StoredState(leads=state.leads, dnc=state.dnc), t)
        assert book_view(warm.core) == book_view(cold), f"leads after batch {b.seq}"
        assert dnc_view(warm.core) == dnc_view(cold), f"do-not-call after batch {b.seq}"
        assert small(warm.small.stored(warm.seq)) == small(state), f"after batch {b.seq}"
    moved = [e for _, b in batches[1:] for e in b.leads.get("renewals", {}).values()]
    assert len(moved) > 20 and any(e["state"].get("dialing") for e in moved)  # leads moved
    now = batches[-1][0]
    cold = fresh_center(scenario())
    restore(cold, loaded(store), now)
    warm.take_over(now)
    assert core_view(warm.core, now) == core_view(cold, now)
    assert any(a[0].value != "logged_out" for a in core_view(cold, now)["agents"].values())


def test_a_standby_loaded_while_the_leader_wrote_catches_up_by_applying_again() -> None:
    # The load read seq 10 first, then keys already holding batches 11 to 13: those are applied
    # again from the stream, and the result is the same.
    batches = leader_batches(2400.0, 120.0)
    store = MemoryStore()
    for _, b in batches[:13]:
        apply(store, b)
    state = replace(loaded(store), last_seq=10)
    warm = WarmCore(fresh_center(scenario()), state, batches[12][0])
    assert [warm.apply(streamed(b), t) for t, b in batches[:11]] == [False] * 10 + [True]
    for t, b in batches[11:]:
        apply(store, b)
        warm.apply(streamed(b), t)
    now = batches[-1][0]
    cold = fresh_center(scenario())
    restore(cold, loaded(store), now)
    assert book_view(warm.core) == book_view(cold)
    warm.take_over(now)
    assert core_view(warm.core, now) == core_view(cold, now)


def test_a_take_over_sends_only_what_the_store_lacks() -> None:
    batches = leader_batches(1800.0, 300.0)
    store = MemoryStore()
    warm = WarmCore(fresh_center(scenario()), loaded(store), 0.0)
    for t, b in batches:
        apply(store, b)
        warm.apply(streamed(b), t)
    warm.take_over(batches[-1][0])
    first = Collector(warm.core).collect(batches[-1][1].seq + 1, batches[-1][0])
    assert not first.leads and not first.dnc and not first.abandon and not first.records


# --- the lead book updated in place against one rebuilt from the same dumps --------------------
REASONS = [DoneReason.CLOSED, DoneReason.MAX_ATTEMPTS]
states = st.builds(
    lambda nxt, attempts, done, reason, agent, dialing: (
        LeadState(
            attempts=attempts,
            next_attempt_at=None if done else nxt,
            done=done,
            done_reason=reason if done else None,
            callback=agent is not None,
            callback_agent=agent,
        ),
        dialing,
    ),
    st.sampled_from([T0 - 60.0, T0, T0 + 60.0, None]),
    st.integers(0, 3),
    st.booleans(),
    st.sampled_from(REASONS),
    st.sampled_from([None, None, None, "a1"]),
    st.booleans(),
)
changes = st.lists(st.tuples(st.integers(0, 7), states), max_size=30)


def dumps(book: LeadBook, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {i: book.dump(i) for i in ids}


@settings(max_examples=150, deadline=None)
@given(changes)
def test_a_book_updated_in_place_equals_one_restored_from_the_same_dumps(
    moves: list[tuple[int, tuple[LeadState, bool]]],
) -> None:
    leads = [Lead(f"L{i}", f"+1212555{i:04d}", priority=i % 3) for i in range(8)]
    seed = LeadBook()
    seed.extend(leads[:5], at=T0)  # L5..L7 come later, as an import
    stored = dumps(seed, [x.lead_id for x in seed])
    warm, cold = LeadBook(), LeadBook()
    warm.restore(stored, T0)
    cold.restore(stored, T0)
    for n, (k, (state, dialing)) in enumerate(moves):
        lead_id = f"L{k}"
        entry: dict[str, Any] = {"state": state_to_dict(state)}
        if dialing and state.next_attempt_at is not None:  # as dump gives it: a retry time
            entry["state"]["dialing"] = True
        if lead_id not in stored:
            entry["lead"] = seed_lead(leads[k])
        stored[lead_id] = {**stored.get(lead_id, {}), **entry}
        update(warm, {lead_id: entry}, T0 + n)
        cold = LeadBook()
        cold.restore(stored, T0 + n)  # a cold load at this point
        assert statuses(warm) == statuses(cold)
        assert warm.counts(T0, ALWAYS) == cold.counts(T0, ALWAYS)
        assert warm.drain_changes() == []  # what the store holds is no change to write
    assert picks(warm) == picks(cold)  # the heaps hand out the same leads


def seed_lead(lead: Lead) -> dict[str, Any]:
    book = LeadBook()
    book.add(lead)
    return book.dump(lead.lead_id)["lead"]  # type: ignore[no-any-return]


def statuses(book: LeadBook) -> dict[str, Any]:
    return {x.lead_id: (book.state(x.lead_id), book.status(x.lead_id)) for x in book}


def picks(book: LeadBook) -> list[tuple[float, str]]:
    """The leads due by T0 + 60 (with their times) and the agent's due callbacks, as the book
    hands them out (picking changes the book: the last check)."""
    out = []
    while (lead := book.next_dialable(T0 + 60.0, ALWAYS, frozenset())) is not None:
        out.append((book.state(lead.lead_id).next_attempt_at or 0.0, lead.lead_id))
    while (lead := book.next_for_agent("a1", T0 + 60.0, ALWAYS, frozenset())) is not None:
        out.append((-1.0, lead.lead_id))
    return sorted(out)
