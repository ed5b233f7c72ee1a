"""The predictive pacer decides as it did when tests/data/pacing/launches.json was recorded
(``python -m tests.pacing_launches save``, from the pacer before its decision was made
faster): the same count of calls at every decision of five seeded campaigns."""

from __future__ import annotations

import pytest

from tests.pacing_launches import SCENARIOS, launches, saved


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_launch_count_is_the_recorded_one(name: str) -> None:
    old, new = saved()[name], launches(name)
    first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
    assert first is None, f"decision {first}: {old[first]} calls recorded, {new[first]} now"
    assert len(new) == len(old)
