"""What changed, as a :class:`~acd.store.batch.Batch`; and the core rebuilt from a
:class:`~acd.store.batch.StoredState`. Pure: no I/O, no clock, no store client.

The daemon makes one :class:`Collector` for its core (an :class:`~acd.engine.Engine` or a dialer
:class:`~dialer.center.Center`) and calls :meth:`Collector.collect` after each step (or every few
milliseconds); each call costs O(what changed since the last one): call detail records emitted,
agents whose session changed (the engine's dirty set), leads the books logged, do-not-call
changes, abandonment buckets counted in, campaign state that moved, and, when asked, the day's
KPIs. The first batch carries every agent's session, every lead of the lead files and every
do-not-call number loaded at start (what a fresh store lacks); after a :func:`restore` only what
the store did not have.

:func:`restore` rebuilds a freshly built core (nothing has happened in it yet) from what a store
returned at start. Sessions are replayed as events (login, skills, pause), so the engine's indexes
are built the usual way. An agent on a call or in wrap-up at the crash comes back **paused with
reason "recovered"**: the call may still be up on the PBX (the adapter reconciles calls
separately), and a supervisor would not want a new call offered over it; the agent presses ready.
An agent whose phone was ringing comes back ready (the offer is gone). A pause or log-out asked
for during a call is applied. A skill change made live is kept unless the config file has changed
that agent's skills since (the file wins over an older live change). The day's KPIs come back only
if they are of the same day; calls that were in progress at the crash are taken out of them
(the adapter's reconciliation enters again those still up).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from acd import events as ev
from acd.core import Core
from acd.engine import Engine
from acd.entities import AgentRt
from acd.records import CallDetail
from acd.states import AgentState
from acd.store.batch import Batch, StoredState
from dialer.dnc import DoNotCallList
from dialer.leadbook import LeadBook
from dialer.leadsource import BookLeads

A = AgentState
RECOVERED = "recovered"  # pause reason of agents who were busy when the daemon stopped


def utc_day(now: float) -> str:
    """The default day key: the UTC calendar date of ``now`` (Unix seconds)."""
    return datetime.fromtimestamp(now, UTC).date().isoformat()


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
    ``day`` maps a time to its day key (default: the UTC date).
    """

    def __init__(self, core: Core, *, day: Callable[[float], str] = utc_day) -> None:
        self.core = core
        self.engine = core.engine
        self.day = day
        self._cdrs: list[CallDetail] = []
        core.cdr_sink = self._cdrs.append
        self.engine.dirty_agents = set(self.engine.agents)  # the first batch has every session
        self._dnc = _dnc(core)
        self._campaigns_sent: dict[str, dict[str, Any]] = {}
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
            cur = {
                "paused": rt.paused,
                "day": day,
                "day_answers": rt.day_answers,
                "day_drops": rt.day_drops,
            }
            if self._campaigns_sent.get(name) != cur:
                b.campaigns[name] = cur
                self._campaigns_sent[name] = cur
        if kpis:
            b.kpis = day_kpis(engine, now, self.day(now))
        return b


def restore(
    core: Core,
    state: StoredState,
    now: float,
    *,
    day: Callable[[float], str] = utc_day,
) -> dict[str, int]:
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
            "campaigns",
            "skipped",
        ),
        0,
    )
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
    today = day(now)
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
        if saved.get("day") == today:
            rt.day_answers = int(saved.get("day_answers", 0))
            rt.day_drops = int(saved.get("day_drops", 0))
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
    if state.kpis is not None and state.kpis.get("day") == today:
        _load_kpis(engine, state.kpis)
        counts["kpis"] = 1
    return counts


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
        st = q.stats
        st.load_dict(d)
        # Calls in progress at the crash never end here: take them out of the counts.
        waiting = int(d.get("waiting", 0))
        st.offered = max(0, st.offered - waiting)
        st.queued = max(0, st.queued - min(waiting, st.queued))
    for agent_id, d in (saved.get("agents") or {}).items():
        a = engine.agents.get(agent_id)
        if a is not None:
            a.stats.load_dict(d)
