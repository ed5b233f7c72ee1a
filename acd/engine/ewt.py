"""Estimated wait time (EWT) of a waiting call, computed when read, from what the engine knows.

For a call ``c`` waiting at escalation level ``L`` the estimate is the time until the agents who
may take it have freed up often enough to serve the calls they would serve first, then ``c``:

- **Who may serve it:** the working agents (ready, ringing, on a call, in wrap-up; not paused,
  not about to pause or log out) that meet one of the requirement alternatives of the call's
  current level, and, from the moment each later escalation step is due, of that level.
- **When they free up:** ``D(t)``, the expected number of times those agents become free within
  ``t`` seconds. An agent on a call has an elapsed handle time ``e``: its remaining time is drawn
  from the queue's recent handle times longer than ``e`` (the empirical residual, so a long
  call is expected to go on longer), plus its wrap-up; in wrap-up, the wrap-up left; ringing,
  the rest of the ring, a whole handle time and wrap-up; ready, now. After that first release an
  agent frees up once per cycle (the call's queue's mean handle + wrap-up + ring time).
  ``D(t) = sum over agents of P(first release <= t) + E[(t - first release)+] / cycle``.
- **Who goes first:** the calls waiting ahead of it in the call order (queue priority, call
  priority, arrival; escalation bumps included, as ``order_key`` holds them), each weighted by
  the share of its own working agents that also serve ``c`` (a call that only half of ``c``'s
  agents could take uses half an agent on average); callers arriving later with a better key
  (recent arrival rates per queue and priority, same weighting); and abandonment: calls ahead
  leave at the recent hazard of their queue (abandons per second waited).

The calls ahead are a fluid drained by ``D``: ``c`` is answered when the releases have served
the calls ahead that are still there, then ``c`` itself; the estimate is that time plus the
queue's mean ring time. Times are taken on a fixed grid (1 s steps at first, coarser later)
and interpolated; beyond the grid the agents' cycle rate extrapolates.

``None`` (unknown), never a guess: no working agent can serve the call at any level (no one
logged in, or all of them paused), or the queues have no handle-time history yet while every
eligible agent is busy. The estimate reads the engine and changes nothing; building one
:class:`Estimator` costs O(agents x grid) with numpy, then O(waiting calls + grid) per call.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from acd.engine.base import requirement_levels
from acd.entities import AgentRt, CallRt, QueueRt
from acd.states import AgentState, CallState
from routing.members import Alternative

if TYPE_CHECKING:
    from acd.engine import Engine

A = AgentState
GRID = np.concatenate(
    [
        np.arange(0.0, 120.0, 1.0),
        np.arange(120.0, 600.0, 5.0),
        np.arange(600.0, 3600.0, 30.0),
        np.arange(3600.0, 4 * 3600.0 + 1, 300.0),
    ]
)
_N = len(GRID)
_ZERO = np.zeros(_N)
_BIG = 1 << 62  # a newcomer's arrival rank: after every call waiting now
GroupKey = tuple[str, tuple[tuple[str, int], ...], int]  # queue, extra skills, level


class Estimator:
    """Estimates at one instant ``now`` (build a new one after the engine moves)."""

    def __init__(self, engine: Engine, now: float) -> None:
        self.engine = engine
        self.now = now
        self.working = [
            a
            for a in engine.agents.values()
            if a.state not in (A.LOGGED_OUT, A.PAUSED) and a.pending is None and not a.retiring
        ]
        self._samples: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._release: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._members: dict[GroupKey, frozenset[int]] = {}
        self._sums: dict[frozenset[int], tuple[np.ndarray, np.ndarray]] = {}
        self._weights: dict[tuple[frozenset[int], frozenset[int]], float] = {}
        self._hazard: dict[str, float] = {}
        self.waiting = sorted(
            (c for c in engine.calls.values() if c.state is CallState.WAITING and c.present),
            key=lambda c: (c.order_key, c.seq),
        )

    # --- agents ------------------------------------------------------------------------------
    def _queue_samples(self, q: QueueRt) -> tuple[np.ndarray, np.ndarray]:
        got = self._samples.get(q.name)
        if got is None:
            s, sums = q.hist.sorted_handle()
            got = self._samples[q.name] = (np.asarray(s), np.asarray(sums))
        return got

    def _agent_release(self, a: AgentRt) -> tuple[np.ndarray, np.ndarray]:
        """(P(first release <= t), E[(t - first release)+]) on the grid, for agent ``a``."""
        got = self._release.get(a.ix)
        if got is not None:
            return got
        now = self.now
        st = a.state
        call = a.call
        if st is A.READY:
            got = _fixed(0.0)
        elif st is A.WRAP_UP:
            due = self.engine.timers.due(("wrap", a.ix))
            left = max(0.0, due - now) if due is not None else 0.0
            q = self.engine.queues.get(a.last_queue)
            if q is not None and q.hist.wrap:
                e = now - a.since
                longer = [w - e for w in q.hist.wrap if w > e]
                if longer:
                    left = min(left, sum(longer) / len(longer))
            got = _fixed(left)
        elif call is not None and st in (A.ON_CALL, A.RINGING, A.DIALING):
            q = call.queue
            wrap = q.hist.mean_wrap(q.cfg.wrap_up_seconds)
            if st is A.ON_CALL and call.answered_at is not None:
                got = self._residual(q, now - call.answered_at, wrap)
            else:
                rest = max(0.0, q.hist.mean_ring() - (now - a.since))
                got = self._residual(q, 0.0, rest + wrap)
        else:
            got = (_ZERO, _ZERO)  # reserved for a lead, or no call we know: no release known
        self._release[a.ix] = got
        return got

    def _residual(self, q: QueueRt, elapsed: float, shift: float) -> tuple[np.ndarray, np.ndarray]:
        s, sums = self._queue_samples(q)
        n = len(s)
        if n == 0:
            return _ZERO, _ZERO  # no handle time seen yet: unknown
        i0 = int(np.searchsorted(s, elapsed, side="right"))
        ne = n - i0
        if ne == 0:  # longer than every call seen: expect a little more
            return _fixed(shift + max(1.0, 0.25 * float(sums[-1]) / n))
        x = GRID - shift
        pos = x >= 0
        xc = np.where(pos, x, 0.0)
        i1 = np.searchsorted(s, elapsed + xc, side="right")
        cnt = (i1 - i0).astype(float)
        within = sums[i1] - sums[i0]
        f = np.where(pos, cnt / ne, 0.0)
        g = np.where(pos, (cnt * (xc + elapsed) - within) / ne, 0.0)
        return f, g

    def members(self, key: GroupKey) -> frozenset[int]:
        got = self._members.get(key)
        if got is None:
            alts = self._alternatives(key)
            got = frozenset(a.ix for a in self.working if any(a.meets(alt) for alt in alts))
            self._members[key] = got
        return got

    def _alternatives(self, key: GroupKey) -> list[Alternative]:
        name, extra, level = key
        q = self.engine.queues[name]
        if not extra:
            return [p.alt for p in q.levels[min(level, len(q.levels) - 1)]]
        base = dict(q.cfg.skills)
        for s, lvl in extra:
            base[s] = max(base.get(s, 0), lvl)
        levels = requirement_levels(base, q.cfg.escalation)
        return levels[min(level, len(levels) - 1)][0]

    def _sum(self, group: frozenset[int]) -> tuple[np.ndarray, np.ndarray]:
        got = self._sums.get(group)
        if got is None:
            f, g = np.zeros(_N), np.zeros(_N)
            members = self.engine.router.members
            for ix in group:
                a = members[ix]
                assert isinstance(a, AgentRt)
                fa, ga = self._agent_release(a)
                f += fa
                g += ga
            got = self._sums[group] = (f, g)
        return got

    def _weight(self, other: frozenset[int], mine: frozenset[int]) -> float:
        """The share of ``other``'s agents that are also ``mine``."""
        key = (other, mine)
        w = self._weights.get(key)
        if w is None:
            w = self._weights[key] = len(other & mine) / len(other) if other else 0.0
        return w

    def hazard(self, q: QueueRt) -> float:
        """Abandons per second waited: the recent departures' waits, and the time the callers
        still waiting have waited so far (censored: leaving them out would overstate the
        hazard while a queue builds up)."""
        h = self._hazard.get(q.name)
        if h is None:
            waiting = sum(self.now - c.entered for c in self.waiting if c.queue is q)
            h = self._hazard[q.name] = q.hist.hazard(waiting)
        return h

    # --- calls -------------------------------------------------------------------------------
    def call(self, c: CallRt) -> float | None:
        """The estimate for call ``c``: seconds until an agent answers it, or None."""
        if c.state is CallState.RINGING:
            since = min((a.since for a in c.ringing.values()), default=self.now)
            return max(0.0, c.queue.hist.mean_ring() - (self.now - since))
        if c.state is not CallState.WAITING or not c.present:
            return None
        ahead = [d for d in self.waiting if (d.order_key, d.seq) < (c.order_key, c.seq)]
        extra = tuple(sorted(c.extra.items()))
        return self._estimate(c.queue, extra, c.esc_level, c.entered, c.order_key, ahead)

    def position(self, c: CallRt) -> int:
        """1 + the waiting calls ahead of ``c`` that its working agents would serve first (the
        calls ahead in its own queue when no working agent can serve it)."""
        extra = tuple(sorted(c.extra.items()))
        mine = self.members((c.queue.name, extra, c.esc_level))
        n = 0
        for d in self.waiting:
            if d is c or (d.order_key, d.seq) >= (c.order_key, c.seq):
                break
            if mine:
                dk = (d.queue.name, tuple(sorted(d.extra.items())) if d.extra else (), d.esc_level)
                n += self._weight(mine, self.members(dk)) > 0
            else:
                n += d.queue is c.queue
        return n + 1

    def arriving(self, q: QueueRt, priority: int = 0) -> float | None:
        """The estimate for a caller entering queue ``q`` now, with ``priority``."""
        key = self._newcomer_key(q, priority)
        ahead = [d for d in self.waiting if d.order_key < key]
        return self._estimate(q, (), 0, self.now, key, ahead)

    def _newcomer_key(self, q: QueueRt, priority: int) -> tuple[int, ...]:
        parts = []
        for k, sign in self.engine._order:
            if k == "queue_priority":
                parts.append(sign * q.cfg.priority)
            elif k == "call_priority":
                parts.append(sign * priority)
            else:
                parts.append(_BIG)
        return tuple(parts)

    def _estimate(
        self,
        q: QueueRt,
        extra: tuple[tuple[str, int], ...],
        level: int,
        entered: float,
        key: tuple[int, ...],
        ahead: list[CallRt],
    ) -> float | None:
        steps = q.cfg.escalation
        phases = [(0.0, self.members((q.name, extra, level)))]
        for j in range(level, len(steps)):
            at = max(0.0, entered + steps[j].after_seconds - self.now)
            phases.append((at, phases[-1][1] | self.members((q.name, extra, j + 1))))
        if not phases[-1][1]:
            return None  # no working agent can serve it, now or after escalation
        hist = q.hist
        handle = hist.mean_handle()
        ring = hist.mean_ring()
        cycle = (handle + hist.mean_wrap(q.cfg.wrap_up_seconds) + ring) if handle else 0.0
        per_cycle = 1.0 / cycle if cycle > 0 else 0.0
        # Calls ahead by their own group of agents (a group per queue, extra skills and level).
        groups: dict[GroupKey, tuple[int, QueueRt]] = {}
        for d in ahead:
            gk = (d.queue.name, tuple(sorted(d.extra.items())) if d.extra else (), d.esc_level)
            n, _ = groups.get(gk, (0, d.queue))
            groups[gk] = (n + 1, d.queue)
        newcomers = []  # (rate per second, queue) of arrivals that would go ahead
        for other in self.engine.queues.values():
            for prio, rate in other.hist.arrival_rates(self.now).items():
                if self._newcomer_key(other, prio) < key:
                    newcomers.append((rate, other))

        return self._drain(phases, groups, newcomers, per_cycle, ring)

    def _classes(
        self,
        mine: frozenset[int],
        groups: dict[GroupKey, tuple[int, QueueRt]],
        newcomers: list[tuple[float, QueueRt]],
    ) -> list[tuple[frozenset[int], float, float, float]]:
        """``mine`` split by which groups ahead (and which newcomers) each agent may serve: per
        class (agents, calls ahead it must serve first, cut-in rate, abandonment hazard).

        A group's calls go to the agents who may take them, in proportion: a class holding a
        share of a group's agents serves that share of its calls. So calls ahead that only some
        of ``mine`` may take hold back only those (a VIP call ahead does not delay a caller
        whom agents without the VIP skill free up for)."""
        demands: list[tuple[frozenset[int], float, float]] = []  # (agents, count, hazard)
        for gk, (n, dq) in groups.items():
            demands.append((self.members(gk), float(n), self.hazard(dq)))
        rates = [(self.members((oq.name, (), 0)), r, self.hazard(oq)) for r, oq in newcomers]
        pattern: dict[int, tuple[bool, ...]] = {}
        for ix in mine:
            pattern[ix] = tuple(ix in g for g, _, _ in demands) + tuple(
                ix in g for g, _, _ in rates
            )
        by: dict[tuple[bool, ...], set[int]] = {}
        for ix, p in pattern.items():
            by.setdefault(p, set()).add(ix)
        out = []
        for p, agents in by.items():
            size = len(agents)
            load = hload = lam = hlam = 0.0
            for i, (g, n, h) in enumerate(demands):
                if p[i]:
                    w = n * size / len(g)
                    load += w
                    hload += w * h
            for j, (g, r, h) in enumerate(rates):
                if p[len(demands) + j]:
                    w = r * size / len(g)
                    lam += w
                    hlam += w * h
            hz = hload / load if load > 0 else (hlam / lam if lam > 0 else 0.0)
            out.append((frozenset(agents), load, lam, hz))
        return out

    def _drain(
        self,
        phases: list[tuple[float, frozenset[int]]],
        groups: dict[GroupKey, tuple[int, QueueRt]],
        newcomers: list[tuple[float, QueueRt]],
        per_cycle: float,
        ring: float,
    ) -> float | None:
        """The fluid: each class's releases first serve its calls ahead (which leave at their
        hazard, and grow with cut-ins); the releases left over, summed over classes, serve the
        call (1 of them). The answer is that time plus the mean ring."""

        def build(
            mine: frozenset[int],
        ) -> tuple[list[np.ndarray], list[float], list[float], list[float], list[float]]:
            """Per class: releases, calls ahead, cut-in rate, hazard, and the share of its
            agents already counted before (those of the previous phase)."""
            cls = self._classes(mine, groups, newcomers)
            rel = []
            for agents, _, _, _ in cls:
                f, g = self._sum(agents)
                rel.append(f + g * per_cycle)
            seen = [len(c[0] & counted) / len(c[0]) for c in cls]
            return rel, [c[1] for c in cls], [c[2] for c in cls], [c[3] for c in cls], seen

        k = 0
        counted: frozenset[int] = frozenset()
        rel, left, lam, hz, _ = build(phases[0][1])
        counted = phases[0][1]
        us = 1.0
        prev = [float(r[0]) for r in rel]
        for j, p in enumerate(prev):
            take = min(left[j], p)
            left[j] -= take
            us -= p - take
        if us <= 0:
            return ring
        for i in range(1, _N):
            t0, t1 = float(GRID[i - 1]), float(GRID[i])
            while k + 1 < len(phases) and phases[k + 1][0] <= t1:
                k += 1
                total = sum(left)
                rel, new_left, lam, hz, seen = build(phases[k][1])
                counted = phases[k][1]
                base = sum(new_left)
                # What is still ahead, spread over the new classes as they would hold it.
                left = [x * total / base if base > 0 else 0.0 for x in new_left]
                # Agents new to the call release at once what they would have released by now.
                prev = [float(r[i - 1]) * w for r, w in zip(rel, seen, strict=True)]
            dt = t1 - t0
            spare = 0.0
            for j, r in enumerate(rel):
                left[j] = left[j] * math.exp(-hz[j] * dt) + lam[j] * dt
                cur = float(r[i])
                gained = max(0.0, cur - prev[j])
                prev[j] = cur
                take = min(left[j], gained)
                left[j] -= take
                spare += gained - take
            if spare >= us:
                return t0 + dt * us / spare + ring
            us -= spare
        rate = len(phases[k][1]) * per_cycle  # beyond the grid: the agents' steady release rate
        if rate <= 0:
            return None
        return float(GRID[-1]) + (sum(left) + us) / rate + ring


def _fixed(at: float) -> tuple[np.ndarray, np.ndarray]:
    """A release at exactly ``at`` seconds from now."""
    return (at <= GRID).astype(float), np.maximum(GRID - at, 0.0)


def estimator(engine: Engine, now: float, within: float = 0.0) -> Estimator:
    """The engine's estimator at ``now``, reused until the engine handles another input;
    ``within``: also one built up to that many seconds earlier (views refreshed each second,
    one per agent desk, share one instead of building one each)."""
    cached = engine._ewt
    if (
        cached is not None
        and cached[1] == engine.events_handled
        and 0.0 <= now - cached[0] <= within
    ):
        return cached[2]
    est = Estimator(engine, now)
    engine._ewt = (now, engine.events_handled, est)
    return est
