"""A campaign at run time: calls in flight, outcomes, estimates, abandonment, figures."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from acd.config.schema import Campaign, Queue
from acd.reporting.book import IntervalBook
from acd.reporting.campaign import CampaignStats
from dialer.abandonment import DAY, AbandonLedger
from dialer.estimators import Estimates
from dialer.leadsource import LeadSource
from dialer.pacing import Pacer, Power, Predictive, Progressive

OUTCOMES = ("human", "machine", "no_answer", "busy", "failed")


def campaign_queue(c: Campaign) -> Queue:
    """The ACD queue a campaign's live answers enter: the 2-second rule as its maximum wait."""
    return Queue(
        name=f"campaign:{c.name}",
        skills=dict(c.skills),
        strategy="longest-idle",
        priority=c.priority,
        wrap_up_seconds=c.wrap_up_seconds,
        ring_timeout_seconds=max(c.connect_within_seconds, 1.0),
        max_wait_seconds=c.connect_within_seconds,
        short_abandon_seconds=0.0,
        auto_answer=True,
        max_no_answer=0,
    )


def make_pacer(c: Campaign) -> Pacer:
    if c.mode == "power":
        return Power(c.power_ratio)
    if c.mode == "predictive":
        return Predictive()
    return Progressive()  # preview is driven by agents; progressive otherwise


@dataclass
class Figures:
    dialed: int = 0
    human: int = 0
    machine: int = 0
    no_answer: int = 0
    busy: int = 0
    failed: int = 0
    connected: int = 0
    abandoned: int = 0
    talk_seconds: float = 0.0
    handle_seconds: float = 0.0
    success: int = 0
    contacts: int = 0
    first_call_close: int = 0
    dead_air_seconds: float = 0.0  # connected live answers: from the answer to the agent
    leads_touched: set[str] = field(default_factory=set)
    leads_earlier: int = 0  # leads touched before a restart (the store keeps their count)


