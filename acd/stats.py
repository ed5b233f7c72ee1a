"""KPI accumulators and their definitions (see docs/reports.md, "The figures")."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from acd.states import AgentState

if TYPE_CHECKING:
    from acd.config.schema import Queue as QueueConfig


_SUMMED = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "timed_out",
    "overflowed",
    "rejected_full",
    "rejected_empty",
    "left_empty",
    "transferred",
    "transferred_answered",
    "hung_up",
    "queued",
    "abandon_wait_sum",
    "wait_answered_sum",
    "talk_sum",
    "hold_sum",
    "wrap_sum",
    "handled",
    "first_contacts",
    "fcr_failed",
    "surveys",
    "csat_responses",
    "csat_top2",
    "csat_points",
    "callbacks_requested",
    "callbacks_placed",
    "callbacks_connected",
    "callbacks_within",
    "callbacks_failed",
    "callbacks_cancelled",
    "callback_wait_sum",
    "announced",
)


class QueueStats:
    __slots__ = (
        "abandon_wait_sum",
        "abandoned",
        "abandoned_within",
        "announced",
        "answered",
        "answered_within",
        "callback_wait_sum",
        "callbacks_cancelled",
        "callbacks_connected",
        "callbacks_failed",
        "callbacks_placed",
        "callbacks_requested",
        "callbacks_within",
        "csat_points",
        "csat_responses",
        "csat_top2",
        "fcr_failed",
        "first_contacts",
        "folded",
        "handled",
        "hold_sum",
        "hung_up",
        "key",
        "left_empty",
        "max_wait",
        "offered",
        "overflowed",
        "queued",
        "rejected_empty",
        "rejected_full",
        "short_abandoned",
        "surveys",
        "talk_sum",
        "target",
        "thresholds",
        "timed_out",
        "transferred",
        "transferred_answered",
        "wait_answered_sum",
        "wrap_sum",
    )

    def __init__(self, cfg: QueueConfig) -> None:
        self.key: tuple[str, float, str] | None = None  # an interval row's (kind, start, name)
        self.folded = False  # a row in its day's base already (acd.reporting.book)
        self.configure(cfg)
        self.reset()

    def configure(self, cfg: QueueConfig) -> None:
        """Take a queue's (new) service-level settings; counts stay unless thresholds change."""
        self.thresholds = (cfg.service_level.threshold_seconds, *cfg.extra_thresholds_seconds)
        self.target = cfg.service_level.target
        if len(getattr(self, "answered_within", ())) != len(self.thresholds):
            self.answered_within = [0] * len(self.thresholds)
            self.abandoned_within = [0] * len(self.thresholds)

    @classmethod
    def combined(cls, parts: list[QueueStats]) -> QueueStats:
        """Counts summed over queues (each call judged by its own queue's first threshold)."""
        total = cls.__new__(cls)
        total.key = None
        total.folded = False
        total.thresholds = (0.0,)
        total.target = None
        total.reset()
        for st in parts:
            for k in _SUMMED:
                setattr(total, k, getattr(total, k) + getattr(st, k))
            total.answered_within[0] += st.answered_within[0]
            total.abandoned_within[0] += st.abandoned_within[0]
            total.max_wait = max(total.max_wait, st.max_wait)
        return total

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, target: float | None = None) -> QueueStats:
        """Counts saved by :meth:`to_dict` (an interval row, say), judged by the thresholds
        saved with them; ``target`` is the service-level target to report beside them."""
        st = cls.__new__(cls)
        st.key = None
        st.folded = False
        st.thresholds = tuple(float(t) for t in data.get("thresholds") or (0.0,))
        st.target = target
        st.reset()
        st.load_dict(data)
        return st

    def absorb(self, other: QueueStats) -> None:
        """Add another period's counts of the same queue (thresholds as in this one)."""
        for k in _SUMMED:
            setattr(self, k, getattr(self, k) + getattr(other, k))
        if other.thresholds == self.thresholds:
            for i, n in enumerate(other.answered_within):
                self.answered_within[i] += n
            for i, n in enumerate(other.abandoned_within):
                self.abandoned_within[i] += n
        self.max_wait = max(self.max_wait, other.max_wait)

    def reset(self) -> None:
        self.offered = 0
        self.answered = 0
        self.abandoned = 0
        self.short_abandoned = 0
        self.timed_out = 0
        self.overflowed = 0
        self.rejected_full = 0
        self.rejected_empty = 0
        self.left_empty = 0
        self.transferred = 0  # moved to another queue by a transfer (waiting or answered)
        self.transferred_answered = 0  # of which an agent had answered (agent transfers)
        self.hung_up = 0  # hung up by a supervisor or the system before answer
        self.queued = 0  # found no agent free on arrival
        self.answered_within = [0] * len(self.thresholds)
        self.abandoned_within = [0] * len(self.thresholds)
        self.abandon_wait_sum = 0.0
        self.wait_answered_sum = 0.0
        self.max_wait = 0.0
        self.talk_sum = 0.0  # hold excluded
        self.hold_sum = 0.0
        self.wrap_sum = 0.0
        self.handled = 0
        # First-contact resolution (acd/reporting/fcr.py): answered first contacts, and those
        # since coded unresolved or repeated within the window.
        self.first_contacts = 0
        self.fcr_failed = 0
        self.surveys = 0  # callers sent to the post-call survey
        self.csat_responses = 0  # scores received (survey or API)
        self.csat_top2 = 0  # of which in the top two boxes of their scale
        self.csat_points = 0.0  # sum of score / scale
        # Callbacks (virtual hold): a request ends the call's wait in the queue's service level
        # and abandonment (it is neither); the callback is then reported apart: attempts
        # placed, connected (within the queue's callback.service_level_seconds of the
        # request), closed unreached (failed or interrupted) or cancelled.
        self.callbacks_requested = 0
        self.callbacks_placed = 0
        self.callbacks_connected = 0
        self.callbacks_within = 0
        self.callbacks_failed = 0
        self.callbacks_cancelled = 0
        self.callback_wait_sum = 0.0  # request to connection, over connected callbacks
        self.announced = 0  # announcements said to waiting callers (position, wait, messages)

    def to_dict(self) -> dict[str, Any]:
        """The counts as JSON-able data (for persistence); :meth:`load_dict` reads them back."""
        out: dict[str, Any] = {k: getattr(self, k) for k in _SUMMED}
        out["answered_within"] = list(self.answered_within)
        out["abandoned_within"] = list(self.abandoned_within)
        out["thresholds"] = list(self.thresholds)
        out["max_wait"] = self.max_wait
        return out

    def load_dict(self, data: dict[str, Any]) -> None:
        """Take counts saved by :meth:`to_dict`. Counts by threshold are kept only if the
        thresholds are still the same (otherwise they would be judged by other limits)."""
        for k in _SUMMED:
            if k in data:
                setattr(self, k, type(getattr(self, k))(data[k]))
        self.max_wait = float(data.get("max_wait", 0.0))
        same = [float(t) for t in data.get("thresholds", ())] == list(self.thresholds)
        n = len(self.thresholds)
        within = data.get("answered_within")
        self.answered_within = [int(v) for v in within] if same and within else [0] * n
        within = data.get("abandoned_within")
        self.abandoned_within = [int(v) for v in within] if same and within else [0] * n

    def answered_after(self, wait: float) -> None:
        self.answered += 1
        self.wait_answered_sum += wait
        if wait > self.max_wait:
            self.max_wait = wait
        th = self.thresholds
        if wait <= th[0]:  # the service level's; an interval row pays this per call too
            self.answered_within[0] += 1
        for i in range(1, len(th)):
            if wait <= th[i]:
                self.answered_within[i] += 1

    def ended_unanswered(self, wait: float) -> None:
        if wait > self.max_wait:
            self.max_wait = wait

    def abandoned_after(self, wait: float, short: bool) -> None:
        self.abandoned += 1
        self.abandon_wait_sum += wait
        if short:
            self.short_abandoned += 1
        th = self.thresholds
        if wait <= th[0]:
            self.abandoned_within[0] += 1
        for i in range(1, len(th)):
            if wait <= th[i]:
                self.abandoned_within[i] += 1

    def kpis(self, waiting: int) -> dict[str, Any]:
        ended = self.offered - waiting
        left = ended - self.callbacks_requested  # ended waiting for an agent, not a callback
        sl_base = left - self.short_abandoned
        out: dict[str, Any] = {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "short_abandoned": self.short_abandoned,
            "timed_out": self.timed_out,
            "overflowed": self.overflowed,
            "rejected": self.rejected_full + self.rejected_empty,
            "left_empty": self.left_empty,
            "transferred": self.transferred,
            "transferred_answered": self.transferred_answered,
            "waiting": waiting,
            "hung_up": self.hung_up,
            "handled": self.handled,
            # Answered within T over calls ended less short abandons (the default), and calls
            # removed from the queue within T (answered or abandoned) over calls ended.
            "service_level": _ratio(self.answered_within[0], sl_base),
            "service_level_removed": _ratio(
                self.answered_within[0] + self.abandoned_within[0], left
            ),
            "service_level_threshold_seconds": self.thresholds[0],
            "service_level_target": self.target,
            "asa_seconds": _ratio(self.wait_answered_sum, self.answered),
            "aht_seconds": _ratio(self.talk_sum + self.hold_sum + self.wrap_sum, self.handled),
            "talk_avg_seconds": _ratio(self.talk_sum, self.handled),
            "hold_avg_seconds": _ratio(self.hold_sum, self.handled),
            "wrap_avg_seconds": _ratio(self.wrap_sum, self.handled),
            "avg_abandon_seconds": _ratio(self.abandon_wait_sum, self.abandoned),
            "transfer_rate": _ratio(self.transferred_answered, self.handled),
            "p_wait": _ratio(self.queued, self.offered),
            "abandon_rate": _ratio(self.abandoned, left),
            "max_wait_seconds": self.max_wait,
            "first_contacts": self.first_contacts,
            "fcr": _ratio(self.first_contacts - self.fcr_failed, self.first_contacts),
            **_csat(self),
            **_callbacks(self),
        }
        for t, n in zip(self.thresholds[1:], self.answered_within[1:], strict=True):
            out[f"service_level_{t:g}s"] = _ratio(n, sl_base)
        return out


