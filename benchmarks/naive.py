"""A naive router for baselines: scans every agent (or every waiting call) for each decision.

This is how app_queue and mod_callcenter decide (re-check everything on a timer); it keeps the
same bookkeeping as the indexed router so only the decision differs.
"""

from __future__ import annotations

from routing.members import Member, Waiter
from routing.router import Router


class NaiveRouter(Router):
    def __init__(self, *args, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kw)
        self.waiting: dict[int, tuple[int, Waiter]] = {}

    def set_ready(self, m: Member) -> None:
        m.ready = True  # no index to maintain

    def set_unready(self, m: Member) -> None:
        m.ready = False

    def enqueue(self, w: Waiter, seq: int) -> None:
        w.waiting = True
        w.gen += 1
        self.waiting[id(w)] = (seq, w)

    def dequeue(self, w: Waiter) -> None:
        w.waiting = False
        self.waiting.pop(id(w), None)

    def pick_agent(self, w: Waiter) -> Member | None:
        best = None
        alts = [p.alt for p in w.pools]
        for m in self.members:  # scan every agent
            if not m.ready or m.ix in w.declined:
                continue
            if any(m.meets(a) for a in alts) and (best is None or m.idle_seq < best.idle_seq):
                best = m
        return best

    def pick_call(self, m: Member) -> Waiter | None:
        best = None
        for seq, w in self.waiting.values():  # scan every waiting call
            if m.ix in w.declined or not any(m.meets(p.alt) for p in w.pools):
                continue
            key = (w.order_key, seq)
            if best is None or key < best[0]:
                best = (key, w)
        return None if best is None else best[1]
