"""The pacing policies the benchmarks compare, by name: one line each to add one.

The "landed" pacer (the one on main before the estimators' rewrite, kept in
``benchmarks/pacer_landed.py`` as a baseline) joins when that file exists.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from benchmarks.vicidial import VicidialAdaptTapered
from dialer.pacing import Power, Predictive, Progressive

POLICIES: dict[str, Callable[[], Any]] = {
    "progressive": Progressive,
    "power": lambda: Power(2.0),
    "vicidial": VicidialAdaptTapered,
    "ours": Predictive,
}

if importlib.util.find_spec("benchmarks.pacer_landed") is not None:
    from benchmarks import pacer_landed

    # The module's pacer class: ``Predictive`` as on main at the time, or a ``PACER`` factory.
    POLICIES["landed"] = pacer_landed.LandedPredictive


def pacer(policy: str) -> Any:
    return POLICIES[policy]()
