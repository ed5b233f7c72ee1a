"""Pacing: how many calls to place now, the inbound-first rule and the Erlang C reserve of
agents kept free for the inbound queues' service level."""

from __future__ import annotations

import numpy as np

from acd.commands import Command, Originate
from dialer.abandonment import DAY
from dialer.campaign import CampaignRuntime
from dialer.center.base import RESERVE_WINDOW, CenterBase
from dialer.pacing import PacingInput


class DialingMixin(CenterBase):
    def _inbound_reserve(self, rt: CampaignRuntime, now: float) -> tuple[bool, int]:
        """(inbound callers waiting, agents to keep free for the inbound service level)."""
        queues = self._inbound_for[rt.name]
        if not queues:
            return False, 0
        if any(q.present for q in queues):
            return True, 0  # inbound first, always: that is what blending means
        if not rt.cfg.inbound_reserve:
            return False, 0  # the flag turns off only the Erlang C reserve
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
        if rt.paused or self.stop_dialing or not self.trunk_up:
            return []  # paused, shutting down, or no PBX to dial through: no attempt spent
        cb = self._callbacks(rt, now)
        if rt.cfg.mode == "preview":
            out = cb + self._previews(rt, now)
        else:
            out = cb + self._pace_calls(rt, now)
        rt.book_dnc_blocked(now)  # leads the book closed as listed while picking
        return out

    def _pace_calls(self, rt: CampaignRuntime, now: float) -> list[Command]:
        q = self.engine.queues[rt.queue]
        base = q.levels[0][0]
        inbound_waiting, reserve = self._inbound_reserve(rt, now)
        ready = base.ready
        if inbound_waiting:
            ready = 0
        ready = max(0, ready - reserve)
        calls, drops = rt.minute(now)
        rt.roll_day(now)
        a24, d24 = rt.ledger.counts(now, DAY)
        a30d, d30d = rt.ledger.counts(now, 30 * DAY)
        a30m, d30m = rt.ledger.counts(now, 1800.0)
        inp = PacingInput(
            now=now,
            ready=ready,
            waiting=q.present,
            logged_in=base.logged_in,
            busy_elapsed=np.fromiter((now - t for t in rt.connect_at.values()), float),
            talk_elapsed=np.fromiter(
                (now - t for a, t in rt.connect_at.items() if a not in rt.wrap_at), float
            ),
            wrap_elapsed=np.fromiter((now - t for t in rt.wrap_at.values()), float),
            inflight_elapsed=np.fromiter((now - d for _, _, d in rt.inflight.values()), float),
            ring_timeout=rt.cfg.ring_seconds,
            connect_within=rt.cfg.connect_within_seconds,
            target=rt.cfg.abandonment_target,
            running_24h=d24 / a24 if a24 else 0.0,
            answers_24h=a24,
            running_recent=d30m / a30m if a30m else 0.0,
            answers_recent=a30m,
            running_30d=d30d / a30d if a30d else 0.0,
            answers_30d=a30d,
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
                rt.dnc_blocked(now)
                rt.leads.record(lead_id, "do_not_call", now)
                continue
            call_id = rt.new_call_id()
            rt.dialed(call_id, lead_id, number, now)
            if self.engine.dirty_calls is not None:  # a persister keeps it
                self.engine.dirty_calls.add(call_id)
            self._call_campaign[call_id] = rt
            out.append(
                Originate(call_id, number, rt.cfg.caller_id, rt.cfg.ring_seconds, amd=rt.cfg.amd)
            )
        return out
