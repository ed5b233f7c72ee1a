"""A warm standby: a core built once from the store and kept current by the leader's batches.

:class:`WarmCore` takes a freshly built core and what a store held (a cold load), and then the
batches the leader writes, in order (:meth:`WarmCore.apply`). What is large goes into the core
as it comes: each campaign's lead book (:func:`dialer.booksnapshot.update`, O(leads changed))
and the do-not-call list. What is small and must be replayed into a core that has not run
(agent sessions, today's interval rows and figures, abandonment buckets, campaign flags, first
contacts) is kept as data with the store's own rules, and :meth:`WarmCore.take_over` restores
it (:func:`acd.checkpoint.restore`) when the node becomes the leader: O(agents + today's rows),
not O(leads). The result is the core a cold :func:`~acd.checkpoint.restore` of the store at that
moment builds. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from acd.checkpoint import _books, _dnc, restore
from acd.core import Core
from acd.store.base import ABANDON_KEEP_SECONDS, row_field
from acd.store.batch import Batch, Bucket, StoredState
from dialer.booksnapshot import update


def _ordered(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows.values(), key=lambda r: (r["group"], r["name"], float(r["start"])))


@dataclass(slots=True)
class SmallState:
    """The store's small parts, kept as a store keeps them (acd/store/base.py)."""

    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    abandon: dict[str, dict[float, Bucket]] = field(default_factory=dict)
    kpis: dict[str, Any] | None = None  # the latest day's
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # date -> field
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    callbacks: dict[str, dict[str, Any]] = field(default_factory=dict)  # pending, by call
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)  # in progress, by call

    @classmethod
    def of(cls, state: StoredState) -> SmallState:
        rows: dict[str, dict[str, dict[str, Any]]] = {}
        for r in state.intervals + state.contact_rows:
            rows.setdefault(str(r["date"]), {})[row_field(r)] = r
        return cls(
            sessions=dict(state.sessions),
            abandon={c: {float(b[0]): b for b in bs} for c, bs in state.abandon.items()},
            kpis=state.kpis,
            campaigns=dict(state.campaigns),
            rows=rows,
            contacts={str(c["call_id"]): c for c in state.contacts},
            callbacks={str(c["id"]): c for c in state.callbacks},
            calls=dict(state.calls),
        )

    def apply(self, b: Batch) -> None:
        for agent, s in b.sessions.items():
            if s is None:
                self.sessions.pop(agent, None)
            else:
                self.sessions[agent] = s
        for mine, theirs in (
            (self.contacts, b.contacts),
            (self.callbacks, b.callbacks),
            (self.calls, b.calls),
        ):
            for call_id, c in theirs.items():
                if c is None:
                    mine.pop(call_id, None)
                else:
                    mine[call_id] = c
        for camp, buckets in b.abandon.items():
            kept = self.abandon.setdefault(camp, {})
            for s, answered, abandoned in buckets:
                kept[float(s)] = (float(s), int(answered), int(abandoned))
            if buckets:
                cutoff = max(s for s, _, _ in buckets) - ABANDON_KEEP_SECONDS
                for s in [s for s in kept if s < cutoff]:
                    del kept[s]
        if b.kpis is not None and (self.kpis is None or b.kpis["day"] >= self.kpis["day"]):
            self.kpis = b.kpis
        self.campaigns.update(b.campaigns)
        for r in b.intervals:
            self.rows.setdefault(str(r["date"]), {})[row_field(r)] = r
        if b.intervals_from is not None:
            for day in [d for d in self.rows if d < b.intervals_from]:
                del self.rows[day]

    def stored(self, last_seq: int) -> StoredState:
        """As a store's ``load`` returns it, without leads and do-not-call numbers."""
        latest = _ordered(self.rows[max(self.rows)]) if self.rows else []
        contacts = list(self.contacts.values())
        days = {str(c["date"]) for c in contacts} - {r["date"] for r in latest[:1]}
        return StoredState(
            last_seq=last_seq,
            sessions=dict(self.sessions),
            abandon={c: [bs[s] for s in sorted(bs)] for c, bs in self.abandon.items()},
            kpis=self.kpis,
            campaigns=dict(self.campaigns),
            intervals=latest,
            contacts=contacts,
            contact_rows=[r for d in sorted(days) for r in _ordered(self.rows.get(d, {}))],
            callbacks=list(self.callbacks.values()),
            calls=dict(self.calls),
        )


class WarmCore:
    """A core that follows the store (see the module docstring). ``now`` is the time a cold
    restore would use for leads still being dialled (when a lead has no retry time)."""

    def __init__(self, core: Core, state: StoredState, now: float) -> None:
        self.core = core
        big = StoredState(last_seq=state.last_seq, leads=state.leads, dnc=state.dnc)
        self.counts = restore(core, big, now)  # leads and do-not-call only
        self.small = SmallState.of(state)
        self.seq = state.last_seq  # the last batch applied
        self.applied = 0  # batches applied since the cold load
        self.taken = False

    def apply(self, batch: Batch, now: float) -> bool:
        """Apply the leader's next batch; False if it was applied already (by its seq)."""
        if self.taken:
            raise RuntimeError("the standby took over: its core is the leader's now")
        if batch.seq <= self.seq:
            return False
        books = _books(self.core)
        for name, entries in batch.leads.items():
            if name in books:
                book, epoch = books[name]
                update(book, entries, now + epoch)
        dnc = _dnc(self.core)
        if dnc is not None and batch.dnc:
            added = {n: e for n, e in batch.dnc.items() if e is not None}
            dnc.restore(added)
            dnc.forget(n for n, e in batch.dnc.items() if e is None)
        self.small.apply(batch)
        self.seq = batch.seq
        self.applied += 1
        return True

    def take_over(self, now: float) -> dict[str, int]:
        """Restore the small parts into the core (once): it is then the leader's core."""
        if self.taken:
            raise RuntimeError("take_over runs once")
        self.taken = True
        counts = restore(self.core, self.small.stored(self.seq), now)
        for k in ("leads", "leads_dialing", "callbacks", "leads_kept", "dnc"):
            counts[k] = self.counts[k]
        counts["skipped"] += self.counts["skipped"]
        return counts
