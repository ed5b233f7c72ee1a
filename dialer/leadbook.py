"""A campaign's leads and their states, indexed so the next dialable lead is found without a scan.

The book keeps one row per lead (the lead, its :class:`~dialer.retries.LeadState`, its zone group
and a token) and three indexes over the rows: the due-lead heap (:mod:`dialer.dueleads`), the
callbacks held for a given agent (:mod:`dialer.heldcallbacks`) and the change log that
persistence drains (:mod:`dialer.booksnapshot`, which also dumps and restores leads). One
placement rule, :meth:`LeadBook._place`, puts a lead in its index both when it is added and when
it is restored.

:meth:`LeadBook.next_dialable` takes the best due lead of a group inside its calling window. A
lead on the do-not-call list is closed (``do_not_call``) when it comes up and never returned. A
returned lead is "dialing" until :meth:`LeadBook.record` reports how the attempt ended.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from acd.errors import IllegalTransition, LocalError, UnknownEntity
from dialer import booksnapshot
from dialer.accounts import Accounts
from dialer.dnc import DoNotCallList
from dialer.dueleads import DIALING, DONE, DueLeads
from dialer.heldcallbacks import HeldCallbacks
from dialer.hours import CallingWindow, may_call, wall_to_timestamp, zones_for
from dialer.leads import Lead
from dialer.leadstatus import LeadStatus
from dialer.retries import (
    NEW_LEAD,
    Disposition,
    DispositionKind,
    DoneReason,
    LeadState,
    Outcome,
    RetryPolicy,
    after_attempt,
    blocked_until,
    schedule_callback,
)


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
        self._seq = 0
        self._fresh: dict[float, LeadState] = {0.0: NEW_LEAD}
        self.dnc_blocked = 0  # leads that came up on the do-not-call list (never reset)
        self._clear()

    def _clear(self) -> None:
        """Empty the book (policy, zones and the sequence counter stay)."""
        self._leads: list[Lead] = []
        self._index: dict[str, int] = {}
        self._states: list[LeadState] = []
        self._token: list[int] = []  # seq of the lead's live heap entry, or DIALING / DONE
        self._group_of: list[int] = []
        self._due = DueLeads(self._token)
        self._held = HeldCallbacks(self._token)
        self._queued = 0
        self._dialing = 0
        self._done: Counter[str] = Counter()
        self._changed: set[int] = set()  # leads whose state changed since drain_changes()
        self._dial_at: dict[int, float] = {}  # dialing leads: when next_dialable handed them out
        self._accounts = Accounts(self._leads, self._states, self._dial_at)

    # --- building --------------------------------------------------------------------------
    def add(self, lead: Lead, *, at: float = 0.0) -> None:
        """Add a lead, first dialable at ``at``. Raises :class:`DuplicateLead` for a known id."""
        gid = self._admit(lead, at)
        if gid is not None:
            self._due.sift_last(gid)

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
            self._due.heapify(gid)
        return n

    def _admit(self, lead: Lead, at: float) -> int | None:
        """Place a new lead due at ``at``; its group if queued there (unordered), else None."""
        if lead.lead_id in self._index:
            raise DuplicateLead(f"lead {lead.lead_id!r} is already in the book")
        zones = zones_for(lead, fallback=self.fallback_zones)
        ix = self._place(lead, zones, self._fresh_at(at) if zones else NEW_LEAD)
        self._changed.add(ix)
        return None if self._token[ix] == DONE else self._group_of[ix]

    def _fresh_at(self, at: float) -> LeadState:
        """A new lead's state, shared by the leads added at the same time (a few kept)."""
        state = self._fresh.get(at)
        if state is None:
            state = replace(NEW_LEAD, next_attempt_at=float(at))
            if len(self._fresh) < 64:
                self._fresh[at] = state
        return state

    def _place(self, lead: Lead, zones: tuple[str, ...], state: LeadState) -> int:
        """Append a lead in ``state`` and return its index: closed if done (a lead with no zones
        or no next attempt is closed as ``unknown_time_zone``), else queued, held for its
        callback agent or in its zone group. Heap entries are appended unordered: the caller
        orders them (one heapify after a bulk load)."""
        ix = len(self._leads)
        gid = self._due.group_for(zones)
        self._leads.append(lead)
        self._index[lead.lead_id] = ix
        self._group_of.append(gid)
        self._accounts.placed(ix, lead)
        if state.done or state.next_attempt_at is None or not zones:
            if not state.done:
                reason = DoneReason.UNKNOWN_TIME_ZONE
                state = replace(state, next_attempt_at=None, done=True, done_reason=reason)
            assert state.done_reason is not None
            self._states.append(state)
            self._token.append(DONE)
            self._close(ix, state.done_reason)
            return ix
        self._states.append(state)
        self._seq += 1
        self._token.append(self._seq)
        at = float(state.next_attempt_at)
        if state.callback_agent is not None:  # held for that agent, as _queue does
            self._held.append(state.callback_agent, (at, self._seq, ix))
        else:
            self._due.append(gid, (at, -lead.priority, self._seq, ix))
        self._queued += 1
        return ix

    # --- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._leads)

    def __contains__(self, lead_id: object) -> bool:
        return lead_id in self._index

    def open_count(self) -> int:
        """Leads not closed: queued (due now or later, callbacks included) or dialing. O(1)."""
        return self._queued + self._dialing

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
        return self._due.groups[self._group_of[self._ix(lead_id)]].zones

    def dialing(self, lead_id: str) -> bool:
        """True between :meth:`next_dialable` handing the lead out and :meth:`record`."""
        return self._token[self._ix(lead_id)] == DIALING

    # --- picking ------------------------------------------------------------------------------
    def next_dialable(self, now: float, window: CallingWindow, dnc: Container[str]) -> Lead | None:
        """The next lead to dial at ``now``, or None if none is due inside its window. ``dnc``
        (a :class:`DoNotCallList` or E.164 numbers) is checked for every lead before it is
        returned: a listed one is closed. The lead stays "dialing" until :meth:`record`."""
        due = self._due
        while (found := due.pop_due(now, window)) is not None:
            ix, g = found
            lead = self._leads[ix]
            state = self._states[ix]
            self._queued -= 1
            if _listed(dnc, lead.phone):
                self._close_listed(ix)
                due.retop(g)
                continue
            later = blocked_until(state, now, self.policy)
            if later is None and not state.callback:  # a callback is the person's own asking
                later = self._accounts.blocked_until(ix, now, self.policy.frequency_cap)
            if later is not None:  # a reload added a cap, or another lead of the account
                self._queue(ix, later, touch=False)
                due.retop(g)
                continue
            self._hand_out(ix, now)
            due.retop(g)
            return lead
        return None

    def _close_listed(self, ix: int) -> None:
        """Close a lead that came up while its number is on the do-not-call list."""
        self._states[ix] = replace(
            self._states[ix], done=True, done_reason=DoneReason.DO_NOT_CALL, next_attempt_at=None
        )
        self._token[ix] = DONE
        self._close(ix, DoneReason.DO_NOT_CALL)
        self._changed.add(ix)
        self.dnc_blocked += 1

    def _hand_out(self, ix: int, now: float) -> None:
        self._token[ix] = DIALING
        self._dialing += 1
        self._dial_at[ix] = now
        self._changed.add(ix)

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
        g = self._due.groups[self._group_of[ix]]
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
            self._token[ix] = DONE
            self._close(ix, new.done_reason)
            if dnc is not None and getattr(outcome, "kind", None) is DispositionKind.DO_NOT_CALL:
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

    def timestamp(self, lead_id: str, at: float | datetime) -> float:
        """``at`` as a Unix time; a naive datetime is wall time in the lead's zone (see
        :meth:`schedule_callback`)."""
        return self._timestamp(self._ix(lead_id), at)

    def _timestamp(self, ix: int, at: float | datetime) -> float:
        if not isinstance(at, datetime):
            return float(at)
        if at.tzinfo is not None:
            return at.timestamp()
        lead = self._leads[ix]
        zones = self._due.groups[self._group_of[ix]].zones
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
        if tok == DIALING:
            self._dialing -= 1
            self._dial_at.pop(ix, None)
        elif tok >= 0 and self._states[ix].callback_agent is not None:
            self._queued -= 1
            self._token[ix] = DONE  # its entry in the agent's heap is stale from here on
        elif tok >= 0:
            self._queued -= 1
            self._token[ix] = DONE  # the old entry is stale from here on
            self._due.discard(self._group_of[ix])

    def _queue(self, ix: int, t: float, *, touch: bool = True) -> None:
        agent = self._states[ix].callback_agent
        self._seq += 1
        self._token[ix] = self._seq
        if agent is not None:  # held for that agent: next_for_agent hands it out
            self._held.push(agent, (float(t), self._seq, ix))
            self._queued += 1
            return
        entry = (float(t), -self._leads[ix].priority, self._seq, ix)
        self._due.push(self._group_of[ix], entry, touch=touch)
        self._queued += 1

    def _close(self, ix: int, reason: DoneReason) -> None:
        self._done[reason.value] += 1

    # --- callbacks for a given agent ------------------------------------------------------------
    def callback_agents(self, now: float) -> list[str]:
        """Agents with a callback for them due at ``now`` (costs O(agents with callbacks))."""
        return self._held.agents_due(now)

    def next_for_agent(
        self, agent_id: str, now: float, window: CallingWindow, dnc: Container[str]
    ) -> Lead | None:
        """The agent's earliest due callback inside its calling window, or None; like
        :meth:`next_dialable`, a lead on the do-not-call list is closed, never returned."""
        tok = self._token
        for _, seq, ix in self._held.due(agent_id, now):
            if tok[ix] != seq:
                continue
            lead = self._leads[ix]
            if _listed(dnc, lead.phone):
                self._queued -= 1
                self._close_listed(ix)
                continue
            if not may_call(self._due.groups[self._group_of[ix]].zones, now, window):
                continue
            self._queued -= 1
            self._hand_out(ix, now)
            return lead
        return None

    def to_anyone(self, agent_id: str, due_by: float) -> int:
        """Hand the agent's callbacks due at or before ``due_by`` to anyone (the agent did not
        come); returns how many. The UK 72 h rule then applies as to any callback."""
        n = 0
        for at, seq, ix in list(self._held.live(agent_id)):
            if at > due_by or self._token[ix] != seq:
                continue
            self._unqueue(ix)
            new = schedule_callback(self._states[ix], at, None, self.policy)
            self._states[ix] = new
            assert new.next_attempt_at is not None
            self._queue(ix, new.next_attempt_at)
            n += 1
        self._held.live(agent_id)
        return n

    def release(self, lead_id: str, at: float | None = None) -> LeadState:
        """Put back a lead handed out for dialing but not dialed (a skipped or withdrawn
        preview): no attempt is counted; it is due again at ``at`` (None: keeps its place)."""
        ix = self._ix(lead_id)
        if self._token[ix] != DIALING:
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
        if self._token[ix] in (DIALING, DONE):
            raise IllegalTransition("lead", lead_id, self._status(ix), "close")
        self._unqueue(ix)
        new = replace(
            self._states[ix], done=True, done_reason=DoneReason.CLOSED, next_attempt_at=None
        )
        self._states[ix] = new
        self._token[ix] = DONE
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

    def _status(self, ix: int) -> LeadStatus:
        tok = self._token[ix]
        if tok == DIALING:
            return LeadStatus.DIALING
        if tok == DONE:
            return LeadStatus.DONE
        return LeadStatus.CALLBACK if self._states[ix].callback else LeadStatus.QUEUED

    def status(self, lead_id: str) -> LeadStatus:
        """``queued``, ``callback`` (queued for a scheduled callback), ``dialing`` or ``done``."""
        return self._status(self._ix(lead_id))

    def page(
        self, status: LeadStatus | str | None, start: int, limit: int
    ) -> tuple[list[tuple[Lead, LeadState, LeadStatus]], int | None]:
        """Leads in import order from position ``start`` with the given status (None: any):
        up to ``limit`` of them and the position to continue from (None at the end)."""
        out: list[tuple[Lead, LeadState, LeadStatus]] = []
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
        dialable = self._due.count_due(now, window or self._due.window)
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
        return booksnapshot.drain_changes(self)

    def dump(self, lead_id: str) -> dict[str, Any]:
        """The lead as JSON-able data: see :func:`dialer.booksnapshot.dump`."""
        return booksnapshot.dump(self, lead_id)

    def restore(self, entries: Mapping[str, Mapping[str, Any]], now: float) -> dict[str, int]:
        """Rebuild the book from dumps: see :func:`dialer.booksnapshot.restore`."""
        return booksnapshot.restore(self, entries, now)


def _listed(dnc: Container[str], phone: str) -> bool:
    # a DoNotCallList is asked for the canonical number: one dict lookup, no parsing
    return dnc.contains_e164(phone) if isinstance(dnc, DoNotCallList) else phone in dnc
