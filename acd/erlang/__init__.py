"""Erlang staffing models: Erlang B, C (M/M/N) and A (M/M/N+M), required agents, day plans.

Pure and vectorised: ``erlang_c(n, a, aht, t)`` takes scalars (a result of floats) or arrays
(one call for any number of (N, A) pairs); ``required_agents`` finds the smallest staffing
for service-level, ASA, abandonment and occupancy targets in O(log N) evaluations.
"""

from acd.erlang.models import (
    ErlangAResult,
    ErlangCResult,
    ErlangInputError,
    erlang_a,
    erlang_b,
    erlang_c,
    offered_load,
)
from acd.erlang.plan import ForecastError, ForecastRow, PlanRow, make_plan, read_forecast
from acd.erlang.solve import (
    MAX_AGENTS,
    Staffing,
    meets_targets,
    required_agents,
    scheduled_agents,
)

__all__ = [
    "MAX_AGENTS",
    "ErlangAResult",
    "ErlangCResult",
    "ErlangInputError",
    "ForecastError",
    "ForecastRow",
    "PlanRow",
    "Staffing",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "make_plan",
    "meets_targets",
    "offered_load",
    "read_forecast",
    "required_agents",
    "scheduled_agents",
]
