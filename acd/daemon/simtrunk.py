"""The simulated trunk in a daemon: the scenario's day played in real time from the moment the
daemon starts, its simulated agents logging in (all at once, or by their shifts)."""

from __future__ import annotations

from datetime import datetime
from random import Random

from acd import events as ev
from acd.config.schema import Config, Simulation
from acd.core import Core
from acd.drivers.live import LiveDriver
from acd.simulate import CoreDesk
from telephony_adapters.simulated import SimulatedTrunk

LIVE_HOURS = 24 * 365 * 10  # the simulated trunk in a daemon runs until stopped
DEMO_START = "10:00"  # the embedded demo plays its day from the morning peak


def live_simulation(config: Config, *, demo: bool = False, now: float | None = None) -> Simulation:
    """The scenario as a daemon plays it: from the local time of day ``now`` (the demo: from
    its morning peak), for as long as it runs."""
    sim = config.simulation or Simulation()
    local = datetime.now() if now is None else datetime.fromtimestamp(now)
    start = DEMO_START if demo else f"{local.hour:02d}:{local.minute:02d}"
    return sim.model_copy(update={"hours": LIVE_HOURS, "start": start})


def simulated_trunk(config: Config, *, demo: bool, prefix: str, now: float) -> SimulatedTrunk:
    """The trunk whose time 0 is ``now``: arrival profiles, outbound changes and shifts follow
    the local time of day (to the second), or the demo's day from 10:00."""
    sim = live_simulation(config, demo=demo, now=now)
    local = datetime.fromtimestamp(now)
    tod = None if demo else local.hour * 3600 + local.minute * 60 + local.second
    return SimulatedTrunk(
        config, sim, seed=Random().randrange(1 << 30), call_prefix=prefix, start_tod=tod
    )


def start_simulated_agents(
    config: Config, trunk: SimulatedTrunk, core: Core, driver: LiveDriver, *, login: bool
) -> None:
    """Let the trunk see the agents' states; with ``login``, log in now the simulated agents
    without shifts (those with shifts log in when theirs starts; people log in themselves)."""
    trunk.desk = CoreDesk(core, epoch=driver.epoch)
    if not login:
        return
    for a in config.agents:
        if a.id not in trunk.people and not a.shifts:
            driver.submit(ev.AgentLogin(a.id))
