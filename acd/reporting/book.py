"""The interval book: each queue's and agent's figures per report interval and per business day.

The engine fills it as events happen, O(1) per event. A call's figures in a queue belong to the
interval (and business day) in which it entered that queue, whenever they become known (its
answer, abandonment, talk or wrap-up may come intervals later). An agent's time in each state
belongs to the intervals it was spent in; its calls belong to the interval the call entered.

Rows are :class:`acd.stats.QueueStats` and :class:`acd.stats.AgentStats`; the day's figures of
a queue are its ``QueueRt.stats`` (today) until the day rolls over, then kept here.

Nothing on the hot path marks rows as changed. A row can change only while it is the current
or the previous interval's (time in state, arrivals), or through a call still in the engine or an
agent still in its wrap-up: :meth:`drain` takes those (the engine names the last two), plus the
rows in ``dirty``, where a change from outside (a late score, a correction) is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from acd.reporting.calendar import BusinessCalendar
from acd.stats import AgentStats, QueueStats

if TYPE_CHECKING:
    from acd.entities import QueueRt

QueueKey = tuple[float, str]  # (interval start, queue)
AgentKey = tuple[float, str]  # (interval start, agent id)


class IntervalBook:
    __slots__ = (
        "agent_days",
        "agent_rows",
        "by_start",
        "cal",
        "campaign_rows",
        "day_end",
        "dirty",
        "keep_days",
        "queue_days",
        "queue_rows",
        "today",
    )

    def __init__(self, cal: BusinessCalendar, *, keep_days: float | None = None) -> None:
        self.cal = cal
        self.queue_rows: dict[QueueKey, QueueStats] = {}
        self.agent_rows: dict[AgentKey, AgentStats] = {}
        # The dialer's rows (acd.reporting.campaign.CampaignStats, filled by dialer.campaign).
        self.campaign_rows: dict[tuple[float, str], Any] = {}
        # Past days' figures (today's live on QueueRt.stats / AgentRt.stats): (date, name).
        self.queue_days: dict[tuple[str, str], QueueStats] = {}
        self.agent_days: dict[tuple[str, str], AgentStats] = {}
        self.by_start: dict[float, list[QueueStats | AgentStats]] = {}  # rows by interval
        # Rows (by identity: cheap to hash) changed from outside the open ones.
        self.dirty: set[Any] = set()
        self.keep_days = keep_days  # rows kept in memory (None: all; the store keeps the rest)
        self.today = ""  # the business date of today's figures ("" until the first tick)
        self.day_end = 0.0  # when it ends, engine time

    def queue_row(self, q: QueueRt, start: float) -> QueueStats:
        key = (start, q.name)
        row = self.queue_rows.get(key)
        if row is None:
            row = self.queue_rows[key] = QueueStats(q.cfg)
            row.key = ("queue", start, q.name)
            self.by_start.setdefault(start, []).append(row)
        return row

    def agent_row(self, start: float, agent_id: str) -> AgentStats:
        key = (start, agent_id)
        row = self.agent_rows.get(key)
        if row is None:
            row = self.agent_rows[key] = AgentStats()
            row.key = ("agent", start, agent_id)
            self.by_start.setdefault(start, []).append(row)
        return row

    def campaign_row(self, start: float, name: str, factory: Callable[[], Any]) -> Any:
        key = (start, name)
        row = self.campaign_rows.get(key)
        if row is None:
            row = self.campaign_rows[key] = factory()
            row.key = ("campaign", start, name)
            self.by_start.setdefault(start, []).append(row)
        return row

    def agent_day(self, day: str, agent_id: str) -> AgentStats:
        key = (day, agent_id)
        st = self.agent_days.get(key)
        if st is None:
            st = self.agent_days[key] = AgentStats()
        return st

    def prune(self, now: float) -> None:
        """Forget rows older than ``keep_days`` (a store keeps them for reports)."""
        if self.keep_days is None:
            return
        cut = now - self.keep_days * 86400.0
        for rows in (self.queue_rows, self.agent_rows, self.campaign_rows):
            for key in [k for k in rows if k[0] < cut]:
                del rows[key]
        for start in [s for s in self.by_start if s < cut]:
            del self.by_start[start]
        lo = self.cal.day(cut)
        for days in (self.queue_days, self.agent_days):
            for dkey in [k for k in days if k[0] < lo]:
                del days[dkey]

    def drain(
        self, now: float, open_rows: Iterable[QueueStats | AgentStats] = ()
    ) -> list[dict[str, Any]]:
        """The rows that may have changed since the last drain, as stored rows (see
        :func:`row_record`): the current and previous interval's, ``open_rows`` (the rows of
        calls in the engine and of running wrap-ups: ``Engine.open_rows``) and ``dirty``."""
        lo = self.cal.interval(now)
        keys = {r.key for r in self.dirty if r.key is not None}
        for start in (lo - self.cal.length, lo):
            keys.update(r.key for r in self.by_start.get(start, ()) if r.key is not None)
        keys.update(r.key for r in open_rows if r.key is not None)
        out = []
        for kind, start, name in sorted(keys):
            row: QueueStats | AgentStats | None
            if kind == "queue":
                row = self.queue_rows.get((start, name))
            elif kind == "agent":
                row = self.agent_rows.get((start, name))
            else:
                row = self.campaign_rows.get((start, name))
            if row is not None:
                out.append(row_record(self.cal, kind, start, name, row))
        self.dirty.clear()
        return out

    def records(
        self,
        first: str = "0000-01-01",
        last: str = "9999-12-31",
        waiting: dict[tuple[str, float, str], int] | None = None,
    ) -> list[dict[str, Any]]:
        """Every row the book holds of business dates ``first`` to ``last`` (included), as
        stored rows ordered by date, group, name and start; queue rows with ``waiting``
        (``waiting``: row key -> calls of it still in the queue; none if not given)."""
        cal = self.cal
        out = []
        groups: tuple[tuple[str, dict[tuple[float, str], Any]], ...] = (
            ("agent", self.agent_rows),
            ("campaign", self.campaign_rows),
            ("queue", self.queue_rows),
        )
        for kind, rows in groups:
            for (start, name), row in rows.items():
                if first <= cal.day(start) <= last:
                    rec = row_record(cal, kind, start, name, row)
                    if kind == "queue":
                        rec["waiting"] = (waiting or {}).get(("queue", start, name), 0)
                    out.append(rec)
        out.sort(key=lambda r: (r["date"], r["group"], r["name"], r["start"]))
        return out


def row_record(
    cal: BusinessCalendar, kind: str, start: float, name: str, row: QueueStats | AgentStats
) -> dict[str, Any]:
    """A row as stored: what it is, when (business date, start as Unix time and local ISO
    time), and its counts (``to_dict``)."""
    return {
        "group": kind,
        "name": name,
        "date": cal.day(start),
        "start": cal.unix(start),
        "local": cal.label(start),
        "minutes": int(cal.length // 60),
        "counts": row.to_dict(),
    }
