"""Cross-checks of a scenario's simulated agents against the center they simulate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from acd.config.types import FieldProblem

if TYPE_CHECKING:
    from acd.config.schema import Config


def check_sim_dispositions(cfg: Config) -> None:
    """Simulated agents' codes: for a queue or a campaign; a campaign's own, and no callbacks."""
    assert cfg.simulation is not None
    camps = {c.name: c for c in cfg.campaigns}
    queues = {q.name for q in cfg.queues}
    for name, codes in cfg.simulation.agents.dispositions.items():
        where = ("simulation", "agents", "dispositions", name)
        if name in camps:
            kinds = {d.name: d.kind for d in camps[name].dispositions}
            for code in codes:
                if code not in kinds:
                    raise FieldProblem(where, f"campaign {name!r} has no disposition {code!r}")
                if kinds[code] == "callback":
                    raise FieldProblem(where, f"{code!r} is a callback: it needs a time")
        elif name not in queues:
            raise FieldProblem(where, f"{name!r} is neither a queue nor a campaign")
