"""Run a scenario: the engine, the simulated trunk and the simulation driver, wired together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from random import Random
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from acd import events as ev
from acd.config.files import error_at
from acd.config.schema import Config, Simulation, hhmm_seconds
from acd.core import Core
from acd.drivers.virtual import SimulationDriver
from acd.engine import Engine
from acd.errors import ConfigError
from acd.leadfiles import import_leads, load_registry
from acd.reporting.calendar import calendar_for
from acd.states import AgentMove, AgentState
from acd.stats import QueueStats
from dialer.center import Center
from dialer.dnc import DoNotCallList
from dialer.hours import callback_hours
from dialer.leads import LeadFileError
from dialer.leadsource import LeadSource, book_leads
from routing.router import Router
from telephony_adapters.simulated import SimulatedTrunk


def build(
    config: Config,
    *,
    seed: int | None = None,
    keep_records: bool = False,
    router_cls: type[Router] = Router,
    pacers: dict[str, Any] | None = None,
    base_dir: Path | None = None,
    source: str | Path | None = None,
    intervals: bool = True,
) -> tuple[Core, SimulatedTrunk, SimulationDriver]:
    if config.simulation is None:
        raise ConfigError("the file has no simulation: section; it is a config, not a scenario")
    sim = config.simulation
    seed = sim.seed if seed is None else seed
    rng = Random(f"{seed}:routing")
    calendar = calendar_for(config, epoch=sim_epoch(sim))  # business days in the scenario's dates
    core: Core
    if config.campaigns:
        leads, dnc = campaign_leads(config, base_dir, sim_epoch(sim), source)
        core = Center(
            config,
            rng=rng,
            keep_records=keep_records,
            router_cls=router_cls,
            pacers=pacers,
            day_end=sim.hours * 3600.0,
            leads=leads,
            dnc=dnc,
            lead_epoch=sim_epoch(sim),
            calendar=calendar,
            intervals=intervals,
        )
    else:
        core = Engine(
            config,
            rng=rng,
            keep_records=keep_records,
            router_cls=router_cls,
            calendar=calendar,
            intervals=intervals,
        )
    core.engine.callback_hours = callback_hours(sim_epoch(sim), (str(calendar.zone),))
    trunk = SimulatedTrunk(config, sim, seed=seed)
    trunk.desk = CoreDesk(core)
    for a in config.agents:
        if a.shifts:
            continue  # the trunk logs them in when their shift starts
        for cmd in core.handle(ev.AgentLogin(a.id), 0.0):
            trunk.execute(cmd, 0.0)
    return core, trunk, SimulationDriver(core, trunk)


class CoreDesk:
    """What the simulated agents see of themselves in a core (``AgentDesk``): their state,
    a logout held until a call is over, and when the engine ends their wrap-up. ``epoch`` is
    the core's time at the trunk's time 0 (a daemon's start; 0 in a simulation)."""

    def __init__(self, core: Core, epoch: float = 0.0) -> None:
        self.core = core
        self.epoch = epoch

    def state(self, agent_id: str) -> AgentState:
        return self.core.agents[agent_id].state

    def logout_pending(self, agent_id: str) -> bool:
        pending = self.core.agents[agent_id].pending
        return pending is not None and pending[0] == AgentMove.LOGOUT.value

    def wrap_ends(self, agent_id: str) -> float | None:
        a = self.core.agents[agent_id]
        due = self.core.engine.timers.due(("wrap", a.ix))
        return None if due is None else due - self.epoch


def run_scenario(
    config: Config,
    *,
    seed: int | None = None,
    hours: float | None = None,
    drain: bool = True,
    progress: Callable[[float], None] | None = None,
    router_cls: type[Router] = Router,
    pacers: dict[str, Any] | None = None,
    base_dir: Path | None = None,
    source: str | Path | None = None,
    rows: bool = False,
    intervals: bool = True,
) -> dict[str, Any]:
    """Simulate the scenario's day; return the KPI report (without wall-clock figures); with
    ``rows``, also ``intervals``: every interval row of the run, as a store keeps them.
    ``intervals`` off keeps day figures only (to measure what interval rows cost)."""
    if config.simulation is None:
        raise ConfigError("the file has no simulation: section; it is a config, not a scenario")
    if hours is not None:
        if hours <= 0:
            raise ConfigError("hours must be positive", field="--hours")
        config = config.model_copy(
            update={"simulation": config.simulation.model_copy(update={"hours": hours})}
        )
    sim = config.simulation
    assert sim is not None
    core, trunk, driver = build(
        config,
        seed=seed,
        router_cls=router_cls,
        pacers=pacers,
        base_dir=base_dir,
        source=source,
        intervals=intervals,
    )
    engine = core.engine
    until = sim.hours * 3600.0
    end = driver.run(until, warmup=sim.warmup_seconds, drain=drain, progress=progress)
    report = engine.report(end, whole_run=True)
    inbound = {q.name for q in config.queues}
    report["queues"] = {k: v for k, v in report["queues"].items() if k in inbound}
    report["totals"] = totals(engine, inbound)
    report["campaigns"] = core.campaign_report(end)
    report["sim"] = {
        "seed": sim.seed if seed is None else seed,
        "hours": sim.hours,
        "simulated_seconds": end,
        "warmup_seconds": sim.warmup_seconds,
        "events": engine.events_handled,
        "arrivals": trunk.arrivals,
    }
    if rows:
        report["intervals"] = engine.book.records()
    return report


def sim_epoch(sim: Simulation) -> float:
    """Unix time of simulated time 0: the scenario's date and start, in its time zone."""
    zone = _zone(sim)
    day = date.fromisoformat(sim.date)
    secs = hhmm_seconds(sim.start)
    local = datetime(day.year, day.month, day.day, secs // 3600, secs % 3600 // 60, tzinfo=zone)
    return local.timestamp()


def scenario_clock(sim: Simulation, now: float) -> float:
    """The offset from Unix time ``now`` to the scenario's clock started then: ``sim.start`` of
    today (in ``sim.time_zone``). A daemon playing a scenario live gives it to its lead books,
    so campaigns keep calling hours by simulated time (the embedded demo's day starts at
    10:00 whatever the hour it runs)."""
    zone = _zone(sim)
    today = datetime.fromtimestamp(now, zone).date()
    secs = hhmm_seconds(sim.start)
    start = datetime(today.year, today.month, today.day, secs // 3600, secs % 3600 // 60)
    return start.replace(tzinfo=zone).timestamp() - now


def _zone(sim: Simulation) -> ZoneInfo:
    try:
        return ZoneInfo(sim.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {sim.time_zone!r}", field="simulation.time_zone"
        ) from None


def campaign_leads(
    config: Config, base_dir: Path | None, epoch: float, source: str | Path | None = None
) -> tuple[dict[str, LeadSource], DoNotCallList]:
    """Lead books for campaigns that name a lead file (the others dial synthetic numbers).

    A file that cannot be read is a ConfigError naming ``source`` (the config file), the line
    and the field that names it."""
    dnc = DoNotCallList()
    out: dict[str, LeadSource] = {}
    for i, c in enumerate(config.campaigns):
        if c.leads is None:
            continue
        path = Path(c.leads)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        try:
            result = import_leads(path)
        except (OSError, LeadFileError) as exc:
            raise error_at(source, ("campaigns", i, "leads"), str(exc)) from None
        for j, f in enumerate(c.dnc_files):
            dpath = Path(f) if Path(f).is_absolute() or base_dir is None else base_dir / f
            try:
                load_registry(dnc, dpath, f"registry:{Path(f).name}", at=epoch)
            except (OSError, LeadFileError) as exc:
                raise error_at(source, ("campaigns", i, "dnc_files", j), str(exc)) from None
        out[c.name] = book_leads(c, dnc, epoch, result.leads)
    return out, dnc


def totals(engine: Engine, queues: set[str] | None = None) -> dict[str, Any]:
    """Center-wide figures: the queues' counts summed, rates from the sums (QueueStats.kpis)."""
    run, _ = engine.run_stats()
    picked = [st for name, st in run.items() if queues is None or name in queues]
    names = {name for name in run if queues is None or name in queues}
    waiting = sum(
        1 for c in engine.calls.values() if c.present and c.queue.name in names and c.tallies
    )
    out = QueueStats.combined(picked).kpis(waiting)
    del out["service_level_threshold_seconds"], out["service_level_target"]  # per queue only
    return out
