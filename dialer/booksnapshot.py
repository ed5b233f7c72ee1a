"""A lead book's persistence: its change log, a lead dumped as JSON-able data, and the bulk restore.

:func:`restore` places every lead with the book's own placement rule
(:meth:`~dialer.leadbook.LeadBook._place`, the one admission also uses) and orders each heap once
at the end, so a million leads come back in O(leads) without a push per lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dialer.dueleads import DIALING, DONE
from dialer.hours import known_zone, zones_for
from dialer.leads import Lead, lead_from_dict, lead_to_dict
from dialer.retries import (
    DoneReason,
    LeadState,
    interrupted_attempt,
    state_from_dict,
    state_to_dict,
)

if TYPE_CHECKING:
    from dialer.leadbook import LeadBook


def drain_changes(book: LeadBook) -> list[str]:
    """Ids of the leads added or whose state changed since the last call (O(changes))."""
    leads = book._leads
    out = [leads[ix].lead_id for ix in book._changed]
    book._changed.clear()
    return out


def dump(book: LeadBook, lead_id: str) -> dict[str, Any]:
    """``{"lead": {...}, "state": {...}}`` as JSON-able data (the lead's candidate zones in
    ``lead["zones"]``, so a restore need not look them up again).

    A lead being dialled is dumped as if that attempt had found no one
    (:func:`~dialer.retries.interrupted_attempt`), with ``"dialing": true``: after a crash it
    is not redialled at once. Its real result, when recorded, replaces this state."""
    ix = book._ix(lead_id)
    zones = book._due.groups[book._group_of[ix]].zones
    state = book._states[ix]
    dialing = book._token[ix] == DIALING
    if dialing:
        at = book._dial_at.get(ix, state.last_attempt_at or 0.0)
        state = interrupted_attempt(state, at, zones, book.policy)
    st = state_to_dict(state)
    if dialing:
        st["dialing"] = True
    lead = lead_to_dict(book._leads[ix])
    lead["zones"] = list(zones)
    return {"lead": lead, "state": st}


def restore(book: LeadBook, entries: Mapping[str, Mapping[str, Any]], now: float) -> dict[str, int]:
    """Rebuild the book from dumps (lead id -> ``{"lead", "state"}``, as :func:`dump` gives).

    An entry without ``"lead"`` keeps the book's lead of that id (skipped if there is none).
    Leads already in the book but not in ``entries`` (added to the lead file since) stay as
    they are and count as changed. Leads that were being dialled when dumped come back
    scheduled for later (see :func:`dump`; one with no retry time gets ``now`` plus the
    no-answer delay) and count as changed, so that the store no longer reads "dialing". Costs
    O(leads): each group heap is built with one heapify. Returns counts: restored, dialing,
    callbacks, done, kept, skipped. Clears the change log except for the kept and the dialing
    leads.
    """
    old_leads, old_index, old_group = book._leads, book._index, book._group_of
    old_zones = [g.zones for g in book._due.groups]
    old_states = book._states
    book._clear()
    index = book._index
    counts = dict.fromkeys(("restored", "dialing", "callbacks", "done", "kept", "skipped"), 0)

    def place(lead: Lead, zones: tuple[str, ...], state: LeadState) -> int:
        ix = book._place(lead, zones, state)
        if book._token[ix] == DONE:
            counts["done"] += 1
        elif state.callback:
            counts["callbacks"] += 1
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
                zones = zones_for(lead, fallback=book.fallback_zones)
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
            # untouched leads share one state object per retry time: a million come back cheaply
            nxt = sd.get("next_attempt_at", 0.0)
            state = fresh.get(nxt) or fresh.setdefault(nxt, state_from_dict(sd))
        else:
            state = state_from_dict(sd)
        if sd.get("dialing"):
            counts["dialing"] += 1
            if not state.done and state.next_attempt_at is None:
                delay = book.policy.no_answer.delay_seconds
                state = replace(state, next_attempt_at=now + delay)
            # Written again without the flag: the store then reads as the book does (queued).
            book._changed.add(place(lead, zones, state))
        else:
            place(lead, zones, state)
        counts["restored"] += 1
    for lead_id, old in old_index.items():  # in the lead file, not yet in the store
        if lead_id not in index:
            ix = place(old_leads[old], old_zones[old_group[old]], old_states[old])
            book._changed.add(ix)
            counts["kept"] += 1
    book._due.heapify_all()
    book._held.heapify_all()
    return counts


def _checked_zones(zones: tuple[str, ...]) -> tuple[str, ...]:
    """Stored candidate zones, if this machine knows them all (else none: the lead is closed)."""
    return zones if all(known_zone(z) for z in zones) else ()


def update(book: LeadBook, entries: Mapping[str, Mapping[str, Any]], now: float) -> int:
    """Apply dumps to the book in place, as :func:`restore` would place them (a warm standby
    following the leader's batches). O(entries x log leads); the updated leads leave the change
    log (the store has them). Returns how many leads were placed or replaced."""
    n = 0
    for lead_id, entry in entries.items():
        ld = entry.get("lead")
        ix = book._index.get(lead_id)
        if ix is None:
            if ld is None:
                continue
            lead = lead_from_dict(ld, trusted=True)
            if lead.lead_id != lead_id:
                continue
            raw = ld.get("zones")
            if raw is None:
                zones = zones_for(lead, fallback=book.fallback_zones)
            else:
                zones = _checked_zones(tuple(raw))
            ix = book._place(lead, zones, _state(book, entry, now))
            tok = book._token[ix]
            if tok >= 0 and book._states[ix].callback_agent is not None:
                book._held.heapify_all()  # rare: a new lead held for an agent
            elif tok >= 0:
                book._due.sift_last(book._group_of[ix])
        else:
            if ld is not None:
                lead = lead_from_dict(ld, trusted=True)
                if lead.account_key != book._leads[ix].account_key:
                    book._accounts.drop()  # the lead moved to another account
                book._leads[ix] = lead
            old = book._states[ix]
            if book._token[ix] == DONE and old.done_reason is not None:
                book._done[old.done_reason.value] -= 1
                if not book._done[old.done_reason.value]:
                    del book._done[old.done_reason.value]
            book._unqueue(ix)
            _settle(book, ix, _state(book, entry, now))
        book._changed.discard(ix)
        n += 1
    return n


def _state(book: LeadBook, entry: Mapping[str, Any], now: float) -> LeadState:
    """The state :func:`restore` gives an entry (a lead being dialled comes back for later)."""
    sd = entry.get("state") or {}
    state = state_from_dict(sd)
    if sd.get("dialing") and not state.done and state.next_attempt_at is None:
        state = replace(state, next_attempt_at=now + book.policy.no_answer.delay_seconds)
    return state


def _settle(book: LeadBook, ix: int, state: LeadState) -> None:
    """Give an unqueued lead its new state: closed, or queued at its next attempt (the rule of
    ``LeadBook._place``)."""
    zones = book._due.groups[book._group_of[ix]].zones
    if state.done or state.next_attempt_at is None or not zones:
        if not state.done:
            reason = DoneReason.UNKNOWN_TIME_ZONE
            state = replace(state, next_attempt_at=None, done=True, done_reason=reason)
        assert state.done_reason is not None
        book._states[ix] = state
        book._token[ix] = DONE
        book._close(ix, state.done_reason)
        return
    book._states[ix] = state
    book._queue(ix, float(state.next_attempt_at))
