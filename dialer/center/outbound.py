"""Outbound answers and failures, the 2-second rule and safe harbor, dial records and
dispositions: how the Center follows up what the engine did with a campaign call."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from acd import events as ev
from acd.commands import Command, HangUp, PlayMessage
from acd.entities import AgentRt, CallRt
from acd.errors import InvalidEvent, UnknownEntity
from acd.records import INTERRUPTED, CallDetail, dial_record
from acd.states import AgentState, Outcome
from dialer.campaign import CampaignRuntime
from dialer.center.base import BUSY
from dialer.center.harbor import HarborMixin


class OutboundMixin(HarborMixin):
    # --- outbound ---------------------------------------------------------------------------
    def _outbound(
        self, event: ev.OutboundAnswered | ev.OutboundFailed, now: float, touched: set[str]
    ) -> list[Command]:
        rt = self._call_campaign.get(event.call_id)
        if rt is None:
            return self.engine.handle(event, now)  # a caller's callback (the ACD's), or stale
        picked_up = self._picked_up.pop(event.call_id, now)  # the PBX's answer, if it said
        # An agent-targeted call: its agent waits on the line (preview, callback).
        agent_id = rt.targeted.pop(event.call_id, None)
        item = rt.inflight.get(event.call_id)
        # No decision here: the next tick (within a second) re-plans with this line free.
        if isinstance(event, ev.OutboundFailed):
            rt.resolved(event.call_id, event.reason, now)
            del self._call_campaign[event.call_id]
            if item is not None:
                self._dial_cdr(rt, event.call_id, item, event.reason, now)
            return self.engine.dial_ended(agent_id, now) if agent_id else []
        if event.machine:
            rt.resolved(event.call_id, "machine", now)
            del self._call_campaign[event.call_id]
            if item is not None:
                self._dial_cdr(rt, event.call_id, item, "machine", now)
            out: list[Command] = [HangUp(event.call_id, "machine")]
            if rt.cfg.machine == "leave_message":
                out.insert(0, PlayMessage(event.call_id, rt.cfg.machine_message))
            return out + (self.engine.dial_ended(agent_id, now) if agent_id else [])
        lead = rt.resolved(event.call_id, "human", now)
        number = lead[1] if lead else ""
        # The 2-second rule counts from the answer, not from the AMD verdict: what AMD took
        # comes off the connect window (all of it after a long verdict: then it is a drop).
        window = max(0.0, rt.cfg.connect_within_seconds - (now - picked_up))
        if item is not None and self._cdr_sink is not None:
            self._cdr_info[event.call_id] = (rt.name, item[0], item[2], picked_up)
        try:
            if agent_id:  # connected at once: no wait, so no abandonment is possible
                out = self.engine.connect_agent(event.call_id, rt.queue, agent_id, number, now)
                rt.connected(event.call_id, agent_id, now)
                return out
            self._live_answer[event.call_id] = picked_up  # dead air runs until an agent
            arrive = ev.CallArrived(
                event.call_id, rt.queue, caller=number, direction="outbound", max_wait=window
            )
            return self.engine.handle(arrive, now)
        except Exception:
            self._cdr_info.pop(event.call_id, None)
            raise

    # --- the engine's hooks (acd.engine.base.EngineHooks): noted in its step, acted on after
    def call_ended(self, record: CallDetail) -> None:
        self._ended.append(record)

    def agent_state(self, agent: AgentRt) -> None:
        self._agent_moves.append((agent.id, agent.state))

    def hang_up(self, call: CallRt, reason: str) -> list[Command]:
        rt = self._call_campaign.get(call.id)
        if rt is None:
            return [HangUp(call.id, reason)]
        # A live answer no agent took: safe harbor (the seller's name and a number to call
        # back), then hang up; the record counts it as abandoned, and waits for the PBX to say
        # the message played (dialer.center.harbor).
        if rt.cfg.safe_harbor_message and self._cdr_sink is not None:
            self._harbor_due.add(call.id)
        return [PlayMessage(call.id, rt.cfg.safe_harbor_message), HangUp(call.id, "abandoned")]

    def _after(self, out: list[Command], now: float, touched: set[str]) -> list[Command]:
        """Follow up what the engine reported in its step: campaign calls that ended (talked,
        or dropped: no agent within the connect window, or the called party hung up first)
        and agents that moved (a preview withdrawn, a line freed for pacing)."""
        for rec in self._ended:
            self._live_answer.pop(rec.call_id, None)
            rt = self._call_campaign.pop(rec.call_id, None)
            if rt is None:
                continue
            if rec.outcome == Outcome.ANSWERED.value:
                rt.talk_ended(rec.call_id, rec.talk_seconds, now)
            else:
                rt.dropped(rec.call_id, now)
        self._ended.clear()
        moves = self._agent_moves
        for agent_id, state in moves:  # a withdrawal may move more agents: they follow here
            if state is not AgentState.RESERVED and agent_id in self._previewing:
                self._withdraw(agent_id, now)  # paused, logged out or removed
            if state not in BUSY:
                for rt in self._agent_campaigns.get(agent_id, ()):
                    rt.agent_free(agent_id, now)
                    if state is AgentState.READY:
                        touched.add(rt.name)
        self._agent_moves = []
        if self._notices is not None and self.engine.notices:
            self._notices.extend(self.engine.notices)
            self.engine.notices = []
        return out

    def _disposition_target(
        self, e: ev.SetDisposition
    ) -> tuple[CampaignRuntime, str, dict[str, Any] | None] | None:
        """The campaign call an agent's code is for, after checking the campaign's list."""
        a = self.engine.agents.get(e.agent_id)
        if a is None:
            return None  # the engine reports the unknown agent
        call_id = a.call.id if a.call is not None else a.last_call
        rt = self._call_campaign.get(call_id) or next(
            (r for r in self.campaigns.values() if call_id in r.awaiting), None
        )
        if rt is None:
            return None  # an inbound call: the engine keeps the code
        if e.disposition not in rt.kinds:
            raise InvalidEvent(
                f"campaign {rt.name!r} has no disposition {e.disposition!r}; "
                f"it has {sorted(rt.kinds)}"
            )
        if rt.kinds[e.disposition] == "callback":
            if e.callback_at is None:
                raise InvalidEvent(
                    f"disposition {e.disposition!r} schedules a callback: need callback_at"
                )
            if e.callback_agent is not None and e.callback_agent not in self.engine.agents:
                raise UnknownEntity("agent", e.callback_agent)
        elif e.callback_at is not None:
            raise InvalidEvent(f"callback_at given for {e.disposition!r}, which is not a callback")
        callback = None
        if e.callback_at is not None:
            at = e.callback_at
            lead_id = rt.lead_of(call_id)
            resolve = getattr(rt.leads, "callback_time", None)
            if resolve is not None and lead_id is not None:
                at = resolve(lead_id, at)  # wall time in the lead's zone; may refuse
            callback = {"callback_at": at, "callback_agent": e.callback_agent}
        return rt, call_id, callback

    def _apply_disposition(
        self,
        rt: CampaignRuntime,
        call_id: str,
        callback: dict[str, Any] | None,
        e: ev.SetDisposition,
        now: float,
    ) -> None:
        """Apply the code to the lead (retries, callbacks); do-not-call lists the number now."""
        number = rt.numbers.get(call_id, "")
        kind = rt.disposition(call_id, e.disposition, now, callback)
        if kind == "do_not_call" and self.dnc is not None and number:
            self.dnc.add(number, "agent", now)

    def _on_cdr(self, cdr: CallDetail) -> None:
        info = self._cdr_info.pop(cdr.call_id, None)
        if info is not None:
            cdr = _with_campaign(cdr, info)
        if self._cdr_sink is not None and not self._hold_for_harbor(cdr):
            self._cdr_sink(cdr)

    # --- calls in progress, as a persister keeps them (acd.live_calls) ----------------------
    def call_in_progress(self, call_id: str, now: float) -> CallDetail | None:
        """The record a call would get if cut now (a dial still ringing too), or None; a
        record held for its safe-harbor message is already final."""
        held = self._harbor_held.get(call_id)
        if held is not None:
            return held
        for rt in self.campaigns.values():
            item = rt.inflight.get(call_id)
            if item is not None:
                lead_id, number, dialed = item
                return dial_record(
                    call_id, number, dialed, now, INTERRUPTED, campaign=rt.name, lead_id=lead_id
                )
        cdr = self.engine.call_in_progress(call_id, now)
        info = self._cdr_info.get(call_id)
        return cdr if cdr is None or info is None else _with_campaign(cdr, info)

    def held_record(self, agent_id: str) -> CallDetail | None:
        cdr = self.engine.held_record(agent_id)
        info = None if cdr is None else self._cdr_info.get(cdr.call_id)
        return cdr if cdr is None or info is None else _with_campaign(cdr, info)

    def _dial_cdr(
        self,
        rt: CampaignRuntime,
        call_id: str,
        item: tuple[str, str, float],
        outcome: str,
        now: float,
    ) -> None:
        """The record of a dial that never reached a person (no answer, busy, failed, machine)."""
        if self._cdr_sink is None:
            return
        lead_id, number, dialed = item
        self._cdr_sink(
            dial_record(call_id, number, dialed, now, outcome, campaign=rt.name, lead_id=lead_id)
        )


def _with_campaign(cdr: CallDetail, info: tuple[str, str, float, float]) -> CallDetail:
    """A live answer's record with its campaign, lead, dial time and 2-second-rule flag."""
    campaign, lead_id, dialed, picked_up = info
    # As _after counts it: a drop (a call a crash cut is not one).
    dropped = cdr.outcome not in (Outcome.ANSWERED.value, INTERRUPTED)
    # ``arrived`` is the called party's answer; the engine's arrival was the verdict, and the
    # time between is waiting (dead air) too.
    return replace(
        cdr,
        campaign=campaign,
        lead_id=lead_id,
        dialed=dialed,
        abandoned_2s=dropped,
        arrived=picked_up,
        wait_seconds=cdr.wait_seconds + (cdr.arrived - picked_up),
        amd_verdict_at=cdr.arrived,
        connected_to_agent_at=cdr.answered,
    )
