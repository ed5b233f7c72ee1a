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
from acd.history import RENEWAL_GRID
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
_UNIFORM = RENEWAL_GRID  # the renewal excess's grid
_M = len(_UNIFORM)
_ZERO = np.zeros(_N)
_BIG = 1 << 62  # a newcomer's arrival rank: after every call waiting now
# Releases that serve the call itself once those ahead are served: 1 for the mean wait; less a
# third for the median (a Poisson count of mean m reaches k about half the time at m = k - 1/3),
# the number that minimises the absolute error of what callers are told.
SELF_SHARE = 2 / 3
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

        excess = hist.renewal_excess(cycle - handle) if handle else None
        return self._drain(phases, groups, newcomers, per_cycle, ring, excess)

    def _classes(
        self,
        phase_of: dict[int, int],
        groups: dict[GroupKey, tuple[int, QueueRt]],
        newcomers: list[tuple[float, QueueRt]],
    ) -> tuple[list[tuple[frozenset[int], int, list[int]]], list[list[float]]]:
        """The agents who may ever serve the call (``phase_of``: agent -> the escalation phase
        from which it may) split by that phase and by which pools of calls that go first each
        may serve. Pools: the calls ahead per group of agents, and the callers who would cut
        in per queue and priority, as ``[calls, arrivals per second, abandonment hazard]``.
        Returns the classes as (agents, phase, pools it serves) and the pools."""
        sets: list[frozenset[int]] = []
        pools: list[list[float]] = []
        for gk, (n, dq) in groups.items():
            sets.append(self.members(gk))
            pools.append([float(n), 0.0, self.hazard(dq)])
        for r, oq in newcomers:
            sets.append(self.members((oq.name, (), 0)))
            pools.append([0.0, r, self.hazard(oq)])
        by: dict[tuple[int, tuple[int, ...]], set[int]] = {}
        for ix, k in phase_of.items():
            p = tuple(i for i, g in enumerate(sets) if ix in g)
            by.setdefault((k, p), set()).add(ix)
        return [(frozenset(agents), k, list(p)) for (k, p), agents in by.items()], pools

    def _drain(
        self,
        phases: list[tuple[float, frozenset[int]]],
        groups: dict[GroupKey, tuple[int, QueueRt]],
        newcomers: list[tuple[float, QueueRt]],
        per_cycle: float,
        ring: float,
        excess: np.ndarray | None,
    ) -> float | None:
        """The fluid, over every agent who may ever serve the call. The calls that go first
        are pools (per group of agents ahead, and cut-ins) that leave at their hazard and grow
        with cut-ins; each class's releases serve the pools it may serve, in proportion to
        what they hold (an agent takes the first call it may, so a pool is drained by whoever
        frees up first), whether or not the call may go to that class yet. The releases left
        over serve the call (1 of them, less a third: the median, not the mean, of the count
        that reaches it) once the class may take it; before then they are agents left free,
        banked up to the class's size for the moment escalation brings them in. The answer is
        that time plus the mean ring."""
        phase_of: dict[int, int] = {}
        for k, (_, members) in enumerate(phases):
            for ix in members:
                phase_of.setdefault(ix, k)
        cls, pools = self._classes(phase_of, groups, newcomers)
        rel = []
        for agents, *_ in cls:
            f, g = self._sum(agents)
            rel.append(f + g * per_cycle + _renewal_correction(f, excess))
        starts = [phases[c[1]][0] for c in cls]
        serves = [c[2] for c in cls]
        cap = [float(len(c[0])) for c in cls]
        bank = [0.0] * len(cls)
        prev = [0.0] * len(cls)
        us = SELF_SHARE
        for i in range(_N):
            t0 = float(GRID[i - 1]) if i else 0.0
            dt = float(GRID[i]) - t0
            for pool in pools:
                pool[0] = pool[0] * math.exp(-pool[2] * dt) + pool[1] * dt
            spare = 0.0
            for j, r in enumerate(rel):
                cur = float(r[i])
                gained = max(0.0, cur - prev[j])
                prev[j] = cur
                held = sum(pools[m][0] for m in serves[j])
                if held > 0.0 and gained > 0.0:
                    take = min(held, gained)
                    keep = 1.0 - take / held
                    for m in serves[j]:
                        pools[m][0] *= keep
                    gained -= take
                if starts[j] <= t0:
                    spare += gained + bank[j]
                    bank[j] = 0.0
                else:
                    bank[j] = min(cap[j], bank[j] + gained)
            if spare >= us:
                return (t0 + dt * us / spare if i else 0.0) + ring
            us -= spare
        rate = len(phases[-1][1]) * per_cycle  # beyond the grid: the agents' steady release rate
        if rate <= 0:
            return None
        return float(GRID[-1]) + (sum(p[0] for p in pools) + us) / rate + ring


def _renewal_correction(f: np.ndarray, excess: np.ndarray | None) -> np.ndarray:
    """What the steady rate miscounts of the releases after each agent's first: the first
    releases (``f``, their expected count by each time of the grid) convolved with the renewal
    excess of one agent freed at 0 (:meth:`~acd.history.QueueHistory.renewal_excess`)."""
    if excess is None:
        return _ZERO
    df = np.diff(np.interp(_UNIFORM, GRID, f), prepend=0.0)
    conv = np.fft.irfft(np.fft.rfft(df, 2 * _M) * excess, 2 * _M)[:_M]
    return np.interp(GRID, _UNIFORM, conv)


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
