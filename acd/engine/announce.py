"""Announcements to waiting callers: position and estimated wait on entry and every
``announce.every_seconds``, and the queue's periodic messages in turn.

Timers ``("ann", call_id)`` and ``("msg", call_id)`` run while the call is in the queue and
stop when it leaves it (``CallsMixin._stop_call_timers``). An announcement is said only when
worth saying: never while the call rings an agent (the timer comes back later), the estimate
only when known and at least ``min_ewt_seconds`` (not when the wait is about to end), in minutes
rounded as people say them, and not the same words as last time. An offer that comes while an
announcement plays cuts it (the adapter bridges the caller at once; see docs/asterisk.md).
"""

from __future__ import annotations

import re

from acd.commands import Announce
from acd.engine.base import EngineBase
from acd.engine.ewt import estimator
from acd.entities import CallRt
from acd.states import CallState

_LANG = re.compile(r"^[a-z]{2}(_[A-Z]{2})?$")


def spoken_minutes(seconds: float) -> int:
    """Minutes as people say them: 1-10 to the minute, then 15, 20...30 by 5, then by 10 to an
    hour and a half, then by 15."""
    m = seconds / 60.0
    if m < 10.5:
        return max(1, round(m))
    if m < 32.5:
        return 5 * round(m / 5)
    if m < 95:
        return 10 * round(m / 10)
    return 15 * round(m / 15)


class AnnounceMixin(EngineBase):
    # Last announcement said per call: (position, minutes); dropped with the call's timers.
    _said: dict[str, tuple[int | None, int | None]]

    def _start_announcements(self, c: CallRt, now: float) -> None:
        ann = c.queue.cfg.announce
        assert ann is not None
        if ann.position or ann.ewt:
            self.timers.set(("ann", c.id), now)
        if ann.messages:
            self.timers.set(("msg", c.id), now + ann.messages_every_seconds)

    def _announce(self, call_id: str, now: float) -> None:
        c = self.calls.get(call_id)
        if c is None or not c.present or c.queue.cfg.announce is None:
            return
        ann = c.queue.cfg.announce
        self.timers.set(("ann", c.id), now + ann.every_seconds)
        if c.state is not CallState.WAITING:
            return  # ringing an agent: say nothing now
        est = estimator(self, now)  # type: ignore[arg-type]
        position = est.position(c) if ann.position else None
        minutes = None
        if ann.ewt:
            wait = est.call(c)
            if wait is not None and wait >= ann.min_ewt_seconds:
                minutes = spoken_minutes(wait)
        if minutes is None and (position is None or position <= 1):
            return  # nothing worth saying (next in line, or the wait about to end)
        said = (position, minutes)
        if self._said.get(c.id) == said:
            return
        self._said[c.id] = said
        self._out.append(Announce(c.id, caller_language(c, ann.language), position, minutes))
        for s in c.tallies:
            s.announced += 1

    def _periodic_message(self, call_id: str, now: float) -> None:
        c = self.calls.get(call_id)
        if c is None or not c.present or c.queue.cfg.announce is None:
            return
        ann = c.queue.cfg.announce
        if not ann.messages:
            return
        self.timers.set(("msg", c.id), now + ann.messages_every_seconds)
        if c.state is not CallState.WAITING:
            return
        n = int((now - c.entered) // ann.messages_every_seconds) - 1
        message = ann.messages[n % len(ann.messages)]
        self._out.append(Announce(c.id, caller_language(c, ann.language), message=message))
        for s in c.tallies:
            s.announced += 1


def caller_language(c: CallRt, default: str) -> str:
    """The caller's language where the IVR set one we can say (ACD_LANGUAGE), else the queue's."""
    lang = c.attributes.get("language", "")
    return lang if _LANG.match(lang) else default
