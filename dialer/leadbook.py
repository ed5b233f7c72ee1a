"""A campaign's leads and their states, indexed so the next dialable lead is found without a scan.

Leads are grouped by their tuple of candidate zones: every lead of a group is inside or outside
the calling window at the same moment. Each group keeps a heap of its queued leads keyed by
``(next_attempt_at, -priority, sequence)``; a top heap holds one entry per group keyed by its head
(no earlier than the time the group's window is known to open). Entries are deleted lazily: a
lead's entry is live while its sequence number is the lead's current one, a group's while its
version is the group's current one.

:meth:`LeadBook.next_dialable` takes the best group whose head is due. If the group's zones are
outside the window, the whole group is re-keyed to :func:`~dialer.hours.next_allowed` (one
computation for the group, not one per lead) and nothing is returned from it; the interval in which
a group is known to be open is cached, so a pick costs O(log groups + log leads). A lead on the
do-not-call list is closed (``do_not_call``) when it comes up and never returned. A returned lead
is "dialing" until :meth:`LeadBook.record` reports how the attempt ended.

For persistence the book records which leads changed (:meth:`LeadBook.drain_changes`, O(changes)),
dumps a lead as JSON-able data (:meth:`LeadBook.dump`) and is rebuilt from such dumps in bulk
(:meth:`LeadBook.restore`: group heaps filled and heapified once, no per-lead push).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from acd.errors import IllegalTransition, LocalError, UnknownEntity
from dialer.dnc import DoNotCallList
from dialer.hours import (
    CallingWindow,
    may_call,
    next_allowed,
    open_until,
    wall_to_timestamp,
    zones_for,
)
from dialer.leads import Lead, lead_from_dict, lead_to_dict
from dialer.retries import (
    NEW_LEAD,
    UK_NO_REDIAL_SECONDS,
    Disposition,
    DispositionKind,
    DoneReason,
    LeadState,
    Outcome,
    RetryPolicy,
    after_attempt,
    interrupted_attempt,
    redial_allowed,
    schedule_callback,
    state_from_dict,
    state_to_dict,
)

_DIALING = -1
_DONE = -2
_INF = float("inf")
# How far ahead a closed group looks for its window to open; if it does not within this many days
# (zones whose windows never overlap), the group is looked at again a week later.
_SEARCH_DAYS = 9


class DuplicateLead(LocalError):
    code = "duplicate_lead"


class AmbiguousZone(LocalError):
    """A local wall time was given for a lead whose number spans several zones."""

    code = "ambiguous_lead_zone"


@dataclass(frozen=True, slots=True)
class BookCounts:
    total: int
    dialable: int  # due now and inside the calling window
    scheduled: int  # queued for later (due later, or due but outside the window)
    dialing: int  # handed out by next_dialable, awaiting record()
    done: Mapping[str, int]  # closed leads by DoneReason


class _Group:
    __slots__ = (
        "blocked_until",
        "gid",
        "heap",
        "open_from",
        "open_until",
        "stale",
        "version",
        "zones",
    )

    def __init__(self, gid: int, zones: tuple[str, ...]) -> None:
        self.gid = gid
        self.zones = zones
        self.heap: list[tuple[float, int, int, int]] = []  # (next_attempt_at, -priority, seq, ix)
        self.stale = 0
        self.version = 0
        self.blocked_until = -_INF  # the window is known closed before this time
        self.open_from = _INF  # the window is known open in [open_from, open_until)
        self.open_until = -_INF


class LeadBook:
    """The leads of one campaign. Time is always passed in (Unix seconds, UTC)."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        fallback_zones: Iterable[str] = (),
    ) -> None:
        """``fallback_zones`` are used for numbers whose zone is unknown (default: none, so such
        leads are closed as ``unknown_time_zone``)."""
        self.policy = policy or RetryPolicy()
        self.fallback_zones = tuple(fallback_zones)
        self._leads: list[Lead] = []
        self._index: dict[str, int] = {}
        self._states: list[LeadState] = []
        self._token: list[int] = []  # seq of the lead's live heap entry, or _DIALING / _DONE
        self._group_of: list[int] = []
        self._groups: list[_Group] = []
        self._group_ix: dict[tuple[str, ...], int] = {}
        self._top: list[tuple[float, int, int, int, int]] = []  # (key, -prio, seq, gid, version)
        self._seq = 0
        self._window: CallingWindow | None = None
        self._last_now = -_INF
        self._queued = 0
        self._dialing = 0
        self._done: Counter[str] = Counter()
        self._fresh: dict[float, LeadState] = {0.0: NEW_LEAD}
        # Callbacks for a given agent wait apart from the groups, per agent: (at, seq, ix).
        self._held: dict[str, list[tuple[float, int, int]]] = {}
        self._changed: set[int] = set()  # leads whose state changed since drain_changes()
        self._dial_at: dict[int, float] = {}  # dialing leads: when next_dialable handed them out

    # --- building --------------------------------------------------------------------------
    def add(self, lead: Lead, *, at: float = 0.0) -> None:
        """Add a lead, first dialable at ``at``. Raises :class:`DuplicateLead` for a known id."""
        gid = self._admit(lead, at)
        if gid is not None:
            g = self._groups[gid]
            heapq.heappush(g.heap, g.heap.pop())  # _admit appended the entry
            if g.heap[0][3] == len(self._leads) - 1:
                self._touch(g)

    def extend(self, leads: Iterable[Lead], *, at: float = 0.0) -> int:
        """Add many leads at once (heapified in bulk); returns how many were added."""
        touched: set[int] = set()
        n = 0
        for lead in leads:
            gid = self._admit(lead, at)
            if gid is not None:
                touched.add(gid)
            n += 1
        for gid in touched:
            g = self._groups[gid]
            heapq.heapify(g.heap)
            self._touch(g)
        return n

    def _admit(self, lead: Lead, at: float) -> int | None:
        if lead.lead_id in self._index:
            raise DuplicateLead(f"lead {lead.lead_id!r} is already in the book")
        zones = zones_for(lead, fallback=self.fallback_zones)
        gid = self._group_ix.get(zones)
        if gid is None:
            gid = len(self._groups)
            self._groups.append(_Group(gid, zones))
            self._group_ix[zones] = gid
        ix = len(self._leads)
        self._leads.append(lead)
        self._index[lead.lead_id] = ix
        self._group_of.append(gid)
        self._changed.add(ix)
        if not zones:
            reason = DoneReason.UNKNOWN_TIME_ZONE
            self._states.append(
                replace(NEW_LEAD, next_attempt_at=None, done=True, done_reason=reason)
            )
            self._token.append(_DONE)
            self._close(ix, DoneReason.UNKNOWN_TIME_ZONE)
            return None
        state = self._fresh.get(at)
        if state is None:
            state = replace(NEW_LEAD, next_attempt_at=float(at))
            if len(self._fresh) < 64:
                self._fresh[at] = state
        self._states.append(state)
        self._seq += 1
        self._token.append(self._seq)
        self._groups[gid].heap.append((float(at), -lead.priority, self._seq, ix))
        self._queued += 1
        return gid

    # --- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._leads)

    def __contains__(self, lead_id: object) -> bool:
        return lead_id in self._index

    def __iter__(self) -> Iterator[Lead]:
        return iter(self._leads)

    def _ix(self, lead_id: str) -> int:
        ix = self._index.get(lead_id)
        if ix is None:
            raise UnknownEntity("lead", lead_id)
        return ix

    def lead(self, lead_id: str) -> Lead:
        return self._leads[self._ix(lead_id)]

    def state(self, lead_id: str) -> LeadState:
        return self._states[self._ix(lead_id)]

    def zones(self, lead_id: str) -> tuple[str, ...]:
        return self._groups[self._group_of[self._ix(lead_id)]].zones

    def dialing(self, lead_id: str) -> bool:
        """True between :meth:`next_dialable` handing the lead out and :meth:`record`."""
        return self._token[self._ix(lead_id)] == _DIALING

    # --- picking ------------------------------------------------------------------------------
    def next_dialable(self, now: float, window: CallingWindow, dnc: Container[str]) -> Lead | None:
        """The next lead to dial at ``now``, or None if none is due inside its window.

        ``dnc`` is checked for every lead before it is returned (a :class:`DoNotCallList` or any
        container of E.164 numbers). The lead stays "dialing" until :meth:`record`.
        """
        if (window is not self._window and window != self._window) or now < self._last_now:
            self._reset_window(window)
        self._last_now = now
        top = self._top
        tok = self._token
        groups = self._groups
        while top:
            key, _, _, gid, version = top[0]
            g = groups[gid]
            if version != g.version:
                heapq.heappop(top)
                continue
            if key > now:
                return None
            heap = g.heap
            if not heap or tok[heap[0][3]] != heap[0][2] or heap[0][0] > now:
                self._retop(g)  # the head changed since this entry was pushed
                continue
            if not g.open_from <= now < g.open_until:
                until = open_until(g.zones, now, window)
                if until is None:
                    opens = next_allowed(g.zones, now, window, horizon_days=_SEARCH_DAYS)
                    if opens is None:  # not within the search: closed for SEARCH_DAYS - 2 days
                        opens = now + (_SEARCH_DAYS - 2) * 86_400.0
                    g.blocked_until = max(opens, now + 1e-6)
                    self._retop(g)
                    continue
                g.open_from, g.open_until = now, until
            _, _, _, ix = heapq.heappop(heap)
            lead = self._leads[ix]
            state = self._states[ix]
            self._queued -= 1
            if (
                dnc.contains_e164(lead.phone)
                if isinstance(dnc, DoNotCallList)
                else lead.phone in dnc
            ):
                self._states[ix] = replace(
                    state, done=True, done_reason=DoneReason.DO_NOT_CALL, next_attempt_at=None
                )
                tok[ix] = _DONE
                self._close(ix, DoneReason.DO_NOT_CALL)
                self._changed.add(ix)
                self._retop(g)
                continue
            if not redial_allowed(
                state, now, self.policy, agent_reserved=state.callback_agent is not None
            ):  # defensive: after_attempt already schedules past the 72 h
                assert state.abandoned_at is not None
                self._queue(ix, state.abandoned_at + UK_NO_REDIAL_SECONDS, touch=False)
                self._retop(g)
                continue
            tok[ix] = _DIALING
            self._dialing += 1
            self._dial_at[ix] = now
            self._changed.add(ix)
            self._retop(g)
            return lead
        return None

    def _reset_window(self, window: CallingWindow) -> None:
        self._window = window
        top: list[tuple[float, int, int, int, int]] = []
        for g in self._groups:
            g.blocked_until, g.open_from, g.open_until = -_INF, _INF, -_INF
            g.version += 1
            self._clean_head(g)
            if g.heap:
                t, negp, seq, _ = g.heap[0]
                top.append((t, negp, seq, g.gid, g.version))
        heapq.heapify(top)
        self._top = top

    def _clean_head(self, g: _Group) -> None:
        heap, tok = g.heap, self._token
        while heap and tok[heap[0][3]] != heap[0][2]:
            heapq.heappop(heap)
            g.stale -= 1

    def _retop(self, g: _Group) -> None:
        """Replace the top heap's first entry (which is ``g``'s) by ``g``'s current key."""
        self._clean_head(g)
        g.version += 1
        if g.heap:
            t, negp, seq, _ = g.heap[0]
            heapq.heapreplace(self._top, (max(t, g.blocked_until), negp, seq, g.gid, g.version))
        else:
            heapq.heappop(self._top)

    def _touch(self, g: _Group) -> None:
        """Push ``g``'s current key (its head got earlier); older entries of ``g`` go stale."""
        self._clean_head(g)
        g.version += 1
        if g.heap:
            t, negp, seq, _ = g.heap[0]
            heapq.heappush(self._top, (max(t, g.blocked_until), negp, seq, g.gid, g.version))
        if len(self._top) > 4 * len(self._groups) + 1024:
            self._rebuild_top()

    def _rebuild_top(self) -> None:
        top = []
        for g in self._groups:
            if g.heap:
                t, negp, seq, _ = g.heap[0]
                top.append((max(t, g.blocked_until), negp, seq, g.gid, g.version))
        heapq.heapify(top)
        self._top = top

    # --- recording ----------------------------------------------------------------------------
    def record(
        self,
        lead_id: str,
        outcome: Outcome | Disposition,
        now: float,
        *,
        callback_at: float | datetime | None = None,
        callback_agent: str | None = None,
        dnc: DoNotCallList | None = None,
    ) -> LeadState:
        """Apply :func:`~dialer.retries.after_attempt` to the lead and queue or close it.

        A ``do_not_call`` disposition also adds the number to ``dnc`` (source ``agent``) when
        given. ``callback_at`` may be a Unix time or a datetime (naive: local wall time in the
        lead's zone, see :meth:`schedule_callback`).
        """
        ix = self._ix(lead_id)
        g = self._groups[self._group_of[ix]]
        at = None if callback_at is None else self._timestamp(ix, callback_at)
        new = after_attempt(
            self._states[ix],
            outcome,
            now,
            g.zones,
            self.policy,
            callback_at=at,
            callback_agent=callback_agent,
            lead_id=lead_id,
        )
        self._unqueue(ix)
        self._states[ix] = new
        if new.done:
            assert new.done_reason is not None
            self._token[ix] = _DONE
            self._close(ix, new.done_reason)
            if (
                dnc is not None
                and isinstance(outcome, Disposition)
                and outcome.kind is DispositionKind.DO_NOT_CALL
            ):
                dnc.add(self._leads[ix].phone, "agent", now)
        else:
            assert new.next_attempt_at is not None
            self._queue(ix, new.next_attempt_at)
        return new

    def schedule_callback(
        self, lead_id: str, at: float | datetime, agent_id: str | None = None
    ) -> LeadState:
        """Schedule the lead at ``at``: a Unix time, an aware datetime, or a naive datetime read as
        wall time in the lead's zone (its ``time_zone``, or its number's only zone; a DST gap
        moves to the gap's end, a repeated time is its first occurrence). Raises
        :class:`AmbiguousZone` for a naive time and a number spanning several zones.

        For a lead being dialled, record the attempt first (or pass ``callback_at`` to
        :meth:`record`): recording after this would replace the callback by the retry rules."""
        ix = self._ix(lead_id)
        new = schedule_callback(
            self._states[ix], self._timestamp(ix, at), agent_id, self.policy, lead_id=lead_id
        )
        self._unqueue(ix)
        self._states[ix] = new
        assert new.next_attempt_at is not None
        self._queue(ix, new.next_attempt_at)
        return new

    def _timestamp(self, ix: int, at: float | datetime) -> float:
        if not isinstance(at, datetime):
            return float(at)
        if at.tzinfo is not None:
            return at.timestamp()
        lead = self._leads[ix]
        zones = self._groups[self._group_of[ix]].zones
        zone = lead.time_zone or (zones[0] if len(zones) == 1 else None)
        if zone is None:
            raise AmbiguousZone(
                f"lead {lead.lead_id}: a local time needs one zone, the number has {len(zones)};"
                " give a Unix time or an aware datetime"
            )
        return wall_to_timestamp(zone, at)

    def _unqueue(self, ix: int) -> None:
        """Take the lead out of the queue or out of dialing: its state is about to change."""
        self._changed.add(ix)
        tok = self._token[ix]
        if tok == _DIALING:
            self._dialing -= 1
            self._dial_at.pop(ix, None)
        elif tok >= 0 and self._states[ix].callback_agent is not None:
            self._queued -= 1
            self._token[ix] = _DONE  # its entry in the agent's heap is stale from here on
        elif tok >= 0:
            self._queued -= 1
            g = self._groups[self._group_of[ix]]
            g.stale += 1
            self._token[ix] = _DONE  # the old entry is stale from here on
            if g.stale > 1024 and g.stale * 2 > len(g.heap):
                tokens = self._token
                g.heap = [e for e in g.heap if tokens[e[3]] == e[2]]
                heapq.heapify(g.heap)
                g.stale = 0
                self._touch(g)

    def _queue(self, ix: int, t: float, *, touch: bool = True) -> None:
        agent = self._states[ix].callback_agent
        self._seq += 1
        self._token[ix] = self._seq
        if agent is not None:  # held for that agent: next_for_agent hands it out
            heapq.heappush(self._held.setdefault(agent, []), (float(t), self._seq, ix))
            self._queued += 1
            return
        g = self._groups[self._group_of[ix]]
        entry = (float(t), -self._leads[ix].priority, self._seq, ix)
        heapq.heappush(g.heap, entry)
        self._queued += 1
        if touch and g.heap[0] is entry:
            self._touch(g)

    def _close(self, ix: int, reason: DoneReason) -> None:
        self._done[reason.value] += 1

    # --- callbacks for a given agent ------------------------------------------------------------
    def _live_held(self, agent_id: str) -> list[tuple[float, int, int]]:
        heap = self._held.get(agent_id, [])
        tok = self._token
        while heap and tok[heap[0][2]] != heap[0][1]:
            heapq.heappop(heap)
        if not heap:
            self._held.pop(agent_id, None)
        return heap

    def callback_agents(self, now: float) -> list[str]:
        """Agents with a callback for them due at ``now`` (costs O(agents with callbacks))."""
        return [a for a in list(self._held) if (h := self._live_held(a)) and h[0][0] <= now]

    def next_for_agent(
        self, agent_id: str, now: float, window: CallingWindow, dnc: Container[str]
    ) -> Lead | None:
        """The agent's earliest due callback inside its calling window, or None; like
        :meth:`next_dialable`, a lead on the do-not-call list is closed, never returned."""
        heap = self._live_held(agent_id)
        tok = self._token
        for _, seq, ix in sorted(e for e in heap if e[0] <= now):
            if tok[ix] != seq:
                continue
            lead = self._leads[ix]
            listed = (
                dnc.contains_e164(lead.phone)
                if isinstance(dnc, DoNotCallList)
                else lead.phone in dnc
            )
            if listed:
                self._states[ix] = replace(
                    self._states[ix],
                    done=True,
                    done_reason=DoneReason.DO_NOT_CALL,
                    next_attempt_at=None,
                )
                tok[ix] = _DONE
                self._queued -= 1
                self._close(ix, DoneReason.DO_NOT_CALL)
                self._changed.add(ix)
                continue
            if not may_call(self._groups[self._group_of[ix]].zones, now, window):
                continue
            tok[ix] = _DIALING
            self._queued -= 1
            self._dialing += 1
            self._dial_at[ix] = now
            self._changed.add(ix)
            return lead
        return None

    def to_anyone(self, agent_id: str, due_by: float) -> int:
        """Hand the agent's callbacks due at or before ``due_by`` to anyone (the agent did not
        come); returns how many. The UK 72 h rule then applies as to any callback."""
        n = 0
        for at, seq, ix in list(self._live_held(agent_id)):
            if at > due_by or self._token[ix] != seq:
                continue
            self._unqueue(ix)
            new = schedule_callback(self._states[ix], at, None, self.policy)
            self._states[ix] = new
            assert new.next_attempt_at is not None
            self._queue(ix, new.next_attempt_at)
            n += 1
        self._live_held(agent_id)
        return n

    def release(self, lead_id: str, at: float | None = None) -> LeadState:
        """Put back a lead handed out for dialing but not dialed (a skipped or withdrawn
        preview): no attempt is counted; it is due again at ``at`` (None: keeps its place)."""
        ix = self._ix(lead_id)
        if self._token[ix] != _DIALING:
            raise IllegalTransition("lead", lead_id, self._status(ix), "release")
        self._dialing -= 1
        self._dial_at.pop(ix, None)
        self._changed.add(ix)
        old = self._states[ix].next_attempt_at
        t = float(at) if at is not None else (old if old is not None else 0.0)
        new = replace(self._states[ix], next_attempt_at=t)
        self._states[ix] = new
        self._queue(ix, t)
        return new

    def close(self, lead_id: str) -> LeadState:
        """Close a lead by hand (done reason ``closed``); refused while it is being dialed."""
        ix = self._ix(lead_id)
        if self._token[ix] in (_DIALING, _DONE):
            raise IllegalTransition("lead", lead_id, self._status(ix), "close")
        self._unqueue(ix)
        new = replace(
            self._states[ix], done=True, done_reason=DoneReason.CLOSED, next_attempt_at=None
        )
        self._states[ix] = new
        self._token[ix] = _DONE
        self._close(ix, DoneReason.CLOSED)
        return new

    def set_priority(self, lead_id: str, priority: int) -> Lead:
        """Change a lead's priority; a queued lead takes its new place at once."""
        ix = self._ix(lead_id)
        lead = replace(self._leads[ix], priority=priority)
        self._leads[ix] = lead
        self._changed.add(ix)
        state = self._states[ix]
        if self._token[ix] >= 0 and state.callback_agent is None:
            self._unqueue(ix)
            assert state.next_attempt_at is not None
            self._queue(ix, state.next_attempt_at)
        return lead

    def _status(self, ix: int) -> str:
        tok = self._token[ix]
        if tok == _DIALING:
            return "dialing"
        if tok == _DONE:
            return "done"
        return "callback" if self._states[ix].callback else "queued"

    def status(self, lead_id: str) -> str:
        """``queued``, ``callback`` (queued for a scheduled callback), ``dialing`` or ``done``."""
        return self._status(self._ix(lead_id))

    def page(
        self, status: str | None, start: int, limit: int
    ) -> tuple[list[tuple[Lead, LeadState, str]], int | None]:
        """Leads in import order from position ``start`` with the given status (None: any):
        up to ``limit`` of them and the position to continue from (None at the end)."""
        out: list[tuple[Lead, LeadState, str]] = []
        i = max(0, start)
        while i < len(self._leads) and len(out) < limit:
            st = self._status(i)
            if status is None or st == status:
                out.append((self._leads[i], self._states[i], st))
            i += 1
        return out, (i if i < len(self._leads) else None)

    # --- counting -----------------------------------------------------------------------------
    def counts(self, now: float, window: CallingWindow | None = None) -> BookCounts:
        """How many leads are dialable at ``now`` (in ``window``, by default the one last given to
        :meth:`next_dialable`; with neither, "due" alone), scheduled later, dialing and done.

        Costs O(groups + due leads): each group's heap is walked only where keys are <= now."""
        window = window or self._window
        dialable = 0
        tokens = self._token
        for g in self._groups:
            heap = g.heap
            if not heap or heap[0][0] > now:
                continue
            if window is not None and not may_call(g.zones, now, window):
                continue
            stack = [0]
            n = len(heap)
            while stack:
                i = stack.pop()
                if i < n and heap[i][0] <= now:
                    if tokens[heap[i][3]] == heap[i][2]:
                        dialable += 1
                    stack.append(2 * i + 1)
                    stack.append(2 * i + 2)
        return BookCounts(
            total=len(self._leads),
            dialable=dialable,
            scheduled=self._queued - dialable,
            dialing=self._dialing,
            done=dict(self._done),
        )

    # --- persistence --------------------------------------------------------------------------
    def drain_changes(self) -> list[str]:
        """Ids of the leads added or whose state changed since the last call (O(changes))."""
        leads = self._leads
        out = [leads[ix].lead_id for ix in self._changed]
        self._changed.clear()
        return out

    def dump(self, lead_id: str) -> dict[str, Any]:
        """``{"lead": {...}, "state": {...}}`` as JSON-able data (the lead's candidate zones in
        ``lead["zones"]``, so a restore need not look them up again).

        A lead being dialled is dumped as if that attempt had found no one
        (:func:`~dialer.retries.interrupted_attempt`), with ``"dialing": true``: after a crash it
        is not redialled at once. Its real result, when recorded, replaces this state."""
        ix = self._ix(lead_id)
        zones = self._groups[self._group_of[ix]].zones
        state = self._states[ix]
        dialing = self._token[ix] == _DIALING
        if dialing:
            at = self._dial_at.get(ix, state.last_attempt_at or 0.0)
            state = interrupted_attempt(state, at, zones, self.policy)
        st = state_to_dict(state)
        if dialing:
            st["dialing"] = True
        lead = lead_to_dict(self._leads[ix])
        lead["zones"] = list(zones)
        return {"lead": lead, "state": st}

    def restore(self, entries: Mapping[str, Mapping[str, Any]], now: float) -> dict[str, int]:
        """Rebuild the book from dumps (lead id -> ``{"lead", "state"}``, as :meth:`dump` gives).

        An entry without ``"lead"`` keeps the book's lead of that id (skipped if there is none).
        Leads already in the book but not in ``entries`` (added to the lead file since) stay as
        they are and count as changed. Leads that were being dialled when dumped come back
        scheduled for later (see :meth:`dump`; one with no retry time gets ``now`` plus the
        no-answer delay). Costs O(leads): each group heap is built with one heapify. Returns
        counts: restored, dialing, callbacks, done, kept, skipped. Clears the change log except
        for the kept leads.
        """
        old_leads, old_index, old_group = self._leads, self._index, self._group_of
        old_zones = [g.zones for g in self._groups]
        old_states = self._states
        self._leads, self._index, self._states, self._token = [], {}, [], []
        self._group_of, self._groups, self._group_ix = [], [], {}
        self._top, self._window, self._last_now = [], None, -_INF
        self._queued = self._dialing = 0
        self._done = Counter()
        self._changed = set()
        self._dial_at = {}
        self._held = {}
        leads, index, states, token = self._leads, self._index, self._states, self._token
        group_of, groups, group_ix, done = self._group_of, self._groups, self._group_ix, self._done
        counts = dict.fromkeys(("restored", "dialing", "callbacks", "done", "kept", "skipped"), 0)

        def place(lead: Lead, zones: tuple[str, ...], state: LeadState) -> int:
            gid = group_ix.get(zones)
            if gid is None:
                gid = len(groups)
                groups.append(_Group(gid, zones))
                group_ix[zones] = gid
            ix = len(leads)
            leads.append(lead)
            index[lead.lead_id] = ix
            group_of.append(gid)
            if state.done or state.next_attempt_at is None or not zones:
                if not state.done:
                    reason = DoneReason.UNKNOWN_TIME_ZONE
                    state = replace(state, next_attempt_at=None, done=True, done_reason=reason)
                assert state.done_reason is not None
                states.append(state)
                token.append(_DONE)
                done[state.done_reason.value] += 1
                counts["done"] += 1
                return ix
            if state.callback:
                counts["callbacks"] += 1
            states.append(state)
            self._seq += 1
            token.append(self._seq)
            if state.callback_agent is not None:  # held for that agent, as _queue does
                held = self._held.setdefault(state.callback_agent, [])
                held.append((float(state.next_attempt_at), self._seq, ix))
            else:
                groups[gid].heap.append((state.next_attempt_at, -lead.priority, self._seq, ix))
            self._queued += 1
            return ix

        fresh: dict[float | None, LeadState] = {}
        zones_seen: dict[tuple[str, ...], tuple[str, ...]] = {}
        zones: tuple[str, ...] | None
        for lead_id, entry in entries.items():
            ld = entry.get("lead")
            if lead_id in index:
                counts["skipped"] += 1
                continue
            if ld is not None:
                lead = lead_from_dict(ld, trusted=True)
                if lead.lead_id != lead_id:
                    counts["skipped"] += 1
                    continue
                raw = ld.get("zones")
                if raw is None:
                    zones = zones_for(lead, fallback=self.fallback_zones)
                else:
                    key = tuple(raw)
                    zones = zones_seen.get(key)
                    if zones is None:
                        zones = zones_seen[key] = _checked_zones(key)
            else:
                old = old_index.get(lead_id)
                if old is None:
                    counts["skipped"] += 1
                    continue
                lead, zones = old_leads[old], old_zones[old_group[old]]
            sd = entry.get("state") or {}
            if not sd.get("attempts") and not sd.get("done") and not sd.get("callback"):
                nxt = sd.get("next_attempt_at", 0.0)
                state = fresh.get(nxt) or fresh.setdefault(nxt, state_from_dict(sd))
            else:
                state = state_from_dict(sd)
            if sd.get("dialing"):
                counts["dialing"] += 1
                if not state.done and state.next_attempt_at is None:
                    delay = self.policy.no_answer.delay_seconds
                    state = replace(state, next_attempt_at=now + delay)
            place(lead, zones, state)
            counts["restored"] += 1
        for lead_id, old in old_index.items():  # in the lead file, not yet in the store
            if lead_id not in index:
                ix = place(old_leads[old], old_zones[old_group[old]], old_states[old])
                self._changed.add(ix)
                counts["kept"] += 1
        for g in groups:
            heapq.heapify(g.heap)
        for heap in self._held.values():
            heapq.heapify(heap)
        self._rebuild_top()
        return counts


def _checked_zones(zones: tuple[str, ...]) -> tuple[str, ...]:
    """Stored candidate zones, if this machine knows them all (else none: the lead is closed)."""
    from dialer.hours import known_zone

    return zones if all(known_zone(z) for z in zones) else ()
