"""KPI accumulators and their definitions (see docs/reports.md, "The figures")."""

from __future__ import annotations

import math
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
    "queued",
    "wait_answered_sum",
    "talk_sum",
    "hold_sum",
    "wrap_sum",
    "handled",
)


class QueueStats:
    __slots__ = (
        "abandoned",
        "answered",
        "answered_within",
        "handled",
        "hold_sum",
        "left_empty",
        "max_wait",
        "offered",
        "overflowed",
        "queued",
        "rejected_empty",
        "rejected_full",
        "short_abandoned",
        "talk_sum",
        "target",
        "thresholds",
        "timed_out",
        "transferred",
        "wait_answered_sum",
        "wrap_sum",
    )

    def __init__(self, cfg: QueueConfig) -> None:
        self.configure(cfg)
        self.reset()

    def configure(self, cfg: QueueConfig) -> None:
        """Take a queue's (new) service-level settings; counts stay unless thresholds change."""
        self.thresholds = (cfg.service_level.threshold_seconds, *cfg.extra_thresholds_seconds)
        self.target = cfg.service_level.target
        if len(getattr(self, "answered_within", ())) != len(self.thresholds):
            self.answered_within = [0] * len(self.thresholds)

    @classmethod
    def combined(cls, parts: list[QueueStats]) -> QueueStats:
        """Counts summed over queues (each call judged by its own queue's first threshold)."""
        total = cls.__new__(cls)
        total.thresholds = (0.0,)
        total.target = None
        total.reset()
        for st in parts:
            for k in _SUMMED:
                setattr(total, k, getattr(total, k) + getattr(st, k))
            total.answered_within[0] += st.answered_within[0]
            total.max_wait = max(total.max_wait, st.max_wait)
        return total

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
        self.transferred = 0  # left the queue by transfer or supervisor hang-up before answer
        self.queued = 0  # found no agent free on arrival
        self.answered_within = [0] * len(self.thresholds)
        self.wait_answered_sum = 0.0
        self.max_wait = 0.0
        self.talk_sum = 0.0  # hold excluded
        self.hold_sum = 0.0
        self.wrap_sum = 0.0
        self.handled = 0

    def to_dict(self) -> dict[str, Any]:
        """The counts as JSON-able data (for persistence); :meth:`load_dict` reads them back."""
        out: dict[str, Any] = {k: getattr(self, k) for k in _SUMMED}
        out["answered_within"] = list(self.answered_within)
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
        within = data.get("answered_within")
        if within is not None and [float(t) for t in data.get("thresholds", ())] == list(
            self.thresholds
        ):
            self.answered_within = [int(n) for n in within]
        else:
            self.answered_within = [0] * len(self.thresholds)

    def answered_after(self, wait: float) -> None:
        self.answered += 1
        self.wait_answered_sum += wait
        if wait > self.max_wait:
            self.max_wait = wait
        for i, t in enumerate(self.thresholds):
            if wait <= t:
                self.answered_within[i] += 1

    def ended_unanswered(self, wait: float) -> None:
        if wait > self.max_wait:
            self.max_wait = wait

    def kpis(self, waiting: int) -> dict[str, Any]:
        ended = self.offered - waiting
        sl_base = ended - self.short_abandoned
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
            "waiting": waiting,
            "service_level": _ratio(self.answered_within[0], sl_base),
            "service_level_threshold_seconds": self.thresholds[0],
            "service_level_target": self.target,
            "asa_seconds": _ratio(self.wait_answered_sum, self.answered),
            "aht_seconds": _ratio(self.talk_sum + self.hold_sum + self.wrap_sum, self.handled),
            "p_wait": _ratio(self.queued, self.offered),
            "abandon_rate": _ratio(self.abandoned, ended),
            "max_wait_seconds": self.max_wait,
        }
        for t, n in zip(self.thresholds[1:], self.answered_within[1:], strict=True):
            out[f"service_level_{t:g}s"] = _ratio(n, sl_base)
        return out


class AgentStats:
    __slots__ = ("answered", "hold_seconds", "missed", "talk_seconds", "time_in", "wrap_seconds")

    def __init__(self) -> None:
        self.answered = 0
        self.missed = 0
        self.talk_seconds = 0.0  # hold excluded
        self.hold_seconds = 0.0
        self.wrap_seconds = 0.0
        self.time_in = {s.value: 0.0 for s in AgentState}  # keyed by value: cheap to hash

    def kpis(self) -> dict[str, Any]:
        t = self.time_in
        busy = t["on_call"] + t["wrap_up"]
        available = busy + t["ready"] + t["ringing"]
        return {
            "answered": self.answered,
            "missed": self.missed,
            "talk_seconds": self.talk_seconds,
            "hold_seconds": self.hold_seconds,
            "wrap_seconds": self.wrap_seconds,
            "ready_seconds": t["ready"],
            "paused_seconds": t["paused"],
            "occupancy": _ratio(busy, available),
        }

    def to_dict(self) -> dict[str, Any]:
        """The closed figures as JSON-able data; the open state interval is not in them."""
        return {
            "answered": self.answered,
            "missed": self.missed,
            "talk_seconds": self.talk_seconds,
            "hold_seconds": self.hold_seconds,
            "wrap_seconds": self.wrap_seconds,
            "time_in": dict(self.time_in),
        }

    def load_dict(self, data: dict[str, Any]) -> None:
        self.answered = int(data.get("answered", 0))
        self.missed = int(data.get("missed", 0))
        self.talk_seconds = float(data.get("talk_seconds", 0.0))
        self.hold_seconds = float(data.get("hold_seconds", 0.0))
        self.wrap_seconds = float(data.get("wrap_seconds", 0.0))
        for k, v in (data.get("time_in") or {}).items():
            if k in self.time_in:
                self.time_in[k] = float(v)


def _ratio(num: float, den: float) -> float | None:
    if den <= 0:
        return None
    r = num / den
    return r if math.isfinite(r) else None
