"""First-contact resolution: which answered inbound contacts settled the caller's matter.

A *first contact* is an answered inbound call from a caller (their account id when the IVR set
``ACD_ACCOUNT``, else their number) who made no first contact in the ``fcr.window_hours`` before.
It *fails* when the agent codes it with an unresolved code, or when the same caller calls again
(answered or not, on any queue) within the window of its arrival. FCR = (first contacts -
failed) / first contacts, counted in the rows (queue and agent, day and interval) of the first
contact's entry, so a repeat the next day changes yesterday's figures: a row's FCR is provisional
until its window has closed. Anonymous callers are left out.

Callers are kept only as keyed hashes (BLAKE2b), and only for the window: memory is bounded by
the contacts of one window, O(1) per event (entries leave in arrival order). An entry names its
rows by where they are (queue, agent, interval, date) rather than holding them: entries are
tuples of plain values, which the garbage collector stops scanning.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

Rows = tuple[Any, ...]  # a first contact's rows: its queue's and agent's, day and interval
UNRESOLVED, REPEATED = 1, 2  # why a first contact failed (bits)


def caller_key(caller: str, attributes: Mapping[str, str]) -> str | None:
    """Who called, as a short hash: the IVR's account id, or the number; None if anonymous."""
    account = attributes.get("account")
    raw = f"a:{account}" if account else (f"n:{caller}" if caller else "")
    if not raw:
        return None
    return hashlib.blake2b(raw.encode(), digest_size=10, person=b"acd-fcr").hexdigest()


class FirstContact(NamedTuple):
    key: str
    call_id: str
    at: float  # its arrival
    queue: str  # where its rows are: the queue, the agent who answered,
    agent: str
    start: float  # the interval it entered (engine time)
    date: str  # and its business date


class ContactIndex:
    """Recent first contacts by caller, and by call (for the agent's code)."""

    __slots__ = ("by_call", "by_key", "changed", "dirty", "failed", "order", "rows_of", "window")

    def __init__(
        self, window_seconds: float, dirty: set[Any], rows_of: Callable[[FirstContact], Rows]
    ) -> None:
        self.window = window_seconds
        self.by_key: dict[str, FirstContact] = {}
        self.by_call: dict[str, FirstContact] = {}
        self.failed: dict[str, int] = {}  # call id -> UNRESOLVED | REPEATED, for failed ones
        self.order: deque[FirstContact] = deque()  # by arrival: the oldest leave first
        self.dirty = dirty  # the interval book's: rows changed from outside the open ones
        self.rows_of = rows_of  # the rows a first contact counts in, found where they are
        self.changed: dict[str, FirstContact | None] = {}  # for the store: call id -> new state

    def arrived(self, key: str, now: float) -> bool:
        """A call from ``key`` at ``now``: True if it repeats a first contact of the window
        (which then fails); the call is then not a first contact itself."""
        self._prune(now)
        fc = self.by_key.get(key)
        if fc is None or now - fc.at > self.window:
            return False
        self._flag(fc, REPEATED, True)
        return True

    def answered(self, fc: FirstContact, rows: Rows) -> None:
        """A first contact was answered: count it in ``rows`` (its rows, found by the caller)."""
        self.by_key[fc.key] = fc
        self.by_call[fc.call_id] = fc
        self.order.append(fc)
        self.changed[fc.call_id] = fc
        for r in rows:
            r.first_contacts += 1

    def coded(self, call_id: str, unresolved: bool) -> None:
        """The agent coded the call (again): resolved or not."""
        fc = self.by_call.get(call_id)
        if fc is not None:
            self._flag(fc, UNRESOLVED, unresolved)

    def _flag(self, fc: FirstContact, bit: int, on: bool) -> None:
        was = self.failed.get(fc.call_id, 0)
        now = was | bit if on else was & ~bit
        if now == was:
            return
        if now:
            self.failed[fc.call_id] = now
        else:
            del self.failed[fc.call_id]
        self.changed[fc.call_id] = fc
        step = bool(now) - bool(was)
        if not step:
            return
        for r in self.rows_of(fc):
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
            self.failed.pop(fc.call_id, None)
            self.changed[fc.call_id] = None

    def drain_changes(self) -> dict[str, dict[str, Any] | None]:
        """What changed since the last drain, for the store: call id -> entry (None: gone)."""
        out = {cid: None if fc is None else self.entry(fc) for cid, fc in self.changed.items()}
        self.changed.clear()
        return out

    def entry(self, fc: FirstContact) -> dict[str, Any]:
        """A first contact as stored."""
        bits = self.failed.get(fc.call_id, 0)
        return fc._asdict() | {
            "repeated": bool(bits & REPEATED),
            "unresolved": bool(bits & UNRESOLVED),
        }

    def restore(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Entries saved by :meth:`entry`, in any order (their rows are counted already)."""
        n = 0
        for e in sorted(entries, key=lambda e: float(e["at"])):
            fc = FirstContact(
                str(e["key"]),
                str(e["call_id"]),
                float(e["at"]),
                str(e["queue"]),
                str(e["agent"]),
                float(e["start"]),
                str(e["date"]),
            )
            bits = (UNRESOLVED if e.get("unresolved") else 0) | (
                REPEATED if e.get("repeated") else 0
            )
            if bits:
                self.failed[fc.call_id] = bits
            self.by_key[fc.key] = fc
            self.by_call[fc.call_id] = fc
            self.order.append(fc)
            n += 1
        return n
