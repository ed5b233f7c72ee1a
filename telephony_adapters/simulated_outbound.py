"""Simulated called parties: how the far end of an originated call responds, by time of day.

``simulation.outbound`` and its ``changes`` give the regimes of the day; a call meets the
regime in force when it is dialed (answer, machine, busy, failure, ring time) and, once a
person is on the line, the talk time of the regime in force when an agent connects. Every
regime draws from the same random streams, so a scenario with a change and one without see
the same draws up to it (common random numbers).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from random import Random

from acd import events as ev
from acd.commands import Originate
from acd.config.simulation import SimOutbound
from telephony_adapters.distributions import sampler

DAY = 86400.0


class _Regime:
    __slots__ = ("busy_after", "cuts", "hangup_in_message", "ring", "talk")

    def __init__(self, out: SimOutbound, ring_rng: Random, talk_rng: Random) -> None:
        human = out.human_probability
        machine = human + out.machine_probability
        busy = machine + out.busy_probability
        self.cuts = (human, machine, busy, busy + out.failed_probability)
        self.ring: Callable[[], float] = sampler(out.ring_to_answer, ring_rng)  # type: ignore[assignment]
        self.talk: Callable[[], float] = sampler(out.talk_time, talk_rng)  # type: ignore[assignment]
        self.busy_after = out.busy_after_seconds
        self.hangup_in_message = out.message_hangup_probability


class FarEnd:
    """The called parties of every originate; ``start_tod`` is the second of the day at
    simulated time 0."""

    __slots__ = ("_regimes", "_rng", "_starts", "_tod0", "name", "patience")

    def __init__(self, out: SimOutbound, start_tod: float, stream: Callable[[str], Random]) -> None:
        self._rng = stream("outbound")
        ring_rng, talk_rng = stream("outbound:ring"), stream("outbound:talk")
        regimes = out.regimes()
        self._starts = [float(at) for at, _ in regimes]
        self._regimes = [_Regime(o, ring_rng, talk_rng) for _, o in regimes]
        self._tod0 = start_tod
        self.name = ""  # a simulated call's side, as a queue's callers have (no queue, no survey)
        self.patience = None

    def regime(self, now: float) -> _Regime:
        if len(self._regimes) == 1:
            return self._regimes[0]
        tod = (self._tod0 + now) % DAY
        return self._regimes[bisect_right(self._starts, tod) - 1]

    def handle_at(self, now: float) -> float:
        """The talk of a live answer an agent connects to at ``now``."""
        return self.regime(now).talk()

    def dial(
        self, cmd: Originate, now: float
    ) -> tuple[ev.OutboundAnswered | ev.OutboundFailed, float]:
        """Decide the far end's response to a call dialed now, and when it happens."""
        r = self.regime(now)
        u = self._rng.random()
        ring = r.ring()
        human, machine, busy, failed = r.cuts
        if u < machine and ring < cmd.ring_timeout:
            # Without detection (amd off) a machine's answer goes to an agent like a person's.
            return ev.OutboundAnswered(cmd.call_id, machine=u >= human and cmd.amd), now + ring
        if u < machine:  # would have answered, but after we gave up
            return ev.OutboundFailed(cmd.call_id, "no_answer"), now + cmd.ring_timeout
        if u < busy:
            return ev.OutboundFailed(cmd.call_id, "busy"), now + r.busy_after
        if u < failed:
            return ev.OutboundFailed(cmd.call_id, "failed"), now
        return ev.OutboundFailed(cmd.call_id, "no_answer"), now + cmd.ring_timeout
