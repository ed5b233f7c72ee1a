"""What the daemon persists, as plain data: the contract between the core and the stores.

The core never calls a store. After each step the daemon's persister collects what changed
(:class:`Batch`) from the engine's records and the dialer's change logs, and a store applies it;
at start a store returns everything it holds (:class:`StoredState`) and recovery rebuilds the
core from it. Every value is JSON-able (str keys, floats are Unix seconds), so a batch can sit in
the local spool file while Redis is away and be applied later, in order, exactly once
(``seq`` is strictly increasing; a store ignores a batch whose ``seq`` it has already applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# (minute start, live answers, abandons): one abandonment bucket, set (not added) by a batch.
Bucket = tuple[float, int, int]


@dataclass(slots=True)
class Batch:
    seq: int
    # Call detail records, in the order the calls ended (fields: acd/store/cdr.py).
    records: list[dict[str, Any]] = field(default_factory=list)
    # campaign -> lead_id -> {"lead": Lead as a dict, "state": LeadState as a dict}; the lead part
    # may be omitted when only the state changed. A store indexes "state.next_attempt_at".
    leads: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # number (E.164) -> {"source": str, "at": float}; None removes the number from the list.
    dnc: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # agent_id -> session ({"state", "pause_reason", "skills", "since", ...}); None: logged out.
    sessions: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # campaign -> buckets whose counts changed (absolute values, so replay is idempotent).
    abandon: dict[str, list[Bucket]] = field(default_factory=dict)
    # The day's queue and agent KPIs ({"day": "YYYY-MM-DD", "queues": {...}, "agents": {...}});
    # replaces the stored figures for that day.
    kpis: dict[str, Any] | None = None
    # campaign -> {"paused": bool, ...}: campaign state that is not in the config file.
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Interval rows that changed, whole (acd.reporting.book.row_record: group, name, date,
    # start, local, minutes, counts; queue rows also "waiting"): each replaces the stored row
    # of the same (date, group, name, start).
    intervals: list[dict[str, Any]] = field(default_factory=list)
    # The first business date whose interval rows are kept (reporting.retention_days): a store
    # drops the rows of earlier dates.
    intervals_from: str | None = None
    # Audit entries of supervisors' actions (acd/audit.py), kept like call records (filed by
    # their "at", exported, never recovered into the core).
    audit: list[dict[str, Any]] = field(default_factory=list)
    # Recent first contacts (acd.reporting.fcr.entry) by call id; None: out of the window.
    contacts: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # Pending callbacks (acd.engine.callback_store) by the caller's call id; None: gone.
    callbacks: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # Calls in progress by call id (acd.live_calls): {"record": the record the call would get
    # if cut now, "over": the talk is over, only the wrap-up is left}; None: it got its record.
    calls: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (
            self.records
            or self.leads
            or self.dnc
            or self.sessions
            or self.abandon
            or self.kpis
            or self.campaigns
            or self.intervals
            or self.intervals_from
            or self.audit
            or self.contacts
            or self.callbacks
            or self.calls
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "records": self.records,
            "leads": self.leads,
            "dnc": self.dnc,
            "sessions": self.sessions,
            "abandon": {c: [list(b) for b in bs] for c, bs in self.abandon.items()},
            "kpis": self.kpis,
            "campaigns": self.campaigns,
            "intervals": self.intervals,
            "intervals_from": self.intervals_from,
            "audit": self.audit,
            "contacts": self.contacts,
            "callbacks": self.callbacks,
            "calls": self.calls,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Batch:
        return cls(
            seq=int(data["seq"]),
            records=list(data.get("records") or []),
            leads=dict(data.get("leads") or {}),
            dnc=dict(data.get("dnc") or {}),
            sessions=dict(data.get("sessions") or {}),
            abandon={
                c: [(float(s), int(a), int(b)) for s, a, b in bs]
                for c, bs in (data.get("abandon") or {}).items()
            },
            kpis=data.get("kpis"),
            campaigns=dict(data.get("campaigns") or {}),
            intervals=list(data.get("intervals") or []),
            intervals_from=data.get("intervals_from"),
            audit=list(data.get("audit") or []),
            contacts=dict(data.get("contacts") or {}),
            callbacks=dict(data.get("callbacks") or {}),
            calls=dict(data.get("calls") or {}),
        )


@dataclass(slots=True)
class StoredState:
    """Everything a store holds except the call records (those are exported, not recovered)."""

    last_seq: int = 0
    leads: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    dnc: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    abandon: dict[str, list[Bucket]] = field(default_factory=dict)
    kpis: dict[str, Any] | None = None  # the latest day's figures
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    intervals: list[dict[str, Any]] = field(default_factory=list)  # the latest date's rows
    contacts: list[dict[str, Any]] = field(default_factory=list)  # first contacts in the window
    # The interval rows of the other dates those first contacts count in (not the latest's).
    contact_rows: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # pending callbacks
    # The calls in progress when the last batch was written (see Batch.calls).
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
