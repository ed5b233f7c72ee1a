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
from acd.commands import Command, HangUp, Originate, PlayMessage, ShowPreview
from acd.config.schema import Config
from acd.engine import Engine
from acd.entities import AgentRt, QueueRt
from acd.errors import ConfigError, IllegalTransition, InvalidEvent, UnknownEntity
from acd.records import CallDetail, CallRecord
from acd.states import AgentState, Outcome
from acd.timers import Timers
from dialer.campaign import CampaignRuntime, campaign_queue
from dialer.leads import lead_to_dict
from dialer.leadsource import BookLeads, LeadSource, SyntheticLeads, book_leads, configure
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
        lead_epoch: float = 0.0,
        call_prefix: str = "",
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
        # Call ids must not repeat across daemon restarts (records, calls still up on the PBX).
        self.call_prefix = call_prefix
        for rt in self.campaigns.values():
            rt.id_prefix = call_prefix
        self._call_campaign: dict[str, CampaignRuntime] = {}
        self._agent_campaigns: dict[str, list[CampaignRuntime]] = {}
        self._inbound_for: dict[str, list[QueueRt]] = {}
        self._arrivals: dict[str, deque[float]] = {q.name: deque() for q in config.queues}
        self._previewing: dict[str, CampaignRuntime] = {}  # agent -> campaign it previews for
        self._draining: dict[str, CampaignRuntime] = {}  # removed, calls still finishing
        self.dnc = dnc
        self.day_end = day_end
        self.lead_epoch = lead_epoch  # Unix time of engine time 0 (lead books, callbacks)
        self.timers = Timers()
        self.skipped_dnc = 0
        # The daemon is shutting down: place no new calls (not a campaign pause, not persisted).
        self.stop_dialing = False
        self.lead_imports = 0  # lead imports over the API (unique ids for rows without one)
        self._records: list[CallRecord] = []
        self._cdr_sink: Callable[[CallDetail], None] | None = None
        # Live answers in the engine, until their record: call -> (campaign, lead, dialed at).
        self._cdr_info: dict[str, tuple[str, str, float]] = {}
        self._index_campaigns()
        for rt in self.campaigns.values():
            self.timers.set(("pace", rt.name), 0.0)

    def _index_campaigns(self) -> None:
        """Which agents serve which campaign, and which inbound queues those agents serve."""
        self._by_queue = {
            rt.queue: rt for rt in [*self.campaigns.values(), *self._draining.values()]
        }
        self._agent_campaigns = {}
        self._inbound_for = {}
        for rt in self.campaigns.values():
            base = self.engine.queues[rt.queue].levels[0][0]
            members = [a for a in self.engine.agents.values() if base in a.pools]
            for a in members:
                self._agent_campaigns.setdefault(a.id, []).append(rt)
            # Inbound queues these agents also serve: their callers come first.
            self._inbound_for[rt.name] = [
                q
                for q in self.engine.queues.values()
                if q.name not in self._by_queue
                and not q.closed
                and any(q.levels[0][0] in a.pools for a in members)
            ]

    # --- the driver interface ---------------------------------------------------------------
    def handle(self, event: ev.Event, now: float) -> list[Command]:
        out: list[Command]
        touched: set[str] = set()
        if isinstance(event, ev.OutboundAnswered | ev.OutboundFailed):
            out = self._outbound(event, now, touched)
        elif isinstance(event, ev.PreviewDial | ev.PreviewSkip):
            out = self._preview_action(event, now)
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
            if isinstance(event, ev.SetAgentSkills):
                self._index_campaigns()
        return self._finish(out, now, touched)

    def on_timer(self, now: float) -> list[Command]:
        touched: set[str] = set()
        out = self.engine.on_timer(now)
        while (key := self.timers.pop_due(now)) is not None:
            kind, ident = key  # type: ignore[misc]
            if kind == "preview":  # the campaign's auto-dial time-out
                prt = self._previewing.get(ident)
                if prt is not None:
                    out += self._dial_targeted(prt, ident, now)
                continue
            rt = self.campaigns.get(ident)
            if rt is None:
                continue  # removed by a reload
            touched.add(rt.name)
            if self.day_end is None or now < self.day_end:  # no ticks once the day is over
                self.timers.set(("pace", rt.name), now + rt.pacer.cadence)
        return self._finish(out, now, touched)

    def _finish(self, out: list[Command], now: float, touched: set[str]) -> list[Command]:
        """Follow up the engine (records, notices), then pace the campaigns that changed; an
        agent freed while pacing (a lead withdrawn) gets one more round."""
        out = self._after(out, now, touched)
        for _ in range(3):
            if not touched:
                break
            names = set(touched)
            touched.clear()
            for rt in [r for r in self.campaigns.values() if r.name in names]:
                out += self._pace(rt, now)
            out = self._after(out, now, touched)
        return out

    def next_deadline(self) -> float | None:
        a, b = self.engine.next_deadline(), self.timers.next_due()
        if a is None:
            return b
        return a if b is None else min(a, b)

    def in_progress(self) -> bool:
        if self.engine.in_progress():
            return True
        return any(rt.inflight for rt in [*self.campaigns.values(), *self._draining.values()])

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
        """Apply a new config live, campaigns included (README: reload rules).

        A changed campaign takes its new rules (mode, pacing, abandonment target, window,
        caller id, messages, retries, dispositions, skills, ...) from now on; a new one starts
        dialing; a removed one stops dialing and its calls finish. Refused, changing nothing:
        a campaign's ``leads`` file or ``dnc_files`` (read once at start: the lead book holds
        attempts and callbacks; add leads and numbers over the API instead)."""
        old = {c.name: c for c in self.config.campaigns}
        for c in config.campaigns:
            o = old.get(c.name)
            if o is None:
                if c.leads is not None or c.dnc_files:
                    raise ConfigError(
                        f"new campaign {c.name!r} names a leads or dnc_files file: files are "
                        "read at start; add it without them and post its leads to "
                        f"/v1/campaigns/{c.name}/leads, or restart"
                    )
                continue
            for key in ("leads", "dnc_files"):
                if getattr(c, key) != getattr(o, key):
                    raise ConfigError(
                        f"campaign {c.name!r}: {key} changed ({getattr(o, key)!r} -> "
                        f"{getattr(c, key)!r}); files are read once at start and the lead book "
                        "holds attempts and callbacks: post leads to /v1/campaigns/"
                        f"{c.name}/leads and numbers to /v1/dnc, or restart",
                        field=f"campaigns.{c.name}.{key}",
                    )
        changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
        new = {c.name: c for c in config.campaigns}
        for name in [n for n in self.campaigns if n not in new]:
            rt = self.campaigns.pop(name)
            self.timers.cancel(("pace", name))
            for aid in [a for a, r in self._previewing.items() if r is rt]:
                self._withdraw(aid, now)
                self.engine.release_agent(aid, now)
            self._draining[name] = rt
            changes["removed"].append(f"campaign {name}")
        for c in config.campaigns:
            rt = self.campaigns.get(c.name) or self._draining.pop(c.name, None)
            if rt is None:
                leads: LeadSource = (
                    SyntheticLeads()
                    if self.dnc is None
                    else book_leads(c, self.dnc, self.lead_epoch)
                )
                rt = CampaignRuntime(c, leads)
                rt.id_prefix = self.call_prefix
                changes["added"].append(f"campaign {c.name}")
            elif rt.cfg != c or c.name not in self.campaigns:
                if c.mode != "preview":
                    for aid in [a for a, r in self._previewing.items() if r is rt]:
                        self._withdraw(aid, now)
                        self.engine.release_agent(aid, now)
                rt.reconfigure(c)
                configure(rt.leads, c)
                changes["changed"].append(f"campaign {c.name}")
            if c.name not in self.campaigns:
                self.campaigns[c.name] = rt
                self.timers.set(("pace", c.name), now)
        # Removed campaigns keep their queue until their calls have ended.
        for name, rt in list(self._draining.items()):
            if not (rt.inflight or rt.answered or rt.targeted):
                del self._draining[name]
        queues = [
            *config.queues,
            *(campaign_queue(c) for c in config.campaigns),
            *(campaign_queue(rt.cfg) for rt in self._draining.values()),
        ]
        for q in config.queues:
            self._arrivals.setdefault(q.name, deque())
        engine_changes = self.engine.reconfigure(config.model_copy(update={"queues": queues}), now)
        for k, v in engine_changes.items():
            changes[k] += [x for x in v if not x.startswith("queue campaign:")]
        self.config = config
        self._index_campaigns()
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
        if item is not None and self._cdr_sink is not None:
            self._cdr_info[event.call_id] = (rt.name, item[0], item[2])  # taken by _on_cdr
        try:
            if agent_id:  # connected at once: no wait, so no abandonment is possible
                out = self.engine.connect_agent(event.call_id, rt.queue, agent_id, number, now)
                rt.connected(event.call_id, agent_id, now)
                return out
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
                if n["type"] != "agent":
                    continue
                state = n["agent"]["state"]
                if state != "reserved" and n["agent"]["id"] in self._previewing:
                    self._withdraw(n["agent"]["id"], now)  # paused, logged out or removed
                if state not in ("on_call", "wrap_up"):
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

    # --- agent-targeted calls: preview mode and callbacks for an agent ---------------------
    def _show(
        self, rt: CampaignRuntime, agent_id: str, lead: tuple[str, str], now: float
    ) -> list[Command]:
        """Reserve the ready agent and show it the lead (it dials or skips)."""
        lead_id, number = lead
        out = self.engine.reserve_agent(agent_id, now)
        rt.previews[agent_id] = (lead_id, number, now)
        self._previewing[agent_id] = rt
        auto = rt.cfg.preview_timeout_seconds or 0.0
        if auto:
            self.timers.set(("preview", agent_id), now + auto)
        out.append(ShowPreview(agent_id, rt.name, lead_id, number, auto))
        if self.engine.notices is not None:
            self.engine.notices.append(
                {
                    "type": "call",
                    "event": "preview",
                    "call_id": None,
                    "queue": rt.queue,
                    "outcome": None,
                    "seconds": auto,
                    "agent_id": agent_id,
                    "campaign": rt.name,
                    "lead_id": lead_id,
                }
            )
        return out

    def _take_preview(self, agent_id: str) -> tuple[CampaignRuntime, str, str]:
        rt = self._previewing.pop(agent_id)
        lead_id, number, _ = rt.previews.pop(agent_id)
        self.timers.cancel(("preview", agent_id))
        return rt, lead_id, number

    def _withdraw(self, agent_id: str, now: float) -> None:
        """The preview ends undialed (the agent paused or left): the lead keeps its place."""
        rt, lead_id, _ = self._take_preview(agent_id)
        release = getattr(rt.leads, "release", None)
        if release is not None:
            release(lead_id, None)

    def _dial_targeted(self, rt: CampaignRuntime, agent_id: str, now: float) -> list[Command]:
        """Place the previewed lead's call with its agent on the line."""
        _, lead_id, number = self._take_preview(agent_id)
        if self.dnc is not None and number in self.dnc:  # listed while it was on screen
            self.skipped_dnc += 1
            rt.leads.record(lead_id, "do_not_call", now)
            return self.engine.release_agent(agent_id, now)
        out = self.engine.dial_agent(agent_id, now)
        call_id = rt.new_call_id()
        rt.dialed(call_id, lead_id, number, now)
        self._call_campaign[call_id] = rt
        rt.targeted[call_id] = agent_id
        out.append(
            Originate(call_id, number, rt.cfg.caller_id, rt.cfg.ring_seconds, agent_id=agent_id)
        )
        return out

    def _preview_action(self, e: ev.PreviewDial | ev.PreviewSkip, now: float) -> list[Command]:
        rt = self._previewing.get(e.agent_id)
        if rt is None:
            if isinstance(e, ev.PreviewDial) and e.lead_id:
                return []  # a dial of a lead already auto-dialled or withdrawn
            a = self.engine.agents.get(e.agent_id)
            if a is None:
                raise UnknownEntity("agent", e.agent_id)
            move = "preview_dial" if isinstance(e, ev.PreviewDial) else "preview_skip"
            raise IllegalTransition("agent", a.id, a.state.value, move)
        if isinstance(e, ev.PreviewDial):
            if e.lead_id and e.lead_id != rt.previews[e.agent_id][0]:
                return []
            return self._dial_targeted(rt, e.agent_id, now)
        _, lead_id, _ = self._take_preview(e.agent_id)
        if rt.cfg.preview_skip == "close":
            from dialer.retries import Disposition, DispositionKind

            rt.leads.record(lead_id, Disposition("skipped", DispositionKind.FINAL), now)
        else:
            release = getattr(rt.leads, "release", None)
            if release is not None:
                release(lead_id, now + rt.cfg.preview_skip_delay_seconds)
        return self.engine.release_agent(e.agent_id, now)

    def _callbacks(self, rt: CampaignRuntime, now: float) -> list[Command]:
        """Callbacks for a given agent: dialed only when that agent is ready (shown first in
        preview mode), with the agent on the line. If the agent is not logged in (or no longer
        serves the campaign) ``callback_grace_seconds`` after one came due, anyone may take it."""
        due = getattr(rt.leads, "callback_agents", None)
        if due is None:
            return []
        out: list[Command] = []
        for aid in due(now):
            a = self.engine.agents.get(aid)
            serving = a is not None and rt in self._agent_campaigns.get(aid, ())
            if a is None or a.state is AgentState.LOGGED_OUT or not serving:
                rt.leads.to_anyone(aid, now - rt.cfg.callback_grace_seconds)  # type: ignore[attr-defined]
                continue
            if a.state is not AgentState.READY:
                continue  # logged in: the callback waits for this agent
            lead = rt.leads.next_for_agent(aid, now)  # type: ignore[attr-defined]
            if lead is None:
                continue
            out += self._show(rt, aid, lead, now)
            if rt.cfg.mode != "preview":
                out += self._dial_targeted(rt, aid, now)
        return out

    def _previews(self, rt: CampaignRuntime, now: float) -> list[Command]:
        """Preview mode: reserve each ready agent (longest idle first) and show it a lead."""
        inbound_waiting, reserve = self._inbound_reserve(rt, now)
        if inbound_waiting or (self.day_end is not None and now >= self.day_end):
            return []
        base = self.engine.queues[rt.queue].levels[0][0]
        out: list[Command] = []
        for _ in range(max(0, base.ready - reserve)):
            best = base.best(())
            if best is None:
                break
            lead = rt.leads.next_lead(now)
            if lead is None:
                break
            agent = best[1]
            assert isinstance(agent, AgentRt)
            out += self._show(rt, agent.id, lead, now)
        return out

    def preview_view(self, agent_id: str, now: float) -> dict[str, Any] | None:
        """What the agent previews (the lead and when it is dialed by itself), or None."""
        rt = self._previewing.get(agent_id)
        if rt is None:
            return None
        lead_id, number, since = rt.previews[agent_id]
        lead: dict[str, Any] = {"lead_id": lead_id, "phone": number}
        if isinstance(rt.leads, BookLeads):
            lead = lead_view(rt.leads, lead_id)
        auto = rt.cfg.preview_timeout_seconds
        return {
            "agent_id": agent_id,
            "campaign": rt.name,
            "lead": lead,
            "shown_seconds": max(0.0, now - since),
            "auto_dial_in_seconds": max(0.0, since + auto - now) if auto else None,
        }

    def lead_book(self, name: str, *, create: bool = False) -> BookLeads | None:
        """The campaign's lead book; with ``create``, a campaign dialing synthetic numbers (no
        lead file) gets an empty book and dials it from then on."""
        rt = self.campaigns.get(name)
        if rt is None:
            raise UnknownEntity("campaign", name)
        if not isinstance(rt.leads, BookLeads) and create:
            if self.dnc is None:
                from dialer.dnc import DoNotCallList

                self.dnc = DoNotCallList()
            rt.leads = book_leads(rt.cfg, self.dnc, self.lead_epoch)
        return rt.leads if isinstance(rt.leads, BookLeads) else None

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
        if rt.paused or self.stop_dialing:
            return []
        cb = self._callbacks(rt, now)
        if rt.cfg.mode == "preview":
            return cb + self._previews(rt, now)
        return cb + self._pace_calls(rt, now)

    def _pace_calls(self, rt: CampaignRuntime, now: float) -> list[Command]:
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


def lead_view(source: BookLeads, lead_id: str) -> dict[str, Any]:
    """A lead and where it stands, for the API (times are Unix seconds)."""
    book = source.book
    lead, st = book.lead(lead_id), book.state(lead_id)
    return {
        **lead_to_dict(lead),
        "status": book.status(lead_id),
        "attempts": st.attempts,
        "last_outcome": st.last_outcome,
        "last_attempt_at": st.last_attempt_at,
        "next_attempt_at": st.next_attempt_at,
        "done_reason": st.done_reason.value if st.done_reason is not None else None,
        "callback": st.callback,
        "callback_agent": st.callback_agent,
    }
