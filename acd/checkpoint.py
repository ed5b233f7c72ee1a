"""What changed, as a :class:`~acd.store.batch.Batch`; and the core rebuilt from a
:class:`~acd.store.batch.StoredState`. Pure: no I/O, no clock, no store client.

The daemon makes one :class:`Collector` for its core (an :class:`~acd.engine.Engine` or a dialer
:class:`~dialer.center.Center`) and calls :meth:`Collector.collect` after each step (or every few
milliseconds); each call costs O(what changed since the last one): call detail records emitted,
agents whose session changed (the engine's dirty set), leads the books logged, do-not-call
changes, abandonment buckets counted in, campaign state that moved, the interval rows that
changed (the interval book's dirty set, each queue row with the calls of it still in the queue),
and, when asked, the day's KPIs. The first batch carries every agent's session, every lead of
the lead files and every do-not-call number loaded at start (what a fresh store lacks); after a
:func:`restore` only what the store did not have.

:func:`restore` rebuilds a freshly built core (nothing has happened in it yet) from what a store
returned at start. Sessions are replayed as events (login, skills, pause), so the engine's indexes
are built the usual way. An agent on a call or in wrap-up at the crash comes back **paused with
reason "recovered"**: the call may still be up on the PBX (the adapter reconciles calls
separately), and a supervisor would not want a new call offered over it; the agent presses ready.
An agent whose phone was ringing comes back ready (the offer is gone). A pause or log-out asked
for during a call is applied. A skill change made live is kept unless the config file has changed
that agent's skills since (the file wins over an older live change).

Days are the engine's business days (``engine.book.cal``: the center's zone and ``day_starts``).
Today's figures come back only on the same business date: today's interval rows go back into the
interval book, and each queue's and agent's day figures are rebuilt as the sum of those rows (the
rows are written with every batch, the day's KPIs only every few seconds, so the rows are the
fresher of the two; without rows the stored day KPIs are taken). Calls that were in progress at
the crash are taken out of the figures (the adapter's reconciliation enters again those still
up), and the rows so corrected are written again.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from acd import events as ev
from acd.core import Core
from acd.engine import Engine
from acd.entities import AgentRt
from acd.live_calls import adopt, changed_calls
from acd.records import CallDetail
from acd.reporting.book import IntervalBook
from acd.reporting.campaign import CampaignStats
from acd.states import AgentState
from acd.store.batch import Batch, StoredState
from dialer.campaign import CampaignRuntime
from dialer.dnc import DoNotCallList
from dialer.leadbook import LeadBook
from dialer.leadsource import BookLeads

A = AgentState
RECOVERED = "recovered"  # pause reason of agents who were busy when the daemon stopped


def _books(core: Core) -> dict[str, tuple[LeadBook, float]]:
    """campaign -> (its lead book, the book's clock offset), for campaigns dialling a book."""
    out = {}
    for name, rt in core.campaigns.items():
        src = rt.leads
        if isinstance(src, BookLeads) and isinstance(src.book, LeadBook):
            out[name] = (src.book, src.epoch)
    return out


def _dnc(core: Core) -> DoNotCallList | None:
    return core.dnc if isinstance(core.dnc, DoNotCallList) else None


def config_skills(engine: Engine) -> dict[str, dict[str, int]]:
    """agent id -> its skills in the engine's config file."""
    return {c.id: dict(c.skills) for c in engine.config.agents}


def session(a: AgentRt, file_skills: dict[str, int] | None) -> dict[str, Any] | None:
    """An agent's session as JSON-able data (``file_skills``: its skills in the config file);
    None when logged out."""
    if a.state is A.LOGGED_OUT:
        return None
    return {
        "state": a.state.value,
        "pause_reason": a.pause_reason if a.state is A.PAUSED else "",
        "pending": list(a.pending) if a.pending else None,
        "skills": dict(a.skills),
        "config_skills": file_skills,
        "since": a.since,
    }


def figures(fig: Any) -> dict[str, Any]:
    """A campaign's figures (dialer.campaign.Figures) as JSON-able data; the leads touched as
    a count."""
    out = {k: v for k, v in vars(fig).items() if k not in ("leads_touched", "leads_earlier")}
    out["leads_touched"] = len(fig.leads_touched) + fig.leads_earlier
    return out


def _load_figures(fig: Any, saved: dict[str, Any]) -> None:
    for k, v in saved.items():
        if k == "leads_touched":
            fig.leads_earlier = int(v)  # the leads themselves are not kept: counted once more
        elif k != "leads_earlier" and isinstance(getattr(fig, k, None), int | float):
            setattr(fig, k, type(getattr(fig, k))(v))


def day_kpis(engine: Engine, now: float, day: str) -> dict[str, Any]:
    """The day's queue and agent figures, open state intervals closed at ``now``."""
    waiting: dict[str, int] = dict.fromkeys(engine.queues, 0)
    for c in engine.calls.values():
        if c.present and engine.counts_today(c):
            waiting[c.queue.name] += 1
    queues = {}
    for name, q in engine.queues.items():
        d = q.stats.to_dict()
        d["waiting"] = waiting[name]
        queues[name] = d
    agents = {}
    for a in engine.agents.values():
        d = a.stats.to_dict()
        d["time_in"][a.state.value] += max(0.0, now - a.acct)
        agents[a.id] = d
    return {"day": day, "queues": queues, "agents": agents}


class Collector:
    """Gathers what changed in a core since the last :meth:`collect`, as a Batch.

    It takes over the core's CDR sink and the engine's dirty-agent set (one collector per core).
    Days are the engine's business dates.
    """

    def __init__(self, core: Core) -> None:
        self.core = core
        self.engine = core.engine
        self.day = core.engine.book.cal.day
        self._kept_for: tuple[str, int] = ("", 0)  # (day, retention) of the last intervals_from
        self._cdrs: list[CallDetail] = []
        core.cdr_sink = self._cdrs.append
        self.engine.dirty_agents = set(self.engine.agents)  # the first batch has every session
        self.engine.dirty_callbacks = set()
        # The first batch has every call in progress too: the engine's and the dials in flight.
        dials = [rt.inflight for rt in core.campaigns.values()]
        self.engine.dirty_calls = set(self.engine.calls).union(*dials)
        self._dnc = _dnc(core)
        self._campaigns_sent: dict[str, dict[str, Any]] = {}
        self._pacing: dict[str, dict[str, Any]] = {}
        self._config = self.engine.config
        self._file_skills = config_skills(self.engine)

    def collect(self, seq: int, now: float, *, kpis: bool = False) -> Batch:
        b = Batch(seq)
        if self._cdrs:
            b.records = [c.as_dict() for c in self._cdrs]
            self._cdrs.clear()
        engine = self.engine
        dirty = engine.dirty_agents
        if dirty:
            if engine.config is not self._config:  # reloaded
                self._config, self._file_skills = engine.config, config_skills(engine)
            for agent_id in dirty:
                a = engine.agents.get(agent_id)
                skills = self._file_skills.get(agent_id)
                b.sessions[agent_id] = None if a is None else session(a, skills)
            dirty.clear()
        if b.sessions or engine.dirty_calls or b.records:
            b.calls = changed_calls(self.core, set(b.sessions), b.records, now)
        for name, (book, _) in _books(self.core).items():  # campaigns come and go on reload
            changed = book.drain_changes()
            if changed:
                b.leads[name] = {lead_id: book.dump(lead_id) for lead_id in changed}
        if self._dnc is not None:
            for number, entry in self._dnc.drain_changes().items():
                b.dnc[number] = None if entry is None else {"source": entry.source, "at": entry.at}
        day = self.day(now)
        for name, rt in self.core.campaigns.items():  # none without campaigns
            buckets = rt.ledger.drain_changes()
            if buckets:
                b.abandon[name] = buckets
            sent = self._campaigns_sent.get(name)
            cur = {
                "paused": rt.paused,
                "day": day,
                "day_answers": rt.day_answers,
                "day_drops": rt.day_drops,
                "figures": sent["figures"] if sent else None,
            }
            # The pacer's estimates and budget move with nearly every call: taken with the
            # day's figures (every few seconds), and kept in every write of the campaign.
            if kpis or name not in self._pacing:
                self._pacing[name] = pacing_state(rt)
            cur["pacing"] = self._pacing[name]
            # Figures move only with a dial, an outcome or a code, each of which changes a
            # record, a call in progress or a lead in this batch: looked at only then.
            if sent is None or b.records or b.calls or b.leads:
                cur["figures"] = figures(rt.fig)
            if sent != cur:
                b.campaigns[name] = cur
                self._campaigns_sent[name] = cur
        if engine.contacts.changed:
            b.contacts = engine.contacts.drain_changes()
        if engine.dirty_callbacks:
            b.callbacks = {cid: engine.callback_state(cid) for cid in engine.dirty_callbacks}
            engine.dirty_callbacks.clear()
        if kpis:  # with the day's figures: a drain holds every agent's current row
            b.intervals = interval_rows(engine, now)
        kept = (day, engine.config.reporting.retention_days)
        if kept != self._kept_for:  # a new day (or a reload changed the retention)
            self._kept_for = kept
            b.intervals_from = first_kept(*kept)
        if kpis:
            b.kpis = day_kpis(engine, now, day)
        return b


def pacing_state(rt: CampaignRuntime) -> dict[str, Any]:
    """A campaign's pacing estimates and its pacer's budget state, JSON-able."""
    state: dict[str, Any] = {"estimates": rt.est.snapshot()}
    budget = getattr(rt.pacer, "state", None)
    if callable(budget):
        state["budget"] = budget()
    return state


def load_pacing(rt: CampaignRuntime, saved: dict[str, Any]) -> None:
    """Put saved pacing state back (:func:`pacing_state`); a pacer of another kind than the
    one that saved it (a reload changed the mode) keeps its own start."""
    if "estimates" in saved:
        rt.est.restore(saved["estimates"])
    load = getattr(rt.pacer, "load", None)
    if "budget" in saved and callable(load):
        load(saved["budget"])


def first_kept(day: str, retention_days: int) -> str:
    """The first business date whose rows a store keeps: today and ``retention_days`` days
    before it."""
    return (date.fromisoformat(day) - timedelta(days=retention_days)).isoformat()


def interval_rows(engine: Engine, now: float) -> list[dict[str, Any]]:
    """The interval rows that may have changed since the last call (the book's ``drain``);
    each queue row with ``waiting``: its calls still in the queue (waiting or ringing), which a
    restore takes out."""
    book = engine.book
    rows = book.drain(now, engine.open_rows())
    if not any(r["group"] == "queue" for r in rows):
        return rows
    unix = book.cal.unix
    waiting: dict[tuple[str, float], int] = {}  # (queue, start as in the row record) -> calls
    for c in engine.calls.values():
        if c.present and c.tallies and c.callback is None:
            key = (c.queue.name, unix(c.row_lo))
            waiting[key] = waiting.get(key, 0) + 1
    for r in rows:
        if r["group"] == "queue":
            r["waiting"] = waiting.get((r["name"], r["start"]), 0)
    return rows


def book_rows(engine: Engine, first: str, last: str) -> list[dict[str, Any]]:
    """Every row the interval book holds of business dates ``first`` to ``last`` (included),
    queue rows with ``waiting``, as a store would return them."""
    waiting: dict[tuple[str, float, str], int] = {}
    for c in engine.calls.values():
        if c.present and c.tallies and c.callback is None and c.tallies[-1].key is not None:
            waiting[c.tallies[-1].key] = waiting.get(c.tallies[-1].key, 0) + 1
    return engine.book.records(first, last, waiting)


def restore(core: Core, state: StoredState, now: float) -> dict[str, int]:
    """Rebuild a freshly built core from a store's state (see the module docstring for the
    rules). Returns counts of what was restored."""
    engine = core.engine
    counts: dict[str, int] = dict.fromkeys(
        (
            "leads",
            "leads_dialing",
            "callbacks",
            "leads_kept",
            "dnc",
            "sessions",
            "recovered",
            "abandon_buckets",
            "kpis",
            "intervals",
            "campaigns",
            "contacts",
            "callbacks_pending",
            "callbacks_booked",
            "callbacks_interrupted",
            "interrupted",
            "skipped",
        ),
        0,
    )
    counts["interrupted"] = adopt(core, state.calls)
    dnc = _dnc(core)
    if dnc is not None and state.dnc:
        dnc.restore(state.dnc)
        counts["dnc"] = len(state.dnc)
    books = _books(core)
    for name, entries in state.leads.items():
        if name not in books:
            counts["skipped"] += len(entries)
            continue
        book, epoch = books[name]
        got = book.restore(entries, now + epoch)
        counts["leads"] += got["restored"]
        counts["leads_dialing"] += got["dialing"]
        counts["callbacks"] += got["callbacks"]
        counts["leads_kept"] += got["kept"]
        counts["skipped"] += got["skipped"]
    today = engine.book.cal.day(now)
    if not engine.book.today:
        engine.roll_day(today, now)  # today's figures are its rows: name the day before the tick
    # Today's rows first: the sessions replayed below account agents' time into them.
    counts["intervals"] = _load_rows(engine, state.intervals, today)
    for name, buckets in state.abandon.items():
        rt = core.campaigns.get(name)
        if rt is None:
            counts["skipped"] += 1
            continue
        counts["abandon_buckets"] += rt.ledger.restore(buckets, now)
    for name, saved in state.campaigns.items():
        rt = core.campaigns.get(name)
        if rt is None:
            counts["skipped"] += 1
            continue
        rt.paused = bool(saved.get("paused", False))
        _load_figures(rt.fig, saved.get("figures") or {})
        if saved.get("day") == today:
            rt.day_answers = int(saved.get("day_answers", 0))
            rt.day_drops = int(saved.get("day_drops", 0))
        load_pacing(rt, saved.get("pacing") or {})
        counts["campaigns"] += 1
    file_skills = config_skills(engine)
    for agent_id, s in state.sessions.items():
        if s is None:
            continue
        a = engine.agents.get(agent_id)
        if a is None or a.state is not A.LOGGED_OUT:
            counts["skipped"] += 1
            continue
        counts["recovered"] += _replay_session(engine, a, s, file_skills.get(agent_id), now)
        counts["sessions"] += 1
    if counts["intervals"]:
        counts["kpis"] = 1  # today's figures are its rows (open in the book, acd.reporting.book)
    elif state.kpis is not None and state.kpis.get("day") == today:
        _load_kpis(engine, state.kpis)
        counts["kpis"] = 1
    if state.contacts:
        # Earlier days' rows the first contacts count in: a repeat today changes them (after
        # today's figures were summed, which they are not part of).
        days = {str(c["date"]) for c in state.contacts}
        latest = [r for r in state.intervals if r.get("date") in days]
        _load_rows(engine, latest + state.contact_rows, today, past=True)
        counts["contacts"] = engine.contacts.restore(state.contacts)
    if state.callbacks:  # after the sessions: a callback may go to an agent at once
        counts.update(engine.restore_callbacks(state.callbacks, now))
    return counts


def _load_rows(
    engine: Engine, rows: list[dict[str, Any]], today: str, *, past: bool = False
) -> int:
    """Put today's stored rows (``past``: those of earlier dates) back into the interval book;
    the calls a today's queue row still had waiting are taken out of it (and the row is marked
    to be written again). Returns how many rows were loaded."""
    book: IntervalBook = engine.book
    epoch = book.cal.epoch
    n = 0
    for r in rows:
        if (r.get("date") == today) == past:
            continue
        # The interval's start as the engine computes it (engine time).
        start = book.cal.interval(float(r["start"]) - epoch + 1.0)
        name = str(r["name"])
        counts = r.get("counts") or {}
        if r.get("group") == "queue":
            q = engine.queues.get(name)
            if q is None:
                continue
            row = book.queue_row(q, start)
            row.load_dict(counts)
            waiting = int(r.get("waiting", 0))
            if waiting:
                row.offered = max(0, row.offered - waiting)
                row.queued = max(0, row.queued - min(waiting, row.queued))
                book.dirty.add(row)
        elif r.get("group") == "agent":
            if name not in engine.agents:
                continue
            book.agent_row(start, name).load_dict(counts)
        elif r.get("group") == "campaign":
            if name not in {c.name for c in engine.config.campaigns}:
                continue
            book.campaign_row(start, name, CampaignStats).load_dict(counts)
        else:
            continue
        n += 1
    return n


def _replay_session(
    engine: Engine, a: AgentRt, s: dict[str, Any], file_skills: dict[str, int] | None, now: float
) -> bool:
    """Log the agent in again as the session says; True if it was busy (paused "recovered")."""
    skills = s.get("skills")
    if skills and s.get("config_skills") == file_skills and dict(skills) != a.skills:
        engine.handle(ev.SetAgentSkills(a.id, dict(skills)), now)
    st = s.get("state")
    pending = s.get("pending")
    busy = st in (A.ON_CALL.value, A.WRAP_UP.value, A.RINGING.value, A.DIALING.value)
    if busy and pending and pending[0] == "logout":
        return False  # the agent asked to log out after the call
    reason: str | None = None
    if st == A.PAUSED.value:
        reason = s.get("pause_reason") or "break"
    elif busy and pending and pending[0] == "pause":
        reason = pending[1] or "break"
    elif st in (A.ON_CALL.value, A.DIALING.value):
        reason = RECOVERED  # the call may still be up on the PBX; wrap-up ended with the restart
    if reason is None:
        engine.handle(ev.AgentLogin(a.id, ready=True), now)
        return False
    engine.handle(ev.AgentLogin(a.id, ready=False), now)
    engine.handle(ev.AgentPause(a.id, reason), now)
    return reason == RECOVERED


def _load_kpis(engine: Engine, saved: dict[str, Any]) -> None:
    for name, d in (saved.get("queues") or {}).items():
        q = engine.queues.get(name)
        if q is None:
            continue
        st = q.base
        st.load_dict(d)
        # Calls in progress at the crash never end here: take them out of the counts.
        waiting = int(d.get("waiting", 0))
        st.offered = max(0, st.offered - waiting)
        st.queued = max(0, st.queued - min(waiting, st.queued))
    for agent_id, d in (saved.get("agents") or {}).items():
        a = engine.agents.get(agent_id)
        if a is not None:
            a.base.load_dict(d)
