"""First-contact resolution: which answered inbound contacts settled the caller's matter.

A *first contact* is an answered inbound call from a caller (their account id when the IVR set
``ACD_ACCOUNT``, else their number) who made no first contact in the ``fcr.window_hours`` before.
It *fails* when the agent codes it with an unresolved code, or when the same caller calls again
(answered or not, on any queue) within the window of its arrival. FCR = (first contacts -
failed) / first contacts, counted in the rows (queue and agent, day and interval) of the first
contact's entry, so a repeat the next day changes yesterday's figures: a row's FCR is provisional
until its window has closed. Anonymous callers are left out.

Callers are kept only as keyed hashes (BLAKE2b), and only for the window: memory is bounded by
the contacts of one window, O(1) per event (entries leave in arrival order).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

# A first contact's rows: (day, interval) of its queue and of the agent who answered.
Rows = tuple[Any, ...]
Where = tuple[str, str, float, str]  # queue, agent, interval start, business date


def caller_key(caller: str, attributes: Mapping[str, str]) -> str | None:
    """Who called, as a short hash: the IVR's account id, or the number; None if anonymous."""
    account = attributes.get("account")
    raw = f"a:{account}" if account else (f"n:{caller}" if caller else "")
    if not raw:
        return None
    return hashlib.blake2b(raw.encode(), digest_size=10, person=b"acd-fcr").hexdigest()


class FirstContact:
    __slots__ = (
        "agent",
        "at",
        "call_id",
        "date",
        "key",
        "queue",
        "repeated",
        "rows",
        "start",
        "unresolved",
    )

    def __init__(self, key: str, call_id: str, at: float, rows: Rows, where: Where) -> None:
        self.key, self.call_id, self.at, self.rows = key, call_id, at, rows
        # Where its rows are: queue, agent, interval start (engine time) and business date.
        self.queue, self.agent, self.start, self.date = where
        self.unresolved = False  # coded with an unresolved code
        self.repeated = False  # the caller came back within the window

    @property
    def failed(self) -> bool:
        return self.unresolved or self.repeated


class ContactIndex:
    """Recent first contacts by caller, and by call (for the agent's code)."""

    __slots__ = ("by_call", "by_key", "changed", "dirty", "order", "window")

    def __init__(self, window_seconds: float, dirty: set[Any]) -> None:
        self.window = window_seconds
        self.by_key: dict[str, FirstContact] = {}
        self.by_call: dict[str, FirstContact] = {}
        self.order: deque[FirstContact] = deque()  # by arrival: the oldest leave first
        self.dirty = dirty  # the interval book's: rows changed from outside the open ones
        self.changed: dict[str, FirstContact | None] = {}  # for the store: call id -> new state

    def arrived(self, key: str, now: float) -> bool:
        """A call from ``key`` at ``now``: True if it repeats a first contact of the window
        (which then fails); the call is then not a first contact itself."""
        self._prune(now)
        fc = self.by_key.get(key)
        if fc is None or now - fc.at > self.window:
            return False
        if not fc.repeated:
            was = fc.failed
            fc.repeated = True
            self._settle(fc, was)
        return True

    def answered(self, key: str, call_id: str, at: float, rows: Rows, where: Where) -> None:
        """A first contact (arrived at ``at``) was answered: count it in ``rows``."""
        fc = FirstContact(key, call_id, at, rows, where)
        self.by_key[key] = fc
        self.by_call[call_id] = fc
        self.order.append(fc)
        self.changed[call_id] = fc
        for r in rows:
            r.first_contacts += 1

    def coded(self, call_id: str, unresolved: bool) -> None:
        """The agent coded the call (again): resolved or not."""
        fc = self.by_call.get(call_id)
        if fc is None or fc.unresolved == unresolved:
            return
        was = fc.failed
        fc.unresolved = unresolved
        self._settle(fc, was)

    def queue_of(self, call_id: str) -> str | None:
        fc = self.by_call.get(call_id)
        return None if fc is None else fc.queue

    def _settle(self, fc: FirstContact, was_failed: bool) -> None:
        step = int(fc.failed) - int(was_failed)
        if not step:
            return
        self.changed[fc.call_id] = fc
        for r in fc.rows:
            r.fcr_failed += step
            if r.key is not None:  # an interval row: the store is told
                self.dirty.add(r)

    def _prune(self, now: float) -> None:
        order = self.order
        while order and now - order[0].at > self.window:
            fc = order.popleft()
            if self.by_key.get(fc.key) is fc:
                del self.by_key[fc.key]
            self.by_call.pop(fc.call_id, None)
            self.changed[fc.call_id] = None

    def drain_changes(self) -> dict[str, dict[str, Any] | None]:
        """What changed since the last drain, for the store: call id -> entry (None: gone)."""
        out = {cid: None if fc is None else entry(fc) for cid, fc in self.changed.items()}
        self.changed.clear()
        return out

    def restore(
        self, entries: Iterable[Mapping[str, Any]], rows_of: Callable[[FirstContact], Rows]
    ) -> int:
        """Entries saved by :func:`entry`, in any order; ``rows_of`` finds each one's rows."""
        n = 0
        for e in sorted(entries, key=lambda e: float(e["at"])):
            where = (str(e["queue"]), str(e["agent"]), float(e["start"]), str(e["date"]))
            fc = FirstContact(str(e["key"]), str(e["call_id"]), float(e["at"]), (), where)
            fc.repeated, fc.unresolved = bool(e.get("repeated")), bool(e.get("unresolved"))
            fc.rows = rows_of(fc)
            self.by_key[fc.key] = fc
            self.by_call[fc.call_id] = fc
            self.order.append(fc)
            n += 1
        return n


def entry(fc: FirstContact) -> dict[str, Any]:
    """A first contact as stored (its rows by where they are)."""
    return {
        "key": fc.key,
        "call_id": fc.call_id,
        "at": fc.at,
        "queue": fc.queue,
        "agent": fc.agent,
        "start": fc.start,
        "date": fc.date,
        "repeated": fc.repeated,
        "unresolved": fc.unresolved,
    }
