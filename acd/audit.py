"""The audit log of supervisors' actions: who did what to whom, and when.

Every supervisor action through the API (forced states, skills, monitors, hang-ups and transfers
of others' calls, campaign pause and resume, lead and DNC edits, reloads) appends one entry::

    {"id": "...", "at": "2026-12-02T09:15:02.123Z", "who": "sup", "role": "supervisor",
     "action": "agent.force_state", "target": "alice", "details": {"state": "paused", ...}}

The daemon records entries (``acd/daemon/api/middleware.py``, after the handler succeeded); this
module keeps the latest ones in memory (bounded) and hands the new ones to the persister, which
writes them with the call records (``Batch.audit``). Plain data, no I/O, no clock: the caller
gives the time.

Export (``acd-dialer audit export``): JSON (a list of entries as stored) or CSV with the columns
of :data:`FIELDS`, ``details`` as compact JSON, and text cells a spreadsheet would run as a
formula prefixed with ``'`` exactly as the CDR export does.
"""

from __future__ import annotations

import csv
import json
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from acd.store.batch import Batch
from acd.store.cdr import audit_time, csv_cell, iso

FIELDS = ("at", "who", "role", "action", "target", "details")
KEEP = 10_000  # entries kept in memory


class AuditLog:
    """The latest ``keep`` entries, and those not yet handed to the persister."""

    def __init__(self, keep: int = KEEP, prefix: str = "a") -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=keep)
        self.unsaved: list[dict[str, Any]] = []
        self.prefix = prefix  # ids unique to this process (the daemon gives its call prefix)
        self._n = 0

    def record(
        self,
        now: float,
        *,
        who: str,
        role: str,
        action: str,
        target: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        self._n += 1
        entry = {
            "id": f"{self.prefix}-{self._n}",
            "at": iso(now),
            "who": who,
            "role": role,
            "action": action,
            "target": target,
            "details": json.loads(json.dumps(dict(details or {}), default=str)),
        }
        self.entries.append(entry)
        self.unsaved.append(entry)
        return entry

    def drain(self) -> list[dict[str, Any]]:
        out, self.unsaved = self.unsaved, []
        return out

    def between(self, start: float, end: float) -> list[dict[str, Any]]:
        return [e for e in self.entries if start <= audit_time(e) < end]


def merged(*sources: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries from several places (the store, memory), each once, in time order."""
    by_id = {str(e.get("id")): e for src in sources for e in src}
    return sorted(by_id.values(), key=lambda e: (audit_time(e), str(e.get("id"))))


class WithAudit:
    """A persister's collector that adds the audit entries recorded since its last batch."""

    def __init__(self, inner: Any, log: AuditLog) -> None:
        self.inner = inner
        self.log = log

    def collect(self, seq: int, now: float, *, kpis: bool) -> Batch:
        batch: Batch = self.inner.collect(seq, now, kpis=kpis)
        batch.audit = self.log.drain()
        return batch


def write_csv(entries: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(FIELDS)
    n = 0
    for e in entries:
        w.writerow([csv_cell(e.get(k)) for k in FIELDS])
        n += 1
    return n


def write_json(entries: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    rows = list(entries)
    json.dump(rows, out, indent=1, allow_nan=False)
    out.write("\n")
    return len(rows)
