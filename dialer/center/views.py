"""Campaign figures and views for the API and reports, and the lead books they read."""

from __future__ import annotations

from typing import Any

from acd.entities import AgentRt
from acd.errors import UnknownEntity
from acd.reporting.campaign import CampaignStats
from acd.states import AgentState
from dialer.center.base import CenterBase
from dialer.leads import lead_to_dict
from dialer.leadsource import BookLeads, book_leads
from dialer.retries import attempt_history

# The states in which an agent has a call of a queue: ringing, talking, wrapping it up.
WORKING = (AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP)


class ViewsMixin(CenterBase):
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
                    "hit_rate": r["hit_rate"],
                    # Leads not closed (None: synthetic numbers, never exhausted).
                    "leads_left": (
                        rt.leads.book.open_count() if isinstance(rt.leads, BookLeads) else None
                    ),
                    "in_flight": len(rt.inflight),
                    "logged_in": self.engine.queues[rt.queue].levels[0][0].logged_in,
                    **{k: r[k] for k in ("dialed", "live_answers", "connected", "abandoned")},
                    "report": r,
                }
            )
        return out

    def agent_work(self, now: float) -> dict[str, str]:
        """The campaign each agent works for now: held for its preview or callback, dialing,
        ringing, talking or in wrap-up on a campaign call (agents working no campaign: absent)."""
        out = {aid: rt.name for aid, rt in self._previewing.items()}
        for rt in [*self.campaigns.values(), *self._draining.values()]:
            for aid in rt.targeted.values():
                out[aid] = rt.name
        by_queue = self._by_queue
        for a in self.engine.agents.values():
            queue = a.call.queue.name if a.call is not None else a.last_queue
            if a.state in WORKING and queue in by_queue:
                out[a.id] = by_queue[queue].name
        return out

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

    def _campaign_agent_seconds(self, start: float) -> dict[str, float]:
        """Logged-in seconds of each campaign's agents in the interval at ``start`` (the
        engine's agent rows)."""
        rows = self.engine.book.agent_rows
        out = dict.fromkeys(self.campaigns, 0.0)
        for agent_id, served in self._agent_campaigns.items():
            row = rows.get((start, agent_id))
            if row is None:
                continue
            logged = sum(v for k, v in row.time_in.items() if k != "logged_out")
            for rt in served:
                out[rt.name] += logged
        return out

    def _close_campaign_rows(self, now: float) -> None:
        """An interval ended: its campaign rows get their agents' logged-in time."""
        book = self.engine.book
        lo = book.cal.interval(now)
        if self._ivl_seen >= 0:
            for name, seconds in self._campaign_agent_seconds(self._ivl_seen).items():
                book.campaign_row(self._ivl_seen, name, CampaignStats).agent_seconds = seconds
        self._ivl_seen = lo

    def campaign_day(self, now: float) -> dict[str, dict[str, Any]]:
        """Each campaign's figures today: the sum of its rows of the business day (attempts by
        the interval they were dialed in), the open interval's agent time included."""
        book = self.engine.book
        lo, hi = book.cal.day_bounds(book.today) if book.today else (now, now)
        live = self._campaign_agent_seconds(book.cal.interval(now))
        rows: dict[str, list[CampaignStats]] = {name: [] for name in self.campaigns}
        for (start, n), row in book.campaign_rows.items():
            if n in rows and lo <= start < hi:
                rows[n].append(row)
        out = {}
        for name, parts in rows.items():
            day = CampaignStats.day_total(parts)  # distinct leads: first dialed today, summed
            day.agent_seconds += live[name]
            out[name] = day.kpis()
            out[name]["leads_dialed"] = day.leads
            out[name]["accounts_dialed"] = day.accounts
        return out

    def campaign_report(self, now: float) -> dict[str, dict[str, Any]]:
        out = {}
        for rt in self.campaigns.values():
            agents: list[AgentRt] = [
                a for a in self.engine.agents.values() if rt in self._agent_campaigns.get(a.id, ())
            ]
            logged = ready = 0.0
            for a in agents:
                t = dict(a.stats.time_in)
                t[a.state.value] += max(0.0, now - a.acct)
                logged += sum(v for k, v in t.items() if k != "logged_out")
                ready += t["ready"]
            out[rt.name] = rt.report(now, logged, ready)
        for name, day in self.campaign_day(now).items():
            out[name]["today"] = day
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
        "history": attempt_history(st),
        "last_attempt_at": st.last_attempt_at,
        "next_attempt_at": st.next_attempt_at,
        "done_reason": st.done_reason.value if st.done_reason is not None else None,
        "callback": st.callback,
        "callback_agent": st.callback_agent,
    }
