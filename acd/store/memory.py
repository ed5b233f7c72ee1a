"""The in-memory store: the default for the demo and simulations, and the model the Redis store is
tested against. Same semantics as :class:`acd.store.redis.RedisStore`; nothing survives the
process."""

from __future__ import annotations

import bisect
import heapq
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from acd.errors import StaleLeader
from acd.store.base import ABANDON_KEEP_SECONDS, due_at, row_field
from acd.store.batch import Batch, Bucket, StoredState
from acd.store.cdr import audit_time, record_time


class MemoryStore:
    def __init__(self, *, max_records: int | None = None) -> None:
        """``max_records``: keep only the latest so many call records (a long-running demo)."""
        self.max_records = max_records
        self.last_seq = 0
        self.fence: int | None = None  # the current fencing token (set by new_token)
        self._leads: dict[str, dict[str, dict[str, Any]]] = {}
        self._due: dict[str, dict[str, float]] = {}
        self._heaps: dict[str, list[tuple[float, str]]] = {}
        self._dnc: dict[str, dict[str, Any]] = {}
        self._sessions: dict[str, dict[str, Any]] = {}
        self._contacts: dict[str, dict[str, Any]] = {}  # first contacts by call id (FCR)
        self._callbacks: dict[str, dict[str, Any]] = {}  # pending callbacks by call id
        self._calls: dict[str, dict[str, Any]] = {}  # calls in progress by call id
        self._abandon: dict[str, dict[float, tuple[int, int]]] = {}
        self._kpis: dict[str, dict[str, Any]] = {}
        self._campaigns: dict[str, dict[str, Any]] = {}
        self._intervals: dict[str, dict[str, dict[str, Any]]] = {}  # date -> field -> row
        self._records: list[tuple[float, int, dict[str, Any]]] = []
        self._audit: list[tuple[float, int, dict[str, Any]]] = []
        self._n = 0
        self._maps: dict[str, dict[str, dict[str, Any]]] = {}

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ping(self) -> None:
        return None

    def new_token(self) -> int:
        """Take over leadership: a new fencing token, higher than every earlier one."""
        self.fence = (self.fence or 0) + 1
        return self.fence

    async def apply(self, batch: Batch, token: int | None = None) -> bool:
        if token is not None and token != self.fence:
            raise StaleLeader(token, self.fence)
        if batch.seq <= self.last_seq:
            return False
        # A JSON round trip: the store keeps its own copy and holds only JSON-able data.
        b = Batch.from_json(json.loads(json.dumps(batch.to_json(), allow_nan=False)))
        self.last_seq = b.seq
        for rec in b.records:
            self._n += 1
            bisect.insort(self._records, (record_time(rec), self._n, rec))
        if self.max_records is not None and len(self._records) > self.max_records:
            del self._records[: len(self._records) - self.max_records]
        for entry in b.audit:
            self._n += 1
            bisect.insort(self._audit, (audit_time(entry), self._n, entry))
        if self.max_records is not None and len(self._audit) > self.max_records:
            del self._audit[: len(self._audit) - self.max_records]
        for camp, leads in b.leads.items():
            book = self._leads.setdefault(camp, {})
            due = self._due.setdefault(camp, {})
            heap = self._heaps.setdefault(camp, [])
            for lead_id, entry in leads.items():
                stored = book.setdefault(lead_id, {})
                if "lead" in entry:
                    stored["lead"] = entry["lead"]
                if "state" in entry:
                    stored["state"] = entry["state"]
                    t = due_at(entry)
                    if t is None:
                        due.pop(lead_id, None)
                    else:
                        due[lead_id] = t
                        heapq.heappush(heap, (t, lead_id))
        for number, dnc in b.dnc.items():
            if dnc is None:
                self._dnc.pop(number, None)
            else:
                self._dnc[number] = dnc
        for agent, session in b.sessions.items():
            if session is None:
                self._sessions.pop(agent, None)
            else:
                self._sessions[agent] = session
        for call_id, contact in b.contacts.items():
            if contact is None:
                self._contacts.pop(call_id, None)
            else:
                self._contacts[call_id] = contact
        for call_id, callback in b.callbacks.items():
            if callback is None:
                self._callbacks.pop(call_id, None)
            else:
                self._callbacks[call_id] = callback
        for call_id, live in b.calls.items():
            if live is None:
                self._calls.pop(call_id, None)
            else:
                self._calls[call_id] = live
        for camp, buckets in b.abandon.items():
            stored_b = self._abandon.setdefault(camp, {})
            for start, answered, abandoned in buckets:
                stored_b[start] = (answered, abandoned)
            if buckets:
                cutoff = max(s for s, _, _ in buckets) - ABANDON_KEEP_SECONDS
                for start in [s for s in stored_b if s < cutoff]:
                    del stored_b[start]
        if b.kpis is not None:
            self._kpis[str(b.kpis["day"])] = b.kpis
        self._campaigns.update(b.campaigns)
        for row in b.intervals:
            self._intervals.setdefault(str(row["date"]), {})[row_field(row)] = row
        if b.intervals_from is not None:
            for day in [d for d in self._intervals if d < b.intervals_from]:
                del self._intervals[day]
        return True

    async def apply_many(self, batches: Iterable[Batch], token: int | None = None) -> int:
        n = 0
        for b in batches:
            n += await self.apply(b, token)
        return n

    async def load(self) -> StoredState:
        copy: Any = json.loads(
            json.dumps(
                [
                    self._leads,
                    self._dnc,
                    self._sessions,
                    self._campaigns,
                    self._latest_kpis(),
                    self._latest_rows(),
                    list(self._contacts.values()),
                    list(self._callbacks.values()),
                    self._calls,
                ]
            )
        )
        abandon: dict[str, list[Bucket]] = {
            c: [(s, a, b) for s, (a, b) in sorted(bs.items())] for c, bs in self._abandon.items()
        }
        return StoredState(
            last_seq=self.last_seq,
            leads=copy[0],
            dnc=copy[1],
            sessions=copy[2],
            abandon=abandon,
            kpis=copy[4],
            campaigns=copy[3],
            intervals=copy[5],
            contacts=copy[6],
            contact_rows=self._contact_rows(copy[6], copy[5]),
            callbacks=copy[7],
            calls=copy[8],
        )

    def _contact_rows(
        self, contacts: list[dict[str, Any]], latest: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        days = {str(c["date"]) for c in contacts} - {r["date"] for r in latest[:1]}
        return json.loads(
            json.dumps([r for d in sorted(days) for r in _ordered(self._intervals.get(d, {}))])
        )

    def _latest_kpis(self) -> dict[str, Any] | None:
        return self._kpis[max(self._kpis)] if self._kpis else None

    def _latest_rows(self) -> list[dict[str, Any]]:
        return _ordered(self._intervals[max(self._intervals)]) if self._intervals else []

    async def load_intervals(
        self, first: str, last: str, *, group: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for day in sorted(d for d in self._intervals if first <= d <= last):
            out += [
                r
                for r in _ordered(self._intervals[day])
                if (group is None or r["group"] == group) and (name is None or r["name"] == name)
            ]
        copied: list[dict[str, Any]] = json.loads(json.dumps(out))
        return copied

    async def next_lead(self, campaign: str, now: float) -> str | None:
        heap = self._heaps.get(campaign)
        due = self._due.get(campaign, {})
        while heap:
            t, lead_id = heap[0]
            if due.get(lead_id) != t:
                heapq.heappop(heap)  # superseded or removed: deleted lazily
                continue
            return lead_id if t <= now else None
        return None

    async def records(self, start: float, end: float) -> AsyncIterator[dict[str, Any]]:
        i = bisect.bisect_left(self._records, (start, -1))
        while i < len(self._records) and self._records[i][0] < end:
            yield json.loads(json.dumps(self._records[i][2]))
            i += 1

    async def audit(self, start: float, end: float) -> AsyncIterator[dict[str, Any]]:
        i = bisect.bisect_left(self._audit, (start, -1))
        while i < len(self._audit) and self._audit[i][0] < end:
            yield json.loads(json.dumps(self._audit[i][2]))
            i += 1

    async def trim_records(self, before: float) -> int:
        i = bisect.bisect_left(self._records, (before, -1))
        del self._records[:i]
        return i


def _ordered(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A date's rows by group, name and start."""
    return sorted(rows.values(), key=lambda r: (r["group"], r["name"], float(r["start"])))

    async def load_map(self, name: str) -> dict[str, Any]:
        return dict(self._maps.get(name, {}))

    async def put_in_map(self, name: str, key: str, value: dict[str, Any] | None) -> None:
        m = self._maps.setdefault(name, {})
        if value is None:
            m.pop(key, None)
        else:
            m[key] = dict(value)
