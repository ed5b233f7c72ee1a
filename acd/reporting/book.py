"""The interval book: each queue's and agent's figures per report interval and per business day.

The engine fills it as events happen, O(1) per event. A call's figures in a queue belong to the
interval (and business day) in which it entered that queue, whenever they become known (its
answer, abandonment, talk or wrap-up may come intervals later). An agent's time in each state
belongs to the intervals it was spent in; its calls belong to the interval the call entered.

Rows are :class:`acd.stats.QueueStats` and :class:`acd.stats.AgentStats`. Each event updates one
row, not a row and the day: a day's figures are its *base* (``QueueRt.base`` / ``AgentRt.base``
today, kept here once the day rolls over) plus the rows not yet folded into it (``open``). A row
is folded into its day (:meth:`fold`) once its interval has ended and no call or wrap-up can still
change it; a later change to a folded row (a late score, a repeat contact) goes to the row and
the base alike. :meth:`queue_view` and :meth:`agent_view` give a day's figures.

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

BaseOf = Callable[[str, str], Any]  # (name, business date) -> that day's base, or None
QueueKey = tuple[float, str]  # (interval start, queue)
AgentKey = tuple[float, str]  # (interval start, agent id)


class IntervalBook:
    __slots__ = (
        "_days",
        "_unfolded",
        "agent_days",
        "agent_rows",
        "by_start",
        "cal",
        "campaign_rows",
        "day_end",
        "dirty",
        "keep_days",
        "open",
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
        # Queue and agent rows not yet in their day's base, by (kind, name).
        self.open: dict[tuple[str, str], list[Any]] = {}
        self._days: dict[float, str] = {}  # interval start -> business date
        self._unfolded: dict[float, int] = {}  # interval start -> its rows still open
        self.keep_days = keep_days  # rows kept in memory (None: all; the store keeps the rest)
        self.today = ""  # the business date of today's figures ("" until the first tick)
        self.day_end = 0.0  # when it ends, engine time

    def queue_row(self, q: QueueRt, start: float) -> QueueStats:
        key = (start, q.name)
        row = self.queue_rows.get(key)
        if row is None:
            row = self.queue_rows[key] = QueueStats(q.cfg)
            row.key = ("queue", start, q.name)
            self.register(start, row)
        return row

    def agent_row(self, start: float, agent_id: str) -> AgentStats:
        key = (start, agent_id)
        row = self.agent_rows.get(key)
        if row is None:
            row = self.agent_rows[key] = AgentStats()
            row.key = ("agent", start, agent_id)
            self.register(start, row)
        return row

    def campaign_row(self, start: float, name: str, factory: Callable[[], Any]) -> Any:
        key = (start, name)
        row = self.campaign_rows.get(key)
        if row is None:
            row = self.campaign_rows[key] = factory()
            row.key = ("campaign", start, name)
            self.register(start, row)
        return row

    def register(self, start: float, row: Any) -> None:
        """File ``row`` under its interval; a queue or agent row is open until :meth:`fold`."""
        rows = self.by_start.get(start)
        if rows is None:
            rows = self.by_start[start] = []
        rows.append(row)
        kind, _, name = row.key
        if kind != "campaign" and not row.folded:
            self.open.setdefault((kind, name), []).append(row)
            self._unfolded[start] = self._unfolded.get(start, 0) + 1

    def forget_open(self) -> None:
        """No row is open (the rows were dropped: a statistics reset)."""
        self.open.clear()
        self._unfolded.clear()

    def open_before(self, lo: float) -> bool:
        """Some row of an interval before ``lo`` is still open."""
        return any(x < lo for x in self._unfolded)

    def day_of(self, start: float) -> str:
        """The business date of the interval at ``start``."""
        day = self._days.get(start)
        if day is None:
            day = self._days[start] = self.cal.day(start)
        return day

    def fold(
        self,
        lo: float,
        busy: set[tuple[str, float, str]],
        queue_base: BaseOf,
        agent_base: BaseOf,
    ) -> None:
        """Add the open rows that can no longer change into their day's bases
        (``queue_base(name, day)``, ``agent_base(agent_id, day)``; None: no day held): rows of
        intervals before ``lo`` but those in ``busy`` (held by a call or a wrap-up)."""
        for start in [x for x in self._unfolded if x < lo]:
            day = self.day_of(start)
            left = 0
            for r in self.by_start.get(start, ()):
                kind, _, name = r.key
                if kind == "campaign" or r.folded:
                    continue
                if r.key in busy:
                    left += 1
                    continue
                base = (queue_base if kind == "queue" else agent_base)(name, day)
                if base is not None:
                    base.absorb(r)
                r.folded = True
                rows = self.open[(kind, name)]
                rows.remove(r)
                if not rows:
                    del self.open[(kind, name)]
            if left:
                self._unfolded[start] = left
            else:
                del self._unfolded[start]

    @staticmethod
    def targets(base: Any, row: Any) -> tuple[Any, ...]:
        """What a change to ``row`` (or, without one, to the day) must update: the row alone
        while it is open, the row and its day's ``base`` once it is folded."""
        if row is None:
            return () if base is None else (base,)
        if row.folded and base is not None:
            return (base, row)
        return (row,)

    def queue_view(self, q: QueueRt, base: QueueStats | None, day: str) -> QueueStats:
        """Queue ``q``'s figures of business date ``day``: ``base`` and its open rows (``base``
        itself when it has none: read it, do not change it)."""
        return self._view(("queue", q.name), base, day, lambda: QueueStats(q.cfg))

    def agent_view(self, agent_id: str, base: AgentStats | None, day: str) -> AgentStats:
        """An agent's figures of business date ``day``, as :meth:`queue_view`."""
        return self._view(("agent", agent_id), base, day, AgentStats)

    def _view(self, owner: tuple[str, str], base: Any, day: str, fresh: Callable[[], Any]) -> Any:
        rows = [r for r in self.open.get(owner, ()) if self.day_of(r.key[1]) == day]
        if not rows and base is not None:
            return base
        st = fresh()
        for r in (base, *rows) if base is not None else rows:
            st.absorb(r)
        return st

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
        # A row not yet in its day's figures is kept.
        cut = min([cut, *self._unfolded])
        for rows in (self.queue_rows, self.agent_rows, self.campaign_rows):
            for key in [k for k in rows if k[0] < cut]:
                del rows[key]
        for start in [s for s in self.by_start if s < cut]:
            del self.by_start[start]
        self._days = {s: d for s, d in self._days.items() if s >= cut}
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
