"""Callbacks that keep the caller's place (virtual hold), and callbacks booked for later.

A waiting caller asks for a callback (:class:`acd.events.CallbackRequested`, or after an offer
once the estimated wait passes ``callback.offer_after_ewt_seconds``): the caller hangs up and
the call stays in the queue, with its arrival order, priority and escalation. Routing treats it
as any waiting call; when it reaches an eligible free agent the agent is reserved and the number
dialed with the agent already on the line (``Originate`` with ``agent_id``: the agent sees whom
it calls first). A live answer connects it (the call then goes by the attempt's id, the PBX's);
a failure frees the agent and parks the callback for ``callback.retry_seconds``, up to
``callback.retries`` more attempts, then closes it as ``callback_failed``.

A parked callback is out of the routing pools and keeps its place: outside the called party's
calling hours (``callback_hours``, set by the edge from :mod:`dialer.hours`), between attempts,
or while the PBX link is down (no attempt is spent on a sure failure). Timer ``("cbpark",
call_id)`` ends a park or, while in the pools, marks the end of the calling hours.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from acd import events as ev
from acd.commands import Announce, HangUp, Originate
from acd.config.callback import Window
from acd.engine.announce import caller_language
from acd.engine.base import MV, A, EngineBase
from acd.engine.ewt import estimator
from acd.entities import AgentRt, CallbackRt, CallRt
from acd.errors import IllegalTransition, InvalidEvent, UnknownEntity
from acd.states import CallMove, CallState, Outcome

# (number, calling hours, now) -> (may call now, when that changes; None: never)
CallbackHours = Callable[[str, Window, float], tuple[bool, float | None]]
OFFER_MESSAGE = "acd/callback-offer"  # the prompt offering a callback ("press star...")
OFFER_CHECK_SECONDS = 30.0  # how often a waiting call's estimate is checked against the offer


class CallbacksMixin(EngineBase):
    callback_hours: CallbackHours | None
    trunk_up: bool
    _cb_dials: dict[str, str]  # attempt being dialed -> the call's id
    # Booked for later: id -> (queue, number, at, the agent it was booked "to", or None).
    _cb_booked: dict[str, tuple[str, str, float, str | None]]
    dirty_callbacks: set[str] | None  # callbacks changed since the persister last looked

    # --- requests -------------------------------------------------------------------------
    def _on_callback_requested(self, e: ev.CallbackRequested, now: float) -> None:
        c = self._call(e.call_id)
        cfg = c.queue.cfg.callback
        if cfg is None:
            raise InvalidEvent(f"queue {c.queue.name!r} takes no callbacks")
        if c.callback is not None or c.state is CallState.CONNECTED or not c.present:
            state = "a callback" if c.callback is not None else c.state.value
            raise IllegalTransition("call", c.id, state, "callback request")
        number = e.number or c.caller
        if not number:
            raise InvalidEvent(f"call {c.id!r} has no number to call back: give one")
        released = []
        if c.state is CallState.RINGING:  # pressed while an agent's phone rang: the caller goes
            released = self._release_ringing(c, now, "callback")  # type: ignore[attr-defined]
            self.timers.cancel(("retry", c.id))
            self._call_move(c, CallMove.ALL_MISSED)  # type: ignore[attr-defined]
        self._make_virtual(c, number, now)
        if e.hang_up:
            self._out.append(HangUp(c.id, "callback"))
        self._callback_route(c, now)
        for a in released:
            self._route_agent(a, now)  # type: ignore[attr-defined]

    def _make_virtual(self, c: CallRt, number: str, now: float) -> None:
        for kind in ("maxwait", "ann", "msg"):
            self.timers.cancel((kind, c.id))  # the caller is gone: no time-out, nothing to say
        self._said.pop(c.id, None)
        self._cb_offered.discard(c.id)
        c.callback = CallbackRt(c.id, number, now)
        if self.dirty_calls is not None:
            self.dirty_calls.add(c.id)  # no longer a call in progress: a callback (its store)
        c.queue.virtual += 1
        for s in c.tallies:
            s.callbacks_requested += 1
            s.ended_unanswered(now - c.entered)  # the caller's hold ends here (max wait)
        if self.notices is not None:
            self._notice_call("callback", c, None, now - c.entered)  # type: ignore[attr-defined]
        self._cb_changed(c)

    def _on_schedule_callback(self, e: ev.ScheduleCallback, now: float) -> None:
        """Book a callback: a virtual call of the booked call's queue, entering at ``at``."""
        live = self.calls.get(e.call_id)
        if live is not None:
            queue, caller = live.queue.name, live.caller
        else:
            a = next((x for x in self.agents.values() if x.last_call == e.call_id), None)
            if a is None:
                raise UnknownEntity("call", e.call_id)
            queue, caller = a.last_queue, a.last_caller
        self._book(e.call_id, queue, e.number or caller, e.at, now)

    def _book_from_code(
        self,
        a: AgentRt,
        call_id: str,
        queue: str,
        at: datetime,
        now: float,
        for_agent: str | None = None,
    ) -> None:
        """A disposition with ``callback_at`` on a call of a queue that takes callbacks (a
        campaign's own are the dialer's): naive times are the center's wall clock;
        ``for_agent``: booked "to me" (that agent places it while logged in)."""
        q = self.queues.get(queue)
        if q is None or queue.startswith("campaign:"):
            return  # a campaign's callback codes are the dialer's (its lead book)
        if q.cfg.callback is None:
            raise InvalidEvent(f"queue {queue!r} takes no callbacks: no callback_at")
        cal = self.book.cal
        aware = at if at.tzinfo is not None else at.replace(tzinfo=cal.zone)
        caller = a.call.caller if a.call is not None else a.last_caller
        if for_agent is not None and for_agent not in self.agents:
            raise UnknownEntity("agent", for_agent)
        self._book(call_id, queue, caller, aware.timestamp() - cal.epoch, now, for_agent)

    def _book(
        self,
        call_id: str,
        queue: str,
        number: str,
        at: float,
        now: float,
        for_agent: str | None = None,
    ) -> None:
        q = self.queues.get(queue)
        if q is None or q.closed or q.cfg.callback is None:
            raise InvalidEvent(f"queue {queue!r} takes no callbacks")
        if not number:
            raise InvalidEvent(f"call {call_id!r} has no number to call back: give one")
        if at < now - 1.0:
            raise InvalidEvent("a callback is booked for a time to come")
        self.book_callback(f"{call_id}.later", queue, number, max(at, now), now, for_agent)

    def book_callback(
        self,
        call_id: str,
        queue: str,
        number: str,
        at: float,
        now: float,
        for_agent: str | None = None,
    ) -> None:
        """A callback entering ``queue`` at ``at`` (a booked one, or one restored)."""
        if call_id in self.calls or ("cbjoin", call_id) in self.timers:
            raise InvalidEvent(f"callback {call_id!r} is already booked")
        self._cb_booked[call_id] = (queue, number, at, for_agent)
        self.timers.set(("cbjoin", call_id), at)
        if self.dirty_callbacks is not None:
            self.dirty_callbacks.add(call_id)

    def _callback_join(self, call_id: str, now: float) -> None:
        queue, number, _, for_agent = self._cb_booked.pop(call_id)
        q = self.queues.get(queue)
        if q is None or q.closed or q.cfg.callback is None:
            if self.dirty_callbacks is not None:
                self.dirty_callbacks.add(call_id)  # dropped: the store forgets it
            return
        c = CallRt(call_id, q, 0, number, {}, now, self._next_seq())  # type: ignore[attr-defined]
        c.callback = CallbackRt(call_id, number, now)
        c.callback.for_agent = for_agent
        self.calls[c.id] = c
        self._enter_queue(c, q, now)  # type: ignore[attr-defined]

    def _callback_joined(self, c: CallRt, now: float) -> None:
        """``_enter_queue``'s end for a call that is a callback already (booked, restored)."""
        c.queue.virtual += 1
        for s in c.tallies:
            s.callbacks_requested += 1
        self._callback_route(c, now)

    def _on_cancel_callback(self, e: ev.CancelCallback, now: float) -> None:
        c = self.calls.get(e.call_id)
        if c is None and e.call_id in self._cb_booked:
            del self._cb_booked[e.call_id]
            self.timers.cancel(("cbjoin", e.call_id))
            if self.dirty_callbacks is not None:
                self.dirty_callbacks.add(e.call_id)
            return
        if c is None or c.callback is None:
            raise UnknownEntity("callback", e.call_id)
        if c.state is not CallState.WAITING:
            raise IllegalTransition("callback", c.id, "dialing", "cancel")
        self._close_callback(c, Outcome.CALLBACK_CANCELLED, now)

    # --- the proactive offer --------------------------------------------------------------
    def _callback_offer(self, call_id: str, now: float) -> None:
        c = self.calls.get(call_id)
        if c is None or c.callback is not None or not c.present or call_id in self._cb_offered:
            return
        cfg = c.queue.cfg.callback
        if cfg is None or cfg.offer_after_ewt_seconds is None:
            return
        if c.state is CallState.WAITING:
            wait = estimator(self, now).call(c)  # type: ignore[arg-type]
            if wait is not None and wait >= cfg.offer_after_ewt_seconds:
                self._cb_offered.add(c.id)
                ann = c.queue.cfg.announce
                lang = caller_language(c, ann.language if ann else "en")
                self._out.append(Announce(c.id, lang, message=OFFER_MESSAGE))
                for s in c.tallies:
                    s.announced += 1
                return
        self.timers.set(("cbo", c.id), now + OFFER_CHECK_SECONDS)

    # --- routing a callback ---------------------------------------------------------------
    def _callback_route(self, c: CallRt, now: float) -> None:
        """Into the pools (routed at once if an agent is free), or parked with a reason."""
        cb = c.callback
        assert cb is not None
        self.timers.cancel(("cbpark", c.id))
        if not self.trunk_up:
            self._park(c, "trunk", None)
            return
        hours = self.callback_hours
        if hours is not None:
            cfg = c.queue.cfg.callback
            assert cfg is not None
            open_now, change = hours(cb.number, cfg.calling_hours, now)
            if not open_now:
                self._park(c, "hours", change)
                return
            if change is not None:
                self.timers.set(("cbpark", c.id), change)  # re-checked when the hours end
        if cb.for_agent is not None and self._route_personal(c, cb.for_agent, now):
            return
        cb.parked = ""
        self._cb_changed(c)
        self._route_call(c, now)  # type: ignore[attr-defined]

    def _route_personal(self, c: CallRt, agent_id: str, now: float) -> bool:
        """A callback booked "to me": placed by that agent now if it is ready, else parked for
        it; False (any agent from now on) once it has logged out."""
        a = self.agents.get(agent_id)
        cb = c.callback
        assert cb is not None
        if a is None or a.state is A.LOGGED_OUT:
            cb.for_agent = None
            return False
        if a.state is A.READY and a.pending is None and not self._cb_mine.get(agent_id):
            self.router.dequeue(c)
            self._place_callback(c, a, now)
            return True
        self._park(c, "agent", None)
        mine = self._cb_mine.setdefault(agent_id, [])
        if c.id not in mine:
            mine.append(c.id)
            mine.sort(key=lambda x: self.calls[x].seq)  # its place: earlier callbacks first
        return True

    def _personal_next(self, a: AgentRt, now: float) -> bool:
        """The ready agent ``a`` places the first callback parked for it, if one is."""
        mine = self._cb_mine.get(a.id)
        while mine:
            c = self.calls.get(mine.pop(0))
            if not mine:
                del self._cb_mine[a.id]
            if c is None or c.callback is None or c.callback.parked != "agent":
                continue  # closed, cancelled or routed another way since
            c.callback.parked = ""
            self._place_callback(c, a, now)
            return True
        return False

    def _personal_gone(self, a: AgentRt, now: float) -> None:
        """``a`` logs out: the callbacks parked for it go to any eligible agent, routed at a
        timer due now (not inside the agent's move)."""
        for call_id in self._cb_mine.pop(a.id, []):
            c = self.calls.get(call_id)
            if c is not None and c.callback is not None and c.callback.parked == "agent":
                c.callback.for_agent = None
                self.timers.set(("cbpark", c.id), now)

    def _park(self, c: CallRt, why: str, until: float | None) -> None:
        assert c.callback is not None
        self.router.dequeue(c)
        c.callback.parked = why
        if until is not None:
            self.timers.set(("cbpark", c.id), until)
        self._cb_changed(c)

    def _callback_timer(self, call_id: str, now: float) -> None:
        c = self.calls.get(call_id)
        if c is None or c.callback is None or c.state is not CallState.WAITING:
            return
        if c.callback.parked == "interrupted":  # restored: it was being dialed at the crash
            self._close_callback(c, Outcome.CALLBACK_INTERRUPTED, now)
            return
        self._callback_route(c, now)  # a park ended, or the hours did (parked then)

    def _on_trunk(self, e: ev.TrunkState, now: float) -> None:
        self.trunk_up = e.up
        if e.up:
            for c in [
                c for c in self.calls.values() if c.callback and c.callback.parked == "trunk"
            ]:
                self._callback_route(c, now)

    def _place_callback(self, c: CallRt, a: AgentRt, now: float) -> None:
        """``_offer`` for a callback: reserve the agent and dial with it on the line."""
        assert c.callback is not None
        cb = c.callback
        cfg = c.queue.cfg.callback
        assert cfg is not None
        if not self.trunk_up:
            self._park(c, "trunk", None)
            self._route_agent(a, now)  # type: ignore[attr-defined]
            return
        self._call_move(c, CallMove.OFFER)  # type: ignore[attr-defined]
        if c.first_offer is None:
            c.first_offer = now
        self._move(a, MV.RESERVE, now)  # type: ignore[attr-defined]
        self._move(a, MV.DIAL, now)  # type: ignore[attr-defined]
        a.call = c
        cb.agent = a
        cb.attempts += 1
        cb.dial_id = f"{cb.origin}.cb{cb.attempts}"
        self._cb_dials[cb.dial_id] = c.id
        for s in c.tallies:
            s.callbacks_placed += 1
        self._out.append(
            Originate(
                cb.dial_id,
                cb.number,
                cfg.caller_id,
                cfg.ring_timeout_seconds,
                agent_id=a.id,
                amd=False,
                queue=c.queue.name,
                callback=True,
            )
        )
        if self.notices is not None:
            self._notice_call("offered", c, None, now - c.entered, agent_id=a.id)  # type: ignore[attr-defined]
        self._cb_changed(c)

    # --- how an attempt ends ----------------------------------------------------------------
    def _on_outbound(self, e: ev.OutboundAnswered | ev.OutboundFailed, now: float) -> None:
        call_id = self._cb_dials.pop(e.call_id, None)
        if call_id is None:
            return  # not a callback: the dialer's (or a late report of a closed one)
        c = self.calls[call_id]
        cb = c.callback
        assert cb is not None and cb.agent is not None
        a = cb.agent
        cb.agent = None
        if isinstance(e, ev.OutboundAnswered):
            self._callback_connected(c, a, e.call_id, now)
            return
        a.call = None
        self._move(a, MV.DIAL_ENDED, now)  # type: ignore[attr-defined]
        self._call_move(c, CallMove.ALL_MISSED)  # type: ignore[attr-defined]
        cfg = c.queue.cfg.callback
        if cfg is None or cb.attempts > cfg.retries:
            self._close_callback(c, Outcome.CALLBACK_FAILED, now)
        else:
            self._park(c, "retry", now + cfg.retry_seconds)
        self._after_idle(a, now)  # type: ignore[attr-defined]

    def _callback_connected(self, c: CallRt, a: AgentRt, wire_id: str, now: float) -> None:
        assert c.callback is not None
        cb = c.callback
        cb.connected = True
        self._stop_call_timers(c)  # type: ignore[attr-defined]
        del self.calls[c.id]
        c.id = wire_id  # the PBX knows the connected call by the attempt's id
        self.calls[c.id] = c
        self._connect(c, a, now)  # type: ignore[attr-defined]
        q = c.queue
        q.virtual -= 1
        cfg = q.cfg.callback
        waited = now - cb.requested
        for s in c.tallies:
            s.callbacks_connected += 1
            s.callback_wait_sum += waited
            if cfg is not None and waited <= cfg.service_level_seconds:
                s.callbacks_within += 1
        if self.notices is not None:
            self._notice_call("answered", c, Outcome.ANSWERED, now - c.entered, agent_id=a.id)  # type: ignore[attr-defined]
            self.notices[-1]["callback"] = True
        if self.dirty_callbacks is not None:
            self.dirty_callbacks.add(cb.origin)  # connected: no longer pending

    def _close_callback(self, c: CallRt, outcome: Outcome, now: float) -> None:
        for s in c.tallies:
            if outcome is Outcome.CALLBACK_CANCELLED:
                s.callbacks_cancelled += 1
            else:
                s.callbacks_failed += 1
        self._leave(c, outcome, now, None)  # type: ignore[attr-defined]

    def _callback_left(self, c: CallRt) -> None:
        """The call left its queue as a callback (closed, transferred elsewhere, hung up)."""
        cb = c.callback
        assert cb is not None
        c.queue.virtual -= 1
        self.timers.cancel(("cbpark", c.id))
        mine = self._cb_mine.get(cb.for_agent) if cb.for_agent is not None else None
        if mine and c.id in mine:
            mine.remove(c.id)
        if self.dirty_callbacks is not None:
            self.dirty_callbacks.add(cb.origin)

    def _cb_changed(self, c: CallRt) -> None:
        if self.dirty_callbacks is not None and c.callback is not None:
            self.dirty_callbacks.add(c.callback.origin)

    def pending_callbacks(self, now: float) -> list[dict[str, object]]:
        """Callbacks waiting to be placed or being dialed, and those booked for later."""
        out: list[dict[str, object]] = []
        for c in self.calls.values():
            cb = c.callback
            if cb is None or not c.present:
                continue
            out.append(
                {
                    "id": cb.origin,
                    "queue": c.queue.name,
                    "number": cb.number,
                    "requested_at": cb.requested,
                    "waiting_seconds": now - c.entered,
                    "attempts": cb.attempts,
                    "state": "dialing" if c.state is CallState.RINGING else "waiting",
                    "parked": cb.parked or None,
                    "agent_id": cb.agent.id if cb.agent is not None else None,
                    "for_agent": cb.for_agent,
                    "priority": c.priority,
                }
            )
        for call_id, (queue, number, at, for_agent) in self._cb_booked.items():
            out.append(
                {
                    "id": call_id,
                    "queue": queue,
                    "number": number,
                    "requested_at": None,
                    "due_at": at,
                    "attempts": 0,
                    "state": "booked",
                    "parked": None,
                    "agent_id": None,
                    "for_agent": for_agent,
                    "priority": 0,
                }
            )
        return out


__all__ = ["OFFER_MESSAGE", "CallbackHours", "CallbacksMixin"]