def _callbacks(st: QueueStats) -> dict[str, Any]:
    closed = st.callbacks_connected + st.callbacks_failed
    return {
        "callbacks_requested": st.callbacks_requested,
        "callbacks_placed": st.callbacks_placed,
        "callbacks_connected": st.callbacks_connected,
        "callbacks_failed": st.callbacks_failed,
        "callbacks_cancelled": st.callbacks_cancelled,
        "callback_service_level": _ratio(st.callbacks_within, closed),
        "callback_asa_seconds": _ratio(st.callback_wait_sum, st.callbacks_connected),
        "announcements": st.announced,
    }


STATES = tuple(s.value for s in AgentState)
# No pause yet: one shared read-only mapping, not a dict per row (rows are many: an agent's per
# interval, and fewer containers to allocate means fewer collections of the young heap).
_NO_PAUSE: Mapping[str, float] = MappingProxyType({})


class AgentStats:
    """An agent's figures over a day or an interval. Calls (answered, missed, talk, hold, wrap)
    count where the call entered its queue; time in each state where it was spent."""

    # Time in each state is a slot named for the state's value (``add_time``), not a dict per
    # row: an agent has a row per interval, and fewer containers mean fewer collections.
    __slots__ = (
        "answered",
        "csat_points",
        "csat_responses",
        "csat_top2",
        "fcr_failed",
        "first_contacts",
        "folded",
        "hold_seconds",
        "_name",
        "_start",
        "missed",
        "paused_by",
        "quality_count",
        "quality_points",
        "surveys",
        "talk_seconds",
        "wrap_seconds",
        *STATES,
    )

    def __init__(self) -> None:
        self._start = 0.0  # an interval row's start and agent (the key: one tuple fewer a row)
        self._name: str | None = None
        self.folded = False  # a row in its day's base already (acd.reporting.book)
        self.answered = 0
        self.missed = 0
        self.talk_seconds = 0.0  # hold excluded
        self.hold_seconds = 0.0
        self.wrap_seconds = 0.0
        for st in STATES:
            setattr(self, st, 0.0)
        self.paused_by: Mapping[str, float] = _NO_PAUSE  # paused seconds by reason code
        self.first_contacts = 0  # as the queue's (acd/reporting/fcr.py)
        self.fcr_failed = 0
        self.surveys = 0  # CSAT as the queue's
        self.csat_responses = 0
        self.csat_top2 = 0
        self.csat_points = 0.0
        self.quality_count = 0  # supervisors' quality scores (0-100) of this agent's calls
        self.quality_points = 0.0

    def absorb(self, other: AgentStats) -> None:
        """Add another period's figures of the same agent."""
        self.answered += other.answered
        self.missed += other.missed
        self.talk_seconds += other.talk_seconds
        self.hold_seconds += other.hold_seconds
        self.wrap_seconds += other.wrap_seconds
        # _AGENT_SCORES, spelled out: folding rows into the day runs once per agent and interval.
        self.first_contacts += other.first_contacts
        self.fcr_failed += other.fcr_failed
        self.surveys += other.surveys
        self.csat_responses += other.csat_responses
        self.csat_top2 += other.csat_top2
        self.csat_points += other.csat_points
        self.quality_count += other.quality_count
        self.quality_points += other.quality_points
        for st in STATES:
            setattr(self, st, getattr(self, st) + getattr(other, st))
        for k, v in other.paused_by.items():
            self.add_paused(k, v)

    @property
    def key(self) -> tuple[str, float, str] | None:
        """An interval row's (kind, start, agent id); None for a day's figures."""
        return None if self._name is None else ("agent", self._start, self._name)

    @key.setter
    def key(self, key: tuple[str, float, str] | None) -> None:
        if key is None:
            self._name = None
        else:
            _, self._start, self._name = key

    @property
    def time_in(self) -> dict[str, float]:
        """Seconds in each state, by state value (a copy: add with :meth:`add_time`)."""
        return {st: getattr(self, st) for st in STATES}

    def add_time(self, state: str, seconds: float) -> None:
        setattr(self, state, getattr(self, state) + seconds)

    def add_paused(self, reason: str, seconds: float) -> None:
        by = self.paused_by
        if not isinstance(by, dict):
            by = self.paused_by = {}
        by[reason] = by.get(reason, 0.0) + seconds

    def kpis(self, state: str = "", open_seconds: float = 0.0) -> dict[str, Any]:
        """The figures; ``open_seconds`` more in ``state`` (the state interval still open)."""
        t = self.time_in
        if state:
            t[state] += open_seconds
        busy = t["on_call"] + t["wrap_up"]
        available = busy + t["ready"] + t["ringing"]
        logged_in = sum(v for k, v in t.items() if k != "logged_out")
        handle = self.talk_seconds + self.hold_seconds + self.wrap_seconds
        return {
            "answered": self.answered,
            "missed": self.missed,
            "talk_seconds": self.talk_seconds,
            "hold_seconds": self.hold_seconds,
            "wrap_seconds": self.wrap_seconds,
            "aht_seconds": _ratio(handle, self.answered),
            "ready_seconds": t["ready"],
            "paused_seconds": t["paused"],
            "paused_by_reason": dict(self.paused_by),
            "logged_in_seconds": logged_in,
            "calls_per_logged_in_hour": _ratio(self.answered * 3600.0, logged_in),
            "occupancy": _ratio(busy, available),
            "first_contacts": self.first_contacts,
            "fcr": _ratio(self.first_contacts - self.fcr_failed, self.first_contacts),
            **_csat(self),
            "quality_scores": self.quality_count,
            "quality_avg": _ratio(self.quality_points, self.quality_count),
        }

    def to_dict(self) -> dict[str, Any]:
        """The closed figures as JSON-able data; the open state interval is not in them."""
        return {
            "answered": self.answered,
            "missed": self.missed,
            "talk_seconds": self.talk_seconds,
            "hold_seconds": self.hold_seconds,
            "wrap_seconds": self.wrap_seconds,
            "time_in": self.time_in,
            "paused_by": dict(self.paused_by),
            **{k: getattr(self, k) for k in _AGENT_SCORES},
        }

    def load_dict(self, data: dict[str, Any]) -> None:
        self.answered = int(data.get("answered", 0))
        self.missed = int(data.get("missed", 0))
        self.talk_seconds = float(data.get("talk_seconds", 0.0))
        self.hold_seconds = float(data.get("hold_seconds", 0.0))
        self.wrap_seconds = float(data.get("wrap_seconds", 0.0))
        for k in _AGENT_SCORES:
            setattr(self, k, type(getattr(self, k))(data.get(k, 0)))
        for k, v in (data.get("time_in") or {}).items():
            if k in STATES:
                setattr(self, k, float(v))
        self.paused_by = {str(k): float(v) for k, v in (data.get("paused_by") or {}).items()}


# The agent's FCR and score counts: summed, saved and loaded alike.
_AGENT_SCORES = (
    "first_contacts",
    "fcr_failed",
    "surveys",
    "csat_responses",
    "csat_top2",
    "csat_points",
    "quality_count",
    "quality_points",
)


def _csat(st: QueueStats | AgentStats) -> dict[str, Any]:
    """CSAT: the top-two-box share of scores, their mean as a share of the scale, and the
    response rate to the post-call survey (None where no survey was offered)."""
    n = st.csat_responses
    return {
        "surveys": st.surveys,
        "csat_responses": n,
        "csat": _ratio(st.csat_top2, n),
        "csat_mean_ratio": _ratio(st.csat_points, n),
        "csat_response_rate": _ratio(min(n, st.surveys), st.surveys) if st.surveys else None,
    }


def _ratio(num: float, den: float) -> float | None:
    if den <= 0:
        return None
    r = num / den
    return r if math.isfinite(r) else None