class CampaignRuntime:
    def __init__(self, cfg: Campaign, leads: LeadSource, pacer: Pacer | None = None) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.queue = f"campaign:{cfg.name}"
        self.leads = leads
        self.pacer = pacer or make_pacer(cfg)
        self.est = Estimates()
        self.feeds = self._feeds()
        self.ledger = AbandonLedger()
        self.fig = Figures()
        self.inflight: dict[str, tuple[str, str, float]] = {}  # call -> (lead, number, dialed at)
        self.numbers: dict[str, str] = {}  # live calls' numbers (a do-not-call disposition)
        self.agent_call: dict[str, str] = {}  # agent -> its current or last campaign call
        self.call_agent: dict[str, str] = {}  # connected calls still talking: call -> agent
        self.wrap_at: dict[str, float] = {}  # agent -> when its campaign call's wrap-up began
        self.awaiting: dict[str, str] = {}  # talk over, disposition awaited: call -> lead
        self.dispo: dict[str, object] = {}  # disposition set while still talking: call -> it
        self.kinds = {d.name: d.kind for d in cfg.dispositions}
        self.answered: dict[str, tuple[str, float]] = {}  # live answers: call -> (lead, at)
        self.connect_at: dict[str, float] = {}  # agent id -> when its campaign call connected
        self.attempts: dict[str, int] = {}  # lead -> attempts so far
        # Agent-targeted calls (preview mode, callbacks for an agent): agent -> the lead it sees
        # (lead, number, shown at); call -> the agent on the line.
        self.previews: dict[str, tuple[str, str, float]] = {}
        self.targeted: dict[str, str] = {}
        self.callback_req: dict[str, dict[str, Any]] = {}  # call -> callback_at/_agent asked
        self.paused = False
        self.seq = 0
        self.dnc_seen = 0  # the lead book's do-not-call stops counted in rows so far
        self.id_prefix = ""  # unique per daemon start: call ids never repeat across restarts
        # Recent outcomes for look-back laws: (time, was a drop), last minute.
        self.recent: list[tuple[float, bool]] = []
        self.day_answers = 0
        self.day_drops = 0
        self.pace_day_end = float("-inf")
        self.dial_times: deque[float] = deque()
        self.started = -1.0
        # Interval rows (acd.reporting.campaign): the engine's book, set by the Center; each
        # attempt's row (the interval it was dialed in) until the attempt is settled, and a
        # connected agent's until its wrap-up ends (handle time).
        self.book: IntervalBook | None = None
        self.call_rows: dict[str, CampaignStats] = {}
        self.agent_rows: dict[str, CampaignStats] = {}
        # Distinct leads and accounts: when each was last dialed this business day (engine
        # time; forgotten when the next day starts, at day_end).
        self.day_start = self.day_end = float("-inf")
        self.counted_from = float("-inf")  # the end of a warm-up: attempts before count nowhere
        self.lead_dialed: dict[str, float] = {}
        self.account_dialed: dict[str, float] = {}

    def _feeds(self) -> list[Any]:
        """The estimates fed with outcomes: the campaign's, and a pacer's own if it keeps one
        (a baseline with other estimators, in the benchmarks)."""
        own = getattr(self.pacer, "est", None)
        return [self.est] if own is None else [self.est, own]

    def roll_day(self, now: float) -> None:
        """A new business day: the day's answers and drops start again (the budget's day)."""
        if self.book is None:
            return
        cal = self.book.cal
        if now >= self.pace_day_end:
            first = self.pace_day_end == float("-inf")  # counts restored for today stand
            self.pace_day_end = cal.day_bounds(cal.day(now))[1]
            if not first:
                self.day_answers = self.day_drops = 0

    def _touch(self, row: CampaignStats) -> None:
        """A row changed: the next drain of the book writes it."""
        if self.book is not None and row.key is not None:
            self.book.dirty.add(row)

    def dnc_blocked(self, now: float, n: int = 1) -> None:
        """Dials the do-not-call list stopped at the moment of dialing, in ``now``'s row."""
        if self.book is None or n <= 0:
            return
        row = self.book.campaign_row(self.book.cal.interval(now), self.name, CampaignStats)
        row.dnc_blocked += n
        self._touch(row)

    def book_dnc_blocked(self, now: float) -> None:
        """Count the lead book's do-not-call stops since the last look (they close the lead
        inside the book, before the dialer sees it)."""
        seen = getattr(self.leads, "dnc_blocked", None)
        if isinstance(seen, int) and seen > self.dnc_seen:
            self.dnc_blocked(now, seen - self.dnc_seen)
            self.dnc_seen = seen

    def new_call_id(self) -> str:
        self.seq += 1
        return f"{self.id_prefix}{self.name}-{self.seq}"

    # --- outcomes --------------------------------------------------------------------------
    def dial_rate(self, now: float, window: float = 60.0) -> float:
        """Calls placed per second over the last minute."""
        d = self.dial_times
        while d and d[0] <= now - window:
            d.popleft()
        return len(d) / min(window, max(now - self.started, 1.0))

    def dialed(self, call_id: str, lead_id: str, number: str, now: float) -> None:
        if self.started < 0:
            self.started = now
        self.dial_times.append(now)
        self.inflight[call_id] = (lead_id, number, now)
        for est in self.feeds:
            est.dialed(call_id, now)
        self.fig.dialed += 1
        self.fig.leads_touched.add(lead_id)
        if self.book is not None:
            self._count_dial(call_id, lead_id, number, now)
        self.attempts[lead_id] = self.attempts.get(lead_id, 0) + 1

    def _count_dial(self, call_id: str, lead_id: str, number: str, now: float) -> None:
        """The dial in its interval's row: a lead (an account) counts once per row, and once
        per business day in the row of its first dial that day."""
        assert self.book is not None
        cal = self.book.cal
        if now >= self.day_end:
            self.day_start, self.day_end = cal.day_bounds(cal.day(now))
            self.lead_dialed.clear()
            self.account_dialed.clear()
        start = cal.interval(now)
        row = self.book.campaign_row(start, self.name, CampaignStats)
        row.dials += 1
        account_of = getattr(self.leads, "account_of", None)
        account = account_of(lead_id) if account_of is not None else number
        for seen, key, field_, day_field in (
            (self.lead_dialed, lead_id, "leads", "day_leads"),
            (self.account_dialed, account, "accounts", "day_accounts"),
        ):
            last = seen.get(key)
            if last is None and field_ == "leads":
                last = self._tried_today(lead_id, now)  # a restart forgot it
            if last is None:
                setattr(row, day_field, getattr(row, day_field) + 1)
            if last is None or last < start:
                setattr(row, field_, getattr(row, field_) + 1)
            seen[key] = now
        self._touch(row)
        self.call_rows[call_id] = row

    def _tried_today(self, lead_id: str, now: float) -> float | None:
        """When the lead book last recorded an attempt of the lead, if that was since the day's
        start (or the end of a warm-up): a daemon restarted today dials it again, but not for
        the first time (the attempt's outcome time stands for its dial time)."""
        last_attempt = getattr(self.leads, "last_attempt", None)
        at = last_attempt(lead_id) if last_attempt is not None else None
        ok = at is not None and max(self.day_start, self.counted_from) <= at <= now
        return at if ok else None

    def reset_rows(self, now: float) -> None:
        """Warm-up over: attempts dialed before now count in no row."""
        self.call_rows.clear()
        self.agent_rows.clear()
        self.counted_from = now
        self.day_end = float("-inf")
        self.lead_dialed.clear()
        self.account_dialed.clear()

    def resolved(self, call_id: str, outcome: str, now: float) -> tuple[str, str] | None:
        """A dial ended ringing: human, machine, no_answer, busy or failed."""
        item = self.inflight.pop(call_id, None)
        if item is None:
            return None
        lead_id, number, dialed_at = item
        setattr(self.fig, outcome, getattr(self.fig, outcome) + 1)
        row = (
            self.call_rows.get(call_id) if outcome == "human" else self.call_rows.pop(call_id, None)
        )
        if row is not None:
            setattr(row, outcome, getattr(row, outcome) + 1)
            self._touch(row)
        for est in self.feeds:
            est.dial_ended(call_id, outcome, now - dialed_at, now)
        if outcome == "human":
            self.answered[call_id] = (lead_id, now)
            self.numbers[call_id] = number
            self.ledger.live_answer(now)
            self.day_answers += 1
        else:
            self.leads.record(lead_id, outcome, now)
        return lead_id, number

    def connected(self, call_id: str, agent_id: str, now: float) -> None:
        if call_id in self.answered:
            self.fig.connected += 1
            if (row := self.call_rows.get(call_id)) is not None:
                row.connected += 1
                self._touch(row)
                self.agent_rows[agent_id] = row  # its handle time, when the agent is free
            self.connect_at[agent_id] = now
            for est in self.feeds:
                est.handle_started(agent_id, now)
            self.agent_call[agent_id] = call_id
            self.call_agent[call_id] = agent_id
            self.wrap_at.pop(agent_id, None)
            self._recent(now, drop=False)

    def dropped(self, call_id: str, now: float) -> None:
        """A live answer got no agent within the connect window: abandoned (FTC 2-second rule)."""
        item = self.answered.pop(call_id, None)
        if item is None:
            return
        self.numbers.pop(call_id, None)
        self.fig.abandoned += 1
        if (row := self.call_rows.pop(call_id, None)) is not None:
            row.abandoned += 1
            self._touch(row)
        self.ledger.abandon(now)
        self.day_drops += 1
        self._recent(now, drop=True)
        self.leads.record(item[0], "abandoned", now)

    def talk_ended(self, call_id: str, talk: float, now: float) -> None:
        item = self.answered.pop(call_id, None)
        if item is None:
            return
        self.fig.talk_seconds += talk
        self.fig.contacts += 1
        agent_id = self.call_agent.pop(call_id, None)
        if agent_id is not None and agent_id in self.connect_at:
            self.wrap_at[agent_id] = now
            for est in self.feeds:
                est.talk_ended(agent_id, talk, now)
        if (row := self.call_rows.get(call_id)) is not None:
            row.talk_seconds += talk
            row.contacts += 1
            self._touch(row)
        dispo = self.dispo.pop(call_id, None)
        if dispo is not None:
            self._settle(call_id, item[0], dispo, now)
        else:
            self.awaiting[call_id] = item[0]  # the agent codes it in wrap-up

    def reconfigure(self, cfg: Campaign) -> None:
        """A changed campaign (config reload): the new rules apply from now on; figures, the
        abandonment ledger and the pacer's estimates carry over."""
        if (cfg.mode, cfg.power_ratio) != (self.cfg.mode, self.cfg.power_ratio):
            self.pacer = make_pacer(cfg)
            self.feeds = self._feeds()
        self.cfg = cfg
        self.kinds = {d.name: d.kind for d in cfg.dispositions}

    def lead_of(self, call_id: str) -> str | None:
        """The lead of a campaign call that is live or awaiting its disposition."""
        item = self.answered.get(call_id)
        return item[0] if item is not None else self.awaiting.get(call_id)

    def disposition(
        self, call_id: str, name: str, now: float, callback: dict[str, Any] | None = None
    ) -> str:
        """An agent's wrap-up code for a campaign call; returns its kind. ``callback`` holds
        ``callback_at`` and ``callback_agent`` for a callback code."""
        kind = self.kinds[name]
        if callback:
            self.callback_req[call_id] = callback
        else:
            self.callback_req.pop(call_id, None)
        from dialer.retries import Disposition, DispositionKind

        d = Disposition(name, DispositionKind(kind))
        if call_id in self.answered:
            self.dispo[call_id] = d  # settled when the talk ends
        elif call_id in self.awaiting:
            self._settle(call_id, self.awaiting.pop(call_id), d, now)
        return kind

    def _settle(self, call_id: str, lead_id: str, dispo: object, now: float) -> None:
        kind = getattr(dispo, "kind", "contact")
        row = self.call_rows.pop(call_id, None)
        if kind == "success":
            self.fig.success += 1
            first = self.attempts.get(lead_id, 0) == 1
            self.fig.first_call_close += first
            if row is not None:
                row.success += 1
                row.first_call_close += first
                self._touch(row)
        self.numbers.pop(call_id, None)
        callback = self.callback_req.pop(call_id, None)
        if callback:
            self.leads.record(lead_id, dispo, now, **callback)  # type: ignore[call-arg]
        else:
            self.leads.record(lead_id, dispo, now)

    def agent_free(self, agent_id: str, now: float) -> None:
        at = self.connect_at.pop(agent_id, None)
        self.wrap_at.pop(agent_id, None)
        if at is not None:
            for est in self.feeds:
                est.handle_ended(agent_id, now - at, now)
            self.fig.handle_seconds += now - at
        call_id = self.agent_call.pop(agent_id, None)
        row = self.agent_rows.pop(agent_id, None)
        if at is not None and row is not None:
            row.handle_seconds += now - at
            self._touch(row)
        if call_id is not None and call_id in self.awaiting:
            # Wrap-up over with no disposition: the person was reached, so a contact.
            self._settle(call_id, self.awaiting.pop(call_id), "human", now)

    def _recent(self, now: float, drop: bool) -> None:
        self.recent.append((now, drop))
        if len(self.recent) > 512:
            self.recent = [x for x in self.recent if x[0] > now - 60]

    def minute(self, now: float) -> tuple[int, int]:
        calls = drops = 0
        for t, d in reversed(self.recent):
            if t <= now - 60:
                break
            calls += 1
            drops += d
        return calls, drops

    # --- figures ---------------------------------------------------------------------------
    def report(self, now: float, agent_seconds: float, ready_seconds: float) -> dict[str, Any]:
        f = self.fig
        touched = len(f.leads_touched) + f.leads_earlier
        hours = agent_seconds / 3600
        a24 = self.ledger.counts(now, DAY)
        a30 = self.ledger.counts(now, 30 * DAY)
        return {
            "mode": self.cfg.mode,
            "dialed": f.dialed,
            "live_answers": f.human,
            "machines": f.machine,
            "no_answer": f.no_answer,
            "busy": f.busy,
            "failed": f.failed,
            "connected": f.connected,
            "abandoned": f.abandoned,
            "abandonment_rate": f.abandoned / f.human if f.human else None,
            "abandonment_rate_24h": a24[1] / a24[0] if a24[0] else None,
            "abandonment_rate_30d": a30[1] / a30[0] if a30[0] else None,
            # The counts behind the legal windows (live answers, abandons), for an audit.
            "live_answers_24h": a24[0],
            "abandoned_24h": a24[1],
            "live_answers_30d": a30[0],
            "abandoned_30d": a30[1],
            "hit_rate": f.human / f.dialed if f.dialed else None,
            "connects_per_agent_hour": f.connected / hours if hours else None,
            "talk_occupancy": f.talk_seconds / agent_seconds if agent_seconds else None,
            "mean_idle_seconds_between_calls": ready_seconds / f.connected if f.connected else None,
            "conversion_rate": f.success / f.contacts if f.contacts else None,
            "contacts_per_lead": f.contacts / touched if touched else None,
            "first_call_close": f.first_call_close / f.success if f.success else None,
            # The silence a connected person heard: answer (AMD included) to an agent.
            "dead_air_avg_seconds": f.dead_air_seconds / f.connected if f.connected else None,
            "in_flight": len(self.inflight),
        }
