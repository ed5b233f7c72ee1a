"""Pending callbacks as plain data for a store, and back: they outlive a restart or fail-over.

A caller who asked for a callback has hung up: nothing on the PBX holds the promise, so the
store must. A pending callback is saved whole whenever it changes (requested, parked, dialed,
failed) and deleted when it connects or closes. Restored, it takes its place again in arrival
order (ahead of every caller who arrives after the restart) and its figures count where they
did. One that was being dialed when the daemon died is closed as ``callback_interrupted``, not
dialed again: the attempt may have reached the caller, and a callback is never placed twice.
"""

from __future__ import annotations

from typing import Any

from acd.engine.base import EngineBase
from acd.entities import CallbackRt, CallRt


class CallbackStoreMixin(EngineBase):
    _cb_booked: dict[str, tuple[str, str, float, str | None]]

    def callback_state(self, call_id: str) -> dict[str, Any] | None:
        """What a store keeps of the pending callback ``call_id`` (its caller's call id), or
        None when there is none any more (connected, closed, or dropped)."""
        booked = self._cb_booked.get(call_id)
        if booked is not None:
            queue, number, at, for_agent = booked
            return {
                "id": call_id,
                "booked": True,
                "queue": queue,
                "number": number,
                "at": at,
                "for_agent": for_agent,
            }
        c = self.calls.get(call_id)
        cb = c.callback if c is not None else None
        if c is None or cb is None or cb.connected or not c.present:
            return None
        return {
            "id": call_id,
            "queue": c.queue.name,
            "number": cb.number,
            "caller": c.caller,
            "priority": c.priority,
            "skills": dict(c.extra),
            "attributes": dict(c.attributes),
            "arrived": c.arrived,
            "entered": c.entered,
            "requested": cb.requested,
            "attempts": cb.attempts,
            "for_agent": cb.for_agent,
            "dialing": bool(cb.dial_id) and cb.agent is not None,
            "seq": c.seq,
            "date": c.day_key if c.tallies else None,
            "start": c.row_lo,
        }

    def restore_callbacks(self, entries: list[dict[str, Any]], now: float) -> dict[str, int]:
        """Put saved callbacks back (a freshly built engine, agents' sessions replayed)."""
        counts = {"callbacks_pending": 0, "callbacks_booked": 0, "callbacks_interrupted": 0}
        for e in sorted(entries, key=lambda x: (float(x.get("arrived", x.get("at", 0))), x["id"])):
            q = self.queues.get(str(e["queue"]))
            if q is None or q.closed or q.cfg.callback is None:
                continue
            if e.get("booked"):
                self.book_callback(  # type: ignore[attr-defined]
                    str(e["id"]), q.name, str(e["number"]), float(e["at"]), now, _agent(e)
                )
                counts["callbacks_booked"] += 1
                continue
            c = CallRt(
                str(e["id"]),
                q,
                int(e.get("priority", 0)),
                str(e.get("caller", "")),
                {str(k): int(v) for k, v in (e.get("skills") or {}).items()},
                float(e["arrived"]),
                self._next_seq(),  # type: ignore[attr-defined]
            )
            self.orphans.pop(c.id, None)  # kept as a callback, not settled as a cut call
            if e.get("attributes"):
                c.attributes = {str(k): str(v) for k, v in e["attributes"].items()}
            cb = c.callback = CallbackRt(c.id, str(e["number"]), float(e["requested"]))
            cb.attempts = int(e.get("attempts", 0))
            cb.for_agent = _agent(e)
            self._restore_tallies(c, e)
            self.calls[c.id] = c
            c.entered = float(e["entered"])
            c.present = True
            q.present += 1
            q.virtual += 1
            self._set_level(c, 0)  # type: ignore[attr-defined]
            if e.get("dialing"):
                # Dialed when the daemon died: it may have reached the caller. Closed (at the
                # first timer, so its record reaches the store), never dialed again.
                self._park(c, "interrupted", now)  # type: ignore[attr-defined]
                counts["callbacks_interrupted"] += 1
                continue
            steps = q.cfg.escalation
            while c.esc_level < len(steps) and c.entered + steps[c.esc_level].after_seconds <= now:
                self._set_level(c, c.esc_level + 1)  # type: ignore[attr-defined]
            if c.esc_level < len(steps):
                self.timers.set(("esc", c.id), c.entered + steps[c.esc_level].after_seconds)
            # In its place in the pools at once; offered at the first timer (due now, which a
            # driver fires before any input), whose commands reach the PBX.
            self.router.enqueue(c, c.seq)
            self.timers.set(("cbpark", c.id), now)
            counts["callbacks_pending"] += 1
        return counts

    def _restore_tallies(self, c: CallRt, e: dict[str, Any]) -> None:
        """Where the call's figures count: the rows of its entry the book holds again."""
        day = e.get("date")
        if not day:
            return
        start = float(e.get("start", 0.0))
        book = self.book
        q = c.queue
        base = q.base if day == book.today else book.queue_days.get((str(day), q.name))
        tallies = book.targets(base, book.queue_rows.get((start, q.name)))
        if not tallies:
            return
        c.tallies = tallies
        c.row_lo = start
        c.day_key = str(day)


def _agent(e: dict[str, Any]) -> str | None:
    """The agent a saved callback was booked "to" (None: any; saved before there was one)."""
    got = e.get("for_agent")
    return str(got) if got else None
