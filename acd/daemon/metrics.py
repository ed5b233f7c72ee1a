"""Prometheus metrics. Counters and histograms follow engine notices; gauges that mirror engine
state are read from a snapshot at scrape time by a custom collector, so the core never imports
the client library."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

WAIT_BUCKETS = (1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200)
HANDLE_BUCKETS = (15, 30, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1800, 3600)
LATENCY_BUCKETS = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2)


class SnapshotCollector(Collector):
    def __init__(
        self,
        snapshot: Callable[[], dict[str, Any]],
        adapters: Callable[[], dict[str, bool]],
        campaigns: Callable[[], list[dict[str, Any]]] = list,
        health: Callable[[], dict[str, Any]] = dict,
        figures: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        self._snapshot = snapshot
        self._adapters = adapters
        self._campaigns = campaigns
        self._health = health
        self._figures = figures

    def collect(self) -> Iterable[Metric]:
        snap = self._snapshot()
        g = {
            "sl": GaugeMetricFamily(
                "acd_service_level_ratio", "Service level today", labels=["queue"]
            ),
            "slt": GaugeMetricFamily(
                "acd_service_level_target_ratio",
                "Configured service level target",
                labels=["queue"],
            ),
            "ab": GaugeMetricFamily(
                "acd_abandon_ratio", "Abandoned / ended calls today", labels=["queue"]
            ),
            "w": GaugeMetricFamily(
                "acd_callers_waiting", "Callers waiting or ringing", labels=["queue"]
            ),
            "lw": GaugeMetricFamily(
                "acd_longest_wait_seconds", "Longest current wait", labels=["queue"]
            ),
            "cbp": GaugeMetricFamily(
                "acd_callbacks_pending",
                "Callbacks keeping their callers' places (waiting, parked or being dialed)",
                labels=["queue"],
            ),
            "ewt": GaugeMetricFamily(
                "acd_estimated_wait_seconds",
                "Estimated wait of a caller joining the queue now (absent: unknown)",
                labels=["queue"],
            ),
            "qa": GaugeMetricFamily(
                "acd_queue_agents", "Agents who can serve the queue", labels=["queue", "state"]
            ),
            "asa": GaugeMetricFamily(
                "acd_asa_seconds", "Average speed of answer today", labels=["queue"]
            ),
            "fcr": GaugeMetricFamily(
                "acd_first_contact_resolution_ratio",
                "Today's first contacts resolved and not repeated within fcr.window_hours, over "
                "first contacts (provisional until the window has closed)",
                labels=["queue"],
            ),
            "csat": GaugeMetricFamily(
                "acd_csat_ratio",
                "Today's satisfaction scores in the top two boxes of their scale, over scores",
                labels=["queue"],
            ),
        }
        for q in snap["queues"]:
            name = q["name"]
            if q["service_level"] is not None:
                g["sl"].add_metric([name], q["service_level"])
            g["slt"].add_metric([name], q["service_level_target"])
            if q["abandon_rate"] is not None:
                g["ab"].add_metric([name], q["abandon_rate"])
            g["w"].add_metric([name], q["waiting"])
            g["cbp"].add_metric([name], q.get("callbacks_pending", 0))
            g["lw"].add_metric([name], q["longest_wait_seconds"])
            if q.get("ewt_seconds") is not None:
                g["ewt"].add_metric([name], q["ewt_seconds"])
            g["qa"].add_metric([name, "logged_in"], q["agents"]["logged_in"])
            g["qa"].add_metric([name, "ready"], q["agents"]["ready"])
            if q.get("asa_seconds") is not None:
                g["asa"].add_metric([name], q["asa_seconds"])
            if q.get("fcr") is not None:
                g["fcr"].add_metric([name], q["fcr"])
            if q.get("csat") is not None:
                g["csat"].add_metric([name], q["csat"])
        yield from g.values()
        yield from self._interval_metrics(self._figures())
        agents = GaugeMetricFamily("acd_agents", "Agents by state", labels=["state"])
        for state, n in snap["agent_states"].items():
            agents.add_metric([state], n)
        yield agents
        calls = CounterMetricFamily(
            "dialer_calls", "Dialer calls by outcome", labels=["campaign", "outcome"]
        )
        ratio = GaugeMetricFamily(
            "dialer_abandonment_ratio",
            "Abandoned / live-answered over the window (the legal measure)",
            labels=["campaign", "window"],
        )
        dial = GaugeMetricFamily(
            "dialer_dial_ratio", "Calls in flight per agent on the campaign", labels=["campaign"]
        )
        for c in self._campaigns():
            r = c["report"]
            for outcome, key in (
                ("human", "live_answers"),
                ("machine", "machines"),
                ("no_answer", "no_answer"),
                ("busy", "busy"),
                ("failed", "failed"),
                ("abandoned", "abandoned"),
            ):
                calls.add_metric([c["name"], outcome], r[key])
            for window, key in (("24h", "abandonment_24h"), ("30d", "abandonment_30d")):
                ratio.add_metric([c["name"], window], c[key] or 0.0)
            dial.add_metric([c["name"]], c["in_flight"] / max(c["logged_in"], 1))
        yield calls
        yield ratio
        yield dial
        up = GaugeMetricFamily("acd_adapter_up", "Telephony adapter connected", labels=["adapter"])
        for name, ok in self._adapters().items():
            up.add_metric([name], 1.0 if ok else 0.0)
        yield up
        h = self._health()
        if h:
            yield GaugeMetricFamily(
                "acd_leader",
                "1 while this daemon is the active one (0: standby or starting)",
                value=1.0 if h.get("role") == "active" else 0.0,
            )
            yield GaugeMetricFamily(
                "acd_store_up",
                "1 while Redis answered within the last 3 s (0: away; see the spooled batches)",
                value=1.0 if h.get("up", True) else 0.0,
            )
            yield GaugeMetricFamily(
                "acd_store_spooled_batches",
                "Batches in the local spool waiting for Redis",
                value=float(h.get("spooled", 0)),
            )

    @staticmethod
    def _interval_metrics(fig: dict[str, Any]) -> Iterable[Metric]:
        """The last closed interval per queue, and today's occupancy center-wide."""
        if not fig:
            return
        sl = GaugeMetricFamily(
            "acd_interval_service_level_ratio",
            "Service level of the last closed report interval",
            labels=["queue"],
        )
        asa = GaugeMetricFamily(
            "acd_interval_asa_seconds", "ASA of the last closed report interval", labels=["queue"]
        )
        offered = GaugeMetricFamily(
            "acd_interval_offered", "Calls offered in the last closed interval", labels=["queue"]
        )
        for name, k in fig["queues"].items():
            offered.add_metric([name], k["offered"])
            if k["service_level"] is not None:
                sl.add_metric([name], k["service_level"])
            if k["asa_seconds"] is not None:
                asa.add_metric([name], k["asa_seconds"])
        yield from (sl, asa, offered)
        # Center-wide only: labels stay bounded (no agent ids; per agent: the API and the wall).
        busy = sum(t["busy"] for t in fig["agents"].values())
        available = sum(t["available"] for t in fig["agents"].values())
        if available > 0:
            yield GaugeMetricFamily(
                "acd_occupancy_ratio",
                "Today, all agents: on a call or in wrap-up over that plus ready and ringing",
                value=busy / available,
            )


