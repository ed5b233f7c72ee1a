"""The frequency cap counted per account: Regulation F (12 CFR 1006.14(b)(2)) counts calls to a
person about a debt, whichever of the person's numbers is dialled.

A lead book with ``frequency_cap.per == "account"`` asks :meth:`Accounts.blocked_until` before it
hands a lead out: the account's attempts are its leads' attempt times plus the time each lead of
it now being dialled was handed out (its attempt is recorded only when it ends), and its last
conversation is the latest of its leads'. Nothing is stored for the account: a restore brings the
cap back with the leads' own histories. A lead the account's cap holds back is queued again for
the moment the cap lifts, and checked again then.

The index (account key -> lead indexes) is built the first time a pick needs it, so a book whose
cap is per lead, or that has none, never pays for it; a lead placed later joins it, and anything
that may move a lead to another account drops it, to be rebuilt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dialer.leads import Lead
from dialer.retries import FrequencyCap, LeadState


class Accounts:
    """The account index of a lead book, over the book's own lists (shared, not copied): its
    leads, their states and the hand-out time of each lead being dialled."""

    __slots__ = ("_dialing", "_leads", "_members", "_states")

    def __init__(
        self, leads: Sequence[Lead], states: Sequence[LeadState], dialing: Mapping[int, float]
    ) -> None:
        self._leads, self._states, self._dialing = leads, states, dialing
        self._members: dict[str, list[int]] | None = None

    def drop(self) -> None:
        """Forget the index (a lead moved to another account): the next pick rebuilds it."""
        self._members = None

    def placed(self, ix: int, lead: Lead) -> None:
        """A lead was appended at ``ix``."""
        if self._members is not None:
            self._members.setdefault(lead.account_key, []).append(ix)

    def members(self, ix: int) -> list[int]:
        """Indexes of every lead of ``ix``'s account (``ix`` included)."""
        leads = self._leads
        if self._members is None:
            index: dict[str, list[int]] = {}
            for j, lead in enumerate(leads):
                index.setdefault(lead.account_key, []).append(j)
            self._members = index
        return self._members[leads[ix].account_key]

    def blocked_until(self, ix: int, now: float, cap: FrequencyCap | None) -> float | None:
        """None if the account of lead ``ix`` may take an attempt at ``now``; else the first time
        its window of ``cap.days`` x 24 h holds fewer than ``cap.calls`` attempts and its last
        conversation is that long ago. None too unless ``cap`` counts per account."""
        if cap is None or cap.per != "account":
            return None
        times: list[float] = []
        conversation: float | None = None
        for j in self.members(ix):
            st = self._states[j]
            times.extend(st.attempt_times)
            if (since := self._dialing.get(j)) is not None:
                times.append(since)
            c = st.conversation_at
            if c is not None and (conversation is None or c > conversation):
                conversation = c
        t = cap.earliest(tuple(times), conversation)
        return t if t > now else None
