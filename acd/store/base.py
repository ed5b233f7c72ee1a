"""The store interface. Two implementations: :mod:`acd.store.memory` and :mod:`acd.store.redis`.

Semantics every store keeps (the shared tests in tests/store check both):

* ``apply(batch, token)`` is atomic: all of the batch or none of it.
* If ``token`` is given and is not the current fencing token (see :mod:`acd.store.lease`), it
  raises :class:`~acd.errors.StaleLeader` and writes nothing.
* A batch whose ``seq`` is not above the last applied one is skipped silently (exactly once).
* Leads: a lead entry without ``"lead"`` updates only the state; a lead is *due* at
  ``state.next_attempt_at`` unless that is None or ``state.done``; ``next_lead`` returns the due
  lead with the smallest time (ties: the smaller id) from an index, never a scan.
* Interval rows are kept per business date (``row["date"]``), one per (group, name, start):
  a row in a batch replaces the stored one. A batch's ``intervals_from`` drops the dates before
  it. ``load`` returns the rows of the latest date; ``load_intervals`` those of a date range.
* Call records are filed by :func:`acd.store.cdr.record_time` (``ended``); ``records`` yields
  those in ``[start, end)`` ordered by that time, then by arrival at the store.
* Audit entries are filed by their ``at`` (:func:`acd.store.cdr.audit_time`); ``audit`` yields
  those in ``[start, end)`` in that order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any, Protocol

from acd.store.batch import Batch, StoredState

ABANDON_KEEP_SECONDS = 30 * 86400.0  # abandonment buckets older than the newest by this go


def row_field(row: dict[str, Any]) -> str:
    """An interval row's key within its date: ``group|name|start`` (start: Unix seconds)."""
    return f"{row['group']}|{row['name']}|{float(row['start'])!r}"


def due_at(entry: dict[str, Any]) -> float | None:
    """When a lead entry (``{"lead": ..., "state": ...}``) is next due, or None if it is not."""
    state = entry.get("state") or {}
    t = state.get("next_attempt_at")
    if t is None or state.get("done"):
        return None
    return float(t)


class Store(Protocol):
    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers (a health check)."""
        ...

    async def apply(self, batch: Batch, token: int | None = None) -> bool:
        """Apply one batch; False if it was skipped (seq already applied)."""
        ...

    async def apply_many(self, batches: Iterable[Batch], token: int | None = None) -> int:
        """Apply batches in order (one round trip where the store can); returns how many applied."""
        ...

    async def load(self) -> StoredState: ...

    async def load_intervals(
        self, first: str, last: str, *, group: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        """The interval rows of business dates ``first`` to ``last`` (YYYY-MM-DD, included),
        of ``group`` and ``name`` if given, ordered by date, then group, name and start."""
        ...

    async def next_lead(self, campaign: str, now: float) -> str | None: ...

    def records(self, start: float, end: float) -> AsyncIterator[dict[str, Any]]: ...

    def audit(self, start: float, end: float) -> AsyncIterator[dict[str, Any]]:
        """The audit entries (acd/audit.py) whose ``at`` is in ``[start, end)``, in time order."""
        ...

    async def trim_records(self, before: float) -> int: ...

    async def load_map(self, name: str) -> dict[str, Any]:
        """A small map kept beside the core's state (sign-in sessions, people): key -> JSON."""
        ...

    async def put_in_map(self, name: str, key: str, value: dict[str, Any] | None) -> None:
        """Set one key of a map (None deletes it); not fenced: any node may sign people in."""
        ...
