"""The simulated trunk: simulated callers and simulated agents, driven by a virtual clock.

It produces inbound calls (Poisson arrivals, rate per interval of the day), caller patience and
handle times, and plays the agents' phones (ring delay, sometimes no answer). Every random
stream is its own ``random.Random`` derived from the seed, so one change to a scenario does not
shift the draws of another stream (common random numbers across policies).
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import deque
from collections.abc import Callable
from random import Random

from acd import events as ev
from acd.commands import (
    Announce,
    CancelOffer,
    Command,
    HangUp,
    Monitor,
    MoveToQueue,
    OfferCall,
    Originate,
    ShowPreview,
    StopMonitor,
)
from acd.config.schema import Config, Simulation, Traffic, hhmm_seconds
from acd.engine.callbacks import OFFER_MESSAGE as CALLBACK_OFFER
from telephony_adapters.distributions import sampler
from telephony_adapters.sim_records import MonitorRecord, Said, saying_seconds

log = logging.getLogger("acd.trunk")

DAY = 86400.0

# Kinds of scheduled trunk happenings (small ints compare fast in the heap).
(
    ARRIVAL,
    PATIENCE_OUT,
    AGENT_ANSWERS,
    TALK_ENDS,
    OUTBOUND,
    WRAP_ENDS,
    PREVIEW_DIAL,
    CODE,
    SCORE,
    CALLBACK_ASK,
) = range(10)
SURVEY_SECONDS = 8.0  # from the end of the talk to the caller's digit
# A simulated caller's side of the call.
WAITING, TALKING, DONE = 0, 1, 2


def rate_segments(
    traffic: Traffic, start_tod: float, horizon: float
) -> list[tuple[float, float, float]]:
    """Piecewise-constant arrival rate as (t0, t1, calls per second) over [0, horizon)."""
    if traffic.calls_per_hour is not None:
        return [(0.0, horizon, traffic.calls_per_hour / 3600.0)]
    prof = [(hhmm_seconds(i.start), i.calls_per_hour / 3600.0) for i in traffic.profile or []]

    def rate_at(tod: float) -> float:
        r = prof[-1][1]  # before the first interval the day wraps to the last one
        for s, rate in prof:
            if s <= tod:
                r = rate
        return r

    # Boundaries in simulation time: every profile start, each day, inside the horizon.
    bounds = {0.0, horizon}
    day0 = -start_tod
    while day0 < horizon:
        for s, _ in prof:
            t = day0 + s
            if 0 < t < horizon:
                bounds.add(t)
        day0 += DAY
    pts = sorted(bounds)
    return [(a, b, rate_at((start_tod + a) % DAY)) for a, b in itertools.pairwise(pts)]


class SimulatedTrunk:
    def __init__(
        self, config: Config, sim: Simulation, *, seed: int | None = None, call_prefix: str = ""
    ) -> None:
        self.config = config
        self.sim = sim
        seed = sim.seed if seed is None else seed
        self.horizon = sim.hours * 3600.0
        start_tod = float(hhmm_seconds(sim.start))
        self._heap: list[tuple[float, int, int, object]] = []
        self._seq = 0
        self._ncalls = 0
        self.call_prefix = call_prefix  # a live daemon's calls must not repeat ids across starts

        def stream(name: str) -> Random:
            return Random(f"{seed}:{name}")

        self._answer_rng = stream("agents")
        self._answer_delay = sampler(sim.agents.answer_delay, stream("agents:delay"))
        self._wrap = sampler(sim.agents.wrap_up, stream("agents:wrap"))
        self._no_answer_p = sim.agents.no_answer_probability
        self.people = frozenset(sim.agents.people)  # agents a person works: left alone
        self._queues: dict[str, _QueueGen] = {}
        for name, tr in sim.traffic.items():
            self._queues[name] = _QueueGen(
                name,
                tr,
                rate_segments(tr, start_tod, self.horizon),
                stream(f"arrivals:{name}"),
                sampler(tr.handle_time, stream(f"handle:{name}")),  # type: ignore[arg-type]
                sampler(tr.patience, stream(f"patience:{name}")),
            )
        self._calls: dict[str, _SimCall] = {}
        self.said: list[Said] = []  # every announcement played, in order
        self._saying: dict[str, Said] = {}  # the one playing to each call
        self._live_offers: set[tuple[str, str]] = set()
        out = sim.outbound
        self._out_rng = stream("outbound")
        self._out_ring = sampler(out.ring_to_answer, stream("outbound:ring"))
        self._out_cuts = (
            out.human_probability,
            out.human_probability + out.machine_probability,
            out.human_probability + out.machine_probability + out.busy_probability,
            out.human_probability
            + out.machine_probability
            + out.busy_probability
            + out.failed_probability,
        )
        self._out_pending: set[str] = set()
        self.monitors: dict[str, MonitorRecord] = {}  # every monitor, ended ones included
        self._out_agent: dict[str, str] = {}  # agent-targeted originates: call -> agent
        # Preview mode: simulated agents dial a shown lead after a think time.
        self._think = sampler(sim.agents.preview_think, stream("agents:preview"))
        self._out_talk = _Talk(sampler(out.talk_time, stream("outbound:talk")))  # type: ignore[arg-type]
        # Wrap-up codes by queue (a campaign's by its internal queue): (codes, weights).
        self._codes = {
            (f"campaign:{n}" if n in {c.name for c in config.campaigns} else n): (
                list(w),
                list(w.values()),
            )
            for n, w in sim.agents.dispositions.items()
        }
        self._code_rng = stream("agents:dispositions")
        self._repeat_rng = stream("callers:repeat")  # drawn only where repeat_share is set
        # Post-call surveys: the queues that have one, and how callers answer.
        self._survey_scale = {q.name: q.survey.scale for q in config.queues if q.survey}
        self._survey = sim.survey
        self._survey_scores = (list(sim.survey.scores), list(sim.survey.scores.values()))
        self._survey_rng = stream("callers:survey")
        self._callback = sim.callback  # callers offered a callback, and callbacks answered
        self._callback_queues = {q.name for q in config.queues if q.callback is not None}
        self._moved: dict[str, str] = {}  # callers moved to another queue (the digit follows)
        self._callback_rng = stream("callers:callback")
        self._recent: deque[str] = deque(maxlen=200)  # the last new callers
        self._offer_queue: dict[tuple[str, str], str] = {}  # live offers' queues (codes only)
        self._out_queue: dict[str, str] = {}  # agent-targeted originates' queues (codes only)
        self.arrivals = 0
        self.accepting = True
        for g in self._queues.values():
            self._schedule_next_arrival(g, 0.0)

    def _caller(self, g: _QueueGen) -> str:
        """A fictional number (NPA-555-01xx: 80,000 before one comes round), or, with the queue's
        ``repeat_share``, one of the last callers calling again (first-contact resolution)."""
        if g.repeat and self._recent and self._repeat_rng.random() < g.repeat:
            return self._recent[int(self._repeat_rng.random() * len(self._recent))]
        n = self._ncalls
        number = f"+1{200 + (n // 100) % 800}55501{n % 100:02d}"
        self._recent.append(number)
        return number

    # --- the heap ---------------------------------------------------------------------------
    def _push(self, t: float, kind: int, payload: object) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, kind, payload))

    def next_time(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def _schedule_next_arrival(self, g: _QueueGen, after: float) -> None:
        t = g.next_arrival(after)
        if t is not None:
            self._push(t, ARRIVAL, g)

    def pop(self) -> tuple[float, ev.Event | None]:
        """The next happening as an engine event (None when it no longer applies)."""
        t, _, kind, payload = heapq.heappop(self._heap)
        if kind == ARRIVAL:
            g: _QueueGen = payload  # type: ignore[assignment]
            if not self.accepting:
                return t, None  # draining: no new callers, and no further arrivals scheduled
            self._ncalls += 1
            call_id = f"{self.call_prefix}c{self._ncalls}"
            call = self._calls[call_id] = _SimCall(g)
            self.arrivals += 1
            if g.patience is not None:
                call.patience_pending = True
                self._push(t + g.patience(), PATIENCE_OUT, call_id)
            self._schedule_next_arrival(g, t)
            caller = self._caller(g)
            return t, ev.CallArrived(call_id, g.name, g.priority, caller)
        if kind == WRAP_ENDS:
            return t, ev.EndWrapUp(payload)  # type: ignore[arg-type]
        if kind == SCORE:
            call_id, score, scale = payload  # type: ignore[misc]
            return t, ev.CallScored(call_id, score, scale)
        if kind == CALLBACK_ASK:  # the caller took the offer: asks, then hangs up
            live = self._calls.get(payload)  # type: ignore[call-overload]
            if live is None or live.state != WAITING:
                return t, None  # answered (or gone) before the digit
            if self._moved.get(payload, live.gen.name) not in self._callback_queues:  # type: ignore[call-overload]
                return t, None  # moved to a queue that takes none: the digit does nothing
            live.state = DONE
            self._drop_if_done(payload, live)  # type: ignore[arg-type]
            return t, ev.CallbackRequested(payload)  # type: ignore[arg-type]
        if kind == CODE:
            call_id, agent_id, code = payload  # type: ignore[misc]
            live = self._calls.get(call_id)
            if live is None or live.state != TALKING or live.agent_id != agent_id:
                return t, None  # the call ended or moved first
            return t, ev.SetDisposition(agent_id, code)
        if kind == PREVIEW_DIAL:
            agent, lead = payload  # type: ignore[misc]
            return t, ev.PreviewDial(agent, lead)  # ignored if no longer shown to the agent
        if kind == OUTBOUND:
            result: ev.OutboundAnswered | ev.OutboundFailed = payload  # type: ignore[assignment]
            if result.call_id not in self._out_pending:
                return t, None  # hung up by our side before the far end answered
            self._out_pending.discard(result.call_id)
            agent_id = self._out_agent.pop(result.call_id, "")
            if isinstance(result, ev.OutboundAnswered) and not result.machine:
                # A person is on the line: talk time starts when an agent connects, at once
                # for an agent-targeted call (its agent is already on the line).
                queue = self._out_queue.get(result.call_id, "")
                talk = self._queues.get(queue) or self._out_talk  # a callback: its queue's
                call = self._calls[result.call_id] = _SimCall(talk)  # type: ignore[arg-type]
                if agent_id:
                    call.state = TALKING
                    call.agent_id = agent_id
                    end = t + talk.handle()
                    self._code(
                        self._out_queue.pop(result.call_id, ""), result.call_id, agent_id, t, end
                    )
                    self._push(end, TALK_ENDS, result.call_id)
            else:
                self._out_queue.pop(result.call_id, None)
            return t, result
        call_id, agent_id = payload if kind == AGENT_ANSWERS else (payload, "")  # type: ignore[misc]
        call = self._calls.get(call_id)
        if call is None:
            return t, None  # the call is over; a leftover happening of it no longer applies
        if kind == PATIENCE_OUT:
            call.patience_pending = False
            if call.state != WAITING:
                self._drop_if_done(call_id, call)
                return t, None
            call.state = DONE
            self._drop_if_done(call_id, call)
            return t, ev.CallHungUp(call_id, "caller")
        if kind == AGENT_ANSWERS:
            key = (call_id, agent_id)
            if key not in self._live_offers:
                return t, None
            self._live_offers.discard(key)
            call.state = TALKING
            call.agent_id = agent_id
            end = t + call.gen.handle()
            self._code(self._offer_queue.pop(key, ""), call_id, agent_id, t, end)
            self._push(end, TALK_ENDS, call_id)
            return t, ev.AgentAnswered(call_id, agent_id)
        if call.state != TALKING:
            return t, None  # transferred or hung up by our side meanwhile
        call.state = DONE
        self._drop_if_done(call_id, call)
        self._end_monitors(call_id, t)
        if self._wrap is not None and call.agent_id and call.agent_id not in self.people:
            self._push(t + self._wrap(), WRAP_ENDS, call.agent_id)
        gen = call.gen
        scale = self._survey_scale.get(gen.name) if isinstance(gen, _QueueGen) else None
        if scale is None:
            return t, ev.CallHungUp(call_id, "caller")
        # A survey queue: the agent ends the call and the caller stays for the survey.
        if self._survey_rng.random() < self._survey.response_rate:
            score = min(scale, self._survey_rng.choices(*self._survey_scores)[0])
            self._push(t + SURVEY_SECONDS, SCORE, (call_id, score, scale))
        return t, ev.CallHungUp(call_id, "agent")

    def _code(self, queue: str, call_id: str, agent_id: str, start: float, end: float) -> None:
        """The agent codes the call just before it ends (while still on it), if its queue has
        simulated codes."""
        codes = self._codes.get(queue)
        if codes is None or agent_id in self.people:
            return
        code = self._code_rng.choices(codes[0], codes[1])[0]
        self._push(max(start, end - min(1.0, (end - start) / 2)), CODE, (call_id, agent_id, code))

    def answer(self, call_id: str, agent_id: str, now: float) -> bool:
        """A person picks up the call ringing at their desk; False if none rings there."""
        key = (call_id, agent_id)
        if key not in self._live_offers:
            return False
        self._push(now, AGENT_ANSWERS, key)
        return True

    def stop_arrivals(self) -> None:
        """Take no new inbound calls (drain before shutdown); calls in progress go on."""
        self.accepting = False

    def _drop_if_done(self, call_id: str, call: _SimCall) -> None:
        if call.state == DONE:
            self._saying.pop(call_id, None)
        if call.state == DONE and not call.patience_pending:
            del self._calls[call_id]
            self._moved.pop(call_id, None)

    # --- commands from the engine ---------------------------------------------------------
    def execute(self, command: Command, now: float) -> None:
        if isinstance(command, OfferCall):
            playing = self._saying.pop(command.call_id, None)
            if playing is not None and playing.end > now:
                playing.cut = now  # the offer cuts it: the caller is bridged at once
            key = (command.call_id, command.agent_id)
            if self._codes:
                self._offer_queue[key] = command.queue
            if command.auto_answer:
                self._live_offers.add(key)
                self._push(now, AGENT_ANSWERS, key)
                return
            if command.agent_id in self.people:
                self._live_offers.add(key)  # rings until the person answers (answer())
                return
            if self._no_answer_p and self._answer_rng.random() < self._no_answer_p:
                return  # the phone rings out; the engine's ring time-out handles it
            self._live_offers.add(key)
            delay = self._answer_delay() if self._answer_delay is not None else 0.0
            self._push(now + delay, AGENT_ANSWERS, key)
        elif isinstance(command, CancelOffer):
            self._live_offers.discard((command.call_id, command.agent_id))
            self._offer_queue.pop((command.call_id, command.agent_id), None)
        elif isinstance(command, Originate):
            self._originate(command, now)
            if command.agent_id:
                self._out_agent[command.call_id] = command.agent_id
                if self._codes or command.callback:
                    self._out_queue[command.call_id] = command.queue
        elif isinstance(command, ShowPreview):
            if self._think is not None and command.agent_id not in self.people:
                at = now + self._think()
                self._push(at, PREVIEW_DIAL, (command.agent_id, command.lead_id))
        elif isinstance(command, HangUp):
            self._out_pending.discard(command.call_id)
            self._out_agent.pop(command.call_id, None)
            self._out_queue.pop(command.call_id, None)
            call = self._calls.get(command.call_id)
            if call is not None:
                call.state = DONE  # a pending patience expiry must not fire
                self._drop_if_done(command.call_id, call)
        elif isinstance(command, MoveToQueue):  # the caller keeps waiting, same patience
            if command.call_id in self._calls:
                self._moved[command.call_id] = command.queue
        elif isinstance(command, Monitor):
            c = command
            self.monitors[c.monitor_id] = MonitorRecord(
                c.monitor_id, c.agent_id, c.call_id, c.mode, c.device, now
            )
            # What a PBX would do (ring the supervisor, spy), said where an operator sees it.
            log.info(
                "simulated monitor %s: %s %s agent %s on call %s",
                c.monitor_id,
                c.device,
                c.mode,
                c.agent_id,
                c.call_id,
            )
        elif isinstance(command, StopMonitor):
            rec = self.monitors.get(command.monitor_id)
            if rec is not None and rec.ended is None:
                rec.ended, rec.reason = now, command.reason
                log.info("simulated monitor %s ends (%s)", rec.monitor_id, rec.reason)
        elif isinstance(command, Announce) and command.call_id in self._calls:
            playing = self._saying.get(command.call_id)
            if playing is None or playing.end <= now:  # still saying the last one: dropped
                said = Said(command.call_id, now, now + saying_seconds(command), command)
                self.said.append(said)
                self._saying[command.call_id] = said
            accepts = self._callback.accept_probability
            if command.message == CALLBACK_OFFER and self._callback_rng.random() < accepts:
                self._push(now + saying_seconds(command), CALLBACK_ASK, command.call_id)
        if isinstance(command, HangUp | MoveToQueue):
            self._end_monitors(command.call_id, now)

    def _end_monitors(self, call_id: str, now: float) -> None:
        """The agent's call ended (or left the agent): so do its monitors."""
        for rec in self.monitors.values():
            if rec.call_id == call_id and rec.ended is None:
                rec.ended, rec.reason = now, "call_ended"

    def _originate(self, cmd: Originate, now: float) -> None:
        """Decide the far end's response now; report it when it happens."""
        if cmd.callback:  # a caller who asked to be called back: answers or not, that is all
            cb = self._callback
            answers = self._callback_rng.random() < cb.answer_probability
            at = now + (cb.ring_seconds if answers else cmd.ring_timeout)
            result: ev.OutboundAnswered | ev.OutboundFailed = (
                ev.OutboundAnswered(cmd.call_id)
                if answers
                else ev.OutboundFailed(cmd.call_id, "no_answer")
            )
            self._out_pending.add(cmd.call_id)
            self._push(at, OUTBOUND, result)
            return
        u = self._out_rng.random()
        ring = self._out_ring()  # type: ignore[misc]
        human, machine, busy, failed = self._out_cuts
        if u < machine and ring < cmd.ring_timeout:
            # Without detection (amd off) a machine's answer goes to an agent like a person's.
            machine_answer = u >= human and cmd.amd
            result, at = ev.OutboundAnswered(cmd.call_id, machine=machine_answer), now + ring
        elif human <= u < busy or (u < machine and ring >= cmd.ring_timeout):
            if u < machine:  # would have answered, but after we gave up
                result, at = ev.OutboundFailed(cmd.call_id, "no_answer"), now + cmd.ring_timeout
            else:
                busy_at = now + self.sim.outbound.busy_after_seconds
                result, at = ev.OutboundFailed(cmd.call_id, "busy"), busy_at
        elif busy <= u < failed:
            result, at = ev.OutboundFailed(cmd.call_id, "failed"), now
        else:
            result, at = ev.OutboundFailed(cmd.call_id, "no_answer"), now + cmd.ring_timeout
        self._out_pending.add(cmd.call_id)
        self._push(at, OUTBOUND, result)


