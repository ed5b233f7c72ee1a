"""Agent-targeted calls: preview mode (a ready agent is reserved and shown a lead, then dials
or skips) and callbacks held for a given agent."""

from __future__ import annotations

from typing import Any

from acd import events as ev
from acd.commands import Command, Originate, ShowPreview
from acd.entities import AgentRt
from acd.errors import IllegalTransition, TrunkUnavailable, UnknownEntity
from acd.states import AgentState
from dialer.campaign import CampaignRuntime
from dialer.center.base import CenterBase
from dialer.center.views import lead_view
from dialer.leadsource import BookLeads


class PreviewMixin(CenterBase):
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
            rt.dnc_blocked(now)
            rt.leads.record(lead_id, "do_not_call", now)
            return self.engine.release_agent(agent_id, now)
        out = self.engine.dial_agent(agent_id, now)
        call_id = rt.new_call_id()
        rt.dialed(call_id, lead_id, number, now)
        if self.engine.dirty_calls is not None:  # a persister keeps it
            self.engine.dirty_calls.add(call_id)
        self._call_campaign[call_id] = rt
        rt.targeted[call_id] = agent_id
        out.append(
            Originate(
                call_id,
                number,
                rt.cfg.caller_id,
                rt.cfg.ring_seconds,
                agent_id=agent_id,
                queue=rt.queue,
            )
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
            if not self.trunk_up:
                raise TrunkUnavailable()  # the lead stays on the agent's screen
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
