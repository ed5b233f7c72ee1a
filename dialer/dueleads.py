"""The due-lead heap: a lead book's queued leads, grouped by candidate zones, best due lead first.

Leads are grouped by their tuple of candidate zones: every lead of a group is inside or outside
the calling window at the same moment. Each group keeps a heap of its queued leads keyed by
``(next_attempt_at, -priority, sequence)``; a top heap holds one entry per group keyed by its head
(no earlier than the time the group's window is known to open). Entries are deleted lazily: a
lead's entry is live while its sequence number is the lead's current token, a group's while its
version is the group's current one.

If a group's zones are outside the window, the whole group is re-keyed to
:func:`~dialer.hours.next_allowed` (one computation for the group, not one per lead); the interval
in which a group is known to be open is cached, so a pick costs O(log groups + log leads).
"""

from __future__ import annotations

import heapq

from dialer.hours import CallingWindow, may_call, next_allowed, open_until

# A lead's token: the sequence number of its live heap entry, or one of these.
DIALING = -1
DONE = -2
_INF = float("inf")
# How far ahead a closed group looks for its window to open; if it does not within this many days
# (zones whose windows never overlap), the group is looked at again a week later.
_SEARCH_DAYS = 9

Entry = tuple[float, int, int, int]  # (next_attempt_at, -priority, seq, lead index)


class Group:
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
        self.heap: list[Entry] = []
        self.stale = 0
        self.version = 0
        self.blocked_until = -_INF  # the window is known closed before this time
        self.open_from = _INF  # the window is known open in [open_from, open_until)
        self.open_until = -_INF


class DueLeads:
    """The groups and the top heap. ``token`` is the book's list of lead tokens (shared, not
    copied): an entry whose sequence number is not its lead's token is stale."""

    __slots__ = ("group_ix", "groups", "last_now", "token", "top", "window")

    def __init__(self, token: list[int]) -> None:
        self.token = token
        self.groups: list[Group] = []
        self.group_ix: dict[tuple[str, ...], int] = {}
        self.top: list[tuple[float, int, int, int, int]] = []  # (key, -prio, seq, gid, version)
        self.window: CallingWindow | None = None
        self.last_now = -_INF

    def group_for(self, zones: tuple[str, ...]) -> int:
        """The id of the group of ``zones``, created if new."""
        gid = self.group_ix.get(zones)
        if gid is None:
            gid = len(self.groups)
            self.groups.append(Group(gid, zones))
            self.group_ix[zones] = gid
        return gid

    # --- filling ----------------------------------------------------------------------------
    def append(self, gid: int, entry: Entry) -> None:
        """Add an entry without ordering it: :meth:`sift_last`, :meth:`heapify` or
        :meth:`heapify_all` must follow."""
        self.groups[gid].heap.append(entry)

    def sift_last(self, gid: int) -> None:
        """Move the entry just appended to ``gid`` into its place."""
        g = self.groups[gid]
        entry = g.heap.pop()
        heapq.heappush(g.heap, entry)
        if g.heap[0] is entry:
            self.touch(g)

    def heapify(self, gid: int) -> None:
        """Order ``gid``'s heap after bulk appends."""
        g = self.groups[gid]
        heapq.heapify(g.heap)
        self.touch(g)

    def heapify_all(self) -> None:
        for g in self.groups:
            heapq.heapify(g.heap)
        self.rebuild_top()

    def push(self, gid: int, entry: Entry, *, touch: bool = True) -> None:
        g = self.groups[gid]
        heapq.heappush(g.heap, entry)
        if touch and g.heap[0] is entry:
            self.touch(g)

    def discard(self, gid: int) -> None:
        """One entry of ``gid`` went stale (its lead's token changed); compact a mostly stale
        heap."""
        g = self.groups[gid]
        g.stale += 1
        if g.stale > 1024 and g.stale * 2 > len(g.heap):
            tokens = self.token
            g.heap = [e for e in g.heap if tokens[e[3]] == e[2]]
            heapq.heapify(g.heap)
            g.stale = 0
            self.touch(g)

    # --- picking ----------------------------------------------------------------------------
    def pop_due(self, now: float, window: CallingWindow) -> tuple[int, Group] | None:
        """Pop the best lead due at ``now`` in a group inside ``window``: (its index, its group),
        or None. The caller then settles the lead and calls :meth:`retop` on the group."""
        if (window is not self.window and window != self.window) or now < self.last_now:
            self._reset_window(window)
        self.last_now = now
        top = self.top
        tok = self.token
        groups = self.groups
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
                self.retop(g)  # the head changed since this entry was pushed
                continue
            if not g.open_from <= now < g.open_until:
                until = open_until(g.zones, now, window)
                if until is None:
                    opens = next_allowed(g.zones, now, window, horizon_days=_SEARCH_DAYS)
                    if opens is None:  # not within the search: closed for SEARCH_DAYS - 2 days
                        opens = now + (_SEARCH_DAYS - 2) * 86_400.0
                    g.blocked_until = max(opens, now + 1e-6)
                    self.retop(g)
                    continue
                g.open_from, g.open_until = now, until
            return heapq.heappop(heap)[3], g
        return None

    def _reset_window(self, window: CallingWindow) -> None:
        self.window = window
        top: list[tuple[float, int, int, int, int]] = []
        for g in self.groups:
            g.blocked_until, g.open_from, g.open_until = -_INF, _INF, -_INF
            g.version += 1
            self._clean_head(g)
            if g.heap:
                t, negp, seq, _ = g.heap[0]
                top.append((t, negp, seq, g.gid, g.version))
        heapq.heapify(top)
        self.top = top

    def _clean_head(self, g: Group) -> None:
        heap, tok = g.heap, self.token
        while heap and tok[heap[0][3]] != heap[0][2]:
            heapq.heappop(heap)
            g.stale -= 1

    def retop(self, g: Group) -> None:
        """Replace the top heap's first entry (which is ``g``'s) by ``g``'s current key."""
        self._clean_head(g)
        g.version += 1
        if g.heap:
            t, negp, seq, _ = g.heap[0]
            heapq.heapreplace(self.top, (max(t, g.blocked_until), negp, seq, g.gid, g.version))
        else:
            heapq.heappop(self.top)

    def touch(self, g: Group) -> None:
        """Push ``g``'s current key (its head got earlier); older entries of ``g`` go stale."""
        self._clean_head(g)
        g.version += 1
        if g.heap:
            t, negp, seq, _ = g.heap[0]
            heapq.heappush(self.top, (max(t, g.blocked_until), negp, seq, g.gid, g.version))
        if len(self.top) > 4 * len(self.groups) + 1024:
            self.rebuild_top()

    def rebuild_top(self) -> None:
        top = []
        for g in self.groups:
            if g.heap:
                t, negp, seq, _ = g.heap[0]
                top.append((max(t, g.blocked_until), negp, seq, g.gid, g.version))
        heapq.heapify(top)
        self.top = top

    # --- counting ---------------------------------------------------------------------------
    def count_due(self, now: float, window: CallingWindow | None) -> int:
        """Live entries due at ``now`` in groups inside ``window`` (None: due alone). Costs
        O(groups + due leads): each heap is walked only where keys are <= now."""
        dialable = 0
        tokens = self.token
        for g in self.groups:
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
        return dialable
