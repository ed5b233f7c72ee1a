"""Audit entries go to the store with the call records, in both stores, and come back by time."""

from __future__ import annotations

from acd.audit import AuditLog, WithAudit
from acd.store.batch import Batch
from acd.store.memory import MemoryStore
from acd.store.redis import RedisStore

T0 = 1_793_000_000.0  # 2026-10-26


async def test_audit_entries_round_trip_by_time(store: MemoryStore | RedisStore) -> None:
    log = AuditLog(prefix="n1")
    late = log.record(T0 + 60, who="sup", role="supervisor", action="campaign.pause", target="c")
    early = log.record(
        T0 + 1.5,
        who="sup",
        role="supervisor",
        action="agent.force_state",
        target="alice",
        details={"state": "paused", "reason": "=cmd"},
    )
    twin = log.record(T0 + 60, who="sup", role="supervisor", action="campaign.pause", target="c")
    assert late["at"] == "2026-10-26T07:34:20.000Z"
    batch = Batch(seq=1, audit=log.drain())
    assert log.drain() == [] and not batch.empty()
    assert await store.apply(batch)
    assert not await store.apply(batch)  # a replay of the same seq adds nothing
    got = [e async for e in store.audit(0.0, float("inf"))]
    assert got == [early, late, twin]
    assert [e["id"] async for e in store.audit(T0, T0 + 60)] == [early["id"]]
    assert [e async for e in store.audit(T0 + 61, T0 + 99)] == []
    back = Batch.from_json(batch.to_json())
    assert back.audit == batch.audit


def test_the_collector_wrapper_adds_what_was_recorded_since_the_last_batch() -> None:
    class Inner:
        def collect(self, seq: int, now: float, *, kpis: bool) -> Batch:
            return Batch(seq)

    log = AuditLog()
    collector = WithAudit(Inner(), log)
    assert collector.collect(1, T0, kpis=False).empty()
    entry = log.record(T0, who="root", role="admin", action="admin.reload")
    assert collector.collect(2, T0, kpis=False).audit == [entry]
    assert collector.collect(3, T0, kpis=False).audit == []
    assert list(log.entries) == [entry]  # memory keeps it for GET /v1/audit


def test_memory_is_bounded() -> None:
    log = AuditLog(keep=3)
    for i in range(5):
        log.record(T0 + i, who="sup", role="supervisor", action="dnc.add", target=str(i))
    assert [e["target"] for e in log.entries] == ["2", "3", "4"]
    assert [e["target"] for e in log.between(T0 + 3, T0 + 4)] == ["3"]