CALLBACK_EVENTS = ("requested", "connected", "failed", "cancelled")


class Metrics:
    """One registry per daemon (tests make their own)."""

    def __init__(self, version: str) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        Gauge("acd_build_info", "Build information", ["version"], registry=r).labels(version).set(1)
        self.offered = Counter(
            "acd_calls_offered", "Calls that entered a queue", ["queue"], registry=r
        )
        self.answered = Counter(
            "acd_calls_answered", "Calls answered by an agent", ["queue"], registry=r
        )
        self.abandoned = Counter(
            "acd_calls_abandoned", "Callers who hung up before an answer", ["queue"], registry=r
        )
        self.timed_out = Counter(
            "acd_calls_timed_out", "Calls that reached the maximum wait", ["queue"], registry=r
        )
        self.overflowed = Counter(
            "acd_calls_overflowed", "Calls moved to an overflow queue", ["queue"], registry=r
        )
        self.rejected = Counter(
            "acd_calls_rejected", "Calls refused on entry", ["queue", "reason"], registry=r
        )
        self.wait = Histogram(
            "acd_wait_seconds",
            "Time in queue until answer or abandon",
            ["queue", "outcome"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.handle = Histogram(
            "acd_handle_seconds",
            "Handle time of an answered call: talk, hold and wrap-up",
            ["queue"],
            buckets=HANDLE_BUCKETS,
            registry=r,
        )
        self.latency = Histogram(
            "acd_routing_decision_seconds",
            "Engine time to process one input (routing included)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.dead_air = Histogram(
            "dialer_dead_air_seconds",
            "Silence a connected called party heard: the answer (AMD included) to an agent",
            ["campaign"],
            buckets=(0.25, 0.5, 1, 1.5, 2, 3, 5),
            registry=r,
        )
        self.callbacks = Counter(
            "acd_callbacks",
            "Callbacks: requested, connected to the caller, failed (unreached) or cancelled",
            ["queue", "event"],
            registry=r,
        )
        self.reconnects = Counter(
            "acd_adapter_reconnects", "Telephony adapter reconnections", ["adapter"], registry=r
        )

    def declare_queues(self, queues: Iterable[str]) -> None:
        """Every labelled series of these queues, at 0 from the start: a series that appears
        only with its first event makes rate() and increase() lose that first increment."""
        for q in queues:
            for counter in (self.offered, self.answered, self.abandoned):
                counter.labels(q)
            for counter in (self.timed_out, self.overflowed):
                counter.labels(q)
            for reason in ("full", "empty"):
                self.rejected.labels(q, reason)
            for outcome in ("answered", "abandoned"):
                self.wait.labels(q, outcome)
            for event in CALLBACK_EVENTS:
                self.callbacks.labels(q, event)
            self.handle.labels(q)

    def declare_campaigns(self, campaigns: Iterable[str]) -> None:
        """The campaigns' labelled series at 0 from the start (as :meth:`declare_queues`)."""
        for c in campaigns:
            self.dead_air.labels(c)

    def attach(
        self,
        snapshot: Callable[[], dict[str, Any]],
        adapters: Callable[[], dict[str, bool]],
        campaigns: Callable[[], list[dict[str, Any]]] = list,
        health: Callable[[], dict[str, Any]] = dict,
        figures: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        self.registry.register(SnapshotCollector(snapshot, adapters, campaigns, health, figures))

    def observe(self, notices: list[dict[str, Any]]) -> None:
        for n in notices:
            if n["type"] != "call":
                continue
            q, event = n["queue"], n["event"]
            if event == "callback":
                self.callbacks.labels(q, "requested").inc()
            elif event == "answered" and n.get("callback"):
                self.callbacks.labels(q, "connected").inc()  # reported apart: not an answer
            elif event == "dead_air":
                self.dead_air.labels(n["campaign"]).observe(n["seconds"])
            elif event == "entered":
                self.offered.labels(q).inc()
            elif event == "answered":
                self.answered.labels(q).inc()
                self.wait.labels(q, "answered").observe(n["seconds"])
            elif event == "handled":
                self.handle.labels(q).observe(n["seconds"])
            elif event == "left":
                outcome = n["outcome"]
                if outcome == "abandoned":
                    self.abandoned.labels(q).inc()
                    self.wait.labels(q, "abandoned").observe(n["seconds"])
                elif outcome == "timed_out":
                    self.timed_out.labels(q).inc()
                elif outcome == "overflowed":
                    self.overflowed.labels(q).inc()
                elif outcome in ("callback_failed", "callback_interrupted"):
                    self.callbacks.labels(q, "failed").inc()
                elif outcome == "callback_cancelled":
                    self.callbacks.labels(q, "cancelled").inc()
                elif outcome in ("rejected_full", "rejected_empty"):
                    self.rejected.labels(q, outcome.removeprefix("rejected_")).inc()
