"""Who signs in to the embedded demo: two desk agents and a supervisor, with a password made
at start and printed in the banner (the demo keeps nothing, so nothing outlives the run)."""

from __future__ import annotations

import secrets

from acd.config.people import Person
from acd.config.schema import Config
from acd.passwords import hash_secret

DESK_AGENTS = ("agent19", "agent20")  # the trunk leaves these to a person at the desktop
SUPERVISOR = "supervisor"


def demo_people(config: Config) -> tuple[Config, str]:
    """The demo's config with its people added, and their password."""
    password = secrets.token_urlsafe(6)
    stored = hash_secret(password)
    people = [Person(id=a, role="agent", password=stored) for a in DESK_AGENTS]
    people.append(Person(id=SUPERVISOR, role="supervisor", password=stored, device="SIP/sup1"))
    auth = config.auth.model_copy(update={"people": [*config.auth.people, *people]})
    update: dict[str, object] = {"auth": auth}
    if config.simulation is not None:
        sim_agents = config.simulation.agents.model_copy(update={"people": list(DESK_AGENTS)})
        update["simulation"] = config.simulation.model_copy(update={"agents": sim_agents})
    return config.model_copy(update=update), password


def demo_lines(base: str, password: str) -> list[str]:
    agents = " or ".join(DESK_AGENTS)
    return [
        f"  agent desk {base}/agent   (sign in as {agents}; password {password})",
        f"  supervisor sign in at {base}/ as {SUPERVISOR!r}, same password",
    ]
