"""The Center: the ACD engine with campaigns. Drivers use it exactly as they use the engine.

An answered outbound call enters its campaign's queue in the same engine, with the highest
priority and a maximum wait of the connect window (2 s by the FTC rule): routing, blending and
the abandonment rule are one mechanism. A live answer the queue times out is abandoned: the
safe-harbor message is played and the call hung up. Inbound comes first for blended agents: the
dialer stops at once while inbound callers wait, and keeps an Erlang C reserve of agents for the
inbound queues' service-level targets.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import replace
from random import Random
from typing import Any

import numpy as np

from acd import events as ev
from acd.commands import Command, HangUp, Originate, PlayMessage
from acd.config.schema import Config
from acd.engine import Engine
from acd.errors import InvalidEvent
from acd.runtime import AgentRt, CallDetail, CallRecord, QueueRt
from acd.states import AgentState, Outcome
from acd.timers import Timers
from dialer.campaign import CampaignRuntime, campaign_queue
from dialer.leadsource import LeadSource, SyntheticLeads
from dialer.pacing import Pacer, PacingInput
from routing.router import Router

BUSY = (AgentState.ON_CALL, AgentState.WRAP_UP)
RESERVE_WINDOW = 900.0  # inbound arrival rate measured over the last 15 minutes


class Center:
    def __init__(
        self,
        config: Config,
        *,
        rng: Random | None = None,
        leads: dict[str, LeadSource] | None = None,
        pacers: dict[str, Pacer] | None = None,
        dnc: Any = None,
        day_end: float | None = None,
        keep_records: bool = False,
        router_cls: type[Router] = Router,
    ) -> None:
        queues = [*config.queues, *(campaign_queue(c) for c in config.campaigns)]
        self.config = config
        self.engine = Engine(
            config.model_copy(update={"queues": queues}),
            rng=rng,
            keep_records=keep_records,
            router_cls=router_cls,
        )
        self.engine.record_sink = self._on_record
        self.engine.notices = []
        self.notices: list[dict[str, Any]] | None = None  # forwarded to a live driver if set
        leads = leads or {}
        pacers = pacers or {}
        self.campaigns: dict[str, CampaignRuntime] = {
            c.name: CampaignRuntime(c, leads.get(c.name) or SyntheticLeads(), pacers.get(c.name))
            for c in config.campaigns
        }
        self._by_queue = {rt.queue: rt for rt in self.campaigns.values()}
        self._call_campaign: dict[str, CampaignRuntime] = {}
        self._agent_campaigns: dict[str, list[CampaignRuntime]] = {}
        self._inbound_for: dict[str, list[QueueRt]] = {}
        self._arrivals: dict[str, deque[float]] = {q.name: deque() for q in config.queues}
        self.dnc = dnc
        self.day_end = day_end
        self.timers = Timers()
        self.skipped_dnc = 0
        self._records: list[CallRecord] = []
        self._cdr_sink: Callable[[CallDetail], None] | None = None
        # Live answers in the engine, until their record: call -> (campaign, lead, dialed at).
        self._cdr_info: dict[str, tuple[str, str, float]] = {}
        for rt in self.campaigns.values():
            base = self.engine.queues[rt.queue].levels[0][0]
            members = [a for a in self.engine.agents.values() if base in a.pools]
            for a in members:
                self._agent_campaigns.setdefault(a.id, []).append(rt)
            # Inbound queues these agents also serve: their callers come first.
            self._inbound_for[rt.name] = [
                q
                for q in self.engine.queues.values()
                if q.name not in self._by_queue and any(q.levels[0][0] in a.pools for a in members)
            ]
            self.timers.set(("pace", rt.name), 0.0)

    # --- the driver interface ---------------------------------------------------------------
    def handle(self, event: ev.Event, now: float) -> list[Command]:
        out: list[Command]
        touched: set[str] = set()
        if isinstance(event, ev.OutboundAnswered | ev.OutboundFailed):
            out = self._outbound(event, now, touched)
        else:
            if isinstance(event, ev.AgentAnswered):
                rt = self._call_campaign.get(event.call_id)
                if rt is not None:
                    rt.connected(event.call_id, event.agent_id, now)
            elif isinstance(event, ev.CallArrived) and event.queue in self._arrivals:
                self._arrivals[event.queue].append(now)
            dispo = None
            if isinstance(event, ev.SetDisposition):
                dispo = self._disposition_target(event)  # refuses an unknown code first
            out = self.engine.handle(event, now)  # refuses an agent not on a call or wrap-up
            if dispo is not None:
                self._apply_disposition(*dispo, event, now)
        out = self._after(out, now, touched)
        for name in touched:
            out += self._pace(self.campaigns[name], now)
        return out

    def on_timer(self, now: float) -> list[Command]:
        touched: set[str] = set()
        out = self._after(self.engine.on_timer(now), now, touched)
        while (key := self.timers.pop_due(now)) is not None:
            rt = self.campaigns[key[1]]  # type: ignore[index]
            touched.add(rt.name)
            if self.day_end is None or now < self.day_end:  # no ticks once the day is over
                self.timers.set(("pace", rt.name), now + rt.pacer.cadence)
        for name in touched:
            out += self._pace(self.campaigns[name], now)
        return out

    def next_deadline(self) -> float | None:
        a, b = self.engine.next_deadline(), self.timers.next_due()
        if a is None:
            return b
        return a if b is None else min(a, b)

    def in_progress(self) -> bool:
        if self.engine.in_progress():
            return True
        return any(rt.inflight for rt in self.campaigns.values())

    def reset_stats(self, now: float) -> None:
        self.engine.reset_stats(now)

    @property
    def cdr_sink(self) -> Callable[[CallDetail], None] | None:
        """Where complete call detail records go: the engine's, with campaign calls' campaign,
        lead and 2-second-rule flag added, and every dial that never reached a person."""
        return self._cdr_sink

    @cdr_sink.setter
    def cdr_sink(self, sink: Callable[[CallDetail], None] | None) -> None:
        self._cdr_sink = sink
        self.engine.cdr_sink = None if sink is None else self._on_cdr

    def _on_cdr(self, cdr: CallDetail) -> None:
        info = self._cdr_info.pop(cdr.call_id, None)
        if info is not None:
            campaign, lead_id, dialed = info
            dropped = cdr.outcome != Outcome.ANSWERED.value  # as _after counts it: a drop
            cdr = replace(
                cdr, campaign=campaign, lead_id=lead_id, dialed=dialed, abandoned_2s=dropped
            )
        if self._cdr_sink is not None:
            self._cdr_sink(cdr)

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
            CallDetail(
                call_id=call_id,
                direction="outbound",
                queue=None,
                caller=number,
                arrived=dialed,
                offered=None,
                answered=None,
                ended=now,
                agent_id=None,
                outcome=outcome,
                wait_seconds=0.0,
                campaign=rt.name,
                lead_id=lead_id,
                dialed=dialed,
            )
        )

    def __getattr__(self, name: str) -> Any:
        # Views and lookups (snapshot, agents, calls, ...) are the engine's: delegate them.
        return getattr(self.engine, name)

    def reconfigure(self, config: Config, now: float) -> dict[str, list[str]]:
        """Apply a new config to the ACD side; campaigns themselves need a restart for now."""
        from acd.errors import ConfigError

        if [c.model_dump() for c in config.campaigns] != [
            c.model_dump() for c in self.config.campaigns
        ]:
            raise ConfigError("campaigns changed: restart the daemon to apply campaign changes")
        queues = [*config.queues, *(campaign_queue(c) for c in config.campaigns)]
        changes = self.engine.reconfigure(config.model_copy(update={"queues": queues}), now)
        self.config = config
        return changes

    def campaigns_view(self, now: float) -> list[dict[str, Any]]:
        report = self.campaign_report(now)
        out = []
        for name, rt in self.campaigns.items():
            r = report[name]
            a24 = r["abandonment_rate_24h"]
            out.append(
                {
                    "name": name,
                    "mode": rt.cfg.mode,
                    "paused": rt.paused,
                    "abandonment_24h": a24,
                    "abandonment_30d": r["abandonment_rate_30d"],
                    "connects_per_hour": r["connects_per_agent_hour"],
                    "in_flight": len(rt.inflight),
                    "logged_in": self.engine.queues[rt.queue].levels[0][0].logged_in,
                    **{k: r[k] for k in ("dialed", "live_answers", "connected", "abandoned")},
                    "report": r,
                }
            )
        return out

    # --- outbound ---------------------------------------------------------------------------
    def _outbound(
        self, event: ev.OutboundAnswered | ev.OutboundFailed, now: float, touched: set[str]
    ) -> list[Command]:
        rt = self._call_campaign.get(event.call_id)
        if rt is None:
            return []
        item = rt.inflight.get(event.call_id)
        # No decision here: the next tick (within a second) re-plans with this line free.
        if isinstance(event, ev.OutboundFailed):
            rt.resolved(event.call_id, event.reason, now)
            del self._call_campaign[event.call_id]
            if item is not None:
                self._dial_cdr(rt, event.call_id, item, event.reason, now)
            return []
        if event.machine:
            rt.resolved(event.call_id, "machine", now)
            del self._call_campaign[event.call_id]
            if item is not None:
                self._dial_cdr(rt, event.call_id, item, "machine", now)
            if rt.cfg.machine == "leave_message":
                return [
                    PlayMessage(event.call_id, rt.cfg.machine_message),
                    HangUp(event.call_id, "machine"),
                ]
            return [HangUp(event.call_id, "machine")]
        lead = rt.resolved(event.call_id, "human", now)
        number = lead[1] if lead else ""
        if item is not None and self._cdr_sink is not None:
            self._cdr_info[event.call_id] = (rt.name, item[0], item[2])  # taken by _on_cdr
        try:
            return self.engine.handle(
                ev.CallArrived(event.call_id, rt.queue, caller=number, direction="outbound"), now
            )
        except Exception:
            self._cdr_info.pop(event.call_id, None)
            raise

    def _on_record(self, rec: CallRecord) -> None:
        self._records.append(rec)

    def _after(self, out: list[Command], now: float, touched: set[str]) -> list[Command]:
        """Follow up the engine's records and notices; turn time-outs into abandons."""
        dropped: dict[str, CampaignRuntime] = {}
        for rec in self._records:
            rt = self._call_campaign.pop(rec.call_id, None)
            if rt is None:
                continue
            if rec.outcome is Outcome.ANSWERED:
                rt.talk_ended(rec.call_id, rec.talk_seconds, now)
            else:  # no agent within the connect window (or the called party hung up first)
                rt.dropped(rec.call_id, now)
                dropped[rec.call_id] = rt
        self._records.clear()
        notices = self.engine.notices
        if notices:
            for n in notices:
                if n["type"] == "agent" and n["agent"]["state"] not in ("on_call", "wrap_up"):
                    for rt in self._agent_campaigns.get(n["agent"]["id"], ()):
                        rt.agent_free(n["agent"]["id"], now)
                        if n["agent"]["state"] == "ready":
                            touched.add(rt.name)
            if self.notices is not None:
                self.notices.extend(notices)
            self.engine.notices = []
        if not dropped:
            return out
        fixed: list[Command] = []
        for cmd in out:
            if isinstance(cmd, HangUp) and cmd.call_id in dropped:
                # Safe harbor: the seller's name and a number to call back, then hang up.
                fixed.append(PlayMessage(cmd.call_id, dropped[cmd.call_id].cfg.safe_harbor_message))
                fixed.append(HangUp(cmd.call_id, "abandoned"))
            else:
                fixed.append(cmd)
        return fixed

    def _disposition_target(self, e: ev.SetDisposition) -> tuple[CampaignRuntime, str] | None:
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
        return rt, call_id

    def _apply_disposition(
        self, rt: CampaignRuntime, call_id: str, e: ev.SetDisposition, now: float
    ) -> None:
        """Apply the code to the lead (retries, callbacks); do-not-call lists the number now."""
        number = rt.numbers.get(call_id, "")
        kind = rt.disposition(call_id, e.disposition, now)
        if kind == "do_not_call" and self.dnc is not None and number:
            self.dnc.add(number, "agent", now)

    # --- pacing -----------------------------------------------------------------------------
    def _inbound_reserve(self, rt: CampaignRuntime, now: float) -> tuple[bool, int]:
        """(inbound callers waiting, agents to keep free for the inbound service level)."""
        queues = self._inbound_for[rt.name]
        if not queues or not rt.cfg.inbound_reserve:
            return False, 0
        if any(q.present for q in queues):
            return True, 0
        from acd.erlang import required_agents

        reserve = 0
        for q in queues:
            arr = self._arrivals[q.name]
            while arr and arr[0] <= now - RESERVE_WINDOW:
                arr.popleft()
            if not arr:
                continue
            span = min(RESERVE_WINDOW, max(now, 1.0))
            s = q.stats
            aht = (s.talk_sum + s.hold_sum + s.wrap_sum) / s.handled if s.handled else 180.0
            load = len(arr) / span * aht
            need = required_agents(
                load,
                aht,
                target_sl=q.cfg.service_level.target,
                answer_within=q.cfg.service_level.threshold_seconds,
            ).agents
            busy_inbound = sum(
                1 for c in self.engine.calls.values() if c.queue is q and c.agent is not None
            )
            reserve += max(0, need - busy_inbound)
        return False, reserve

    def _pace(self, rt: CampaignRuntime, now: float) -> list[Command]:
        if rt.paused:
            return []
        q = self.engine.queues[rt.queue]
        base = q.levels[0][0]
        inbound_waiting, reserve = self._inbound_reserve(rt, now)
        ready = base.ready
        if inbound_waiting:
            ready = 0
        ready = max(0, ready - reserve)
        calls, drops = rt.minute(now)
        a24, d24 = rt.ledger.counts(now, 86400.0)
        a30m, d30m = rt.ledger.counts(now, 1800.0)
        inp = PacingInput(
            now=now,
            ready=ready,
            waiting=q.present,
            logged_in=base.logged_in,
            busy_elapsed=np.fromiter((now - t for t in rt.connect_at.values()), float),
            inflight_elapsed=np.fromiter((now - d for _, _, d in rt.inflight.values()), float),
            ring_timeout=rt.cfg.ring_seconds,
            connect_within=rt.cfg.connect_within_seconds,
            target=rt.cfg.abandonment_target,
            running_24h=d24 / a24 if a24 else 0.0,
            answers_24h=a24,
            running_recent=d30m / a30m if a30m else 0.0,
            answers_recent=a30m,
            dial_rate=rt.dial_rate(now),
            est=rt.est,
            day_answers=rt.day_answers,
            day_drops=rt.day_drops,
            minute_calls=calls,
            minute_drops=drops,
            minutes_left=max(0.0, (self.day_end - now) / 60) if self.day_end else 600.0,
        )
        n = rt.pacer.launch(inp)
        if inbound_waiting or (self.day_end is not None and now >= self.day_end):
            n = 0
        out: list[Command] = []
        for _ in range(n):
            lead = rt.leads.next_lead(now)
            if lead is None:
                break
            lead_id, number = lead
            if self.dnc is not None and number in self.dnc:
                self.skipped_dnc += 1  # checked at the moment of dialing, not only at import
                rt.leads.record(lead_id, "do_not_call", now)
                continue
            call_id = rt.new_call_id()
            rt.dialed(call_id, lead_id, number, now)
            self._call_campaign[call_id] = rt
            out.append(Originate(call_id, number, rt.cfg.caller_id, rt.cfg.ring_seconds))
        return out

    # --- figures ----------------------------------------------------------------------------
    def campaign_report(self, now: float) -> dict[str, dict[str, Any]]:
        out = {}
        for rt in self.campaigns.values():
            agents: list[AgentRt] = [
                a for a in self.engine.agents.values() if rt in self._agent_campaigns.get(a.id, ())
            ]
            logged = ready = 0.0
            for a in agents:
                t = dict(a.stats.time_in)
                t[a.state.value] += now - max(a.since, self.engine.stats_epoch)
                logged += sum(v for k, v in t.items() if k != "logged_out")
                ready += t["ready"]
            out[rt.name] = rt.report(now, logged, ready)
        return out
