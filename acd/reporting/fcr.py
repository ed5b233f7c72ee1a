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
from collections.abc import Iterable, Mapping
from typing import Any

# A first contact's rows: (day, interval) of its queue and of the agent who answered.
Rows = tuple[Any, ...]


def caller_key(caller: str, attributes: Mapping[str, str]) -> str | None:
    """Who called, as a short hash: the IVR's account id, or the number; None if anonymous."""
    account = attributes.get("account")
    raw = f"a:{account}" if account else (f"n:{caller}" if caller else "")
    if not raw:
        return None
    return hashlib.blake2b(raw.encode(), digest_size=10, person=b"acd-fcr").hexdigest()


class FirstContact:
    __slots__ = ("at", "call_id", "key", "queue", "repeated", "rows", "unresolved")

    def __init__(self, key: str, call_id: str, queue: str, at: float, rows: Rows) -> None:
        self.key, self.call_id, self.queue, self.at, self.rows = key, call_id, queue, at, rows
        self.unresolved = False  # coded with an unresolved code
        self.repeated = False  # the caller came back within the window

    @property
    def failed(self) -> bool:
        return self.unresolved or self.repeated


class ContactIndex:
    """Recent first contacts by caller, and by call (for the agent's code)."""

    __slots__ = ("by_call", "by_key", "dirty", "order", "window")

    def __init__(self, window_seconds: float, dirty: set[Any]) -> None:
        self.window = window_seconds
        self.by_key: dict[str, FirstContact] = {}
        self.by_call: dict[str, FirstContact] = {}
        self.order: deque[FirstContact] = deque()  # by arrival: the oldest leave first
        self.dirty = dirty  # the interval book's: rows changed from outside the open ones

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

    def answered(self, key: str, call_id: str, queue: str, at: float, rows: Rows) -> None:
        """A first contact (arrived at ``at``) was answered: count it in ``rows``."""
        fc = FirstContact(key, call_id, queue, at, rows)
        self.by_key[key] = fc
        self.by_call[call_id] = fc
        self.order.append(fc)
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

    def dump(self) -> list[dict[str, Any]]:
        """The index as data, oldest first (for a checkpoint; rows by their keys)."""
        return [
            {
                "key": fc.key,
                "call_id": fc.call_id,
                "queue": fc.queue,
                "at": fc.at,
                "repeated": fc.repeated,
                "unresolved": fc.unresolved,
            }
            for fc in self.order
        ]

    def restore(self, entries: Iterable[Mapping[str, Any]], rows_of: Any) -> int:
        """Entries saved by :meth:`dump`; ``rows_of(entry)`` finds each one's rows."""
        n = 0
        for e in entries:
            fc = FirstContact(
                str(e["key"]), str(e["call_id"]), str(e["queue"]), float(e["at"]), rows_of(e)
            )
            fc.repeated, fc.unresolved = bool(e.get("repeated")), bool(e.get("unresolved"))
            self.by_key[fc.key] = fc
            self.by_call[fc.call_id] = fc
            self.order.append(fc)
            n += 1
        return n