class _QueueGen:
    __slots__ = ("_i", "_rng", "handle", "name", "patience", "priority", "repeat", "segments")

    def __init__(
        self,
        name: str,
        traffic: Traffic,
        segments: list[tuple[float, float, float]],
        rng: Random,
        handle: Callable[[], float],
        patience: Callable[[], float] | None,
    ) -> None:
        self.name = name
        self.priority = traffic.priority
        self.repeat = traffic.repeat_share
        self.segments = segments
        self._rng = rng
        self._i = 0
        self.handle = handle
        self.patience = patience

    def next_arrival(self, after: float) -> float | None:
        t = after
        while self._i < len(self.segments):
            t0, t1, rate = self.segments[self._i]
            t = max(t, t0)
            if rate > 0:
                t += self._rng.expovariate(rate)
                if t < t1:
                    return t
            # Poisson arrivals are memoryless: restart the draw at the next boundary.
            self._i += 1
            t = t1
        return None


class _Talk:
    """Handle times of answered outbound calls (the dialer's side of _QueueGen)."""

    __slots__ = ("handle", "patience")

    def __init__(self, handle: Callable[[], float]) -> None:
        self.handle = handle
        self.patience = None


class _SimCall:
    __slots__ = ("agent_id", "gen", "patience_pending", "state")

    def __init__(self, gen: _QueueGen) -> None:
        self.gen = gen
        self.state = WAITING
        self.patience_pending = False
        self.agent_id = ""
