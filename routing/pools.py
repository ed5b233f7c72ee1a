"""Pools: the ready agents that meet one requirement alternative, ordered for one strategy,
and the calls waiting for them.

Heap strategies use lazy deletion: an entry is the integer ``metric << 24 | ix``; it is live while
the agent is ready, still a member, and its metric is unchanged. Stale entries are dropped when
they reach the top and the heap is rebuilt when they outnumber live ones, so a state change costs
O(1) for removal and O(log n) for insertion, and a decision O(log n) amortised.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Container
from random import Random

from routing.members import Alternative, Member, Waiter
from routing.strategies import HEAP_STRATEGIES, Strategy

IX_BITS = 24
IX_MASK = (1 << IX_BITS) - 1
LEVEL_SHIFT = 40


class Pool:
    __slots__ = (
        "_calls",
        "alt",
        "logged_in",
        "members",
        "nwait",
        "ready",
        "scope",
        "skills",
        "strategy",
    )

    def __init__(
        self, alt: Alternative, strategy: Strategy, scope: str, members: list[Member]
    ) -> None:
        self.alt = alt
        self.skills = tuple(s for s, _ in alt)
        self.strategy = strategy
        self.scope = scope
        self.members = members  # the router's roster, indexed by Member.ix
        self.ready = 0
        self.logged_in = 0
        self.nwait = 0
        self._calls: list[tuple[tuple[int, ...], int, int, Waiter]] = []

    def level_sum(self, m: Member) -> int:
        skills = m.skills
        return sum(skills.get(s, 0) for s in self.skills)

    # --- agents -------------------------------------------------------------------------
    def add(self, m: Member) -> None:
        raise NotImplementedError

    def remove(self, m: Member) -> None:
        raise NotImplementedError

    def best(self, exclude: Container[int]) -> tuple[int, Member] | None:
        """The best ready agent not in ``exclude``, with its ordering metric (lower is better)."""
        raise NotImplementedError

    def all_ready(self) -> list[Member]:
        raise NotImplementedError

    def evict(self, ix: int) -> None:
        """The agent left the pool (skills changed) while not ready."""

    def admit(self, ix: int) -> None:
        """The agent joined the pool (skills changed)."""

    # --- calls ------------------------------------------------------------------------------
    def push_call(self, w: Waiter, seq: int) -> None:
        heapq.heappush(self._calls, (w.order_key, seq, w.gen, w))
        self.nwait += 1

    def best_call(self, agent_ix: int) -> Waiter | None:
        heap = self._calls
        held = []
        found = None
        while heap:
            entry = heap[0]
            w = entry[3]
            if not w.waiting or entry[2] != w.gen:
                heapq.heappop(heap)
                continue
            if agent_ix in w.declined:
                held.append(heapq.heappop(heap))
                continue
            found = w
            break
        for entry in held:
            heapq.heappush(heap, entry)
        return found

    def peek_call_key(self, agent_ix: int) -> tuple[tuple[int, ...], int, Waiter] | None:
        w = self.best_call(agent_ix)
        if w is None:
            return None
        head = self._calls[0]
        if head[3] is w:
            return head[0], head[1], w
        # An excluded call sits above it; find its entry (rare path).
        for entry in self._calls:
            if entry[3] is w and entry[2] == w.gen:
                return entry[0], entry[1], w
        return None

    def call_left(self) -> None:
        self.nwait -= 1
        heap = self._calls
        if len(heap) > 2 * self.nwait + 32:
            self._calls = [e for e in heap if e[3].waiting and e[2] == e[3].gen]
            heapq.heapify(self._calls)


def _metric_fn(strategy: Strategy, pool: Pool) -> Callable[[Member], int]:
    if strategy is Strategy.LONGEST_IDLE:
        return lambda m: m.idle_seq
    if strategy is Strategy.FEWEST_CALLS:
        return lambda m: (m.calls << LEVEL_SHIFT) | m.idle_seq
    if strategy is Strategy.LEAST_TALK_TIME:
        return lambda m: (m.talk_ms << LEVEL_SHIFT) | m.idle_seq
    if strategy is Strategy.LINEAR:
        return lambda m: m.ix
    if strategy is Strategy.BEST_SKILL:
        cap = 10 * max(1, len(pool.skills))
        if len(pool.skills) == 1:
            (skill,) = pool.skills
            # .get: a stale heap entry may be read after a skill change took the skill away.
            return lambda m: ((cap - m.skills.get(skill, 0)) << LEVEL_SHIFT) | m.idle_seq
        return lambda m: ((cap - pool.level_sum(m)) << LEVEL_SHIFT) | m.idle_seq
    raise ValueError(f"{strategy} is not a heap strategy")


class HeapPool(Pool):
    """Lazy-deletion heap of ``metric << 24 | ix`` integers (see the module docstring)."""

    __slots__ = ("_evicted", "_heap", "_metric")

    def __init__(
        self, alt: Alternative, strategy: Strategy, scope: str, members: list[Member]
    ) -> None:
        super().__init__(alt, strategy, scope, members)
        self._heap: list[int] = []
        self._metric = _metric_fn(strategy, self)
        # Agents that left the pool by a skill change: their old entries may still look live.
        self._evicted: set[int] = set()

    def add(self, m: Member) -> None:
        self.ready += 1
        heapq.heappush(self._heap, (self._metric(m) << IX_BITS) | m.ix)

    def remove(self, m: Member) -> None:
        self.ready -= 1
        if len(self._heap) > 4 * self.ready + 64:
            self._compact()

    def evict(self, ix: int) -> None:
        self._evicted.add(ix)

    def admit(self, ix: int) -> None:
        self._evicted.discard(ix)

    def _live(self, entry: int) -> Member | None:
        m = self.members[entry & IX_MASK]
        if self._evicted and m.ix in self._evicted:
            return None  # left the pool by a skill change: its old entries are dead
        if m.ready and self._metric(m) == entry >> IX_BITS:
            return m
        return None

    def _compact(self) -> None:
        seen: set[int] = set()
        keep = []
        for e in self._heap:
            if e not in seen and self._live(e) is not None:
                seen.add(e)
                keep.append(e)
        heapq.heapify(keep)
        self._heap = keep

    def best(self, exclude: Container[int]) -> tuple[int, Member] | None:
        heap = self._heap
        held: list[int] = []
        found = None
        while heap:
            e = heap[0]
            m = self._live(e)
            if m is None:
                heapq.heappop(heap)
            elif m.ix in exclude:
                held.append(heapq.heappop(heap))
            else:
                found = (e >> IX_BITS, m)
                break
        for e in held:
            heapq.heappush(heap, e)
        return found

    def all_ready(self) -> list[Member]:
        out: dict[int, Member] = {}
        for e in self._heap:
            m = self._live(e)
            if m is not None:
                out[m.ix] = m
        return list(out.values())


class LongestIdlePool(HeapPool):
    """The default strategy, with its metric inlined: this is the hot path."""

    __slots__ = ()

    def add(self, m: Member) -> None:
        self.ready += 1
        heapq.heappush(self._heap, (m.idle_seq << IX_BITS) | m.ix)

    def _live(self, entry: int) -> Member | None:
        m = self.members[entry & IX_MASK]
        if m.ready and m.idle_seq == entry >> IX_BITS:
            if self._evicted and m.ix in self._evicted:
                return None
            return m
        return None


class SetPool(Pool):
    """Ready agents in an indexable array with swap-remove: O(1) add, remove and random pick."""

    __slots__ = ("_arr", "_pos")

    def __init__(
        self, alt: Alternative, strategy: Strategy, scope: str, members: list[Member]
    ) -> None:
        super().__init__(alt, strategy, scope, members)
        self._arr: list[Member] = []
        self._pos: dict[int, int] = {}

    def add(self, m: Member) -> None:
        if m.ix in self._pos:
            return
        self.ready += 1
        self._pos[m.ix] = len(self._arr)
        self._arr.append(m)

    def remove(self, m: Member) -> None:
        i = self._pos.pop(m.ix, None)
        if i is None:
            return
        self.ready -= 1
        last = self._arr.pop()
        if last is not m:
            self._arr[i] = last
            self._pos[last.ix] = i

    def all_ready(self) -> list[Member]:
        return sorted(self._arr, key=lambda m: m.ix)

    def best(self, exclude: Container[int]) -> tuple[int, Member] | None:
        # Ring-all: the lowest roster index stands for the group; the engine offers to all.
        cands = [m for m in self._arr if m.ix not in exclude]
        if not cands:
            return None
        m = min(cands, key=lambda m: m.ix)
        return (m.ix, m)


class RandomPool(SetPool):
    __slots__ = ("_rng",)

    def __init__(
        self, alt: Alternative, strategy: Strategy, scope: str, members: list[Member], rng: Random
    ) -> None:
        super().__init__(alt, strategy, scope, members)
        self._rng = rng

    def best(self, exclude: Container[int]) -> tuple[int, Member] | None:
        arr = self._arr
        if not arr:
            return None
        for _ in range(8):
            m = arr[self._rng.randrange(len(arr))]
            if m.ix not in exclude:
                return (0, m)
        cands = [m for m in arr if m.ix not in exclude]
        return (0, self._rng.choice(cands)) if cands else None


class WeightedPool(Pool):
    """Weighted random by skill level: pick a level bucket by count x level, then uniformly."""

    __slots__ = ("_buckets", "_pos", "_rng", "_single")

    def __init__(
        self, alt: Alternative, strategy: Strategy, scope: str, members: list[Member], rng: Random
    ) -> None:
        super().__init__(alt, strategy, scope, members)
        self._rng = rng
        self._buckets: dict[int, list[Member]] = {}
        self._pos: dict[int, tuple[int, int]] = {}  # ix -> (level, index in its bucket)
        self._single = self.skills[0] if len(self.skills) == 1 else None

    def add(self, m: Member) -> None:
        if m.ix in self._pos:
            return
        lvl = m.skills[self._single] if self._single is not None else self.level_sum(m)
        b = self._buckets.get(lvl)
        if b is None:
            b = self._buckets[lvl] = []
        self._pos[m.ix] = (lvl, len(b))
        b.append(m)
        self.ready += 1

    def remove(self, m: Member) -> None:
        where = self._pos.pop(m.ix, None)
        if where is None:
            return
        lvl, i = where
        b = self._buckets[lvl]
        last = b.pop()
        if last is not m:
            b[i] = last
            self._pos[last.ix] = (lvl, i)
        self.ready -= 1

    def all_ready(self) -> list[Member]:
        return sorted((m for b in self._buckets.values() for m in b), key=lambda m: m.ix)

    def best(self, exclude: Container[int]) -> tuple[int, Member] | None:
        buckets = [(lvl, b) for lvl, b in sorted(self._buckets.items()) if b]
        total = sum(lvl * len(b) for lvl, b in buckets)
        rand, randrange = self._rng.random, self._rng.randrange
        for _ in range(8):
            if total <= 0:
                return None
            r = rand() * total
            for lvl, b in buckets:
                r -= lvl * len(b)
                if r < 0:
                    m = b[randrange(len(b))]
                    if m.ix not in exclude:
                        return (0, m)
                    break
        cands = [m for _, b in buckets for m in b if m.ix not in exclude]
        return (0, self._rng.choice(cands)) if cands else None


class RoundRobinPool(Pool):
    """Round-robin with memory: ready agents sorted by roster index; a cursor remembers the last."""

    __slots__ = ("_cursor", "_ixs")

    def __init__(
        self, alt: Alternative, strategy: Strategy, scope: str, members: list[Member]
    ) -> None:
        super().__init__(alt, strategy, scope, members)
        self._ixs: list[int] = []
        self._cursor = -1

    def add(self, m: Member) -> None:
        i = bisect.bisect_left(self._ixs, m.ix)
        if i < len(self._ixs) and self._ixs[i] == m.ix:
            return
        self._ixs.insert(i, m.ix)
        self.ready += 1

    def remove(self, m: Member) -> None:
        i = bisect.bisect_left(self._ixs, m.ix)
        if i < len(self._ixs) and self._ixs[i] == m.ix:
            del self._ixs[i]
            self.ready -= 1

    def all_ready(self) -> list[Member]:
        return [self.members[i] for i in self._ixs]

    def best(self, exclude: Container[int]) -> tuple[int, Member] | None:
        ixs = self._ixs
        n = len(ixs)
        if not n:
            return None
        start = bisect.bisect_right(ixs, self._cursor)
        for k in range(n):
            ix = ixs[(start + k) % n]
            if ix not in exclude:
                # Order across pools: distance after the cursor, so the rotation holds.
                return ((ix - self._cursor) % (1 << IX_BITS), self.members[ix])
        return None

    def note_offered(self, ix: int) -> None:
        self._cursor = ix


def make_pool(
    alt: Alternative, strategy: Strategy, scope: str, members: list[Member], rng: Random
) -> Pool:
    if strategy is Strategy.LONGEST_IDLE:
        return LongestIdlePool(alt, strategy, scope, members)
    if strategy in HEAP_STRATEGIES:
        return HeapPool(alt, strategy, scope, members)
    if strategy is Strategy.RANDOM:
        return RandomPool(alt, strategy, scope, members, rng)
    if strategy is Strategy.WEIGHTED_RANDOM:
        return WeightedPool(alt, strategy, scope, members, rng)
    if strategy is Strategy.ROUND_ROBIN:
        return RoundRobinPool(alt, strategy, scope, members)
    return SetPool(alt, strategy, scope, members)
