"""The live driver: the engine on an asyncio loop, woken by one ``call_at`` at its next deadline.

Engine time is Unix seconds derived from the loop's monotonic clock (a wall-clock step cannot
reorder timers). A timeline source, the simulated trunk in real time, is polled the same way;
push sources (the API, the AMI adapter) call ``submit``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from acd import events as ev
from acd.commands import Command
from acd.core import Core
from acd.errors import AcdError
from telephony_adapters.simulated import SimulatedTrunk

if TYPE_CHECKING:  # the daemon hands it in; the driver only calls run()
    from acd.daemon.durable_steps import Persistence

log = logging.getLogger("acd.live")


class LiveDriver:
    def __init__(
        self,
        engine: Core,
        *,
        trunk: SimulatedTrunk | None = None,
        execute: Callable[[Command, float], None] | None = None,
        on_notices: Callable[[list[dict[str, Any]]], None] | None = None,
        on_latency: Callable[[float], None] | None = None,
        on_lag: Callable[[float], None] | None = None,
        persistence: Persistence | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        epoch: float | None = None,
    ) -> None:
        """``loop`` and ``epoch`` (engine time at start) default to the running loop and the
        wall clock; a test hands in a loop whose clock it moves."""
        self.engine = engine
        self.trunk = trunk
        self._execute = execute or (trunk.execute if trunk is not None else (lambda c, t: None))
        self.on_notices = on_notices
        self.on_latency = on_latency
        # Seconds from the moment an input was due to its commands leaving (benchmarks).
        self.on_lag = on_lag
        # Writes what each step changed; holds a step that dials until that write is done.
        self.persistence = persistence
        self.loop = asyncio.get_running_loop() if loop is None else loop
        self._loop_t0 = self.loop.time()
        self.epoch = time.time() if epoch is None else epoch  # engine time at loop time _loop_t0
        self._handle: asyncio.TimerHandle | None = None
        self._armed_for: float | None = None
        self._armed_due: float | None = None
        self._last_now = 0.0
        self.events = 0
        self.closed = False
        engine.notices = [] if on_notices is not None else None

    def now(self) -> float:
        """Engine time: never goes backwards, even after an early timer wake-up."""
        t = self.epoch + (self.loop.time() - self._loop_t0)
        if t < self._last_now:
            return self._last_now
        self._last_now = t
        return t

    def sim_time(self, now: float) -> float:
        """The simulated trunk's virtual time: seconds since the driver started."""
        return now - self.epoch

    # --- inputs ------------------------------------------------------------------------------
    def submit(self, event: ev.Event) -> list[Command]:
        """Apply one event now; raises the engine's domain errors (nothing then changed)."""
        now = self.now()
        t0 = time.perf_counter()
        try:
            commands = self.engine.handle(event, now)
        finally:
            self._after(t0)
        self._run(commands, now)
        self.rearm()
        return commands

    def _fire(self) -> None:
        self._handle = None
        self._armed_due = self._armed_for
        self._armed_for = None
        if self.closed:
            return
        due = self._armed_due
        now = self.now()
        if due is not None and now < due:
            # uvloop rounds timers to milliseconds and may wake us just before the deadline:
            # take the deadline as now rather than spin re-arming until it passes.
            now = self._last_now = due
        t0 = time.perf_counter()
        commands = self.engine.on_timer(now)
        self._after(t0)
        self._run(commands, now)
        if self.on_lag is not None and due is not None and commands:
            self.on_lag(self.now() - due)
        trunk = self.trunk
        if trunk is not None:
            # Compare as next_due() computes (t + epoch): a round trip through now - epoch can
            # land a hair below t and leave the due event for another wake-up.
            while (t := trunk.next_time()) is not None and t + self.epoch <= now:
                _, event = trunk.pop()
                if event is None:
                    continue
                t0 = time.perf_counter()
                try:
                    commands = self.engine.handle(event, now)
                except AcdError as exc:  # a simulated party raced a supervisor action
                    log.info("simulated event refused: %s", exc)
                    commands = []
                self._after(t0)
                self._run(commands, now)
                if self.on_lag is not None and commands:
                    self.on_lag(self.now() - (self.epoch + t))
        self.rearm()

    def _after(self, t0: float) -> None:
        self.events += 1
        if self.on_latency is not None:
            self.on_latency(time.perf_counter() - t0)
        notices = self.engine.notices
        if notices and self.on_notices is not None:
            self.engine.notices = []
            self.on_notices(notices)

    def _run(self, commands: list[Command], now: float) -> None:
        t = self.sim_time(now) if self.trunk is not None else now
        if self.persistence is not None:
            self.persistence.run(commands, now, lambda cmd: self._execute(cmd, t))
            return
        for cmd in commands:
            self._execute(cmd, t)

    # --- the one timer ----------------------------------------------------------------------
    def next_due(self) -> float | None:
        due = self.engine.next_deadline()
        if self.trunk is not None and (t := self.trunk.next_time()) is not None:
            t += self.epoch
            due = t if due is None else min(due, t)
        return due

    def rearm(self) -> None:
        if self.closed:
            return
        due = self.next_due()
        if due == self._armed_for and self._handle is not None:
            return
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._armed_for = due
        if due is not None:
            self._handle = self.loop.call_at(self._loop_t0 + (due - self.epoch), self._fire)

    def start(self) -> None:
        self.rearm()

    def close(self) -> None:
        self.closed = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
