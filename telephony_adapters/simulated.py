"""The simulated trunk: simulated callers and simulated agents, driven by a virtual clock.

It produces inbound calls (Poisson arrivals, rate per interval of the day), caller patience and
handle times, and plays the agents' phones (ring delay, sometimes no answer). Every random
stream is its own ``random.Random`` derived from the seed, so one change to a scenario does not
shift the draws of another stream (common random numbers across policies).
"""

from __future__ import annotations

import heapq
import logging
from collections import deque
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
    PlayMessage,
    ShowPreview,
    StopMonitor,
)
from acd.config.schema import Config, Simulation
from acd.config.types import hhmm_seconds
from acd.engine.callbacks import OFFER_MESSAGE as CALLBACK_OFFER
from acd.states import AgentState
from telephony_adapters.distributions import sampler
from telephony_adapters.sim_records import MonitorRecord, Said, saying_seconds
from telephony_adapters.simulated_inbound import QueueGen, rate_segments
from telephony_adapters.simulated_outbound import FarEnd
from telephony_adapters.simulated_shifts import AgentDesk, ShiftDay

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
    SHIFT,
    LEAVE,
    CALLBACK_ASK,
    MESSAGE_END,
) = range(13)
LEAVE_AHEAD = 0.001  # seconds before an engine-timed wrap-up ends that a leaving agent logs out
SURVEY_SECONDS = 8.0  # from the end of the talk to the caller's digit
MESSAGE_SECONDS = 5.0  # a played message: a second of lead-in, four of speech (as announcements)
# A simulated caller's side of the call.
WAITING, TALKING, DONE = 0, 1, 2


