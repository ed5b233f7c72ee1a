"""The embedded demo: a blended day (three inbound queues and a renewals campaign over the same
agents) that looks like a well-run center, with every campaign figure filled in."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from acd.config.files import demo_path, load_config
from acd.config.schema import Config
from acd.daemon.app import build_core, live_simulation
from acd.daemon.auth import TokenStore
from acd.daemon.metrics import Metrics
from acd.daemon.state import Daemon
from acd.simulate import run_scenario
from dialer.center import Center


def test_a_demo_day_meets_every_service_level_and_converts() -> None:
    cfg = load_demo()
    report = run_scenario(cfg, base_dir=demo_path().parent, source=demo_path())
    queues = report["queues"]
    assert set(queues) == {"billing", "tech", "general"}
    for name, q in queues.items():
        assert q["service_level"] >= q["service_level_target"] - 0.10, name
    day = report["campaigns"]["renewals"]["today"]
    assert day["success"] > 0 and day["conversion_rate"] > 0
    assert day["abandonment_rate"] <= 0.03  # the FTC limit, with blended agents taking inbound
    for k in (
        "hit_rate",
        "connects_per_agent_hour",
        "first_call_close_rate",
        "contacts_per_lead",
        "contacts_per_account",
        "talk_avg_seconds",
    ):
        assert day[k], k
    # Several numbers per account in the demo's lead file: fewer accounts than leads.
    assert 0 < day["accounts_dialed"] < day["leads_dialed"]
    # Callers call again and some codes leave the matter open: FCR is a figure, not 0 or 1.
    for name in ("billing", "tech"):
        assert queues[name]["first_contacts"] > 0 and 0 < queues[name]["fcr"] < 1, name
    # The tech queue's callers rate their calls: CSAT and its response rate are filled in.
    tech = queues["tech"]
    assert tech["surveys"] > 0 and 0 < tech["csat_response_rate"] < 1 and tech["csat"] is not None


def test_the_live_demo_keeps_calling_hours_by_its_simulated_clock() -> None:
    """``acd-dialer run`` plays the demo's day from 10:00 whatever the hour: its lead books
    run on that clock, so the campaign dials at once at night too."""
    cfg = load_demo()
    d = Daemon(
        config=cfg, config_path=None, tokens=TokenStore([]), metrics=Metrics("test"), demo=True
    )
    core = build_core(d, "t.")
    now = time.time()
    assert isinstance(core, Center)
    sim = live_simulation(cfg, demo=True)
    clock = datetime.fromtimestamp(now + core.lead_epoch, ZoneInfo(sim.time_zone))
    assert (clock.hour, clock.minute) in ((10, 0), (10, 1))
    assert core.campaigns["renewals"].leads.next_lead(now) is not None


def load_demo() -> Config:
    return load_config(demo_path())
