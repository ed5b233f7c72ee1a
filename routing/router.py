"""The router: pools by requirement, agent membership, and the two decisions.

- ``pick_agent(call)``: the best ready agent for a call, across the call's pools (one pool per
  requirement alternative), by the strategy's ordering.
- ``pick_call(agent)``: the best waiting call for an agent that just became ready, across the
  pools the agent belongs to, by the configured call order (queue priority, call priority, wait).

Each touches only the pools of the call or agent in question: nothing scans the roster.
"""

from __future__ import annotations

from collections.abc import Iterable
from random import Random

from routing.members import Alternative, Member, Waiter
from routing.pools import Pool, RoundRobinPool, make_pool
from routing.strategies import Strategy

PoolKey = tuple[Alternative, Strategy, str]


def alternative(skills: dict[str, int]) -> Alternative:
    return tuple(sorted(skills.items()))


class Router:
    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.members: list[Member] = []
        self.pools: dict[PoolKey, Pool] = {}
        # Pools indexed by one of their skills (the first), so membership checks stay local.
        self._pools_by_skill: dict[str, list[Pool]] = {}
        self._pools_no_skill: list[Pool] = []
        self._members_by_skill: dict[str, set[int]] = {}

    # --- roster -----------------------------------------------------------------------------
    def add_member(self, m: Member) -> None:
        if m.ix != len(self.members):
            raise ValueError("members must be added in index order")
        self.members.append(m)
        self._index_skills(m)
        m.pools = [p for p in self._candidate_pools(m.skills) if m.meets(p.alt)]

    def set_skills(self, m: Member, skills: dict[str, int]) -> None:
        """Change an agent's skills; membership follows. The agent must not be ready."""
        if m.ready:
            raise ValueError("take the agent out of the ready pools before changing skills")
        for s in m.skills:
            self._members_by_skill[s].discard(m.ix)
        old = m.pools
        for p in old:
            p.logged_in -= m.logged_in
        m.skills = dict(skills)
        self._index_skills(m)
        m.pools = [p for p in self._candidate_pools(m.skills) if m.meets(p.alt)]
        kept = {id(p) for p in m.pools}
        for p in old:
            if id(p) not in kept:
                p.evict(m.ix)
        for p in m.pools:
            p.admit(m.ix)
            p.logged_in += m.logged_in

    def _index_skills(self, m: Member) -> None:
        for s in m.skills:
            self._members_by_skill.setdefault(s, set()).add(m.ix)

    def _candidate_pools(self, skills: Iterable[str]) -> list[Pool]:
        out = list(self._pools_no_skill)
        for s in skills:
            out.extend(self._pools_by_skill.get(s, ()))
        return out

    def pool(self, alt: Alternative, strategy: Strategy, scope: str = "") -> Pool:
        """The pool for a requirement alternative and strategy; created and filled on first use."""
        if strategy is not Strategy.ROUND_ROBIN:
            scope = ""  # only round-robin keeps per-queue memory
        key = (alt, strategy, scope)
        p = self.pools.get(key)
        if p is not None:
            return p
        p = make_pool(alt, strategy, scope, self.members, self.rng)
        self.pools[key] = p
        if alt:
            self._pools_by_skill.setdefault(alt[0][0], []).append(p)
            cands: Iterable[int] = sorted(self._members_by_skill.get(alt[0][0], ()))
        else:
            self._pools_no_skill.append(p)
            cands = range(len(self.members))
        for ix in cands:
            m = self.members[ix]
            if m.meets(alt):
                m.pools.append(p)
                p.logged_in += m.logged_in
                if m.ready:
                    p.add(m)
        return p

    # --- agent state ----------------------------------------------------------------------
    def set_logged_in(self, m: Member, logged_in: bool) -> None:
        if m.logged_in == logged_in:
            return
        m.logged_in = logged_in
        d = 1 if logged_in else -1
        for p in m.pools:
            p.logged_in += d

    def set_ready(self, m: Member) -> None:
        if m.ready:
            return
        m.ready = True
        for p in m.pools:
            p.add(m)

    def set_unready(self, m: Member) -> None:
        if not m.ready:
            return
        m.ready = False
        for p in m.pools:
            p.remove(m)

    # --- calls ------------------------------------------------------------------------------
    def enqueue(self, w: Waiter, seq: int) -> None:
        w.waiting = True
        w.gen += 1
        for p in w.pools:
            p.push_call(w, seq)

    def dequeue(self, w: Waiter) -> None:
        if not w.waiting:
            return
        w.waiting = False
        for p in w.pools:
            p.call_left()

    # --- decisions --------------------------------------------------------------------------
    def pick_agent(self, w: Waiter) -> Member | None:
        best: tuple[int, Member] | None = None
        best_pool: Pool | None = None
        for p in w.pools:
            if not p.ready:
                continue
            cand = p.best(w.declined)
            if cand is not None and (best is None or cand[0] < best[0]):
                best, best_pool = cand, p
        if best is None:
            return None
        if isinstance(best_pool, RoundRobinPool):
            best_pool.note_offered(best[1].ix)
        return best[1]

    def ring_all_agents(self, w: Waiter) -> list[Member]:
        out: dict[int, Member] = {}
        for p in w.pools:
            for m in p.all_ready():
                if m.ix not in w.declined:
                    out[m.ix] = m
        return [out[ix] for ix in sorted(out)]

    def pick_call(self, m: Member) -> Waiter | None:
        best = None
        for p in m.pools:
            if not p.nwait:
                continue
            cand = p.peek_call_key(m.ix)
            if cand is not None and (best is None or cand[:2] < best[:2]):
                best = cand
        return None if best is None else best[2]
