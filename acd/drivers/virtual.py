"""The simulation driver: a virtual clock that jumps to the next trunk happening or engine timer.

Engine timers due at the same instant as a trunk happening run first, and the trunk's heap
orders equal times by sequence number, so a run is a pure function of the scenario and seed.
"""

from __future__ import annotations

from collections.abc import Callable

from acd.core import Core
from telephony_adapters.simulated import SimulatedTrunk


class SimulationDriver:
    def __init__(self, engine: Core, trunk: SimulatedTrunk) -> None:
        self.engine = engine
        self.trunk = trunk
        self.now = 0.0
        self.events = 0

    def run(
        self,
        until: float,
        *,
        warmup: float = 0.0,
        drain: bool = True,
        progress: Callable[[float], None] | None = None,
    ) -> float:
        """Run arrivals up to ``until``; with ``drain``, go on until every call has ended.

        Returns the simulated time at which the run stopped.
        """
        engine, trunk = self.engine, self.trunk
        handle, on_timer, execute = engine.handle, engine.on_timer, trunk.execute
        next_deadline, next_time, pop = engine.next_deadline, trunk.next_time, trunk.pop
        warm_pending = warmup > 0
        stop = float("inf") if drain else until
        events = 0
        now = last = self.now
        while True:
            td = next_deadline()
            te = next_time()
            if td is None and te is None:
                break
            timer_first = td is not None and (te is None or td <= te)
            now = td if timer_first else te  # type: ignore[assignment]
            if now > stop or (now > until and drain and not engine.in_progress()):
                # Past the day and nothing left in progress: the run ends at the day's end or
                # its last happening, not at the next one (an interval tick, say).
                now = max(last, until)
                break
            if warm_pending and now >= warmup:
                engine.reset_stats(warmup)
                warm_pending = False
            if timer_first:
                commands = on_timer(now)
            else:
                _, event = pop()
                if event is None:
                    continue
                commands = handle(event, now)
            for cmd in commands:
                execute(cmd, now)
            last = now
            events += 1
            if progress is not None and not events & 0x3FFF:
                progress(now)
        self.now = now
        self.events += events
        return self.now