class SimulatedTrunk:
    def __init__(
        self,
        config: Config,
        sim: Simulation,
        *,
        seed: int | None = None,
        call_prefix: str = "",
        start_tod: float | None = None,
    ) -> None:
        """``start_tod``: the second of the day at time 0 (default ``sim.start``; a daemon
        gives the second it started)."""
        self.config = config
        self.sim = sim
        seed = sim.seed if seed is None else seed
        self.horizon = sim.hours * 3600.0
        if start_tod is None:
            start_tod = float(hhmm_seconds(sim.start))
        self.start_tod = start_tod
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
        self._queues: dict[str, QueueGen] = {}
        for name, tr in sim.traffic.items():
            self._queues[name] = QueueGen(
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
        self._far = FarEnd(sim.outbound, start_tod, stream)
        self._out_pending: set[str] = set()
        self.monitors: dict[str, MonitorRecord] = {}  # every monitor, ended ones included
        self._out_agent: dict[str, str] = {}  # agent-targeted originates: call -> agent
        # Preview mode: simulated agents dial a shown lead after a think time.
        self._think = sampler(sim.agents.preview_think, stream("agents:preview"))
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
        self._message_rng = stream("callers:message")  # drawn only where hang-ups are set
        self._recent: deque[str] = deque(maxlen=200)  # the last new callers
        self._offer_queue: dict[tuple[str, str], str] = {}  # live offers' queues (codes only)
        self._out_queue: dict[str, str] = {}  # agent-targeted originates' queues (codes only)
        self.arrivals = 0
        self.accepting = True
        for g in self._queues.values():
            self._schedule_next_arrival(g, 0.0)
        # Simulated agents with shifts: their presence is settled at time 0, then at each edge.
        self.desk: AgentDesk | None = None  # set by whoever wires the trunk to a core
        self._shifts = {
            a.id: ShiftDay(a.shifts) for a in config.agents if a.shifts and a.id not in self.people
        }
        self._wrap_due: dict[str, float] = {}  # simulated wrap-ups in progress: agent -> end
        self._leaving: set[str] = set()  # off shift, logging out when the wrap-up ends
        for aid in self._shifts:
            self._push(0.0, SHIFT, aid)

    def _caller(self, g: QueueGen) -> str:
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

    def _schedule_next_arrival(self, g: QueueGen, after: float) -> None:
        t = g.next_arrival(after)
        if t is not None:
            self._push(t, ARRIVAL, g)

    def pop(self) -> tuple[float, ev.Event | None]:
        """The next happening as an engine event (None when it no longer applies)."""
        t, _, kind, payload = heapq.heappop(self._heap)
        if kind == ARRIVAL:
            g: QueueGen = payload  # type: ignore[assignment]
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
            aid: str = payload  # type: ignore[assignment]
            if self._wrap_due.get(aid) == t:
                del self._wrap_due[aid]
            if aid in self._leaving:
                self._leaving.discard(aid)
                if self.desk is None or self.desk.state(aid) is AgentState.WRAP_UP:
                    return t, ev.AgentLogout(aid)  # the shift is over: log out, not ready
            return t, ev.EndWrapUp(aid)
        if kind in (SHIFT, LEAVE):
            return t, self._shift(payload, t, kind == SHIFT)  # type: ignore[arg-type]
        if kind == MESSAGE_END:  # the message played out, or the called party hung up in it
            call_id, complete = payload  # type: ignore[misc]
            return t, ev.MessagePlayed(call_id, complete)
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
                gen = self._queues.get(queue)  # a callback: its queue's callers talk so
                call = self._calls[result.call_id] = _SimCall(gen or self._far)  # type: ignore[arg-type]
                if agent_id:
                    call.state = TALKING
                    call.agent_id = agent_id
                    end = t + (gen.handle() if gen is not None else self._far.handle_at(t))
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
            end = t + call.gen.handle_at(t)
            self._code(self._offer_queue.pop(key, ""), call_id, agent_id, t, end)
            self._push(end, TALK_ENDS, call_id)
            return t, ev.AgentAnswered(call_id, agent_id)
        if call.state != TALKING:
            return t, None  # transferred or hung up by our side meanwhile
        call.state = DONE
        self._drop_if_done(call_id, call)
        self._end_monitors(call_id, t)
        if self._wrap is not None and call.agent_id and call.agent_id not in self.people:
            self._wrap_due[call.agent_id] = due = t + self._wrap()
            self._push(due, WRAP_ENDS, call.agent_id)
        gen = call.gen
        scale = self._survey_scale.get(gen.name) if isinstance(gen, QueueGen) else None
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
        elif isinstance(command, PlayMessage) and command.message:
            self._play(command.call_id, now)
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

    def _play(self, call_id: str, now: float) -> None:
        """A message to a person on the line (a machine has no simulated call here), as the
        PBX plays a safe-harbor one before hanging up: heard to its end, or cut where the
        called party hangs up in it."""
        call = self._calls.get(call_id)
        if call is None or call.state != WAITING:
            return
        p = self._far.regime(now).hangup_in_message
        if p and self._message_rng.random() < p:
            cut = now + self._message_rng.random() * MESSAGE_SECONDS
            self._push(cut, MESSAGE_END, (call_id, False))
        else:
            self._push(now + MESSAGE_SECONDS, MESSAGE_END, (call_id, True))

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
        result, at = self._far.dial(cmd, now)
        self._out_pending.add(cmd.call_id)
        self._push(at, OUTBOUND, result)

    # --- shifts -----------------------------------------------------------------------------
    def _shift(self, agent_id: str, t: float, edge: bool) -> ev.Event | None:
        """The agent's presence at ``t``; at an edge, the next one is scheduled."""
        day = self._shifts[agent_id]
        tod = (self.start_tod + t) % DAY
        if edge:
            nxt = t + day.next_edge(tod)
            if nxt < self.horizon:
                self._push(nxt, SHIFT, agent_id)
        if day.on_shift(tod):
            return self._arrive(agent_id)
        return self._leave(agent_id, t)

    def _arrive(self, agent_id: str) -> ev.Event | None:
        self._leaving.discard(agent_id)
        if self.desk is None:
            return ev.AgentLogin(agent_id)
        if self.desk.state(agent_id) is AgentState.LOGGED_OUT:
            return ev.AgentLogin(agent_id)
        if self.desk.logout_pending(agent_id):
            return ev.AgentReady(agent_id)  # still on the last shift's call: stay on
        return None

    def _leave(self, agent_id: str, t: float) -> ev.Event | None:
        self._leaving.discard(agent_id)
        if self.desk is None:
            return ev.AgentLogout(agent_id)
        state = self.desk.state(agent_id)
        if state is AgentState.LOGGED_OUT:
            return None
        if state is AgentState.WRAP_UP:
            if self._wrap_due.get(agent_id, -1.0) >= t:
                self._leaving.add(agent_id)  # logs out instead of ending the wrap-up
                return None
            due = self.desk.wrap_ends(agent_id)
            if due is not None and due - LEAVE_AHEAD > t:
                # Just before the engine's own wrap-up cap: else, ready again, the agent could
                # be offered a call in the same step.
                self._push(due - LEAVE_AHEAD, LEAVE, agent_id)
                return None
        return ev.AgentLogout(agent_id)  # held by the engine until a call's wrap-up is over


class _SimCall:
    __slots__ = ("agent_id", "gen", "patience_pending", "state")

    def __init__(self, gen: QueueGen | FarEnd) -> None:
        self.gen = gen
        self.state = WAITING
        self.patience_pending = False
        self.agent_id = ""
